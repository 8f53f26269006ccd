"""Matching names to this graph's entities, for the reconciliation service (W3C Entity
Reconciliation Service API v0.2, as OpenRefine speaks it).

Every entity with a name is a candidate (not the judgements, recommendations, figures and
reference tables, which are not things a spreadsheet names), under its label, its label without a
closing parenthesis ("Ministry of Mines (India)" is also "Ministry of Mines"), each alternative
label (KABIL, Khanij Bidesh India Ltd, …), and its codes (ISO 3166-1 alpha-2 and alpha-3, chemical
symbol) when a query writes one in capitals as the code is written. Names are compared folded:
accents removed, case and punctuation ignored, "&" read as "and", "limited", "corporation",
"company" and "incorporated" read as "ltd", "corp", "co" and "inc", a leading "the" dropped.

Scoring, out of 100: the folded label 100; another name, or the query without its closing
parenthesis ("Geological Survey of India (GSI)"), 98; the same letters without spaces
("G-20") 97; the same words in another order ("Republic of Korea") 96; a code 95 ("USA", "U.S.",
"Li"); a query holding every word of a name, or a name whose words begin with every word of three
letters or more of the query, 80 plus 10 times their similarity (difflib's ratio); otherwise 90
times the best similarity of the query to a name, when at least 0.6. A property constraint adds 5
when the candidate has that value and takes 30 away when it has another. A type keeps only
candidates of that type (inferred kinds included). A candidate is a ``match`` when it scores at
least 95 and every other candidate at least 10 less.
"""

from __future__ import annotations

import difflib
import functools
import gettext
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry
import pyoxigraph as ox
from babel import Locale, localedata

from ..graph.names import fold
from ..ontology.namespaces import BASE, ID, MD, local
from ..release.store import text
from .pages import EntityView, describe

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
SUBCLASS_OF = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
CODES = ("isoAlpha2", "isoAlpha3", "elementSymbol")
# identifiers that name one thing: a query that is one of them (or a constraint on one) decides
IDENTIFIERS = ("wikidataId", "rorId", "geonamesId", "chebiId", "isoAlpha3", "isoNumeric", "m49Code")
_IDENTIFIER_FORMS = (  # (property, pattern of the query), the identifier in the group "id"
    ("wikidataId", re.compile(r"(?:(?:https?://)?(?:www\.)?wikidata\.org/(?:entity|wiki)/|wd:)?(?P<id>Q[1-9]\d*)",
                              re.I)),
    ("rorId", re.compile(r"(?:(?:https?://)?ror\.org/)?(?P<id>0[a-z0-9]{6}\d{2})", re.I)),
    ("geonamesId", re.compile(r"(?:(?:https?://)?(?:sws\.|www\.)?geonames\.org/)(?P<id>\d+)/?", re.I)),
    ("chebiId", re.compile(r"CHEBI:(?P<id>\d+)", re.I)),
    ("isoAlpha3", re.compile(r"(?P<id>[A-Z]{3})")),
    ("m49Code", re.compile(r"(?P<id>\d{3})")),
)
PLACE_TYPES = {"Place", "Country", "Region", "M49Region", "Continent", "Locality"}
# the properties a query may constrain (those the index reads, and the extension's aliases)
CONSTRAINABLE = {*CODES, *IDENTIFIERS, "country", "locatedIn", "region", "continent"}
CONSTRAINT_ALIASES = {"region": "locatedIn", "continent": "locatedIn"}  # extension ids -> the property
# Wikidata's reconciliation service, as OpenRefine 3.6.2 configures it (Debian's openrefine,
# webapp/modules/core/scripts/reconciliation/recon-manager.js, line 175, with the language "en")
WIKIDATA_SERVICE = "https://wikidata.reconci.link/en/api"
DEFAULT_TYPES = ("Country", "Organization", "Person", "Mineral", "Agreement", "Grouping", "Region")


@dataclass(frozen=True)
class ExtensionProperty:
    """A property the service can add as a column: its id, name, and how to read it."""

    id: str
    name: str
    path: str  # a SPARQL property path from the entity
    kind: str = ""  # for entity values: the class they must have
    service: str = ""  # for identifiers given as entities of another reconciliation service: its URL


EXTENSION = (
    ExtensionProperty("label", "name", f"<{RDFS_LABEL}>"),
    ExtensionProperty("altLabel", "alternative names", f"<{ALT_LABEL}>"),
    ExtensionProperty("isoAlpha2", "ISO 3166-1 alpha-2 code", f"<{MD.isoAlpha2}>"),
    ExtensionProperty("isoAlpha3", "ISO 3166-1 alpha-3 code", f"<{MD.isoAlpha3}>"),
    ExtensionProperty("isoNumeric", "ISO 3166-1 numeric code", f"<{MD.isoNumeric}>"),
    ExtensionProperty("elementSymbol", "chemical symbol", f"<{MD.elementSymbol}>"),
    ExtensionProperty("wikidataId", "Wikidata id", f"<{MD.wikidataId}>"),
    ExtensionProperty("wikidataItem", "Wikidata item", f"<{MD.wikidataId}>", service=WIKIDATA_SERVICE),
    ExtensionProperty("geonamesId", "GeoNames id", f"<{MD.geonamesId}>"),
    ExtensionProperty("rorId", "ROR id", f"<{MD.rorId}>"),
    ExtensionProperty("chebiId", "ChEBI id", f"<{MD.chebiId}>"),
    ExtensionProperty("region", "UN M49 region", f"<{MD.locatedIn}>", "M49Region"),
    ExtensionProperty("continent", "continent", f"<{MD.locatedIn}>", "Continent"),
    ExtensionProperty("country", "country (reference tables)", f"<{MD.country}>"),
)
EXTENSION_BY_ID = {p.id: p for p in EXTENSION}
# What proposals and suggestions offer: not another service's entities, which OpenRefine 3.6 would
# file under this service (it ignores a column's "service"); a client asks for them by id
OFFERED = tuple(p for p in EXTENSION if not p.service)


NOT_CANDIDATES = {
    "Assessment",
    "Recommendation",
    "Statistic",
    "ReferenceTable",
    "SourceDocument",
    "Record",
    "MappingSet",
    "ExternalGraph",
    "StatusClaim",
    "Quantity",
    "Amount",
}


def _prefixes(words: set[str], name: list[str]) -> bool:
    """Whether every word begins a word of the name ("russia" begins "russian")."""
    return all(any(n.startswith(w) for n in name) for w in words)


def _without_parenthesis(label: str) -> str:
    """ "Ministry of Mines (India)" -> "Ministry of Mines"; a label without one, unchanged."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", label)


@functools.cache
def territory_names() -> dict[str, frozenset[str]]:
    """Every name CLDR gives each territory (by ISO 3166 alpha-2 code, or UN M49 code), in every
    locale of the CLDR data that Babel ships; and every name ISO 3166-1 gives a country (its name,
    official name and common name: "Hellenic Republic") in English and in each translation of
    Debian's iso-codes that pycountry ships ("République française"). About two seconds to read,
    once per process."""
    names: dict[str, set[str]] = defaultdict(set)
    for identifier in localedata.locale_identifiers():
        for code, name in Locale.parse(identifier).territories.items():
            names[code].add(name)
    translations = [gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
                    for language in sorted(os.listdir(pycountry.LOCALES_DIR))
                    if (Path(pycountry.LOCALES_DIR) / language / "LC_MESSAGES" / "iso3166-1.mo").exists()]
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            if name := getattr(country, attribute, None):
                names[country.alpha_2] |= {name, *(t.gettext(name) for t in translations)}
    return {code: frozenset(found) for code, found in names.items()}


def _forms(name: str) -> set[str]:
    """A name folded; one ending in an acronym in parenthesis ("heavy rare earth elements (HREE)")
    also without it, and the acronym alone."""
    forms = {fold(name)}
    if (acronym := _parenthesis(name)) is not None and re.fullmatch(r"[A-Z][A-Z0-9&-]+", acronym):
        forms |= {fold(acronym), fold(_without_parenthesis(name))}
    return forms


def _parenthesis(name: str) -> str | None:
    """ "Ministry of Mines (India)" -> "India"; None for a name that does not end in one."""
    found = re.search(r"\(([^()]*)\)\s*$", name)
    return found.group(1).strip() if found else None


@dataclass
class Entity:
    """A candidate: its id (the path below /id/), label, other names, codes and kinds."""

    id: str
    label: str
    names: set[str] = field(default_factory=set)  # folded alternative labels
    elsewhere: set[str] = field(default_factory=set)  # folded names in other languages (CLDR)
    codes: set[str] = field(default_factory=set)  # as written
    types: set[str] = field(default_factory=set)  # local names of md: classes
    values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # property -> folded values


@dataclass(frozen=True)
class Candidate:
    """One scored candidate for a query."""

    entity: Entity
    score: float
    match: bool = False


class ReconciliationIndex:
    """The candidates of one release, with their names, codes, kinds and property values."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.entities: dict[str, Entity] = {}
        prefix = str(ID)
        rows = store.query(
            f"""
            SELECT ?e ?label WHERE {{ ?e <{RDFS_LABEL}> ?label . ?e a ?kind .
              FILTER(STRSTARTS(STR(?e), "{prefix}") && !CONTAINS(STR(?e), "#")
                     && STRSTARTS(STR(?kind), "{MD}")) }}"""
        )
        for row in rows:  # type: ignore[union-attr]
            entity_id = local(text(row["e"]), "id") or ""
            self.entities.setdefault(entity_id, Entity(entity_id, text(row["label"])))
        for prop in (
            ALT_LABEL,
            MD.isoAlpha2,
            MD.isoAlpha3,
            MD.isoNumeric,
            MD.m49Code,
            MD.elementSymbol,
            MD.wikidataId,
            MD.rorId,
            MD.geonamesId,
            MD.chebiId,
            MD.country,
            MD.locatedIn,
        ):
            name = local(prop, "md") or "altLabel"
            for entity, value in self._values(f"<{prop}>"):
                if prop == ALT_LABEL:
                    entity.names |= _forms(value)
                    continue
                if name in CODES:
                    entity.codes.add(value)
                entity.values[name].add(local(value, "id") or fold(value))
        for entity in self.entities.values():  # an entity value is also known by its name
            for values in entity.values.values():
                values |= {fold(self.entities[v].label) for v in list(values) if v in self.entities}
        for entity, kind in self._values("a"):
            if kind_name := local(kind, "md"):
                entity.types.add(kind_name)
        self.entities = {i: e for i, e in self.entities.items() if not e.types & NOT_CANDIDATES}
        for entity in self.entities.values():
            entity.names.add(fold(_without_parenthesis(entity.label)))
            entity.names.discard(fold(entity.label))
        self.identified: dict[tuple[str, str], set[str]] = defaultdict(set)  # (property, id) -> entities
        for entity in self.entities.values():
            for prop in IDENTIFIERS:
                for value in entity.values.get(prop, ()):
                    self.identified[prop, value.casefold()].add(entity.id)
        self._add_territory_names()
        for entity in self.entities.values():  # "Ministry of Finance (India)": a country in its label
            if (qualifier := _parenthesis(entity.label)) is not None:
                for place in self.named(qualifier, PLACE_TYPES):
                    entity.values["country"] |= {place, fold(self.entities[place].label)}
        self.type_names = self._type_names()
        depths = self.store.query(f"""
            SELECT ?c (COUNT(DISTINCT ?above) AS ?n) WHERE {{ ?c <{SUBCLASS_OF}>+ ?above .
              FILTER(STRSTARTS(STR(?c), "{MD}")) }} GROUP BY ?c""")
        self.type_depth = {local(text(r["c"]), "md") or "": int(text(r["n"])) for r in depths}  # type: ignore[union-attr]

    def _add_territory_names(self) -> None:
        """Countries, regions and the EU and UN under the names CLDR gives them in every language:
        a country by its ISO alpha-2 code, a region by its UN M49 code, another territory of CLDR's
        by its English name. A name that is another entity's own is left to that one."""
        english = {fold(name): code for code, name in Locale("en").territories.items()}
        own = {n for e in self.entities.values() for n in (fold(e.label), *e.names)}
        for entity in self.entities.values():
            codes = {c.upper() for c in entity.values.get("isoAlpha2", ())}
            codes |= entity.values.get("m49Code", set())
            if not codes and fold(entity.label) in english and "Organization" in entity.types:
                codes = {english[fold(entity.label)]}  # "European Union" is CLDR's EU
            mine = {fold(entity.label), *entity.names}
            for code in codes:
                entity.elsewhere |= {n for n in map(fold, territory_names().get(code, ()))
                                     if len(n) > (2 if n.isascii() else 1)  # not a code-like "in"
                                     and (n in mine or n not in own)} - mine

    def _values(self, path: str) -> list[tuple[Entity, str]]:
        """Every (entity, value) of a property path, for the candidates."""
        prefix = str(ID)
        rows = self.store.query(
            f"""
            SELECT DISTINCT ?e ?v WHERE {{ ?e {path} ?v .
              FILTER(STRSTARTS(STR(?e), "{prefix}") && !CONTAINS(STR(?e), "#")) }}"""
        )
        found = []
        for row in rows:  # type: ignore[union-attr]
            entity = self.entities.get(local(text(row["e"]), "id") or "")
            if entity is not None:
                found.append((entity, text(row["v"])))
        return found

    def _type_names(self) -> dict[str, str]:
        rows = self.store.query(
            f"""
            SELECT ?c ?label WHERE {{ ?c a <http://www.w3.org/2002/07/owl#Class> ; <{RDFS_LABEL}> ?label .
              FILTER(STRSTARTS(STR(?c), "{MD}")) }}"""
        )
        used = {t for e in self.entities.values() for t in e.types}
        names = {local(text(r["c"]), "md"): text(r["label"]) for r in rows}  # type: ignore[union-attr]
        return {t: names[t] for t in sorted(used) if t in names}

    # -- matching -----------------------------------------------------------------------------

    def reconcile(
        self,
        query: str,
        types: list[str] | None = None,
        properties: list[tuple[str, list[str]]] | None = None,
        limit: int = 5,
    ) -> list[Candidate]:
        """The best candidates for a name (or for property constraints alone), best first."""
        if re.fullmatch(r"\s*[A-Z][A-Z0-9]+s\s*", query):  # an acronym in the plural: "PGMs"
            query = query.strip()[:-1]
        folded = fold(query)
        identified = self.identified_by(query)
        core, qualifier, places = self._qualified(query)
        scored = []
        for entity in self.entities.values():
            if types and not entity.types.intersection(types):
                continue
            if identified is not None:  # the query is an identifier: it decides
                score = 100.0 if entity.id in identified else 0.0
            elif not folded:
                score = 50.0 if properties else 0.0  # properties alone: they decide below
            else:
                score = self._name_score(query, folded, entity)
                if qualifier is not None and score < 100:
                    score = self._weigh_qualifier(entity, self._name_score(core, fold(core), entity), score,
                                                  qualifier, places)
            for pid, wanted in properties or []:
                pid = CONSTRAINT_ALIASES.get(pid, pid)
                have = entity.values.get(pid)
                if pid in IDENTIFIERS and have and {w.casefold() for w in wanted} & have:
                    score = max(score, 100.0) if folded else 100.0  # an identifier decides
                elif have:
                    score += 5 if have.intersection(wanted) else -30
            if score > 0:
                scored.append((min(score, 100.0), entity))
        scored.sort(key=lambda item: (-item[0], item[1].label, item[1].id))
        top = scored[: max(limit, 1)]
        candidates = []
        for index, (score, entity) in enumerate(top):
            others = [s for s, e in scored if e is not entity]
            unambiguous = index == 0 and score >= 95 and all(s <= score - 10 for s in others)
            candidates.append(Candidate(entity, round(score, 1), unambiguous))
        return candidates

    def identified_by(self, query: str) -> set[str] | None:
        """The entities an identifier written as the query belongs to (a Wikidata QID or IRI, a
        ROR id or URL, a GeoNames URL, a ChEBI id, an ISO alpha-3 code in capitals, an M49 code,
        or the entity's own IRI); None when the query is not an identifier."""
        written = query.strip()
        if (entity_id := local(written, "id")) is not None:
            return {entity_id} if entity_id in self.entities else set()
        for prop, form in _IDENTIFIER_FORMS:
            if (found := form.fullmatch(written)) is not None:
                owners = self.identified.get((prop, found.group("id").casefold()), set())
                if owners or prop not in ("isoAlpha3", "m49Code"):  # three capitals may be a name
                    return owners
        return None

    def named(self, name: str, kinds: set[str] | None = None) -> set[str]:
        """The entities (of these kinds) one of whose names, or codes, ``name`` is."""
        folded = fold(name)
        return {e.id for e in self.entities.values()
                if (not kinds or e.types & kinds) and self._name_score(name, folded, e) >= 95}

    def _qualified(self, query: str) -> tuple[str, str | None, set[str]]:
        """A query's name and its qualifier: a closing parenthesis ("Ministry of Mines (DRC)"), or
        a place after a comma or "of" ("Ministry of Mines, Chile"), with the entities the
        qualifier names."""
        if (bracket := _parenthesis(query)) is not None and _without_parenthesis(query):
            return _without_parenthesis(query), bracket, self.named(bracket)
        for separator in (",", " of "):
            head, found, tail = query.rpartition(separator)
            if found and head.strip() and (places := self.named(tail, PLACE_TYPES)):
                return head.strip(), tail.strip(), places
        return query, None, set()

    def _weigh_qualifier(self, entity: Entity, core: float, whole: float, qualifier: str,
                         places: set[str]) -> float:
        """The score of a qualified query: the name's, when the qualifier is the entity or where it
        is (its country, its place, a word of its names); far lower when it names something else,
        or something the graph does not hold while the entity has a known country; lower (never an
        automatic match) when nothing says."""
        where = entity.values.get("country", set()) | entity.values.get("locatedIn", set())
        words = set(fold(qualifier).split())
        agrees = entity.id in places or bool(where & places) or any(
            words and words <= set(name.split()) for name in {fold(entity.label), *entity.names})
        if agrees:
            return max(core, whole)
        if places or where:
            return min(core, whole) * 0.4
        return min(core, whole) * 0.7

    @staticmethod
    def _name_score(query: str, folded: str, entity: Entity) -> float:
        label = fold(entity.label)
        names = {label, *entity.names}
        if not folded:
            return 0.0
        if folded == label:
            return 100.0
        if folded in entity.names:
            return 98.0  # another name
        if folded in entity.elsewhere:
            return 97.0  # its name in another language
        compact = folded.replace(" ", "")
        if any(compact == n.replace(" ", "") for n in names):
            return 97.0
        words = set(folded.split())
        if any(words == set(n.split()) for n in names):
            return 96.0
        written = re.sub(r"^the\s+", "", query.strip(), flags=re.I)  # "the US": a leading "the" dropped
        if written[:1].isupper() and (
            written in entity.codes or re.sub(r"[.\s]", "", written) in entity.codes
        ):
            return 95.0  # "USA", "Li", "U.S."
        best = max(difflib.SequenceMatcher(None, folded, name).ratio() for name in names)
        significant = {w for w in words if len(w) > 2}
        if significant and any(set(n.split()) <= words or _prefixes(significant, n.split()) for n in names):
            return 80.0 + 10.0 * best  # "Lithium (Li)", "Russia"
        return 90.0 * best if best >= 0.6 else 0.0

    # -- the service's answers, as the protocol writes them ----------------------------------------

    def type_list(self, names: set[str] | tuple[str, ...]) -> list[dict[str, str]]:
        """Types as the protocol writes them (id and name), those of the candidates only, the most
        specific first (OpenRefine takes the first as the column's type)."""
        known = [t for t in names if t in self.type_names]
        return [{"id": t, "name": self.type_names[t]}
                for t in sorted(known, key=lambda t: (-self.type_depth.get(t, 0), t))]

    def results(self, batch: list[tuple[str, list[str] | None, list[tuple[str, list[str]]], int]]
                ) -> list[list[dict[str, object]]]:
        """The candidates for each of a batch of (query, types, properties, limit)."""
        return [[{"id": c.entity.id, "name": c.entity.label, "description": self.description(c.entity),
                  "type": self.type_list(c.entity.types), "score": c.score, "match": c.match}
                 for c in self.reconcile(*query)] for query in batch]

    def description(self, entity: Entity) -> str:
        """What tells a candidate apart: its most specific kind, and its country or where it is
        ("ministry, India"; "country, Southern Asia")."""
        kinds = self.type_list(entity.types)
        where = sorted(self.entities[i].label for key in ("country", "locatedIn")
                       for i in entity.values.get(key, ()) if i in self.entities and i != entity.id)
        return ", ".join(([kinds[0]["name"]] if kinds else []) + where[:2])

    def suggestions(self, kind: str, prefix: str) -> list[dict[str, str]]:
        """Suggest: entities whose names start with or contain ``prefix``, or types, or properties."""
        folded = prefix.casefold()
        if kind == "entity":
            return [{"id": e.id, "name": e.label,
                     "description": ", ".join(t["name"] for t in self.type_list(e.types))}
                    for e in self.suggest(prefix)]
        if kind == "type":
            return [{"id": t, "name": n} for t, n in self.type_names.items()
                    if folded in n.casefold() or folded in t.casefold()]
        return [{"id": p.id, "name": p.name} for p in OFFERED
                if folded in p.name.casefold() or folded in p.id.casefold()]

    def extension(self, ids: list[str], property_ids: list[str]) -> dict[str, object]:
        """Data extension's answer: ``meta`` (the properties, with the type of entity values) and
        ``rows``; the property ids it does not know, under ``unknown``."""
        wanted, rows = self.extend(ids, property_ids)
        meta: list[dict[str, object]] = []
        for prop in wanted:
            entry: dict[str, object] = {"id": prop.id, "name": prop.name}
            if prop.kind:
                entry["type"] = {"id": prop.kind, "name": self.type_names.get(prop.kind, prop.kind)}
            if prop.service:
                entry["service"] = prop.service
            meta.append(entry)
        return {"meta": meta, "rows": rows, "unknown": sorted(set(property_ids) - {p.id for p in wanted})}

    def preview(self, local: str) -> tuple[Entity, str, EntityView] | None:
        """A preview card's content: the entity, its description (as candidates carry it), and
        what the graph says of it."""
        entity = self.entities.get(local)
        view = describe(self.store, entity_iri(local)) if entity else None
        return None if entity is None or view is None else (entity, self.description(entity), view)

    def suggest(self, prefix: str, limit: int = 10) -> list[Entity]:
        """Entities one of whose names starts with ``prefix`` (folded), then those that contain it."""
        wanted = fold(prefix)
        if not wanted:
            return []
        starts, contains = [], []
        for entity in self.entities.values():
            names = {fold(entity.label), *entity.names}
            if any(n.startswith(wanted) for n in names):
                starts.append(entity)
            elif any(wanted in n for n in names):
                contains.append(entity)
        return (
            sorted(starts, key=lambda e: e.label)[:limit]
            + sorted(contains, key=lambda e: e.label)[: limit - len(starts)]
        )

    # -- data extension ---------------------------------------------------------------------

    def proposed_properties(self, type_id: str | None) -> list[ExtensionProperty]:
        """The extension properties with a value for at least one entity of the type (or any)."""
        ids = [e.id for e in self.entities.values() if not type_id or type_id in e.types]
        _, rows = self.extend(ids, [p.id for p in OFFERED])
        return [p for p in OFFERED if any(row[p.id] for row in rows.values())]

    def extend(
        self, ids: list[str], property_ids: list[str]
    ) -> tuple[list[ExtensionProperty], dict[str, dict[str, list[dict[str, str]]]]]:
        """The properties asked for that the service knows, and per entity id the values it has
        for each: strings, or entities (id and name; another service's under the entity's own
        label, as its identifiers are exact matches)."""
        wanted = [EXTENSION_BY_ID[p] for p in property_ids if p in EXTENSION_BY_ID]
        rows: dict[str, dict[str, list[dict[str, str]]]] = {i: {p.id: [] for p in wanted} for i in ids}
        known = [i for i in ids if i in self.entities]
        if not known:
            return wanted, rows
        values = " ".join(f"<{ID}{i}>" for i in known)
        for prop in wanted:
            kind = f"?v a <{MD[prop.kind]}> ." if prop.kind else ""
            result = self.store.query(
                f"""
                SELECT DISTINCT ?e ?v ?name WHERE {{ VALUES ?e {{ {values} }} ?e {prop.path} ?v . {kind}
                  OPTIONAL {{ ?v <{RDFS_LABEL}> ?name }} }} ORDER BY ?e ?v"""
            )
            for row in result:  # type: ignore[union-attr]
                entity_id, value = local(text(row["e"]), "id") or "", row["v"]
                cells = rows[entity_id][prop.id]
                if isinstance(value, ox.NamedNode) and (value_id := local(value.value, "id")):
                    cells.append({"id": value_id, "name": text(row["name"])})
                elif prop.service and isinstance(value, ox.Literal):  # the item is the same thing
                    cells.append({"id": value.value, "name": self.entities[entity_id].label})
                elif isinstance(value, ox.Literal):
                    cells.append({"str": value.value})
        return wanted, rows


_kept: dict[int, ReconciliationIndex] = {}  # in an evaluator: the index of its store


def on_index(store: ox.Store, method: str, arguments: tuple[Any, ...]) -> Any:
    """``index.method(*arguments)`` on the index of ``store``, built on first use in this process
    and kept: a task for an evaluator, so that matching runs under the limits queries run under."""
    index = _kept.get(id(store))
    if index is None:
        _kept.clear()
        index = _kept[id(store)] = ReconciliationIndex(store)
    return getattr(index, method)(*arguments)


def entity_iri(local: str) -> str:
    return f"{BASE}id/{local}"
