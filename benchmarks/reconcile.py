"""Matching quality of the reconciliation service on labelled lists of surface forms, two sets
reported apart.

``benchmarks/reconciliation_forms.csv`` (the development set: the matcher was tuned on it) holds
names as people write them (spellings, acronyms, old names, typos, codes; and names of things the
graph does not hold), each with the entity it means ("a|b" when either is right) or "none", and
why. ``benchmarks/reconciliation_unseen.csv`` (the held-out set) was written blind by an
independent reader who saw only the graph's entities, and frozen before the matcher was changed;
it adds a ``properties`` column (``pid=value;...``, the constraints of a second spreadsheet
column). The script reconciles each against the current build and prints, per set:

- auto-match precision: of the queries the service marks ``match: true``, the share matched to a
  right entity (target at least 0.98);
- top-3 recall: of the queries that mean an entity of the graph, the share with a right entity
  among the first three candidates (target at least 0.95);
- the share of "none" queries that got no automatic match (no distractor may be matched);
- auto-match recall: of the queries that mean an entity, the share matched to it automatically.

Run: ``.venv/bin/python benchmarks/reconcile.py [--release DIR]`` (after a build).
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mineral_diplomacy.graph import BUILD_DIR
from mineral_diplomacy.graph.names import fold
from mineral_diplomacy.release.store import load_store
from mineral_diplomacy.server.reconcile import ReconciliationIndex

FORMS = Path(__file__).with_name("reconciliation_forms.csv")
UNSEEN = Path(__file__).with_name("reconciliation_unseen.csv")
TARGETS = {"precision": 0.98, "top3": 0.95}
UNSEEN_TARGETS = {"precision": 0.99, "recall": 0.75, "top3": 0.95}
BANDS = (("100", 100.0), ("95-99", 95.0), ("90-94", 90.0), ("80-89", 80.0), ("60-79", 60.0),
         ("below 60", 0.0))


@dataclass
class Figures:
    """What the run measured, with the queries that went wrong."""

    forms: int = 0
    auto_matches: int = 0
    right_matches: int = 0
    meaning_an_entity: int = 0
    right_in_top3: int = 0
    none_forms: int = 0
    none_left_unmatched: int = 0
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    # per score band of the best candidate: (best candidates in the band, of them right)
    bands: dict[str, list[int]] = field(default_factory=lambda: {b: [0, 0] for b, _ in BANDS})

    @property
    def precision(self) -> float:
        return self.right_matches / self.auto_matches if self.auto_matches else 1.0

    @property
    def recall(self) -> float:
        return self.right_matches / self.meaning_an_entity if self.meaning_an_entity else 1.0

    @property
    def top3(self) -> float:
        return self.right_in_top3 / self.meaning_an_entity if self.meaning_an_entity else 1.0


def measure(index: ReconciliationIndex, forms: Path = FORMS) -> Figures:
    """Reconcile every labelled form and count."""
    figures = Figures()
    with forms.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            figures.forms += 1
            expected = set(row["expected"].split("|"))
            constraints = [(pid, [fold(value)]) for pid, _, value in
                           (c.partition("=") for c in (row.get("properties") or "").split(";") if c)]
            candidates = index.reconcile(row["query"], [row["type"]] if row["type"] else None, constraints,
                                         limit=3)
            matched = [c for c in candidates if c.match]
            if candidates:  # what a score means: is the best candidate the right one?
                band = next(name for name, floor in BANDS if candidates[0].score >= floor)
                figures.bands[band][0] += 1
                figures.bands[band][1] += candidates[0].entity.id in expected
            if matched:
                figures.auto_matches += 1
                if matched[0].entity.id in expected:
                    figures.right_matches += 1
                else:
                    figures.wrong.append(
                        f"{row['query']!r} matched {matched[0].entity.id}, means {row['expected']}"
                    )
            if expected == {"none"}:
                figures.none_forms += 1
                figures.none_left_unmatched += not matched
                continue
            figures.meaning_an_entity += 1
            if any(c.entity.id in expected for c in candidates):
                figures.right_in_top3 += 1
            else:
                figures.missed.append(
                    f"{row['query']!r}: {[c.entity.id for c in candidates]}, means {row['expected']}"
                )
    return figures


def report(name: str, figures: Figures) -> None:
    print(f"\n{name}: {figures.forms} labelled forms ({figures.meaning_an_entity} meaning an entity, "
          f"{figures.none_forms} none)")
    print(f"auto-match precision {figures.precision:.3f} ({figures.right_matches}/{figures.auto_matches})")
    print(f"auto-match recall    {figures.recall:.3f} ({figures.right_matches}/{figures.meaning_an_entity})")
    print(f"top-3 recall         {figures.top3:.3f} ({figures.right_in_top3}/{figures.meaning_an_entity})")
    print(f"'none' left unmatched {figures.none_left_unmatched}/{figures.none_forms}")
    print("best candidate right, by its score: " + "; ".join(
        f"{band} {right}/{n}" + (f" ({right / n:.2f})" if n else "")
        for band, (n, right) in figures.bands.items()))
    for line in figures.wrong:
        print(f"  wrong: {line}")
    for line in figures.missed:
        print(f"  missed: {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, default=BUILD_DIR / "current", help="a release folder")
    args = parser.parse_args()
    index = ReconciliationIndex(load_store(args.release.resolve()))
    tuned, unseen = measure(index), measure(index, UNSEEN)
    report(f"development set ({FORMS.name}; tuned on; targets: precision {TARGETS['precision']}, "
           f"top-3 {TARGETS['top3']})", tuned)
    wanted = UNSEEN_TARGETS
    report(f"held-out set ({UNSEEN.name}; written blind, not tuned on; targets: precision "
           f"{wanted['precision']}, recall {wanted['recall']}, top-3 {wanted['top3']}, "
           "no distractor matched)", unseen)
    met = (tuned.precision >= TARGETS["precision"] and tuned.top3 >= TARGETS["top3"]
           and unseen.precision >= UNSEEN_TARGETS["precision"] and unseen.recall >= UNSEEN_TARGETS["recall"]
           and unseen.top3 >= UNSEEN_TARGETS["top3"] and unseen.none_left_unmatched == unseen.none_forms)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
