"""The whole build: records -> RDF (graph) -> checks (quotes, SHACL, OWL) -> a published release.

Nothing is written unless every check passes; then the release is switched in atomically.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from ..graph import (
    BUILD_DIR,
    DOCUMENTS_DIR,
    EXTERNAL_DIR,
    GEOGRAPHY_FILE,
    LISTS_FILE,
    MAPPINGS_DIR,
    PROJECT_DIR,
    RECORDS_DIR,
    REPLACED_FILE,
    SHARED_DIR,
)
from ..graph.build import Builder, BuiltGraph
from ..graph.documents import check_texts, read_documents
from ..graph.external import external_graphs
from ..graph.geography import Geography
from ..graph.problems import BuildFailed, Problem
from ..graph.records import read_records
from ..graph.reference import ReferenceTables
from ..graph.sources import project_sources
from ..ontology.namespaces import GRAPH, MD, RECORD
from ..ontology.reasoning import Inconsistent, Reasoning, disjointness_clashes, reason
from ..ontology.vocabulary import vocabulary
from ..shapes.quotes import check_quotes
from ..shapes.validate import load_shapes, provenance_problems, shape_problems, union
from .layout import publish, release_files


@dataclass(frozen=True)
class BuildResult:
    """A successful build: where it was published, and its summary."""

    release: Path
    summary: dict[str, object]
    reasoning_seconds: float


def _curie(iri: URIRef) -> str:
    return str(iri).replace(str(MD), "md:").replace(str(GRAPH), "graph:")


def summarise(graphs: dict[URIRef, Graph], record_count: int, shape_count: int) -> dict[str, object]:
    """Triples per named graph (record graphs together), entities per class, checks passed."""
    triples: Counter[str] = Counter()
    for name, graph in graphs.items():
        key = "record graphs (facts)" if str(name).startswith(str(RECORD)) else _curie(name)
        triples[key] += len(graph)
    typed: dict[str, set[URIRef]] = {}
    for name in graphs:
        if name == GRAPH.ontology:
            continue
        for entity, cls in graphs[name].subject_objects(RDF.type):
            if isinstance(cls, URIRef) and str(cls).startswith(str(MD)):
                typed.setdefault(_curie(cls), set()).add(entity)  # type: ignore[arg-type]
    return {
        "triples_per_graph": dict(sorted(triples.items())),
        "record_graphs": sum(1 for n in graphs if str(n).startswith(str(RECORD))),
        "entities_per_class": {cls: len(members) for cls, members in sorted(typed.items())},
        "checks": {
            "records_read": record_count,
            "quotes_found_in_sources": record_count,
            "shacl_shapes_passed": shape_count,
            "owl_consistent_hermit": True,
        },
    }


def _reasoning_problems(built: BuiltGraph, data: Graph) -> list[Problem]:
    clashes = disjointness_clashes(built.graphs[GRAPH.ontology], data)
    voc = vocabulary()
    if not clashes:
        return [Problem("(whole graph)", 0, "owl-consistency",
                        "The OWL reasoner (HermiT) found the facts contradict the ontology, for "
                        "example an entity given two kinds that cannot both hold, or a property "
                        "used on the wrong kind of thing.",
                        "Check the types of the entities in the records changed last.")]
    problems = []
    for entity, first, second in clashes:
        where = built.locations.get(entity, [])
        file, line = (where[0].file, where[0].line) if where else ("(generated)", 0)
        problems.append(Problem(file, line, "owl-disjoint-classes",
                                f"{entity} is both a {voc.label(first)} and a {voc.label(second)}, "
                                "which the ontology says cannot be.",
                                "Give it one kind only: check its 'type' and the ids that "
                                "point to it."))
    return problems


def build_graph(records_dir: Path = RECORDS_DIR, shared_dir: Path = SHARED_DIR,
                documents_dir: Path = DOCUMENTS_DIR,
                mappings_dir: Path | None = MAPPINGS_DIR) -> tuple[BuiltGraph, int, list[Problem]]:
    """The records, the reference tables, the lists and the links (given ``mappings_dir``) as named
    graphs, how many records were read, and the quotes not found in their sources (a problem the
    caller reports with its own checks'); raises BuildFailed with every problem found, those
    quotes among them, when the graphs cannot be made."""
    replaced = REPLACED_FILE if records_dir.resolve() == RECORDS_DIR.resolve() else None
    sources = project_sources(shared_dir, documents_dir)
    records = read_records(records_dir, PROJECT_DIR)
    documents = read_documents(documents_dir)
    quote_problems = check_quotes(records, sources) + check_texts(documents_dir, documents)
    try:
        reference = ReferenceTables(shared_dir / "reference")
        built = Builder(vocabulary(), reference, sources, Geography(reference, GEOGRAPHY_FILE)).build(
            records, LISTS_FILE, replaced, mappings_dir, documents)
    except BuildFailed as failed:  # report the quotes too, so one run shows every problem
        raise BuildFailed(failed.stage, failed.problems + quote_problems) from None
    return built, len(records), quote_problems


def run_build(
    records_dir: Path = RECORDS_DIR,
    shared_dir: Path = SHARED_DIR,
    out_dir: Path = BUILD_DIR,
    prepare: Callable[[Path], None] | None = None,
    salt: bytes = b"",
    external_dir: Path = EXTERNAL_DIR,
    documents_dir: Path = DOCUMENTS_DIR,
) -> BuildResult:
    """Build, check and publish the dataset. Raises BuildFailed (nothing written) on any problem,
    and ReasonerUnavailable when Java is missing. The ids replaced since earlier releases belong to
    the project's own records, so another records folder is built without them.

    ``prepare`` adds derived files to the release before it is switched in (the command adds the
    server's store and the review pages); ``salt`` stands for what it reads besides the dataset.
    The graphs loaded with 'load-external' (``external_dir``) are added as they are: the shapes
    and the reasoner check only their description in the provenance graph."""
    built, records_count, quote_problems = build_graph(records_dir, shared_dir, documents_dir)
    external, external_provenance = external_graphs(external_dir)
    for triple in external_provenance:
        built.graphs[GRAPH.provenance].add(triple)
    problems = quote_problems + provenance_problems(built) + shape_problems(built)
    if problems:
        raise BuildFailed("checks", problems)
    data = [g for name, g in built.graphs.items() if name != GRAPH.ontology]
    try:
        reasoning: Reasoning = reason(built.graphs[GRAPH.ontology], data)
    except Inconsistent as error:
        raise BuildFailed("OWL reasoning", _reasoning_problems(built, union(built))) from error
    graphs = {**built.graphs, GRAPH.inferred: reasoning.inferred, **external}
    shape_count = len(set(load_shapes().subjects(RDF.type, URIRef("http://www.w3.org/ns/shacl#NodeShape"))))
    summary = summarise(graphs, records_count, shape_count)
    table_rows: dict[str, dict[str, set[tuple[str, int]]]] = {}
    for entity, places in built.locations.items():
        for where in places:
            if where.graph in (GRAPH.reference, GRAPH.lists) and where.line > 0:
                table_rows.setdefault(str(where.graph), {}).setdefault(str(entity), set()).add(
                    (where.file, where.line))
    rows = {graph: {entity: sorted(lines) for entity, lines in entities.items()}
            for graph, entities in table_rows.items()}
    release = publish(release_files(graphs, summary, rows), out_dir, prepare=prepare, salt=salt)
    return BuildResult(release, summary, reasoning.seconds)
