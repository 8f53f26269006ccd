"""Who may start work on the evaluators now: each client a share, and the process a total that
leaves a server thread free for cached answers and pages. Refusals are immediate, so that a greedy
client's requests never queue in front of anyone else's."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from .evaluate import QueryFailed


class Admission:
    """At most ``per_client`` tasks of one client and ``total`` tasks in all, running or waiting
    for an evaluator, in this process (0: no limit)."""

    def __init__(self, per_client: int, total: int) -> None:
        self.per_client = per_client
        self.total = total
        self.held: Counter[str] = Counter()
        self.lock = threading.Lock()

    @contextmanager
    def admit(self, client: str) -> Iterator[None]:
        """Hold a place for ``client`` while the block runs, or raise QueryFailed: 429 when the
        client has its share, 503 when the process has its total."""
        with self.lock:
            if self.per_client and self.held[client] >= self.per_client:
                raise QueryFailed(429, f"You already have {self.held[client]} running here, as many "
                                       "queries as one client may run at once; wait for an answer before "
                                       "sending more.", retry_after=1)
            if self.total and sum(self.held.values()) >= self.total:
                raise QueryFailed(503, "The server is running as many queries as it can; try again shortly.",
                                  retry_after=1)
            self.held[client] += 1
        try:
            yield
        finally:
            with self.lock:
                self.held[client] -= 1
                if not self.held[client]:
                    del self.held[client]
