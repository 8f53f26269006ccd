"""The gunicorn worker's own path for cached answers (server/worker.py), without a server around it.

Its behaviour inside the real server is tested in test_server_process.py.
"""

from __future__ import annotations

import selectors
import socket
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.workers.gthread import PollableMethodQueue, TConn

from mineral_diplomacy.server.worker import CachedAnswerWorker, cached_get


@pytest.mark.parametrize(("head", "expected"), [
    (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: text/csv", ("query=ASK%7B%7D", "text/csv")),
    (b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x", ("query=ASK%7B%7D", "")),
    (b"POST /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x", None),
    (b"GET /sparql?query=ASK%7B%7D HTTP/1.0\r\nHost: x", None),
    (b"GET /sparql HTTP/1.1\r\nHost: x", None),
    (b"GET /health?query=x HTTP/1.1\r\nHost: x", None),
    (b"GET /sparql?query=x HTTP/1.1\r\nAccept: a\r\naccept: b", None),
    (b"GET /sparql?query=x HTTP/1.1\r\nConnection: keep-alive", None),
    (b"GET /sparql?query=x HTTP/1.1\r\nContent-Length: 3", None),
    (b"GET /sparql?query=x HTTP/1.1\r\nHost x", None),
    (b"GET  /sparql?query=x HTTP/1.1", None),
])
def test_which_requests_the_worker_may_answer_from_the_cache(head: bytes, expected: object) -> None:

    assert cached_get(head) == expected


def _worker(answer: bytes) -> Any:
    """A CachedAnswerWorker with just what its cached path touches (gunicorn sets up the rest)."""
    worker: Any = CachedAnswerWorker.__new__(CachedAnswerWorker)
    worker.cfg, worker.nr_conns, worker.alive = Config(), 1, True
    worker.poller, worker.tpool = selectors.DefaultSelector(), ThreadPoolExecutor(1)
    worker.method_queue, worker.keepalived_conns = PollableMethodQueue(), deque()
    worker.method_queue.init()
    worker.cached_response = lambda query_string, accept: answer if query_string == "query=x" else None
    worker.logged = []
    worker.log_hit = lambda request, size, started: worker.logged.append((request, size))
    return worker


def test_an_answer_too_big_for_the_socket_is_finished_by_a_pool_thread() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n\r\n" + b"x" * 3_000_000
    worker = _worker(answer)
    server_side, client = socket.socketpair()
    server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    conn = TConn(worker.cfg, server_side, "client", "server")
    conn.init()  # as after a first request on the connection
    conn.sock.setblocking(False)
    worker.keepalived_conns.append(conn)
    worker.poller.register(conn.sock, selectors.EVENT_READ, None)

    client.sendall(b"GET /sparql?query=x HTTP/1.1\r\nHost: h\r\n\r\n")
    assert worker._answer_from_cache(conn)
    assert conn not in worker.keepalived_conns  # not all sent: a pool thread has the rest
    received = b""
    while len(received) < len(answer):
        received += client.recv(1 << 20)
    worker.tpool.shutdown(wait=True)
    worker.method_queue.run_callbacks(None)  # what the poller does next: finish_request
    assert received == answer and list(worker.keepalived_conns) == [conn]  # kept alive
    assert worker.logged == [("query=x", len(answer))]  # one log line per answered query

    client.sendall(b"GET /sparql?query=y HTTP/1.1\r\nHost: h\r\n\r\n")  # not cached
    assert not worker._answer_from_cache(conn)
    assert server_side.recv(100, socket.MSG_PEEK).startswith(b"GET /sparql?query=y")  # left for the pool
    assert len(worker.logged) == 1  # the pool's application logs that one
    client.close()
    server_side.close()


def test_a_stopping_worker_leaves_cached_requests_to_gthread() -> None:
    worker = _worker(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    worker.alive = False
    handed: list[TConn] = []
    worker.enqueue_req = handed.append  # gthread's next step: the pool, which answers "close"
    server_side, client = socket.socketpair()
    conn = TConn(worker.cfg, server_side, "client", "server")
    worker.keepalived_conns.append(conn)
    worker.poller.register(conn.sock, selectors.EVENT_READ, None)
    client.sendall(b"GET /sparql?query=x HTTP/1.1\r\nHost: h\r\n\r\n")
    worker.on_client_socket_readable(conn, conn.sock)
    assert handed == [conn] and server_side.recv(100, socket.MSG_PEEK).startswith(b"GET /sparql")
    client.close()
    server_side.close()
