"""The README and the docs/ pages stay true: every link between them resolves, and the counts the
README states are the project's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SH

from mineral_diplomacy.graph import PROJECT_DIR, RECORDS_DIR, SHARED_DIR
from mineral_diplomacy.graph.records import read_records
from mineral_diplomacy.shapes import SHAPES_FILE

PAGES = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]
README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def _anchors(path: Path) -> set[str]:
    """The anchors of a Markdown file's headings (GitHub's rule), outside code blocks."""
    anchors, fenced = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        fenced ^= line.startswith("```")
        if not fenced and (heading := re.match(r"#{1,6} (.+)", line)):
            anchors.add(re.sub(r"[^\w\- ]", "", heading[1].strip().lower()).replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_between_the_pages_resolves(page: Path) -> None:
    for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://")):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        assert path.exists(), (page.name, target)
        if anchor:
            assert anchor in _anchors(path), (page.name, target)


def test_the_readme_counts_are_the_projects() -> None:
    questions = len(list((PROJECT_DIR / "queries").glob("*.yaml")))
    records = len(read_records(RECORDS_DIR, PROJECT_DIR))
    shapes = len(set(Graph().parse(SHAPES_FILE).subjects(RDF.type, SH.NodeShape)))
    documents = len(list((SHARED_DIR / "sources").glob("*.txt"))) + len(
        list((PROJECT_DIR / "graph" / "documents").glob("*.txt")))
    words = {5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten"}
    assert f"{questions} questions with expected answers" in README
    assert f"{questions - 1} others" in README
    assert f"({records} cited records" in README and f"{records} of {records} quotes" in README
    assert f"{shapes} SHACL shapes conform" in README
    records_page = (PROJECT_DIR / "docs" / "records.md").read_text(encoding="utf-8")
    assert f"`shapes/shapes.ttl`, {shapes} shapes" in records_page
    assert f"sentence of the {words.get(documents, documents)} source documents" in README
