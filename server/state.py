"""What a worker holds: its settings, the release it serves, the answers kept, the query
evaluators and the statistics of the release, as one typed object."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from flask import Flask

from ..graph import BUILD_DIR
from ..ontology.namespaces import PREFIXES
from ..queries.catalogue import Question, load_questions
from ..release.store import named_quads
from .description import GraphStatistics, LinksetStatistics, statistics_and_linksets
from .engine import RemoteEngine
from .evaluate import Answer, QueryFailed, QueryJob, run_query
from .evaluators import EvaluatorPool, StoreTask, parser_stack
from .protocol import Limits
from .reconcile import DEFAULT_TYPES, on_index
from .store import Release, load_current

EXTENSION = "mineral_diplomacy"  # the application's key in ``app.extensions``
Statistics = tuple[GraphStatistics, list[GraphStatistics]]  # the whole dataset, and each graph


@dataclass(frozen=True)
class ServerConfig:
    """Settings, from MINERAL_DIPLOMACY_* environment variables or defaults."""

    build_dir: Path = BUILD_DIR
    default_timeout: float = 10.0
    max_timeout: float = 60.0
    max_query_chars: int = 20_000
    max_request_bytes: int = 64 * 1024
    max_result_bytes: int = 32 * 1024 * 1024
    cache_bytes: int = 64 * 1024 * 1024
    max_age: int = 60  # seconds a client or proxy may reuse a query's answer without asking again
    evaluators: int = 2
    queue_wait: float = 2.0  # how long a query may wait for a free evaluator before a 503
    # while a query waits, one that has run this long is stopped (503) to free its evaluator (0: never)
    preempt_after: float = 0.3
    query_memory_bytes: int = 2 << 30  # what an evaluator's memory may grow by (0: no limit)
    threads: int = 16  # the server threads of a process (gunicorn's, from the same variable)
    service_allowlist: frozenset[str] = field(default_factory=frozenset)
    # the address clients use, for the URLs the server writes (VoID, the reconciliation manifest);
    # never taken from a request's Host header. Default: where `serve` listens.
    public_url: str = ""
    # the SPARQL endpoint (its query URL) of another engine that holds the release and answers
    # /sparql; "" for the embedded evaluators
    engine: str = ""

    @classmethod
    def from_environment(cls) -> ServerConfig:
        env = os.environ.get
        allow = env("MINERAL_DIPLOMACY_SERVICE_ALLOWLIST", "")
        engine = env("MINERAL_DIPLOMACY_ENGINE", "")
        return cls(
            build_dir=Path(env("MINERAL_DIPLOMACY_BUILD_DIR", str(BUILD_DIR))),
            default_timeout=float(env("MINERAL_DIPLOMACY_TIMEOUT", "10")),
            max_timeout=float(env("MINERAL_DIPLOMACY_MAX_TIMEOUT", "60")),
            max_result_bytes=int(env("MINERAL_DIPLOMACY_MAX_RESULT_BYTES", str(32 * 1024 * 1024))),
            cache_bytes=int(env("MINERAL_DIPLOMACY_CACHE_BYTES", str(64 * 1024 * 1024))),
            max_age=int(env("MINERAL_DIPLOMACY_MAX_AGE", "60")),
            evaluators=int(env("MINERAL_DIPLOMACY_EVALUATORS", "2")),
            queue_wait=float(env("MINERAL_DIPLOMACY_QUEUE_WAIT", "2")),
            preempt_after=float(env("MINERAL_DIPLOMACY_PREEMPT_AFTER", "0.3")),
            query_memory_bytes=int(env("MINERAL_DIPLOMACY_QUERY_MEMORY_MB", "2048")) << 20,
            threads=int(env("MINERAL_DIPLOMACY_THREADS", "16")),
            service_allowlist=frozenset(a.strip() for a in allow.split(",") if a.strip()),
            public_url=env("MINERAL_DIPLOMACY_PUBLIC_URL", ""),
            engine="" if engine == "embedded" else engine,
        )

    @property
    def root_url(self) -> str:
        """The public URL of the site's root, ending in '/'."""
        default = f"http://127.0.0.1:{os.environ.get('MINERAL_DIPLOMACY_PORT', '8765')}/"
        return (self.public_url or default).rstrip("/") + "/"

    @property
    def limits(self) -> Limits:
        return Limits(self.default_timeout, self.max_timeout, self.max_query_chars, self.max_result_bytes)


class ServerState:
    """A worker's state: its release (loaded when the worker starts, served for its whole life),
    its evaluators, and the answers kept."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.release: Release = load_current(config.build_dir)
        # answers by the digest of their job (the release never changes in a worker), least
        # recently used dropped first, counted in bytes of body
        self.answers: LRUCache[str, Answer] = LRUCache(config.cache_bytes, getsizeof=lambda a: len(a.body))
        self.questions: list[Question] = load_questions()
        # queries running or waiting here: one server thread always stays free of them, for cached
        # answers and pages (the per-client share is the front's: nginx's limit_conn)
        self.places = threading.BoundedSemaphore(max(1, config.threads - 1))
        self._pool: EvaluatorPool | None = None
        self.engine = RemoteEngine(config.engine, config.max_result_bytes) if config.engine else None
        self._named_quads: int | None = None
        self._lock = threading.Lock()  # the answers'
        self._pool_lock = threading.Lock()
        self._statistics: tuple[Statistics, list[LinksetStatistics]] | None = None

    @property
    def evaluators(self) -> EvaluatorPool:
        """The worker's evaluators, started on first use."""
        with self._pool_lock:
            if self._pool is None:
                config = self.config
                self._pool = EvaluatorPool(self.release, config.evaluators, config.query_memory_bytes,
                                           endpoints=config.service_allowlist,
                                           preempt_after=config.preempt_after,
                                           stack=parser_stack(config.max_query_chars,
                                                              config.query_memory_bytes))
            return self._pool

    def kept(self, key: str) -> Answer | None:
        """The answer kept under ``key``, if any."""
        with self._lock:  # cachetools' caches are not thread-safe
            return self.answers.get(key)

    def keep(self, key: str, answer: Answer) -> None:
        """Keep an answer (one larger than the whole cache is not kept)."""
        with self._lock:
            if len(answer.body) <= self.answers.maxsize // 4:
                self.answers[key] = answer

    def start_evaluators(self) -> None:
        """Start the evaluators now (gunicorn's post_worker_init hook: before the worker starts
        threads). An in-memory release's reconciliation index is built first, here, so that every
        evaluator forked from this worker (a replacement too) has it, shared, instead of building
        its own on its first reconciliation request."""
        if not self.release.on_disk:
            on_index(self.release.store, "type_list", (DEFAULT_TYPES,))
        assert self.evaluators

    def run(self, task: StoreTask, timeout: float | None = None,
            gone: Callable[[], bool] | None = None) -> Any:
        """``task(store)`` on an evaluator within ``timeout`` seconds (default: the server's), if
        the worker has a place for it (else QueryFailed 503); stopped early if ``gone()`` says the
        client has closed its connection."""
        with self._place():
            return self.evaluators.run(task, timeout or self.config.default_timeout,
                                       self.config.queue_wait, gone)

    def answer(self, job: QueryJob, timeout: float, gone: Callable[[], bool] | None = None) -> Answer:
        """The answer to a query job: from the engine the server was given, else from an evaluator."""
        if self.engine is None:
            return self.run(partial(run_query, job=job, prefixes=PREFIXES,
                                    max_bytes=self.config.max_result_bytes), timeout, gone)
        with self._place():
            deadline = time.monotonic() + timeout  # one for both requests
            if self._named_quads is None:  # the release's own count, once (a file may repeat a line)
                self._named_quads = named_quads(self.release.store)
            self.engine.check_holds(self._named_quads, deadline)
            return self.engine.answer(job, deadline)

    @contextlib.contextmanager
    def _place(self) -> Iterator[None]:
        """A place for a query in this worker (else QueryFailed 503), for as long as it runs."""
        if not self.places.acquire(blocking=False):
            raise QueryFailed(503, "The server is running as many queries as it can; try again shortly.",
                              retry_after=1)
        try:
            yield
        finally:
            self.places.release()

    def statistics(self) -> tuple[Statistics, list[LinksetStatistics]]:
        """The VoID statistics and linksets of the release, computed once by an evaluator (within
        the longest time limit)."""
        if self._statistics is None:
            self._statistics = self.run(statistics_and_linksets, self.config.max_timeout)
        return self._statistics



def server_state(app: Flask) -> ServerState:
    """The state of an application made by ``create_app``."""
    state = app.extensions[EXTENSION]
    assert isinstance(state, ServerState)
    return state
