"""The SPARQL 1.1 Service Description and the VoID description, with statistics of the release."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID, XSD

from ..graph.mappings import TARGETS
from ..ontology.namespaces import BASE, GRAPH, PREFIXES
from ..release.store import text
from .negotiation import GRAPH_FORMATS, RESULT_FORMATS

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
DATASET = URIRef(BASE + "dataset")
# rdflib's serializer names for the graph formats the server offers
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


@dataclass(frozen=True)
class GraphStatistics:
    """Counts for one named graph (or, with no name, for the whole dataset)."""

    name: str
    triples: int
    entities: int
    classes: int
    properties: int


def _counts(store: ox.Store, query: str) -> list[dict[str, str]]:
    solutions = store.query(query)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [{n: text(s[n]) for n in names} for s in solutions]


@dataclass(frozen=True)
class LinksetStatistics:
    """The links of the release to one dataset with one predicate."""

    target: str  # a key of graph.mappings.TARGETS
    predicate: str
    triples: int


def linksets(store: ox.Store) -> list[LinksetStatistics]:
    """The links graph's links, counted per target dataset and predicate."""
    counts: dict[tuple[str, str], int] = {}
    for row in _counts(store, f"""
            SELECT ?p ?o WHERE {{ GRAPH <{GRAPH.links}> {{ ?s ?p ?o }} FILTER(isIRI(?o)) }}"""):
        target = next((name for name, t in TARGETS.items() if row["o"].startswith(t.namespace)), None)
        if target is not None:
            counts[target, row["p"]] = counts.get((target, row["p"]), 0) + 1
    return [LinksetStatistics(t, p, n) for (t, p), n in sorted(counts.items())]


def statistics_and_linksets(store: ox.Store) -> tuple[tuple[GraphStatistics, list[GraphStatistics]],
                                                      list[LinksetStatistics]]:
    """``statistics`` and ``linksets`` together (one task for an evaluator)."""
    return statistics(store), linksets(store)


def statistics(store: ox.Store) -> tuple[GraphStatistics, list[GraphStatistics]]:
    """Whole-dataset and per-graph counts of triples, entities (subjects), classes, properties."""
    (total,) = _counts(store, """
        SELECT (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?e) (COUNT(DISTINCT ?p) AS ?p)
        WHERE { ?s ?p ?o }""")
    (classes,) = _counts(store, "SELECT (COUNT(DISTINCT ?c) AS ?c) WHERE { ?s a ?c }")
    per_graph = {row["g"]: row for row in _counts(store, """
        SELECT ?g (COUNT(*) AS ?t) (COUNT(DISTINCT ?s) AS ?e) (COUNT(DISTINCT ?p) AS ?p)
        WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g""")}
    graph_classes = {row["g"]: row["c"] for row in _counts(store, """
        SELECT ?g (COUNT(DISTINCT ?c) AS ?c) WHERE { GRAPH ?g { ?s a ?c } } GROUP BY ?g""")}
    whole = GraphStatistics("", int(total["t"]), int(total["e"]), int(classes["c"]), int(total["p"]))
    graphs = [
        GraphStatistics(g, int(row["t"]), int(row["e"]), int(graph_classes.get(g, 0)), int(row["p"]))
        for g, row in sorted(per_graph.items())
    ]
    return whole, graphs


def _void(graph: Graph, node: URIRef | BNode, stats: GraphStatistics) -> None:
    graph.add((node, VOID.triples, Literal(stats.triples, datatype=XSD.integer)))
    graph.add((node, VOID.entities, Literal(stats.entities, datatype=XSD.integer)))
    graph.add((node, VOID.classes, Literal(stats.classes, datatype=XSD.integer)))
    graph.add((node, VOID.properties, Literal(stats.properties, datatype=XSD.integer)))


def description(endpoint: str, root: str, stats: tuple[GraphStatistics, list[GraphStatistics]],
                federation_allowed: bool, links: list[LinksetStatistics] | None = None) -> Graph:
    """The service description of ``endpoint`` with the VoID description of its dataset (and one
    linkset per dataset and predicate the mapping sets link to)."""
    whole, graphs = stats
    graph = Graph()
    graph.bind("sd", SD)
    graph.bind("void", VOID)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    service = URIRef(endpoint)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    if federation_allowed:
        graph.add((service, SD.feature, SD.BasicFederatedQuery))
    for fmt in (*RESULT_FORMATS, *GRAPH_FORMATS):
        graph.add((service, SD.resultFormat, URIRef(fmt.writer.iri)))
    default_dataset = BNode("defaultDataset")
    graph.add((service, SD.defaultDataset, default_dataset))
    graph.add((default_dataset, RDF.type, SD.Dataset))
    default_graph = BNode("defaultGraph")
    graph.add((default_dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    _void(graph, default_graph, whole)
    # VoID: the dataset, its dumps and endpoint, and one subset per named graph
    graph.add((DATASET, RDF.type, VOID.Dataset))
    graph.add((DATASET, DCTERMS.title, Literal("Mineral Diplomacy knowledge graph", lang="en")))
    graph.add((DATASET, VOID.sparqlEndpoint, service))
    graph.add((DATASET, VOID.uriSpace, Literal(BASE + "id/")))
    for dump in ("dataset.nq", "dataset.trig", "dataset.ttl"):
        graph.add((DATASET, VOID.dataDump, URIRef(f"{root}download/{dump}")))
    _void(graph, DATASET, whole)
    for stats_of_graph in graphs:
        named = BNode()
        subset = BNode()
        graph.add((default_dataset, SD.namedGraph, named))
        graph.add((named, SD.name, URIRef(stats_of_graph.name)))
        graph.add((named, SD.graph, subset))
        graph.add((DATASET, VOID.subset, subset))
        graph.add((subset, RDF.type, VOID.Dataset))
        graph.add((subset, RDF.type, SD.Graph))
        _void(graph, subset, stats_of_graph)
    for linkset in links or []:
        target = TARGETS[linkset.target]
        other = URIRef(f"{BASE}void/{target.name}")
        graph.add((other, RDF.type, VOID.Dataset))
        graph.add((other, DCTERMS.title, Literal(target.title, lang="en")))
        graph.add((other, VOID.uriSpace, Literal(target.namespace)))
        node = URIRef(f"{BASE}void/links-to-{target.name}-{linkset.predicate.rsplit('#', 1)[-1]}")
        graph.add((DATASET, VOID.subset, node))
        graph.add((node, RDF.type, VOID.Linkset))
        graph.add((node, VOID.subjectsTarget, DATASET))
        graph.add((node, VOID.objectsTarget, other))
        graph.add((node, VOID.linkPredicate, URIRef(linkset.predicate)))
        graph.add((node, VOID.triples, Literal(linkset.triples, datatype=XSD.integer)))
    return graph
