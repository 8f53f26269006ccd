"""The official critical-mineral lists (India 2023, USGS 2022, EU 2023) as dated, sourced collections.

Items, issuers, years and sources come from ``shared/reference/critical_mineral_lists.csv`` and its
``SOURCES.md``; ``graph/critical_mineral_lists.yaml`` says which id each list, issuer and item gets
and how mineral groups (rare earths, platinum-group elements) are made up.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from ..ontology.namespaces import ID, MD
from ..ontology.vocabulary import Vocabulary
from .problems import Problem
from .reference import ReferenceTables, Row
from .slugs import slugify

Triple = tuple[URIRef, URIRef, URIRef | Literal]
LISTS_TABLE = "critical_mineral_lists.csv"
_SOURCES_ROW = re.compile(r"^\| `(?P<id>[^`]+)` \| (?P<list>[^|]+) \| (?P<sources>[^|]+) \|")


@dataclass
class ListsGraph:
    """The statements of the lists graph, where each subject comes from, and any problems."""

    triples: list[Triple] = field(default_factory=list)
    locations: dict[URIRef, tuple[str, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    refs: dict[URIRef, Row] = field(default_factory=dict)


def _documented_sources(sources_md: Path) -> dict[str, tuple[str, str]]:
    """list_id -> (what the list is, where it was transcribed from), from SOURCES.md's table."""
    rows = {}
    for line in sources_md.read_text(encoding="utf-8").splitlines():
        if match := _SOURCES_ROW.match(line):
            rows[match["id"]] = (match["list"].strip(), match["sources"].strip())
    return rows


def build_lists(
    reference: ReferenceTables,
    curation_file: Path,
    vocabulary: Vocabulary,
    known: Callable[[str], bool],
) -> ListsGraph:
    """The lists graph. ``known(id)`` says whether an entity id is defined (and notes reference rows)."""
    curation = yaml.safe_load(curation_file.read_text(encoding="utf-8"))
    curation_name = f"graph/{curation_file.name}"
    table = reference.directory / LISTS_TABLE
    result = ListsGraph()

    def entity(entity_id: str, where: tuple[str, int]) -> URIRef:
        iri = ID[entity_id]
        result.locations.setdefault(iri, where)
        return iri

    for issuer_id, spec in curation.get("issuers", {}).items():
        iri = entity(issuer_id, (curation_name, 0))
        result.triples.append((iri, RDF.type, vocabulary.types[spec["type"]]))
        if "label" in spec:
            result.triples.append((iri, RDFS.label, Literal(spec["label"], lang="en")))
        if "country" in spec and known(spec["country"]):
            result.triples.append((iri, MD.country, ID[spec["country"]]))
        if "ref" in spec and (row := reference.find(spec["ref"])) is not None:
            result.refs[iri] = row
    for group_id, spec in curation.get("groups", {}).items():
        group = entity(group_id, (curation_name, 0))
        result.triples += [
            (group, RDF.type, MD.MineralGroup),
            (group, RDFS.label, Literal(spec["label"], lang="en")),
            (group, SKOS.definition, Literal(spec["definition"], lang="en")),
        ]
        if "part_of" in spec:
            result.triples.append((ID[spec["part_of"]], MD.hasGroupMember, group))
        by_number = {row.get("atomic_number"): slug for slug, row in reference.elements.items()}
        for number in spec.get("elements", []):
            member = f"mineral/{by_number[str(number)]}"
            known(member)
            result.triples.append((group, MD.hasGroupMember, ID[member]))

    documented = _documented_sources(reference.directory / "SOURCES.md")
    with table.open(encoding="utf-8", newline="") as handle:
        rows = [(index + 2, row) for index, row in enumerate(csv.DictReader(handle))]
    items: dict[str, list[URIRef]] = {}
    for line, row in rows:
        list_spec = curation["lists"].get(row["list_id"])
        where = (f"shared/reference/{LISTS_TABLE}", line)
        if list_spec is None:
            result.problems.append(Problem(*where, "list-unknown",
                                           f"The list {row['list_id']} has no entry in {curation_name}.",
                                           "Add it under 'lists' with an id and an issuer."))
            continue
        lst = entity(list_spec["id"], where)
        if lst not in items:
            items[lst] = []
            description, sources = documented.get(row["list_id"], ("", ""))
            result.triples += [
                (lst, RDF.type, MD.CriticalMineralList),
                (lst, RDFS.label, Literal(row["list_name"], lang="en")),
                (lst, MD.issuer, ID[list_spec["issuer"]]),
                (lst, DCTERMS.issued, Literal(row["year"], datatype=XSD.gYear)),
            ]
            if description:
                result.triples.append((lst, DCTERMS.description, Literal(description, lang="en")))
                result.triples.append((lst, DCTERMS.source, Literal(sources)))
            if not known(list_spec["issuer"]) and list_spec["issuer"] not in curation.get("issuers", {}):
                result.problems.append(Problem(curation_name, 0, "list-issuer",
                                               f"The issuer {list_spec['issuer']} is not defined.",
                                               "Define it in a record or under 'issuers'."))
        mineral = curation.get("items", {}).get(row["item"], f"mineral/{slugify(row['item'])}")
        mineral_iri = entity(mineral, where)
        if not known(mineral) and mineral not in curation.get("groups", {}):
            result.triples += [
                (mineral_iri, RDF.type, MD.Mineral),
                (mineral_iri, RDFS.label, Literal(row["item"].lower(), lang="en")),
            ]
        items[lst].append(mineral_iri)
        result.triples.append((lst, SKOS.member, mineral_iri))
    for lst, members in items.items():
        count = len(members)
        result.triples.append((lst, MD.statedItemCount, Literal(count, datatype=XSD.nonNegativeInteger)))
    return result

