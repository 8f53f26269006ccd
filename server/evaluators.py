"""A pool of evaluator processes: queries run outside the server process, so they can be stopped.

pyoxigraph has no query timeout, and a thread cannot be stopped. Each worker keeps a few
long-lived evaluator processes (forked from it, so an in-memory store is shared copy-on-write; an
on-disk store is opened read-only by each evaluator and stays warm in its cache). A query is sent
to an idle evaluator; when its deadline passes, that evaluator is killed and replaced, and the
client gets a clear error, never a partial result. Other queries go on in the other evaluators.
"""

from __future__ import annotations

import contextlib
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe
from typing import Any

import pyoxigraph as ox

from ..release.layout import STORE_DIR
from .evaluate import QueryFailed
from .sandbox import confine_connections, die_with_parent, endpoint_destinations, forbid_connections
from .store import Release, release_free_memory

# What an evaluator runs: a function of the store, sent through a pipe (so picklable: a module's
# function, or functools.partial of one, with plain arguments), whose result is sent back.
StoreTask = Callable[[ox.Store], Any]

# Giving freed memory back costs time (and the next query faults it in again): only done once the
# evaluator has grown by this much since it last did.
TRIM_AFTER_GROWTH = 16 * 1024 * 1024
_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    """This process's resident memory."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * _PAGE


def _evaluate_forever(connection: Connection, release: Release) -> None:
    """The evaluator's loop: receive a task, send back its result (or its failure), until told to stop."""
    # an on-disk store gets a handle of the evaluator's own; an in-memory one is shared by fork
    store = ox.Store.read_only(str(release.path / STORE_DIR)) if release.on_disk else release.store
    trimmed_at = resident_bytes()
    while True:
        try:
            task = connection.recv()
        except EOFError:  # the server process is gone
            return
        if task is None:
            return
        try:
            outcome: Any = (200, task(store))
        except QueryFailed as failed:
            outcome = (failed.status, failed.message)
        except MemoryError:
            outcome = (503, "The query needed more memory than a query may use; simplify it.")
        except Exception as error:
            outcome = (500, f"Query evaluation failed: {error}")
        try:
            connection.send(outcome)
        except (TypeError, AttributeError, ValueError) as error:  # a result that cannot be pickled
            connection.send((500, f"Query evaluation failed: {error}"))
        if resident_bytes() > trimmed_at + TRIM_AFTER_GROWTH:  # a big query's working memory
            release_free_memory()                               # goes back to the system
            trimmed_at = resident_bytes()


def _detach_from_worker(keep: int) -> None:
    """In a new evaluator: close every file it inherited but its pipe (the worker's listening
    socket among them, so a busy evaluator of a dead worker holds no connection hostage), and
    ask the kernel to kill it when the worker that forked it dies."""
    os.closerange(3, keep)
    os.closerange(keep + 1, _max_fd())
    die_with_parent(signal.SIGKILL)  # (not Linux: the pipe's EOF still stops it)
    if os.getppid() == 1:  # the worker died before the request took effect
        os._exit(0)


def _limit_memory(memory: int) -> None:
    """Let this process's address space grow by at most ``memory`` bytes: a query that needs more
    fails (or the process stops) instead of taking the machine's memory."""
    if memory > 0:
        with open("/proc/self/statm", "rb") as statm:
            size = int(statm.read().split()[0]) * _PAGE
        resource.setrlimit(resource.RLIMIT_AS, (size + memory, size + memory))


def parser_stack(max_query_chars: int, memory: int) -> int:
    """The stack a query's thread needs so that the engine's parser cannot overflow it, whatever
    the query nests: measured, 20,000 nested groups parse and run in 256 MiB (12.8 KiB a level),
    and a query cannot nest deeper than it has characters; 16 KiB a character, at least 64 MiB, at
    most half of what an evaluator may add to its memory (the stack is reserved from it)."""
    wanted = max(64 << 20, 16 * 1024 * max_query_chars)
    return min(wanted, memory // 2) if memory > 0 else wanted


def _max_fd() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 65536


class _Evaluator:
    """One evaluator process and the parent's end of its pipe.

    Forked with os.fork and kept minimal on the child's side (no multiprocessing bootstrap, no
    logging), because the server process may have other threads running when it forks.
    """

    def __init__(self, release: Release, memory: int, endpoints: frozenset[str], stack: int) -> None:
        self.connection, child = Pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the evaluator: whatever happens, it never returns into the worker's code
            try:
                self.connection.close()
                _detach_from_worker(child.fileno())
                _limit_memory(memory)
                if not endpoints:  # no SERVICE endpoint is allowed: the kernel refuses every connection
                    forbid_connections()
                else:  # connections only to the allow-listed endpoints, whatever the query says
                    confine_connections(endpoint_destinations(endpoints))
                # on a thread whose stack holds the parser's deepest recursion (see ``parser_stack``)
                threading.stack_size(stack)
                evaluating = threading.Thread(target=_evaluate_forever, args=(child, release))
                evaluating.start()
                evaluating.join()
            except BaseException as error:  # the worker sees it die: "no evaluator could be started"
                os.write(2, f"query evaluator {os.getpid()} could not start: {error}\n".encode())
            finally:
                os._exit(0)
        child.close()

    def stop(self, kill: bool = False) -> None:
        if not kill:
            with contextlib.suppress(OSError):
                self.connection.send(None)
        deadline = time.monotonic() + (0 if kill else 5)
        while time.monotonic() < deadline and os.waitpid(self.pid, os.WNOHANG) == (0, 0):
            time.sleep(0.01)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.connection.close()


# Every evaluator is forked by one thread that lives as long as its process: the kernel's
# parent-death signal follows the thread that forked a process, not the process.
Spawns = queue.Queue[tuple[Callable[[], "_Evaluator"], queue.Queue[Any]]]
_spawner: tuple[int, Spawns] | None = None
_spawner_lock = threading.Lock()


def _spawn(start: Callable[[], _Evaluator]) -> _Evaluator:
    """``start()`` run on this process's spawner thread (started on first use)."""
    global _spawner
    with _spawner_lock:
        if _spawner is None or _spawner[0] != os.getpid():  # none yet, or one of the parent's
            requests: Spawns = queue.Queue()
            threading.Thread(target=_serve_spawns, args=(requests,), name="evaluator-spawner",
                             daemon=True).start()
            _spawner = (os.getpid(), requests)
        requests = _spawner[1]
    reply: queue.Queue[Any] = queue.Queue(maxsize=1)
    requests.put((start, reply))
    result = reply.get()
    if isinstance(result, BaseException):
        raise result
    return result


def _serve_spawns(requests: Spawns) -> None:
    while True:
        start, reply = requests.get()
        try:
            reply.put(start())
        except BaseException as error:  # re-raised by the thread that asked
            reply.put(error)


class EvaluatorPool:
    """The evaluator processes of a worker (of its release), shared by its threads."""

    def __init__(self, release: Release, size: int, memory: int = 0,
                 endpoints: frozenset[str] = frozenset(), stack: int = 64 << 20,
                 preempt_after: float = 0.0) -> None:
        self.release = release
        self.memory = memory  # bytes each evaluator may add to its address space (0: no limit)
        self.endpoints = endpoints  # the SERVICE endpoints evaluators may reach (none: no connection)
        self.stack = stack  # bytes of stack for the thread that parses and evaluates queries
        # under contention, a query that has run this long is stopped for one that waits (0: never)
        self.preempt_after = preempt_after
        self.busy: dict[_Evaluator, float] = {}  # when each busy evaluator took its query
        self.preempted: set[_Evaluator] = set()
        # last in, first out: the evaluator used last has the data in its CPU caches (each one has
        # its own copy of what it touched), so one after another, queries go to the same evaluator
        self.idle: queue.LifoQueue[_Evaluator] = queue.LifoQueue()
        self.lock = threading.Lock()
        self.all: list[_Evaluator] = []
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        evaluator = _spawn(lambda: _Evaluator(self.release, self.memory, self.endpoints, self.stack))
        with self.lock:
            self.all.append(evaluator)
        self.idle.put(evaluator)

    def run(self, task: StoreTask, timeout: float, queue_wait: float,
            gone: Callable[[], bool] | None = None) -> Any:
        """``task(store)`` within ``timeout`` seconds, or raise QueryFailed (503 when stopped).

        A query waits at most ``queue_wait`` seconds for a free evaluator (then 503 with
        Retry-After), so that waiting queries do not hold the server's threads. An evaluator that
        died while idle is replaced and the job goes to another; one that dies while answering is
        replaced and the client gets 503."""
        deadline = time.monotonic() + timeout
        for _ in range(len(self.all) + 1):
            evaluator = self._take(max(0.0, min(queue_wait, deadline - time.monotonic())), queue_wait)
            try:
                evaluator.connection.send(task)
                with self.lock:
                    self.busy[evaluator] = time.monotonic()
                break
            except OSError:  # it died while idle
                self._replace(evaluator)
        else:
            raise QueryFailed(503, "No query evaluator could be started; try again.")
        if not self._answered(evaluator, deadline, gone):
            self._replace(evaluator)
            if gone is not None and gone():
                raise QueryFailed(499, "The client closed the connection; its query was stopped.")
            raise QueryFailed(
                503,
                f"The query was stopped after {timeout:g} s, the time limit. "
                "Simplify it, or ask for a longer limit with the 'timeout' parameter "
                "(up to the server's maximum).",
            )
        try:
            status, outcome = evaluator.connection.recv()
        except (EOFError, OSError):
            if evaluator in self.preempted:
                ran = time.monotonic() - self.busy.get(evaluator, time.monotonic())
                self._replace(evaluator)
                raise QueryFailed(503, f"The query was stopped after {ran:.1f} s to let queries waiting "
                                       "behind it run (the server is busy); try again.",
                                  retry_after=1) from None
            self._replace(evaluator)
            limit = f" (a query may use {self.memory >> 20} MB of memory)" if self.memory else ""
            raise QueryFailed(503, f"The query's evaluator stopped while answering it{limit}; simplify the "
                                   "query or try again.") from None
        self._release(evaluator)
        if status != 200:
            raise QueryFailed(status, outcome)
        return outcome

    @staticmethod
    def _answered(evaluator: _Evaluator, deadline: float, gone: Callable[[], bool] | None) -> bool:
        """Wait for the evaluator's answer until ``deadline``; False if none came (time is up, or
        the client that asked has closed its connection, checked four times a second)."""
        while (remaining := deadline - time.monotonic()) > 0:
            if evaluator.connection.poll(min(remaining, 0.25) if gone else remaining):
                return True
            if gone is not None and gone():
                return False
        return evaluator.connection.poll(0)

    def _take(self, wait: float, queue_wait: float) -> _Evaluator:
        """A free evaluator, waiting at most ``wait`` seconds; meanwhile, if preemption is on, the
        query that has run longest (at least ``preempt_after`` seconds) is stopped to free one."""
        give_up = time.monotonic() + wait
        while (remaining := give_up - time.monotonic()) > 0:
            try:
                return self.idle.get(timeout=min(remaining, 0.1) if self.preempt_after else remaining)
            except queue.Empty:
                if self.preempt_after:
                    self._preempt()
        raise QueryFailed(503, f"Every query evaluator is busy (waited {queue_wait:g} s); try again "
                               "shortly.", retry_after=max(1, round(queue_wait)))

    def _preempt(self) -> None:
        """Stop the query that has run longest, if it has run ``preempt_after`` seconds (its
        evaluator is killed; the thread waiting for it answers 503 and replaces it)."""
        now = time.monotonic()
        with self.lock:
            running = [(started, e) for e, started in self.busy.items()
                       if e not in self.preempted and now - started >= self.preempt_after]
            if not running:
                return
            victim = min(running, key=lambda pair: pair[0])[1]
            self.preempted.add(victim)
        with contextlib.suppress(ProcessLookupError):
            os.kill(victim.pid, signal.SIGKILL)

    def _release(self, evaluator: _Evaluator) -> None:
        """An evaluator's query is done: it waits for the next one."""
        with self.lock:
            self.busy.pop(evaluator, None)
        self.idle.put(evaluator)

    def _forget(self, evaluator: _Evaluator) -> None:
        with self.lock:
            self.busy.pop(evaluator, None)
            self.preempted.discard(evaluator)
            if evaluator in self.all:
                self.all.remove(evaluator)

    def _replace(self, evaluator: _Evaluator) -> None:
        evaluator.stop(kill=True)
        self._forget(evaluator)
        self._add()

    def close(self) -> None:
        """Stop every evaluator (they also die with the worker that started them)."""
        with self.lock:
            evaluators, self.all = self.all, []
        for evaluator in evaluators:
            evaluator.stop()
