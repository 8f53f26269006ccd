"""Identifier tables from ``shared/reference``: names and ISO codes, never typed by hand (links to
other datasets come from the mapping sets made from these tables; see ``mappings.py``).

Countries and chemical elements are known by slug (``country/australia``, ``mineral/lithium``), so
records can name them without defining them. Any record may point at a row with
``ref: countries/EU``, ``ref: elements/Li`` or ``ref: organizations/KABIL``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import FOAF, RDFS, SKOS, XSD

from ..ontology.namespaces import ID, MD, Triple
from .slugs import slugify

# table name -> (file, column that ``ref: table/KEY`` matches)
TABLES = {
    "countries": ("countries.csv", "iso_alpha2"),
    "elements": ("elements.csv", "symbol"),
    "organizations": ("organizations.csv", "short_name"),
    "regions": ("regions.csv", "iso_alpha2"),
}


@dataclass(frozen=True)
class Row:
    """One row of a reference table."""

    table: str
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "").strip()

    @property
    def file(self) -> str:
        return f"shared/reference/{TABLES[self.table][0]}"


class ReferenceTables:
    """The identifier tables, indexed for the build."""

    def __init__(self, reference_dir: Path) -> None:
        self.directory = reference_dir
        self.rows: dict[str, list[Row]] = {
            table: self._read(table, file) for table, (file, _) in TABLES.items()
        }
        self.countries = {slugify(r.get("common_name") or r.get("name")): r
                          for r in self.rows["countries"] if r.get("iso_alpha3")}
        self.elements = {slugify(r.get("name")): r for r in self.rows["elements"]}
        self._country_ids = {r.get("iso_alpha2"): f"country/{slug}" for slug, r in self.countries.items()}

    def _read(self, table: str, file: str) -> list[Row]:
        with (self.directory / file).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            return [Row(table, index + 2, dict(row)) for index, row in enumerate(reader)]

    def find(self, ref: str) -> Row | None:
        """The row that ``ref`` (``table/KEY``) names; KEY may also be the row's full name."""
        table, _, key = ref.partition("/")
        if table not in TABLES:
            return None
        column = TABLES[table][1]
        for row in self.rows[table]:
            if key in (row.get(column), row.get("name")):
                return row
        return None

    def by_entity_id(self, entity_id: str) -> Row | None:
        """The row a ``country/<slug>`` or ``mineral/<slug>`` id stands for, if any."""
        kind, _, slug = entity_id.partition("/")
        if kind == "country":
            return self.countries.get(slug)
        if kind == "mineral":
            return self.elements.get(slug)
        return None

    def country_id(self, alpha2: str) -> str | None:
        """``country/<slug>`` for an ISO alpha-2 code, if the countries table knows it."""
        return self._country_ids.get(alpha2)

    def source_iri(self, table: str) -> URIRef:
        """The IRI of a reference table as a provenance entity."""
        return ID[f"reference/{table}"]


def identifier_triples(subject: URIRef, row: Row) -> list[Triple]:
    """The name and identifier statements a reference row gives about ``subject``."""
    triples: list[Triple] = []

    def text(prop: URIRef, column: str) -> None:
        if value := row.get(column):
            triples.append((subject, prop, Literal(value)))

    if row.table == "countries":
        name, common = row.get("name"), row.get("common_name")
        triples.append((subject, RDFS.label, Literal(common or name, lang="en")))
        if common and common != name:
            triples.append((subject, SKOS.altLabel, Literal(name, lang="en")))
        text(MD.isoAlpha2, "iso_alpha2")
        text(MD.isoAlpha3, "iso_alpha3")
        text(MD.isoNumeric, "iso_numeric")
    elif row.table == "elements":
        triples.append((subject, RDFS.label, Literal(row.get("name").lower(), lang="en")))
        text(MD.elementSymbol, "symbol")
        triples.append(
            (subject, MD.atomicNumber, Literal(row.get("atomic_number"), datatype=XSD.positiveInteger))
        )
    elif row.table == "organizations":
        triples.append((subject, RDFS.label, Literal(row.get("name"), lang="en")))
        if short := row.get("short_name"):
            triples.append((subject, SKOS.altLabel, Literal(short, lang="en")))
        if site := row.get("official_website"):
            triples.append((subject, FOAF.homepage, URIRef(site)))
    return triples
