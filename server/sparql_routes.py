"""The SPARQL endpoint (``/sparql``, SPARQL 1.1 Protocol, query only) and the dataset's description
(``/void``): a Flask blueprint over the application's state."""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Callable

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, request

from .description import RDFLIB_FORMATS, description
from .evaluate import QueryFailed
from .federation import MalformedEscape, ServiceNotAllowed, check_services
from .negotiation import GRAPH_FORMATS, NotAcceptable, choose
from .protocol import parse_query_request
from .state import ServerState

log = logging.getLogger("mineral_diplomacy.server")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")


def error_response(status: int, message: str) -> Response:
    """A plain-text error answer."""
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def refusal(failed: QueryFailed) -> Response:
    """The answer to work that failed or was refused (with Retry-After when worth retrying)."""
    response = error_response(failed.status, failed.message)
    if failed.retry_after is not None:
        response.headers["Retry-After"] = str(failed.retry_after)
    return response


def media(media_type: str) -> str:
    """A Content-Type value: text types say they are UTF-8."""
    return media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")


def preflight() -> Response:
    """The CORS preflight answer: any origin, the protocol's methods, the headers asked for."""
    response = Response(status=204)
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    asked = request.headers.get("Access-Control-Request-Headers", "")
    names = [n.strip() for n in asked.split(",") if _HEADER_NAME.fullmatch(n.strip())]
    response.headers["Access-Control-Allow-Headers"] = ", ".join(names or ["Content-Type", "Accept"])
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def client_gone() -> Callable[[], bool] | None:
    """Whether the client of this request has closed its connection (its socket reads as ended),
    where the server gives the socket (gunicorn); None elsewhere."""
    connection = request.environ.get("gunicorn.socket")
    if not isinstance(connection, socket.socket):
        return None

    def gone() -> bool:
        try:
            return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except (BlockingIOError, InterruptedError):
            return False  # nothing to read: still there
        except OSError:
            return True

    return gone


def sent_query() -> str:
    """The query as sent (for the log line of a request that failed): a parameter, or the body of
    a direct POST."""
    if request.mimetype == "application/sparql-query":
        return request.get_data(as_text=True)
    return request.values.get("query", "")


def sparql_blueprint(state: ServerState) -> Blueprint:
    """``/sparql`` and ``/void``."""
    blueprint = Blueprint("sparql", __name__)
    config = state.config
    limits = config.limits

    def service_description(endpoint: str) -> Response:
        stats, links = state.statistics()
        graph = description(endpoint, config.root_url, stats, bool(config.service_allowlist), links)
        try:
            fmt = choose(GRAPH_FORMATS, request.accept_mimetypes, request.args.get("format"))
        except NotAcceptable as error:
            return error_response(406, str(error))
        if fmt.media_type in RDFLIB_FORMATS:  # with the project's prefixes
            body = graph.serialize(format=RDFLIB_FORMATS[fmt.media_type], encoding="utf-8")
        else:  # N3, TriG, N-Quads: pyoxigraph's writers
            triples = ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
            body = ox.serialize(triples, format=fmt.writer) or b""  # type: ignore[arg-type]
        return Response(body, content_type=media(fmt.media_type))

    def answer_query() -> tuple[Response, str, bool]:
        """The response to a query request, the query (for the log) and whether it was cached."""
        try:
            parsed = parse_query_request(request, limits, config.root_url + "sparql")
            if parsed is None:
                if request.accept_mimetypes.best == "text/html":
                    return redirect("/"), "", False  # type: ignore[return-value]
                return service_description(config.root_url + "sparql"), "", False
            check_services(parsed.job.query, config.service_allowlist)
            key = parsed.job.digest()
            answer = state.kept(key)
            cached = answer is not None
            if answer is None:
                answer = state.answer(parsed.job, parsed.timeout, client_gone())
                if not answer.federated:  # another endpoint's data is not this release's: never kept
                    state.keep(key, answer)
        except QueryFailed as failed:
            return refusal(failed), sent_query(), False
        except ServiceNotAllowed as refused:
            return error_response(403, str(refused)), sent_query(), False
        except MalformedEscape as malformed:
            return error_response(400, str(malformed)), sent_query(), False
        response = Response(answer.body, content_type=media(answer.media_type))
        response.headers["X-Timeout"] = f"{parsed.timeout:g}"
        response.headers["X-Cache"] = "hit" if cached else "miss"
        if answer.federated:
            response.headers["Cache-Control"] = "no-store"
        else:  # the answer depends only on the release and the job: clients and the front may keep it
            response.set_etag(f"{state.release.name}-{key[:20]}")
            response.cache_control.public = True
            response.cache_control.max_age = config.max_age
            response.make_conditional(request)  # 304 when If-None-Match names it (GET and HEAD)
        return response, parsed.job.query, cached

    @blueprint.route("/sparql", methods=["GET", "POST", "OPTIONS"])
    def sparql() -> Response:
        if request.method == "OPTIONS":
            return preflight()
        started = time.perf_counter()
        response, query_text, cached = answer_query()
        response.headers["X-Result-Size-Limit"] = str(config.max_result_bytes)
        log.log(logging.INFO if response.status_code < 400 else logging.WARNING,
                "query status=%d ms=%.1f cached=%s bytes=%s query=%r", response.status_code,
                (time.perf_counter() - started) * 1000, "yes" if cached else "no",
                response.content_length, " ".join(query_text.split())[:160])
        return response

    @blueprint.route("/void")
    def void() -> Response:
        return service_description(config.root_url + "sparql")

    @blueprint.route("/.well-known/void")
    def well_known_void() -> Response:
        return redirect("/void", code=303)  # type: ignore[return-value]

    return blueprint
