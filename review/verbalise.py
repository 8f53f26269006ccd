"""Statements in plain English, driven by the ontology: each property's ``md:sentence`` template
says how a statement with it reads, so a new property needs a sentence form, not code.

A template names the two ends ``{subject}`` and ``{object}``; ``{an object}`` puts "a" or "an"
before the label, ``{when object}`` writes a date as "on 17 December 2024", "in March 2022" or
"in 2025". Values the build nests under an entity (an amount, a status claim, a figure) read as
one phrase: "USD 24 million", "“signed or agreed” as of March 2022", "an estimated 5.9 million
tonnes"; a status says when its date is only the document's. A node without a label reads as
what it is: a record by its file and line, a membership by its two ends, a Wikidata item or
GeoNames place, ChEBI entry or ROR record by its id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape
from rdflib import Literal, URIRef
from rdflib.namespace import ORG, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from ..graph.mappings import CHEBI, ROR
from ..ontology.namespaces import GEONAMES, MD, WD, local_name
from .data import ReviewData, is_nested, local_path

PLACEHOLDER = re.compile(r"\{(an |when )?(subject|object)\}")
_REGISTERS = {str(WD): "Wikidata item", str(GEONAMES): "GeoNames place", CHEBI: "ChEBI entry CHEBI:",
              ROR: "ROR record"}
_FIRST = {RDF.type: 0, RDFS.label: 1, SKOS.altLabel: 2}  # what a thing is, then its names
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class Part:
    """A piece of a sentence: text, or the label of an entity or term (``iri`` set)."""

    text: str
    iri: str | None = None


@dataclass(frozen=True)
class Sentence:
    """A statement in words."""

    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return _capitalised("".join(p.text for p in self.parts))

    def html(self, href: Callable[[str], str | None]) -> Markup:
        """The sentence as HTML, each label a link where ``href`` gives one."""
        out = []
        for index, part in enumerate(self.parts):
            text = _capitalised(part.text) if index == 0 else part.text
            link = href(part.iri) if part.iri else None
            out.append(Markup('<a href="{}">{}</a>').format(link, text) if link else escape(text))
        return Markup("").join(out)


class MissingSentenceForm(LookupError):
    """A property the data uses has no ``md:sentence`` in the ontology."""


class Verbaliser:
    """Turns statements of a release into sentences."""

    def __init__(self, data: ReviewData, fallback: dict[URIRef, str] | None = None) -> None:
        """``fallback``: sentence forms for properties this release's ontology gives none (an old
        release compared with a new one reads in the new one's words)."""
        self.data = data
        self.templates = {
            **(fallback or {}),
            **{p: str(t) for p, t in data.ontology.subject_objects(MD.sentence) if isinstance(p, URIRef)},
        }

    def sentence(self, subject: Node, predicate: URIRef, obj: Node, *, it: Node | None = None) -> Sentence:
        """One statement as a sentence (``it`` names the entity the reader already has in view);
        raises MissingSentenceForm if its property has none."""
        template = self.templates.get(predicate)
        if template is None:
            raise MissingSentenceForm(f"{predicate} has no md:sentence in the ontology")
        parts: list[Part] = []
        cursor = 0
        for match in PLACEHOLDER.finditer(template):
            before, end = template[cursor : match.start()], match.end()
            node = subject if match[2] == "subject" else obj
            if node == it and before.endswith("“") and template[end : end + 1] == "”":
                before, end = before[:-1], end + 1  # a pronoun is not quoted as a name is
            parts.append(Part(before))
            phrase = [Part("it")] if node == it else self.phrase(node, when=match[1] == "when ")
            if match[1] == "an ":
                parts.append(Part(_article(phrase[0].text) + " "))
            parts.extend(phrase)
            cursor = end
        parts.append(Part(template[cursor:]))
        return Sentence(tuple(p for p in parts if p.text))

    def facts(
        self, statements: Iterable[tuple[Node, URIRef, Node]], it: Node | None = None
    ) -> list[Sentence]:
        """The sentences for a set of statements (a record graph): what a thing is and its names
        first, a nested value's own statements folded into the phrase of the statement that
        points at it, ``it`` standing for the entity the reader has in view."""
        kept = [(s, p, o) for s, p, o in statements if not is_nested(s)]
        kept.sort(key=lambda statement: _FIRST.get(statement[1], len(_FIRST)))
        return [self.sentence(s, p, o, it=it) for s, p, o in kept]

    # -- phrases --------------------------------------------------------------------------------

    def phrase(self, node: Node, *, when: bool = False) -> list[Part]:
        """How a value reads: a label, a date, a number, or a nested value's phrase."""
        if isinstance(node, Literal):
            return [Part(self._literal(node, when=when))]
        if is_nested(node):
            return [Part(self._nested(node))]
        label = self.data.label(node)
        return [Part(label if label is not None else self._unnamed(node), str(node))]

    def _unnamed(self, node: Node) -> str:
        """What a node without a label reads as: a record by its file and line, a membership by
        its member and organisation, an outside identifier by its register."""
        if (record := self.data.records.get(node)) is not None:  # type: ignore[call-overload]
            return f"the record {record.file}:{record.line}"
        member, organisation = self._value(node, ORG.member), self._value(node, ORG.organization)
        if member is not None and organisation is not None:
            return f"the membership of {self.phrase(member)[0].text} in {self.phrase(organisation)[0].text}"
        for namespace, register in _REGISTERS.items():
            if str(node).startswith(namespace):
                separator = "" if register.endswith(":") else " "
                return f"{register}{separator}{str(node)[len(namespace) :].strip('/')}"
        if str(node).startswith(("http://", "https://")) and local_path(str(node)) is None:
            return str(node)  # another site's address (a homepage): the address itself
        return local_name(node)

    def _literal(self, literal: Literal, *, when: bool = False) -> str:
        if literal.datatype in (XSD.date, XSD.gYearMonth, XSD.gYear, *_SPANS):
            return date_in_words(literal, when=when)
        if literal.datatype == XSD.boolean:
            return "yes" if literal.toPython() else "no"
        if literal.datatype == XSD.decimal:
            return number_in_words(Decimal(str(literal)))
        return str(literal)

    def _value(self, node: Node, prop: URIRef) -> Node | None:
        return self.data.union.value(node, prop)

    def _nested(self, node: Node) -> str:
        """A status claim, a term of access, an amount of money or a figure, as one phrase."""
        if (maturity := self._value(node, MD.maturity)) is not None:
            label = f"“{self.data.label(maturity) or local_name(maturity)}”"
            as_of = self._value(node, MD.asOf)
            if not isinstance(as_of, Literal):
                return label
            basis = self._value(node, MD.asOfBasis)
            if basis == MD.earliestDocumentDate:
                return f"{label} as of some time after {date_in_words(as_of)} (the document is undated)"
            suffix = " (the document's date)" if basis == MD.documentDate else ""
            return f"{label} as of {date_in_words(as_of)}{suffix}"
        if (access := self._value(node, MD.accessKind)) is not None:  # a term of access
            phrase = self.data.label(access) or local_name(access)
            if (party := self._value(node, MD.securedFor)) is not None:
                phrase += f" for {self.phrase(party)[0].text}"
            minerals = sorted(self.phrase(m)[0].text for m in self.data.union.objects(node, MD.mineral))
            return phrase + (f" ({', '.join(minerals)})" if minerals else "")
        value = self._value(node, MD.value)
        if value is None:
            return self.data.label(node) or local_name(node)
        number = number_in_words(Decimal(str(value)))
        scale = self._value(node, MD.scale)
        if scale is not None:
            number += f" {self.data.label(scale) or local_name(scale)}"
        qualifier = self._value(node, MD.qualifier)
        prefix = f"{qualifier} " if qualifier is not None else ""
        if (currency := self._value(node, MD.currency)) is not None:
            return f"{prefix}{local_name(currency)} {number}"
        unit = self._value(node, MD.unit)
        if unit == MD.rank:
            return f"{prefix}rank {number}"
        unit_label = self.data.label(unit) if unit is not None else None
        if unit_label and number != "1" and unit != MD.percent:
            unit_label += "s"
        return f"{prefix}{number} {unit_label}" if unit_label else f"{prefix}{number}"


_SPANS = {MD.financialYear: "financial year", MD.fieldSeason: "field season"}


def date_in_words(literal: Node, *, when: bool = False) -> str:
    """``2024-12-17`` -> "17 December 2024"; with ``when``, "on 17 December 2024", "in March 2022";
    a financial year or field season keeps its two years ("the financial year 2024-25")."""
    text = str(literal)
    datatype = literal.datatype if isinstance(literal, Literal) else None
    if datatype in _SPANS:  # a financial year or a field season: "in the financial year 2024-25"
        return ("in " if when else "") + f"the {_SPANS[datatype]} {text}"
    parts = text.split("-")
    if len(parts) == 3:
        day = date.fromisoformat(text)
        return ("on " if when else "") + f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    if len(parts) == 2:
        return ("in " if when else "") + f"{_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return ("in " if when else "") + text


def number_in_words(number: Decimal) -> str:
    """A decimal as a reader writes it: 24 for 24.0, 5.9 for 5.9, 5,000 for 5000."""
    return format(number.normalize(), ",f")


def _article(word: str) -> str:
    """ "a" or "an" before a word, by its sound: "an agreement", "a UN region", "an MoU"."""
    first = word.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():  # an acronym is read letter by letter
        return "an" if first[0] in "AEFHILMNORSX" else "a"
    return "an" if first[:1].lower() in "aeiou" else "a"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]

