"""Candidate records from a read sentence, by general rules: none names a document, an entity or
a sentence. Each candidate quotes its sentence (a verbatim span, so the build's quote check holds
by construction), names the rule that proposed it and a confidence.

The record types and keys come from the ontology (``ontology.vocabulary``): a rule that would write
a key or a type the ontology does not have is an error when the rules are made. The kind of id
each type gets (``organization/``, ``agreement/``, ...) is the one the records already use for it.

The rules:

- ``new-name``: a name the graph does not know, typed by its last word when that word ends the
  label of a record type ("... Joint Venture" a joint venture, "... Ministry" a ministry) or is a
  company form (Ltd, Limited, Corporation ...); its acronym in brackets is its other name.
- ``membership-list``: an organisation named with "partners", "members" or "member countries" and a
  list of two or more countries or organisations: a membership each, joined on the sentence's date
  when the sentence says "joined" or "welcomed".
- ``mineral-list``: five or more minerals listed in one sentence after "a list of N ... minerals"
  (here or in the sentence before): a critical-mineral list with its items and stated count.
- ``owners``: "equity", "participating interest", "owned by" or "shareholders" with organisations:
  the first organisation is owned by the others.
- ``signing``, ``launching``, ``investing``, ``exploring``, ``acquiring``, ``commissioning``: the
  verb with the parties, minerals, places, amounts and dates of the sentence.
- ``purpose``: "mandated to", "with the objective to", "aims to" after an organisation: its purpose,
  in the sentence's words.
- ``recommendation`` (should, must, could consider, an imperative opening) and ``assessment`` (an
  evaluative word; "critical minerals" is the subject, not a judgement), by the source document.
- ``statistic``: a percentage, a measured quantity (tonnes ...), a rank ("third largest").
- ``role`` and ``office``: "X is a researcher at Y" (a staff member); "Mines Secretary X" (an
  office holder in the ministry the title names, proposed with the ministry, as an identification).
- ``description``: a thing described in lower case, typed by the words that end the description
  (a record type's label, a plain-English head word, a product, a sector, talks, a collaboration).
- ``reference-entity``: a thing only the reference tables know, with its kind there.
- ``restatement``: a thing the graph describes, named here for the first time in the document.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from ...ontology.vocabulary import Vocabulary
from ..records import Record
from ..slugs import slugify
from .gazetteer import JOINERS, Mention
from .reading import EVALUATES, IMPERATIVE, RECOMMENDS, SUBJECT_MATTER, Reading

TITLE_BEFORE = re.compile(
    r"\b(?:Mr|Ms|Mrs|Dr|Prof|Shri|Smt|PM|Minister|Secretary|President|Ambassador|"
    r"Chairman|Director|Chief|Premier|Chancellor|Senator)\.?\s*$"
)
ROLE_AFTER = re.compile(
    r",?\s+(?:is\s+(?:a|an|the)\s+|,\s*(?:the\s+)?)?(?:\w+\s+){0,2}?"
    r"(?:researcher|analyst|minister|secretary|director|chairman|editor|professor|fellow|ambassador|president|"
    r"chief|author|economist|scholar|official)\b",
    re.I,
)
# Head words of names, in plain English, where the ontology's labels have another word: a summit
# or a budget is an event, an accord an agreement, an act a law, a mission a programme, a plant a
# facility, a council or an institute an organisation, an agency or a survey a government agency.
_HEADS = {
    "Region": "north south east west triangle belt region",
    "Event": "summit meeting conference visit budget session expo election ceremony roundtable congress",
    "Agreement": "accord accords treaty pact deal",
    "Law": "act",
    "Programme": "mission",
    "Facility": "plant refinery factory",
    "Organization": "council institute foundation consortium association federation chamber centre center",
    "GovernmentAgency": "agency survey department bureau commission authority",
}
# Heads of things written in lower case: products and materials, the sectors that apply them, talks
# and collaborations.
_LOWER_HEADS = {
    "Product": "battery equipment component material magnet panel cell chip semiconductor slag concentrate "
    "ore brine alloy oxide",
    "Application": "sector industry",
    "Dialogue": "talks",
    "Initiative": "collaboration coordination",
}
# Things a sentence may describe rather than name ("a $24 million lithium exploration pact").
DESCRIBED_TYPES = {
    "Agreement",
    "ExplorationPact",
    "MemorandumOfUnderstanding",
    "JointVenture",
    "TradeAgreement",
    "InvestmentPartnership",
    "Dialogue",
    "Initiative",
    "Project",
    "ExplorationProject",
    "AssetAcquisition",
    "MineralBlock",
    "Facility",
    "Investment",
    "Event",
    "Programme",
    "Scheme",
    "Law",
    "Policy",
    "Strategy",
    "Proposal",
    "Product",
    "Application",
    "ImportDependence",
    "ExportRestriction",
    "AccessRestriction",
    "TradeMeasure",
}
# Words that end a description to the left: determiners, pronouns, numbers and the like.
_STOP_WORDS = """a an the this these that those its their our his her such other several many some any each
every no all both which what whose of in on at for to with by from and or as is are was were be been has have
had will would could should may might can"""
_DESCRIPTION_STOP = set(_STOP_WORDS.split())
HEAD_WORDS = {word: kind for kind, words in _HEADS.items() for word in words.split()}
COMPANY_FORMS = {"ltd", "limited", "corporation", "corp", "inc", "incorporated", "plc", "company", "llc"}
ACTORS = ("country", "organization", "person")
_FACT_VERBS = {
    "signing": (
        re.compile(r"\b(sign(?:ed|s|ing)?|ink(?:ed|s)?)\b", re.I),
        re.compile(r"\b(MoU|memorandum|agreement|pact|deal|treaty|accord)s?\b", re.I),
    ),
    "launching": (re.compile(r"\b(launch(?:ed|es|ing)?|unveil(?:ed|s)?)\b", re.I), None),
    "investing": (re.compile(r"\binvest(?:ed|s|ing|ment)?\b", re.I), None),
    "exploring": (re.compile(r"\bexplor(?:e|ed|es|ing|ation)\b", re.I), None),
    "acquiring": (
        re.compile(r"\bacqui(?:re|red|res|ring|sition)\b", re.I),
        re.compile(r"\b(assets?|stakes?|mines?|blocks?|acreages?)\b", re.I),
    ),
    "commissioning": (
        re.compile(r"\bcommission(?:ed|s|ing)\b", re.I),
        re.compile(r"\b(plant|facility|refinery|unit|mine)\b", re.I),
    ),
}
# Where a joining clause ends: "we welcomed A, B and C, making 14 partners - ...".
CLAUSE_END = re.compile(r",\s*(?:making|which|bringing|taking|and now)\b|[;–—]| - ")
MEMBERS = re.compile(r"\b(partners?|members?|member countries|member states)\b", re.I)
JOINED = re.compile(
    r"\b(joined|welcomed|admitted|became (?:a )?members?|participation in|"
    r"membership (?:of|in)|is a member of|are members of)\b",
    re.I,
)
OWNERS = re.compile(r"\b(equity|participating interest|owned by|shareholders?|stake)\b", re.I)
PURPOSE = re.compile(
    r"\b(?:is |are |was )?(?:mandated|with the objective|aim(?:s|ed)?|tasked) to\s+"
    r"(?P<what>[^.;]+)",
    re.I,
)
LIST_OF = re.compile(r"\blist of (?P<n>\d+) (?:\w+ ){0,2}minerals\b", re.I)
# An act's verb after these is an intention or a mandate, not an act ("mandated to identify and
# acquire"): the purpose rule reads it.
INTENTION = re.compile(
    r"\b(?:to|will|would|plans? to|aims? to|seeks? to|intends? to)\s+"
    r"(?:\w+\s+(?:and|or)\s+)?$",
    re.I,
)
# The record keys the rules write besides label, alt_labels and the build's own (ref, linked_by,
# note), checked against the ontology.
WRITTEN_KEYS = """member organization kind joined_on items stated_item_count owned_by parties signed_on status
launched_on investors amount minerals places operators purpose statement about addressed_to recommended_by
assessed_by quantity measure date role"""
MATURITY = {"signing": "signed", "launching": "launched", "commissioning": "operational"}


@dataclass
class Candidate:
    """A proposed record: the fields it would have, where it comes from, and how sure the rule is."""

    sentence: int
    rule: str
    confidence: float
    record: dict[str, object]
    new_ids: list[str] = field(default_factory=list)


class Rules:
    """The rules, with what they read from the ontology and the records."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        records: list[Record],
        reference_kinds: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.reference_kinds = reference_kinds or {}
        self.kinds = _id_kinds(records)
        self.types = _types(records)
        self.labels = {
            i: label for r in records if (i := r.node.text("id")) and (label := r.node.text("label"))
        }
        self.restated: set[str] = set()  # things already restated in this document
        missing = [key for key in WRITTEN_KEYS.split() if key not in vocabulary.fields]
        if missing:
            raise ValueError(f"The ontology has no record keys {missing} that the intake rules write")

    @cached_property
    def label_words(self) -> dict[str, tuple[str, ...]]:
        """Each record type -> the words of its label ("state-owned enterprise" -> two words); not
        the types a rule never writes (status claims, terms of access, quantities, amounts)."""
        return {
            name: tuple(re.findall(r"[\w-]+", self.vocabulary.label(iri).lower()))
            for name, iri in self.vocabulary.types.items()
            if name not in ("StatusClaim", "AccessTerm", "Quantity", "MonetaryAmount")
        }

    @cached_property
    def head_types(self) -> dict[str, str]:
        """The last word of each record type's label -> the type ("venture" -> JointVenture); of two
        types with the same last word, the one with the shorter label."""
        heads: dict[str, str] = {}
        for name, words in sorted(self.label_words.items(), key=lambda t: len(" ".join(t[1]))):
            heads.setdefault(words[-1], name)
        return heads

    @cached_property
    def labelled(self) -> dict[tuple[str, ...], str]:
        """The record types' labels of two words or more, as words ("trade agreement")."""
        return {words: name for name, words in self.label_words.items() if len(words) > 1}

    @cached_property
    def described_heads(self) -> dict[tuple[str, ...], str]:
        """Word sequences that end the description of a thing, and its type: the record types'
        labels ("exploration pact", "joint venture", "agreement"), the plain-English head words, and
        the heads of products ("batteries", "equipment") and applications ("... sectors")."""
        heads: dict[tuple[str, ...], str] = {}
        for name, words in self.label_words.items():
            if name in DESCRIBED_TYPES:
                heads[words] = name
                heads.setdefault(words[-1:], name)  # "block" of "mineral block"
        heads |= {(word,): kind for word, kind in HEAD_WORDS.items() if kind in DESCRIBED_TYPES}
        heads |= {(word,): kind for kind, words in _LOWER_HEADS.items() for word in words.split()}
        return heads

    @cached_property
    def type_labels(self) -> set[str]:
        return {" ".join(words) for words in self.label_words.values()}

    def kind_of(self, type_name: str) -> str:
        return self.kinds.get(type_name) or slugify(re.sub(r"(?<!^)(?=[A-Z])", "-", type_name))

    # -- all rules of a sentence ----------------------------------------------------------------

    def propose(
        self, reading: Reading, previous: Reading | None, document: dict[str, str]
    ) -> list[Candidate]:
        """The candidates of one sentence (none for a sentence that states no fact)."""
        if not reading.fact:
            return []
        found: list[Candidate] = []
        names = self._new_names(reading, document)
        found += names.values()
        found += self._undescribed(reading, document)
        ids = {
            **{m.start: m.entity_id for m in reading.mentions if m.entity_id},
            **{start: str(c.record["id"]) for start, c in names.items()},
        }
        actors = list(dict.fromkeys(i for _, i in sorted(ids.items()) if i.partition("/")[0] in ACTORS))
        found += self._memberships(reading, ids, document)
        found += self._roles(reading, ids, document)
        found += self._mineral_list(reading, previous, document)
        found += self._owners(reading, ids, document)
        found += self._verbs(reading, actors, document)
        found += self._purpose(reading, ids, document)
        found += self._judgement(reading, actors, document)
        found += self._statistics(reading, document)
        found += self._described(reading, document, {str(c.record.get("type")) for c in found})
        found += self._restatements(reading, document, {str(c.record["id"]) for c in found})
        return [c for c in found if c.record]

    @staticmethod
    def _record(
        reading: Reading, document: dict[str, str], entity_id: str, **fields: object
    ) -> dict[str, object]:
        record: dict[str, object] = {"id": entity_id}
        record.update({k: v for k, v in fields.items() if v not in (None, [], "", {})})
        record.update(source=document["file"], quote=reading.text)
        return record

    # -- the rules ------------------------------------------------------------------------------

    def _new_names(self, reading: Reading, document: dict[str, str]) -> dict[int, Candidate]:
        """Where each new name starts -> the candidate describing it."""
        found = {}
        for mention in reading.new_names:
            words = re.findall(r"\w+", mention.text)
            head = words[-1].lower() if words else ""
            lowered = tuple(w.lower() for w in words)
            by_label = next(
                (self.labelled[lowered[-n:]] for n in (3, 2) if lowered[-n:] in self.labelled), None
            )
            type_name = (
                "Company"
                if head in COMPANY_FORMS
                else by_label
                or HEAD_WORDS.get(head)
                or self.head_types.get(head.rstrip("s"))
                or self._person(reading.text, mention)
            )
            if (
                type_name is None
                or (len(words) < 2 and type_name != "Person")
                or " ".join(words).lower() in self.type_labels
            ):
                continue  # one word, or a kind of thing capitalised ("Joint Venture"), is not a name
            entity_id = f"{self.kind_of(type_name)}/{slugify(mention.text)}"
            acronym = reading.acronyms.get(mention.start)
            record = self._record(
                reading, document, entity_id, type=type_name, label=mention.text, alt_labels=acronym
            )
            found[mention.start] = Candidate(reading.number, "new-name", 0.6, record, [entity_id])
        return found

    @staticmethod
    def _person(text: str, mention: Mention) -> str | None:
        """A person: one to four capitalised words after a title ("President Trump"), or two to four
        before a role ("Araudra Singh is a researcher")."""
        words = mention.text.split()
        if not 1 <= len(words) <= 4 or any(w.lower() in JOINERS for w in words):
            return None
        if TITLE_BEFORE.search(text[: mention.start]) or (
            len(words) > 1 and ROLE_AFTER.match(text, mention.end)
        ):
            return "Person"
        return None

    def _undescribed(self, reading: Reading, document: dict[str, str]) -> list[Candidate]:
        """A thing only the reference tables know (an organisation, a UN M49 region), named here:
        the record that brings it into the graph, typed by its kind in the table."""
        found, seen = [], set()
        for mention in reading.mentions:
            entity_id = mention.entity_id
            if mention.in_graph or entity_id is None or entity_id in seen:
                continue
            seen.add(entity_id)
            if entity_id in self.reference_kinds:
                kind, ref = self.reference_kinds[entity_id]
                record = self._record(reading, document, entity_id, type=self.type_for(kind), ref=ref)
            else:
                record = self._record(reading, document, entity_id, type="Region", label=mention.text)
            found.append(Candidate(reading.number, "reference-entity", 0.8, record, [entity_id]))
        return found

    @cached_property
    def organisation_types(self) -> set[object]:
        """The ontology's kinds of organisation (its subclasses of md:Organization)."""
        return set(self.vocabulary.subclasses(self.vocabulary.types["Organization"]))

    def type_for(self, kind: str) -> str:
        """The record type whose label shares most words with a reference table's kind
        ("state-owned company" -> state-owned enterprise); Organization when none does."""
        if kind == "person":
            return "Person"
        wanted = set(re.findall(r"[\w-]+", kind.lower()))
        scored = [
            (len(wanted & set(re.findall(r"[\w-]+", self.vocabulary.label(iri).lower()))), name)
            for name, iri in self.vocabulary.types.items()
            if iri in self.organisation_types
        ]
        best = max(scored, default=(0, "Organization"))
        return best[1] if best[0] else "Organization"

    def _described(self, reading: Reading, document: dict[str, str], proposed: set[str]) -> list[Candidate]:
        """A thing the sentence describes in lower case, its type from the words that end the
        description ("lithium exploration pact": an exploration pact; "renewable energy sectors":
        renewable energy, an application), when no other candidate of the sentence has that type."""
        found: list[Candidate] = []
        tokens = [(m.group(), m.start(), m.end()) for m in re.finditer(r"[\w’'-]+|\S", reading.text)]
        names = [(m.start, m.end) for m in [*reading.mentions, *reading.new_names]]
        longest = max((len(h) for h in self.described_heads), default=1)
        index = 0
        while index < len(tokens):
            for size in range(min(longest, len(tokens) - index), 0, -1):
                head = tuple(t[0].lower() for t in tokens[index : index + size])
                kind = self.described_heads.get(head) or self.described_heads.get(_singular(head))
                if kind is None or any(s <= tokens[index][1] < e for s, e in names):
                    continue
                words = _modifiers(tokens, index)
                first = words[0][1] if words else tokens[index][1]
                last = tokens[index + size - 1][2] if kind != "Application" else tokens[index - 1][2]
                label = reading.text[first:last]
                # a one-word head needs a word that says which ("lithium exploration pact", not "pact");
                # a type's label of two words or more ("export restrictions") says it alone
                if (
                    (words or size > 1)
                    and kind not in proposed
                    and label not in {c.record.get("label") for c in found}
                ):
                    entity_id = f"{self.kind_of(kind)}/{slugify(label)}"
                    record = self._record(reading, document, entity_id, type=kind, label=label)
                    found.append(Candidate(reading.number, "description", 0.4, record, [entity_id]))
                index += size - 1
                break
            index += 1
        return found

    def _restatements(
        self, reading: Reading, document: dict[str, str], proposed: set[str]
    ) -> list[Candidate]:
        """A thing the graph describes (not a country, mineral or region: the reference tables give
        those), named here for the first time in the document: a record with its id and type, so that
        the document supports the existing entity rather than a new one."""
        found = []
        for mention in reading.mentions:
            entity_id = mention.entity_id
            if (
                entity_id is None
                or not mention.in_graph
                or entity_id in proposed
                or entity_id in self.restated
                or mention.kind in ("country", "mineral", "region", "continent")
                or entity_id not in self.types
            ):
                continue
            self.restated.add(entity_id)
            record = self._record(reading, document, entity_id, type=self.types[entity_id])
            found.append(Candidate(reading.number, "restatement", 0.5, record))
        return found

    def _memberships(
        self, reading: Reading, ids: dict[int, str], document: dict[str, str]
    ) -> list[Candidate]:
        """Members of the first organisation named. A name in brackets is not a member ("the EU
        (represented by the European Commission)"). Only the members named in a joining clause
        ("we welcomed A, B and C, ...") get its date, and only a date that is not a bound
        ("since ...", "before ...")."""
        joining = JOINED.search(reading.text)
        if not MEMBERS.search(reading.text) and not joining:
            return []
        text = reading.text
        named = [(start, i) for start, i in sorted(ids.items()) if i.partition("/")[0] in ACTORS]
        groups = [i for _, i in named if i.startswith("organization/")]
        if not groups:
            return []
        group = groups[0]
        members = list(
            dict.fromkeys(
                i
                for start, i in named
                if i != group
                and i.partition("/")[0] in ("country", "organization")
                and not _in_brackets(text, start)
            )
        )
        if len(members) < 2 and not joining:
            return []
        clause_end = len(text)
        if joining and (stop := CLAUSE_END.search(text, joining.end())):
            clause_end = stop.start()
        joined_members = {i for start, i in named if joining and joining.end() <= start < clause_end}
        dates = [d for d in reading.dates if not BOUND.search(text[: d.start])]
        joined = dates[0].value if joining and dates else None
        found = []
        for member in members:
            entity_id = f"membership/{member.partition('/')[2]}/{group.partition('/')[2]}"
            record = self._record(
                reading,
                document,
                entity_id,
                type="Membership",
                member=member,
                organization=group,
                kind="member",
                joined_on=joined if member in joined_members else None,
            )
            found.append(Candidate(reading.number, "membership-list", 0.7, record))
        return found

    def _roles(self, reading: Reading, ids: dict[int, str], document: dict[str, str]) -> list[Candidate]:
        """A person's place in an organisation: "X is a researcher at Y" (a staff member), and an
        office before a name, "Mines Secretary X" (an office holder in the ministry the title names,
        when the graph has a "Ministry of Mines": an identification the reviewer confirms)."""
        found = []
        text = reading.text
        for start, person in sorted(ids.items()):
            if not person.startswith("person/"):
                continue
            after = ROLE_AT.match(text, _name_end(text, start))
            if after and (org := _id_at(ids, after.start("org"))):
                record = self._record(
                    reading,
                    document,
                    f"membership/{person[7:]}/{org.partition('/')[2]}",
                    type="Membership",
                    member=person,
                    organization=org,
                    kind="staffMember",
                    role=after.group("role"),
                )
                found.append(Candidate(reading.number, "role", 0.6, record))
            office = OFFICE_BEFORE.search(text[:start])
            if office:
                ministry = self._ministry(office.group("field"))
                entity_id = f"membership/{person[7:]}/{ministry.partition('/')[2]}"
                record = self._record(
                    reading,
                    document,
                    entity_id,
                    type="Membership",
                    member=person,
                    organization=ministry,
                    kind="officeHolder",
                    role=office.group(0).strip(),
                    linked_by="propose (the title names the ministry)",
                    note=f'The ministry is read from the title "{office.group(0).strip()}".',
                )
                new = [] if ministry in self.labels else [ministry]
                found.append(Candidate(reading.number, "office", 0.5, record, new))
                described = self._record(
                    reading,
                    document,
                    ministry,
                    type="Ministry",
                    label=None if ministry in self.labels else f"Ministry of {office.group('field')}",
                    linked_by="propose (the title names the ministry)",
                    note=f'Named by the title "{office.group(0).strip()}" only.',
                )
                found.append(Candidate(reading.number, "office", 0.5, described, new))
        return found

    def _ministry(self, field: str) -> str:
        """The ministry whose label is "Ministry of <field>" (the graph's, or a new id)."""
        wanted = f"ministry of {field.lower()}"
        for entity_id, label in self.labels.items():
            if label.lower().split(" (")[0] == wanted:
                return entity_id
        return f"organization/{slugify(wanted)}"

    def _mineral_list(
        self, reading: Reading, previous: Reading | None, document: dict[str, str]
    ) -> list[Candidate]:
        minerals = reading.ids("mineral")
        stated = LIST_OF.search(reading.text) or (LIST_OF.search(previous.text) if previous else None)
        if len(minerals) < 5 or stated is None:
            return []
        lists = reading.ids("list") or (previous.ids("list") if previous else [])
        year = document.get("issued", "")[:4]
        entity_id = lists[0] if lists else f"list/critical-minerals-{slugify(document['publisher'])}-{year}"
        record = self._record(
            reading,
            document,
            entity_id,
            type="CriticalMineralList",
            items=minerals,
            stated_item_count=stated.group("n"),
        )
        return [Candidate(reading.number, "mineral-list", 0.7, record, [] if lists else [entity_id])]

    def _owners(self, reading: Reading, ids: dict[int, str], document: dict[str, str]) -> list[Candidate]:
        match = OWNERS.search(reading.text)
        named = sorted((start, i) for start, i in ids.items() if i.startswith("organization/"))
        before = [i for start, i in named if match and start < match.start()]
        owners = list(dict.fromkeys(i for start, i in named if match and start > match.start()))
        if match is None or not before or not owners:
            return []
        owned = before[-1]
        record = self._record(reading, document, owned, key="owners", owned_by=owners)
        return [Candidate(reading.number, "owners", 0.6, record)]

    def _verbs(self, reading: Reading, actors: list[str], document: dict[str, str]) -> list[Candidate]:
        found = []
        minerals, places = reading.ids("mineral"), reading.ids("country", "region", "place", "locality")
        when = reading.dates[0].value if reading.dates else None
        names = [(m.start, m.end) for m in [*reading.mentions, *reading.new_names]]
        for rule, (verb, object_words) in _FACT_VERBS.items():
            acts = [
                m
                for m in verb.finditer(reading.text)
                if not any(s <= m.start() < e for s, e in names)
                and not INTENTION.search(reading.text[: m.start()])
            ]
            if not acts or (object_words and not object_words.search(reading.text)):
                continue
            if rule == "investing" and not reading.amounts and acts[0].group().lower() == "investment":
                continue  # "investment decisions": a noun without a sum is not an investment made
            parties = [a for a in actors if not a.startswith("person/")]
            type_name = {
                "signing": "Agreement",
                "launching": "Initiative",
                "investing": "Investment",
                "exploring": "ExplorationProject",
                "acquiring": "AssetAcquisition",
                "commissioning": "Facility",
            }[rule]
            if rule == "signing" and re.search(r"\b(MoU|memorandum)", reading.text, re.I):
                type_name = "MemorandumOfUnderstanding"
            subject = "-".join(p.partition("/")[2] for p in parties[:3]) or slugify(document["publisher"])
            entity_id = f"{self.kind_of(type_name)}/{subject}-{rule}"
            status = (
                {"maturity": MATURITY[rule], **({"as_of": when} if when else {})}
                if rule in MATURITY
                else None
            )
            fields: dict[str, object] = {"type": type_name, "minerals": minerals, "status": status}
            if rule == "signing":
                fields |= {"parties": parties, "signed_on": when}
            elif rule == "investing":
                amount = reading.amounts[0].value if reading.amounts else None
                fields |= {"investors": parties[:1], "amount": amount, "places": places}
            elif rule == "launching":
                fields |= {"launched_on": when}
            else:
                operators = [p for p in parties if p.startswith("organization/")]
                fields |= {"operators": operators, "places": places}
            record = self._record(reading, document, entity_id, **fields)
            found.append(Candidate(reading.number, rule, 0.5, record, [entity_id]))
        return found

    def _purpose(self, reading: Reading, ids: dict[int, str], document: dict[str, str]) -> list[Candidate]:
        match = PURPOSE.search(reading.text)
        before = [
            i
            for start, i in sorted(ids.items())
            if match and start < match.start() and i.startswith("organization/")
        ]
        if match is None or not before:
            return []
        what = match.group("what").strip()
        purpose = what[0].upper() + what[1:] + "."
        record = self._record(reading, document, before[-1], key="purpose", purpose=purpose)
        return [Candidate(reading.number, "purpose", 0.6, record)]

    def _judgement(self, reading: Reading, actors: list[str], document: dict[str, str]) -> list[Candidate]:
        about = reading.ids()
        words = re.findall(r"\w+", reading.text.lower())
        slug = slugify(" ".join(words[:8]))
        if RECOMMENDS.search(reading.text) or IMPERATIVE.match(reading.text):
            kind, confidence = "Recommendation", 0.5
            fields: dict[str, object] = {
                "addressed_to": [a for a in actors if a.startswith("country/")],
                "recommended_by": document["entity_id"],
            }
        elif EVALUATES.search(SUBJECT_MATTER.sub("", reading.text)) and not (
            reading.dates or reading.amounts
        ):
            kind, confidence, fields = "Assessment", 0.4, {"assessed_by": document["entity_id"]}
        else:
            return []
        entity_id = f"{kind.lower()}/{slug}"
        record = self._record(
            reading,
            document,
            entity_id,
            type=kind,
            label=reading.text.rstrip("."),
            statement=reading.text,
            about=about,
            **fields,
        )
        return [Candidate(reading.number, kind.lower(), confidence, record, [entity_id])]

    def _statistics(self, reading: Reading, document: dict[str, str]) -> list[Candidate]:
        found = []
        for rank in RANK.finditer(reading.text):  # "the third largest reserves"
            number = rank.group("n").lower()
            record = self._record(
                reading,
                document,
                f"statistic/{slugify(rank.group(0))}",
                type="Statistic",
                label=rank.group(0),
                measure=rank.group(0),
                quantity={"value": str(ORDINALS.get(number, number[:-2])), "unit": "rank"},
                about=reading.ids(),
            )
            found.append(Candidate(reading.number, "statistic", 0.4, record, [str(record["id"])]))
        for quantity in reading.quantities:
            if not isinstance(quantity.value, dict) or not (
                quantity.value.get("unit") == "percent" or MEASURED.match(quantity.extra.get("of", ""))
            ):
                continue
            measure = reading.text[max(0, quantity.start - 60) : quantity.end + 40].strip()
            value = dict(quantity.value)
            if unit := MEASURED.match(quantity.extra.get("of", "")):
                words = unit.group().lower().split()
                value |= {
                    "unit": UNITS.get(words[-1], words[-1]),
                    **({"scale": words[0]} if len(words) > 1 else {}),
                }
            record = self._record(
                reading,
                document,
                f"statistic/{slugify(measure[:60])}",
                type="Statistic",
                label=measure,
                measure=quantity.extra.get("of") or measure,
                quantity=value,
                about=reading.ids(),
            )
            found.append(Candidate(reading.number, "statistic", 0.4, record, [str(record["id"])]))
        return found


# "is a researcher at the Council ...", "serves as an editor at ...": the role and the organisation.
ROLE_AT = re.compile(
    r"[\s,]+(?:is|was|also serves as|serves as)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}?"
    r"(?P<role>researcher|analyst|editor|fellow|professor|director|economist|scholar|official|"
    r"adviser|advisor|member)\s+(?:at|of|with)\s+(?:the\s+)?(?P<org>\S)",
    re.I,
)
# "Mines Secretary", "Finance Minister", "Commerce Minister" before a name.
OFFICE_BEFORE = re.compile(r"\b(?P<field>[A-Z][a-z]+)\s+(?:Minister|Secretary)\s+$")

ORDINALS = {
    w: i
    for i, w in enumerate(
        ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"], 1
    )
}
RANK = re.compile(
    r"\b(?P<n>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))"
    r"[ -](?:largest|biggest|highest|lowest|smallest)\b(?:\s+[a-z]+){0,2}",
    re.I,
)
# A figure with a unit of measure is a statistic ("5.9 million tonnes"); a count of things may not be.
MEASURED = re.compile(r"(?:million |billion |thousand )?(?:tonnes|tons|mt|kg|mw|gw|km|barrels)\b", re.I)

UNITS = {"tonnes": "tonne", "tons": "tonne", "mt": "tonne", "barrels": "barrel"}

# A date after these bounds an interval ("since last June"): it is not the date of the act.
BOUND = re.compile(r"\b(?:since|after|before|until|by)\s+(?:\S+\s+){0,3}$", re.I)


def _in_brackets(text: str, position: int) -> bool:
    """Whether a position of the text lies inside an open bracket."""
    before = text[:position]
    return before.count("(") > before.count(")")


def _modifiers(tokens: list[tuple[str, int, int]], index: int) -> list[tuple[str, int]]:
    """The words before ``tokens[index]`` that describe it: up to three, in lower case or acronyms
    (a capitalised word only where it opens the sentence or a clause), ended by a determiner, a
    preposition, a number or punctuation."""
    words: list[tuple[str, int]] = []
    for position in range(index - 1, max(-1, index - 4), -1):
        word, start, _ = tokens[position]
        opens = position == 0 or tokens[position - 1][0] in (":", ";", "•", "-", "(")
        capitalised = word[0].isupper() and not word.isupper() and not re.search(r"[a-z][A-Z]", word)
        if (
            word.lower() in _DESCRIPTION_STOP
            or not re.fullmatch(r"[A-Za-z][\w-]*", word)
            or (capitalised and not opens)
        ):
            break
        words.insert(0, (word, start))
    return words


def _name_end(text: str, start: int) -> int:
    """Where the capitalised name starting at ``start`` ends."""
    match = re.match(r"(?:[A-Z][\w.’'-]*\s?)+", text[start:])
    return start + (len(match.group(0).rstrip()) if match else 0)


def _id_at(ids: dict[int, str], position: int) -> str | None:
    """The organisation named at a position of the sentence, if one is."""
    return next((i for start, i in ids.items() if start == position and i.startswith("organization/")), None)


def _singular(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words with the last in the singular ("blocks" -> "block", "batteries" -> "battery")."""
    last = words[-1]
    one = (
        last[:-3] + "y"
        if last.endswith("ies")
        else last[:-1]
        if last.endswith("s") and not last.endswith("ss")
        else last
    )
    return (*words[:-1], one)


def _types(records: list[Record]) -> dict[str, str]:
    """Each id -> the first type a record gives it."""
    found: dict[str, str] = {}
    for record in records:
        entity_id, type_field = record.node.text("id"), record.node.fields.get("type")
        if entity_id and type_field and isinstance(type_field.value, str):
            found.setdefault(entity_id, type_field.value)
    return found


def _id_kinds(records: list[Record]) -> dict[str, str]:
    """Each record type -> the id kind the records use most for it."""
    seen: dict[str, Counter[str]] = {}
    for record in records:
        entity_id, type_field = record.node.text("id"), record.node.fields.get("type")
        if entity_id and type_field and isinstance(type_field.value, str):
            seen.setdefault(type_field.value, Counter())[entity_id.partition("/")[0]] += 1
    return {type_name: kinds.most_common(1)[0][0] for type_name, kinds in seen.items()}
