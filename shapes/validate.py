"""SHACL validation of the built dataset, each violation traced back to the record that caused it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from pyshacl import validate as shacl_validate
from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDF, SH
from rdflib.term import Node

from ..graph.build import BuiltGraph, Location
from ..graph.problems import Problem
from ..ontology.namespaces import GRAPH, MD
from . import SHAPES_FILE

FIX_MARKER = " To fix: "


@dataclass(frozen=True)
class Violation:
    """One SHACL result: the node, the property path, the named shape and its message."""

    focus: Node
    path: Node | None
    value: Node | None
    shape: str
    message: str


@cache
def load_shapes() -> Graph:
    """The shapes graph, parsed once per process."""
    return Graph().parse(SHAPES_FILE)


def _named_shape(shapes: Graph, shape: Node) -> str:
    """The local name of the node shape a (possibly anonymous property) shape belongs to."""
    parent = shapes.value(predicate=SH.property, object=shape)
    named = parent if parent is not None else shape
    return str(named).rsplit("#", 1)[-1] if isinstance(named, URIRef) else "shape"


def validate(data: Graph) -> list[Violation]:
    """Every violation of the project's shapes in ``data`` (which includes the ontology)."""
    shapes = load_shapes()
    conforms, results, _ = shacl_validate(data, shacl_graph=shapes, allow_warnings=True)
    if conforms:
        return []
    assert isinstance(results, Graph)
    violations = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        source = results.value(result, SH.sourceShape)
        focus = results.value(result, SH.focusNode)
        assert focus is not None  # every SHACL validation result names its focus node
        violations.append(Violation(
            focus=focus,
            path=results.value(result, SH.resultPath),
            value=results.value(result, SH.value),
            shape=_named_shape(shapes, source) if source is not None else "shape",
            message=str(results.value(result, SH.resultMessage)),
        ))
    return sorted(violations, key=lambda v: (str(v.focus), v.shape, str(v.path), v.message))


def union(built: BuiltGraph) -> Graph:
    """All named graphs merged into one graph, as SHACL and SPARQL's default graph see them."""
    merged = Graph()
    for graph in built.graphs.values():
        for triple in graph:
            merged.add(triple)
    return merged


def _location(built: BuiltGraph, violation: Violation) -> Location:
    candidates = built.locations.get(violation.focus, []) if isinstance(
        violation.focus, URIRef) else []
    path = violation.path if isinstance(violation.path, URIRef) else None
    if path is not None or violation.value is not None:
        for location in candidates:
            graph = built.graphs.get(location.graph) if location.graph else None
            if graph is not None and (violation.focus, path, violation.value) in graph:
                return location
    return candidates[0] if candidates else Location("(generated)", 0)


def shape_problems(built: BuiltGraph) -> list[Problem]:
    """The SHACL violations of the built dataset, as problems naming record file and line."""
    problems = []
    for violation in validate(union(built)):
        where = _location(built, violation)
        message, _, fix = violation.message.partition(FIX_MARKER)
        shows_value = violation.value is not None and violation.value != violation.focus
        subject = f"{violation.focus}" + (f" (value {violation.value})" if shows_value else "")
        problems.append(Problem(where.file, where.line, violation.shape,
                                f"{message} [{subject}]", fix or "See the shape's comment."))
    return problems


def provenance_problems(built: BuiltGraph) -> list[Problem]:
    """A problem for any record graph that the provenance graph does not cite and quote."""
    provenance = built.graphs[GRAPH.provenance]
    return [
        Problem("(generated)", 0, "record-provenance",
                f"The named graph {graph} has no source or quote in the provenance graph.",
                "Every record graph must come from a record with 'source' and 'quote'.")
        for graph in built.record_graphs
        if (graph, PROV.wasDerivedFrom, None) not in provenance
        or (graph, MD.quote, None) not in provenance
    ]
