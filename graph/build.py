"""Records -> RDF: one named graph per record, plus provenance and reference graphs.

Each record's statements go into a named graph of their own (``.../record/<source>/<id>``), and
the provenance graph says which source document and which verbatim quote that graph comes from,
and where the record is (file and line). So every triple of the graph can be traced to its quote,
and two sources that disagree stay side by side, each in its own graph.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from ..ontology.namespaces import GRAPH, ID, MD, RECORD, Triple, local
from ..ontology.vocabulary import FieldSpec, PropertyKind, Vocabulary
from .dates import HOW_TO_WRITE, PRECISION, date_literal, interval
from .documents import REGISTER, Document, description
from .geography import TABLE as REGIONS_TABLE
from .geography import Geography, close_match_triples, membership_triples
from .lists import LISTS_TABLE, build_lists
from .mappings import link_triples
from .problems import BuildFailed, Problem
from .records import Field, Node, Record, Value
from .reference import TABLES, ReferenceTables, Row, identifier_triples
from .slugs import is_slug
from .sources import SourceCollection

Term = URIRef | Literal

RESERVED = ("id", "type", "source", "quote", "key", "ref", "mention", "note", "linked_by", "candidate",
            "accepted_by")
# Where a status claim's "as of" date comes from when its record gives none: the document's date.
DOCUMENT_DATES = (("issued", MD.documentDate), ("modified", MD.documentDate),
                  ("written_after", MD.earliestDocumentDate))
INTEGER_TYPES = {XSD.integer, XSD.nonNegativeInteger, XSD.positiveInteger}
REFERENCE_TYPES = {"country": MD.Country, "mineral": MD.Mineral}
REGIONS_FILE = f"shared/reference/{TABLES[REGIONS_TABLE][0]}"


@dataclass(frozen=True)
class Location:
    """Where a statement comes from: a record (file and line) or a reference-table row."""

    file: str
    line: int
    graph: URIRef | None = None


@dataclass
class BuiltGraph:
    """The dataset as named graphs, and where each subject is stated."""

    graphs: dict[URIRef, Graph]
    locations: dict[URIRef, list[Location]]
    record_graphs: list[URIRef]
    linkable: set[URIRef]  # the entities a mapping may link: described by a record or the reference graph


@dataclass
class _RecordContext:
    record: Record
    entity: URIRef
    graph: URIRef
    tag: str
    triples: list[Triple] = field(default_factory=list)


def source_tag(source_file: str) -> str:
    """The short name of a source file used in IRIs: ``003`` for ``003_b26980c2506844ff.txt``."""
    return source_file.split("_", 1)[0].removesuffix(".txt")


def record_graph_iri(entity_id: str, source_file: str, key: str | None) -> URIRef:
    """``record/003/agreement/x``: the record's named graph, from its source and subject."""
    return RECORD[f"{source_tag(source_file)}/{entity_id}" + (f"/{key}" if key else "")]


class Builder:
    """Turns records into named graphs, collecting every problem rather than stopping at one."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        reference: ReferenceTables,
        sources: SourceCollection,
        geography: Geography,
    ) -> None:
        self.vocabulary = vocabulary
        self.reference = reference
        self.sources = sources
        self.geography = geography
        self.problems: list[Problem] = []
        self.locations: dict[URIRef, list[Location]] = defaultdict(list)

    # -- problems -------------------------------------------------------------------------------

    def _problem(self, record: Record, line: int, rule: str, message: str, fix: str) -> None:
        self.problems.append(Problem(record.file, line, rule, message, fix))

    # -- first pass: what exists ----------------------------------------------------------------

    def _entity_id(self, record: Record) -> str | None:
        entity_id = record.node.text("id")
        if entity_id is None:
            self._problem(record, record.line, "record-id", "This record has no 'id'.",
                          "Add 'id: <kind>/<slug>', for example 'id: organization/kabil'.")
            return None
        kind, _, slug = entity_id.partition("/")
        if not (is_slug(kind) and slug and all(is_slug(part) for part in slug.split("/"))):
            self._problem(record, record.node.fields["id"].line, "record-id",
                          f"The id '{entity_id}' is not of the form <kind>/<slug>.",
                          "Use lower-case words joined by hyphens, e.g. 'agreement/india-iea-mou'.")
            return None
        return entity_id

    def _source_documents(self, records: list[Record]) -> dict[str, URIRef]:
        documents: dict[str, URIRef] = {}
        for record in records:
            if "SourceDocument" in _as_list(record.node.fields.get("type")):
                file_name, entity_id = record.node.text("file_name"), record.node.text("id")
                if file_name and entity_id:
                    documents[file_name] = ID[entity_id]
        return documents

    def _registered_documents(self, documents: Sequence[Document]) -> list[Triple]:
        """The project's own documents, described from their register entries; each is a source
        that records may cite, and its date is the default "as of" of their status claims."""
        types = set(self.vocabulary.ontology.subjects(RDF.type, MD.DocumentType))
        triples: list[Triple] = []
        for document in documents:
            described, problems = description(document, types, self.known_ids)
            self.problems.extend(problems)
            triples.extend(described)
            iri = ID[document.entity_id]
            self.documents[document.file] = iri
            self.known_ids.add(document.entity_id)
            where = Location(f"graph/documents/{REGISTER}", document.line, GRAPH.provenance)
            self.locations[iri].append(where)
            if (issued := date_literal(document.issued)) is not None:
                self.document_dates[iri] = (issued, MD.documentDate)
        return triples

    def _document_dates(self, records: list[Record]) -> dict[URIRef, tuple[Literal, URIRef]]:
        """Each source document's date (publication, update, or earliest possible) and its kind,
        from whichever of its records states it; the first kind in DOCUMENT_DATES wins."""
        found: dict[URIRef, list[tuple[int, Literal, URIRef]]] = defaultdict(list)
        for record in records:
            entity_id = record.node.text("id")
            for rank, (key, basis) in enumerate(DOCUMENT_DATES):
                value = record.node.text(key)
                if entity_id and value and (date_value := date_literal(value)) is not None:
                    found[ID[entity_id]].append((rank, date_value, basis))
        return {document: min(dates, key=lambda d: d[0])[1:] for document, dates in found.items()}

    # -- second pass: statements ----------------------------------------------------------------

    def build(self, records: list[Record], lists_file: Path | None = None,
              replaced_file: Path | None = None, mappings_dir: Path | None = None,
              documents: Sequence[Document] = ()) -> BuiltGraph:
        """All records (and the official lists, given their curation file; the ids replaced since
        earlier releases, given theirs; the links of the mapping sets, given their folder; the
        project's own documents, given their register entries) as named graphs; raises
        BuildFailed listing every problem found."""
        self.known_ids = {i for r in records if (i := r.node.text("id"))}
        self.documents = self._source_documents(records)
        self.document_dates = self._document_dates(records)
        described = self._registered_documents(documents)
        self.reference_rows: dict[URIRef, Row] = {}
        self.reference_areas: set[str] = set()
        self.with_lists = lists_file is not None
        lists = self._lists(lists_file) if lists_file else []
        provenance: list[Triple] = described
        record_graphs: dict[URIRef, list[Triple]] = {}
        for record in records:
            context = self._record(record)
            if context is None:
                continue
            if context.graph in record_graphs:
                self._problem(record, record.line, "record-duplicate",
                              f"Another record from the same source already describes "
                              f"{context.entity}.",
                              "Merge the two records, or add 'key: <word>' to tell them apart.")
                continue
            if not context.triples:
                self._problem(record, record.line, "record-empty", "This record states nothing.",
                              "Add at least one field (a type, a label, a property), or remove it.")
                continue
            record_graphs[context.graph] = context.triples
            provenance.extend(self._provenance(context))
        reference = self._reference_triples()
        provenance.extend(self._replaced(replaced_file) if replaced_file else [])
        links: list[Triple] = []
        entities = {s for triples in (*record_graphs.values(), reference) for s, _, _ in triples}
        if mappings_dir is not None:
            links, links_provenance, link_problems = link_triples(mappings_dir, entities)
            provenance.extend(links_provenance)
            self.problems.extend(link_problems)
        if self.problems:
            raise BuildFailed("build", self.problems)
        graphs = {name: _graph(triples) for name, triples in sorted(record_graphs.items())}
        if lists:
            graphs[GRAPH.lists] = _graph(lists)
        graphs[GRAPH.provenance] = _graph(provenance + self._reference_provenance())
        graphs[GRAPH.reference] = _graph(reference)
        if links:
            graphs[GRAPH.links] = _graph(links)
        graphs[GRAPH.ontology] = self.vocabulary.ontology
        return BuiltGraph(graphs, dict(self.locations), sorted(record_graphs), entities)

    def _record(self, record: Record) -> _RecordContext | None:
        entity_id = self._entity_id(record)
        source, quote = record.node.text("source"), record.node.text("quote")
        if not source:
            self._problem(record, record.line, "record-source", "This record does not cite a source.",
                          "Add 'source: <file name>' naming one of the source documents.")
        elif source not in self.sources.files:
            self._problem(record, record.node.fields["source"].line, "record-source",
                          f"'{source}' is not a file of the source collection.",
                          f"Use one of: {', '.join(self.sources.files)}.")
        elif source not in self.documents:
            self._problem(record, record.node.fields["source"].line, "record-source",
                          f"No SourceDocument record describes '{source}'.",
                          "Add a record of type SourceDocument with 'file_name: " + source + "'.")
        if not quote:
            self._problem(record, record.line, "record-quote", "This record has no quote.",
                          "Add 'quote: ...' with the exact words of the source it is taken from.")
        key = record.node.text("key")
        self._check_editorial(record)
        if entity_id is None or not source or not quote:
            return None
        entity = ID[entity_id]
        self._known(entity_id)
        context = _RecordContext(record, entity, record_graph_iri(entity_id, source, key),
                                 source_tag(source) + (f"-{key}" if key else ""))
        self.locations[entity].append(Location(record.file, record.line, context.graph))
        for type_name in _as_list(record.node.fields.get("type")):
            if isinstance(type_name, str) and type_name in self.vocabulary.types:
                context.triples.append((entity, RDF.type, self.vocabulary.types[type_name]))
            else:
                self._unknown(record, record.node.fields["type"].line, "record-type",
                              f"'{type_name}' is not a type the ontology knows.",
                              str(type_name), self.vocabulary.types)
        if ref := record.node.text("ref"):
            row = self.reference.find(ref)
            if row is None:
                self._problem(record, record.node.fields["ref"].line, "record-ref",
                              f"No row of the reference tables matches 'ref: {ref}'.",
                              f"Write 'ref: <table>/<key>' with a table among {', '.join(TABLES)}.")
            else:
                self.reference_rows[entity] = row
        self._fields(context, entity, record.node, top=True)
        return context

    def _check_editorial(self, record: Record) -> None:
        """A vague mention says so with 'mention: vague', and says who linked it and why; a link the
        curators made ('linked_by') says why."""
        mention = record.node.fields.get("mention")
        linked_by = record.node.fields.get("linked_by")
        if mention is None and linked_by is not None and not record.node.text("note"):
            self._problem(record, linked_by.line, "record-mention",
                          "A link the curators made needs a 'note' saying why.",
                          "Add 'note: <why this passage supports the link>'.")
        if mention is None:
            return
        if record.node.text("mention") != "vague":
            self._problem(record, mention.line, "record-mention",
                          "'mention' can only be 'vague'.",
                          "Write 'mention: vague' when the passage mentions the entity only vaguely, "
                          "or remove the field.")
        if (status := record.node.fields.get("status")) is not None:
            self._problem(record, status.line, "status-across-identity",
                          "A vague mention cannot give its status to the entity it was identified "
                          "with: the sentence does not name that entity.",
                          "Give the status to what the sentence names (a record of its own, linked "
                          "with 'part_of_engagement' where it is part of something larger), or drop it.")
        for needed in ("note", "linked_by"):
            if not record.node.text(needed):
                self._problem(record, mention.line, "record-mention",
                              f"A vague mention needs '{needed}': who identified it with this entity, "
                              "and why.",
                              "Add 'linked_by: <who, when>' and 'note: <why this passage means this "
                              "entity>'.")

    def _fields(self, context: _RecordContext, subject: URIRef, node: Node, *, top: bool) -> None:
        for key, item in node.fields.items():
            if key in RESERVED:
                if not top and key != "type":
                    self._problem(context.record, item.line, "record-field",
                                  f"'{key}' is only allowed at the top of a record.",
                                  "Move it to the record itself.")
                continue
            spec = self.vocabulary.fields.get(key)
            if spec is None:
                self._unknown(context.record, item.line, "record-field",
                              f"'{key}' is not a field the ontology knows.", key,
                              self.vocabulary.fields)
                continue
            values = _as_list(item)
            nested = sum(isinstance(v, Node) for v in values) > 1
            for index, value in enumerate(values, start=1):
                term = self._value(context, subject, spec, item, value, index if nested else 0)
                if term is not None:
                    context.triples.append((subject, spec.iri, term))

    def _value(
        self, context: _RecordContext, subject: URIRef, spec: FieldSpec, item: Field,
        value: str | Node, index: int,
    ) -> Term | None:
        record = context.record
        if isinstance(value, Node):
            if spec.kind is not PropertyKind.OBJECT:
                self._problem(record, value.line, "record-value",
                              f"'{spec.key}' takes a single value, not a set of fields.",
                              f"Write '{spec.key}: <value>'.")
                return None
            return self._nested(context, subject, spec, value, index)
        if spec.kind is PropertyKind.TEXT:
            return Literal(value, lang="en")
        if spec.kind is PropertyKind.DATA:
            return self._literal(record, spec, item, value)
        if "/" in value:
            return self._reference(record, spec, item, value)
        if value in self.vocabulary.values and (
            spec.range is None or value in self.vocabulary.values_of(spec.range)
        ):
            return self.vocabulary.values[value]
        allowed = self.vocabulary.values_of(spec.range) if spec.range else []
        hint = (f"Use one of: {', '.join(allowed)}." if allowed
                else "Refer to an entity by its id, e.g. 'country/australia'.")
        self._problem(record, item.line, "record-value",
                      f"'{value}' is not a known value for '{spec.key}'.", hint)
        return None

    def _nested(self, context: _RecordContext, subject: URIRef, spec: FieldSpec, node: Node,
                index: int) -> URIRef:
        nested = URIRef(f"{subject}#{spec.key}-{context.tag}" + (f"-{index}" if index else ""))
        type_name = node.text("type")
        node_type = self.vocabulary.types.get(type_name) if type_name else spec.range
        if node_type is not None:
            context.triples.append((nested, RDF.type, node_type))
        self.locations[nested].append(Location(context.record.file, node.line, context.graph))
        self._fields(context, nested, node, top=False)
        context.triples.extend(self._normalised(nested, context.triples))
        if node_type == MD.StatusClaim:
            context.triples.extend(self._as_of(context, nested, node))
        return nested

    def _as_of(self, context: _RecordContext, claim: URIRef, node: Node) -> list[Triple]:
        """The basis of a status claim's "as of" date; when the record gives no date, the date of
        its source document."""
        if "as_of" in node.fields:  # read with the claim's other fields (None if it is no date)
            value = next((o for s, p, o in context.triples if s == claim and p == MD.asOf), None)
            return [(claim, MD.asOfBasis, MD.dateInSentence),
                    *_as_of_interval(claim, value if isinstance(value, Literal) else None, None)]
        document = self.documents.get(str(context.record.node.text("source")))
        if document is None or document not in self.document_dates:
            self._problem(context.record, node.line, "status-date",
                          "This status claim has no 'as_of' date, and its source document has none "
                          "to take instead.",
                          "Add 'as_of: <the date the sentence gives>', or give the source document an "
                          "'issued', 'modified' or 'written_after' date.")
            return []
        value, basis = self.document_dates[document]
        return [(claim, MD.asOf, value), (claim, MD.asOfBasis, basis),
                *_as_of_interval(claim, value, basis)]

    def _normalised(self, node: URIRef, triples: list[Triple]) -> list[Triple]:
        """value x scale multiplier, exact in Decimal arithmetic, for a quantity node."""
        values = [o for s, p, o in triples if s == node and p == MD.value]
        scales = [o for s, p, o in triples if s == node and p == MD.scale]
        if len(values) != 1 or len(scales) > 1:
            return []
        number = Decimal(str(values[0]))
        if scales:
            multiplier = self.vocabulary.ontology.value(scales[0], MD.multiplier)
            number *= Decimal(str(multiplier))
        return [(node, MD.normalisedValue, decimal_literal(number))]

    def _literal(self, record: Record, spec: FieldSpec, item: Field, value: str) -> Literal | None:
        if spec.range == MD.PartialDate:
            if (date_value := date_literal(value)) is not None:
                return date_value
            self._problem(record, item.line, "record-date", f"'{value}' is not a date.", HOW_TO_WRITE)
            return None
        if spec.range == XSD.decimal or spec.range in INTEGER_TYPES:
            try:
                number = Decimal(value)
            except InvalidOperation:
                number = None
            if number is None or (spec.range in INTEGER_TYPES and number != number.to_integral()):
                kind = "a whole number" if spec.range in INTEGER_TYPES else "a number"
                self._problem(record, item.line, "record-number",
                              f"'{value}' in '{spec.key}' is not {kind}.",
                              "Write the number with digits only (a dot for decimals, no commas); "
                              "put the scale word (million, crore) in 'scale'.")
                return None
            if spec.range in INTEGER_TYPES:
                return Literal(int(number), datatype=spec.range)
            return decimal_literal(number)
        if spec.range == XSD.boolean:
            if value in ("true", "false"):
                return Literal(value == "true")
            self._problem(record, item.line, "record-value",
                          f"'{value}' in '{spec.key}' is not true or false.", "Write true or false.")
            return None
        return Literal(value)

    def _known(self, entity_id: str) -> bool:
        """Whether a record defines the id or a reference table knows it (noting which row)."""
        row = self.reference.by_entity_id(entity_id)
        if row is not None:
            self.reference_rows.setdefault(ID[entity_id], row)
        if entity_id in self.geography.areas:
            self.reference_areas.add(entity_id)
            return True
        return row is not None or entity_id in self.known_ids

    def _reference(self, record: Record, spec: FieldSpec, item: Field, value: str) -> URIRef | None:
        if self._known(value):
            return ID[value]
        kind = value.partition("/")[0]
        candidates = set(self.known_ids)
        if kind == "country":
            candidates |= {f"country/{s}" for s in self.reference.countries}
        if kind == "mineral":
            candidates |= {f"mineral/{s}" for s in self.reference.elements}
        if kind in ("region", "continent"):
            candidates |= set(self.geography.areas)
        self._unknown(record, item.line, "unknown-reference",
                      f"'{spec.key}' refers to '{value}', which no record defines and the "
                      "reference tables do not know.", value, candidates,
                      "Correct the id, or add a record that defines it.")
        return None

    def _unknown(self, record: Record, line: int, rule: str, message: str, given: str,
                 known: object, fix: str = "") -> None:
        names = sorted(known)  # type: ignore[call-overload]
        close = difflib.get_close_matches(given, names, n=3)
        suggestion = f"Did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        self._problem(record, line, rule, message, (suggestion + fix).strip()
                      or "See the README for the record format.")

    # -- provenance and reference ---------------------------------------------------------------

    def _provenance(self, context: _RecordContext) -> list[Triple]:
        record, graph = context.record, context.graph
        triples: list[Triple] = [
            (graph, RDF.type, MD.Record),
            (graph, MD.describes, context.entity),
            (graph, PROV.wasDerivedFrom, self.documents[str(record.node.text("source"))]),
            (graph, MD.quote, Literal(record.node.text("quote"))),
            (graph, MD.recordFile, Literal(record.file)),
            (graph, MD.recordLine, Literal(record.line, datatype=XSD.positiveInteger)),
        ]
        if record.node.text("mention") == "vague":
            triples.append((graph, MD.vagueMentionOf, context.entity))
        if note := record.node.text("note"):
            triples.append((graph, SKOS.editorialNote, Literal(note, lang="en")))
        if linked_by := record.node.text("linked_by"):
            triples.append((graph, MD.linkedBy, Literal(linked_by)))
        if rule := record.node.text("candidate"):
            triples.append((graph, MD.proposedByRule, Literal(rule)))
        if accepted_by := record.node.text("accepted_by"):
            triples.append((graph, MD.acceptedBy, Literal(accepted_by)))
        return triples

    def _replaced(self, replaced_file: Path) -> list[Triple]:
        """``old dcterms:isReplacedBy new`` for each id an earlier release published."""
        triples: list[Triple] = []
        display = f"graph/{replaced_file.name}"
        for entry in yaml.safe_load(replaced_file.read_text(encoding="utf-8")) or []:
            old, new = str(entry["old"]), str(entry["new"])
            if old in self.known_ids or new not in self.known_ids:
                self.problems.append(Problem(display, 0, "replaced-id",
                                             f"'{old}' cannot be replaced by '{new}': the old id must "
                                             "be defined by no record, and the new one by a record.",
                                             "Correct the ids in " + display + "."))
                continue
            triples += [(ID[old], DCTERMS.isReplacedBy, ID[new]),
                        (ID[old], RDFS.comment, Literal(str(entry["why"]), lang="en"))]
        return triples

    def _lists(self, lists_file: Path) -> list[Triple]:
        lists = build_lists(self.reference, lists_file, self.vocabulary, self._known)
        self.problems.extend(lists.problems)
        self.reference_rows.update(lists.refs)
        for iri, rows in lists.locations.items():
            self.locations[iri] += [Location(file, line, GRAPH.lists) for file, line in rows]
            self.known_ids.add(local(iri, "id") or str(iri))  # records may refer to what the lists define
        return lists.triples

    def _reference_triples(self) -> list[Triple]:
        """The reference graph: identifiers of what the records use, the memberships of their
        groupings, and the regions and continents of every country in the graph."""
        triples: list[Triple] = []
        for membership in self.geography.memberships:
            if membership.grouping in self.known_ids and self._known(membership.member):
                triples.extend(membership_triples(membership))
                self._locate(ID[membership.entity_id], REGIONS_FILE, membership.line)
        done: set[URIRef] = set()
        while pending := sorted(set(self.reference_rows) - done):  # an organisation adds its country
            entity = pending[0]
            done.add(entity)
            row = self.reference_rows[entity]
            entity_id = local(entity, "id") or str(entity)
            kind = entity_id.partition("/")[0]
            if kind in REFERENCE_TYPES and self.reference.by_entity_id(entity_id) is row:
                triples.append((entity, RDF.type, REFERENCE_TYPES[kind]))
            triples.extend(identifier_triples(entity, row))
            triples.extend(self._placed(entity, row))
            self._locate(entity, row.file, row.line)
        matches = {s: o for s, o in self.geography.close_matches.items() if s in self.known_ids}
        self.reference_areas.update(matches.values())
        triples.extend(close_match_triples(matches))
        for area_id in sorted(self._with_parents(self.reference_areas)):
            area = self.geography.areas[area_id]
            triples.extend(self.geography.area_triples(area))
            self._locate(ID[area_id], REGIONS_FILE, area.line)
        return triples

    def _placed(self, entity: URIRef, row: Row) -> list[Triple]:
        """A country's UN M49 region and continent; an organisation's country."""
        if row.table == "countries":
            areas = self.geography.areas_of(row.get("iso_alpha2"))
            self.reference_areas.update(areas)
            if areas:
                self._locate(entity, REGIONS_FILE, self.geography.country_lines[row.get("iso_alpha2")])
            return [(entity, MD.locatedIn, ID[area]) for area in areas]
        country = self.reference.country_id(row.get("country_iso2"))
        if row.table == "organizations" and country is not None:
            self.reference_rows.setdefault(ID[country], self.reference.countries[country[8:]])
            return [(entity, MD.country, ID[country])]
        return []

    def _with_parents(self, area_ids: set[str]) -> set[str]:
        closure: set[str] = set()
        for area_id in area_ids:
            while area_id and area_id not in closure:
                closure.add(area_id)
                area_id = self.geography.areas[area_id].parent or ""
        return closure

    def _locate(self, entity: URIRef, file: str, line: int) -> None:
        self.locations[entity].append(Location(file, line, GRAPH.reference))

    def _reference_provenance(self) -> list[Triple]:
        used = {row.table for row in self.reference_rows.values()}
        if self.reference_areas:
            used.add(REGIONS_TABLE)
        tables = {self.reference.source_iri(t): TABLES[t][0] for t in used}
        derived = [(GRAPH.reference, iri) for iri in tables]
        if self.with_lists:
            lists_table = self.reference.source_iri("critical-mineral-lists")
            tables[lists_table] = LISTS_TABLE
            derived.append((GRAPH.lists, lists_table))
        triples: list[Triple] = [(graph, PROV.wasDerivedFrom, iri) for graph, iri in derived]
        for iri, file in sorted(tables.items()):
            triples += [
                (iri, RDF.type, MD.ReferenceTable),
                (iri, RDFS.label, Literal(f"Reference table {file}", lang="en")),
                (iri, MD.fileName, Literal(file)),
            ]
        return triples


def _as_of_interval(claim: URIRef, value: Literal | None, basis: URIRef | None) -> list[Triple]:
    """The days a status claim's "as of" date stands for, and its precision: a year is the interval
    of its days; an undated document's earliest date is only a lower bound (no latest day)."""
    if value is None:  # an invalid date: reported where the field is read
        return []
    first, last = interval(value)
    if basis == MD.earliestDocumentDate:
        return [(claim, MD.asOfPrecision, MD.lowerBoundPrecision),
                (claim, MD.asOfEarliest, Literal(first.isoformat(), datatype=XSD.date))]
    return [(claim, MD.asOfPrecision, PRECISION[URIRef(str(value.datatype))]),
            (claim, MD.asOfEarliest, Literal(first.isoformat(), datatype=XSD.date)),
            (claim, MD.asOfLatest, Literal(last.isoformat(), datatype=XSD.date))]


def decimal_literal(number: Decimal) -> Literal:
    """An xsd:decimal in canonical form ("24.0", "5.9"), as Turtle and N-Triples both write it."""
    text = format(number.normalize(), "f")
    return Literal(text if "." in text else f"{text}.0", datatype=XSD.decimal)


def _as_list(item: Field | None) -> list[str | Node]:
    if item is None:
        return []
    value: Value = item.value
    return value if isinstance(value, list) else [value]


def _graph(triples: list[Triple]) -> Graph:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph
