"""Federated queries: which SERVICE endpoints a query calls, checked against an allow-list.

pyoxigraph evaluates ``SERVICE <iri> { ... }`` by calling the endpoint over HTTP, so a query
could make the server reach internal addresses. Before a query runs, its SERVICE targets are read
with a small lexer (comments, strings and IRIs are skipped, prefixed names are expanded, ``\\u``
escapes in IRIs and ``\\`` escapes in local names are decoded as the SPARQL parser does) and the
query is refused unless every target is, as written, an allow-listed IRI (a relative target is
never one). ``SERVICE ?variable`` and a target the lexer cannot read are always refused.

A lexer is not the parser: where the grammar depends on context (``<`` is an IRI's start or
"less than"), the two can disagree about where a string starts, and so about whether a SERVICE
keyword is code. So when federation is on, the word "service" may appear in the query's text
only where the lexer reads a SERVICE keyword: the parser cannot run a SERVICE clause whose keyword
the lexer did not check, because keywords cannot be escaped. (With federation off, evaluators
cannot connect anywhere: ``sandbox.py``.)
"""

from __future__ import annotations

import re

from .lexer import TOKEN, tokens

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\(.)")


def _unescape(text: str) -> str:
    """``\\u`` + 4 and ``\\U`` + 8 hex digits (in IRIs), and a character after ``\\`` (in local
    names), decoded; an escape of no Unicode character (past U+10FFFF, or a surrogate) is refused."""
    def character(match: re.Match[str]) -> str:
        if match.group(3):
            return match.group(3)
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise MalformedEscape(f"Malformed query: the escape {match.group()} names no Unicode character.")
        return chr(code)

    return _ESCAPE.sub(character, text)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SERVICE = re.compile("service", re.IGNORECASE)


class ServiceNotAllowed(ValueError):
    """The query calls a SERVICE that is not on the allow-list."""


class MalformedEscape(ValueError):
    """An IRI or name escape in the query names no Unicode character (the parser refuses it too)."""


def _tokens(query: str) -> list[tuple[str, str]]:
    return [(kind, text) for kind, text in tokens(query) if kind not in ("comment", "string")]


def service_targets(query: str) -> list[str]:
    """The SERVICE targets of a query: absolute IRIs, '?var' for a variable target, or the text of
    a target the lexer cannot read."""
    if not _SERVICE.search(query):  # keywords cannot be escaped: no SERVICE call at all
        return []
    tokens = _tokens(query)
    prefixes: dict[str, str] = {}
    targets: list[str] = []
    for index, (kind, text) in enumerate(tokens):
        word = text.upper() if kind in ("word", "pname") else ""
        following = tokens[index + 1 : index + 4]
        if word == "PREFIX" and len(following) >= 2 and following[1][0] == "iri":
            prefixes[following[0][1].rstrip(":")] = _unescape(following[1][1][1:-1])
        elif word == "SERVICE":
            rest = [t for t in following if t[1].upper() != "SILENT"]
            if not rest:
                continue
            target_kind, target = rest[0]
            if target_kind == "iri":  # as written: BASE is not applied, so a relative one never matches
                targets.append(_unescape(target[1:-1]))
            elif target_kind == "pname":
                prefix, _, local = target.partition(":")
                targets.append(prefixes.get(prefix, f"{prefix}:") + _unescape(local))
            else:  # a variable, or something this lexer cannot read: refused either way
                targets.append(target)
    return targets


def _stray_service(query: str) -> int | None:
    """Where the word "service" occurs other than as a SERVICE keyword the lexer read, if it does."""
    keywords = {m.start() for m in TOKEN.finditer(query)
                if m.lastgroup == "word" and m.group().upper() == "SERVICE"}
    return next((m.start() for m in _SERVICE.finditer(query) if m.start() not in keywords), None)


def check_services(query: str, allowed: frozenset[str]) -> None:
    """Raise ServiceNotAllowed unless every SERVICE target of the query is allow-listed (and, with
    federation on, unless "service" appears only as keywords the lexer read; see above).

    A comment ends at a line feed or a carriage return, as SPARQL says (and as the parser was
    checked to do). A comment is where a reader and the parser could disagree about where code
    starts, so one that mentions SERVICE beside any other control character is refused."""
    if not _SERVICE.search(query):  # keywords cannot be escaped: no SERVICE call, nothing to check
        return
    if allowed and (at := _stray_service(query)) is not None:
        line = query.count("\n", 0, at) + 1
        column = at - (query.rfind("\n", 0, at) + 1) + 1
        raise ServiceNotAllowed(
            f"The word 'service' at line {line}, column {column} is not a SERVICE call (it is in a string, "
            "IRI, comment or name, or the query is ambiguous there). Federated queries are checked, so the "
            "word may appear only as the keyword: inside a string or IRI, write it \\u0073ervice.")
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
