"""IRIs of the project: the ontology namespace, entity ids, named graphs and reused vocabularies."""

import curies
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD, ClosedNamespace

from . import ONTOLOGY_FILE

BASE = "https://w3id.org/mineral-diplomacy/"
Triple = tuple[URIRef, URIRef, URIRef | Literal]  # the statements the build writes (no blank nodes)
_MD_URI = BASE + "ontology#"


def _declared_terms() -> list[str]:
    """The local names of every md: term the ontology declares."""
    ontology = Graph().parse(ONTOLOGY_FILE)
    return sorted(
        str(s)[len(_MD_URI) :]
        for s in set(ontology.subjects())
        if isinstance(s, URIRef) and str(s).startswith(_MD_URI)
    )


# Closed: MD.Agreemnt raises at once instead of minting a term the ontology does not have.
MD = ClosedNamespace(_MD_URI, _declared_terms())
ONTOLOGY_IRI = BASE + "ontology"
ID = Namespace(BASE + "id/")
RECORD = Namespace(BASE + "record/")
GRAPH = Namespace(BASE + "graph/")
WD = Namespace("http://www.wikidata.org/entity/")
GEONAMES = Namespace("https://sws.geonames.org/")

PREFIXES: dict[str, str] = {
    "md": str(MD),
    "id": str(ID),
    "record": str(RECORD),
    "graph": str(GRAPH),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "org": str(ORG),
    "foaf": str(FOAF),
    "wd": str(WD),
    "gn": str(GEONAMES),
}

# IRI <-> CURIE with the prefixes above (the longest namespace wins: id:, record:, graph:, md:)
CURIES = curies.Converter.from_prefix_map(PREFIXES)


def local(iri: object, prefix: str) -> str | None:
    """The part of ``iri`` after the namespace ``prefix`` names (``local(MD.Country, "md")`` is
    ``Country``, an entity's ``id`` part is ``country/india``); None if it is not in it."""
    parsed = CURIES.parse_uri(str(iri))
    return parsed.identifier if parsed is not None and parsed.prefix == prefix else None


def local_name(iri: object) -> str:
    """The last part of any IRI (after its last ``#`` or ``/``), to show a term that has no label."""
    return str(iri).rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


__all__ = ["BASE", "CURIES", "GEONAMES", "GRAPH", "ID", "MD", "ONTOLOGY_IRI", "PREFIXES", "RECORD", "WD",
           "Triple", "local", "local_name"]
