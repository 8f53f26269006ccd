"""Coverage: every fact-stating sentence of every source is cited by a record."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.graph import COVERAGE_DIR, DOCUMENTS_DIR, PROJECT_DIR, RECORDS_DIR, SHARED_DIR
from mineral_diplomacy.graph.coverage import coverage, document_coverage, sentences
from mineral_diplomacy.graph.records import read_records
from mineral_diplomacy.graph.sources import project_sources

SOURCES = project_sources(SHARED_DIR)  # the seeds and the project's own documents


@pytest.fixture(scope="module")
def documents():
    return coverage(SOURCES, read_records(RECORDS_DIR, PROJECT_DIR), COVERAGE_DIR)


def test_every_document_is_reported_seeds_and_the_projects_own(documents) -> None:
    seeds = sorted(p.name for p in (SHARED_DIR / "sources").glob("*.txt"))
    own = sorted(p.name for p in DOCUMENTS_DIR.glob("*.txt"))
    assert [d.file for d in documents] == seeds + own and len(seeds) == 5 and len(own) == 3


def test_every_fact_stating_sentence_is_covered(documents) -> None:
    uncovered = [(d.file, s.text) for d in documents for s in d.uncovered]
    assert uncovered == []
    assert all(d.share == 1.0 for d in documents)


def test_every_mark_is_found_and_has_a_reason(documents) -> None:
    assert [p for d in documents for p in d.problems] == []


FURNITURE = re.compile(r"heading|by-line|footer|boilerplate|page metadata|front matter|link", re.I)


def test_marks_do_not_hide_most_of_a_document(documents) -> None:
    # A guard against marking facts away: most sentences of each text (its page furniture aside:
    # headings, by-lines, links, a republisher's footer, page metadata) state something.
    for doc in documents:
        prose = [s for s in doc.sentences if s.covered or not (s.reason and FURNITURE.search(s.reason))]
        assert len(doc.fact_sentences) > len(prose) / 2, doc.file


def test_sentences_split_at_lines_and_full_stops_but_not_abbreviations() -> None:
    found = [s.text for s in sentences("# Title\n\nOne fact. Another in the U.S. today! Third?\n- a bullet")]
    assert found == ["# Title", "One fact.", "Another in the U.S. today!", "Third?", "- a bullet"]


def test_uncovered_sentence_and_unfound_mark_are_reported(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    (marks / "003_b26980c2506844ff.yaml").write_text(
        "- quote: words that are not there\n  reason: heading\n")
    doc = document_coverage("003_b26980c2506844ff.txt", SOURCES, [], marks)
    assert doc.covered == 0 and len(doc.uncovered) == len(doc.sentences)
    assert len(doc.problems) == 1 and "not found" in doc.problems[0]


def test_coverage_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage"]) == 0
    out = capsys.readouterr().out
    assert "003_b26980c2506844ff.txt" in out and "100.0%" in out.splitlines()[-1]
