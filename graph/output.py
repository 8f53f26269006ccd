"""Writing the checked dataset as deterministic files: N-Quads (sorted), TriG and Turtle, and
the summary (publishing them as a release is ``release/layout.py``'s job)."""

from __future__ import annotations

from rdflib import Graph, URIRef

from ..ontology.namespaces import PREFIXES


def _bind(graph: Graph) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)


def nquads(graphs: dict[URIRef, Graph]) -> bytes:
    """N-Quads, one statement a line, sorted: the canonical, diff-friendly form."""
    lines = []
    for name, graph in graphs.items():
        for line in graph.serialize(format="nt", encoding="utf-8").decode().splitlines():
            if line.strip():
                lines.append(line.removesuffix(" .") + f" <{name}> .")
    return ("\n".join(sorted(lines)) + "\n").encode()


def trig(graphs: dict[URIRef, Graph]) -> bytes:
    """TriG with the project's prefixes, graphs in IRI order (rdflib's own TriG writer orders
    graphs differently from run to run, so each graph is written as Turtle and wrapped)."""
    prefixes: dict[str, str] = {}
    blocks = []
    for name in sorted(graphs):
        graph = Graph()
        _bind(graph)
        for triple in graphs[name]:
            graph.add(triple)
        body = []
        for line in graph.serialize(format="turtle").splitlines():
            if line.startswith("@prefix "):
                prefix, namespace = line.removeprefix("@prefix ").removesuffix(" .").split(" ", 1)
                if prefixes.setdefault(prefix, namespace) != namespace:
                    raise ValueError(f"prefix {prefix} bound to two namespaces")
            elif line.strip():
                body.append(line)  # not indented: that would change multi-line literals
        blocks.append(f"<{name}> {{\n" + "\n".join(body) + "\n}\n")
    header = "".join(f"@prefix {p} {ns} .\n" for p, ns in sorted(prefixes.items()))
    return (header + "\n" + "\n".join(blocks)).encode()


def turtle(graphs: dict[URIRef, Graph]) -> bytes:
    """Every graph merged into one Turtle document (for tools without named graphs)."""
    merged = Graph()
    _bind(merged)
    for graph in graphs.values():
        for triple in graph:
            merged.add(triple)
    return merged.serialize(format="turtle", encoding="utf-8")
