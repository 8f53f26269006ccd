"""Evaluating one query: parse, run, and serialise with pyoxigraph's own writers into a buffer
capped in bytes; plus the per-build cache of answers. Where it runs (an evaluator process that can
be killed at the deadline) is ``evaluators.py``'s job.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .negotiation import GRAPH_FORMATS, RESULT_FORMATS, NotAcceptable, choose
from .sandbox import connections_let_through


@dataclass(frozen=True)
class QueryJob:
    """What to evaluate and how to answer."""

    query: str
    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]
    accept: str
    formats: tuple[str, ...] = ()  # what the format (or output) parameters name
    base_iri: str | None = None  # relative IRIs in the query resolve against it (the endpoint's URL)

    def cache_key(self) -> tuple[Any, ...]:
        return (self.query, self.default_graphs, self.named_graphs, self.accept, self.formats, self.base_iri)


@dataclass(frozen=True)
class Answer:
    """A finished query: the body and its media type."""

    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()  # extra response headers, for a cached response
    federated: bool = False  # the engine reached another endpoint for it (never kept)


class QueryFailed(Exception):
    """The query could not be answered; ``status`` is the HTTP status to send."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after  # seconds, for a 503 the client may simply retry


class _CappedBuffer(io.RawIOBase):
    """A bytes buffer that refuses to grow past a limit."""

    def __init__(self, limit: int) -> None:
        self.buffer = io.BytesIO()
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.buffer.tell() + len(data) > self.limit:
            raise OverflowError
        return self.buffer.write(data)


def _dataset_arguments(job: QueryJob) -> dict[str, Any]:
    """pyoxigraph arguments for the protocol's default-graph-uri and named-graph-uri. Given either,
    the dataset is exactly what they name (none given of one kind: none of that kind); given
    neither, the query's FROM and FROM NAMED, or else the store's default graph (the merge of all
    graphs) and every named graph."""
    if not job.default_graphs and not job.named_graphs:
        return {}
    return {"default_graph": [ox.NamedNode(g) for g in job.default_graphs],
            "named_graphs": [ox.NamedNode(g) for g in job.named_graphs]}


def run_query(store: ox.Store, job: QueryJob, prefixes: dict[str, str], max_bytes: int) -> Answer:
    """Evaluate and serialise in this process (the child's work). Raises QueryFailed."""
    reached = connections_let_through()
    try:
        result = store.query(job.query, prefixes=prefixes, base_iri=job.base_iri, **_dataset_arguments(job))
    except SyntaxError as error:
        raise QueryFailed(400, f"Malformed query: {error}") from None
    except (OSError, ValueError, RuntimeError) as error:
        raise QueryFailed(400, f"The query could not be evaluated: {error}") from None
    formats = GRAPH_FORMATS if isinstance(result, ox.QueryTriples) else RESULT_FORMATS
    try:
        fmt = choose(formats, parse_accept_header(job.accept, MIMEAccept), job.formats)
    except NotAcceptable as error:
        raise QueryFailed(406, str(error)) from None
    output = _CappedBuffer(max_bytes)
    try:
        result.serialize(output, fmt.writer)  # type: ignore[arg-type]
    except OverflowError:
        raise QueryFailed(
            422,
            f"The result is larger than the server's cap of {max_bytes} bytes and was not sent. "
            "Add LIMIT and OFFSET to the query to fetch it in pages.",
        ) from None
    except (OSError, ValueError, RuntimeError) as error:
        raise QueryFailed(400, f"The query could not be evaluated: {error}") from None
    return Answer(output.buffer.getvalue(), fmt.media_type,
                  federated=connections_let_through() != reached)


class ResultCache:
    """Answers kept per build (the data is read-only), least recently used dropped first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[tuple[Any, ...], Answer] = OrderedDict()
        self.lock = threading.Lock()  # a worker's threads share it

    def get(self, key: tuple[Any, ...]) -> Answer | None:
        with self.lock:
            answer = self.entries.get(key)
            if answer is not None:
                self.entries.move_to_end(key)
            return answer

    def put(self, key: tuple[Any, ...], answer: Answer) -> None:
        """Keep an answer; what it takes is its body and its key (which may hold a request body)."""
        size = len(answer.body) + footprint(key)
        if size > self.max_bytes // 4:
            return
        with self.lock:
            previous = self.entries.pop(key, None)
            self.size -= len(previous.body) + footprint(key) if previous else 0
            self.entries[key] = answer
            self.size += size
            while self.size > self.max_bytes:
                dropped_key, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped.body) + footprint(dropped_key)


def footprint(key: object) -> int:
    """About how many bytes a cache key holds: the length of its strings, 8 for anything else."""
    if isinstance(key, str | bytes):
        return len(key)
    if isinstance(key, tuple):
        return sum(footprint(part) for part in key)
    return 8
