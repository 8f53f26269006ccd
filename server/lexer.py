"""Reading a query's text the way the SPARQL grammar does, without parsing it: tokens (comments,
strings, IRIs, variables, prefixed names, words, single characters), for checks that must run
before the query reaches the parser."""

from __future__ import annotations

import re
from collections.abc import Iterator

# SPARQL 1.1's name characters (PN_CHARS_BASE, and PN_CHARS without it, of its grammar)
_BASE = ("A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
         "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff")
_MORE = "_0-9\u00b7\u0300-\u036f\u203f-\u2040\\-"
TOKEN = re.compile(
    rf"""
    (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{{4}}|\\U[0-9A-Fa-f]{{8}})*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
  | (?P<pname>(?:[{_BASE}](?:[{_BASE}{_MORE}.]*[{_BASE}{_MORE}])?)?
              :(?:[{_BASE}{_MORE}.:%]|\\[_~.!$&'()*+,;=/?\#@%-])*(?<!(?<!\\)\.))
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>\S)
    """,
    re.VERBOSE,
)

OPENING, CLOSING = "{([", "})]"


def tokens(query: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of every token; kinds are the group names of ``TOKEN``."""
    for match in TOKEN.finditer(query):
        yield match.lastgroup or "", match.group()


def nesting_depth(query: str) -> int:
    """How deeply braces, parentheses and brackets nest (outside strings, IRIs and comments)."""
    depth = deepest = 0
    for kind, text in tokens(query):
        if kind == "other" and text in OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "other" and text in CLOSING:
            depth = max(0, depth - 1)
    return deepest
