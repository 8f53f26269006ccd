"""What changed between two versions of the ontology and the graph, in sentences with labels.

Entities added, removed, merged or renamed; statuses with their dates; the facts (record
statements) added or removed and the sources that now cite them or no longer do; the ontology's
terms added, removed or redefined. A statement is identified by its subject, property and value,
a nested value (an amount, a status claim) by what it says, so that a corrected figure reads as
one fact removed and one added.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup
from rdflib import URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from ..ontology.namespaces import GRAPH, MD
from .data import ReviewData, is_nested, ontology_terms
from .verbalise import Part, Sentence, Verbaliser

FIRST = "nothing"  # the base of the first release's changes
SECTIONS = ("Entities", "Statuses", "Facts", "Citations", "Terms")
TERM_ASPECTS = (
    (RDFS.label, "name"),
    (SKOS.definition, "definition"),
    (MD.sentence, "sentence form"),
    (RDFS.subClassOf, "parent"),
    (RDFS.domain, "domain"),
    (RDFS.range, "range"),
)


@dataclass(frozen=True)
class Phrase:
    """A nested value (an amount, a status claim) as a fact's value: what it says, in words."""

    text: str

    def __str__(self) -> str:
        return self.text


FactKey = tuple[Node, URIRef, "Node | Phrase"]


@dataclass(frozen=True)
class Change:
    """One change, as a sentence whose labels may link to their pages."""

    section: str
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return Sentence(self.parts).text


@dataclass
class Changes:
    """Every change from ``base`` to ``target``, with counts."""

    base: str
    target: str
    counts: dict[str, int] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    same_data_as: str = ""  # set on a release whose data is that of ``target``: these are its changes

    def section(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.section == name]

    @property
    def lead(self) -> str:
        """The changes' span in words; a first release says there was nothing to compare with."""
        if self.same_data_as:
            span = "the first release" if self.base == FIRST else f"{self.base} to {self.target}"
            return (f"This release holds the same data as {self.same_data_as} (only the pages or the "
                    f"checks changed), so what changed last is shown: from {span}.")
        if self.base == FIRST:
            return (f"{self.target} is the first release built in this folder: there is no earlier "
                    "release to compare it with, so everything it holds is counted as added.")
        return f"From {self.base} to {self.target}."

    def markdown(self) -> str:
        lines = [f"# What changed from {self.base} to {self.target}", "", self.lead, ""]
        lines += [f"- {count} {what}" for what, count in self.counts.items()]
        for name in SECTIONS:
            if changes := self.section(name):
                lines += ["", f"## {name}", ""] + [f"- {c.text}" for c in changes]
        return "\n".join(lines) + "\n"

    def html(self, href: Callable[[str], str | None]) -> Markup:
        """The changes as an HTML fragment, each label a link where ``href`` gives one."""
        out = [
            Markup('<p class="lead">{}</p>').format(self.lead),
            Markup('<ul class="counts">'),
        ]
        out += [Markup("<li>{} {}</li>").format(count, what) for what, count in self.counts.items()]
        out.append(Markup("</ul>"))
        for name in SECTIONS:
            if changes := self.section(name):
                out.append(Markup("<h2>{}</h2><ul>").format(name))
                out += [Markup("<li>{}</li>").format(Sentence(c.parts).html(href)) for c in changes]
                out.append(Markup("</ul>"))
        return Markup("\n").join(out)

    def to_json(self) -> str:
        return json.dumps(
            {
                "base": self.base,
                "target": self.target,
                "counts": self.counts,
                "changes": [
                    {"section": c.section, "parts": [[p.text, p.iri] for p in c.parts]} for c in self.changes
                ],
            },
            indent=1,
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Changes:
        data = json.loads(text)
        return cls(
            data["base"],
            data["target"],
            data["counts"],
            [Change(c["section"], tuple(Part(t, i) for t, i in c["parts"])) for c in data["changes"]],
        )


class _Version:
    """One side of a comparison: its entities, facts with their sources, statuses and terms."""

    def __init__(self, data: ReviewData, words: dict[URIRef, str] | None = None) -> None:
        self.data = data
        self.words = Verbaliser(data, words)
        replaced = {s for s, p, *_ in data.quads if p == DCTERMS.isReplacedBy}
        self.entities = {e for e in data.entities() if e not in replaced}
        self.facts: dict[FactKey, set[str]] = defaultdict(set)
        self.statuses: dict[Node, dict[Node | Phrase, str]] = defaultdict(dict)
        for graph, record in data.records.items():
            for s, p, o, _ in data.by_graph[graph]:
                if is_nested(s) or p in (MD.describes, MD.vagueMentionOf):
                    continue
                key = (s, p, Phrase(self.words.phrase(o)[0].text) if is_nested(o) else o)
                self.facts[key].add(record.source)
                if p == MD.status:
                    self.statuses[s][key[2]] = str(data.union.value(o, MD.asOf) or "")
        self.terms = ontology_terms(data.ontology)

    def name(self, node: Node) -> Part:
        return Part(f"‘{self.data.label(node) or node}’", str(node))

    def kind(self, entity: Node) -> str:
        """The entity's most specific kind, in lower case (“agreement”)."""
        kinds = {
            o
            for s, p, o, g in self.data.by_subject.get(entity, [])
            if p == RDF.type and g not in (GRAPH.inferred, GRAPH.ontology) and str(o).startswith(str(MD))
        }
        specific = [
            k
            for k in kinds
            if not any(k != other and (other, RDFS.subClassOf, k) in self.data.ontology for other in kinds)
        ]
        label = self.data.label(min(specific, key=str)) if specific else None
        return _lower(label) if label else "entity"

    def sources(self, entity: Node) -> list[str]:
        return sorted({_document(r.source) for r in self.data.records.values() if r.describes == entity})

    def parties(self, entity: Node) -> list[Part]:
        parties = sorted(self.data.union.objects(entity, MD.party), key=lambda n: self.data.label(n) or "")
        return _joined([Part(self.data.label(p) or str(p), str(p)) for p in parties])

    def sentence(self, key: FactKey) -> tuple[Part, ...]:
        subject, prop, value = key
        if not isinstance(value, Phrase):
            return self.words.sentence(subject, prop, value).parts
        nested = next(
            o
            for s, p, o, _ in self.data.by_subject.get(subject, [])
            if p == prop and is_nested(o) and self.words.phrase(o)[0].text == value.text
        )
        return self.words.sentence(subject, prop, nested).parts

    def latest_status(self, entity: Node) -> str | None:
        """The status claim with the latest date, in words."""
        claims = self.statuses.get(entity)
        return str(max(claims, key=lambda phrase: (claims[phrase], str(phrase)))) if claims else None


def compare(old: ReviewData | None, new: ReviewData, base: str = "", target: str = "") -> Changes:
    """The changes from ``old`` (None: nothing before) to ``new``."""
    now = _Version(new)
    changes = Changes(base or (old.release.name if old else FIRST), target or new.release.name)
    if old is None:
        changes.counts = {"entities": len(now.entities), "facts": len(now.facts), "terms": len(now.terms)}
        return changes
    was = _Version(old, now.words.templates)
    changes.changes = (
        _entity_changes(was, now)
        + _status_changes(was, now)
        + _fact_changes(was, now)
        + _term_changes(was, now)
    )
    changes.counts = {
        "entities added": sum(1 for c in changes.section("Entities") if c.parts[0].text.startswith("Added")),
        "entities removed": sum(
            1 for c in changes.section("Entities") if c.parts[0].text.startswith("Removed")
        ),
        "entities merged or renamed": sum(
            1 for c in changes.section("Entities") if c.parts[0].text.startswith(("Merged", "Renamed"))
        ),
        "statuses changed": len(changes.section("Statuses")),
        "facts added": sum(1 for c in changes.section("Facts") if c.parts[0].text.startswith("Added")),
        "facts removed": sum(1 for c in changes.section("Facts") if c.parts[0].text.startswith("Removed")),
        "citations changed": len(changes.section("Citations")),
        "terms added, removed or changed": len(changes.section("Terms")),
    }
    return changes


def _entity_changes(was: _Version, now: _Version) -> list[Change]:
    out = []
    replaced = {s: o for s, p, o, _ in now.data.quads if p == DCTERMS.isReplacedBy}
    for entity in sorted(now.entities - was.entities):
        between = [Part(" between "), *now.parties(entity)] if now.parties(entity) else []
        citing = now.sources(entity)
        out.append(
            Change(
                "Entities",
                (
                    Part(f"Added {now.kind(entity)} "),
                    now.name(entity),
                    *between,
                    Part(f", citing {', '.join(citing)}" if citing else ", from the reference tables"),
                ),
            )
        )
    for entity in sorted(was.entities - now.entities):
        if entity in replaced:
            out.append(
                Change(
                    "Entities",
                    (
                        Part("Merged "),
                        Part(f"‘{was.data.label(entity) or entity}’"),
                        Part(" into "),
                        now.name(replaced[entity]),
                    ),
                )
            )
        else:
            citing = was.sources(entity)
            out.append(
                Change(
                    "Entities",
                    (
                        Part(f"Removed {was.kind(entity)} "),
                        Part(f"‘{was.data.label(entity) or entity}’"),
                        Part(f" (it cited {', '.join(citing)})" if citing else ""),
                    ),
                )
            )
    for entity in sorted(now.entities & was.entities):
        before, after = was.data.label(entity), now.data.label(entity)
        if before != after and before and after:
            out.append(Change("Entities", (Part(f"Renamed ‘{before}’ to "), now.name(entity))))
    return out


def _status_changes(was: _Version, now: _Version) -> list[Change]:
    out = []
    for entity in sorted(set(now.statuses) & set(was.statuses) & now.entities, key=str):
        before, after = was.latest_status(entity), now.latest_status(entity)
        if before != after:
            out.append(
                Change("Statuses", (now.name(entity), Part(f": status now {after}; before, {before}")))
            )
    return out


def _fact_changes(was: _Version, now: _Version) -> list[Change]:
    """Facts added and removed (of entities in both versions), and changes in who cites a fact;
    a new status or name is said once, under Statuses or Entities."""
    status_changed = {c.parts[0].iri for c in _status_changes(was, now)}
    both = now.entities & was.entities
    renamed = {e for e in both if was.data.label(e) != now.data.label(e)}

    def shown(key: FactKey) -> bool:
        said = (key[1] == MD.status and str(key[0]) in status_changed) or (
            key[1] == RDFS.label and key[0] in renamed
        )
        return key[0] in both and not said

    out = [
        Change("Facts", (Part("Added: "), *now.sentence(k), Part(_cited(now.facts[k]))))
        for k in _sorted(k for k in now.facts.keys() - was.facts.keys() if shown(k))
    ]
    out += [
        Change("Facts", (Part("Removed: "), *_unlinked(was.sentence(k)), Part(_cited(was.facts[k]))))
        for k in _sorted(k for k in was.facts.keys() - now.facts.keys() if shown(k))
    ]
    for key in _sorted(now.facts.keys() & was.facts.keys()):
        added, dropped = now.facts[key] - was.facts[key], was.facts[key] - now.facts[key]
        words = [
            f"now also cited from {', '.join(sorted(map(_document, added)))}" if added else "",
            f"no longer cited from {', '.join(sorted(map(_document, dropped)))}" if dropped else "",
        ]
        if added or dropped:
            out.append(
                Change("Citations", (*now.sentence(key), Part(" — " + "; ".join(w for w in words if w))))
            )
    return out


def _term_changes(was: _Version, now: _Version) -> list[Change]:
    out = []
    for term in sorted(now.terms.keys() - was.terms.keys()):
        definition = now.data.ontology.value(term, SKOS.definition)
        out.append(
            Change(
                "Terms",
                (
                    Part(f"Added the {now.terms[term]} "),
                    now.name(term),
                    Part(f": {definition}" if definition else ""),
                ),
            )
        )
    for term in sorted(was.terms.keys() - now.terms.keys()):
        out.append(Change("Terms", (Part(f"Removed the {was.terms[term]} ‘{was.data.label(term)}’"),)))
    for term in sorted(now.terms.keys() & was.terms.keys()):
        for prop, aspect in TERM_ASPECTS:
            before = sorted(was.data.label(v) or str(v) for v in was.data.ontology.objects(term, prop))
            after = sorted(now.data.label(v) or str(v) for v in now.data.ontology.objects(term, prop))
            if before == after:
                continue
            if not before:
                words = (f"Gave the {now.terms[term]} ", f" the {aspect} “{'; '.join(after)}”")
            elif not after:
                words = (f"Took from the {now.terms[term]} ", f" its {aspect} “{'; '.join(before)}”")
            else:
                words = (
                    f"Changed the {aspect} of the {now.terms[term]} ",
                    f": now “{'; '.join(after)}” (was “{'; '.join(before)}”)",
                )
            out.append(Change("Terms", (Part(words[0]), now.name(term), Part(words[1]))))
    return out


def _sorted(keys: Iterable[FactKey]) -> list[FactKey]:
    return sorted(keys, key=lambda k: (str(k[0]), str(k[1]), str(k[2])))


def _cited(sources: set[str]) -> str:
    return f" ({', '.join(sorted(map(_document, sources)))})"


def _document(source: str) -> str:
    """A source file's short name: ``004`` for ``004_6f0c….txt``."""
    return Path(source).stem.split("_", 1)[0]


def _unlinked(parts: tuple[Part, ...]) -> tuple[Part, ...]:
    """A removed fact's words without links (what it linked to may be gone)."""
    return tuple(Part(p.text) for p in parts)


def _joined(parts: list[Part]) -> list[Part]:
    """``A``, ``A and B``, ``A, B and C``."""
    out: list[Part] = []
    for index, part in enumerate(parts):
        if index:
            out.append(Part(" and " if index == len(parts) - 1 else ", "))
        out.append(part)
    return out


def _lower(label: str) -> str:
    """“Agreement” -> “agreement”, but “MoU” stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label
