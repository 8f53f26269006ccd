"""OWL reasoning with HermiT (through owlready2): consistency, and the class memberships it infers.

HermiT supports only the OWL 2 datatype map, which lacks xsd:date, xsd:gYearMonth and xsd:gYear;
literals of those types are left out of the reasoner's input (the SHACL shapes check them).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import owlready2
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from .namespaces import ID, MD

JAVA_MISSING = (
    "Java runtime not found: OWL reasoning (HermiT) needs Java 11 or newer; install it with "
    "'apt-get install -y default-jre-headless' or put 'java' on PATH."
)

# Literal datatypes HermiT accepts (the OWL 2 datatype map, as far as this project uses it).
OWL2_DATATYPES = {
    XSD.string, XSD.decimal, XSD.integer, XSD.nonNegativeInteger, XSD.positiveInteger,
    XSD.boolean, XSD.double, XSD.float, XSD.anyURI, XSD.dateTime, RDF.langString, RDF.PlainLiteral,
}


# Date datatypes outside the OWL 2 datatype map: the project's own and the XSD ones it uses.
DATE_TYPES = {XSD.date, XSD.gYearMonth, XSD.gYear, MD.PartialDate, MD.financialYear, MD.fieldSeason}


class ReasonerUnavailable(RuntimeError):
    """The reasoner cannot run on this machine (no Java runtime)."""


class Inconsistent(RuntimeError):
    """HermiT found the ontology and data logically inconsistent."""


@dataclass(frozen=True)
class Reasoning:
    """What the reasoner concluded: the inferred class memberships, and how long it took."""

    inferred: Graph
    seconds: float


def java_available() -> bool:
    """Whether the Java runtime owlready2 calls is on this machine."""
    return shutil.which(owlready2.JAVA_EXE) is not None


def reasoner_input(graphs: Iterable[Graph]) -> Graph:
    """The triples HermiT can read: everything but literals outside the OWL 2 datatype map, with
    every entity declared an owl:NamedIndividual (OWL 2 DL wants declarations; owlready2 ignores
    undeclared individuals)."""
    merged = Graph()
    for graph in graphs:
        for s, p, o in graph:
            if isinstance(o, Literal) and o.datatype is not None and o.datatype not in OWL2_DATATYPES:
                continue
            if o in DATE_TYPES or s in DATE_TYPES:  # the dates' datatypes and their declarations
                continue
            merged.add((s, p, o))
    object_properties = set(merged.subjects(RDF.type, OWL.ObjectProperty)) | {OWL.sameAs}
    individuals = {s for s, o in merged.subject_objects(RDF.type) if not _is_meta(o)}
    individuals |= {o for s, p, o in merged if p in object_properties and isinstance(o, URIRef)}
    for individual in individuals:
        merged.add((individual, RDF.type, OWL.NamedIndividual))
    return merged


def _is_meta(cls: object) -> bool:
    """Whether a type is an OWL/RDFS construct (a class, a property) rather than a real class."""
    return str(cls).startswith((str(OWL), str(RDFS), str(RDF)))


def _class_closure(ontology: Graph, classes: set[URIRef]) -> set[URIRef]:
    closure: set[URIRef] = set()
    for cls in classes:
        closure.update(c for c in ontology.transitive_objects(cls, RDFS.subClassOf)
                       if isinstance(c, URIRef))
    return closure


def reason(ontology: Graph, data: Iterable[Graph]) -> Reasoning:
    """Check consistency with HermiT and return the class memberships it infers for entities.

    Raises ReasonerUnavailable without Java, Inconsistent if HermiT finds a contradiction.
    """
    if not java_available():
        raise ReasonerUnavailable(JAVA_MISSING)
    graph = reasoner_input([ontology, *data])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.nt"
        graph.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as error:
            raise Inconsistent("HermiT found the ontology and data inconsistent.") from error
        except owlready2.OwlReadyJavaError as error:
            raise ReasonerUnavailable(f"HermiT could not run: {error}") from error
        types = {
            URIRef(individual.iri): {URIRef(c.iri) for c in individual.is_a if hasattr(c, "iri")}
            for individual in world.individuals()
            if individual.iri.startswith(str(ID))
        }
    seconds = time.perf_counter() - started
    classes = set(ontology.subjects(RDF.type, OWL.Class))
    inferred = Graph()
    for individual, direct in sorted(types.items()):
        asserted = {o for o in graph.objects(individual, RDF.type) if isinstance(o, URIRef)}
        for cls in sorted(_class_closure(ontology, direct | asserted) - asserted):
            if cls in classes:
                inferred.add((individual, RDF.type, cls))
    return Reasoning(inferred, seconds)


def disjointness_clashes(ontology: Graph, data: Graph) -> list[tuple[URIRef, URIRef, URIRef]]:
    """Entities typed (directly or through subclasses) as two disjoint classes: (entity, A, B).

    Used to name the culprit when HermiT reports an inconsistency.
    """
    pairs = {(a, b) for a, b in ontology.subject_objects(OWL.disjointWith)
             if isinstance(a, URIRef) and isinstance(b, URIRef)}
    clashes: list[tuple[URIRef, URIRef, URIRef]] = []
    for entity in sorted({s for s in data.subjects(RDF.type, None) if isinstance(s, URIRef)}):
        asserted = {o for o in data.objects(entity, RDF.type) if isinstance(o, URIRef)}
        closure = _class_closure(ontology, asserted)
        clashes.extend((entity, a, b) for a, b in sorted(pairs) if a in closure and b in closure)
    return clashes
