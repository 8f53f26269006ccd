"""A user's own RDF beside the graph: loaded as a named graph of its own, with its origin, joined
by queries, left unchecked by the shapes, and refused with a clear message when it cannot be read."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.graph import RECORDS_DIR, SHARED_DIR
from mineral_diplomacy.graph.external import ExternalRefused, canonical_ntriples, external_graphs, parse
from mineral_diplomacy.graph.problems import BuildFailed
from mineral_diplomacy.ontology.namespaces import GRAPH, MD
from mineral_diplomacy.release.pipeline import run_build
from mineral_diplomacy.release.store import load_store, select, text

GRAPH_IRI = "https://example.org/my-extract"


def _india_qid() -> str:
    with (SHARED_DIR / "reference" / "countries.csv").open(encoding="utf-8", newline="") as handle:
        return next(r["wikidata_qid"] for r in csv.DictReader(handle) if r["iso_alpha2"] == "IN")


def _extract(folder: Path) -> Path:
    """A small file shaped like a Wikidata download: two English labels (which the shapes would
    refuse in this graph's own data) and a blank node."""
    path = folder / "extract.ttl"
    path.write_text(
        f"""@prefix wd: <http://www.wikidata.org/entity/> .
@prefix ex: <https://example.org/my#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
wd:{_india_qid()} ex:note "a note of my own" ; rdfs:label "India"@en , "Republic of India"@en ;
    ex:source [ ex:name "a desk study" ] .
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("external")
    store = folder / "store"
    assert (
        main(
            [
                "load-external",
                str(_extract(folder)),
                "--graph",
                GRAPH_IRI,
                "--origin",
                "my desk",
                "--external",
                str(store),
            ]
        )
        == 0
    )
    return run_build(RECORDS_DIR, SHARED_DIR, folder / "out", external_dir=store).release


def test_the_file_is_a_named_graph_of_the_release_with_its_origin(release: Path) -> None:
    dataset = Dataset()
    dataset.parse(release / "dataset.nq", format="nquads")
    assert len(dataset.graph(URIRef(GRAPH_IRI))) == 5
    provenance = dataset.graph(GRAPH.provenance)
    assert (URIRef(GRAPH_IRI), RDF.type, MD.ExternalGraph) in provenance
    assert (URIRef(GRAPH_IRI), DCTERMS.source, Literal("my desk")) in provenance


def test_queries_join_the_graph_with_the_users_data(release: Path) -> None:
    _, rows = select(
        load_store(release),
        """
        SELECT ?note WHERE {
          <https://w3id.org/mineral-diplomacy/id/country/india> skos:exactMatch ?item .
          ?item <https://example.org/my#note> ?note }""",
    )
    assert [text(r["note"]) for r in rows] == ["a note of my own"]


def test_blank_nodes_get_stable_names(tmp_path: Path) -> None:
    path = _extract(tmp_path)
    first, second = (canonical_ntriples(parse(path), GRAPH_IRI) for _ in range(2))
    assert first == second and "_:" not in first
    assert "https://w3id.org/mineral-diplomacy/.well-known/genid/" in first


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        ("my-extract", "is not an absolute http(s) IRI"),
        ("https://w3id.org/mineral-diplomacy/graph/reference", "in this project's own namespace"),
    ],
)
def test_a_bad_graph_iri_is_refused(
    graph: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "load-external",
                str(_extract(tmp_path)),
                "--graph",
                graph,
                "--external",
                str(tmp_path / "store"),
            ]
        )
        == 1
    )
    assert message in capsys.readouterr().err and not (tmp_path / "store").exists()


def test_a_file_that_does_not_parse_is_refused_with_the_parsers_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://example.org/a> <http://example.org/b> .\n", encoding="utf-8")
    with pytest.raises(ExternalRefused, match=r"bad\.ttl is not valid turtle"):
        parse(bad)


def test_a_remote_json_ld_context_is_never_fetched(tmp_path: Path) -> None:
    document = tmp_path / "remote.jsonld"
    document.write_text(json.dumps({"@context": "http://127.0.0.1:9/context.jsonld", "@id": "x"}))
    with pytest.raises(ExternalRefused, match="remote JSON-LD @context"):
        parse(document)


def test_a_changed_copy_fails_the_build_and_remove_stops_it(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert (
        main(["load-external", str(_extract(tmp_path)), "--graph", GRAPH_IRI, "--external", str(store)]) == 0
    )
    copy = next(store.glob("*.nt"))
    copy.write_text(copy.read_text() + '<https://example.org/x> <https://example.org/y> "z" .\n')
    with pytest.raises(BuildFailed) as failed:
        external_graphs(store)
    assert failed.value.problems[0].rule == "external-changed"
    assert main(["load-external", "--remove", "--graph", GRAPH_IRI, "--external", str(store)]) == 0
    assert external_graphs(store) == ({}, []) and not copy.exists()
