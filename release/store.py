"""A release loaded into pyoxigraph and queried with SPARQL 1.1: in memory, or from the on-disk
store the build makes for a large release.

The default graph is the RDF merge of all named graphs (every distinct triple once, as Fuseki's
union default graph), so a query sees every fact and counts each once; ``GRAPH`` patterns still
reach each record's graph and its provenance, and FROM / FROM NAMED pick graphs.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

import pyoxigraph as ox

from ..ontology.namespaces import PREFIXES
from .layout import STORE_DIR, count_quads

Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | None]
log = logging.getLogger("mineral_diplomacy.server")


# Above this many quads a release is served from an on-disk store (RocksDB, opened read-only by
# every process) instead of memory: pyoxigraph's in-memory store is copied page by page into each
# worker and query process that reads it, while on-disk pages are shared through the page cache.
DISK_STORE_QUADS = 200_000


def store_mode() -> str:
    """'memory', 'disk' or 'auto' (by size), from MINERAL_DIPLOMACY_STORE."""
    mode = os.environ.get("MINERAL_DIPLOMACY_STORE", "auto")
    return mode if mode in ("memory", "disk", "auto") else "auto"


def prepare_store(release: Path) -> None:
    """Build the on-disk store of a release folder when it is to be served from disk."""
    mode = store_mode()
    if mode == "memory" or (mode == "auto" and count_quads(release) <= DISK_STORE_QUADS):
        return
    store = ox.Store(str(release / STORE_DIR))
    fill(store, release)
    store.flush()  # the store closes when this returns, before any process opens it read-only


# The graph IRI that ends an N-Quads line, before the final " ."
GRAPH_TERM = re.compile(rb" <[^<>\"\s]*> \.$", re.M)


def fill(store: ox.Store, release: Path) -> None:
    """Load the release's quads, and make the default graph the RDF merge of its named graphs:
    every distinct triple once (a set, as Fuseki's union default graph), so that counts count
    triples, and a query's FROM and FROM NAMED (or the protocol's graph parameters) can still
    pick graphs.

    pyoxigraph's bulk loader uses one core, so the N-Quads file is cut at line ends into one part
    per core (at most four), loaded side by side as quads; then the same parts, their graph IRIs
    cut off, side by side as triples of the default graph (the loader keeps each triple once).
    That reading of a line holds when every line names its graph, as the build writes them: when
    the default graph holds triples after the first load, or the file has blank nodes (their
    labels are scoped to one document, so the file is loaded whole), the merge is made from the
    parsed quads instead."""
    data = (release / "dataset.nq").read_bytes()
    whole = b"_:" in data
    parts = line_parts(data, 1 if whole else min(os.cpu_count() or 1, 4))
    loading = _side_by_side(store, [(bytes(part), ox.RdfFormat.N_QUADS) for part in parts])
    triples = [] if whole else [GRAPH_TERM.sub(b" .", bytes(part)) for part in parts]  # meanwhile
    _join(loading)
    if whole or next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        quads = ox.parse(input=data, format=ox.RdfFormat.N_QUADS)
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    else:
        _join(_side_by_side(store, [(part, ox.RdfFormat.N_TRIPLES) for part in triples]))


Loading = tuple[list[threading.Thread], list[BaseException]]


def _side_by_side(store: ox.Store, jobs: list[tuple[bytes, ox.RdfFormat]]) -> Loading:
    """Start bulk-loading each (data, format) on a thread of its own (the loader releases the GIL)."""
    failures: list[BaseException] = []

    def load(data: bytes, format: ox.RdfFormat) -> None:
        try:
            store.bulk_load(input=data, format=format)
        except BaseException as error:  # re-raised by _join, in the publishing thread
            failures.append(error)

    loaders = [threading.Thread(target=load, args=job) for job in jobs]
    for loader in loaders:
        loader.start()
    return loaders, failures


def _join(loading: Loading) -> None:
    """Wait for the loaders; raise the first failure."""
    loaders, failures = loading
    for loader in loaders:
        loader.join()
    if failures:
        raise failures[0]


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


def load_store(release: Path) -> ox.Store:
    """The release's store: its on-disk store opened read-only if it has one, else in memory."""
    if serves_from_disk(release):
        return ox.Store.read_only(str(release / STORE_DIR))
    store = ox.Store()
    fill(store, release)
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
