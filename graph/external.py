"""A user's own RDF beside the graph: ``mineral-diplomacy load-external FILE --graph IRI`` keeps a
copy of the file (as canonical N-Triples, blank nodes replaced by stable IRIs so that the release
stays byte-identical) in ``graph/external/`` with its origin, and every later build adds it as a
named graph of its own. It is not checked by the shapes or the reasoner: it is the user's data,
not this graph's facts, and the provenance graph says so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS, RDF, XSD

from ..ontology.namespaces import BASE, MD, Triple
from .problems import BuildFailed, Problem
from .slugs import slugify

REGISTER = "external.yaml"
FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".ntriples": "nt",
    ".n3": "n3",
    ".rdf": "xml",
    ".xml": "xml",
    ".owl": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}


class ExternalRefused(ValueError):
    """The file or the graph IRI cannot be loaded; nothing was written."""


@dataclass(frozen=True)
class External:
    """One loaded file: its graph, its stored copy, where it came from, when, and its digest."""

    graph: str
    file: str  # below the external folder
    origin: str
    loaded: str
    sha256: str
    triples: int


def _register(directory: Path) -> list[External]:
    path = directory / REGISTER
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return [External(**entry) for entry in entries or []]


def _write_register(directory: Path, entries: list[External]) -> None:
    text = yaml.safe_dump(
        [asdict(e) for e in sorted(entries, key=lambda e: e.graph)],
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    (directory / REGISTER).write_text(text, encoding="utf-8")


def check_graph_iri(iri: str) -> None:
    """An absolute http(s) IRI outside this project's own namespace."""
    parts = urlsplit(iri)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in iri for c in ' <>"{}|\\^`'):
        raise ExternalRefused(
            f"'{iri}' is not an absolute http(s) IRI: name the graph with one, such as "
            "https://example.org/my-extract"
        )
    if iri.startswith(BASE):
        raise ExternalRefused(
            f"'{iri}' is in this project's own namespace ({BASE}); name your graph with an IRI of your own"
        )


def parse(file: Path, rdf_format: str | None = None) -> Graph:
    """The file as a graph; JSON-LD must carry its context inline (nothing is fetched)."""
    fmt = rdf_format or FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise ExternalRefused(
            f"Cannot tell the RDF format of '{file.name}' from its extension; give --format "
            f"({', '.join(sorted(set(FORMATS.values())))})"
        )
    if fmt == "json-ld":
        _refuse_remote_contexts(json.loads(file.read_text(encoding="utf-8")), file)
    graph = Graph()
    try:
        graph.parse(file, format=fmt)
    except Exception as error:  # rdflib's parsers raise many kinds; each message is the parser's own
        raise ExternalRefused(f"{file.name} is not valid {fmt}: {error}") from error
    return graph


def _refuse_remote_contexts(node: object, file: Path) -> None:
    if isinstance(node, dict):
        context = node.get("@context")
        contexts = context if isinstance(context, list) else [context]
        if any(isinstance(c, str) for c in contexts):
            raise ExternalRefused(
                f"{file.name} names a remote JSON-LD @context; put the context inline "
                "(nothing is fetched while loading)"
            )
        for value in node.values():
            _refuse_remote_contexts(value, file)
    elif isinstance(node, list):
        for item in node:
            _refuse_remote_contexts(item, file)


def canonical_ntriples(graph: Graph, graph_iri: str) -> str:
    """Sorted N-Triples with every blank node replaced by a stable IRI (its canonical label)."""
    site = urlsplit(BASE)  # rdflib's skolem IRIs: <BASE>.well-known/genid/<graph's slug>/<label>
    authority, genid = f"{site.scheme}://{site.netloc}", f"{site.path}.well-known/genid/{slugify(graph_iri)}/"
    skolemised = to_canonical_graph(graph).skolemize(authority=authority, basepath=genid)
    lines = skolemised.serialize(format="nt", encoding="utf-8").decode().splitlines()
    return "\n".join(sorted(line for line in lines if line.strip())) + "\n"


def load_external(
    file: Path,
    graph_iri: str,
    directory: Path,
    today: str,
    origin: str | None = None,
    rdf_format: str | None = None,
) -> External:
    """Keep a canonical copy of ``file`` as the graph ``graph_iri`` for every later build."""
    check_graph_iri(graph_iri)
    graph = parse(file, rdf_format)
    if not len(graph):
        raise ExternalRefused(f"{file.name} holds no statement")
    text = canonical_ntriples(graph, graph_iri)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{slugify(graph_iri)}.nt"
    (directory / name).write_text(text, encoding="utf-8")
    entry = External(
        graph_iri, name, origin or str(file), today, hashlib.sha256(text.encode()).hexdigest(), len(graph)
    )
    _write_register(directory, [e for e in _register(directory) if e.graph != graph_iri] + [entry])
    return entry


def remove_external(graph_iri: str, directory: Path) -> External:
    """Stop adding the graph ``graph_iri`` to the builds; its stored copy is deleted."""
    entries = _register(directory)
    found = next((e for e in entries if e.graph == graph_iri), None)
    if found is None:
        raise ExternalRefused(f"No external graph <{graph_iri}> is loaded")
    (directory / found.file).unlink(missing_ok=True)
    _write_register(directory, [e for e in entries if e.graph != graph_iri])
    return found


def external_graphs(directory: Path) -> tuple[dict[URIRef, Graph], list[Triple]]:
    """The loaded graphs, and their provenance (type, origin, file, date); raises BuildFailed if a
    stored copy is missing or no longer what was loaded."""
    graphs: dict[URIRef, Graph] = {}
    provenance: list[Triple] = []
    problems = []
    for entry in _register(directory):
        path = directory / entry.file
        display = f"graph/external/{entry.file}"
        data = path.read_bytes() if path.exists() else b""
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            problems.append(
                Problem(
                    display,
                    0,
                    "external-changed",
                    f"The stored copy of <{entry.graph}> is missing or changed since it was loaded.",
                    "Load the file again with 'mineral-diplomacy load-external FILE --graph IRI'.",
                )
            )
            continue
        iri = URIRef(entry.graph)
        graphs[iri] = Graph().parse(data=data.decode(), format="nt")
        provenance += [
            (iri, RDF.type, MD.ExternalGraph),
            (iri, DCTERMS.source, Literal(entry.origin)),
            (iri, MD.fileName, Literal(display)),
            (iri, DCTERMS.created, Literal(entry.loaded, datatype=XSD.date)),
        ]
    if problems:
        raise BuildFailed("external graphs", problems)
    return graphs, provenance
