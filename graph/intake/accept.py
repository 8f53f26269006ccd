"""``accept``: the accepted candidates of a document moved into its records file, each marked with
the rule that proposed it and who accepted it; the rejected ones remembered; the pending ones left.
A candidate whose quote no longer occurs in its document is refused (named, nothing moved)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..problems import BuildFailed, Problem
from ..sources import SourceCollection
from .candidates import REJECTED, Decided, candidates_path, read_candidates, rewrite


@dataclass
class Accepted:
    """What ``accept`` did."""

    unchanged: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    pending: int = 0
    records_file: Path | None = None
    marked: int = 0  # sentences newly marked as stating no fact


def accept(
    file: str,
    candidates_dir: Path,
    records_dir: Path,
    sources: SourceCollection,
    by: str,
    marks_dir: Path | None = None,
    display_dir: str = "graph/candidates",
    today: datetime.date | None = None,
) -> Accepted:
    """Move the decided candidates of ``file``; raises BuildFailed (nothing written) if any
    accepted candidate cites another document or a quote its document does not hold. With
    ``marks_dir``, the sentences the reviewer left marked ``fact: false`` become coverage marks
    (with their reason), those already marked skipped."""
    path = candidates_path(candidates_dir, file)
    display = f"{display_dir}/{path.name}"
    if not path.exists():
        raise BuildFailed(
            "accept",
            [
                Problem(
                    display,
                    0,
                    "candidate-file",
                    f"No candidates for {file}.",
                    f"Run 'mineral-diplomacy propose {file}' first.",
                )
            ],
        )
    if not by.strip():
        raise BuildFailed(
            "accept",
            [
                Problem(
                    display, 0, "candidate-reviewer", "Who accepts is not said.", "Give your name with --by."
                )
            ],
        )
    decided = read_candidates(path, display)
    problems = [
        Problem(
            display,
            d.line,
            "candidate-quote",
            f"Candidate {d.name}: its quote does not occur in {file} (was it edited?).",
            "Copy the words exactly from the document, or reject the candidate.",
        )
        for d in decided
        if d.decision == "accept" and not _grounded(d, file, sources)
    ]
    if problems:
        raise BuildFailed("accept", problems)
    result = Accepted()
    moved = [d for d in decided if d.decision == "accept"]
    if moved:
        result.records_file = records_dir / f"{Path(file).stem}.yaml"
        _append_records(result.records_file, file, moved, by)
    rejected = [d for d in decided if d.decision == "reject"]
    if rejected:
        _remember(candidates_dir / REJECTED, file, rejected, today or datetime.date.today())
    result.unchanged = [d.name for d in moved if not d.edited]
    result.edited = [d.name for d in moved if d.edited]
    result.rejected = [d.name for d in rejected]
    result.pending = sum(1 for d in decided if d.decision == "pending")
    if marks_dir is not None:
        result.marked = _mark_no_fact(path, marks_dir / f"{Path(file).stem}.yaml")
    _keep_pending(path, {d.name for d in moved + rejected})
    return result


def _grounded(decided: Decided, file: str, sources: SourceCollection) -> bool:
    """Whether the candidate cites this document with words it holds."""
    quote = str(decided.record.get("quote", ""))
    return decided.record.get("source") == file and sources.contains(file, quote)


def _append(path: Path, header: str, items: list[dict[str, object]], gap: str = "") -> None:
    """Add YAML list items to the end of a file, starting it with ``header`` if it is new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = path.read_text(encoding="utf-8") if path.exists() else header
    text = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(previous + gap + text, encoding="utf-8")


def _append_records(path: Path, file: str, moved: list[Decided], by: str) -> None:
    records = []
    for d in moved:
        record = {k: v for k, v in d.record.items() if k not in ("source", "quote")}
        record["candidate"] = f"{d.rule}{' (edited)' if d.edited else ''}"
        record["accepted_by"] = by
        record["source"], record["quote"] = d.record["source"], d.record["quote"]
        records.append(record)
    header = (
        f"# Records taken from {file}, accepted from the candidates of 'mineral-diplomacy propose'\n"
        "# ('candidate' names the rule that proposed each; 'accepted_by' who accepted it) or written\n"
        '# by hand. See README.md, "A new document into the graph".\n'
    )
    _append(path, header, records, gap="\n")


def _remember(path: Path, file: str, rejected: list[Decided], today: datetime.date) -> None:
    entries: list[dict[str, object]] = [
        {
            "source": file,
            "fingerprint": d.proposed,
            "rule": d.rule,
            "id": d.record.get("id"),
            "rejected_on": today.isoformat(),
        }
        for d in rejected
    ]
    _append(path, "# Candidates reviewers rejected: 'propose' does not offer them again.\n", entries)


def _mark_no_fact(candidates: Path, marks: Path) -> int:
    """Add the sentences marked ``fact: false`` in the candidate file to the coverage marks."""
    sentences = yaml.safe_load(candidates.read_text(encoding="utf-8"))[0]["sentences"]
    held = yaml.safe_load(marks.read_text(encoding="utf-8")) if marks.exists() else None
    known = {str(m.get("quote")) for m in held or []}
    new: list[dict[str, object]] = [
        {"quote": s["text"], "reason": s.get("reason") or "states no fact (reviewer)"}
        for s in sentences
        if s.get("fact") is False and s["text"] not in known
    ]
    if new:
        header = "# Sentences that state no fact, marked by the candidates' reviewer (graph/coverage.py).\n"
        _append(marks, header, new)
    return len(new)


def _keep_pending(path: Path, done: set[str]) -> None:
    """Rewrite the candidate file without the candidates that were moved or rejected."""
    rewrite(path, lambda items: [items[0], *(i for i in items[1:] if i.get("candidate") not in done)])
