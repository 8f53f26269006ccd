"""Every quote must occur, word for word, in the source document its record cites."""

from __future__ import annotations

from ..graph.problems import Problem
from ..graph.records import Record
from ..graph.sources import SourceCollection


def check_quotes(records: list[Record], sources: SourceCollection) -> list[Problem]:
    """A problem for each record whose quote is not in its cited source (whitespace-normalised)."""
    problems = []
    for record in records:
        source, quote = record.node.text("source"), record.node.text("quote")
        if not source or not quote or source not in sources.files:
            continue  # reported by the build
        if not sources.contains(source, quote):
            line = record.node.fields["quote"].line
            problems.append(Problem(
                record.file, line, "quote-not-in-source",
                f"The quote is not in {source}: \"{quote}\". The closest passage there reads: "
                f"\"{sources.closest_passage(source, quote)}\".",
                "Copy the words exactly as the source has them (spacing and ** markup do not "
                "matter), or cite the source they come from.",
            ))
    return problems
