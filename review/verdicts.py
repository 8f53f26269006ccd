"""Reviewers' verdicts (correct, wrong, unsure) and comments on facts and terms: review records,
written by a workbook import into ``graph/reviews/*.yaml``, shown on the review pages and counted
by the quality report."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

VERDICTS = ("correct", "wrong", "unsure")


@dataclass(frozen=True, order=True)
class Verdict:
    """One reviewer's verdict on one fact or term: who, when, on what, and why."""

    item: str  # a fact's key (record graph, property, value) or a term's IRI
    reviewer: str
    date: str
    verdict: str
    comment: str = ""
    about: str = ""  # the fact or term in words, as the reviewer saw it


def fact_key(graph: str, prop: str, value: str, subject: str = "") -> str:
    """The key of a fact: its graph, property and value, space-separated; then its subject where
    the graph may say the same of two things: a field of a nested value (a record can say
    "concerns lithium" of the thing and of its term of access), a statement of the tables."""
    return f"{graph} {prop} {value}" + (f" {subject}" if subject else "")


def load_verdicts(directory: Path) -> list[Verdict]:
    """Every review record under ``directory`` (none if it does not exist)."""
    verdicts = []
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            verdicts.append(Verdict(**{k: str(v) for k, v in entry.items()}))
    return sorted(verdicts)


def append_verdicts(directory: Path, name: str, verdicts: list[Verdict]) -> Path:
    """Add verdicts to the review file ``name`` (kept in order of arrival)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    existing = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    entries = list(existing or []) + [asdict(v) for v in verdicts]
    path.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    return path
