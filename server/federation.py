"""Federated queries: which SERVICE endpoints a query calls, checked against an allow-list.

pyoxigraph evaluates ``SERVICE <iri> { ... }`` by calling the endpoint over HTTP, so a query
could make the server reach internal addresses. Before a query runs, its SERVICE targets are read
with a small lexer (comments, strings and IRIs are skipped properly, prefixed names and BASE are
resolved, ``\\u`` escapes in IRIs and ``\\`` escapes in local names are decoded as the SPARQL parser
does) and the query is refused unless every target is allow-listed. ``SERVICE ?variable`` and a
target the lexer cannot read are always refused.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from .lexer import tokens

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\(.)")


def _unescape(text: str) -> str:
    """``\\u`` + 4 and ``\\U`` + 8 hex digits (in IRIs), and a character after ``\\`` (in local
    names), decoded."""
    return _ESCAPE.sub(lambda m: m.group(3) or chr(int(m.group(1) or m.group(2), 16)), text)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


class ServiceNotAllowed(ValueError):
    """The query calls a SERVICE that is not on the allow-list."""


def _tokens(query: str) -> list[tuple[str, str]]:
    return [(kind, text) for kind, text in tokens(query) if kind not in ("comment", "string")]


def service_targets(query: str) -> list[str]:
    """The SERVICE targets of a query: absolute IRIs, '?var' for a variable target, or the text of
    a target the lexer cannot read."""
    if "service" not in query.lower():  # keywords cannot be escaped: no SERVICE call at all
        return []
    tokens = _tokens(query)
    prefixes: dict[str, str] = {}
    base = ""
    targets: list[str] = []
    for index, (kind, text) in enumerate(tokens):
        word = text.upper() if kind in ("word", "pname") else ""
        following = tokens[index + 1 : index + 4]
        if word == "BASE" and following and following[0][0] == "iri":
            base = _unescape(following[0][1][1:-1])
        elif word == "PREFIX" and len(following) >= 2 and following[1][0] == "iri":
            prefixes[following[0][1].rstrip(":")] = urljoin(base, _unescape(following[1][1][1:-1]))
        elif word == "SERVICE":
            rest = [t for t in following if t[1].upper() != "SILENT"]
            if not rest:
                continue
            target_kind, target = rest[0]
            if target_kind == "iri":
                targets.append(urljoin(base, _unescape(target[1:-1])))
            elif target_kind == "pname":
                prefix, _, local = target.partition(":")
                targets.append(prefixes.get(prefix, f"{prefix}:") + _unescape(local))
            else:  # a variable, or something this lexer cannot read: refused either way
                targets.append(target)
    return targets


def check_services(query: str, allowed: frozenset[str]) -> None:
    """Raise ServiceNotAllowed unless every SERVICE target of the query is allow-listed.

    A comment ends at a line feed or a carriage return, as SPARQL says (and as the parser was
    checked to do). A comment is where a reader and the parser could disagree about where code
    starts, so one that mentions SERVICE beside any other control character is refused."""
    for kind, text in tokens(query):
        if kind == "comment" and "service" in text.lower() and _CONTROL.search(text):
            raise ServiceNotAllowed("A comment that mentions SERVICE next to a control character is "
                                    "refused (federated queries are checked against an allow-list).")
    for target in service_targets(query):
        if target not in allowed:
            listed = ", ".join(sorted(allowed)) or "none"
            raise ServiceNotAllowed(
                f"Federated query to {target} is not allowed; allow-listed endpoints: {listed}."
            )
