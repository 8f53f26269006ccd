"""HTTP caching of query answers: validators and freshness on every answer, and an in-process cache
of whole answers in front of the application.

An answer depends only on the release and the request (its host, query string, body, content type
and Accept header), so its ETag is a digest of those; ``Cache-Control`` lets clients and proxies
keep it ``max_age`` seconds; ``If-None-Match`` with the current ETag gets 304 Not Modified. A
repeated query is answered from memory by ``AnswerCache`` before Flask is involved.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Response
from werkzeug.http import parse_etags

from .evaluate import Answer, ResultCache
from .store import ReleaseHolder

log = logging.getLogger("mineral_diplomacy.server")
Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
BODY = "mineral_diplomacy.body"  # where a POST body read by the cache is kept in the environ


def request_key(release: str, environ: Environ) -> tuple[str, ...]:
    """Everything a query's answer depends on (the host: relative IRIs resolve against the URL)."""
    return (release, environ.get("HTTP_HOST", ""), environ.get("SCRIPT_NAME", ""),
            environ.get("QUERY_STRING", ""), environ.get("CONTENT_TYPE", ""),
            environ.get(BODY, b"").decode("latin-1"), environ.get("HTTP_ACCEPT", ""))


def etag(key: tuple[str, ...]) -> str:
    """The entity tag of the answer to a request: the release's name and a digest of the request."""
    return f"{key[0]}-{hashlib.sha256(chr(0).join(key[1:]).encode()).hexdigest()[:20]}"


def matches(environ: Environ, tag: str) -> bool:
    """Whether a GET or HEAD request's If-None-Match names ``tag`` (weak comparison, RFC 9110)."""
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return False
    return parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(tag)


class AnswerCache:
    """WSGI middleware: answers a repeated query (GET, or POST with a small body) from memory.

    Only complete 200 answers of ``/sparql`` are kept, per release, least recently used dropped
    first; a request whose If-None-Match names the answer's ETag gets 304. Everything else goes to
    the application, which answers with the same validators (``validators``, ``remember``).
    """

    KEPT_HEADERS = ("Content-Type", "X-Timeout", "X-Result-Size-Limit", "Cache-Control", "ETag")

    def __init__(self, app: WsgiApp, holder: ReleaseHolder, max_bytes: int, max_body: int,
                 max_age: int, common_headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.app = app
        self.common_headers = common_headers  # what the application adds to every answer
        self.holder = holder
        self.cache = ResultCache(max_bytes)
        self.max_body = max_body
        self.max_age = max_age

    def _read_body(self, environ: Environ) -> bool:
        """Keep a small POST body in the environ (and give the application a fresh stream of it)."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        if not 0 < length <= self.max_body:
            return False
        body = environ["wsgi.input"].read(length)
        environ[BODY] = body
        environ["wsgi.input"] = io.BytesIO(body)
        return True

    def validators(self, release: str, environ: Environ, response: Response) -> Response:
        """Give a fresh 200 answer its ETag and Cache-Control, keep it, and make it a 304 when the
        request's If-None-Match names it. (A POST whose body this did not read is left alone.)"""
        if environ.get("REQUEST_METHOD") == "POST" and BODY not in environ:
            return response
        key = request_key(release, environ)
        tag = etag(key)
        response.set_etag(tag)
        response.headers["Cache-Control"] = f"public, max-age={self.max_age}"
        headers = tuple((h, response.headers[h]) for h in self.KEPT_HEADERS if h in response.headers)
        self.cache.put(key, Answer(response.get_data(), response.mimetype or "", headers))
        if matches(environ, tag):
            return _not_modified(response.headers)
        return response

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != "/sparql" or not (
            method == "GET" or (method == "POST" and self._read_body(environ))
        ):
            return self.app(environ, start_response)
        started = time.perf_counter()
        key = request_key(self.holder.get().name, environ)
        hit = self.cache.get(key)
        if hit is None:
            return self.app(environ, start_response)
        headers = [*hit.headers, *self.common_headers, ("Vary", "Accept"), ("X-Cache", "hit")]
        if matches(environ, etag(key)):
            response = _not_modified(dict(headers))
            start_response("304 NOT MODIFIED", list(response.headers.items()))
            body = b""
        else:
            start_response("200 OK", [*headers, ("Content-Length", str(len(hit.body)))])
            body = hit.body
        log.info("query status=%s ms=%.2f cached=request bytes=%d request=%r", "304" if not body else "200",
                 (time.perf_counter() - started) * 1000, len(body), (key[3] or key[5])[:160])
        return [body]


def _not_modified(headers: Any) -> Response:
    """304 Not Modified, with the headers a 304 carries (RFC 9110 15.4.5)."""
    response = Response(status=304)
    for name in ("ETag", "Cache-Control", "Vary", "Access-Control-Allow-Origin", "X-Cache",
                 "X-Content-Type-Options"):
        if name in headers:
            response.headers[name] = headers[name]
    return response

