"""The embedded store: a published release loaded into pyoxigraph, queried with SPARQL 1.1.

The default graph is the union of all named graphs (as in Fuseki's unionDefaultGraph), so a query
sees every fact; ``GRAPH`` patterns still reach each record's graph and its provenance.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ..ontology.namespaces import PREFIXES

Row = dict[str, ox.NamedNode | ox.BlankNode | ox.Literal | None]


def load_store(release: Path) -> ox.Store:
    """An in-memory store holding the release's N-Quads."""
    store = ox.Store()
    store.bulk_load(path=str(release / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    return store


def select(store: ox.Store, query: str) -> tuple[list[str], list[Row]]:
    """Run a SELECT query over the union of all graphs: its variable names and rows."""
    solutions = store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)
    if not isinstance(solutions, ox.QuerySolutions):
        raise ValueError("not a SELECT query")
    names = [v.value for v in solutions.variables]
    return names, [{name: solution[name] for name in names} for solution in solutions]


def ask(store: ox.Store, query: str) -> bool:
    """Run an ASK query over the union of all graphs."""
    result = store.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)
    if not isinstance(result, ox.QueryBoolean):
        raise ValueError("not an ASK query")
    return bool(result)


def text(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    """A term as plain text: an IRI, or a literal's lexical form ('' when unbound)."""
    return "" if term is None else str(term.value)
