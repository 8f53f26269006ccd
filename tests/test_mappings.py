"""Links to other datasets: SSSOM mapping sets made from the reference tables, validated with the
SSSOM tooling, and the only source of the graph's links; the link report and VoID linksets."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import bioregistry
import pytest
import sssom_pydantic
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import OWL, SKOS

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.graph import MAPPINGS_DIR, SHARED_DIR
from mineral_diplomacy.graph.mappings import SCOPES, SUBJECT_PREFIX, TARGETS, link_triples, set_file
from mineral_diplomacy.ontology.namespaces import GRAPH, ID, MD, WD
from mineral_diplomacy.queries.links import link_report
from mineral_diplomacy.release.store import load_store
from mineral_diplomacy.server.app import ServerConfig, create_app

SETS = sorted(MAPPINGS_DIR.glob("*.sssom.tsv"))


@pytest.fixture(scope="module")
def dataset(published: Path) -> Dataset:
    data = Dataset()
    data.parse((published / "current" / "dataset.nq"), format="nquads")
    return data


def _table(name: str) -> list[dict[str, str]]:
    with (SHARED_DIR / "reference" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_mapping_sets_are_what_the_reference_tables_give(capsys: pytest.CaptureFixture[str]) -> None:
    names = {p.name for p in SETS}
    assert {f"{name}.sssom.tsv" for name in TARGETS} <= names
    assert names <= {set_file(t, scope) for t in TARGETS.values() for scope in SCOPES}
    assert main(["mappings", "--check"]) == 0, capsys.readouterr().err


def _subjects(path: Path) -> set[URIRef]:
    mappings, _converter, _metadata = sssom_pydantic.read(path)
    assert {m.subject.prefix for m in mappings} == {SUBJECT_PREFIX}
    return {URIRef(str(ID) + m.subject.identifier) for m in mappings}


def test_each_set_says_whether_the_graph_holds_its_subjects(dataset: Dataset) -> None:
    """A set per scope: every subject of ``<target>.sssom.tsv`` is an entity the graph describes
    (its IRI resolves), and no subject of ``<target>.not-in-graph.sssom.tsv`` is."""
    described = {s for s, _, _, g in dataset.quads((None, None, None, None)) if g != GRAPH.links}
    outside = [p for p in SETS if ".not-in-graph." in p.name]
    assert outside  # the reference tables name countries and elements the graph has no record of
    for path in SETS:
        subjects = _subjects(path)
        if path in outside:
            assert not subjects & described, path.name
        else:
            assert subjects <= described, (path.name, sorted(subjects - described)[:5])


def test_the_curies_join_with_the_standard_prefix_map() -> None:
    """Every set's prefixes expand as the Bioregistry's (the prefix map SSSOM tools merge with), so
    that our CURIEs join with other sets': ``geonames:2077456`` with no trailing slash, ``CHEBI:``,
    ``wikidata:``, ``ror:``; and the subjects' prefix is one no registry binds elsewhere."""
    standard = bioregistry.get_converter(prefix_priority=["preferred", "default"])  # CHEBI, as OBO writes it
    assert bioregistry.normalize_prefix(SUBJECT_PREFIX) is None
    for path in SETS:
        mappings, converter, _metadata = sssom_pydantic.read(path)
        for mapping in mappings:
            for reference in (mapping.object, mapping.predicate, mapping.justification):
                curie = f"{reference.prefix}:{reference.identifier}"
                assert converter.expand(curie) == standard.expand(curie), (path.name, curie)
                assert standard.is_curie(curie) and standard.standardize_curie(curie) == curie, curie


def test_a_geonames_curie_has_no_trailing_slash() -> None:
    """``geonames:<id>`` in the set, as other sets write it; the graph's link is GeoNames' own RDF
    IRI, ``https://sws.geonames.org/<id>/`` (see the test of India's links)."""
    row = next(r for r in _table("countries.csv") if r["iso_alpha2"] == "IN")
    text = (MAPPINGS_DIR / "geonames.sssom.tsv").read_text(encoding="utf-8")
    assert f"{SUBJECT_PREFIX}:country/india\tIndia\tskos:closeMatch\tgeonames:{row['geonames_id']}\t" in text


def test_a_stale_mapping_set_is_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "mappings"
    shutil.copytree(MAPPINGS_DIR, copy)
    wikidata = copy / "wikidata.sssom.tsv"
    wikidata.write_text(wikidata.read_text().replace("wikidata:Q668", "wikidata:Q1"), encoding="utf-8")
    assert main(["mappings", "--check", "--mappings", str(copy)]) == 1
    assert "wikidata.sssom.tsv is not what the reference tables give" in capsys.readouterr().err


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_each_mapping_set_is_valid_sssom(path: Path) -> None:
    pack = sssom_pydantic.read(path)
    mappings, _converter, metadata = pack
    assert str(metadata.id) == f"https://w3id.org/mineral-diplomacy/mappings/{path.name}"
    assert str(metadata.license) == "https://creativecommons.org/licenses/by/4.0/"
    assert metadata.version and metadata.title
    assert mappings
    for mapping in mappings:
        assert mapping.subject.prefix == SUBJECT_PREFIX and mapping.predicate.prefix == "skos"
        assert (mapping.justification.prefix, mapping.justification.identifier) == (
            "semapv",
            "ManualMappingCuration",
        )
        assert mapping.mapping_date is not None and mapping.comment.startswith("shared/reference/")


def test_india_is_linked_as_the_reference_table_says(dataset: Dataset) -> None:
    row = next(r for r in _table("countries.csv") if r["iso_alpha2"] == "IN")
    india, links = ID["country/india"], dataset.graph(GRAPH.links)
    assert set(links.predicate_objects(india)) == {
        (SKOS.exactMatch, WD[row["wikidata_qid"]]),
        (MD.wikidataId, Literal(row["wikidata_qid"])),
        (SKOS.closeMatch, URIRef(f"https://sws.geonames.org/{row['geonames_id']}/")),
        (MD.geonamesId, Literal(row["geonames_id"])),
    }


def test_organisations_and_people_are_linked_where_the_table_has_ids(dataset: Dataset) -> None:
    rows = {r["short_name"] or r["name"]: r for r in _table("organizations.csv")}
    links = dataset.graph(GRAPH.links)
    usgs = ID["organization/usgs"]
    assert (usgs, SKOS.exactMatch, URIRef(rows["USGS"]["ror_id"])) in links
    assert (usgs, SKOS.exactMatch, WD[rows["USGS"]["wikidata_qid"]]) in links
    assert (ID["person/modi"], SKOS.exactMatch, WD[rows["Narendra Modi"]["wikidata_qid"]]) in links
    assert not rows["KABIL"]["wikidata_qid"] and not list(links.predicate_objects(ID["organization/kabil"]))


def test_links_come_only_from_the_mapping_sets(dataset: Dataset) -> None:
    namespaces = tuple(t.namespace for t in TARGETS.values())
    outbound = {
        (s, p, o)
        for s, p, o, _ in dataset.quads((None, None, None, None))
        if isinstance(o, URIRef) and str(o).startswith(namespaces)
    }
    assert outbound and outbound == {
        (s, p, o) for s, p, o in dataset.graph(GRAPH.links) if isinstance(o, URIRef)
    }
    entities = {s for s, _, _ in outbound}
    links, _, problems = link_triples(MAPPINGS_DIR, entities)
    assert not problems and {t for t in links if isinstance(t[2], URIRef)} == outbound
    assert not list(dataset.quads((None, OWL.sameAs, None, None)))


def test_a_removed_mapping_removes_its_link(tmp_path: Path) -> None:
    copy = tmp_path / "mappings"
    shutil.copytree(MAPPINGS_DIR, copy)
    wikidata = copy / "wikidata.sssom.tsv"
    wikidata.write_text(
        "".join(
            line
            for line in wikidata.read_text().splitlines(keepends=True)
            if not line.startswith("mdkg:country/india\t")
        ),
        encoding="utf-8",
    )
    india = ID["country/india"]
    links, _, _ = link_triples(copy, {india})
    assert {p for _, p, _ in links} == {SKOS.closeMatch, MD.geonamesId}  # GeoNames only, now


def test_a_bad_mapping_row_names_its_file_and_line(tmp_path: Path) -> None:
    copy = tmp_path / "mappings"
    shutil.copytree(MAPPINGS_DIR, copy)
    wikidata = copy / "wikidata.sssom.tsv"
    lines = wikidata.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if line.startswith("mdkg:country/india\t"))
    lines[number - 1] = lines[number - 1].replace("skos:exactMatch", "owl:sameAs")
    wikidata.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _, _, problems = link_triples(copy, {ID["country/india"]})
    (problem,) = problems
    assert (problem.file, problem.line, problem.rule) == (
        "mappings/wikidata.sssom.tsv",
        number,
        "mapping-row",
    )


def test_link_report_counts_links_per_kind(published: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = {r.kind: r for r in link_report(load_store((published / "current").resolve()))}
    countries = reports["Country"]
    assert (
        countries.entities > 10
        and countries.linked["wikidata"] == countries.linked["geonames"] == countries.entities
    )
    organisations = reports["Organization"]
    assert "Khanij Bidesh India Ltd" in organisations.unlinked
    assert organisations.linked["ror"] == 5  # GSI, USGS, IEA, MEA and the Ministry of Mines have ROR ids
    assert main(["links", "--out", str(published), "--unlinked"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["kind", "entities", "wikidata", "geonames", "ror", "chebi", "none"]
    assert "Organization with no link" in out


def test_void_has_one_linkset_per_dataset_and_predicate(published: Path, dataset: Dataset) -> None:
    from rdflib import Graph
    from rdflib.namespace import VOID

    client = create_app(ServerConfig(build_dir=published)).test_client()
    void = Graph().parse(data=client.get("/void", headers={"Accept": "text/turtle"}).data, format="turtle")
    linksets = {
        (void.value(ls, VOID.objectsTarget), void.value(ls, VOID.linkPredicate)): int(
            void.value(ls, VOID.triples)
        )
        for ls in void.subjects(None, VOID.Linkset)
    }
    links = dataset.graph(GRAPH.links)
    wikidata = URIRef("https://w3id.org/mineral-diplomacy/void/wikidata")
    assert linksets[wikidata, SKOS.exactMatch] == sum(
        1 for _, _, o in links.triples((None, SKOS.exactMatch, None)) if str(o).startswith(str(WD))
    )
    assert {str(p) for _, p in linksets} == {str(SKOS.exactMatch), str(SKOS.closeMatch)}
    assert len(linksets) == 4


def test_identifiers_are_links_on_entity_pages(published: Path) -> None:
    client = create_app(ServerConfig(build_dir=published)).test_client()
    page = client.get("/id/organization/usgs", headers={"Accept": "text/html"}).data.decode()
    row = next(r for r in _table("organizations.csv") if r["short_name"] == "USGS")
    assert f'<a href="{row["ror_id"]}" rel="external">{row["ror_id"].rsplit("/", 1)[-1]}</a>' in page
    assert f'<a href="{WD[row["wikidata_qid"]]}" rel="external">{row["wikidata_qid"]}</a>' in page
