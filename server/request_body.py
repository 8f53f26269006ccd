"""WSGI middleware: a request's body is read whole, up to the size the server accepts, before the
application sees it. A body the HTTP server cannot deliver (a malformed chunk, a connection closed
early) is a 400 naming the fault, a body too large a 413: never an error inside the application."""

from __future__ import annotations

import io
from collections.abc import Iterable

from .http_cache import Environ, StartResponse, WsgiApp


class RequestBody:
    """Reads each request's body into memory (at most ``max_bytes``) for ``app``."""

    def __init__(self, app: WsgiApp, max_bytes: int, headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.headers = headers  # what the application adds to every answer

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return self._refuse(start_response, "400 BAD REQUEST", "Content-Length is not a number.")
        if not chunked and length <= 0:
            return self.app(environ, start_response)
        try:
            body = b"" if length > self.max_bytes else environ["wsgi.input"].read(
                self.max_bytes + 1 if chunked else length)
        except Exception as error:  # the server's own errors (gunicorn: a malformed chunk, and the like)
            return self._refuse(start_response, "400 BAD REQUEST",
                                f"The request body could not be read: {error}")
        if length > self.max_bytes or len(body) > self.max_bytes:
            return self._refuse(start_response, "413 REQUEST ENTITY TOO LARGE",
                                f"The request body is larger than {self.max_bytes} bytes, the most accepted.")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
        return self.app(environ, start_response)

    def _refuse(self, start_response: StartResponse, status: str, message: str) -> Iterable[bytes]:
        body = (message + "\n").encode()
        start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                                ("Content-Length", str(len(body))), *self.headers])
        return [body]
