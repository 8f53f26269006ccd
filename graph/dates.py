"""Dates at the precision the source gives, and the interval of days each one stands for.

A record writes a date as ``2024-12-17`` (a day), ``2022-03`` (a month), ``2025`` (a year),
``FY2024-25`` (an Indian financial year, 1 April to 31 March) or ``FS2020-21`` (a field season,
read as both calendar years since no source says when a season starts). A year is not a day: a
status "as of 2025" is known to hold on 31 December 2025, and only may hold on 1 January 2025.

>>> date_literal("FY2024-25")
rdflib.term.Literal('2024-25', datatype=rdflib.term.URIRef('https://w3id.org/mineral-diplomacy/ontology#financialYear'))
>>> interval(date_literal("2025"))
(datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
>>> interval(date_literal("FY2024-25"))
(datetime.date(2024, 4, 1), datetime.date(2025, 3, 31))
>>> interval(date_literal("2024-02"))
(datetime.date(2024, 2, 1), datetime.date(2024, 2, 29))
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from ..ontology.namespaces import MD

_SPANS = r"(\d{4})-(\d{2})"  # 2024-25: a first year and the last two digits of the next
FORMATS: tuple[tuple[re.Pattern[str], URIRef], ...] = (
    (re.compile(r"\d{4}-\d{2}-\d{2}"), XSD.date),
    (re.compile(r"\d{4}-(0[1-9]|1[0-2])"), XSD.gYearMonth),
    (re.compile(r"\d{4}"), XSD.gYear),
    (re.compile("FY" + _SPANS), MD.financialYear),
    (re.compile("FS" + _SPANS), MD.fieldSeason),
)
PRECISION = {
    XSD.date: MD.dayPrecision,
    XSD.gYearMonth: MD.monthPrecision,
    XSD.gYear: MD.yearPrecision,
    MD.financialYear: MD.financialYearPrecision,
    MD.fieldSeason: MD.fieldSeasonPrecision,
}
HOW_TO_WRITE = ("Write YYYY-MM-DD, YYYY-MM (a month), YYYY (a year), FY2024-25 (a financial year) or "
                "FS2020-21 (a field season), keeping the precision the source gives.")


def date_literal(value: str) -> Literal | None:
    """The typed literal for a date as a record writes it, or None if it is not a valid date."""
    for pattern, datatype in FORMATS:
        if not pattern.fullmatch(value):
            continue
        lexical = value[2:] if datatype in (MD.financialYear, MD.fieldSeason) else value
        literal = Literal(lexical, datatype=datatype)
        try:
            interval(literal)
        except ValueError:
            return None
        return literal
    return None


def interval(literal: Literal) -> tuple[date, date]:
    """The first and last day a date can stand for; ValueError if it is not a real date."""
    text, datatype = str(literal), literal.datatype
    if datatype == XSD.date:
        day = date.fromisoformat(text)
        return day, day
    if datatype == XSD.gYearMonth:
        year, month = int(text[:4]), int(text[5:7])
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if datatype == XSD.gYear:
        return date(int(text), 1, 1), date(int(text), 12, 31)
    if datatype in (MD.financialYear, MD.fieldSeason):
        first = int(text[:4])
        if int(text[5:7]) != (first + 1) % 100:
            raise ValueError(f"{text} does not span two consecutive years")
        if datatype == MD.financialYear:
            return date(first, 4, 1), date(first + 1, 3, 31)
        return date(first, 1, 1), date(first + 1, 12, 31)
    raise ValueError(f"{literal!r} is not a date")
