"""Reading the question files and checking a question's answer against what it expects.

A question file (``queries/<id>.yaml``) holds: ``id``, ``question`` (plain English), ``asked_by``
(who asks it and why, one line), ``theme``, ``sparql``, and ``expected``:

    expected:
      match: exact          # exact: these rows and no others; contains: at least these rows
      rows:                 # each row lists only the variables worth comparing, as text
        - {subject: ..., count: "13"}

or ``expected: {ask: true}`` for an ASK query. An answer expected to be empty says why, with the
passages that show it (``rows: []`` and ``empty_because: [...]``).

Every expected row (and an ASK expectation) says ``because``: the passages of the sources, or the
cells of the reference tables, that justify it, so that a reviewer can check the expected answer
against the sources rather than against the graph's output:

    because:
      - {source: 003_b26980c2506844ff.txt, quote: "In March 2022, KABIL ... signed ..."}
      - {reference: regions.csv, key: IN, column: msp, value: "yes"}
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import yaml

from ..release.store import ask, select, text
from . import QUERIES_DIR


@dataclass(frozen=True)
class Question:
    """One competency question."""

    id: str
    question: str
    asked_by: str
    theme: str
    sparql: str
    expected: dict[str, object]
    needs_network: bool = False  # a federated query to a public endpoint: the tests cannot run it


def load_questions(directory: Path = QUERIES_DIR) -> list[Question]:
    """Every question file, by id."""
    questions = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        questions.append(Question(data["id"], data["question"], data["asked_by"],
                                  data.get("theme", ""), data["sparql"], data["expected"],
                                  bool(data.get("needs_network", False))))
    return questions


def answer_rows(store: ox.Store, question: Question) -> list[dict[str, str]]:
    """The question's answer as rows of text (for ASK: one row with 'ask')."""
    if "ask" in question.expected:
        return [{"ask": str(ask(store, question.sparql)).lower()}]
    names, rows = select(store, question.sparql)
    return [{name: text(row[name]) for name in names} for row in rows]


JUSTIFICATION = "because"


def expected_rows(question: Question) -> list[dict[str, object]]:
    """The expected rows, or the ASK expectation as one row."""
    rows = question.expected.get("rows", [question.expected])
    return list(rows) if isinstance(rows, list) else []


EMPTY_JUSTIFICATION = "empty_because"


def justifications(question: Question) -> list[dict[str, object]]:
    """Every passage ({source, quote}) or reference row ({reference, row}) the expected answer cites."""
    cited = [row.get(JUSTIFICATION) for row in expected_rows(question)]
    cited.append(question.expected.get(EMPTY_JUSTIFICATION))
    return [item for items in cited if isinstance(items, list) for item in items]


def differences(question: Question, rows: list[dict[str, str]]) -> list[str]:
    """What differs between the answer and the expectation, as readable lines ([] if none)."""
    if "ask" in question.expected:
        wanted = str(question.expected["ask"]).lower()
        return [] if rows == [{"ask": wanted}] else [f"expected ASK {wanted}, got {rows}"]
    expected = [{k: str(v) for k, v in row.items() if k != JUSTIFICATION}
                for row in expected_rows(question)]
    # GROUP_CONCAT's order is not SPARQL's to fix (engines differ): such columns compare as sets
    unordered = set(question.expected.get("unordered", []))  # type: ignore[call-overload]

    def same(column: str, got: str, want: str) -> bool:
        return sorted(got.split(", ")) == sorted(want.split(", ")) if column in unordered else got == want

    remaining = list(rows)
    lines = []
    for want in expected:  # each expected row compares only the variables it names
        match = next((r for r in remaining if all(same(k, r.get(k, ""), v) for k, v in want.items())), None)
        if match is None:
            lines.append(f"missing row: {want}")
        else:
            remaining.remove(match)
    if question.expected.get("match", "exact") == "exact":
        lines += [f"unexpected row: {row}" for row in remaining]
    return lines
