"""Content negotiation for SPARQL results and RDF: Accept with q-values, or a ``format`` override."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept


@dataclass(frozen=True)
class Format:
    """An output format: the media type sent, and pyoxigraph's writer for it."""

    media_type: str
    writer: ox.QueryResultsFormat | ox.RdfFormat
    names: tuple[str, ...]  # short names accepted by the ``format`` parameter


RESULT_FORMATS = (
    Format("application/sparql-results+json", ox.QueryResultsFormat.JSON, ("json", "srj")),
    Format("application/sparql-results+xml", ox.QueryResultsFormat.XML, ("xml", "srx")),
    Format("text/csv", ox.QueryResultsFormat.CSV, ("csv",)),
    Format("text/tab-separated-values", ox.QueryResultsFormat.TSV, ("tsv",)),
)
GRAPH_FORMATS = (
    Format("text/turtle", ox.RdfFormat.TURTLE, ("turtle", "ttl")),
    Format("application/n-triples", ox.RdfFormat.N_TRIPLES, ("ntriples", "nt")),
    Format("application/ld+json", ox.RdfFormat.JSON_LD, ("jsonld", "json-ld")),
    Format("application/rdf+xml", ox.RdfFormat.RDF_XML, ("rdfxml", "rdf", "xml")),
)
# Media types clients also send for the same formats.
ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
}


class NotAcceptable(ValueError):
    """Nothing the client accepts can be produced (HTTP 406)."""


def choose(formats: tuple[Format, ...], accept: MIMEAccept, override: str | None) -> Format:
    """The format to answer in: the ``format`` parameter if given, else the best Accept match.

    With no Accept header (or ``*/*``) the first format is used.
    """
    if override:
        wanted = ALIASES.get(override.lower(), override.lower())
        for fmt in formats:
            if wanted == fmt.media_type or wanted in fmt.names:
                return fmt
        raise NotAcceptable(
            f"format={override} is not available for this query; use one of "
            + ", ".join(f.names[0] for f in formats)
        )
    if not accept:
        return formats[0]
    offered = [f.media_type for f in formats] + [a for a, t in ALIASES.items()
                                                if t in {f.media_type for f in formats}]
    best = accept.best_match(offered)
    if best is None:
        raise NotAcceptable(
            "None of the requested media types can be produced; available: "
            + ", ".join(f.media_type for f in formats)
        )
    target = ALIASES.get(best, best)
    return next(f for f in formats if f.media_type == target)
