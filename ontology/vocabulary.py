"""What the records may say: record types, fields and controlled values, read from the ontology.

The ontology annotates each usable class and property with ``md:recordKey``; this module turns
those annotations into lookup tables, so that adding a term to the ontology is all it takes to use
it in a record.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cache

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from . import ONTOLOGY_FILE
from .namespaces import MD, local


class PropertyKind(Enum):
    """How a record field's values become RDF objects."""

    OBJECT = "object"  # a reference to an entity, a controlled value, or a nested node
    DATA = "data"  # a typed literal
    TEXT = "text"  # an English-language string (labels, titles, descriptions)


@dataclass(frozen=True)
class FieldSpec:
    """A record field: the property it stands for, how to convert it and its range."""

    key: str
    iri: URIRef
    kind: PropertyKind
    range: URIRef | None


@dataclass(frozen=True)
class Vocabulary:
    """Record types, record fields and controlled values, all taken from the ontology."""

    ontology: Graph
    types: dict[str, URIRef]
    fields: dict[str, FieldSpec]
    values: dict[str, URIRef]

    def label(self, term: URIRef) -> str:
        """The English label of an ontology term, or its IRI."""
        return str(self.ontology.value(term, RDFS.label) or term)

    def values_of(self, cls: URIRef) -> list[str]:
        """The controlled values (local names) that are instances of ``cls``."""
        return sorted(
            name for name, iri in self.values.items() if (iri, RDF.type, cls) in self.ontology
        )

    def subclasses(self, cls: URIRef) -> set[URIRef]:
        """``cls`` and every class below it, by the asserted hierarchy."""
        return {c for c in self.ontology.transitive_subjects(RDFS.subClassOf, cls) if isinstance(c, URIRef)}


def _field_kind(graph: Graph, prop: URIRef) -> PropertyKind:
    if (prop, RDF.type, OWL.ObjectProperty) in graph:
        return PropertyKind.OBJECT
    if (prop, RDF.type, OWL.DatatypeProperty) in graph:
        return PropertyKind.DATA
    return PropertyKind.TEXT


def vocabulary_from(ontology: Graph) -> Vocabulary:
    """Read the record vocabulary out of an ontology graph."""
    types: dict[str, URIRef] = {}
    fields: dict[str, FieldSpec] = {}
    for term, key in ontology.subject_objects(MD.recordKey):
        assert isinstance(term, URIRef)
        name = str(key)
        if (term, RDF.type, OWL.Class) in ontology:
            types[name] = term
        else:
            rng = ontology.value(term, RDFS.range)
            fields[name] = FieldSpec(
                name, term, _field_kind(ontology, term), rng if isinstance(rng, URIRef) else None
            )
    values = {
        value: ind
        for ind in ontology.subjects(RDF.type, OWL.NamedIndividual)
        if isinstance(ind, URIRef) and (value := local(ind, "md"))
    }
    return Vocabulary(ontology, types, fields, values)


def load_ontology() -> Graph:
    """The ontology as an rdflib graph, parsed from its Turtle source."""
    return Graph().parse(ONTOLOGY_FILE)


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary of the project's own ontology (parsed once per process)."""
    return vocabulary_from(load_ontology())
