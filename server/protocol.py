"""The SPARQL 1.1 Protocol's query operation: reading a request into a job, or a clear 4xx."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Request
from werkzeug.datastructures import MultiDict

from .evaluate import QueryFailed, QueryJob


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
    return min(seconds, limits.max_timeout)


def parse_query_request(request: Request, limits: Limits) -> ParsedRequest | None:
    """The query job of a GET or POST; None for a bare GET (answered with the service description).

    Raises QueryFailed with the right 4xx for anything the protocol does not allow here.
    """
    params: MultiDict[str, str] = MultiDict(request.args)
    content_type = (request.mimetype or "").lower()
    if request.method == "POST":
        if content_type == "application/sparql-update" or "update" in request.form:
            raise QueryFailed(403, "This endpoint is read-only: SPARQL Update is not accepted.")
        if content_type == "application/x-www-form-urlencoded":
            params = MultiDict([*params.items(multi=True), *request.form.items(multi=True)])
            query = _single(params, "query")
        elif content_type == "application/sparql-query":
            if "query" in params:
                raise QueryFailed(400, "Send the query either in the body or as 'query', not both.")
            query = request.get_data(as_text=True)
        else:
            raise QueryFailed(415, "POST a query as application/sparql-query or as an "
                                   "application/x-www-form-urlencoded 'query' parameter.")
        if not query:
            raise QueryFailed(400, "The request has no query.")
    else:
        if "update" in params:
            raise QueryFailed(403, "This endpoint is read-only: SPARQL Update is not accepted.")
        query = _single(params, "query")
        if query is None:
            return None
    if len(query) > limits.max_query_chars:
        raise QueryFailed(413, f"The query is {len(query)} characters long; the limit is "
                               f"{limits.max_query_chars}.")
    job = QueryJob(
        query=query,
        default_graphs=_graph_iris(params, "default-graph-uri"),
        named_graphs=_graph_iris(params, "named-graph-uri"),
        accept=request.headers.get("Accept", ""),
        format=_single(params, "format"),
    )
    return ParsedRequest(job, _timeout(_single(params, "timeout"), limits))
