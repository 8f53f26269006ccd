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
    write_store(release, release / STORE_DIR)


def write_store(release: Path, location: Path) -> None:
    """Write the release into a new on-disk store at ``location`` (RocksDB, as pyoxigraph and the
    oxigraph server read it), its default graph the merge of its named graphs as ``fill`` makes it."""
    store = ox.Store(str(location))
    fill(store, release)
    store.flush()  # the store closes when this returns, before any process opens it read-only


# The graph IRI that ends an N-Quads line, before the final " ."
GRAPH_TERM = re.compile(rb" <[^<>\"\s]*> \.$", re.M)
# Parts the N-Quads file is loaded in, each on a thread of its own (the loader uses one core): more
# parts than cores keep every core busy while the graph IRIs are cut (measured on 2 cores: 4)
LOAD_PARTS = 4


def fill(store: ox.Store, release: Path) -> None:
    """Load the release's quads, and make the default graph the RDF merge of its named graphs:
    every distinct triple once (a set, as Fuseki's union default graph), so that counts count
    triples, and a query's FROM and FROM NAMED (or the protocol's graph parameters) can still
    pick graphs.

    The N-Quads file is cut at line ends into parts loaded side by side as quads; meanwhile each
    part, its graph IRIs cut off, starts loading as triples of the default graph (the loader keeps
    each triple once). That reading of a line holds when every line names its graph, as the build
    writes them. A file with blank nodes (their labels are scoped to one document) is loaded
    whole; one with a line that names no graph (cut short, it is not a triple, or it is not cut)
    gets its default graph remade from the parsed quads."""
    data = (release / "dataset.nq").read_bytes()
    whole = b"_:" in data
    parts = [bytes(part) for part in line_parts(data, 1 if whole else LOAD_PARTS)]
    loading = _side_by_side(store, [(part, ox.RdfFormat.N_QUADS) for part in parts])
    for part in [] if whole else parts:
        cut, lines = GRAPH_TERM.subn(b" .", part)
        if lines != part.count(b"\n"):  # a line that names no graph
            whole = True
            break
        loading = _side_by_side(store, [(cut, ox.RdfFormat.N_TRIPLES)], loading)
    failures = _join(loading)
    if any(not isinstance(f, SyntaxError) for f in failures):
        raise failures[0]
    # a line that names no graph, or a default-graph triple with an IRI object cut short (a file
    # that is not N-Quads fails here, as parsed again)
    if whole or failures:
        store.clear_graph(ox.DefaultGraph())
        parsed = ox.parse(input=data, format=ox.RdfFormat.N_QUADS)
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in parsed)


Loading = tuple[list[threading.Thread], list[BaseException]]


def _side_by_side(store: ox.Store, jobs: list[tuple[bytes, ox.RdfFormat]],
                  loading: Loading | None = None) -> Loading:
    """Start bulk-loading each (data, format) on a thread of its own (the loader releases the GIL),
    with the loaders of ``loading`` if given."""
    loaders, failures = loading or ([], [])

    def load(data: bytes, format: ox.RdfFormat) -> None:
        try:
            store.bulk_load(input=data, format=format)
        except BaseException as error:  # returned by _join, to the publishing thread
            failures.append(error)

    for job in jobs:
        loaders.append(threading.Thread(target=load, args=job))
        loaders[-1].start()
    return loaders, failures


def _join(loading: Loading) -> list[BaseException]:
    """Wait for every loader; their failures."""
    loaders, failures = loading
    for loader in loaders:
        loader.join()
    return failures


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


NAMED_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def named_quads(store: ox.Store) -> int:
    """How many distinct quads the store holds in named graphs (the release's facts, each once)."""
    _, rows = select(store, NAMED_QUADS)
    return int(text(rows[0]["n"]))


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
