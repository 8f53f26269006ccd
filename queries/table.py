"""Answers as plain-text tables for the command line."""

from __future__ import annotations

from ..ontology.namespaces import BASE

MAX_CELL = 70


def _cell(value: str) -> str:
    text = value.replace(BASE + "id/", "id:").replace(BASE + "ontology#", "md:")
    text = " ".join(text.split())
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def format_table(rows: list[dict[str, str]]) -> str:
    """Rows as an aligned table with a header line; '(no rows)' when empty."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cells = [[_cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join([line.rstrip(), rule, *body])
