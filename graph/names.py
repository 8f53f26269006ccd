"""Names as they are compared: folded (no accents, case or punctuation; "&" read as "and"; the
usual abbreviations of company forms; no leading "the"). The reconciliation service and the
intake's gazetteer fold the same way, so a name one finds the other finds."""

from __future__ import annotations

import re
import unicodedata

SYNONYMS = {"limited": "ltd", "corporation": "corp", "company": "co", "incorporated": "inc"}


def fold_word(word: str) -> str:
    """One word folded: accents removed, case folded, company forms abbreviated."""
    decomposed = unicodedata.normalize("NFKD", word)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return SYNONYMS.get(plain, plain)


def fold(name: str) -> str:
    """A name folded for comparison."""
    folded = [word for word, _, _ in words(name)]
    return " ".join(folded[1:] if folded[:1] == ["the"] and len(folded) > 1 else folded)


def words(text: str) -> list[tuple[str, int, int]]:
    """The words of a text, each folded, with its span ("&" is the word "and"; the second year of a
    span of years written in full is written short: "2024-2025" reads as "2024-25")."""
    found = []
    for m in re.finditer(r"\w+|&", text):
        word = "and" if m.group() == "&" else fold_word(m.group())
        if (
            re.fullmatch(r"\d{4}", word)
            and (span := _YEAR_SPAN.search(text, 0, m.end()))
            and span.end() == m.end()
        ):
            word = word[2:]
        found.append((word, m.start(), m.end()))
    return found


_YEAR_SPAN = re.compile(r"\b\d{4}[-–]\d{4}\b")
