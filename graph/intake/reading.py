"""A document read sentence by sentence: whether a sentence states a fact (and why not), the known
names in it, the names the graph does not know, and its dates, amounts and quantities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..coverage import sentences
from .gazetteer import JOINERS, Gazetteer, Mention
from .values import Found, amounts, dates, quantities

FOOTERS = re.compile(
    r"/Public Release|does not take institutional positions|"
    r"from the originating organi[sz]ation|"
    r"View in full here|All rights reserved|Disclaimer:|Subscribe to|Follow us on|"
    r"republished|This article (?:was|is) (?:originally )?published",
    re.I,
)
LINK_LEAD = re.compile(r"^(?:Visit|Read|See|Click|View|Learn|Follow|Watch|Download)\b", re.I)
URL = re.compile(r"https?://\S+|www\.\S+")
FRONT_MATTER = re.compile(r"^[a-z_]+:\s|^-{3,}$")
# Capitalised words that begin sentences without naming anything.
OPENERS = {
    "a",
    "an",
    "the",
    "this",
    "these",
    "that",
    "those",
    "it",
    "its",
    "we",
    "our",
    "they",
    "their",
    "he",
    "she",
    "in",
    "on",
    "at",
    "as",
    "by",
    "for",
    "from",
    "with",
    "since",
    "so",
    "far",
    "based",
    "all",
    "each",
    "every",
    "some",
    "many",
    "most",
    "such",
    "while",
    "although",
    "however",
    "also",
    "and",
    "but",
    "or",
    "if",
    "when",
    "where",
    "there",
    "here",
    "what",
    "which",
    "who",
    "how",
    "why",
    "one",
    "two",
    "three",
    "further",
    "total",
    "details",
    "government",
    "transparent",
    "mirage",
    "date",
    "field",
    "season",
    "posted",
    "context",
    "background",
}
ACRONYM_AFTER = re.compile(r"\s*\((?P<acronym>[A-Z][A-Za-z0-9&.-]{1,9})\)")


@dataclass
class Reading:
    """One sentence of a document and what was found in it."""

    number: int
    text: str
    start: int  # in the document's normalised text
    fact: bool = True
    reason: str = ""
    mentions: list[Mention] = field(default_factory=list)
    new_names: list[Mention] = field(default_factory=list)
    acronyms: dict[int, str] = field(default_factory=dict)  # a name's start -> the acronym after it
    dates: list[Found] = field(default_factory=list)
    amounts: list[Found] = field(default_factory=list)
    quantities: list[Found] = field(default_factory=list)

    def ids(self, *kinds: str) -> list[str]:
        """The known entities named, in order, once each (of the given kinds, if any)."""
        found: list[str] = []
        for mention in self.mentions:
            if mention.entity_id and (not kinds or mention.kind in kinds) and mention.entity_id not in found:
                found.append(mention.entity_id)
        return found


def read_document(raw: str, gazetteer: Gazetteer, document_date: date | None) -> list[Reading]:
    """Every sentence of a document, read."""
    readings = []
    for number, sentence in enumerate(sentences(raw), 1):
        reading = Reading(number, sentence.text, sentence.start)
        reading.mentions = gazetteer.mentions(sentence.text)
        reading.new_names, reading.acronyms = _new_names(sentence.text, reading.mentions)
        reading.dates = dates(sentence.text, document_date)
        reading.amounts = amounts(sentence.text)
        reading.quantities = quantities(sentence.text, reading.dates + reading.amounts)
        reading.fact, reading.reason = _states_fact(reading)
        readings.append(reading)
    return readings


def _states_fact(reading: Reading) -> tuple[bool, str]:
    text = reading.text
    if FRONT_MATTER.match(text):
        return False, "page metadata"
    if FOOTERS.search(text):
        return False, "republisher's footer or boilerplate"
    if URL.search(text) and (LINK_LEAD.match(text) or len("".join(URL.findall(text))) > len(text) / 3):
        return False, "a link to elsewhere"
    word_count = len(text.split())
    if not re.search(r"[.!?:;]\W*$", text) and word_count <= 14 and not reading.quantities:
        return False, "heading or by-line (no sentence)"
    if not (reading.mentions or reading.new_names or reading.dates or reading.amounts or reading.quantities):
        return False, "names no thing, date or figure (opinion or context)"
    return True, ""


def _new_names(text: str, known: list[Mention]) -> tuple[list[Mention], dict[int, str]]:
    """Runs of capitalised words (joined by "of", "and", ...) that no known name covers, and the
    acronym written in brackets after a name, known or new."""
    taken = [(m.start, m.end) for m in known]
    found: list[Mention] = []
    tokens = list(re.finditer(r"[\w’'-]+|&", text))
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not _capitalised(token.group()) or any(s <= token.start() < e for s, e in taken):
            index += 1
            continue
        last = index
        probe = index + 1
        while probe < len(tokens):
            word = tokens[probe].group()
            between = text[tokens[probe - 1].end() : tokens[probe].start()]
            if between.strip() or any(s <= tokens[probe].start() < e for s, e in taken):
                break  # punctuation or a known name ends the run
            if _capitalised(word):
                last = probe
            elif word.lower() not in JOINERS:
                break
            probe += 1
        run = tokens[index : last + 1]
        words = [t.group() for t in run]
        if not (len(words) == 1 and (words[0].lower() in OPENERS or words[0].isdigit())):
            while words and words[0].lower() in OPENERS and len(words) > 1:
                run, words = run[1:], words[1:]
            start, end = run[0].start(), run[-1].end()
            found.append(Mention(text[start:end], start, end, None, in_graph=False))
        index = last + 1
    acronyms: dict[int, str] = {}
    bracketed: dict[int, Mention] = {}  # where such an acronym starts -> the name it abbreviates
    for mention in [*known, *found]:
        if match := ACRONYM_AFTER.match(text, mention.end):
            acronyms[mention.start] = match.group("acronym")
            bracketed[match.start("acronym")] = mention
    for mention in known:  # a new name the text abbreviates with a known acronym is that entity's
        if mention.start in bracketed and bracketed[mention.start].entity_id is None:
            name = bracketed.pop(mention.start)
            found.remove(name)
            known.append(Mention(name.text, name.start, name.end, mention.entity_id, mention.in_graph))
    known.sort(key=lambda m: m.start)
    return [m for m in found if m.start not in bracketed], acronyms


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not word.isdigit()
