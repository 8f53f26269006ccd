"""The review pages, written as a static site: each source document sentence by sentence with
the facts the graph takes from it, a page per entity, the ontology in plain words with diagrams,
the shapes as sentences, the quality report and what changed since the previous release.

Links between pages are relative, so the folder can be published anywhere; the server serves the
site of the release it serves under ``/review/``.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from rdflib import URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from ..graph.coverage import document_coverage
from ..graph.records import read_records
from ..graph.sources import SourceCollection
from ..ontology.namespaces import BASE, CURIES, GRAPH, MD, local_name
from ..ontology.vocabulary import vocabulary_from
from ..release.layout import SITE_DIR
from ..shapes.validate import load_shapes
from . import TEMPLATES_DIR
from .candidates import CandidateWords, documents_with_queues
from .data import GRAPH_WORDS, RecordInfo, ReviewData, is_nested, local_path, ontology_terms
from .diagrams import Diagram, Edge, render_svg
from .diff import Changes, compare
from .report import LEVEL_WORDS, LEVELS, Check, run_checks
from .shapes_in_words import describe_shapes
from .verbalise import Sentence, Verbaliser
from .verdicts import load_verdicts

CHANGES_FILE = "changes.json"
ONTOLOGY_DOWNLOADS = {"mineral-diplomacy.ttl": "turtle", "mineral-diplomacy.rdf": "xml",
                      "mineral-diplomacy.jsonld": "json-ld"}


@dataclass(frozen=True)
class Inputs:
    """What the site is made from besides the release: records, marks, sources, verdicts."""

    records_dir: Path
    marks_dir: Path
    sources: SourceCollection
    reviews_dir: Path
    project_dir: Path
    candidates_dir: Path | None = None  # the intake's candidate files, shown as a queue


@dataclass
class Page:
    """One page to write: its path below the site, its template and its variables."""

    path: str
    template: str
    variables: dict[str, object] = field(default_factory=dict)
    diagram: Diagram | None = None  # drawn beside the page, as <page>.svg


def term_slug(iri: str, kind: str) -> str:
    """``class-Agreement``, ``property-party``, ``value-bilateral``, ``property-org-member``."""
    prefix = {"class": "class", "property": "property", "controlled value": "value"}[kind]
    if (parsed := CURIES.parse_uri(iri)) is not None:
        name = "" if parsed.prefix == "md" else f"{parsed.prefix}-"
        return f"{prefix}-{name}{parsed.identifier}"
    return f"{prefix}-{iri.rsplit('/', 1)[-1]}"


class Site:
    """Builds every page of the review site for one release."""

    def __init__(self, data: ReviewData, inputs: Inputs, changes: Changes) -> None:
        self.data = data
        self.inputs = inputs
        self.changes = changes
        self.entities = set(data.entities())
        self.verbaliser = Verbaliser(data)
        self.verdicts = load_verdicts(inputs.reviews_dir)
        self.terms = self._terms()
        self.records_by_place = {(r.file, r.line): r for r in data.records.values()}

    # -- links ----------------------------------------------------------------------------------

    def target(self, iri: str) -> str | None:
        """The page (below the site root) that shows an IRI, if the site has one."""
        if iri in self.terms:
            return f"ontology/{self.terms[iri][1]}.html"
        path = local_path(iri)
        if path and URIRef(iri) in self.entities:
            return f"{path}.html"
        if path and path.startswith("record/") and URIRef(iri) in self.data.records:
            record = self.data.records[URIRef(iri)]
            return f"sources/{Path(record.source).stem}.html#record-{record.line}"
        return None

    def sentence_html(self, sentence: Sentence, root: str) -> Markup:
        def href(iri: str) -> str | None:
            target = self.target(iri)
            if target:
                return root + target
            return iri if iri.startswith(("http://", "https://")) and local_path(iri) is None else None

        return sentence.html(href)

    def citation(self, graph: URIRef, subject: Node | None = None, value: Node | None = None) -> str:
        """Where a statement comes from, in words: a record's quote, the table rows a reference or
        list statement comes from (those of its subject; those it shares with its value, when
        there are any: the one row saying a list includes a mineral), or the graph that holds it."""
        if graph in self.data.records:
            record = self.data.records[graph]
            return f"“{record.quote}” — {record.source} ({record.file}:{record.line})"
        rows = self.data.rows_of(graph, subject, value) if subject is not None and value is not None else []
        if rows:
            return f"{GRAPH_WORDS[graph]}: {_lines(rows)} (their sources: shared/reference/SOURCES.md)"
        return GRAPH_WORDS.get(graph, str(graph))

    def name(self, node: URIRef) -> str:
        """What a thing is called on the pages: its label, or the phrase that says what it is
        ("the membership of Sweden in Minerals Security Partnership")."""
        return self.data.label(node) or self.verbaliser.phrase(node)[0].text

    def _citation_view(self, graph: URIRef, fact: tuple[Node, URIRef, Node]) -> dict[str, object]:
        """A fact's citation with what it rests on: the curators' identification and note, if
        any, and the reviewers' verdicts on the fact as this record states it."""
        record = self.data.records.get(graph)
        key = self.data.key(graph, *fact)
        return {
            "text": self.citation(graph, fact[0], fact[2]),
            "identification": record.identification if record else "",
            "note": record.note if record else "",
            "verdicts": [v for v in self.verdicts if v.item == key],
        }

    # -- the ontology's terms -------------------------------------------------------------------

    def _terms(self) -> dict[str, tuple[str, str]]:
        """Every term the ontology declares with a label: IRI -> (kind, page slug)."""
        return {
            str(t): (kind, term_slug(str(t), kind)) for t, kind in ontology_terms(self.data.ontology).items()
        }

    def usage(self, iri: str, kind: str) -> int:
        return self.data.usage.get((kind, URIRef(iri)), 0)

    # -- pages ----------------------------------------------------------------------------------

    def pages(self) -> list[Page]:
        pages = [self._index(), self._ontology_index(), self._shapes(), self._report(), self._changelog(),
                 self._candidates(), self._identifications(), self._entity_index()]
        pages += self._sources()
        pages += [self._entity(e) for e in self.data.entities()]
        pages += [self._term(iri, kind, slug) for iri, (kind, slug) in self.terms.items()]
        return pages

    @cached_property
    def _documents(self) -> list[dict[str, object]]:
        documents: list[dict[str, object]] = []
        sources = self.inputs.sources
        records = read_records(self.inputs.records_dir, self.inputs.project_dir)
        for document in sorted(self.data.union.subjects(RDF.type, MD.SourceDocument), key=str):
            file = str(self.data.union.value(document, MD.fileName))
            coverage = document_coverage(file, sources, records, self.inputs.marks_dir)
            date = next(
                (
                    self.data.union.value(document, p)
                    for p in (DCTERMS.issued, DCTERMS.modified, MD.writtenAfter)
                    if self.data.union.value(document, p) is not None
                ),
                None,
            )
            kind = self.data.union.value(document, MD.documentType)
            documents.append(
                {
                    "iri": str(document),
                    "file": file,
                    "stem": Path(file).stem,
                    "title": self.data.label(document) or file,
                    "kind": self.data.label(kind) if kind is not None else "",
                    "date": (
                        "written after "
                        if self.data.union.value(document, MD.writtenAfter) is not None
                        and self.data.union.value(document, DCTERMS.issued) is None
                        else ""
                    )
                    + (str(date) if date is not None else ""),
                    "sentences": len(coverage.sentences),
                    "no_fact": coverage.marked,
                    "records": sum(1 for r in self.data.records.values() if r.source == file),
                    "coverage": coverage,
                }
            )
        return documents

    @cached_property
    def checks(self) -> list[Check]:
        return run_checks(self.data, self.verdicts, self.verbaliser)

    def _index(self) -> Page:
        kinds = [kind for kind, _ in self.terms.values()]
        checks = self.checks
        summary = "; ".join(
            f"{LEVEL_WORDS[level].lower()}: {sum(len(c.items) for c in checks if c.level == level)}"
            for level in LEVELS
        )
        return Page(
            "index.html",
            "index.html",
            {
                "documents": self._documents,
                "counts": {
                    "classes": kinds.count("class"),
                    "properties": kinds.count("property"),
                    "controlled_values": kinds.count("controlled value"),
                },
                "report_summary": summary,
                "identified": len(self.identified_records),
                "waiting": self._queues,
            },
        )

    @cached_property
    def _queues(self) -> list[dict[str, object]]:
        folder = self.inputs.candidates_dir
        words = CandidateWords(self.data, vocabulary_from(self.data.ontology))
        return documents_with_queues(folder, words) if folder is not None and folder.is_dir() else []

    def _candidates(self) -> Page:
        """The intake's queue: each proposed document's sentences with their candidates in words."""
        return Page("candidates.html", "candidates.html", {"queues": self._queues})

    def _sources(self) -> list[Page]:
        """Each source sentence by sentence: a record in full under the sentence its quote starts
        in, named (with a link) under the others it spans; runs of front-matter lines that state
        no fact folded (what a front matter holds that a record cites stays in view); Markdown
        markers kept out of the text."""
        pages = []
        for document in self._documents:
            sentences = self._source_sentences(document)
            placed = {(r["file"], r["line"]) for s in sentences for r in s["records"]}  # type: ignore[attr-defined]
            unplaced = [self._record_view(r, "../") for r in self.data.records.values()
                        if r.source == document["file"] and (r.file, r.line) not in placed]
            pages.append(
                Page(
                    f"sources/{document['stem']}.html",
                    "source.html",
                    {"doc": document, "blocks": _folded(sentences), "unplaced": unplaced},
                )
            )
        return pages

    def _source_sentences(self, document: dict[str, object]) -> list[dict[str, object]]:
        front = _front_matter(self.inputs.sources.raw(str(document["file"])))
        shown: dict[tuple[str, int], int] = {}  # a record's place -> the sentence it is shown under
        sentences: list[dict[str, object]] = []
        in_front = bool(front)
        for number, sentence in enumerate(document["coverage"].sentences, start=1):  # type: ignore[attr-defined]
            places = [p for p in dict.fromkeys(sentence.citations) if p in self.records_by_place]
            also = [{"entity": self._record_entity(self.records_by_place[p], "../"), "line": p[1],
                     "sentence": shown[p]} for p in places if p in shown]
            records = [self._record_view(self.records_by_place[p], "../") for p in places if p not in shown]
            shown.update({p: number for p in places if p not in shown})
            in_front = in_front and sentence.text in front
            sentences.append({"text": _without_markdown(sentence.text), "records": records, "also": also,
                              "reason": sentence.reason, "number": number,
                              "fold": in_front and not places and bool(sentence.reason),
                              "css": "fact" if places else ("nofact" if sentence.reason else "uncovered")})
        return sentences

    @cached_property
    def identified_records(self) -> list[RecordInfo]:
        """The records that rest on the curators' identification, by entity."""
        found = [r for r in self.data.records.values() if r.identification]
        return sorted(found, key=lambda r: (self.data.label(r.describes) or "", r.source, r.line))

    def _identifications(self) -> Page:
        """Every record resting on the curators' identification: what it says, the sentence, who
        linked it and why, and the reviewers' verdicts."""
        records = []
        for record in self.identified_records:
            view = self._record_view(record, "")
            page = f"sources/{Path(record.source).stem}.html#record-{record.line}"
            view |= {"identification": record.identification, "quote": record.quote,
                     "source": record.source, "page": page}
            records.append(view)
        return Page("identifications.html", "identifications.html", {"records": records})

    def _record_view(self, record: RecordInfo, root: str) -> dict[str, object]:
        statements = [(s, p, o) for s, p, o, _ in self.data.by_graph[record.graph]]
        facts = [self.sentence_html(s, root) for s in self.verbaliser.facts(statements, it=record.describes)]
        verdicts = [v for v in self.verdicts if v.item.split(" ", 1)[0] == str(record.graph)]
        return {
            "entity": self._record_entity(record, root),
            "line": record.line,
            "file": record.file,
            "vague": record.vague,
            "note": record.note,
            "linked_by": record.linked_by,
            "facts": facts,
            "verdicts": verdicts,
        }

    def _record_entity(self, record: RecordInfo, root: str) -> Markup:
        """The entity a record describes, as a linked phrase."""
        return self.sentence_html(Sentence((self.verbaliser.phrase(record.describes)[0],)), root)

    def _entity(self, entity: URIRef) -> Page:
        path = f"{local_path(str(entity))}.html"
        root = "../" * path.count("/")
        facts: dict[tuple[Node, URIRef, Node], set[URIRef]] = {}
        quads = [
            q
            for q in self.data.by_subject.get(entity, []) + self.data.by_object.get(entity, [])
            if q[3] != GRAPH.ontology and not (q[1] == RDF.type and q[3] == GRAPH.inferred)
        ]
        for s, p, o, g in quads:
            facts.setdefault((s, p, o), set()).add(g)
        rows = []
        for fact, graphs in facts.items():
            subject, prop, value = fact
            if is_nested(subject) or (prop in (MD.describes, MD.vagueMentionOf)):
                continue
            citations = sorted((self._citation_view(g, fact) for g in graphs), key=lambda c: str(c["text"]))
            rows.append(
                {
                    "sentence": self.sentence_html(self.verbaliser.sentence(subject, prop, value), root),
                    "citations": citations,
                    "identified": all(c["identification"] for c in citations),
                }
            )
        kinds = sorted(
            {
                self.data.label(o) or str(o)
                for o in self.data.union.objects(entity, RDF.type)
                if str(o).startswith(str(MD))
            }
        )
        return Page(
            path,
            "entity.html",
            {
                "entity": {
                    "iri": str(entity),
                    "label": self.name(entity),
                    "kinds": kinds,
                    "facts": rows,
                    "identified": sum(1 for row in rows if row["identified"]),
                }
            },
        )

    def _term(self, iri: str, kind: str, slug: str) -> Page:
        node = URIRef(iri)
        ontology = self.data.ontology
        label = str(ontology.value(node, RDFS.label))
        diagram = self._neighbourhood(node, kind)
        samples = []
        for s, p, o, g in self._sample_quads(node, kind):
            record = self.data.records[g]
            samples.append(
                {
                    "sentence": self.sentence_html(self.verbaliser.sentence(s, p, o), "../"),
                    "quote": record.quote,
                    "source": record.source,
                }
            )
        return Page(
            f"ontology/{slug}.html",
            "term.html",
            {
                "term": {
                    "iri": iri,
                    "label": label,
                    "kind": kind,
                    "slug": slug,
                    "definition": str(ontology.value(node, SKOS.definition) or ""),
                    "sentence_form": str(ontology.value(node, MD.sentence) or ""),
                    "plain": self._plain_words(node, kind),
                    "usage": self.usage(iri, kind),
                    "samples": samples,
                    "instances": self._instances(node) if kind == "class" else [],
                    "verdicts": [v for v in self.verdicts if v.item == iri],
                    "has_diagram": diagram is not None,
                    "diagram_text": diagram.text() if diagram else "",
                }
            },
            diagram,
        )

    def _instances(self, cls: URIRef) -> list[tuple[str, str | None]]:
        """Every instance of a class (asserted or inferred; the ontology's controlled values too):
        its name and the page it links to (below the site root)."""
        found = {s for s, p, _, _ in self.data.by_object.get(cls, []) if p == RDF.type and not is_nested(s)}
        named = [(self.name(s), self.target(str(s))) for s in found if isinstance(s, URIRef)]
        return sorted(named, key=lambda item: item[0].casefold())

    @cached_property
    def _index_entries(self) -> list[dict[str, object]]:
        """Every entity with a page: its name, other names, identifiers, kind and page."""
        entries: list[dict[str, object]] = []
        identifiers = (MD.wikidataId, MD.isoAlpha2, MD.isoAlpha3, MD.rorId, MD.geonamesId, MD.chebiId,
                       MD.elementSymbol, MD.m49Code)
        current = [e for e in self.entities if (e, DCTERMS.isReplacedBy, None) not in self.data.union]
        for entity in sorted(current, key=lambda e: self.name(e).casefold()):  # not the retired ids
            kinds = self._kinds(entity)
            entries.append({
                "label": self.name(entity),
                "also": sorted({str(o) for o in self.data.union.objects(entity, SKOS.altLabel)}),
                "ids": sorted({str(o) for p in identifiers for o in self.data.union.objects(entity, p)}),
                "kind": kinds[0] if kinds else "",
                "page": f"{local_path(str(entity))}.html",
            })
        return entries

    def _kinds(self, entity: URIRef) -> list[str]:
        """An entity's stated kinds, most specific first (none that is a parent of another)."""
        stated = {o for _, p, o, g in self.data.by_subject.get(entity, [])
                  if p == RDF.type and str(o) in self.terms and g != GRAPH.inferred}
        above = {a for kind in stated for a in self.data.ontology.transitive_objects(kind, RDFS.subClassOf)
                 if a != kind}
        def names(kinds: set[Node]) -> list[str]:
            return sorted(self.data.label(k) or "" for k in kinds)

        return names(stated - above) + names(stated & above)

    def _entity_index(self) -> Page:
        """Every entity, by kind, and a search over names, other names and identifiers (a small
        index written beside the page, searched in the browser; nothing leaves it)."""
        by_kind: dict[str, list[dict[str, object]]] = defaultdict(list)
        for entry in self._index_entries:
            by_kind[str(entry["kind"]) or "other"].append(entry)
        return Page("entities.html", "entities.html", {"kinds": sorted(by_kind.items()),
                                                       "count": len(self._index_entries),
                                                       "index": self._index_entries})

    def _sample_quads(self, node: URIRef, kind: str) -> list[tuple[URIRef, URIRef, Node, URIRef]]:
        if kind == "property":
            quads = self.data.by_property.get(node, [])
        elif kind == "class":
            quads = [q for q in self.data.by_object.get(node, []) if q[1] == RDF.type]
        else:
            quads = self.data.by_object.get(node, [])
        return [q for q in quads if q[3] in self.data.records and not is_nested(q[0])][:3]

    def _plain_words(self, node: URIRef, kind: str) -> list[str]:
        """What the ontology says of a term, as sentences with labels."""
        o = self.data.ontology

        def name(term: Node) -> str:
            words = DATATYPE_WORDS.get(term) if isinstance(term, URIRef) else None
            return words or str(o.value(term, RDFS.label) or local_name(term))

        def a(word: str) -> str:
            return ("an " if word[:1].lower() in "aeiou" else "a ") + word

        lines = []
        if kind == "class":
            lines += [
                f"{a(name(node)).capitalize()} is a kind of {name(p)}."
                for p in sorted(o.objects(node, RDFS.subClassOf), key=str)
            ]
            kinds = sorted(name(c) for c in o.subjects(RDFS.subClassOf, node))
            lines += [f"Kinds of {name(node)}: {', '.join(kinds)}."] if kinds else []
            held_by: dict[URIRef, list[str]] = defaultdict(list)
            for holder, held in self._domain_properties(node):
                rng = o.value(held, RDFS.range)
                held_by[holder].append(name(held) + (f" ({a(name(rng))})" if rng is not None else ""))
            for holder, items in held_by.items():
                lines.append(
                    (f"{a(name(node)).capitalize()}" if holder == node
                     else f"As any {name(holder)}, {a(name(node))}")
                    + f" can have: {'; '.join(sorted(items, key=str.lower))}."
                )
            for prop in sorted(o.subjects(RDFS.range, node), key=str):
                domain = o.value(prop, RDFS.domain)
                lines.append(
                    f"{a(name(node)).capitalize()} can be the {name(prop)} of "
                    + (f"{a(name(domain))}." if domain is not None else "anything.")
                )
            lines += [
                f"It cannot also be {a(name(c))}."
                for c in sorted(
                    set(o.objects(node, OWL.disjointWith)) | set(o.subjects(OWL.disjointWith, node)), key=str
                )
            ]
        elif kind == "property":
            domain, rng = o.value(node, RDFS.domain), o.value(node, RDFS.range)
            subject = a(name(domain)) if domain is not None else "Anything"
            lines.append(
                f"{subject[:1].upper() + subject[1:]} can have {a(name(node))}"
                + (f", which is {a(name(rng))}." if rng is not None else ".")
            )
            if o.value(node, MD.oneValueExpected) is not None:
                lines.append("Two documents giving different values for the same thing disagree.")
            if (node, RDF.type, OWL.TransitiveProperty) in o:
                lines.append("It is transitive: what lies in a place also lies in what contains that place.")
        else:
            lines += [
                f"It is {a(name(c))}."
                for c in sorted(o.objects(node, RDF.type), key=str)
                if c != OWL.NamedIndividual
            ]
        return lines

    def _domain_properties(self, cls: URIRef, through_kinds: bool = True) -> list[tuple[URIRef, URIRef]]:
        """(class, property) for the properties whose domain is ``cls`` or a class above it, the
        nearest first. Without ``through_kinds``, only the classes above it that records never name
        (an arrangement, an undertaking): a record kind's own diagram stays its own."""
        o = self.data.ontology
        holders, seen, todo = [], {cls}, [cls]
        while todo:
            current = todo.pop(0)
            holders.append(current)
            for parent in sorted(o.objects(current, RDFS.subClassOf), key=str):
                if isinstance(parent, URIRef) and parent not in seen:
                    seen.add(parent)
                    if through_kinds or o.value(parent, MD.recordKey) is None:
                        todo.append(parent)
        return [(holder, prop) for holder in holders
                for prop in sorted(o.subjects(RDFS.domain, holder), key=str) if isinstance(prop, URIRef)]

    def _neighbourhood(self, node: URIRef, kind: str) -> Diagram | None:
        o = self.data.ontology
        boxes: dict[str, tuple[str, str | None]] = {}
        edges: list[Edge] = []

        def box(term: Node) -> str:
            key = str(term)
            target = self.target(key)
            boxes[key] = (
                str(o.value(term, RDFS.label) or local_name(key)),
                f"../{target}" if target else None,
            )
            return key

        if kind == "class":
            box(node)
            edges += [Edge(box(node), box(p), "is a", True) for p in o.objects(node, RDFS.subClassOf)]
            edges += [Edge(box(c), box(node), "is a", True) for c in o.subjects(RDFS.subClassOf, node)]
            for _, held in self._domain_properties(node, through_kinds=False):
                if (rng := o.value(held, RDFS.range)) is not None:
                    edges.append(Edge(box(node), box(rng), str(o.value(held, RDFS.label))))
            for prop in o.subjects(RDFS.range, node):
                if (domain := o.value(prop, RDFS.domain)) is not None:
                    edges.append(Edge(box(domain), box(node), str(o.value(prop, RDFS.label))))
        elif kind == "property":
            domain, rng = o.value(node, RDFS.domain), o.value(node, RDFS.range)
            if domain is None and rng is None:
                return None
            ends = []
            for end in (domain, rng):
                if end is None:
                    boxes["anything"] = ("anything", None)
                ends.append(box(end) if end is not None else "anything")
            edges.append(Edge(ends[0], ends[1], str(o.value(node, RDFS.label))))
        else:
            edges += [
                Edge(box(node), box(c), "is a", True)
                for c in o.objects(node, RDF.type)
                if c != OWL.NamedIndividual
            ]
        if not edges:
            return None
        return Diagram(boxes, edges, str(node))

    def overview(self) -> Diagram:
        """The project's classes, their hierarchy and the properties between them."""
        o = self.data.ontology
        classes = {c for c in o.subjects(RDF.type, OWL.Class) if str(c).startswith(str(MD))}
        boxes: dict[str, tuple[str, str | None]] = {
            str(c): (str(o.value(c, RDFS.label)), f"{self.terms[str(c)][1]}.html") for c in classes
        }
        edges = [
            Edge(str(c), str(p), "is a", True)
            for c in classes
            for p in o.objects(c, RDFS.subClassOf)
            if p in classes
        ]
        for prop in o.subjects(RDFS.domain, None):
            domain, rng = o.value(prop, RDFS.domain), o.value(prop, RDFS.range)
            if domain in classes and rng in classes:
                edges.append(Edge(str(domain), str(rng), str(o.value(prop, RDFS.label))))
        return Diagram(boxes, edges)

    def _ontology_index(self) -> Page:
        groups: list[dict[str, object]] = []
        for kind, title in (
            ("class", "Classes"),
            ("property", "Properties"),
            ("controlled value", "Controlled values"),
        ):
            terms: list[dict[str, object]] = [
                {
                    "label": str(self.data.ontology.value(URIRef(iri), RDFS.label)),
                    "slug": slug,
                    "local": iri.rsplit("#", 1)[-1],
                    "usage": self.usage(iri, kind),
                    "definition": str(self.data.ontology.value(URIRef(iri), SKOS.definition) or ""),
                }
                for iri, (k, slug) in self.terms.items()
                if k == kind
            ]
            groups.append(
                {
                    "id": kind.replace(" ", "-"),
                    "title": title,
                    "terms": sorted(terms, key=lambda t: str(t["label"]).lower()),
                }
            )
        header = URIRef(BASE + "ontology")
        o = self.data.ontology

        def values(prop: URIRef) -> list[str]:
            return sorted(str(v) for v in o.objects(header, prop))

        metadata = {
            "title": values(DCTERMS.title), "version": values(OWL.versionInfo),
            "version_iri": values(OWL.versionIRI), "licence": values(DCTERMS.license),
            "creators": values(DCTERMS.creator), "prior": values(OWL.priorVersion),
            "citation": values(DCTERMS.bibliographicCitation), "iri": str(header),
        }
        return Page(
            "ontology/index.html",
            "ontology.html",
            {
                "metadata": metadata,
                "description": str(self.data.ontology.value(header, DCTERMS.description) or ""),
                "groups": groups,
                "overview_text": self.overview().text(),
            },
        )

    def _shapes(self) -> Page:
        return Page(
            "shapes.html", "shapes.html", {"shapes": describe_shapes(load_shapes(), self.data.ontology)}
        )

    def _report(self) -> Page:
        return Page("report.html", "report.html", report_variables(self.checks, self.target))

    def _changelog(self) -> Page:
        return Page(
            "changelog.html",
            "changelog.html",
            {"body": self.changes.html(lambda iri: (target := self.target(iri)) and target)},
        )


def report_variables(checks: list[Check], link: Callable[[str], str | None] | None = None
                     ) -> dict[str, object]:
    """What the report page shows: the checks that found something, at each level in words, each
    item with the page it links to (given ``link``, the page of an IRI); the checks that found
    nothing."""
    def linked(check: Check) -> list[tuple[object, str | None]]:
        return [(item, link(item.iri) if link and item.iri else None) for item in check.items]

    def found(level: str) -> list[tuple[Check, list[tuple[object, str | None]]]]:
        return [(check, linked(check)) for check in checks if check.items and check.level == level]

    return {
        "levels": [(level, LEVEL_WORDS[level], found(level))
                   for level in LEVELS],
        "passed": [c for c in checks if not c.items],
    }


def changes_since(previous: Path | None, data: ReviewData) -> Changes:
    """What changed from the release ``previous`` (the one served before) to ``data``; when the
    two hold the same dataset, what the previous one said had changed before it."""
    if (
        previous is not None
        and (previous / "dataset.nq").read_bytes() == (data.release / "dataset.nq").read_bytes()
    ):
        kept = previous / SITE_DIR / CHANGES_FILE
        if kept.is_file():
            return replace(Changes.from_json(kept.read_text(encoding="utf-8")), same_data_as=previous.name)
    return compare(ReviewData(previous) if previous else None, data)


def inputs_digest(inputs: Inputs) -> bytes:
    """A digest of what the pages read besides the dataset: the verdicts, the marks of sentences
    stating no fact, and this package's code and templates."""
    files = [
        *sorted(inputs.reviews_dir.glob("*.yaml")),
        *sorted(inputs.marks_dir.glob("*.yaml")),
        *(sorted(inputs.candidates_dir.glob("*.yaml")) if inputs.candidates_dir else []),
        *sorted(Path(__file__).parent.glob("*.py")),
        *sorted(TEMPLATES_DIR.iterdir()),
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def write_site(release: Path, inputs: Inputs, previous: Path | None, out: Path | None = None) -> Path:
    """Write the review site of ``release`` (into ``release/site`` unless ``out`` is given), its
    changelog saying what changed since the release ``previous`` (also kept as ``changelog.md``
    and, for the next build, ``changes.json``)."""
    data = ReviewData(release)
    changes = changes_since(previous, data)
    site = Site(data, inputs, changes)
    target = out or release / SITE_DIR
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    environment = _environment()
    environment.globals["release"] = release.name  # as the workbook's About sheet names it
    diagrams: dict[str, Diagram] = {"ontology/overview.svg": site.overview()}
    for page in site.pages():
        environment.globals["url"] = _url("../" * page.path.count("/"))
        path = target / page.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(environment.get_template(page.template).render(**page.variables), encoding="utf-8")
        if page.diagram is not None:
            diagrams[page.path.removesuffix(".html") + ".svg"] = page.diagram
    for name, svg in zip(diagrams, render_svg(list(diagrams.values())), strict=True):
        (target / name).write_text(svg, encoding="utf-8")
    (target / "changelog.md").write_text(changes.markdown(), encoding="utf-8")
    (target / CHANGES_FILE).write_text(changes.to_json(), encoding="utf-8")
    for static in ("review.css", "find.js"):
        shutil.copy(TEMPLATES_DIR / static, target / static)
    for name, fmt in ONTOLOGY_DOWNLOADS.items():  # the ontology page's downloads
        data.ontology.serialize(target / "ontology" / name, format=fmt)
    return target


def _url(root: str) -> Callable[[str], str]:
    return lambda path: root + path


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape())


def standalone_page(template: str, **variables: object) -> str:
    """One review page as a self-contained HTML document (its style inlined, no site navigation),
    such as the quality report written by ``mineral-diplomacy report --format html``."""
    environment = _environment()
    environment.globals["url"] = _url("")
    css = (TEMPLATES_DIR / "review.css").read_text(encoding="utf-8")
    return environment.get_template(template).render(standalone_css=css, **variables)


def _front_matter(raw: str) -> str:
    """A document's front matter (the YAML block between its first two '---' lines), or ''."""
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        return ""
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), 0)
    return "\n".join(lines[1:end])


def _without_markdown(text: str) -> str:
    """A sentence as read: without a heading's '#' marks or emphasis markers."""
    return re.sub(r"\*\*|__", "", re.sub(r"^#{1,6}\s+", "", text))


def _folded(sentences: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    """The sentences in blocks: a run of lines to fold is one block, every other sentence its own."""
    blocks: list[list[dict[str, object]]] = []
    for sentence in sentences:
        if sentence["fold"] and blocks and blocks[-1][0]["fold"]:
            blocks[-1].append(sentence)
        else:
            blocks.append([sentence])
    return blocks


# a datatype as a reader says it (the ontology's own classes are read by their labels)
DATATYPE_WORDS = {
    XSD.boolean: "yes-or-no value", XSD.string: "text", RDF.langString: "text", XSD.decimal: "number",
    XSD.positiveInteger: "whole number above zero", XSD.nonNegativeInteger: "whole number",
    XSD.integer: "whole number", XSD.date: "date", XSD.dateTime: "date and time", XSD.anyURI: "web address",
}


def _lines(rows: list[tuple[str, int]]) -> str:
    """Table rows in words, runs of lines as ranges: ``a.csv, lines 2–31; b.csv, line 4``."""
    by_file: dict[str, list[int]] = defaultdict(list)
    for file, line in rows:
        by_file[file].append(line)
    parts = []
    for file, lines in by_file.items():
        runs: list[list[int]] = []
        for line in sorted(lines):
            if runs and line == runs[-1][-1] + 1:
                runs[-1].append(line)
            else:
                runs.append([line])
        spans = [f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs]
        parts.append(f"{file}, line{'s' if len(lines) > 1 else ''} {', '.join(spans)}")
    return "; ".join(parts)
