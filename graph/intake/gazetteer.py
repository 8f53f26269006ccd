"""The names the graph knows, found in text: each record's label and alternative labels, the
reference tables' names (countries, elements, organisations) and the official lists' items, folded
as the reconciliation service folds them (``graph.names``), matched longest first."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..geography import Geography
from ..lists import item_mineral_id, list_rows
from ..names import words
from ..records import Record
from ..reference import ReferenceTables
from ..slugs import slugify

_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*$")  # MSP, MoM, KABIL, G20
_PARENTHESIS = re.compile(r"\s*\([^()]*\)\s*$")
# Words that join the words of a name ("Ministry of Mines", "Bosnia and Herzegovina").
JOINERS = {"of", "and", "for", "the", "de", "&"}


@dataclass(frozen=True)
class Name:
    """A name of an entity: the entity's id (for a thing only the reference tables know, the id a
    record would give it), where the name comes from, whether the graph has the entity, and whether
    the name must be written as a name."""

    entity_id: str
    origin: str  # "record", "reference" or "list"
    in_graph: bool  # an id the graph holds or makes when a record names it (a country, an element)
    case_sensitive: bool  # an acronym, a country's or an organisation's name: written as a name


@dataclass(frozen=True)
class Mention:
    """A span of a sentence naming a thing: known (its id) or new (``entity_id`` None)."""

    text: str
    start: int
    end: int
    entity_id: str | None
    in_graph: bool = True
    ambiguous: tuple[str, ...] = ()

    @property
    def kind(self) -> str | None:
        return self.entity_id.partition("/")[0] if self.entity_id else None


def _labels(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str)]
    return [str(value)] if isinstance(value, str) else []


class Gazetteer:
    """Folded names -> the entities they name."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, ...], list[Name]] = defaultdict(list)
        self.longest = 1
        # a thing only the reference tables know: its id -> (its kind there, its ref)
        self.reference_kinds: dict[str, tuple[str, str]] = {}

    def add(self, name: str, entity_id: str, origin: str, in_graph: bool, as_name: bool = False) -> None:
        """Add a name; with ``as_name``, it matches only text capitalised as a name is."""
        bare = _PARENTHESIS.sub("", name)
        for variant in {name, bare, _singular(bare)}:
            key = tuple(w for w, _, _ in words(variant))
            if not key or any(n.entity_id == entity_id for n in self.names[key]):
                continue
            sensitive = bool(_ACRONYM.match(variant.strip())) or as_name
            self.names[key].append(Name(entity_id, origin, in_graph, sensitive))
            self.longest = max(self.longest, len(key))

    @classmethod
    def build(
        cls,
        records: list[Record],
        reference: ReferenceTables,
        lists_file: Path | None,
        geography: Geography | None = None,
    ) -> Gazetteer:
        """From the records' labels and alternative labels, the reference tables (with the UN M49
        regions, given the geography) and the lists."""
        gazetteer = cls()
        refs: dict[str, str] = {}
        for record in records:
            entity_id = record.node.text("id")
            if not entity_id or entity_id.startswith("source/"):
                continue
            for key in ("label", "alt_labels"):
                field = record.node.fields.get(key)
                for label in _labels(field.value if field else None):
                    gazetteer.add(label, entity_id, "record", True)
            if (ref := record.node.text("ref")) and (row := reference.find(ref)) is not None:
                refs[ref] = entity_id
                for name in {row.get("name"), row.get("common_name"), row.get("short_name")} - {""}:
                    gazetteer.add(name, entity_id, "reference", True, as_name=True)
        lists = yaml.safe_load(lists_file.read_text(encoding="utf-8")) if lists_file else {}
        for entity_id, issuer in (lists or {}).get("issuers", {}).items():
            if ref := issuer.get("ref"):
                refs.setdefault(ref, entity_id)
            if label := issuer.get("label"):
                gazetteer.add(label, entity_id, "list", True)
        for _, item in list_rows(reference) if lists else []:
            gazetteer.add(item["item"], item_mineral_id(lists, item["item"]), "list", True)
        for slug, row in reference.countries.items():
            dotted = ".".join(row.get("iso_alpha2")) + "." if row.get("iso_alpha2") else ""  # U.S.
            names = {row.get("name"), row.get("common_name"), _uninverted(row.get("name")), dotted}
            for name in names - {""}:
                gazetteer.add(name, f"country/{slug}", "reference", True, as_name=True)
        named = {n.entity_id for names in gazetteer.names.values() for n in names}
        for slug, row in reference.elements.items():  # one no record or list names: written as a name
            entity_id = f"mineral/{slug}"  # ("lead" the verb is not lead)
            gazetteer.add(row.get("name"), entity_id, "reference", True, as_name=entity_id not in named)
        for near in geography.close_matches if geography else {}:  # "Latin America", a curators' region
            gazetteer.add(
                near.partition("/")[2].replace("-", " ").title(),
                near,
                "reference",
                near in gazetteer.ids,
                as_name=True,
            )
        described = gazetteer.ids
        areas = sorted(geography.areas.values() if geography else [], key=lambda a: a.is_continent)
        for area in areas:  # a region before the continent of the same name ("Africa")
            if not (area.is_continent and tuple(w for w, _, _ in words(area.name)) in gazetteer.names):
                gazetteer.add(
                    area.name, area.entity_id, "reference", area.entity_id in described, as_name=True
                )
        for row in reference.rows["organizations"]:
            short = row.get("short_name")
            entity_id = refs.get(f"organizations/{short}") or refs.get(f"organizations/{row.get('name')}")
            kind = "person" if row.get("kind") == "person" else "organization"  # the table holds people too
            entity_id = entity_id or f"{kind}/{slugify(short or row.get('name'))}"
            known = entity_id in described  # a record describes it, with or without its ref
            if not known:
                ref = f"organizations/{short or row.get('name')}"
                gazetteer.reference_kinds[entity_id] = (row.get("kind"), ref)
            for name in {row.get("name"), short} - {""}:
                gazetteer.add(name, entity_id, "reference", known, as_name=True)
        return gazetteer

    def mentions(self, sentence: str) -> list[Mention]:
        """The known names in a sentence, longest first, not overlapping; a name that stands for
        several entities is a mention of none (listed as ``ambiguous``). Nothing inside an address
        (a URL), and no one-word name that ends a longer capitalised name ("New Jersey" is not
        Jersey)."""
        masked = URL.sub(lambda m: " " * len(m.group()), sentence)
        tokens = words(masked)
        found: list[Mention] = []
        index = 0
        while index < len(tokens):
            for size in range(min(self.longest, len(tokens) - index), 0, -1):
                key = tuple(t for t, _, _ in tokens[index : index + size])
                start, end = tokens[index][1], tokens[index + size - 1][2]
                surface = sentence[start:end]
                names = [n for n in self.names.get(key, []) if not n.case_sensitive or _same_case(surface, n)]
                inside = size == 1 and (_after_a_name(sentence, start) or _in_compound(sentence, start, end))
                if names and not (size == 1 and key[0] in JOINERS) and not inside:
                    ids = tuple(sorted({n.entity_id for n in names}))
                    chosen = ids[0] if len(ids) == 1 else None
                    found.append(
                        Mention(
                            surface,
                            start,
                            end,
                            chosen,
                            in_graph=any(n.in_graph for n in names),
                            ambiguous=ids if not chosen else (),
                        )
                    )
                    index += size
                    break
            else:
                index += 1
        return found

    @property
    def ids(self) -> set[str]:
        """Every entity a record describes (by its label)."""
        return {n.entity_id for names in self.names.values() for n in names if n.origin == "record"}


_FUNCTION_WORDS = "a an the of and or for to in on at by with from into over under as than against between"
FUNCTION_WORDS = set(_FUNCTION_WORDS.split())
URL = re.compile(r"https?://\S+|www\.\S+|\S+\.(?:com|org|in|gov|net)/\S*")


def _in_compound(sentence: str, start: int, end: int) -> bool:
    """Whether a word is joined by a hyphen to another ("Neodymium-iron-boron", "India-US ...")."""
    return bool(re.search(r"\w-$", sentence[:start]) or re.match(r"-\w", sentence[end:]))


def _after_a_name(sentence: str, start: int) -> bool:
    """Whether a word follows a capitalised word that is not the sentence's first ("New Jersey")."""
    before = re.search(r"(\S+)\s$", sentence[:start])
    if before is None or before.start() == 0:
        return False
    word = before.group(1)
    return (
        word.lower() not in FUNCTION_WORDS  # "Reliance On China" in a headline
        and word[:1].isupper()
        and word.isalpha()
        and not word.isupper()
        and sentence[: before.start()].strip()[-1:] not in ".:;•-"
    )


def _singular(name: str) -> str:
    """A name whose last word is a plural, in the singular ("rare earths" -> "rare earth")."""
    head, _, last = name.rpartition(" ")
    if len(last) > 3 and last.endswith("s") and not last.endswith("ss") and last.islower():
        return f"{head} {last[:-1]}".strip()
    return name


def _uninverted(name: str) -> str:
    """An ISO 3166 name written as it is read: "Korea, Republic of" -> "Republic of Korea",
    "Bolivia, Plurinational State of" -> "Plurinational State of Bolivia"; "" for any other name."""
    head, comma, tail = name.partition(", ")
    return f"{tail} {head}".strip() if comma and re.search(r"\b(?:of|the)$", tail) else ""


def _same_case(surface: str, name: Name) -> bool:
    """A case-sensitive name matches text that is capitalised as a name is (not "lead" for Lead,
    not "mom" for MoM): an acronym must be written with capitals, any other such name must begin
    each long word with a capital."""
    letters = re.findall(r"[^\W\d_]+", surface)
    if _ACRONYM.match(surface) or (len(letters) == 1 and letters[0].isupper()):
        return True
    return all(w[0].isupper() for w in letters if len(w) > 3 or w == letters[0])
