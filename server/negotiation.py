"""Content negotiation for SPARQL results and RDF: Accept with q-values, or ``format`` values.

Clients name formats in several ways: SPARQLWrapper, for one, sends its format as ``format``,
``output`` and ``results``, each twice (a short name, then a media type). Every value is read; they
must all name the same format (or name none this kind of answer has, and are then ignored if one
does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from werkzeug.datastructures import MIMEAccept


@dataclass(frozen=True)
class Format:
    """An output format: the media type sent, pyoxigraph's writer for it, and its other names
    (short names for the ``format`` parameter, and media types clients also send for it)."""

    media_type: str
    writer: ox.QueryResultsFormat | ox.RdfFormat
    names: tuple[str, ...]
    aliases: tuple[str, ...] = ()


RESULT_FORMATS = (
    Format(
        "application/sparql-results+json", ox.QueryResultsFormat.JSON, ("json", "srj"), ("application/json",)
    ),
    Format("application/sparql-results+xml", ox.QueryResultsFormat.XML, ("xml", "srx"), ("application/xml",)),
    Format("text/csv", ox.QueryResultsFormat.CSV, ("csv",)),
    Format("text/tab-separated-values", ox.QueryResultsFormat.TSV, ("tsv",), ("text/plain",)),
)
GRAPH_FORMATS = (
    Format("text/turtle", ox.RdfFormat.TURTLE, ("turtle", "ttl"), ("application/x-turtle",)),
    Format("application/n-triples", ox.RdfFormat.N_TRIPLES, ("ntriples", "nt"), ("text/plain",)),
    Format("application/ld+json", ox.RdfFormat.JSON_LD, ("jsonld", "json-ld"), ("application/json",)),
    Format(
        "application/rdf+xml", ox.RdfFormat.RDF_XML, ("rdfxml", "rdf", "xml", "rdf+xml"), ("application/xml",)
    ),
    Format("text/n3", ox.RdfFormat.N3, ("n3",), ("text/rdf+n3",)),
    Format("application/trig", ox.RdfFormat.TRIG, ("trig",)),
    Format("application/n-quads", ox.RdfFormat.N_QUADS, ("nquads", "nq")),
)


class NotAcceptable(ValueError):
    """Nothing the client accepts can be produced (HTTP 406)."""


def _named(formats: tuple[Format, ...], value: str) -> Format | None:
    wanted = value.strip().lower()
    return next(
        (f for f in formats if wanted == f.media_type or wanted in f.names or wanted in f.aliases), None
    )


def _shown(values: list[str]) -> str:
    """The format values as an error message may repeat them: printable ASCII, 40 characters each."""
    return ", ".join(re.sub(r"[^\x20-\x7e]", "?", v)[:40] for v in values)


def choose(formats: tuple[Format, ...], accept: MIMEAccept, override: str | Iterable[str] | None) -> Format:
    """The format to answer in: the one the ``format`` values name if they name one, else the best
    Accept match. With no Accept header (or ``*/*``) the first format is used."""
    values = [override] if isinstance(override, str) else [v for v in override or () if v]
    if values:
        named = {f for f in (_named(formats, v) for v in values) if f is not None}
        if len(named) > 1:
            raise NotAcceptable(f"format={_shown(values)} names more than one format; name one")
        if named:
            return named.pop()
        raise NotAcceptable(
            f"format={_shown(values)} is not available for this query; use one of "
            + ", ".join(f.names[0] for f in formats)
        )
    if not accept:
        return formats[0]
    offered = [f.media_type for f in formats] + [a for f in formats for a in f.aliases]
    # A media type's parameters ("text/csv; charset=utf-8") do not change the format: the answer is
    # UTF-8 whatever they say, as the protocol's formats are.
    bare = MIMEAccept([(value.split(";", 1)[0].strip(), quality) for value, quality in accept])
    best = bare.best_match(offered)
    if best is None:
        raise NotAcceptable(
            "None of the requested media types can be produced; available: "
            + ", ".join(f.media_type for f in formats)
        )
    return next(f for f in formats if best == f.media_type or best in f.aliases)
