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

from ..ontology.namespaces import ID, MD, Triple
from ..ontology.vocabulary import Vocabulary
from .names import fold
from .problems import Problem
from .reference import ReferenceTables, Row
from .slugs import slugify

LISTS_TABLE = "critical_mineral_lists.csv"
_EMPHASIS = re.compile(r"\*([^*]+)\*")  # Markdown emphasis in SOURCES.md, kept out of the descriptions
_SOURCES_ROW = re.compile(r"^\| `(?P<id>[^`]+)` \| (?P<list>[^|]+) \| (?P<sources>[^|]+) \|")


@dataclass
class ListsGraph:
    """The statements of the lists graph, where each subject comes from, and any problems."""

    triples: list[Triple] = field(default_factory=list)
    locations: dict[URIRef, list[tuple[str, int]]] = field(default_factory=dict)  # every row naming it
    problems: list[Problem] = field(default_factory=list)
    refs: dict[URIRef, Row] = field(default_factory=dict)

    def entity(self, entity_id: str, where: tuple[str, int]) -> URIRef:
        """The IRI of an entity the lists graph states, noting each row it comes from (a list
        and one of its items share exactly the row that says the list includes it)."""
        iri = ID[entity_id]
        rows = self.locations.setdefault(iri, [])
        if where not in rows:
            rows.append(where)
        return iri


def _documented_sources(sources_md: Path) -> dict[str, tuple[str, str]]:
    """list_id -> (what the list is, where it was transcribed from), from SOURCES.md's table."""
    rows = {}
    for line in sources_md.read_text(encoding="utf-8").splitlines():
        if match := _SOURCES_ROW.match(line):
            rows[match["id"]] = (_EMPHASIS.sub(r"\1", match["list"]).strip(), match["sources"].strip())
    return rows


def build_lists(
    reference: ReferenceTables,
    curation_file: Path,
    vocabulary: Vocabulary,
    known: Callable[[str], bool],
) -> ListsGraph:
    """The lists graph. ``known(id)`` says whether an entity id is defined (and notes reference rows)."""
    curation = yaml.safe_load(curation_file.read_text(encoding="utf-8"))
    result = ListsGraph()
    where = (f"graph/{curation_file.name}", 0)
    _issuers(result, curation.get("issuers", {}), where, reference, vocabulary, known)
    _groups(result, curation.get("groups", {}), where, reference, known)
    _lists(result, curation, where, reference, known)
    return result


def _issuers(result: ListsGraph, issuers: dict, where: tuple[str, int], reference: ReferenceTables,
             vocabulary: Vocabulary, known: Callable[[str], bool]) -> None:
    for issuer_id, spec in issuers.items():
        iri = result.entity(issuer_id, where)
        result.triples.append((iri, RDF.type, vocabulary.types[spec["type"]]))
        if "label" in spec:
            result.triples.append((iri, RDFS.label, Literal(spec["label"], lang="en")))
        if "ref" in spec and (row := reference.find(spec["ref"])) is not None:
            result.refs[iri] = row


def _groups(result: ListsGraph, groups: dict, where: tuple[str, int], reference: ReferenceTables,
            known: Callable[[str], bool]) -> None:
    """Mineral groups and their member elements, by atomic number."""
    slug_by_number = {row.get("atomic_number"): slug for slug, row in reference.elements.items()}
    for group_id, spec in groups.items():
        group = result.entity(group_id, where)
        result.triples += [
            (group, RDF.type, MD.MineralGroup),
            (group, RDFS.label, Literal(spec["label"], lang="en")),
            (group, SKOS.definition, Literal(spec["definition"], lang="en")),
        ]
        if "part_of" in spec:
            result.triples.append((ID[spec["part_of"]], MD.hasGroupMember, group))
        for number in spec.get("elements", []):
            member = f"mineral/{slug_by_number[str(number)]}"
            known(member)  # brings in the element's name and identifiers
            result.triples.append((group, MD.hasGroupMember, ID[member]))


def list_rows(reference: ReferenceTables) -> list[tuple[int, dict[str, str]]]:
    """The rows of the lists table, with their line numbers."""
    with (reference.directory / LISTS_TABLE).open(encoding="utf-8", newline="") as handle:
        return [(index + 2, row) for index, row in enumerate(csv.DictReader(handle))]


def item_mineral_id(curation: dict, item: str) -> str:
    """The mineral a list's item stands for: as the curation file says, else its name as a slug."""
    return str(curation.get("items", {}).get(item, f"mineral/{slugify(item)}"))


def _lists(result: ListsGraph, curation: dict, where: tuple[str, int], reference: ReferenceTables,
           known: Callable[[str], bool]) -> None:
    """Each list with its issuer, year, description and sources, and its items as minerals."""
    documented = _documented_sources(reference.directory / "SOURCES.md")
    defined = set(curation.get("issuers", {})) | set(curation.get("groups", {}))
    rows = list_rows(reference)
    counts: dict[URIRef, int] = {}
    names: dict[URIRef, set[str]] = {}  # a non-element mineral: its first name is its label
    for line, row in rows:
        row_where = (f"shared/reference/{LISTS_TABLE}", line)
        spec = curation["lists"].get(row["list_id"])
        if spec is None:
            result.problems.append(Problem(*row_where, "list-unknown",
                                           f"The list {row['list_id']} has no entry in {where[0]}.",
                                           "Add it under 'lists' with an id and an issuer."))
            continue
        lst = result.entity(spec["id"], row_where)
        if lst not in counts:
            counts[lst] = 0
            description, sources = documented.get(row["list_id"], ("", ""))
            result.triples += [
                (lst, RDF.type, MD.CriticalMineralList),
                (lst, RDFS.label, Literal(row["list_name"], lang="en")),
                (lst, MD.issuer, ID[spec["issuer"]]),
                (lst, DCTERMS.issued, Literal(row["year"], datatype=XSD.gYear)),
                (lst, DCTERMS.description, Literal(description, lang="en")),
                (lst, DCTERMS.source, Literal(sources)),
            ]
            if not known(spec["issuer"]) and spec["issuer"] not in defined:
                result.problems.append(Problem(*where, "list-issuer",
                                               f"The issuer {spec['issuer']} is not defined.",
                                               "Define it in a record or under 'issuers'."))
        mineral = item_mineral_id(curation, row["item"])
        mineral_iri = result.entity(mineral, row_where)
        if not known(mineral) and mineral not in defined:  # a mineral that is not an element
            name = row["item"].lower()
            if mineral_iri not in names:
                names[mineral_iri] = {name}
                result.triples += [(mineral_iri, RDF.type, MD.Mineral),
                                   (mineral_iri, RDFS.label, Literal(name, lang="en"))]
            elif name not in names[mineral_iri]:
                names[mineral_iri].add(name)
                result.triples.append((mineral_iri, SKOS.altLabel, Literal(name, lang="en")))
        elif mineral in curation.get("groups", {}):  # a group, under the name the list gives it
            name, seen = row["item"], names.setdefault(mineral_iri, set())
            if fold(name) != fold(curation["groups"][mineral]["label"]) and name not in seen:
                seen.add(name)
                result.triples.append((mineral_iri, SKOS.altLabel, Literal(name, lang="en")))
        counts[lst] += 1
        result.triples.append((lst, SKOS.member, mineral_iri))
    result.triples += [(lst, MD.statedItemCount, Literal(n, datatype=XSD.nonNegativeInteger))
                       for lst, n in counts.items()]
