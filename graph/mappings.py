"""Links to other datasets, as mapping sets: SSSOM files (``mappings/<target>.sssom.tsv``) made
from the reference tables, never typed by hand, and read back by the build, which turns each
mapping of an entity in the graph into one link with the mapping's own predicate.

Which predicate, and why: a Wikidata item or a ROR record is the same organisation, country,
person or element as ours (``skos:exactMatch``); a GeoNames feature is the place of a country,
not the country that acts (``skos:closeMatch``); a ChEBI entry is the element's atom, not the
mineral as a commodity (``skos:closeMatch``). ``owl:sameAs`` is used for none: it would merge, under
OWL reasoning, an actor with a geographic feature.

A mapping keeps the date it was first written; regenerating the files leaves an unchanged
mapping, and its date, as it was.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from ..ontology.namespaces import BASE, GEONAMES, GRAPH, ID, MD, WD, Triple
from .problems import BuildFailed, Problem
from .records import Record
from .reference import ReferenceTables, Row

SEMAPV = "https://w3id.org/semapv/vocab/"
CHEBI = "http://purl.obolibrary.org/obo/CHEBI_"
ROR = "https://ror.org/"
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
CURATORS = "Mineral Diplomacy knowledge graph curators"
JUSTIFICATION = "semapv:ManualMappingCuration"
COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "mapping_justification",
    "author_label",
    "mapping_date",
    "comment",
)


@dataclass(frozen=True)
class Target:
    """A dataset this graph links to: its CURIE prefix, the namespace of the IRIs the graph links
    to, the identifier property that holds the bare id, and the namespace the standard prefix maps
    give the prefix (in the sets' curie_map, so that our CURIEs join with other sets')."""

    name: str
    title: str
    prefix: str
    namespace: str
    identifier: URIRef
    suffix: str = ""  # after the id in a linked IRI
    curie_namespace: str = ""  # default: ``namespace``

    def iri(self, local_id: str) -> URIRef:
        """The IRI the graph links to for an identifier."""
        return URIRef(self.namespace + local_id + self.suffix)


TARGETS = {
    "wikidata": Target("wikidata", "Wikidata", "wikidata", str(WD), MD.wikidataId),
    # the graph links to a feature's Semantic Web IRI, https://sws.geonames.org/<id>/ (the form
    # GeoNames' own RDF uses); geonames:<id> is, in the standard prefix map, its page
    "geonames": Target("geonames", "GeoNames", "geonames", str(GEONAMES), MD.geonamesId, suffix="/",
                       curie_namespace="https://www.geonames.org/"),
    "ror": Target("ror", "ROR (Research Organization Registry)", "ror", ROR, MD.rorId),
    "chebi": Target("chebi", "ChEBI (Chemical Entities of Biological Interest)", "CHEBI", CHEBI, MD.chebiId),
}
# The subjects' prefix: the project's own, unlike a bare "id:" that another set may bind elsewhere
SUBJECT_PREFIX = "mdkg"
CURIE_MAP = {SUBJECT_PREFIX: str(ID), "semapv": SEMAPV, "skos": str(SKOS)}
# Each target's mappings in two sets: of the entities the graph holds (their IRIs resolve), and of
# those the reference tables name but the graph does not hold (their IRIs answer 404)
SCOPES = {
    "": "the entities of the Mineral Diplomacy knowledge graph (every subject is an entity the graph "
        "holds)",
    ".not-in-graph": "entities the reference tables name but the Mineral Diplomacy knowledge graph "
                     "does not hold, so that their IRIs answer 404 (once the graph holds one, it is "
                     "linked, and 'mineral-diplomacy mappings' moves its mappings to the other set)",
}


def set_file(target: Target, scope: str) -> str:
    """The file name of a target's mapping set of one scope."""
    return f"{target.name}{scope}.sssom.tsv"


@dataclass(frozen=True)
class Mapping:
    """One row of a mapping set (and where it is written, for error messages)."""

    subject_id: str  # mdkg:country/india
    subject_label: str
    predicate_id: str  # skos:exactMatch
    object_id: str  # wikidata:Q668
    comment: str
    mapping_date: str = ""
    file: str = ""
    line: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subject_id, self.predicate_id, self.object_id)


# -- generating the mapping sets from the reference tables --------------------------------------


def _source_note(row: Row, column: str, sources_column: str) -> str:
    note = f"shared/reference/{row.file.rsplit('/', 1)[-1]} line {row.line}, column {column}"
    if sources := row.get(sources_column):
        note += f"; its sources: {sources}"
    return note


def declared_refs(records: Iterable[Record], lists_file: Path | None) -> list[tuple[str, str]]:
    """The (entity id, ``table/KEY``) pairs the records and the lists' issuers declare."""
    refs = {
        (entity_id, ref) for r in records if (entity_id := r.node.text("id")) and (ref := r.node.text("ref"))
    }
    if lists_file is not None:
        issuers = (yaml.safe_load(lists_file.read_text(encoding="utf-8")) or {}).get("issuers", {})
        refs |= {(entity_id, spec["ref"]) for entity_id, spec in issuers.items() if "ref" in spec}
    return sorted(refs)


def _row_mappings(entity_id: str, label: str, row: Row) -> list[tuple[str, Mapping]]:
    """The mappings one reference row gives for the entity that stands for it."""
    found = []

    def add(target: str, predicate: str, local_id: str, note: str) -> None:
        object_id = f"{TARGETS[target].prefix}:{local_id}"
        mapping = Mapping(f"{SUBJECT_PREFIX}:{entity_id}", label, predicate, object_id, note)
        found.append((target, mapping))

    sources = {"countries": "wikidata_qid_sources", "elements": "qid_sources", "organizations": "qid_source"}
    if qid := row.get("wikidata_qid"):
        add("wikidata", "skos:exactMatch", qid, _source_note(row, "wikidata_qid", sources[row.table]))
    if geonames := row.get("geonames_id"):
        add(
            "geonames",
            "skos:closeMatch",
            geonames,
            _source_note(row, "geonames_id", "") + "; a GeoNames feature is the country's place",
        )
    if chebi := row.get("chebi_id"):
        add(
            "chebi",
            "skos:closeMatch",
            chebi.removeprefix("CHEBI:"),
            _source_note(row, "chebi_id", "") + "; a ChEBI entry is the element's atom, not the commodity",
        )
    if ror := row.get("ror_id"):
        add("ror", "skos:exactMatch", ror.removeprefix(ROR), _source_note(row, "ror_id", "ror_source"))
    return found


def candidate_mappings(
    reference: ReferenceTables, refs: Iterable[tuple[str, str]]
) -> dict[str, list[Mapping]]:
    """Every mapping the reference tables give, per target: for each country and element by its
    slug, and for each entity a record or the lists point at a row of (``ref:``)."""
    found: dict[str, dict[tuple[str, str, str], Mapping]] = {name: {} for name in TARGETS}
    rows = [
        (f"country/{slug}", row.get("common_name") or row.get("name"), row)
        for slug, row in reference.countries.items()
    ]
    rows += [(f"mineral/{slug}", row.get("name").lower(), row) for slug, row in reference.elements.items()]
    for entity_id, ref in refs:
        if (row := reference.find(ref)) is not None:
            rows.append((entity_id, row.get("common_name") or row.get("name"), row))
    for entity_id, label, row in rows:
        for target, mapping in _row_mappings(entity_id, label, row):
            found[target].setdefault(mapping.key, mapping)
    return {name: sorted(mappings.values(), key=lambda m: m.key) for name, mappings in found.items()}


def mapping_set_text(target: Target, scope: str, mappings: list[Mapping], previous: list[Mapping],
                     today: str) -> str:
    """A mapping set of one scope as SSSOM/TSV: its metadata (a YAML block of ``#`` lines), then
    one row per mapping. An unchanged mapping keeps its date; the set's version is its newest
    mapping date."""
    kept = {m.key: m for m in previous}
    dated = [
        replace(
            m,
            mapping_date=kept[m.key].mapping_date
            if m.key in kept and replace(kept[m.key], file="", line=0, mapping_date="") == m
            else today,
        )
        for m in mappings
    ]
    metadata = {
        "curie_map": dict(sorted({**CURIE_MAP, target.prefix: target.curie_namespace or target.namespace}
                                 .items())),
        "mapping_set_id": f"{BASE}mappings/{set_file(target, scope)}",
        "mapping_set_version": max((m.mapping_date for m in dated), default=today),
        "mapping_set_title": f"Mineral Diplomacy {'entities' if not scope else 'reference entities'} "
                             f"linked to {target.title}",
        "mapping_set_description": (
            f"Links to {target.title} from {SCOPES[scope]}, made from the identifier tables of "
            "shared/reference (each row's comment names the table, line, column and the sources the "
            "table gives for it). Generated by 'mineral-diplomacy mappings'; do not edit by hand."
        ),
        "license": LICENCE,
        "creator_label": [CURATORS],
    }
    header = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=1000)
    out = io.StringIO()
    out.write("".join(f"#{line}\n" for line in header.splitlines()))
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for m in dated:
        writer.writerow(
            [
                m.subject_id,
                m.subject_label,
                m.predicate_id,
                m.object_id,
                JUSTIFICATION,
                CURATORS,
                m.mapping_date,
                m.comment,
            ]
        )
    return out.getvalue()


def write_mapping_sets(directory: Path, reference: ReferenceTables, refs: Iterable[tuple[str, str]],
                       held: set[str], today: str) -> list[Path]:
    """(Re)write every mapping set, each target's in two scopes: the entities whose ids are in
    ``held`` (the graph's), and the others (a scope without mappings has no file); return the
    files whose content changed or that were removed."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, mappings in candidate_mappings(reference, refs).items():
        target = TARGETS[name]
        paths = {scope: directory / set_file(target, scope) for scope in SCOPES}
        previous = [m for path in paths.values() if path.exists() for m in read_mapping_set(path)]
        for scope, path in paths.items():
            in_scope = [m for m in mappings
                        if (m.subject_id.partition(":")[2] in held) == (scope == "")]
            if not in_scope:  # no set of nothing
                if path.exists():
                    path.unlink()
                    changed.append(path)
                continue
            text = mapping_set_text(target, scope, in_scope, previous, today)
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
                changed.append(path)
    return changed


# -- reading them back ---------------------------------------------------------------------------


def read_mapping_set(path: Path, display: str | None = None) -> list[Mapping]:
    """The rows of one SSSOM/TSV file; raises BuildFailed naming the file and line of a bad row."""
    display = display or path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [(number, line) for number, line in enumerate(lines, start=1) if not line.startswith("#")]
    if not body or body[0][1].split("\t") != list(COLUMNS):
        raise BuildFailed(
            "mappings",
            [
                Problem(
                    display,
                    body[0][0] if body else 1,
                    "mapping-columns",
                    f"The columns must be: {', '.join(COLUMNS)}.",
                    "Regenerate the file with 'mineral-diplomacy mappings'.",
                )
            ],
        )
    mappings, problems = [], []
    for number, line in body[1:]:
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            problems.append(
                Problem(
                    display,
                    number,
                    "mapping-row",
                    f"This row has {len(cells)} cells, not {len(COLUMNS)}.",
                    "Regenerate the file with 'mineral-diplomacy mappings'.",
                )
            )
            continue
        row = dict(zip(COLUMNS, cells, strict=True))
        mappings.append(
            Mapping(
                row["subject_id"],
                row["subject_label"],
                row["predicate_id"],
                row["object_id"],
                row["comment"],
                row["mapping_date"],
                display,
                number,
            )
        )
    if problems:
        raise BuildFailed("mappings", problems)
    return mappings


PREDICATES = {"skos:exactMatch": SKOS.exactMatch, "skos:closeMatch": SKOS.closeMatch}


def link_triples(
    mappings_dir: Path, entities: set[URIRef]
) -> tuple[list[Triple], list[Triple], list[Problem]]:
    """The links (and bare identifiers) the mapping sets give for the entities in the graph, the
    provenance of the links graph, and any row that cannot be read."""
    links: list[Triple] = []
    provenance: list[Triple] = []
    problems: list[Problem] = []
    sets = [(t, mappings_dir / set_file(t, scope)) for t in TARGETS.values() for scope in SCOPES]
    for target, path in sets:
        if not path.exists():
            continue
        display = f"mappings/{path.name}"
        try:
            mappings = read_mapping_set(path, display)
        except BuildFailed as failed:
            problems.extend(failed.problems)
            continue
        made = len(links)
        for m in mappings:
            subject_prefix, _, entity_id = m.subject_id.partition(":")
            prefix, _, local_id = m.object_id.partition(":")
            subject = ID[entity_id]
            prefixes = (subject_prefix, prefix)
            if m.predicate_id not in PREDICATES or prefixes != (SUBJECT_PREFIX, target.prefix):
                problems.append(
                    Problem(
                        display,
                        m.line,
                        "mapping-row",
                        f"'{m.subject_id} {m.predicate_id} {m.object_id}' is not a link this "
                        f"set can make (subject {SUBJECT_PREFIX}:…, predicate {' or '.join(PREDICATES)}, "
                        f"object {target.prefix}:…).",
                        "Regenerate the file with 'mineral-diplomacy mappings'.",
                    )
                )
                continue
            if subject in entities:
                links += [
                    (subject, PREDICATES[m.predicate_id], target.iri(local_id)),
                    (subject, target.identifier, Literal(local_id)),
                ]
        if len(links) > made:  # the set gave links: the links graph is derived from it
            set_iri = URIRef(f"{BASE}mappings/{path.name}")
            provenance += [
                (GRAPH.links, PROV.wasDerivedFrom, set_iri),
                (set_iri, RDF.type, MD.MappingSet),
                (set_iri, RDFS.label, Literal(f"Mapping set to {target.title}", lang="en")),
                (set_iri, MD.fileName, Literal(display)),
            ]
    return links, provenance, problems
