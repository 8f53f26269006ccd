"""A document read sentence by sentence: whether a sentence states a fact (and why not), the known
names in it, the names the graph does not know, and its dates, amounts and quantities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..coverage import sentences
from .gazetteer import JOINERS, URL, Gazetteer, Mention
from .values import Found, amounts, dates, quantities

FOOTERS = re.compile(
    r"/Public Release|does not take institutional positions|"
    r"from the originating organi[sz]ation|"
    r"View in full here|All rights reserved|Disclaimer:|Subscribe to|Follow us on|"
    r"republished|This article (?:was|is) (?:originally )?published",
    re.I,
)
LINK_LEAD = re.compile(r"^(?:Visit|Read|See|Click|View|Learn|Follow|Watch|Download)\b", re.I)
FRONT_MATTER = re.compile(r"^[a-z_]+:\s|^-{3,}$")
# Capitalised words that begin sentences without naming anything.
_OPENER_WORDS = """a an the this these that those it its we our they their he she in on at as by for from
with since so far based all each every some many most such while although however also and but or if when
where there here what which who how why one two three further total details government transparent mirage
date field season posted context background under over after before during through across despite
notwithstanding amid within without between among towards only yet still even both either neither then thus
hence therefore meanwhile moreover additionally furthermore instead rather sign authors author"""
OPENERS = set(_OPENER_WORDS.split())
_CALENDAR_WORDS = """january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday"""
CALENDAR = set(_CALENDAR_WORDS.split())
# "critical minerals", "critical and strategic minerals": the subject matter, not a judgement.
SUBJECT_MATTER = re.compile(
    r"\b(?:critical|strategic|key)(?:\s*(?:and|&)\s*(?:critical|strategic))?\s+"
    r"(?:minerals?|raw materials?|metals?|elements?)\b",
    re.I,
)
RECOMMENDS = re.compile(
    r"\b(should|must|needs? to|ought to|has to|have to|can be considered|"
    r"could be (?:\w+ed|explored|rewarding|considered)|is essential|recommend\w*|"
    r"could (?:consider|involve|partner|play|explore|help|focus|join|invest|collaborate|work)|"
    r"warrants|remains necessary|requires|way forward)\b",
    re.I,
)
# A sentence that begins with a verb in its base form is advice ("Appoint ...", "Consider ...").
IMPERATIVE = re.compile(
    r"^(?:[-•*]\s*)?(?:Appoint|Avoid|Build|Consider|Create|Deepen|Develop|Diversify|"
    r"Encourage|Engage|Enhance|Ensure|Establish|Expand|Explore|Focus|Foster|Improve|Increase|Invest|"
    r"Leverage|Negotiate|Prioriti[sz]e|Promote|Pursue|Reform|Secure|Set up|Strengthen|"
    r"Streamline|Support|Use|Accelerate|Adopt|Align|Integrate|Institutionali[sz]e|Advance|Play|Address|"
    r"Make|Link|Harness|Shape|Tap|Partner|Mobili[sz]e|Reduce|Boost|Scale)\b"
)
EVALUATES = re.compile(
    r"\b(critical|vital|key|essential|crucial|significant|important|strategic|central|"
    r"pivotal|serious|acute|vulnerab\w+|risks?|challeng\w+|concerns?|dependen\w+|"
    r"dominan\w+|monopol\w+|imperative|welcome|lax|limited|weak\w*|strong\w*|"
    r"opportunit\w+|potential|gaps?|imbalance|remains?|increasingly|emerg\w+|growing|"
    r"multifaceted|absent|fragmented|argues?|benefit\w*|aspirations?|ambitio\w+)\b",
    re.I,
)
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
        reading.mentions, reading.new_names, reading.acronyms = _new_names(
            sentence.text, gazetteer.mentions(sentence.text)
        )
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
    labelled = re.search(r":\s+(\S+\s+){4,}", text)  # "Central Asia: India and Kazakhstan established ..."
    if not re.search(r"[.!?:;]\W*$", text) and word_count <= 14 and not reading.quantities and not labelled:
        return False, "heading or by-line (no sentence)"
    named = reading.mentions or reading.new_names or reading.dates or reading.amounts or reading.quantities
    if not named and not (judgement(text)):
        return False, "names no thing, date or figure, and judges or advises nothing"
    return True, ""


def judgement(text: str) -> bool:
    """Whether a sentence advises (should, must, an imperative opening) or judges (an evaluative
    word, "critical minerals" not counted as one)."""
    return bool(
        RECOMMENDS.search(text) or IMPERATIVE.match(text) or EVALUATES.search(SUBJECT_MATTER.sub("", text))
    )


def _new_names(text: str, known: list[Mention]) -> tuple[list[Mention], list[Mention], dict[int, str]]:
    """The known names (with a new name the text abbreviates by a known acronym among them), the
    runs of capitalised words (joined by "of", "and", ...) that no known name covers, and the
    acronym written in brackets after a name, known or new."""
    taken = [(m.start, m.end) for m in known]
    found: list[Mention] = []
    for run in _capitalised_runs(text, taken):
        words = [t.group() for t in run]
        if run[0].start() == _first_word(text) and (len(words) == 1 or _opener(words[0])):
            run, words = run[1:], words[1:]  # a sentence's first word is capitalised anyway
        while len(words) > 1 and (_opener(words[0]) or words[0].lower() in JOINERS):
            run, words = run[1:], words[1:]
        if not words or (len(words) == 1 and (_opener(words[0]) or len(words[0]) < 2 or words[0].isdigit())):
            continue
        start, end = run[0].start(), run[-1].end() - (2 if _POSSESSIVE.search(words[-1]) else 0)
        found.append(Mention(text[start:end], start, end, None, in_graph=False))
    acronyms: dict[int, str] = {}
    bracketed: dict[int, Mention] = {}  # where such an acronym starts -> the name it abbreviates
    for mention in [*known, *found]:
        if match := ACRONYM_AFTER.match(text, mention.end):
            acronyms[mention.start] = match.group("acronym")
            bracketed[match.start("acronym")] = mention
    named = list(known)
    for mention in known:  # a new name the text abbreviates with a known acronym is that entity's
        if mention.start in bracketed and bracketed[mention.start].entity_id is None:
            name = bracketed.pop(mention.start)
            found.remove(name)
            named.append(Mention(name.text, name.start, name.end, mention.entity_id, mention.in_graph))
    named.sort(key=lambda m: m.start)
    return named, [m for m in found if m.start not in bracketed], acronyms


_TOKEN = re.compile(r"(?:[A-Z]\.){2,}|[\w’'-]+|&")
_POSSESSIVE = re.compile(r"[’']s$")
# Titles and offices: they split a run ("Commerce Minister Piyush Goyal" names Piyush Goyal).
_TITLE_WORDS = """president pm minister secretary prime chancellor ambassador chairman director mr ms mrs dr
shri smt senator governor"""
TITLES = set(_TITLE_WORDS.split())


def _first_word(text: str) -> int:
    match = re.search(r"\w", text)
    return match.start() if match else 0


def _opener(word: str) -> bool:
    """A word that begins sentences without naming anything ("This", "Moreover", "Secondly"), or a
    month or weekday."""
    lower = word.lower()
    return lower in OPENERS or lower in CALENDAR or (lower.endswith("ly") and len(word) > 4)


def _capitalised_runs(text: str, taken: list[tuple[int, int]]) -> list[list[re.Match[str]]]:
    """Runs of capitalised words joined by nothing but spaces and joiners ("of", "and" ...), ended by
    punctuation, a known name, a possessive ("Washington's") or a title ("President")."""
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    pending: list[re.Match[str]] = []  # joiners waiting for a capitalised word
    for token in _TOKEN.finditer(text):
        word = token.group()
        inside = any(s <= token.start() < e for s, e in taken)
        gap = text[current[-1].end() : token.start()] if current else ""
        if (gap.strip() and not pending) or (pending and text[pending[-1].end() : token.start()].strip()):
            runs.append(current)
            current, pending = [], []
        if (
            inside
            or word.lower() in TITLES
            or not (_capitalised(word) or (current and word.lower() in JOINERS))
        ):
            if current:
                runs.append(current)
            current, pending = [], []
            continue
        if word.lower() in JOINERS and not _capitalised(word):
            pending.append(token)
            continue
        if pending and pending[0].group().lower() == "and" and len(current) < 2:
            runs.append(current)  # "Washington and Delhi" are two names; "Ministry of Commerce and
            current, pending = [], []  # Industry" is one
        current += [*pending, token]
        pending = []
        if _POSSESSIVE.search(word):
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [r for r in runs if r]


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not word.isdigit()
