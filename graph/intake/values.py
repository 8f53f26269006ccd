"""Dates, amounts of money and quantities in a sentence, by patterns, each with its span and its
value written as records write it (``2022-01-03``, ``2023-09``, ``2023``, ``FS2020-21``,
``FY2024-25``; ``{value: 24, scale: million, currency: USD}``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..dates import date_literal

_MONTH_NAMES = "January February March April May June July August September October November December"
MONTHS = {m.lower(): i for i, m in enumerate(_MONTH_NAMES.split(), 1)}
MONTHS |= {m[:3]: i for m, i in list(MONTHS.items())} | {"sept": 9}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_NUMBER_NAMES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
NUMBER_WORDS = {w: i for i, w in enumerate(_NUMBER_NAMES.split())}
SCALES = {
    "thousand": "thousand",
    "lakh": "lakh",
    "lakhs": "lakh",
    "crore": "crore",
    "crores": "crore",
    "million": "million",
    "mn": "million",
    "billion": "billion",
    "bn": "billion",
    "trillion": "trillion",
}
CURRENCIES = {
    "usd": "USD",
    "us$": "USD",
    "$": "USD",
    "dollars": "USD",
    "rs": "INR",
    "rs.": "INR",
    "inr": "INR",
    "₹": "INR",
    "rupees": "INR",
    "aud": "AUD",
    "a$": "AUD",
    "eur": "EUR",
    "€": "EUR",
    "euros": "EUR",
}
_NUM = r"(?P<number>\d{1,3}(?:,\d{2,3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SCALE = r"(?:\s*(?P<scale>" + "|".join(SCALES) + r")\b)?"
_CUR_BEFORE = r"(?P<cur>US\$|A\$|\$|₹|USD|INR|AUD|EUR|€|Rs\.?)"
_CUR_AFTER = r"(?P<cur2>dollars|rupees|euros)"

DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"), "iso"),
    (re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<y>\d{4})\b", re.I), "dmy"),
    (re.compile(r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,\s+(?P<y>\d{4})\b", re.I), "mdy"),
    (re.compile(r"\b" + _MONTH + r",?\s+(?P<y>\d{4})\b", re.I), "my"),
    (
        re.compile(
            r"\b(?:field\s+seasons?|FS)\s*(?P<seasons>\d{4}-\d{2}(?:(?:\s+|,\s*|\s+and\s+)\d{4}-\d{2})*)",
            re.I,
        ),
        "fs",
    ),
    (
        re.compile(r"\b(?:FY|financial\s+year|fiscal\s+year|budget)\s*(?P<fy>\d{4}-(?:20)?\d{2})\b", re.I),
        "fy",
    ),
    (re.compile(r"\b(?P<d>1[3-9]|2\d|3[01])/(?P<m>0?[1-9]|1[0-2])/(?P<y>\d{4})\b"), "dmy-numeric"),
    (re.compile(r"\blast\s+" + _MONTH + r"\b", re.I), "last-month"),
    (re.compile(r"(?<![\d,.$₹-])\b(?P<y>(?:19|20)\d{2})\b(?![-–]\d|,\d|\.\d)"), "year"),
)
AMOUNT_PATTERNS = (
    re.compile(_CUR_BEFORE + r"\s?" + _NUM + _SCALE, re.I),
    re.compile(_NUM + _SCALE + r"\s+" + _CUR_AFTER, re.I),
)
_QUANTITY = re.compile(
    r"(?<![\w$₹.,-])(?P<n>\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS) + r")"
    r"(?P<pct>\s*(?:%|per\s?cent|percent))?"
    r"(?:\s+(?P<what>(?:[a-z][\w-]*\s+){0,3}?(?:[a-z][\w-]*s|per cent))\b)?",
    re.I,
)


@dataclass(frozen=True)
class Found:
    """A value found in a sentence: its words, span, kind and value as a record writes it."""

    text: str
    start: int
    end: int
    kind: str  # date | amount | quantity
    value: str | dict[str, str] = ""
    precision: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _number(text: str) -> str:
    return text.replace(",", "")


def dates(sentence: str, document_date: date | None = None) -> list[Found]:
    """Every date or period, not overlapping, the most precise reading first."""
    found: list[Found] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in DATE_PATTERNS:
        for match in pattern.finditer(sentence):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            if kind == "year" and _ends_a_name(sentence, match.start()):
                continue  # "Agenda 2030", "Vision 2047": part of a name, not a date
            for value, precision, span in _date_values(match, kind, document_date):
                if precision == "relative" or date_literal(value) is not None:
                    extra = _readings(match, document_date) if precision == "relative" else {}
                    found.append(
                        Found(sentence[span[0] : span[1]], span[0], span[1], "date", value, precision, extra)
                    )
            taken.append(match.span())
    return sorted(found, key=lambda f: f.start)


def _date_values(
    match: re.Match[str], kind: str, document_date: date | None
) -> list[tuple[str, str, tuple[int, int]]]:
    groups = match.groupdict()
    month = MONTHS.get((groups.get("month") or "").lower().rstrip("."), 0)
    if kind == "iso":
        return [(match.group(0), "day", match.span())]
    if kind in ("dmy", "mdy"):
        return [(f"{groups['y']}-{month:02d}-{int(groups['d']):02d}", "day", match.span())]
    if kind == "my":
        return [(f"{groups['y']}-{month:02d}", "month", match.span())]
    if kind == "fs":
        return [
            (
                f"FS{m.group()}",
                "fieldSeason",
                (match.start("seasons") + m.start(), match.start("seasons") + m.end()),
            )
            for m in re.finditer(r"\d{4}-\d{2}", groups["seasons"])
        ]
    if kind == "fy":  # 2024-25, or 2024-2025
        first, _, last = groups["fy"].partition("-")
        return [(f"FY{first}-{last[-2:]}", "financialYear", match.span())]
    if kind == "dmy-numeric":  # 17/12/2024: a day over 12 leaves no doubt which is the month
        return [(f"{groups['y']}-{int(groups['m']):02d}-{int(groups['d']):02d}", "day", match.span())]
    if kind == "last-month":  # the latest such month, or that month a year before: a person decides
        return [("", "relative", match.span())]
    return [(groups["y"], "year", match.span())]


# Words that may stand capitalised before a year without making it part of a name.
_BEFORE_A_YEAR = {
    "in",
    "by",
    "since",
    "until",
    "till",
    "during",
    "from",
    "after",
    "before",
    "of",
    "to",
    "for",
    "at",
    "on",
    "and",
    "or",
    "early",
    "late",
    "mid",
    "the",
    "fy",
}


def _ends_a_name(sentence: str, start: int) -> bool:
    """Whether a year follows a capitalised word that is not a month or a preposition ("Agenda")."""
    before = re.search(r"([A-Za-z]+)\s+$", sentence[:start])
    if before is None:
        return False
    word = before.group(1)
    return word[0].isupper() and word.lower() not in _BEFORE_A_YEAR and word.lower() not in MONTHS


def _readings(match: re.Match[str], document_date: date | None) -> dict[str, str]:
    """The two readings of "last June" in a document of a known date: the latest June before it,
    and the June of the year before that."""
    month = MONTHS.get((match.groupdict().get("month") or "").lower().rstrip("."), 0)
    if document_date is None or not month:
        return {}
    latest = document_date.year if month < document_date.month else document_date.year - 1
    return {"readings": f"{latest}-{month:02d} or {latest - 1}-{month:02d}"}


def amounts(sentence: str) -> list[Found]:
    """Amounts of money with their currency and scale."""
    found: list[Found] = []
    for pattern in AMOUNT_PATTERNS:
        for match in pattern.finditer(sentence):
            if any(f.start < match.end() and match.start() < f.end for f in found):
                continue
            groups = match.groupdict()
            currency = CURRENCIES.get((groups.get("cur") or groups.get("cur2") or "").lower())
            if currency is None:
                continue
            value = {"value": _number(groups["number"]), "currency": currency}
            if groups.get("scale"):
                value["scale"] = SCALES[groups["scale"].lower()]
            found.append(Found(match.group(0), match.start(), match.end(), "amount", value))
    return sorted(found, key=lambda f: f.start)


def quantities(sentence: str, taken: list[Found]) -> list[Found]:
    """Counts and measures ("30 critical minerals", "14 partners", "over 50%"), outside the spans
    already read as dates or amounts."""
    found: list[Found] = []
    for match in _QUANTITY.finditer(sentence):
        if any(f.start < match.end() and match.start() < f.end for f in taken):
            continue
        number = match.group("n").lower()
        value = str(NUMBER_WORDS.get(number, number))
        what = (match.group("what") or "").strip()
        unit = "percent" if match.group("pct") else ""
        if number in NUMBER_WORDS and not what:
            continue  # "one" alone is a word, not a figure
        if not unit and not what and number.isdigit() and len(number) == 4:
            continue  # a bare four-digit number is a year or a code
        end = match.end() if what or unit else match.end("n")
        extra = {"of": what} if what else {}
        found.append(
            Found(
                sentence[match.start() : end],
                match.start(),
                end,
                "quantity",
                {"value": value, **({"unit": unit} if unit else {})},
                extra=extra,
            )
        )
    return found
