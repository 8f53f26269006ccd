"""Names as they are compared: folded (no accents, case or punctuation; "&" read as "and"; the
usual abbreviations of company forms; no leading "the"). The reconciliation service and the
intake's gazetteer fold the same way, so a name one finds the other finds."""

from __future__ import annotations

import re
import unicodedata

SYNONYMS = {"limited": "ltd", "corporation": "corp", "company": "co", "incorporated": "inc"}
_WORD = re.compile(r"\w+")


def fold_word(word: str) -> str:
    """One word folded: accents removed, case folded, company forms abbreviated."""
    decomposed = unicodedata.normalize("NFKD", word)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return SYNONYMS.get(plain, plain)


def fold(name: str) -> str:
    """A name folded for comparison."""
    words = [fold_word(w) for w in _WORD.findall(name.replace("&", " and "))]
    return " ".join(words[1:] if words[:1] == ["the"] and len(words) > 1 else words)


def words(text: str) -> list[tuple[str, int, int]]:
    """The words of a text, each folded, with its span ("&" is the word "and")."""
    return [
        (("and" if m.group() == "&" else fold_word(m.group())), m.start(), m.end())
        for m in re.finditer(r"\w+|&", text)
    ]
