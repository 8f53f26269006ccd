"""The SPARQL 1.1 Protocol's query operation: reading a request into a job, or a clear 4xx.

Parameters and bodies are read as UTF-8, strictly: a body, a query string or a percent-escape that
is not UTF-8 is refused (400, or 415 for another declared charset), never read into a changed
query; a byte-order mark before the query is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import pyoxigraph as ox
from flask import Request
from werkzeug.datastructures import MultiDict

from .evaluate import QueryFailed, QueryJob
from .lexer import nesting_depth

FORMAT_PARAMETERS = ("format", "output", "results")  # SPARQLWrapper sends all three; Fuseki reads output
BOM = "\ufeff"
# The parser recurses into nested groups: thousands of levels crash it, so deep nesting is refused.
MAX_NESTING = 100
# A shorter time limit would only make the server kill and restart an evaluator for every query.
MIN_TIMEOUT = 0.5


@dataclass(frozen=True)
class Limits:
    """The server's limits on queries."""

    default_timeout: float
    max_timeout: float
    max_query_chars: int
    max_result_bytes: int


@dataclass(frozen=True)
class ParsedRequest:
    """A query request: the job, and the time limit that applies to it."""

    job: QueryJob
    timeout: float


def _single(values: MultiDict[str, str], name: str) -> str | None:
    found = values.getlist(name)
    if len(found) > 1:
        raise QueryFailed(400, f"The '{name}' parameter was given {len(found)} times; give it once.")
    return found[0] if found else None


def _graph_iris(values: MultiDict[str, str], name: str) -> tuple[str, ...]:
    iris = tuple(values.getlist(name))
    for iri in iris:
        parts = urlsplit(iri)
        if not parts.scheme or any(c in iri for c in ' <>"{}|^`\\'):
            raise QueryFailed(400, f"'{name}' must be an absolute IRI, not {iri!r}.")
        try:
            ox.NamedNode(iri)  # the store's own IRI rules decide
        except ValueError as error:
            raise QueryFailed(400, f"'{name}' is not a valid IRI: {error}.") from None
    return iris


def _timeout(value: str | None, limits: Limits) -> float:
    if value is None:
        return limits.default_timeout
    try:
        seconds = float(value)
    except ValueError:
        raise QueryFailed(400, f"timeout={value!r} is not a number of seconds.") from None
    if not seconds > 0:
        raise QueryFailed(400, "timeout must be a positive number of seconds.")
    return min(max(seconds, MIN_TIMEOUT), limits.max_timeout)


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise QueryFailed(
            400, f"The {what} is not UTF-8 (byte {error.start}); send it encoded as UTF-8."
        ) from None


def _pairs(encoded: bytes, what: str) -> list[tuple[str, str]]:
    """``a=1&b=2`` as pairs, every percent-escape decoded as UTF-8 strictly."""
    try:
        return parse_qsl(_utf8(encoded, what), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise QueryFailed(
            400,
            f"The {what} has a percent-escape that is not UTF-8; encode the text as "
            "UTF-8 before escaping it.",
        ) from None


def _charset(request: Request) -> None:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise QueryFailed(415, f"The body is declared as {charset}; send it as UTF-8.")


def parse_query_request(request: Request, limits: Limits, endpoint: str) -> ParsedRequest | None:
    """The query job of a GET or POST; None for a bare GET (answered with the service description).
    Relative IRIs in the query resolve against ``endpoint``, the endpoint's public URL (never the
    request's Host header, which would otherwise reach the BASE of queries sent to SERVICE calls).

    Raises QueryFailed with the right 4xx for anything the protocol does not allow here.
    """
    params: MultiDict[str, str] = MultiDict(_pairs(request.query_string, "query string"))
    content_type = (request.mimetype or "").lower()
    if request.method == "POST":
        if content_type == "application/sparql-update":
            raise QueryFailed(403, "This endpoint is read-only: SPARQL Update is not accepted.")
        if content_type == "application/x-www-form-urlencoded":
            _charset(request)
            form = _pairs(request.get_data(cache=True), "request body")
            if any(name == "update" for name, _ in form):
                raise QueryFailed(403, "This endpoint is read-only: SPARQL Update is not accepted.")
            params = MultiDict([*params.items(multi=True), *form])
            query = _single(params, "query")
        elif content_type == "application/sparql-query":
            _charset(request)
            if "query" in params:
                raise QueryFailed(400, "Send the query either in the body or as 'query', not both.")
            query = _utf8(request.get_data(cache=True), "request body")
        else:
            raise QueryFailed(
                415,
                "POST a query as application/sparql-query or as an "
                "application/x-www-form-urlencoded 'query' parameter.",
            )
        if not query:
            raise QueryFailed(400, "The request has no query.")
    else:
        if "update" in params:
            raise QueryFailed(403, "This endpoint is read-only: SPARQL Update is not accepted.")
        query = _single(params, "query")
        if query is None:
            return None
    query = query.removeprefix(BOM)
    if len(query) > limits.max_query_chars:
        raise QueryFailed(
            413, f"The query is {len(query)} characters long; the limit is {limits.max_query_chars}."
        )
    if (depth := nesting_depth(query)) > MAX_NESTING:
        raise QueryFailed(400, f"The query is nested {depth} levels deep (braces, parentheses, brackets); "
                               f"the limit is {MAX_NESTING}.")
    job = QueryJob(
        query=query,
        default_graphs=_graph_iris(params, "default-graph-uri"),
        named_graphs=_graph_iris(params, "named-graph-uri"),
        accept=request.headers.get("Accept", ""),
        formats=tuple(v for name in FORMAT_PARAMETERS for v in params.getlist(name)),
        base_iri=endpoint,
    )
    return ParsedRequest(job, _timeout(_single(params, "timeout"), limits))
