"""Dependencies point one way, down the data flow: each package imports only packages before it."""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent

# The data flow, first to last; a package may import the ones listed before it, never after.
FLOW = ["ontology", "graph", "shapes", "release", "queries", "review", "server", "cli"]


def imported_packages(path: Path) -> set[str]:
    """The project packages a module imports (relative `..x` imports and `mineral_diplomacy.x`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 2 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 0 and node.module and node.module.startswith("mineral_diplomacy."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("mineral_diplomacy.")}
    return found


def test_every_import_points_down_the_flow():
    wrong = []
    for position, package in enumerate(FLOW):
        for module in sorted((PROJECT / package).glob("*.py")):
            for target in imported_packages(module):
                if target in FLOW and FLOW.index(target) > position:
                    wrong.append(f"{module.relative_to(PROJECT)} imports {target}")
    assert wrong == []


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from ..server.store import ReleaseHolder\nimport mineral_diplomacy.review.site\n")
    assert imported_packages(module) == {"server", "review"}
