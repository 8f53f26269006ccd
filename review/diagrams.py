"""Diagrams of the ontology, drawn offline with Graphviz (Debian's ``graphviz``) as SVG."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

GRAPHVIZ_MISSING = (
    "Graphviz not found: the review pages draw their diagrams with its 'dot' command; "
    "install it with 'apt-get install -y graphviz'."
)


class GraphvizUnavailable(RuntimeError):
    """The machine has no Graphviz ``dot``."""


@dataclass(frozen=True)
class Edge:
    """An arrow between two boxes, with its label (a property, or "is a" for a subclass)."""

    tail: str
    head: str
    label: str
    dashed: bool = False


@dataclass(frozen=True)
class Diagram:
    """Boxes (id -> label, link) and labelled arrows; one box may be highlighted."""

    nodes: dict[str, tuple[str, str | None]]
    edges: list[Edge]
    focus: str | None = None

    def dot(self) -> str:
        """The diagram in the DOT language (stable order, so the SVG is the same every build)."""
        lines = [
            "digraph G {",
            '  rankdir=LR; bgcolor="transparent";',
            '  node [shape=box, style="rounded,filled", fillcolor="#f4f6fb", color="#7a869a", '
            'fontname="Helvetica", fontsize=11];',
            '  edge [color="#7a869a", fontname="Helvetica", fontsize=9];',
        ]
        for node_id, (label, href) in sorted(self.nodes.items()):
            attributes = [f'label="{_quoted(label)}"']
            if href:
                attributes.append(f'href="{_quoted(href)}" target="_top"')
            if node_id == self.focus:
                attributes.append('fillcolor="#ffe8a3", penwidth=2')
            lines.append(f'  "{_quoted(node_id)}" [{", ".join(attributes)}];')
        for edge in sorted(set(self.edges), key=lambda e: (e.tail, e.head, e.label)):
            style = ", style=dashed, arrowhead=empty" if edge.dashed else ""
            lines.append(
                f'  "{_quoted(edge.tail)}" -> "{_quoted(edge.head)}" [label="{_quoted(edge.label)}"{style}];'
            )
        lines.append("}")
        return "\n".join(lines) + "\n"

    def text(self) -> str:
        """The text alternative: every arrow in words."""

        def name(node_id: str) -> str:
            return self.nodes[node_id][0]

        return (
            "; ".join(
                (
                    f"{name(e.tail)} is a kind of {name(e.head)}"
                    if e.dashed
                    else f"{name(e.tail)} —{e.label}→ {name(e.head)}"
                )
                for e in sorted(set(self.edges), key=lambda e: (e.tail, e.head, e.label))
            )
            + "."
        )


def render_svg(diagrams: list[Diagram]) -> list[str]:
    """Every diagram drawn as SVG by one Graphviz process (one per diagram costs ~20 ms each)."""
    if not diagrams:
        return []
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizUnavailable(GRAPHVIZ_MISSING)
    done = subprocess.run(
        [dot, "-Tsvg"], input="".join(d.dot() for d in diagrams), capture_output=True, text=True, check=True
    )
    drawings = [part + "</svg>\n" for part in done.stdout.split("</svg>\n") if part.strip()]
    if len(drawings) != len(diagrams):
        raise RuntimeError(f"Graphviz drew {len(drawings)} of {len(diagrams)} diagrams")
    return drawings


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
