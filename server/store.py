"""The embedded store: a published release loaded into pyoxigraph, queried with SPARQL 1.1.

The default graph is the RDF merge of all named graphs (every distinct triple once, as Fuseki's
union default graph), so a query sees every fact and counts each once; ``GRAPH`` patterns still
reach each record's graph and its provenance, and FROM / FROM NAMED pick graphs.
``ReleaseHolder`` serves one release and switches to a newer one only once it has loaded: a
failed or half-written build never replaces the graph being served.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..ontology.namespaces import PREFIXES

Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | None]
log = logging.getLogger("mineral_diplomacy.server")


# Above this many quads a release is served from an on-disk store (RocksDB, opened read-only by
# every process) instead of memory: pyoxigraph's in-memory store is copied page by page into each
# worker and query process that reads it, while on-disk pages are shared through the page cache.
DISK_STORE_QUADS = 200_000
STORE_DIR = "store"


def count_quads(release: Path) -> int:
    """How many quads the release's N-Quads file holds (one per line)."""
    with (release / "dataset.nq").open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def store_mode() -> str:
    """'memory', 'disk' or 'auto' (by size), from MINERAL_DIPLOMACY_STORE."""
    mode = os.environ.get("MINERAL_DIPLOMACY_STORE", "auto")
    return mode if mode in ("memory", "disk", "auto") else "auto"


def prepare_store(release: Path) -> None:
    """Build the on-disk store of a release folder when it is to be served from disk.

    pyoxigraph's bulk loader works on one core; the N-Quads file is cut at line ends into one
    part per core, loaded side by side into the same store. (A file with blank nodes is loaded
    whole: their labels are scoped to one document.)
    """
    mode = store_mode()
    if mode == "memory" or (mode == "auto" and count_quads(release) <= DISK_STORE_QUADS):
        return
    data = (release / "dataset.nq").read_bytes()
    parts = line_parts(data, 1 if b"_:" in data else min(os.cpu_count() or 1, 4))
    store = ox.Store(str(release / STORE_DIR))
    failures: list[BaseException] = []

    def load(part: memoryview) -> None:
        try:
            store.bulk_load(input=bytes(part), format=ox.RdfFormat.N_QUADS)
        except BaseException as error:  # re-raised below, in the publishing thread
            failures.append(error)

    loaders = [threading.Thread(target=load, args=(part,)) for part in parts]
    for loader in loaders:
        loader.start()
    for loader in loaders:
        loader.join()
    if failures:
        raise failures[0]
    merge_into_default_graph(store, release)
    store.flush()  # the store closes when this returns, before any process opens it read-only


def line_parts(data: bytes, count: int) -> list[memoryview]:
    """``data`` cut into at most ``count`` parts of about equal size, each ending at a line end."""
    view, parts, start = memoryview(data), [], 0
    for index in range(1, count):
        cut = data.find(b"\n", max(start, len(data) * index // count)) + 1
        if cut <= 0:
            break
        parts.append(view[start:cut])
        start = cut
    parts.append(view[start:])
    return [part for part in parts if len(part)]


def serves_from_disk(release: Path) -> bool:
    """Whether the release is served from its on-disk store."""
    return (release / STORE_DIR).is_dir() and store_mode() != "memory"


def merge_into_default_graph(store: ox.Store, release: Path) -> None:
    """Make the store's default graph the RDF merge of the release's named graphs: every distinct
    triple once (a set, as Fuseki's union default graph), so that counts count triples, and a
    query's FROM and FROM NAMED (or the protocol's graph parameters) can still pick graphs."""
    quads = ox.parse(path=str(release / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)


def load_store(release: Path) -> ox.Store:
    """The release's store: its on-disk store opened read-only if it has one, else in memory."""
    if serves_from_disk(release):
        return ox.Store.read_only(str(release / STORE_DIR))
    store = ox.Store()
    store.bulk_load(path=str(release / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    merge_into_default_graph(store, release)
    return store


def select(store: ox.Store, query: str) -> tuple[list[str], list[Row]]:
    """Run a SELECT query (the default graph is the merge of all graphs): its variable names and rows."""
    solutions = store.query(query, prefixes=PREFIXES)
    if not isinstance(solutions, ox.QuerySolutions):
        raise ValueError("not a SELECT query")
    names = [v.value for v in solutions.variables]
    return names, [{name: solution[name] for name in names} for solution in solutions]


def ask(store: ox.Store, query: str) -> bool:
    """Run an ASK query (the default graph is the merge of all graphs)."""
    result = store.query(query, prefixes=PREFIXES)
    if not isinstance(result, ox.QueryBoolean):
        raise ValueError("not an ASK query")
    return bool(result)


def text(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    """A term as plain text: an IRI, or a literal's lexical form ('' when unbound)."""
    return "" if term is None else str(term.value)


@dataclass
class Release:
    """A loaded release: its folder, its store, and when it was loaded."""

    path: Path
    store: ox.Store
    quads: int
    on_disk: bool
    loaded_at: float = field(default_factory=time.time)
    load_seconds: float = 0.0

    @property
    def name(self) -> str:
        return self.path.name


def load_release(path: Path) -> Release:
    """Load one release folder."""
    started = time.perf_counter()
    store = load_store(path)
    release_free_memory()
    return Release(path, store, count_quads(path), serves_from_disk(path),
                   load_seconds=time.perf_counter() - started)


def release_free_memory() -> None:
    """Give the memory the bulk load used and freed back to the system (glibc keeps it otherwise,
    and every forked process would carry it)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class ReleaseHolder:
    """The release being served; looks for a newer ``current`` at most every ``interval`` s."""

    def __init__(self, build_dir: Path, interval: float = 2.0) -> None:
        self.build_dir = build_dir
        self.interval = interval
        self._checked = 0.0
        self.release = self._load_current()

    def _resolve(self) -> Path:
        link = self.build_dir / "current"
        if not link.exists():
            raise FileNotFoundError(
                f"No published build in {self.build_dir}: run 'mineral-diplomacy build' first."
            )
        return link.resolve()

    def _load_current(self) -> Release:
        self._checked = time.monotonic()
        return load_release(self._resolve())

    def current_unchecked(self) -> Release | None:
        """The release being served, or None when it is time to look for a newer one (which
        ``get`` does, and may take as long as a load)."""
        return self.release if time.monotonic() - self._checked < self.interval else None

    def get(self) -> Release:
        """The release to answer with, switching to a newer published one when there is one."""
        now = time.monotonic()
        if now - self._checked < self.interval:
            return self.release
        self._checked = now
        try:
            path = self._resolve()
            if path != self.release.path:
                self.release = load_release(path)
                log.info("serving release %s", self.release.name)
        except (OSError, ValueError) as error:  # keep serving what we have
            log.warning("kept release %s: %s", self.release.name, error)
        return self.release
