"""What the running application holds: its settings, the release being served, the answers kept,
the query evaluators and the statistics of the release, as one typed object."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..graph import BUILD_DIR
from ..queries.catalogue import Question, load_questions
from .admission import Admission
from .description import GraphStatistics, LinksetStatistics, statistics_and_linksets
from .evaluate import ResultCache
from .evaluators import EvaluatorPool, StoreTask, parser_stack
from .protocol import Limits
from .store import Release, ReleaseHolder

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
    preempt_after: float = 0.5
    query_memory_bytes: int = 2 << 30  # what an evaluator's memory may grow by (0: no limit)
    threads: int = 8  # the server threads of a process (gunicorn's, from the same variable)
    client_queries: int = 1  # queries one client may have running or waiting in a process (0: any)
    proxies: int = 0  # how many trusted proxies in front add X-Forwarded-For (the client's address)
    service_allowlist: frozenset[str] = field(default_factory=frozenset)
    # the address clients use, for the URLs the server writes (VoID, the reconciliation manifest);
    # never taken from a request's Host header. Default: where `serve` listens.
    public_url: str = ""

    @classmethod
    def from_environment(cls) -> ServerConfig:
        env = os.environ.get
        allow = env("MINERAL_DIPLOMACY_SERVICE_ALLOWLIST", "")
        return cls(
            build_dir=Path(env("MINERAL_DIPLOMACY_BUILD_DIR", str(BUILD_DIR))),
            default_timeout=float(env("MINERAL_DIPLOMACY_TIMEOUT", "10")),
            max_timeout=float(env("MINERAL_DIPLOMACY_MAX_TIMEOUT", "60")),
            max_result_bytes=int(env("MINERAL_DIPLOMACY_MAX_RESULT_BYTES", str(32 * 1024 * 1024))),
            cache_bytes=int(env("MINERAL_DIPLOMACY_CACHE_BYTES", str(64 * 1024 * 1024))),
            max_age=int(env("MINERAL_DIPLOMACY_MAX_AGE", "60")),
            evaluators=int(env("MINERAL_DIPLOMACY_EVALUATORS", "2")),
            queue_wait=float(env("MINERAL_DIPLOMACY_QUEUE_WAIT", "2")),
            preempt_after=float(env("MINERAL_DIPLOMACY_PREEMPT_AFTER", "0.5")),
            query_memory_bytes=int(env("MINERAL_DIPLOMACY_QUERY_MEMORY_MB", "2048")) << 20,
            threads=int(env("MINERAL_DIPLOMACY_THREADS", "8")),
            client_queries=int(env("MINERAL_DIPLOMACY_CLIENT_QUERIES", "1")),
            proxies=int(env("MINERAL_DIPLOMACY_PROXIES", "0")),
            service_allowlist=frozenset(a for a in allow.split(",") if a.strip()),
            public_url=env("MINERAL_DIPLOMACY_PUBLIC_URL", ""),
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
    """The application's state: one per process (gunicorn forks it into each worker)."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.holder = ReleaseHolder(config.build_dir)
        self.answers = ResultCache(config.cache_bytes)  # by parsed query, behind the request cache
        self.questions: list[Question] = load_questions()
        # one server thread always stays free of queries, for cached answers and pages
        self.admission = Admission(config.client_queries, max(1, config.threads - 1))
        self._pool: EvaluatorPool | None = None
        self._pool_lock = threading.Lock()
        self._statistics: tuple[str, tuple[Statistics, list[LinksetStatistics]]] | None = None

    def evaluators(self, release: Release) -> EvaluatorPool:
        """The evaluators of the release being served, started on first use; those of an older
        release retire (a query that began on the older release is answered by the newer one's)."""
        with self._pool_lock:
            other = self._pool is not None and self._pool.release.name != release.name
            if self._pool is None or (other and release is self.holder.release):
                if self._pool is not None:
                    self._pool.close()
                config = self.config
                self._pool = EvaluatorPool(release, config.evaluators, config.query_memory_bytes,
                                           endpoints=config.service_allowlist,
                                           preempt_after=config.preempt_after,
                                           stack=parser_stack(config.max_query_chars,
                                                              config.query_memory_bytes))
            return self._pool

    def run(self, task: StoreTask, client: str, timeout: float | None = None,
            gone: Callable[[], bool] | None = None) -> Any:
        """``task(store)`` on an evaluator of the release being served, within ``timeout`` seconds
        (default: the server's), if ``client`` has a place (else QueryFailed 429 or 503); stopped
        early if ``gone()`` says the client has closed its connection."""
        with self.admission.admit(client):
            return self.evaluators(self.holder.get()).run(task, timeout or self.config.default_timeout,
                                                          self.config.queue_wait, gone)

    def start_evaluators(self) -> None:
        """Start the evaluators now (gunicorn's post_fork hook: before the worker starts threads)."""
        self.evaluators(self.holder.get())

    def statistics(self, client: str) -> tuple[Statistics, list[LinksetStatistics]]:
        """The VoID statistics and linksets of the release being served, computed once per release
        by an evaluator (on ``client``'s account, within the longest time limit)."""
        release = self.holder.get()
        if self._statistics is None or self._statistics[0] != release.name:
            counted = self.run(statistics_and_linksets, client, self.config.max_timeout)
            self._statistics = (release.name, counted)
        return self._statistics[1]
