"""Entity pages: everything the graph says about one IRI, both ways, each fact with its citation."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..ontology.namespaces import BASE, GRAPH, local_name
from ..release.store import text

_PROVENANCE = f"<{GRAPH.provenance}>"
_STATEMENTS = """
PREFIX md: <https://w3id.org/mineral-diplomacy/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?subject ?p ?o ?g ?file ?quote (SAMPLE(?pl) AS ?plabel) (SAMPLE(?ol) AS ?olabel)
       (SAMPLE(?sl) AS ?slabel) (SAMPLE(?fmt) AS ?formatter)
WHERE {
  GRAPH ?g { PATTERN }
  OPTIONAL { GRAPH PROVENANCE { ?g md:quote ?quote ; prov:wasDerivedFrom ?doc } ?doc md:fileName ?file }
  OPTIONAL { ?p rdfs:label ?pl } OPTIONAL { ?o rdfs:label ?ol } OPTIONAL { ?subject rdfs:label ?sl }
  OPTIONAL { ?p md:formatterURL ?fmt }
}
GROUP BY ?subject ?p ?o ?g ?file ?quote
ORDER BY ?p ?subject ?o ?g
"""


@dataclass(frozen=True)
class Citation:
    """Where a statement comes from: a record graph with its source file and quote, or a graph."""

    graph: str
    file: str
    quote: str


@dataclass
class Statement:
    """One property value (or, for incoming links, one subject), with every citation for it."""

    property: str
    property_label: str
    value: str
    value_label: str
    value_is_iri: bool
    link: str = ""  # an identifier's web address, from its property's formatter URL
    citations: list[Citation] = field(default_factory=list)
    details: list[Statement] = field(default_factory=list)  # a nested value's own statements


@dataclass
class EntityView:
    """What an entity page shows."""

    iri: str
    label: str
    types: list[tuple[str, str]]
    outgoing: list[Statement]
    incoming: list[Statement]


def local_path(iri: str) -> str | None:
    """The server path that dereferences a project IRI (``/id/...``, ``/record/...``)."""
    return "/" + iri[len(BASE):] if iri.startswith(BASE) else None


def _statements(store: ox.Store, pattern: str, incoming: bool) -> list[Statement]:
    query = _STATEMENTS.replace("PATTERN", pattern).replace("PROVENANCE", _PROVENANCE)
    grouped: OrderedDict[tuple[str, str], Statement] = OrderedDict()
    for row in store.query(query):  # type: ignore[union-attr]
        node = row["subject"] if incoming else row["o"]
        label = row["slabel"] if incoming else row["olabel"]
        key = (text(row["p"]), text(node))
        if key not in grouped:
            formatter = text(row["formatter"])
            link = formatter.replace("{id}", text(node)) if formatter and isinstance(node, ox.Literal) else ""
            grouped[key] = Statement(text(row["p"]), text(row["plabel"]) or local_name(text(row["p"])),
                                     text(node), text(label) or text(node), isinstance(node, ox.NamedNode),
                                     link)
        grouped[key].citations.append(Citation(text(row["g"]), text(row["file"]), text(row["quote"])))
    return list(grouped.values())


def describe(store: ox.Store, iri: str) -> EntityView | None:
    """The entity page of ``iri``, or None when the graph says nothing about it."""
    node = f"<{iri}>"
    outgoing = _statements(store, f"BIND({node} AS ?subject) {node} ?p ?o", incoming=False)
    incoming = _statements(store, f"?subject ?p {node} BIND({node} AS ?o)", incoming=True)
    if not outgoing and not incoming:
        return None
    for statement in outgoing:  # values such as amounts, whose IRI is this one plus '#...'
        if statement.value.startswith(iri + "#"):
            inner = f"<{statement.value}>"
            statement.details = _statements(store, f"BIND({inner} AS ?subject) {inner} ?p ?o",
                                            incoming=False)
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    label_iri = "http://www.w3.org/2000/01/rdf-schema#label"
    labels = [s.value for s in outgoing if s.property == label_iri]
    types = [(s.value, s.value_label) for s in outgoing if s.property == rdf_type]
    return EntityView(iri, labels[0] if labels else iri, types, outgoing, incoming)


def rdf_description(store: ox.Store, iri: str, media_type: str) -> bytes:
    """The statements about ``iri`` (both ways) in the RDF format of ``media_type``."""
    node = f"<{iri}>"
    return _constructed(store, f"CONSTRUCT {{ {node} ?p ?o . ?s ?q {node} }} "
                               f"WHERE {{ {{ {node} ?p ?o }} UNION {{ ?s ?q {node} }} }}", media_type)


def replacement(store: ox.Store, iri: str) -> str | None:
    """The IRI that an IRI of an earlier release now stands merged into or renamed as, if any."""
    rows = store.query(f"SELECT ?new WHERE {{ <{iri}> <http://purl.org/dc/terms/isReplacedBy> ?new }}")
    news = [text(row["new"]) for row in rows]  # type: ignore[union-attr]
    return news[0] if news else None


def ontology_graph(store: ox.Store, media_type: str) -> bytes:
    """The release's ontology graph in the RDF format of ``media_type``."""
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH.ontology}> {{ ?s ?p ?o }} }}"
    return _constructed(store, query, media_type)


def _constructed(store: ox.Store, query: str, media_type: str) -> bytes:
    """A CONSTRUCT query's triples in the RDF format of ``media_type`` (a name, not pyoxigraph's
    format object, so that the call can be sent to an evaluator)."""
    result = store.query(query)
    assert isinstance(result, ox.QueryTriples)
    writer = ox.RdfFormat.from_media_type(media_type)
    assert writer is not None, media_type
    body = result.serialize(format=writer)
    assert body is not None  # given no output, pyoxigraph returns the bytes
    return body
