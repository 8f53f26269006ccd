"""Geography and groupings from ``shared/reference/regions.csv``: UN M49 regions, continents and
the memberships of groupings, as reference facts (kept in the reference graph, apart from what
the sources claim).

``graph/geography.yaml`` says which grouping entity each membership column stands for, as of when
the reference table gives it, and which regions the sources name correspond only closely (not
exactly) to a UN M49 region. An M49 region whose name is also a region a source names ("Africa",
"South America", "Central Asia") is the same entity: ``region/<slug of its name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from rdflib import Literal
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from ..ontology.namespaces import ID, MD, ORG, Triple
from .reference import ReferenceTables, Row
from .slugs import slugify

TABLE = "regions"


@dataclass(frozen=True)
class Area:
    """A UN M49 region (``region/<slug>``) or a continent (``continent/<slug>``)."""

    entity_id: str
    name: str
    code: str
    parent: str | None  # the entity id of the M49 region containing this one
    line: int

    @property
    def is_continent(self) -> bool:
        return self.entity_id.startswith("continent/")


@dataclass(frozen=True)
class Membership:
    """A member of a grouping, as a membership column of the reference table says."""

    member: str  # entity id of the member (a country, or an organisation such as the EU)
    grouping: str
    as_of: str | None
    line: int

    @property
    def entity_id(self) -> str:
        """``membership/<member slug>/<grouping slug>``: the id records use for the same membership."""
        return membership_id(self.member, self.grouping)


def membership_id(member: str, grouping: str) -> str:
    """The id of ``member``'s membership of ``grouping``, e.g. ``membership/india/quad``."""
    return f"membership/{member.partition('/')[2]}/{grouping.partition('/')[2]}"


class Geography:
    """Areas, each country's areas, memberships and close matches, read once."""

    def __init__(self, reference: ReferenceTables, curation_file: Path) -> None:
        curation = yaml.safe_load(curation_file.read_text(encoding="utf-8")) or {}
        self.close_matches: dict[str, str] = curation.get("close_matches", {})
        self.areas: dict[str, Area] = {}
        self._country_areas: dict[str, list[str]] = {}
        self.country_lines: dict[str, int] = {}  # ISO alpha-2 -> the country's line in regions.csv
        organisations: dict[str, str] = curation.get("members_as_organizations", {})
        columns: dict[str, dict[str, str]] = curation.get("memberships", {})
        self.memberships: list[Membership] = []
        for row in reference.rows[TABLE]:
            alpha2 = row.get("iso_alpha2")
            self._country_areas[alpha2] = self._read_areas(row)
            self.country_lines[alpha2] = row.line
            member = organisations.get(alpha2) or reference.country_id(alpha2)
            for column, spec in columns.items():
                if member and row.get(column) == "yes":
                    self.memberships.append(Membership(member, spec["grouping"],
                                                       spec.get("as_of"), row.line))

    def _read_areas(self, row: Row) -> list[str]:
        """Note the areas a row names; return the country's finest M49 area and its continent."""
        parent = None
        for level in ("m49_region", "m49_subregion", "m49_intermediate_region"):
            code, name = row.get(f"{level}_code"), row.get(f"{level}_name")
            if code and name:
                parent = self._area(f"region/{slugify(name)}", name, code, parent, row.line)
        continent = None
        if (code := row.get("continent_code")) and (name := row.get("continent_name")):
            continent = self._area(f"continent/{slugify(name)}", name, code, None, row.line)
        return [a for a in (parent, continent) if a]

    def _area(self, entity_id: str, name: str, code: str, parent: str | None, line: int) -> str:
        known = self.areas.get(entity_id)
        if known is not None and (known.code, known.parent) != (code, parent):
            raise ValueError(f"regions.csv: {name} has two codes or parents ({known.code}, {code})")
        self.areas.setdefault(entity_id, Area(entity_id, name, code, parent, line))
        return entity_id

    def areas_of(self, alpha2: str) -> list[str]:
        """The finest UN M49 region and the continent of a country, by its ISO alpha-2 code."""
        return self._country_areas.get(alpha2, [])

    def area_triples(self, area: Area) -> list[Triple]:
        """What the reference says of an area: its kind, name, code and the region containing it."""
        iri = ID[area.entity_id]
        triples: list[Triple] = [
            (iri, RDF.type, MD.Continent if area.is_continent else MD.M49Region),
            (iri, RDFS.label, Literal(area.name, lang="en")),
            (iri, MD.continentCode if area.is_continent else MD.m49Code, Literal(area.code)),
        ]
        if area.parent:
            triples.append((iri, MD.locatedIn, ID[area.parent]))
        return triples


def membership_triples(membership: Membership) -> list[Triple]:
    """A reference membership: member, grouping, kind (member) and the table's 'as of' date."""
    iri = ID[membership.entity_id]
    triples: list[Triple] = [
        (iri, RDF.type, ORG.Membership),
        (iri, ORG.member, ID[membership.member]),
        (iri, ORG.organization, ID[membership.grouping]),
        (iri, ORG.role, MD.member),
    ]
    if membership.as_of:
        datatype = XSD.gYearMonth if len(membership.as_of) == 7 else XSD.date
        triples.append((iri, MD.asOf, Literal(membership.as_of, datatype=datatype)))
    return triples


def close_match_triples(close_matches: dict[str, str]) -> list[Triple]:
    """Regions a source names, each close to (not the same as) a UN M49 region."""
    return [(ID[source], SKOS.closeMatch, ID[target]) for source, target in sorted(close_matches.items())]
