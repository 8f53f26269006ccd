"""A published release, read for review: its named graphs, labels, records and their provenance."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS
from rdflib.term import Node

from ..ontology.namespaces import BASE, GRAPH, ID, MD
from ..release.layout import TABLE_ROWS_FILE
from .verdicts import fact_key

Quad = tuple[URIRef, URIRef, Node, URIRef]
# where the statements of a graph other than a record's come from, in words
GRAPH_WORDS = {
    GRAPH.reference: "the reference tables",
    GRAPH.lists: "the official lists",
    GRAPH.links: "the links to other datasets (the mapping sets)",
    GRAPH.inferred: "inferred by the OWL reasoner",
    GRAPH.provenance: "the provenance",
}
TERM_KINDS = (
    (OWL.Class, "class"),
    (OWL.ObjectProperty, "property"),
    (OWL.DatatypeProperty, "property"),
    (OWL.AnnotationProperty, "property"),
    (OWL.NamedIndividual, "controlled value"),
)


@dataclass(frozen=True)
class RecordInfo:
    """Where a record graph's statements come from."""

    graph: URIRef
    describes: URIRef
    source: str
    quote: str
    file: str
    line: int
    vague: bool
    note: str
    linked_by: str

    @property
    def identification(self) -> str:
        """Whether the record rests on the curators' identification, in words ('' if not)."""
        if self.vague:
            return f"A vague mention, identified by {self.linked_by or 'the curators'}"
        return f"A link the curators made ({self.linked_by})" if self.linked_by else ""


class ReviewData:
    """One release, as the review tooling reads it (rdflib; the graph is small)."""

    def __init__(self, release: Path) -> None:
        self.release = release
        self.dataset = Dataset()
        self.dataset.parse(release / "dataset.nq", format="nquads")
        self.quads: list[Quad] = sorted(
            (s, p, o, g.identifier if isinstance(g, Graph) else g)  # type: ignore[misc]
            for s, p, o, g in self.dataset.quads((None, None, None, None))
        )
        self.union = Graph()
        for s, p, o, _ in self.quads:
            self.union.add((s, p, o))
        self.ontology = self.dataset.graph(GRAPH.ontology)
        rows = release / TABLE_ROWS_FILE  # a release published before it has none
        self.table_rows: dict[str, dict[str, list[tuple[str, int]]]] = (
            json.loads(rows.read_text()) if rows.is_file() else {}
        )

    @cached_property
    def records(self) -> dict[URIRef, RecordInfo]:
        """Every record graph with its source file, quote, record file and line."""
        provenance = self.dataset.graph(GRAPH.provenance)
        records = {}
        for graph in provenance.subjects(RDF.type, MD.Record):
            assert isinstance(graph, URIRef)
            document = provenance.value(graph, PROV.wasDerivedFrom)
            records[graph] = RecordInfo(
                graph=graph,
                describes=provenance.value(graph, MD.describes),  # type: ignore[arg-type]
                source=str(self.union.value(document, MD.fileName)),
                quote=str(provenance.value(graph, MD.quote)),
                file=str(provenance.value(graph, MD.recordFile)),
                line=int(str(provenance.value(graph, MD.recordLine) or 0)),
                vague=(graph, MD.vagueMentionOf, None) in provenance,
                note=str(provenance.value(graph, SKOS.editorialNote) or ""),
                linked_by=str(provenance.value(graph, MD.linkedBy) or ""),
            )
        return dict(sorted(records.items()))

    def _grouped(self, position: int) -> dict[Node, list[Quad]]:
        grouped: dict[Node, list[Quad]] = defaultdict(list)
        for quad in self.quads:
            grouped[quad[position]].append(quad)
        return grouped

    @cached_property
    def by_subject(self) -> dict[Node, list[Quad]]:
        return self._grouped(0)

    def rows_of(self, graph: Node, subject: Node, value: Node) -> list[tuple[str, int]]:
        """The table rows (file, line) a reference or list statement comes from: those of its
        subject, or those it shares with its value when there are any (the one row saying a list
        includes a mineral)."""
        rows_of = self.table_rows.get(str(graph), {})
        subject_rows = {(str(file), int(line)) for file, line in rows_of.get(str(subject), [])}
        value_rows = {(str(file), int(line)) for file, line in rows_of.get(str(value), [])}
        return sorted(subject_rows & value_rows or subject_rows)

    def key(self, graph: Node, subject: Node, prop: Node, value: Node) -> str:
        """A statement's key for verdicts: its graph, property and value, and its subject where
        the graph may say the same of two things (a nested value's field; the tables' graphs)."""
        shared = is_nested(subject) or graph not in self.records
        return fact_key(str(graph), str(prop), str(value), str(subject) if shared else "")

    @cached_property
    def by_property(self) -> dict[Node, list[Quad]]:
        return self._grouped(1)

    @cached_property
    def by_object(self) -> dict[Node, list[Quad]]:
        return self._grouped(2)

    @cached_property
    def by_graph(self) -> dict[Node, list[Quad]]:
        """The quads of each named graph."""
        return self._grouped(3)

    @cached_property
    def usage(self) -> dict[tuple[str, Node], int]:
        """How often the graph uses each term: a class, by its instances (asserted or inferred,
        the ontology's controlled values among them); a property, by its statements; a controlled
        value, by the statements that have it as their value. Every graph counts (records,
        reference tables, lists, links, provenance) but the ontology's description of its terms,
        except what it says of its controlled values (a document type's evidence weight)."""
        individuals = set(self.ontology.subjects(RDF.type, OWL.NamedIndividual))
        instances: set[tuple[Node, Node]] = set()
        statements: set[tuple[Node, Node, Node]] = set()
        for s, p, o, g in self.quads:
            described = g != GRAPH.ontology or s in individuals
            if p == RDF.type and described:
                instances.add((s, o))
            elif described and g != GRAPH.inferred:
                statements.add((s, p, o))
        counts: dict[tuple[str, Node], int] = defaultdict(int)
        for _, cls in instances:
            counts["class", cls] += 1
        for _, prop, value in statements:
            counts["property", prop] += 1
            counts["controlled value", value] += 1
        return counts

    def label(self, node: Node) -> str | None:
        """The English label of a node (an entity or a term), if it has one."""
        for graph in (self.ontology, self.union):
            for prop in (RDFS.label, DCTERMS.title):
                for label in graph.objects(node, prop):
                    if isinstance(label, Literal) and label.language in (None, "en"):
                        return str(label)
        return None

    def entities(self) -> list[URIRef]:
        """Every entity (an IRI under /id/, not a nested value such as an amount) that a
        statement has as its subject."""
        prefix = str(ID)
        return sorted(
            {
                s
                for s, *_ in self.quads
                if isinstance(s, URIRef) and str(s).startswith(prefix) and "#" not in str(s)
            }
        )


def ontology_terms(ontology: Graph, *, labelled: bool = True) -> dict[URIRef, str]:
    """Every term an ontology declares (only those with a label, unless ``labelled`` is False), in
    IRI order: its kind, "class", "property" or "controlled value" (the first that applies)."""
    terms: dict[URIRef, str] = {}
    for rdf_type, kind in TERM_KINDS:
        for term in ontology.subjects(RDF.type, rdf_type):
            if isinstance(term, URIRef) and (not labelled or ontology.value(term, RDFS.label) is not None):
                terms.setdefault(term, kind)
    return dict(sorted(terms.items()))


def is_nested(node: Node) -> bool:
    """A value the build nests under its entity (``id/...#amount-003``), such as an amount or a
    status claim."""
    return isinstance(node, URIRef) and str(node).startswith(str(ID)) and "#" in str(node)


def local_path(iri: str) -> str | None:
    """The path of a project IRI below the base (``id/agreement/x``), or None."""
    return iri[len(BASE) :] if iri.startswith(BASE) else None
