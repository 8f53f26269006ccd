"""How well ``propose`` reads a document it has not seen, on two sets reported apart.

* **Held out** (``benchmarks/intake/heldout/``): the three primary documents of
  ``shared/incoming/``, labelled by hand by a second reader, blind, and frozen before the rules
  were tuned: whether each sentence states a fact, every mention with its IRI (or "new"), dates,
  quantities, and the records a curator would write. The proposer reads them with a gazetteer made
  from all the seed documents' records (none of these documents' own).
* **Leave one out** on the five seed documents (the development set): each document's records
  are hidden, the gazetteer is made from the others', and the candidates are compared with the
  hidden, hand-curated records (record types, matches), the mentions, dates and amounts with the
  seeds' hand labels (``benchmarks/intake/seeds/``, written blind); fact or not comes from
  coverage. A link is wanted only to a thing the graph built without the document has.

Figures per document and overall: sentence fact/no-fact accuracy; entity links, precision and
recall; dates, amounts and quantities, precision and recall; the share of curated records whose type a
candidate of the same sentence has; and the share of curated records a candidate matches exactly
(type and every compared field), nearly (type, one or two fields off) or not at all. An ablation
shows what each part of the gazetteer adds (the records' labels alone; with the reference tables;
with the official lists).

Run: ``.venv/bin/python benchmarks/intake.py`` (add ``--json FILE`` to keep the figures).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mineral_diplomacy.graph import (
    COVERAGE_DIR,
    GEOGRAPHY_FILE,
    LISTS_FILE,
    PROJECT_DIR,
    RECORDS_DIR,
    SHARED_DIR,
)
from mineral_diplomacy.graph.coverage import document_coverage
from mineral_diplomacy.graph.documents import Document
from mineral_diplomacy.graph.geography import Geography
from mineral_diplomacy.graph.intake.gazetteer import Gazetteer
from mineral_diplomacy.graph.intake.propose import Proposal, propose
from mineral_diplomacy.graph.records import Record, read_records
from mineral_diplomacy.graph.reference import ReferenceTables
from mineral_diplomacy.graph.sources import SourceCollection
from mineral_diplomacy.ontology.namespaces import ID
from mineral_diplomacy.ontology.vocabulary import vocabulary

HELDOUT = Path(__file__).parent / "intake" / "heldout"
SEED_LABELS = Path(__file__).parent / "intake" / "seeds"  # mentions, dates, amounts of the seeds, by hand
INCOMING = SHARED_DIR / "incoming"
# The fields compared between a candidate and a curated record, by what they hold.
COMPARED = {
    "dates": ("date", "signed_on", "announced_on", "launched_on", "joined_on", "issued"),
    "amounts": ("amount",),
    "minerals": ("minerals", "items"),
    "parties": ("parties", "member", "organization", "investors", "operators", "owned_by", "adopted_by"),
    "status": ("status",),
}
INCOMING_FACTS = {  # the incoming README's metadata, as add-source would register it
    "kabil-self-reliance-critical-strategic-minerals.txt": ("2022-01-03", "Ministry of Mines"),
    "msp-expands-norway-italy-india.txt": ("2023-09", "U.S. Department of State"),
    "thirty-critical-minerals-list.txt": ("2023-07-24", "Ministry of Mines"),
}


@dataclass
class Score:
    """Counts for precision and recall (or accuracy, with ``right``/``total``)."""

    found: int = 0
    right: int = 0
    wanted: int = 0
    hits: int = 0

    def add(self, proposed: Iterable[object], gold: Iterable[object]) -> None:
        proposed, gold = set(proposed), set(gold)
        self.found += len(proposed)
        self.right += len(proposed & gold)
        self.wanted += len(gold)
        self.hits += len(gold & proposed)

    def __iadd__(self, other: Score) -> Score:
        self.found += other.found
        self.right += other.right
        self.wanted += other.wanted
        self.hits += other.hits
        return self

    @property
    def precision(self) -> float | None:
        return self.right / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.hits / self.wanted if self.wanted else None


@dataclass
class Figures:
    """One document's (or all documents') figures."""

    sentences: Score = field(default_factory=Score)  # right = correct fact/no-fact calls of found
    links: Score = field(default_factory=Score)
    dates: Score = field(default_factory=Score)
    amounts: Score = field(default_factory=Score)
    quantities: Score = field(default_factory=Score)
    types: Score = field(default_factory=Score)  # hits = curated records whose type was proposed
    matches: Counter[str] = field(default_factory=Counter)
    candidates: int = 0
    typed_right: int = 0  # candidates of a type a curated record of their sentence has (or facets)
    by_type: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def __iadd__(self, other: Figures) -> Figures:
        for name in ("sentences", "links", "dates", "amounts", "quantities", "types"):
            getattr(self, name).__iadd__(getattr(other, name))
        self.matches.update(other.matches)
        for name, (missed, found) in other.by_type.items():
            self.by_type[name][0] += missed
            self.by_type[name][1] += found
        self.candidates += other.candidates
        self.typed_right += other.typed_right
        return self


def _values(record: dict[str, object], keys: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for key in keys:
        value = record.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                found.add(json.dumps({k: str(v) for k, v in item.items() if k != "as_of"}, sort_keys=True))
            elif item is not None:
                found.add(str(item))
    return found


def _fields(record: dict[str, object]) -> dict[str, set[str]]:
    return {name: _values(record, keys) for name, keys in COMPARED.items()}


def _match(candidate: dict[str, object], curated: dict[str, object]) -> str:
    """exact: the same type and compared fields; near: the same type, one or two fields off."""
    if candidate.get("type") != curated.get("type") and candidate.get("id") != curated.get("id"):
        return "none"
    mine, theirs = _fields(candidate), _fields(curated)
    off = sum(1 for name in COMPARED if mine[name] != theirs[name])
    return "exact" if off == 0 else "near" if off <= 2 else "none"


def _record_sentences(text: str, quote: str, spans: list[tuple[int, int]]) -> set[int]:
    from mineral_diplomacy.graph.sources import normalise

    wanted, found, start = normalise(quote), set(), text.find(normalise(quote))
    while wanted and start >= 0:
        found |= {i for i, (s, e) in enumerate(spans, 1) if s < start + len(wanted) and start < e}
        start = text.find(wanted, start + 1)
    return found


def compare_with_records(
    proposal: Proposal,
    curated: list[Record],
    sources: SourceCollection,
    coverage_fact: dict[int, bool],
) -> Figures:
    """Leave-one-out figures from the document's hidden records: fact or not, record types and
    matches (links, dates and amounts come from the hand labels: ``relabel``)."""
    figures = Figures(candidates=len(proposal.candidates))
    text = sources.files[proposal.file]
    spans = [(r.start, r.start + len(r.text)) for r in proposal.readings]
    by_sentence: dict[int, list[dict[str, object]]] = {}
    for record in curated:
        plain = record.node.plain()
        for number in _record_sentences(text, str(plain.get("quote", "")), spans):
            by_sentence.setdefault(number, []).append(plain)
    for reading in proposal.readings:
        figures.sentences.found += 1
        figures.sentences.right += int(reading.fact == coverage_fact.get(reading.number, True))
        gold_records = by_sentence.get(reading.number, [])
        number = reading.number
        kinds = {
            str(t)
            for r in gold_records
            for t in (r["type"] if isinstance(r.get("type"), list) else [r.get("type")])
        }
        figures.typed_right += sum(
            1
            for c in proposal.candidates
            if c.sentence == number and (c.record.get("type") in kinds or "type" not in c.record)
        )
    for record in curated:
        plain = record.node.plain()
        if "type" not in plain or plain["type"] == "SourceDocument":
            continue  # a project document is described from add-source's metadata, not proposed
        numbers = _record_sentences(text, str(plain.get("quote", "")), spans)
        cands = [c.record for c in proposal.candidates if c.sentence in numbers]
        figures.types.wanted += 1
        found_type = any(c.get("type") == plain["type"] for c in cands)
        figures.types.hits += int(found_type)
        figures.by_type[str(plain["type"])][int(found_type)] += 1
        best = min((_match(c, plain) for c in cands), key=["exact", "near", "none"].index, default="none")
        figures.matches[best] += 1
    return figures


def _amount(amount: dict[str, object]) -> str:
    kept = {k: str(v) for k, v in amount.items() if k in ("value", "currency", "scale")}
    return json.dumps(kept, sort_keys=True)


def relabel(figures: Figures, proposal: Proposal, labels: list[dict[str, Any]], known: set[str]) -> None:
    """Links, dates and amounts against the hand labels of the document's mentions (a link is
    wanted only to a thing the graph built without the document has: ``known``)."""
    readings = {r.number: r for r in proposal.readings}
    prefix = str(ID)
    for label in labels:
        number, reading = int(label["n"]), readings.get(int(label["n"]))
        if reading is None:
            raise SystemExit(f"{proposal.file}: no sentence {number}; the split changed")
        gold = {
            (number, _area(str(m["iri"])[len(prefix) :]))
            for m in label.get("mentions") or []
            if str(m["iri"]).startswith(prefix) and str(m["iri"])[len(prefix) :] in known
        }
        # as on the held-out set, a link is to a thing the graph (the others' records) has; a thing only
        # the reference tables know is proposed as new (reference-entity), and its id is the curators'
        linked = {(number, _area(m.entity_id)) for m in reading.mentions if m.entity_id and m.in_graph}
        figures.links.add(linked, gold)
        figures.dates.add(
            {(number, str(d.value)) for d in reading.dates if d.value},
            {(number, str(d["value"])) for d in label.get("dates") or []},
        )
        figures.amounts.add(
            {(number, _amount(a.value)) for a in reading.amounts if isinstance(a.value, dict)},
            {(number, _amount(a)) for a in label.get("amounts") or []},
        )


def _area(entity_id: str) -> str:
    """A continent and the UN M49 region of the same name ("Africa") are one answer."""
    return "region/" + entity_id[len("continent/") :] if entity_id.startswith("continent/") else entity_id


def compare_with_labels(proposal: Proposal, labels: list[dict[str, object]]) -> Figures:
    """Held-out figures: the proposal against the blind labels."""
    figures = Figures(candidates=len(proposal.candidates))
    readings = {r.number: r for r in proposal.readings}
    prefix = str(ID)
    for label in labels:
        number = int(label["n"])  # type: ignore[call-overload]
        reading = readings.get(number)
        if reading is None or reading.text != label["sentence"]:
            raise SystemExit(f"{proposal.file}: sentence {number} is not the labelled one; the split changed")
        figures.sentences.found += 1
        figures.sentences.right += int(reading.fact == bool(label["states_fact"]))
        gold = {
            (number, str(m["iri"])[len(prefix) :])
            for m in label.get("mentions") or []  # type: ignore[union-attr]
            if str(m["iri"]).startswith(prefix)
        }
        linked = {(number, m.entity_id) for m in reading.mentions if m.entity_id and m.in_graph}
        figures.links.add(linked, gold)  # a thing only the reference tables know is new to the graph
        figures.dates.add(
            {(number, str(d.value)) for d in reading.dates if d.value},
            {(number, str(d["value"])) for d in label.get("dates") or []},
        )  # type: ignore[union-attr]
        figures.amounts.add(
            {(number, a.text) for a in reading.amounts},
            {(number, str(a["text"])) for a in label.get("amounts") or []},
        )  # type: ignore[union-attr]
        figures.quantities.add(
            {
                (number, str(q.value["value"]))
                for q in reading.quantities  # type: ignore[index]
                if isinstance(q.value, dict)
            },
            {(number, str(q["value"])) for q in label.get("quantities") or []},
        )  # type: ignore[union-attr]
        cands = [c.record for c in proposal.candidates if c.sentence == number]
        for record in label.get("records") or []:  # type: ignore[union-attr]
            if record["type"] == "SourceDocument":
                continue  # a project document is described from add-source's metadata, not proposed
            figures.types.wanted += 1
            figures.types.hits += int(any(c.get("type") == record["type"] for c in cands))
    return figures


def _documents(file: str) -> list[Document]:
    issued, publisher = INCOMING_FACTS[file]
    return [
        Document(
            file,
            file,
            publisher,
            issued,
            "the incoming README",
            "governmentRelease",
            "2026-12-07T00:00:00+00:00",
            "",
        )
    ]


def run(ablation: str = "all") -> dict[str, dict[str, Figures]]:
    """Every figure, for one gazetteer make-up."""
    records = read_records(RECORDS_DIR, PROJECT_DIR)
    reference = ReferenceTables(SHARED_DIR / "reference")
    lists = LISTS_FILE if ablation == "all" else None
    geography = Geography(reference, GEOGRAPHY_FILE)
    if ablation == "records":
        reference, geography = _no_reference(reference), None
    words = vocabulary()
    results: dict[str, dict[str, Figures]] = {"held out": {}, "leave one out": {}}
    incoming = SourceCollection(INCOMING)
    seed_records = [r for r in records if r.node.text("source") not in incoming.files]  # none of theirs
    for labels_file in sorted(HELDOUT.glob("*.yaml")):
        file = labels_file.stem + ".txt"
        proposal = propose(
            file, incoming, seed_records, reference, lists, _documents(file), words, set(), geography
        )
        labels = yaml.safe_load(labels_file.read_text(encoding="utf-8"))
        results["held out"][file] = compare_with_labels(proposal, labels)
    seeds = SourceCollection(SHARED_DIR / "sources")
    for file in seeds.files:
        others = [r for r in seed_records if r.node.text("source") != file]
        own = [r for r in records if r.node.text("source") == file]
        coverage = document_coverage(file, seeds, records, COVERAGE_DIR)
        facts = {i: not (s.reason and not s.covered) for i, s in enumerate(coverage.sentences, 1)}
        proposal = propose(
            file,
            seeds,
            others + [r for r in own if r.node.text("type") == "SourceDocument" or r.node.text("file_name")],
            reference,
            lists,
            [],
            words,
            set(),
            geography,
        )
        gazetteer = Gazetteer.build(others, reference, lists, geography)
        known = {n.entity_id for names in gazetteer.names.values() for n in names if n.in_graph}
        figures = compare_with_records(proposal, own, seeds, facts)
        labels = yaml.safe_load((SEED_LABELS / f"{Path(file).stem}.yaml").read_text(encoding="utf-8"))
        relabel(figures, proposal, labels, known)
        results["leave one out"][file] = figures
    return results


def _no_reference(reference: ReferenceTables) -> ReferenceTables:
    """The tables with no rows: the gazetteer from the records' own labels only."""
    empty = ReferenceTables.__new__(ReferenceTables)
    empty.directory, empty.countries, empty.elements = reference.directory, {}, {}
    empty.rows = {table: [] for table in reference.rows}
    empty._country_ids = {}
    return empty


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def table(results: dict[str, dict[str, Figures]]) -> str:
    lines = []
    for name, documents in results.items():
        lines.append(f"\n{name}\n")
        lines.append(
            "| document | sentences (fact or not) | links P | links R | dates P | dates R | "
            "amounts P | amounts R | quantities P | quantities R | type found | exact | near | none "
            "| candidates |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        total = Figures()
        for file, figures in [*documents.items(), ("all", None)]:
            if figures is None:
                figures = total
            else:
                total += figures
            m = figures.matches
            curated = sum(m.values())
            lines.append(
                f"| {file} | {figures.sentences.right}/{figures.sentences.found} | "
                f"{_pct(figures.links.precision)} | {_pct(figures.links.recall)} | "
                f"{_pct(figures.dates.precision)} | {_pct(figures.dates.recall)} | "
                f"{_pct(figures.amounts.precision)} | {_pct(figures.amounts.recall)} | "
                f"{_pct(figures.quantities.precision)} | {_pct(figures.quantities.recall)} | "
                f"{figures.types.hits}/{figures.types.wanted} | "
                + (
                    " | ".join(f"{m[k]}/{curated}" for k in ("exact", "near", "none"))
                    if curated
                    else "— | — | —"
                )
                + f" | {figures.candidates} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    everything = {}
    for ablation in ("records", "reference", "all"):
        results = run(ablation)
        everything[ablation] = results
        if ablation != "all":
            held = Figures()
            for figures in results["held out"].values():
                held += figures
            print(
                f"gazetteer = {ablation:<9}: held-out links P {_pct(held.links.precision)} "
                f"R {_pct(held.links.recall)}"
            )
    print(table(everything["all"]))
    seeds = Figures()
    for figures in everything["all"]["leave one out"].values():
        seeds += figures
    print(
        f"\nleave one out, candidates of a type a curated record of their sentence has (facets counted "
        f"right): {seeds.typed_right}/{seeds.candidates}"
    )
    print("\nleave one out, curated records by type (a candidate of the same type in the sentence / all):")
    print(
        ", ".join(
            f"{name} {found}/{missed + found}"
            for name, (missed, found) in sorted(seeds.by_type.items(), key=lambda t: -sum(t[1]))
        )
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    a: {
                        s: {
                            f: {"links_p": v.links.precision, "links_r": v.links.recall} for f, v in d.items()
                        }
                        for s, d in r.items()
                    }
                    for a, r in everything.items()
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
