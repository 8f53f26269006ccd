"""The link report: per kind of entity, how many are linked to each dataset the mapping sets
reach, and which are not (``mineral-diplomacy links``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from ..graph.mappings import TARGETS
from ..ontology.namespaces import GRAPH, MD
from ..release.store import select, text

KINDS = ("Country", "Mineral", "Organization", "Person", "Grouping", "Agreement")
_ENTITIES = f"""
SELECT DISTINCT ?entity ?kind ?label WHERE {{
  VALUES ?kind {{ {" ".join(f"<{MD[k]}>" for k in KINDS)} }}
  ?entity a ?kind .
  OPTIONAL {{ ?entity <http://www.w3.org/2000/01/rdf-schema#label> ?label }}
}}"""
_LINKS = f"""
SELECT ?entity ?target WHERE {{ GRAPH <{GRAPH.links}> {{ ?entity ?p ?target }} FILTER(isIRI(?target)) }}"""


@dataclass
class KindReport:
    """One kind of entity: how many there are, how many each dataset links, which none links."""

    kind: str
    entities: int = 0
    linked: dict[str, int] = field(default_factory=dict)
    unlinked: list[str] = field(default_factory=list)


def link_report(store: ox.Store) -> list[KindReport]:
    """The report for every kind in KINDS (kinds as asserted or inferred)."""
    targets_of: dict[str, set[str]] = defaultdict(set)
    for row in select(store, _LINKS)[1]:
        target = next(
            (name for name, t in TARGETS.items() if text(row["target"]).startswith(t.namespace)), None
        )
        if target is not None:
            targets_of[text(row["entity"])].add(target)
    members: dict[str, dict[str, str]] = defaultdict(dict)
    for row in select(store, _ENTITIES)[1]:
        kind = text(row["kind"]).rsplit("#", 1)[-1]
        members[kind][text(row["entity"])] = (
            text(row["label"]) if row["label"] is not None else text(row["entity"])
        )
    reports = []
    for kind in KINDS:
        entities = members.get(kind, {})
        report = KindReport(kind, len(entities))
        report.linked = {name: sum(1 for e in entities if name in targets_of[e]) for name in TARGETS}
        report.unlinked = sorted(label for e, label in entities.items() if not targets_of[e])
        reports.append(report)
    return reports


def as_table(reports: list[KindReport], *, unlinked: bool) -> str:
    """The report as a plain-text table (and, if asked, the unlinked entities of each kind)."""
    names = list(TARGETS)
    lines = [f"{'kind':<14} {'entities':>8} " + " ".join(f"{n:>9}" for n in names) + f" {'none':>6}"]
    for r in reports:
        lines.append(
            f"{r.kind:<14} {r.entities:>8} "
            + " ".join(f"{r.linked[n]:>9}" for n in names)
            + f" {len(r.unlinked):>6}"
        )
    if unlinked:
        for r in reports:
            if r.unlinked:
                lines += [
                    "",
                    f"{r.kind} with no link ({len(r.unlinked)}):",
                    *(f"  {label}" for label in r.unlinked),
                ]
    return "\n".join(lines)
