"""The gunicorn worker: gunicorn's threaded worker, answering repeated queries without a thread hop.

gunicorn's ``gthread`` worker hands every request on a kept-alive connection from its poller
thread to a thread pool and back, and parses it in Python: a few hundred microseconds, more than
the query itself takes when the answer is already in the per-release cache. This worker looks at
such a request first, on the poller thread, without taking it off the socket (``MSG_PEEK``). When
it is one complete ``GET /sparql?...`` whose answer is cached, it is answered there and then;
anything else (a cache miss, a POST, a pipelined or partial request, ``Connection: close``, a
duplicated header, HTTP/1.0) is left on the socket for the thread pool, exactly as ``gthread``
would do.
"""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

PEEK_BYTES = 16 * 1024  # a request longer than this goes to the thread pool


def cached_get(head: bytes) -> tuple[str, str] | None:
    """(query string, Accept) of a request head that may be answered from the cache, else None.

    ``head`` is everything before the blank line. Only a plain HTTP/1.1 ``GET /sparql?...`` with
    no body, no ``Connection`` header and no repeated header qualifies.
    """
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
    except ValueError:
        return None
    path, _, query_string = target.partition("?")
    if method != "GET" or path != "/sparql" or version != "HTTP/1.1" or not query_string:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        name = name.lower()
        if not colon or name != name.strip() or name in headers:
            return None
        headers[name] = value.strip()
    if headers.keys() & {"connection", "content-length", "transfer-encoding", "expect", "upgrade"}:
        return None
    return query_string, headers.get("accept", "")


class CachedAnswerWorker(ThreadWorker):
    """``gthread``, plus cached answers to repeated GET queries given from the poller thread."""

    def run(self) -> None:
        # the application's cache of complete answers (server/app.py, CachedQueryPath)
        extension = self.wsgi.extensions["mineral_diplomacy"]
        self.cached_response = extension["cached_response"]
        self.log_hit = extension["log_hit"]
        super().run()

    def on_client_socket_readable(self, conn: TConn, client: socket.socket) -> None:
        # a stopping worker leaves every request to gthread, which answers "Connection: close"
        if not (self.alive and self._answer_from_cache(conn)):
            super().on_client_socket_readable(conn, client)

    def _answer_from_cache(self, conn: TConn) -> bool:
        """Answer the waiting request from the cache if it qualifies; whether it was answered."""
        started = time.perf_counter()
        try:
            data = conn.sock.recv(PEEK_BYTES, socket.MSG_PEEK)
        except OSError:
            return False
        end = data.find(b"\r\n\r\n")
        if end < 0 or end + 4 != len(data):  # partial, or more than one request: the pool's job
            return False
        request = cached_get(data[:end])
        response = self.cached_response(*request) if request else None
        if request is None or response is None:
            return False
        self.keepalived_conns.remove(conn)
        sent: int | None
        try:
            conn.sock.recv(len(data))  # the request, now answered
            sent = conn.sock.send(response)
        except BlockingIOError:  # the client's receive buffer is full
            sent = 0
        except OSError:  # the client is gone
            sent = None
        self.log_hit(request[0], len(response), started)  # after sending: the client is not kept waiting
        if sent is None:
            self.poller.unregister(conn.sock)
            self.nr_conns -= 1
            conn.close()
            return True
        if sent < len(response):  # the client reads slowly: a pool thread sends the rest
            self.poller.unregister(conn.sock)
            future = self.tpool.submit(self._send_rest, conn, memoryview(response)[sent:])
            future.add_done_callback(lambda done: self.method_queue.defer(self.finish_request, conn, done))
            return True
        conn.set_timeout()
        self.keepalived_conns.append(conn)  # still registered with the poller, now last to expire
        return True

    @staticmethod
    def _send_rest(conn: TConn, rest: Any) -> bool:
        """Send the rest of an answer (on a pool thread); whether the connection is still good."""
        with contextlib.suppress(OSError):
            conn.sock.setblocking(True)
            conn.sock.sendall(rest)
            return True
        return False
