"""Federated queries: which SERVICE endpoints a query calls, checked against an allow-list.

pyoxigraph evaluates ``SERVICE <iri> { ... }`` by calling the endpoint over HTTP, so a query
could make the server reach internal addresses. Before a query runs, its SERVICE targets are read
with a small lexer (comments, strings and IRIs are skipped properly, prefixed names and BASE are
resolved) and the query is refused unless every target is allow-listed; ``SERVICE ?variable`` is
always refused.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
  | (?P<pname>(?:[A-Za-z][\w.-]*)?:[\w.:%-]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>\S)
    """,
    re.VERBOSE,
)


class ServiceNotAllowed(ValueError):
    """The query calls a SERVICE that is not on the allow-list."""


def _tokens(query: str) -> list[tuple[str, str]]:
    return [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(query)
            if m.lastgroup not in ("comment", "string")]


def service_targets(query: str) -> list[str]:
    """The SERVICE targets of a query: absolute IRIs, or '?var' for a variable target."""
    tokens = _tokens(query)
    prefixes: dict[str, str] = {}
    base = ""
    targets: list[str] = []
    for index, (kind, text) in enumerate(tokens):
        word = text.upper() if kind in ("word", "pname") else ""
        following = tokens[index + 1 : index + 4]
        if word == "BASE" and following and following[0][0] == "iri":
            base = following[0][1][1:-1]
        elif word == "PREFIX" and len(following) >= 2 and following[1][0] == "iri":
            prefixes[following[0][1].rstrip(":")] = urljoin(base, following[1][1][1:-1])
        elif word == "SERVICE":
            rest = [t for t in following if t[1].upper() != "SILENT"]
            if not rest:
                continue
            target_kind, target = rest[0]
            if target_kind == "iri":
                targets.append(urljoin(base, target[1:-1]))
            elif target_kind == "pname":
                prefix, _, local = target.partition(":")
                targets.append(prefixes.get(prefix, f"{prefix}:") + local)
            elif target_kind == "var":
                targets.append(target)
    return targets


def check_services(query: str, allowed: frozenset[str]) -> None:
    """Raise ServiceNotAllowed unless every SERVICE target of the query is allow-listed."""
    for target in service_targets(query):
        if target not in allowed:
            listed = ", ".join(sorted(allowed)) or "none"
            raise ServiceNotAllowed(
                f"Federated query to {target} is not allowed; allow-listed endpoints: {listed}."
            )
