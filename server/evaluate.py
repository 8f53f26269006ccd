"""Evaluating one query: parse, run, and serialise with pyoxigraph's own writers into a buffer
capped in bytes. Where it runs (an evaluator process that can
be killed at the deadline) is ``evaluators.py``'s job.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from .negotiation import GRAPH_FORMATS, RESULT_FORMATS, Format, NotAcceptable, choose
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

    def digest(self) -> str:
        """What identifies the answer within a release (its cache key and its ETag's tail)."""
        parts = [self.query, self.default_graphs, self.named_graphs, self.accept, self.formats, self.base_iri]
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Answer:
    """A finished query: the body and its media type."""

    body: bytes
    media_type: str
    federated: bool = False  # the engine reached another endpoint for it (never kept)


class QueryFailed(Exception):
    """The query could not be answered; ``status`` is the HTTP status to send."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after  # seconds, for a 503 the client may simply retry


def too_large(max_bytes: int) -> QueryFailed:
    """The failure of a result past the server's cap."""
    return QueryFailed(422, f"The result is larger than the server's cap of {max_bytes} bytes and was not "
                            "sent. Add LIMIT and OFFSET to the query to fetch it in pages.")


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
    fmt = negotiated(job, graph=isinstance(result, ox.QueryTriples))
    try:
        body = serialised(lambda output: result.serialize(output, fmt.writer), max_bytes)  # type: ignore[arg-type]
    except (OSError, ValueError, RuntimeError) as error:
        raise QueryFailed(400, f"The query could not be evaluated: {error}") from None
    return Answer(body, fmt.media_type, federated=connections_let_through() != reached)


def negotiated(job: QueryJob, graph: bool) -> Format:
    """The format the job's Accept header and format parameters choose for a graph or for results
    (else QueryFailed 406)."""
    try:
        return choose(GRAPH_FORMATS if graph else RESULT_FORMATS, parse_accept_header(job.accept, MIMEAccept),
                      job.formats)
    except NotAcceptable as error:
        raise QueryFailed(406, str(error)) from None


def serialised(write: Callable[[io.RawIOBase], object], max_bytes: int) -> bytes:
    """What ``write`` writes to a buffer capped at ``max_bytes`` (past it: QueryFailed 422)."""
    output = _CappedBuffer(max_bytes)
    try:
        write(output)
    except OverflowError:
        raise too_large(max_bytes) from None
    return output.buffer.getvalue()
