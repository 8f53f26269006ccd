"""Coverage: for each source document, its sentences and the records that cite them.

A sentence is covered when a record's quote overlaps it. A sentence that states no fact (opinion,
analysis, a heading, page furniture) is marked in ``graph/coverage/<source stem>.yaml`` with a
reason, either by a quote or by a ``from``/``to`` pair of quotes that spans several sentences:

    - quote: Q&A with author
      reason: heading
    - from: "---"
      to: "score: -1.0"
      reason: page metadata (YAML front matter)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .records import Record
from .sources import SourceCollection, markup_free, normalise

# A sentence ends at . ! or ? before a capital, except after abbreviations such as "U.S.".
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!U\.S\.)(?<!e\.g\.)(?<!i\.e\.)\s+(?=[A-Z0-9\"\u201c\u2018(])")


@dataclass
class Sentence:
    """A sentence of a source document, with its span in the normalised text."""

    text: str
    start: int
    end: int
    records: list[str] = field(default_factory=list)
    citations: list[tuple[str, int]] = field(default_factory=list)  # (record file, line)
    reason: str | None = None

    @property
    def covered(self) -> bool:
        return bool(self.records)


@dataclass
class DocumentCoverage:
    """The sentences of one document and what covers them."""

    file: str
    sentences: list[Sentence]
    problems: list[str]

    @property
    def marked(self) -> int:
        return sum(1 for s in self.sentences if s.reason and not s.covered)

    @property
    def fact_sentences(self) -> list[Sentence]:
        return [s for s in self.sentences if not (s.reason and not s.covered)]

    @property
    def covered(self) -> int:
        return sum(1 for s in self.fact_sentences if s.covered)

    @property
    def share(self) -> float:
        facts = self.fact_sentences
        return self.covered / len(facts) if facts else 1.0

    @property
    def uncovered(self) -> list[Sentence]:
        return [s for s in self.fact_sentences if not s.covered]


def sentences(raw: str) -> list[Sentence]:
    """Split a document into sentences: by line (headings and bullets end a sentence), then at
    sentence-ending punctuation; each located in the normalised text."""
    text = normalise(raw)
    found: list[Sentence] = []
    cursor = 0
    for line in markup_free(raw).splitlines():
        for part in _SENTENCE_END.split(line):
            piece = normalise(part)
            if not re.search(r"[A-Za-z]{2}", piece):
                continue  # rules, bullets and other marks without words
            start = text.find(piece, cursor)
            if start < 0:
                continue
            cursor = start + len(piece)
            found.append(Sentence(piece, start, cursor))
    return found


def _spans(text: str, quote: str) -> list[tuple[int, int]]:
    wanted = normalise(quote)
    spans, start = [], text.find(wanted)
    while wanted and start >= 0:
        spans.append((start, start + len(wanted)))
        start = text.find(wanted, start + 1)
    return spans


def _marks(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [{k: str(v) for k, v in item.items()} for item in loaded]


def document_coverage(
    file: str, sources: SourceCollection, records: list[Record], marks_dir: Path
) -> DocumentCoverage:
    """Which sentences of ``file`` the records cite, and which are marked as stating no fact."""
    raw = sources.raw(file)
    text = sources.files[file]
    doc = DocumentCoverage(file, sentences(raw), [])
    for record in records:
        if record.node.text("source") != file:
            continue
        label = f"{record.node.text('id')} ({record.file}:{record.line})"
        for start, end in _spans(text, record.node.text("quote") or ""):
            for sentence in doc.sentences:
                if sentence.start < end and start < sentence.end:
                    sentence.records.append(label)
                    sentence.citations.append((record.file, record.line))
    marks_file = marks_dir / f"{Path(file).stem}.yaml"
    for mark in _marks(marks_file):
        reason = mark.get("reason", "")
        if not reason:
            doc.problems.append(f"{marks_file.name}: a mark has no reason: {mark}")
        if "quote" in mark:
            spans = _spans(text, mark["quote"])[:1]
        else:
            first, last = _spans(text, mark.get("from", "")), _spans(text, mark.get("to", ""))
            spans = [(first[0][0], last[0][1])] if first and last else []
        if not spans:
            doc.problems.append(f"{marks_file.name}: not found in {file}: {mark}")
        for start, end in spans:
            for sentence in doc.sentences:
                if start <= sentence.start and sentence.end <= end:
                    sentence.reason = reason
    return doc


def coverage(sources: SourceCollection, records: list[Record], marks_dir: Path) -> list[DocumentCoverage]:
    """Coverage of every source document."""
    return [document_coverage(file, sources, records, marks_dir) for file in sources.files]


def report(documents: list[DocumentCoverage], *, details: bool = False) -> str:
    """A table of coverage per document; with ``details``, every uncovered sentence."""
    width = max([28, *(len(d.file) + 1 for d in documents)])
    lines = [f"{'source document':<{width}} {'sentences':>9} {'no fact':>8} {'facts':>6} "
             f"{'covered':>8} {'share':>7}"]
    for doc in documents:
        facts = len(doc.fact_sentences)
        lines.append(f"{doc.file:<{width}} {len(doc.sentences):>9} {doc.marked:>8} {facts:>6} "
                     f"{doc.covered:>8} {doc.share:>7.1%}")
    total_facts = sum(len(d.fact_sentences) for d in documents)
    total_covered = sum(d.covered for d in documents)
    lines.append(f"{'all':<{width}} {sum(len(d.sentences) for d in documents):>9} "
                 f"{sum(d.marked for d in documents):>8} {total_facts:>6} {total_covered:>8} "
                 f"{(total_covered / total_facts if total_facts else 1):>7.1%}")
    for doc in documents:
        lines.extend(f"problem: {p}" for p in doc.problems)
        if details:
            lines.extend(f"uncovered: {doc.file}: {s.text}" for s in doc.uncovered)
    return "\n".join(lines)
