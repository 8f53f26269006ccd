"""Candidate files: what ``propose`` offers for one document, in ``graph/candidates/<stem>.yaml``,
never in the records. A reviewer sets each candidate's ``decision`` to ``accept`` or ``reject``
(and may edit its ``record`` first); ``accept`` moves the accepted ones into
``graph/records/<stem>.yaml`` and remembers the rejected ones in ``graph/candidates/rejected.yaml``
so that ``propose`` does not offer them again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..problems import BuildFailed, Problem
from ..records import Node, read_records_file
from .reading import Reading
from .rules import Candidate

REJECTED = "rejected.yaml"
DECISIONS = ("pending", "accept", "reject")
HEADER = """\
# Candidate records for {file}, proposed by 'mineral-diplomacy propose' on {day}: nothing here is in
# the graph. For each candidate set 'decision' to accept or reject; edit its 'record' first if it
# needs it (the build checks it like any record once accepted). Then run
# 'mineral-diplomacy accept {file} --by "Your Name"'. Sentences marked fact: false state no fact
# (the reason says why); a mention marked 'new' is a name the graph does not know.
"""


def fingerprint(record: dict[str, object]) -> str:
    """What identifies a candidate across runs: its record, fields in any order."""
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def candidates_path(directory: Path, file: str) -> Path:
    return directory / f"{Path(file).stem}.yaml"


def rejected_fingerprints(directory: Path) -> set[str]:
    path = directory / REJECTED
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return {str(e["fingerprint"]) for e in entries or []}


def write_candidates(
    directory: Path, file: str, readings: list[Reading], candidates: list[Candidate], day: datetime.date
) -> Path:
    """Write (or replace) the candidate file of one document."""
    sentences = []
    for reading in readings:
        entry: dict[str, object] = {"n": reading.number, "text": reading.text, "fact": reading.fact}
        if reading.reason:
            entry["reason"] = reading.reason
        mentions = [
            f"{m.text} -> {m.entity_id or 'ambiguous: ' + ', '.join(m.ambiguous)}"
            + ("" if m.in_graph else " (reference tables only)")
            for m in reading.mentions
        ]
        mentions += [f"{m.text} -> new" for m in reading.new_names]
        dates = [
            f"{d.text} -> {d.value or '?'} ({d.precision}{': ' + d.extra['readings'] if d.extra else ''})"
            for d in reading.dates
        ]
        for key, values in (
            ("mentions", mentions),
            ("dates", dates),
            ("amounts", [f"{a.text} -> {a.value}" for a in reading.amounts]),
            ("quantities", [f"{q.text} -> {q.value}" for q in reading.quantities]),
        ):
            if values:
                entry[key] = values
        sentences.append(entry)
    items = [
        {
            "candidate": f"c{index}",
            "decision": "pending",
            "sentence": c.sentence,
            "rule": c.rule,
            "confidence": c.confidence,
            "proposed": fingerprint(c.record),
            **({"new": c.new_ids} if c.new_ids else {}),
            "record": c.record,
        }
        for index, c in enumerate(candidates, 1)
    ]
    directory.mkdir(parents=True, exist_ok=True)
    path = candidates_path(directory, file)
    body = yaml.safe_dump(
        [{"document": file, "sentences": sentences}, *items], sort_keys=False, allow_unicode=True, width=100
    )
    path.write_text(HEADER.format(file=file, day=day.isoformat()) + body, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Decided:
    """A candidate as the reviewer left it: its decision, its record (as edited) and where it is."""

    name: str
    decision: str
    rule: str
    proposed: str
    record: dict[str, object]
    line: int
    sentence: int = 0
    confidence: str = ""

    @property
    def edited(self) -> bool:
        return fingerprint(self.record) != self.proposed


def read_candidates(path: Path, display: str) -> list[Decided]:
    """The candidates of a file with their decisions; raises BuildFailed naming the file and line of
    a file edited into invalid YAML or of a candidate without a valid decision or record."""
    items = read_records_file(path, display)  # a list of mappings, each with its line
    decided, problems = [], []
    for item in items[1:]:  # the first item holds the document's sentences
        node = item.node
        decision = node.text("decision") or ""
        record = node.fields.get("record")
        if decision not in DECISIONS:
            problems.append(
                Problem(
                    display,
                    node.fields["decision"].line if "decision" in node.fields else item.line,
                    "candidate-decision",
                    f"'{decision}' is not a decision.",
                    "Write pending, accept or reject.",
                )
            )
            continue
        if record is None or not isinstance(record.value, Node):
            problems.append(
                Problem(
                    display,
                    item.line,
                    "candidate-record",
                    "This candidate has no record.",
                    "Restore its 'record:' (run propose again to see it as proposed).",
                )
            )
            continue
        fields = record.value.plain()
        decided.append(
            Decided(
                node.text("candidate") or "?",
                decision,
                node.text("rule") or "",
                node.text("proposed") or "",
                fields,
                record.line,
                int(node.text("sentence") or 0),
                node.text("confidence") or "",
            )
        )
    if problems:
        raise BuildFailed("read", problems)
    return decided


def candidate_files(directory: Path) -> list[Path]:
    """The candidate files of a folder, one per document (not the rejected ones' memory)."""
    return [p for p in sorted(directory.glob("*.yaml")) if p.name != REJECTED]


def sentences_of(path: Path) -> tuple[str, dict[int, str]]:
    """A candidate file's document and its sentences by number."""
    first = yaml.safe_load(path.read_text(encoding="utf-8"))[0]
    return str(first["document"]), {int(s["n"]): str(s["text"]) for s in first["sentences"]}


def rewrite(path: Path, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> None:
    """Rewrite a candidate file through ``change`` (on its items as YAML reads them), keeping the
    header's comments."""
    text = path.read_text(encoding="utf-8")
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    items = change(yaml.safe_load(text))
    path.write_text(
        header + yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )


def set_decisions(path: Path, decisions: dict[str, tuple[str, dict[str, object] | None]]) -> None:
    """Set candidates' decisions (and, where given, their edited records) in a candidate file."""

    def change(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in items[1:]:
            if item.get("candidate") in decisions:
                decision, record = decisions[item["candidate"]]
                item["decision"] = decision
                if record is not None:
                    item["record"] = record
        return items

    rewrite(path, change)
