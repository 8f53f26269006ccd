"""The quality report: checks of the ontology and the data in the spirit of ROBOT's report and the
OOPS! pitfall catalogue, each with an id, a level, a plain-language explanation and the offending
items with their record file and line (or the ontology's line)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ..ontology import ONTOLOGY_FILE
from ..ontology.namespaces import BASE, GRAPH, MD, PREFIXES, local
from .data import ReviewData, is_nested, ontology_terms
from .verbalise import Verbaliser
from .verdicts import Verdict

LEVELS = ("ERROR", "WARN", "INFO")
# what each level means, for people (the codes stay in the TSV and JSON for CI)
LEVEL_WORDS = {"ERROR": "Must be fixed", "WARN": "Worth checking", "INFO": "For information"}
FACT_CLASSES = (
    MD.Engagement,
    MD.Project,
    MD.Investment,
    MD.Policy,
    MD.TradeMeasure,
    MD.ImportDependence,
    MD.Event,
)
ENGAGEMENT_CLASSES = (MD.Engagement, MD.Project, MD.Investment, MD.Policy)
_CLASS_NAME = re.compile(r"[A-Z][A-Za-z0-9]*")
_PROPERTY_NAME = re.compile(r"[a-z][A-Za-z0-9]*")
_VALUE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@dataclass(frozen=True)
class Item:
    """An offending item: what it is, what is wrong with it, and where it is written."""

    label: str
    detail: str = ""
    where: str = ""
    iri: str = ""  # what the item is about (the review pages link it to its page)


@dataclass
class Check:
    """One check and what it found."""

    id: str
    level: str
    title: str
    explanation: str
    items: list[Item] = field(default_factory=list)


class _Checker:
    def __init__(self, data: ReviewData, verdicts: list[Verdict], verbaliser: Verbaliser) -> None:
        self.data = data
        self.o = data.ontology
        self.verdicts = verdicts
        self.verbaliser = verbaliser
        self.lines = _ontology_lines()
        self.term_kinds = ontology_terms(self.o, labelled=False)
        self.terms = list(self.term_kinds)
        self.own_terms = [t for t in self.terms if str(t).startswith(str(MD))]
        self.first_record: dict[Node, str] = {}
        for record in data.records.values():
            self.first_record.setdefault(record.describes, f"{record.file}:{record.line}")
        # the entities the data gives a kind (asserted in records, reference tables or lists)
        self.typed = {
            s
            for s, p, o, g in data.quads
            if p == RDF.type
            and str(o).startswith(str(MD))
            and g not in (GRAPH.ontology, GRAPH.inferred, GRAPH.provenance)
            and not is_nested(s)
        }

    def term_where(self, term: Node) -> str:
        line = self.lines.get(str(term))
        return f"ontology/mineral-diplomacy.ttl:{line}" if line else "ontology/mineral-diplomacy.ttl"

    def where(self, node: Node) -> str:
        """Where a node is written: its first record, its line in the ontology, or the reference tables."""
        if node in self.first_record:
            return self.first_record[node]
        return self.term_where(node) if str(node) in self.lines else "reference tables"

    def name(self, node: Node) -> str:
        return self.data.label(node) or str(node)

    def called(self, node: Node) -> str:
        """A thing by its kind and name, in words: the class “currency”, the continent Africa."""
        if isinstance(node, URIRef) and node in self.term_kinds:
            return f"the {self.term_kinds[node]} “{self.name(node)}”"
        kinds = []
        for _, prop, kind, graph in self.data.by_subject.get(node, []):
            if prop == RDF.type and kind in self.term_kinds and graph not in (GRAPH.inferred, GRAPH.ontology):
                kinds.append(self.data.label(kind) or "")
        kinds.sort()
        return f"the {kinds[0]} {self.name(node)}" if kinds and kinds[0] else self.name(node)

    def entity_item(self, entity: Node, detail: str = "") -> Item:
        return Item(self.name(entity), detail, self.where(entity), str(entity))

    # -- the checks -----------------------------------------------------------------------------

    def missing_label(self) -> list[Item]:
        items = [
            Item(str(t), "a term without a label", self.term_where(t), str(t))
            for t in self.own_terms
            if self.o.value(t, RDFS.label) is None
        ]
        items += [
            self.entity_item(e, "an entity without a name")
            for e in sorted(self.typed)
            if self.data.label(e) is None
        ]
        return items

    def missing_definition(self) -> list[Item]:
        return [
            Item(self.name(t), "no definition", self.term_where(t), str(t))
            for t in self.own_terms
            if self.o.value(t, SKOS.definition) is None
        ]

    def duplicate_labels(self) -> list[Item]:
        by_label: dict[str, list[Node]] = defaultdict(list)
        for node in [*self.own_terms, *sorted(self.typed)]:
            if (label := self.data.label(node)) is not None:
                by_label[label.strip().lower()].append(node)
        return [
            Item(
                self.name(nodes[0]),
                "the name of " + " and of ".join(self.called(n) for n in nodes),
                self.where(nodes[0]),
                str(nodes[0]),
            )
            for _, nodes in sorted(by_label.items())
            if len(set(nodes)) > 1
        ]

    def duplicate_definitions(self) -> list[Item]:
        by_text: dict[str, list[Node]] = defaultdict(list)
        for term in self.own_terms:
            for definition in self.o.objects(term, SKOS.definition):
                by_text[str(definition).strip().lower()].append(term)
        return [
            Item(
                self.name(terms[0]),
                "same definition as " + ", ".join(self.name(t) for t in terms[1:]),
                self.term_where(terms[0]),
                str(terms[0]),
            )
            for terms in by_text.values()
            if len(terms) > 1
        ]

    def label_whitespace(self) -> list[Item]:
        items = []
        for s, p, o, _ in self.data.quads:
            if p in (RDFS.label, SKOS.altLabel, SKOS.definition) and isinstance(o, Literal):
                text = str(o)
                if text != text.strip() or "  " in text or "\n" in text:
                    items.append(Item(repr(text), f"on {self.name(s)}", self.where(s), str(s)))
        return items

    def missing_sentence_form(self) -> list[Item]:
        used = {p for s, p, o, g in self.data.quads if g not in (GRAPH.ontology, GRAPH.inferred)}
        return [
            Item(str(p), "a property the data uses without a sentence form", self.term_where(p), str(p))
            for p in sorted(used)
            if p not in self.verbaliser.templates
        ]

    def classes_without_instances(self) -> list[Item]:
        return [
            Item(self.name(c), "", self.term_where(c), str(c))
            for c in self.own_terms
            if (c, RDF.type, OWL.Class) in self.o and not self.data.usage.get(("class", c))
        ]

    def properties_not_used(self) -> list[Item]:
        return [
            Item(self.name(p), "", self.term_where(p), str(p))
            for p in self.own_terms
            if ((p, RDF.type, OWL.ObjectProperty) in self.o or (p, RDF.type, OWL.DatatypeProperty) in self.o)
            and not self.data.usage.get(("property", p))
        ]

    def _properties_without(self, axis: URIRef) -> list[Item]:
        return [
            Item(self.name(p), "", self.term_where(p), str(p))
            for p in self.own_terms
            if ((p, RDF.type, OWL.ObjectProperty) in self.o or (p, RDF.type, OWL.DatatypeProperty) in self.o)
            and self.o.value(p, axis) is None
        ]

    def hierarchy_cycles(self) -> list[Item]:
        items = []
        for cls in self.own_terms:
            above = {
                a
                for parent in self.o.objects(cls, RDFS.subClassOf)
                for a in self.o.transitive_objects(parent, RDFS.subClassOf)
            }
            if cls in above:
                items.append(
                    Item(self.name(cls), "is, through its parents, a kind of itself", self.term_where(cls),
                         str(cls))
                )
        return items

    def naming(self) -> list[Item]:
        items = []
        for term in self.own_terms:
            name = local(term, "md") or ""
            if (term, RDF.type, OWL.Class) in self.o:
                pattern, rule = _CLASS_NAME, "a class is named in UpperCamelCase"
            elif (term, RDF.type, OWL.NamedIndividual) in self.o:
                pattern, rule = _VALUE_NAME, "a controlled value is named with letters and digits"
            else:
                pattern, rule = _PROPERTY_NAME, "a property is named in lowerCamelCase"
            if not pattern.fullmatch(name):
                items.append(Item(name, rule, self.term_where(term), str(term)))
        return items

    def ontology_metadata(self) -> list[Item]:
        header = URIRef(BASE + "ontology")
        wanted = {
            DCTERMS.title: "a title",
            DCTERMS.description: "a description",
            DCTERMS.license: "a licence",
            DCTERMS.creator: "a creator",
            OWL.versionIRI: "a version IRI",
            OWL.versionInfo: "a version",
        }
        return [
            Item("the ontology", f"has no {what}", self.term_where(header))
            for prop, what in wanted.items()
            if self.o.value(header, prop) is None
        ]

    def free_text_only(self) -> list[Item]:
        items = []
        object_props = set(self.o.subjects(RDF.type, OWL.ObjectProperty))
        for entity in sorted(self.typed):
            types = set(self.data.union.objects(entity, RDF.type))
            if is_nested(entity) or (not types & set(FACT_CLASSES) and not self._is_a(types, FACT_CLASSES)):
                continue
            linked = {
                p for p in self.data.union.predicates(entity, None) if p in object_props and p != RDF.type
            }
            if not linked - {MD.status}:
                items.append(
                    self.entity_item(entity, "all it says is in words: no party, place, mineral or link")
                )
        for entity in sorted(self.typed):
            types = set(self.data.union.objects(entity, RDF.type))
            if (
                types & {MD.Assessment, MD.Recommendation}
                and self.data.union.value(entity, MD.about) is None
                and self.data.union.value(entity, MD.addressedTo) is None
            ):
                items.append(self.entity_item(entity, "a judgement or advice not linked to what it is about"))
        return items

    def _is_a(self, types: set[Node], classes: tuple[URIRef, ...]) -> bool:
        return any(c in set(self.o.transitive_objects(t, RDFS.subClassOf)) for t in types for c in classes)

    def single_source(self) -> list[Item]:
        sources: dict[Node, set[str]] = defaultdict(set)
        for record in self.data.records.values():
            sources[record.describes].add(record.source)
        return [
            self.entity_item(e, f"only {next(iter(files))}")
            for e, files in sorted(sources.items())
            if len(files) == 1 and self._is_a(set(self.data.union.objects(e, RDF.type)), ENGAGEMENT_CLASSES)
        ]

    def vague_mentions(self) -> list[Item]:
        return [
            Item(
                self.name(r.describes),
                f"{r.source}: {r.note} (linked by {r.linked_by})",
                f"{r.file}:{r.line}",
                str(r.graph),
            )
            for r in self.data.records.values()
            if r.vague
        ]

    def verdict_items(self, verdict: str) -> list[Item]:
        return [
            Item(
                v.about or v.item,
                f"{v.reviewer}, {v.date}" + (f": {v.comment}" if v.comment else ""),
                self.verdict_where(v.item.split(" ", 1)[0]),
                v.item.split(" ", 1)[0],
            )
            for v in self.verdicts
            if v.verdict == verdict
        ]

    def verdict_where(self, item: str) -> str:
        """Where a reviewed fact's record or a reviewed term is written."""
        record = self.data.records.get(URIRef(item))
        return f"{record.file}:{record.line}" if record else self.term_where(URIRef(item))

    def untyped_references(self) -> list[Item]:
        typed_anywhere = {s for s, p, o, g in self.data.quads if p == RDF.type}
        referenced = {
            o
            for s, p, o, g in self.data.quads
            if g in self.data.records
            and isinstance(o, URIRef)
            and str(o).startswith(BASE + "id/")
            and not is_nested(o)
        }
        return [
            Item(str(o), "named by a record but given no kind", "")
            for o in sorted(referenced - typed_anywhere)
        ]


def run_checks(data: ReviewData, verdicts: list[Verdict], verbaliser: Verbaliser) -> list[Check]:
    """Every check, in a fixed order."""
    c = _Checker(data, verdicts, verbaliser)
    return [
        Check(
            "missing_label",
            "ERROR",
            "Terms and entities without a name",
            "Every class, property, controlled value and entity needs an English label, or a reviewer "
            "sees an address instead of a name.",
            c.missing_label(),
        ),
        Check(
            "missing_definition",
            "ERROR",
            "Terms without a definition",
            "Every term of the ontology needs a definition in plain English.",
            c.missing_definition(),
        ),
        Check(
            "label_whitespace",
            "ERROR",
            "Names with stray spaces",
            "A name or definition with leading, trailing or doubled spaces, or a line break.",
            c.label_whitespace(),
        ),
        Check(
            "missing_sentence_form",
            "ERROR",
            "Properties without a sentence form",
            "A property the data uses needs md:sentence, or its facts cannot be shown in words.",
            c.missing_sentence_form(),
        ),
        Check(
            "hierarchy_cycle",
            "ERROR",
            "Cycles in the class hierarchy",
            "A class that is, through its parents, a kind of itself.",
            c.hierarchy_cycles(),
        ),
        Check(
            "ontology_metadata",
            "ERROR",
            "Missing ontology metadata",
            "The ontology needs a title, a description, a licence, a creator and a version.",
            c.ontology_metadata(),
        ),
        Check(
            "duplicate_label",
            "WARN",
            "Two things with one name",
            "Distinct terms or entities with the same name: a reviewer may take one for the other "
            "(for example a UN region and a continent both called South America).",
            c.duplicate_labels(),
        ),
        Check(
            "duplicate_definition",
            "WARN",
            "Two terms with one definition",
            "Two terms defined with the same words are either one term or badly defined.",
            c.duplicate_definitions(),
        ),
        Check(
            "naming_convention",
            "WARN",
            "Names off the naming convention",
            "Classes in UpperCamelCase, properties in lowerCamelCase, values in letters and digits.",
            c.naming(),
        ),
        Check(
            "reviewed_wrong",
            "WARN",
            "Facts and terms a reviewer marked wrong",
            "Verdicts from the review workbooks: fix the record or the term, or answer the comment.",
            c.verdict_items("wrong"),
        ),
        Check(
            "free_text_only",
            "INFO",
            "Facts whose content is only in words",
            "An engagement, project, policy, measure or event with no party, place, mineral or other "
            "link, or a judgement linked to nothing: no query can find what it says.",
            c.free_text_only(),
        ),
        Check(
            "untyped_reference",
            "INFO",
            "Entities named but never typed",
            "An id a record points at that no record or reference table gives a kind.",
            c.untyped_references(),
        ),
        Check(
            "class_without_instances",
            "INFO",
            "Classes the data does not use",
            "Classes with no instance yet; fine for a class meant for future facts.",
            c.classes_without_instances(),
        ),
        Check(
            "property_not_used",
            "INFO",
            "Properties the data does not use",
            "Properties no statement uses yet.",
            c.properties_not_used(),
        ),
        Check(
            "property_without_domain",
            "INFO",
            "Properties without a domain",
            "Properties that do not say what they describe; fine when they apply to many kinds.",
            c._properties_without(RDFS.domain),
        ),
        Check(
            "property_without_range",
            "INFO",
            "Properties without a range",
            "Properties that do not say what their values are.",
            c._properties_without(RDFS.range),
        ),
        Check(
            "single_source",
            "INFO",
            "Engagements and policies only one document mentions",
            "The things to corroborate first.",
            c.single_source(),
        ),
        Check(
            "vague_mention",
            "INFO",
            "Vague mentions identified by curators",
            "Passages that mention a thing only vaguely, identified with a specific entity: check each link.",
            c.vague_mentions(),
        ),
        Check(
            "reviewed_unsure",
            "INFO",
            "Facts and terms a reviewer is unsure of",
            "Verdicts from the review workbooks.",
            c.verdict_items("unsure"),
        ),
        Check(
            "reviewed_correct",
            "INFO",
            "Facts and terms a reviewer confirmed",
            "Verdicts from the review workbooks.",
            c.verdict_items("correct"),
        ),
        Check(
            "reviewed_comment",
            "INFO",
            "Comments without a verdict",
            "Remarks from the review workbooks on facts and terms the reviewer gave no verdict.",
            c.verdict_items(""),
        ),
    ]


def worst_level(checks: list[Check]) -> str | None:
    """The most severe level with at least one item."""
    found = {c.level for c in checks if c.items}
    return next((level for level in LEVELS if level in found), None)


def as_table(checks: list[Check]) -> str:
    """A plain-text table: one line per check, then its items."""
    lines = [f"{'level':<6} {'check':<26} {'items':>5}  explanation"]
    for check in checks:
        lines.append(f"{check.level:<6} {check.id:<26} {len(check.items):>5}  {check.title}")
        lines += [
            f"{'':<6}   - {item.label}"
            + (f": {item.detail}" if item.detail else "")
            + (f" [{item.where}]" if item.where else "")
            for item in check.items
        ]
    return "\n".join(lines)


def as_json(checks: list[Check]) -> str:
    """Every check, with its level, title and items (what, detail, where, and the IRI)."""
    return json.dumps([asdict(check) for check in checks], indent=1, ensure_ascii=False) + "\n"


def as_tsv(checks: list[Check]) -> str:
    """One row per item: check, level, item, detail, where."""
    rows = ["check\tlevel\titem\tdetail\twhere"]
    rows += [
        "\t".join((c.id, c.level, i.label, i.detail, i.where)).replace("\n", " ")
        for c in checks
        for i in c.items
    ]
    return "\n".join(rows) + "\n"


def _ontology_lines() -> dict[str, int]:
    """The line of the ontology file where each term is declared (its first subject line)."""
    lines: dict[str, int] = {}
    subject = re.compile(r"^(<[^>]+>|[a-z]+:[A-Za-z0-9_]+)\s")
    for number, line in enumerate(ONTOLOGY_FILE.read_text(encoding="utf-8").splitlines(), start=1):
        if match := subject.match(line):
            token = match[1]
            if token.startswith("<"):
                iri = token[1:-1]
            else:
                prefix, _, local = token.partition(":")
                if prefix not in PREFIXES:
                    continue
                iri = PREFIXES[prefix] + local
            lines.setdefault(iri, number)
    return lines
