"""The intake's candidates as reviewers see them: each candidate record in plain words, beside
its sentence, on the review pages (a queue per document) and in the workbook (a sheet where a
reviewer accepts, rejects or edits each one; ``mineral-diplomacy accept`` then moves them)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from rdflib import URIRef

from ..graph.intake.candidates import Decided, candidate_files, read_candidates, sentences_of
from ..graph.problems import BuildFailed
from ..ontology.namespaces import ID
from ..ontology.vocabulary import Vocabulary
from .data import ReviewData

HIDDEN = ("id", "source", "quote")


@dataclass(frozen=True)
class Queued:
    """A candidate waiting for (or carrying) a reviewer's decision, with its document and sentence."""

    document: str
    path: Path
    sentence: str
    candidate: Decided


class CandidateWords:
    """Candidate records in plain words: the ontology's labels for types and keys, the graph's labels
    for the things it knows, "new" for the rest."""

    def __init__(self, data: ReviewData, vocabulary: Vocabulary) -> None:
        self.data = data
        self.vocabulary = vocabulary

    def thing(self, value: object) -> str:
        text = str(value)
        if "/" in text and " " not in text:
            iri = URIRef(ID[text])
            if (iri, None, None) not in self.data.union:
                return f"new: {text}"
            return self.data.label(iri) or text
        if text in self.vocabulary.values:
            return self.vocabulary.label(self.vocabulary.values[text])
        return text

    def value(self, value: object) -> str:
        if isinstance(value, dict):
            return ", ".join(f"{self.key(k)} {self.value(v)}" for k, v in value.items())
        if isinstance(value, list):
            return "; ".join(self.value(v) for v in value)
        return self.thing(value)

    def key(self, key: str) -> str:
        spec = self.vocabulary.fields.get(key)
        return self.vocabulary.label(spec.iri) if spec else key.replace("_", " ")

    def head(self, record: dict[str, object]) -> str:
        kind = str(record.get("type", ""))
        what = self.thing(record.get("id", ""))
        if kind in self.vocabulary.types:
            return f"{self.vocabulary.label(self.vocabulary.types[kind])}: {what}"
        return what

    def fields(self, record: dict[str, object]) -> list[str]:
        return [f"{self.key(k)}: {self.value(v)}" for k, v in record.items() if k not in (*HIDDEN, "type")]

    def sentence(self, record: dict[str, object]) -> str:
        """The whole candidate in one line."""
        return " — ".join([self.head(record), "; ".join(self.fields(record))]).rstrip(" —")


def queue(candidates_dir: Path) -> list[Queued]:
    """Every candidate of every candidate file, in file order; raises BuildFailed (file and line)
    for a file edited into invalid YAML."""
    found = []
    for path in candidate_files(candidates_dir):
        document, sentences = sentences_of(path)
        for candidate in read_candidates(path, f"graph/candidates/{path.name}"):
            found.append(Queued(document, path, sentences.get(candidate.sentence, ""), candidate))
    return found


def check(queued: Queued) -> str:
    """The row check of a candidate: what it is now (record and decision)."""
    now = [queued.document, queued.candidate.name, queued.candidate.decision, queued.candidate.record]
    return hashlib.sha256(json.dumps(now, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]


def as_yaml(record: dict[str, object]) -> str:
    """A record as the reviewer edits it in a cell."""
    return yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=100).strip()


def documents_with_queues(candidates_dir: Path, words: CandidateWords) -> list[dict[str, object]]:
    """The review pages' queue: per document, its sentences (fact or not, mentions) with their
    candidates in plain words."""
    try:
        queued = queue(candidates_dir)
    except BuildFailed as failed:
        return [{"document": "", "problem": failed.report(), "sentences": []}]
    pages: list[dict[str, object]] = []
    for path in candidate_files(candidates_dir):
        first = yaml.safe_load(path.read_text(encoding="utf-8"))[0]
        mine = [q for q in queued if q.path == path]
        sentences = []
        for entry in first["sentences"]:
            here = [q.candidate for q in mine if q.candidate.sentence == entry["n"]]
            sentences.append(
                {
                    "n": entry["n"],
                    "text": entry["text"],
                    "fact": entry.get("fact", True),
                    "reason": entry.get("reason", ""),
                    "new": [
                        m.removesuffix(" -> new") for m in entry.get("mentions", []) if m.endswith(" -> new")
                    ],
                    "known": [m for m in entry.get("mentions", []) if not m.endswith(" -> new")],
                    "candidates": [
                        {
                            "name": c.name,
                            "decision": c.decision,
                            "rule": c.rule,
                            "confidence": c.confidence,
                            "head": words.head(c.record),
                            "fields": words.fields(c.record),
                        }
                        for c in here
                    ],
                }
            )
        pages.append(
            {
                "document": first["document"],
                "stem": path.stem,
                "problem": "",
                "pending": sum(1 for q in mine if q.candidate.decision == "pending"),
                "total": len(mine),
                "sentences": sentences,
            }
        )
    return pages


CANDIDATE_COLUMNS = (
    "document",
    "candidate",
    "sentence",
    "rule",
    "confidence",
    "proposed",
    "record",
    "decision",
    "row check",
)
CANDIDATE_EDITS = ("record", "decision")


def candidate_rows(candidates_dir: Path | None, words: CandidateWords) -> list[dict[str, str]]:
    """The workbook's Candidates sheet: one row per candidate, its record in words and as YAML."""
    if candidates_dir is None or not candidates_dir.is_dir():
        return []
    return [
        {
            "document": q.document,
            "candidate": q.candidate.name,
            "sentence": q.sentence,
            "rule": q.candidate.rule,
            "confidence": q.candidate.confidence,
            "proposed": words.sentence(q.candidate.record),
            "record": as_yaml(q.candidate.record),
            "decision": q.candidate.decision,
            "row check": check(q),
        }
        for q in queue(candidates_dir)
    ]
