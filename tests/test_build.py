"""The build end to end: the real records, broken records, determinism and safe publishing."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, PROV, RDF, RDFS, SKOS, XSD

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.graph import SHARED_DIR
from mineral_diplomacy.graph.problems import BuildFailed
from mineral_diplomacy.graph.sources import project_sources
from mineral_diplomacy.ontology.namespaces import GEONAMES, GRAPH, ID, MD, RECORD, WD
from mineral_diplomacy.release.layout import DATASET_FILES, current_release
from mineral_diplomacy.release.pipeline import run_build

from .conftest import NO_DOCUMENTS, SOURCE_003, write_records


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of the project's real records."""
    return run_build(out_dir=tmp_path_factory.mktemp("out")).release


@pytest.fixture(scope="module")
def dataset(release: Path) -> Dataset:
    data = Dataset(default_union=True)
    data.parse(release / "dataset.nq", format="nquads")
    return data


def _failure(records: Path, out: Path) -> BuildFailed:
    with pytest.raises(BuildFailed) as failed:
        run_build(records_dir=records, out_dir=out, documents_dir=NO_DOCUMENTS)
    assert current_release(out) is None, "a failed build must write nothing"
    return failed.value


# --- The real data ------------------------------------------------------------------------------

def test_release_has_all_files_and_graphs(release: Path, dataset: Dataset) -> None:
    expected = [*DATASET_FILES, "summary.json", "table-rows.json", "manifest.json"]
    assert sorted(p.name for p in release.iterdir()) == sorted(expected)
    names = {g.identifier for g in dataset.graphs()}
    assert {GRAPH.ontology, GRAPH.provenance, GRAPH.reference, GRAPH.inferred} <= names
    assert any(str(n).startswith(str(RECORD)) for n in names)


def test_every_fact_traces_to_a_quote_found_in_its_source(dataset: Dataset) -> None:
    sources = project_sources(SHARED_DIR)
    provenance = dataset.graph(GRAPH.provenance)
    record_graphs = [g for g in dataset.graphs() if str(g.identifier).startswith(str(RECORD))]
    assert len(record_graphs) > 30
    for graph in record_graphs:
        assert len(graph) > 0
        quote = provenance.value(graph.identifier, MD.quote)
        document = provenance.value(graph.identifier, PROV.wasDerivedFrom)
        file_name = dataset.value(document, MD.fileName)
        assert quote and file_name and sources.contains(str(file_name), str(quote)), graph.identifier


def test_source_document_described_with_title_publisher_and_date(dataset: Dataset) -> None:
    doc = ID["source/akka-ias-indias-mineral-diplomacy-strategy"]
    assert dataset.value(doc, MD.fileName) == Literal(SOURCE_003)
    assert str(dataset.value(doc, URIRef("http://purl.org/dc/terms/title"))) == (
        "India's Mineral Diplomacy Strategy")
    assert dataset.value(doc, URIRef("http://purl.org/dc/terms/issued")) == Literal(
        "2024-12-17", datatype=XSD.date)
    assert dataset.value(doc, URIRef("http://purl.org/dc/terms/publisher")) == ID[
        "organization/akka-ias-academy"]


def test_facts_of_source_003(dataset: Dataset) -> None:
    mou = ID["agreement/india-australia-critical-mineral-investment-partnership"]
    assert (mou, RDF.type, MD.MemorandumOfUnderstanding) in dataset
    record = dataset.graph(RECORD[f"003/{mou[len(ID):]}"])
    assert set(record.objects(mou, MD.party)) == {ID["organization/kabil"], ID["country/australia"]}
    assert dataset.value(mou, MD.signedOn) == Literal("2022-03", datatype=XSD.gYearMonth)
    pact = ID["agreement/india-argentina-lithium-exploration-pact"]
    amount = dataset.value(pact, MD.amount)
    assert dataset.value(amount, MD.currency) == MD.USD
    assert dataset.value(amount, MD.value).toPython() == 24
    assert dataset.value(amount, MD.normalisedValue).toPython() == 24_000_000
    frameworks = set(dataset.graph(RECORD["003/country/india/frameworks"]).objects(
        ID["country/india"], MD.worksThrough))
    assert ID["organization/g7"] in frameworks  # works through, never a membership:
    frameworks_graph = RECORD["003/country/india/frameworks"]
    assert not list(dataset.quads((None, ORG.member, ID["country/india"], frameworks_graph)))
    recommendation = ID["recommendation/mineral-diplomacy-division-in-mea"]
    assert (recommendation, RDF.type, MD.Recommendation) in dataset
    assert (recommendation, RDF.type, MD.Engagement) not in dataset


def test_country_codes_and_links_come_from_the_reference_table(dataset: Dataset) -> None:
    with (SHARED_DIR / "reference" / "countries.csv").open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["iso_alpha2"] == "AU")
    australia = ID["country/australia"]
    reference = dataset.graph(GRAPH.reference)
    assert reference.value(australia, MD.isoAlpha3) == Literal(row["iso_alpha3"])
    assert (australia, RDF.type, MD.Country) in reference
    links = dataset.graph(GRAPH.links)  # through the mapping sets made from the same table
    assert (australia, SKOS.exactMatch, WD[row["wikidata_qid"]]) in links
    assert (australia, SKOS.closeMatch, GEONAMES[row["geonames_id"] + "/"]) in links
    assert not list(dataset.quads((None, OWL.sameAs, None, None)))


def test_inferred_graph_holds_class_memberships(dataset: Dataset) -> None:
    inferred = dataset.graph(GRAPH.inferred)
    assert (ID["organization/kabil"], RDF.type, MD.Actor) in inferred
    assert all(p == RDF.type for p in inferred.predicates())


def test_trig_and_turtle_hold_the_same_statements(release: Path, dataset: Dataset) -> None:
    trig = Dataset()
    trig.parse(release / "dataset.trig", format="trig")
    assert {(s, p, o, g) for s, p, o, g in trig.quads()} == {
        (s, p, o, g) for s, p, o, g in dataset.quads()}
    summary = json.loads((release / "summary.json").read_text())
    assert summary["checks"]["records_read"] == len(
        [g for g in dataset.graphs() if str(g.identifier).startswith(str(RECORD))])


def test_build_is_byte_identical_between_runs(tmp_path: Path) -> None:
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:  # separate processes: different hash seeds, fresh parsers
        subprocess.run([sys.executable, "-m", "mineral_diplomacy.cli", "build",
                        "--out", str(out)], check=True, capture_output=True)
    for name in [*DATASET_FILES, "summary.json"]:
        first = (current_release(outs[0]) / name).read_bytes()  # type: ignore[operator]
        assert first == (current_release(outs[1]) / name).read_bytes(), name  # type: ignore[operator]


def test_cli_prints_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for heading in ("Triples per named graph", "Entities per class", "Checks passed",
                    "quotes found verbatim", "SHACL shapes conform", "OWL consistency"):
        assert heading in out


# --- Broken records fail with messages a domain expert understands -------------------------------

def test_quote_not_in_source(records_dir: Path, tmp_path: Path) -> None:
    write_records(records_dir, f"""
- id: region/central-asia
  type: Region
  label: Central Asia
  source: {SOURCE_003}
  quote: India and Kazakhstan signed a treaty on uranium
""")
    (problem,) = _failure(records_dir, tmp_path / "out").problems
    assert (problem.file.endswith("test.yaml"), problem.line, problem.rule) == (
        True, 15, "quote-not-in-source")
    assert "closest passage" in problem.message and "India and Kazakhstan" in problem.message


def test_amount_without_currency(records_dir: Path, tmp_path: Path) -> None:
    write_records(records_dir, f"""
- id: agreement/india-argentina-lithium-exploration-pact
  type: ExplorationPact
  label: Lithium exploration pact
  parties: [country/india, country/argentina]
  stages: exploration
  amount: {{value: 24, scale: million}}
  source: {SOURCE_003}
  quote: A $24 million lithium exploration pact was signed
""")
    problems = _failure(records_dir, tmp_path / "out").problems
    assert {p.rule for p in problems} == {"MonetaryAmountShape", "QuantityShape"}
    assert all(p.line == 16 for p in problems)  # the line of 'amount:'
    assert any("must say its currency" in p.message and "currency: USD" in p.fix
               for p in problems)


def test_unknown_party(records_dir: Path, tmp_path: Path) -> None:
    write_records(records_dir, f"""
- id: agreement/kabil-australia-mou
  type: MemorandumOfUnderstanding
  label: KABIL-Australia MoU
  parties: [organization/kabil, country/australa]
  source: {SOURCE_003}
  quote: KABIL (Khanij Bidesh India Ltd.) signed a Memorandum of Understanding (MoU) with Australia
""")
    problems = _failure(records_dir, tmp_path / "out").problems
    by_value = {p.message.split("'")[3]: p for p in problems if p.rule == "unknown-reference"}
    assert set(by_value) == {"organization/kabil", "country/australa"}
    assert by_value["country/australa"].line == 14
    assert "country/australia" in by_value["country/australa"].fix


@pytest.mark.parametrize(("field", "value", "rule"), [
    ("signed_on", "March 2022", "record-date"),
    ("signed_on", "2022-13", "record-date"),
    ("status", "{maturity: finished}", "record-value"),
    ("other_parties_unnamed", "perhaps", "record-value"),
    ("partys", "[country/india]", "record-field"),
    ("count", "two", "record-number"),
])
def test_bad_values(records_dir: Path, tmp_path: Path, field: str, value: str, rule: str) -> None:
    write_records(records_dir, f"""
- id: agreement/x
  type: MemorandumOfUnderstanding
  label: X
  parties: [country/india, country/australia]
  stages: governance
  {field}: {value}
  source: {SOURCE_003}
  quote: signed a Memorandum of Understanding (MoU) with Australia
""")
    problems = _failure(records_dir, tmp_path / "out").problems
    assert [(p.rule, p.line) for p in problems] == [(rule, 16)]


def test_record_without_source_or_quote(records_dir: Path, tmp_path: Path) -> None:
    write_records(records_dir, """
- id: region/central-asia
  type: Region
  label: Central Asia
""")
    rules = {p.rule for p in _failure(records_dir, tmp_path / "out").problems}
    assert rules == {"record-source", "record-quote"}


def test_unknown_type_suggests_the_right_one(records_dir: Path, tmp_path: Path) -> None:
    write_records(records_dir, f"""
- id: region/central-asia
  type: Regoin
  label: Central Asia
  source: {SOURCE_003}
  quote: Central Asia
""")
    (problem,) = _failure(records_dir, tmp_path / "out").problems
    assert problem.rule == "record-type" and "'Region'" in problem.fix


def test_failed_build_keeps_the_previous_release(real_records: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    good = run_build(records_dir=real_records, out_dir=out).release
    before = {p.name: p.read_bytes() for p in good.iterdir()}
    path = next(real_records.glob("003_*.yaml"))
    path.write_text(path.read_text().replace("currency: USD", "currency: DOLLARS"))
    with pytest.raises(BuildFailed):
        run_build(records_dir=real_records, out_dir=out)
    assert current_release(out) == good.resolve()
    assert {p.name: p.read_bytes() for p in good.iterdir()} == before


def test_cli_reports_problems_and_exits_non_zero(
    real_records: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = next(real_records.glob("003_*.yaml"))
    path.write_text(path.read_text().replace("two lithium and three", "two lithium and four"))
    assert main(["build", "--records", str(real_records), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "quote-not-in-source" in err and "003_b26980c2506844ff.yaml:" in err
    assert "nothing was written" in err


def test_every_class_the_data_uses_has_a_shape(dataset: Dataset) -> None:
    from rdflib.namespace import RDFS, SH

    from mineral_diplomacy.shapes.validate import load_shapes

    ontology = dataset.graph(GRAPH.ontology)
    targeted = set(load_shapes().objects(None, SH.targetClass))
    used = {
        cls for name in (GRAPH.reference, *[g.identifier for g in dataset.graphs()
                                              if str(g.identifier).startswith(str(RECORD))])
        for cls in dataset.graph(name).objects(None, RDF.type) if str(cls).startswith(str(MD))
    } | {MD.Record}
    unshaped = [cls for cls in used
                if not targeted & set(ontology.transitive_objects(cls, RDFS.subClassOf))]
    assert len(used) > 15 and unshaped == []


def test_record_that_states_nothing(records_dir: Path, tmp_path: Path) -> None:
    write_records(records_dir, f"""
- id: country/malawi
  source: {SOURCE_003}
  quote: Central Asia
""")
    (problem,) = _failure(records_dir, tmp_path / "out").problems
    assert (problem.rule, problem.line) == ("record-empty", 11)


# --- The model: status as of a date, vague mentions, roll-up, reference geography -----------------

def _built(records_dir: Path, tmp_path: Path) -> Dataset:
    data = Dataset(default_union=True)
    release = run_build(records_dir=records_dir, out_dir=tmp_path / "out", documents_dir=NO_DOCUMENTS).release
    data.parse(release / "dataset.nq",
               format="nquads")
    return data


def _effort(status: str) -> str:
    """A record of KABIL's effort in Bolivia and Chile, with the given status line."""
    return f"""
- id: project/kabil-effort
  type: AssetAcquisition
  label: KABIL's effort
  stages: mining
  {status}
  source: {SOURCE_003}
  quote: KABIL is also working to secure mineral supplies
"""


def test_status_claim_takes_the_sentence_date_or_the_document_date(
    records_dir: Path, tmp_path: Path
) -> None:
    write_records(records_dir, _effort("status: {maturity: effortInProgress}") + f"""- id: agreement/mou
  type: MemorandumOfUnderstanding
  label: An MoU
  parties: [country/india, country/australia]
  stages: governance
  status: {{maturity: signed, as_of: 2022-03}}
  source: {SOURCE_003}
  quote: In March 2022, KABIL (Khanij Bidesh India Ltd.) signed a Memorandum of Understanding (MoU)
""")
    data = _built(records_dir, tmp_path)
    effort = data.value(ID["project/kabil-effort"], MD.status)
    assert effort == URIRef(f"{ID['project/kabil-effort']}#status-003")
    assert data.value(effort, MD.asOf) == Literal("2024-12-17", datatype=XSD.date)  # the document's
    assert data.value(effort, MD.asOfBasis) == MD.documentDate
    mou = data.value(ID["agreement/mou"], MD.status)
    assert data.value(mou, MD.asOf) == Literal("2022-03", datatype=XSD.gYearMonth)
    assert data.value(mou, MD.asOfBasis) == MD.dateInSentence


def _write_undated(records_dir: Path, dated: str = "") -> None:
    """A document with no date of its own (``dated`` adds a line to it, such as its earliest
    possible date), and KABIL's effort with a status it dates."""
    (records_dir / "test.yaml").write_text(f"""
- id: source/undated
  type: SourceDocument
  title: Undated
  document_type: newsDigest{dated}
  file_name: {SOURCE_003}
  source: {SOURCE_003}
  quote: India's Mineral Diplomacy Strategy""" + _effort("status: {maturity: effortInProgress}"),
                                           encoding="utf-8")


def test_status_claim_carries_the_days_its_date_stands_for(records_dir: Path, tmp_path: Path) -> None:
    """A year is not a day: "as of 2025" stands for 1 January to 31 December 2025; a financial year
    for 1 April to 31 March; the document's own date for that day."""
    write_records(records_dir, _effort("status: [{maturity: effortInProgress}, "
                                       "{maturity: signed, as_of: 2025}, "
                                       "{maturity: operational, as_of: FY2024-25}]"))
    data = _built(records_dir, tmp_path)
    claims = {data.value(c, MD.maturity): c for c in data.objects(ID["project/kabil-effort"], MD.status)}

    def days(claim: URIRef) -> tuple[object, ...]:
        return (data.value(claim, MD.asOfPrecision), str(data.value(claim, MD.asOfEarliest)),
                str(data.value(claim, MD.asOfLatest)))

    assert days(claims[MD.effortInProgress]) == (MD.dayPrecision, "2024-12-17", "2024-12-17")
    assert days(claims[MD.signed]) == (MD.yearPrecision, "2025-01-01", "2025-12-31")
    assert days(claims[MD.operational]) == (MD.financialYearPrecision, "2024-04-01", "2025-03-31")
    assert data.value(claims[MD.operational], MD.asOf) == Literal("2024-25", datatype=MD.financialYear)


def test_an_undated_document_gives_only_a_lower_bound(records_dir: Path, tmp_path: Path) -> None:
    _write_undated(records_dir, "\n  written_after: 2025-01-20")
    data = _built(records_dir, tmp_path)
    claim = data.value(ID["project/kabil-effort"], MD.status)
    assert data.value(claim, MD.asOfPrecision) == MD.lowerBoundPrecision
    assert str(data.value(claim, MD.asOfEarliest)) == "2025-01-20"
    assert data.value(claim, MD.asOfLatest) is None


def test_a_curators_link_says_why(records_dir: Path, tmp_path: Path) -> None:
    write_records(records_dir, _effort("status: {maturity: effortInProgress}\n"
                                       "  linked_by: a curator (2026-12)"))
    (problem,) = _failure(records_dir, tmp_path / "out").problems
    assert problem.rule == "record-mention" and "note" in problem.fix


def test_a_vague_mention_gives_no_status(records_dir: Path, tmp_path: Path) -> None:
    """Where a link rests on the curators' identification, the status stays with what the sentence
    names: a vague mention that states a status is refused, naming its line."""
    write_records(records_dir, _effort("status: {maturity: effortInProgress}") + f"""
- id: project/kabil-effort
  key: vague
  mention: vague
  linked_by: a curator (2026-12)
  note: The sentence names no project.
  status: {{maturity: operational}}
  source: {SOURCE_003}
  quote: India has prioritized forging ties
""")
    (problem,) = _failure(records_dir, tmp_path / "out").problems
    assert (problem.rule, problem.line) == ("status-across-identity", 24)
    assert "part_of_engagement" in problem.fix


def test_status_claim_without_any_date_is_refused(records_dir: Path, tmp_path: Path) -> None:
    _write_undated(records_dir)
    problems = _failure(records_dir, tmp_path / "out").problems
    assert [(p.rule, p.line) for p in problems] == [("status-date", 13)]


def test_maturity_outside_a_status_claim_is_refused(records_dir: Path, tmp_path: Path) -> None:
    write_records(records_dir, _effort("maturity: effortInProgress"))
    (problem,) = _failure(records_dir, tmp_path / "out").problems
    assert problem.rule == "MaturityInStatusShape" and "status: {maturity:" in problem.fix


def _vague_region(editorial: str) -> str:
    """A vague mention of Central Asia with the given editorial lines (each ends in a new line)."""
    return f"""
- id: region/central-asia
  type: Region
  label: Central Asia
  mention: vague
  {editorial}source: {SOURCE_003}
  quote: this resource-rich region
"""


def test_vague_mention_needs_who_and_why(records_dir: Path, tmp_path: Path) -> None:
    write_records(records_dir, _vague_region(""))
    problems = _failure(records_dir, tmp_path / "out").problems
    assert {(p.rule, p.line) for p in problems} == {("record-mention", 14)}  # the line of "mention"
    assert {p.message.split("'")[1] for p in problems} == {"note", "linked_by"}


def test_vague_mention_is_recorded_with_its_note(records_dir: Path, tmp_path: Path) -> None:
    write_records(records_dir, _vague_region(
        "linked_by: a curator (2026-12)\n  note: The region is the one named in the heading above.\n  "))
    data = _built(records_dir, tmp_path)
    record = RECORD["003/region/central-asia"]
    assert (record, MD.vagueMentionOf, ID["region/central-asia"]) in data
    assert (record, MD.describes, ID["region/central-asia"]) in data
    assert str(data.value(record, SKOS.editorialNote)).startswith("The region is")
    assert str(data.value(record, MD.linkedBy)) == "a curator (2026-12)"


def test_one_real_thing_is_one_entity_with_a_dated_history(dataset: Dataset) -> None:
    mission = ID["programme/critical-mineral-mission"]
    provenance = dataset.graph(GRAPH.provenance)
    documents = {provenance.value(r, PROV.wasDerivedFrom) for r in provenance.subjects(MD.describes, mission)}
    assert len(documents) == 3
    history = sorted((str(dataset.value(c, MD.asOfEarliest)), str(dataset.value(c, MD.asOf)),
                      dataset.value(c, MD.maturity)) for c in dataset.objects(mission, MD.status))
    # 000: announced (its date); 001: announced on 23 December 2024; 002: launched "in 2025"
    assert history == [("2024-11-29", "2024-11-29", MD.announced), ("2024-12-23", "2024-12-23", MD.announced),
                       ("2025-01-01", "2025", MD.inImplementation)]
    old = ID["agreement/kabil-australia-critical-mineral-investment-partnership"]  # an earlier release's IRI
    mou = ID["agreement/india-australia-critical-mineral-investment-partnership"]
    assert {p for p, _ in dataset.predicate_objects(old)} == {DCTERMS.isReplacedBy, RDFS.comment}
    assert dataset.value(old, DCTERMS.isReplacedBy) == mou


def test_a_status_stays_with_what_its_sentence_names(dataset: Dataset) -> None:
    """002's "operational" is said of India's partnership with Australia, not of KABIL's MoU, which
    the curators take as part of it (an identification, marked as such)."""
    mou = ID["agreement/india-australia-critical-mineral-investment-partnership"]
    partnership = ID["agreement/india-australia-critical-minerals-partnership"]
    assert [dataset.value(c, MD.maturity) for c in dataset.objects(mou, MD.status)] == [MD.signed]
    statuses = [dataset.value(c, MD.maturity) for c in dataset.objects(partnership, MD.status)]
    assert statuses == [MD.operational]
    link = RECORD["002/agreement/india-australia-critical-mineral-investment-partnership"]
    assert (mou, MD.partOfEngagement, partnership) in dataset.graph(link)
    assert (link, MD.vagueMentionOf, mou) in dataset.graph(GRAPH.provenance)


def test_agencies_roll_up_to_their_state(dataset: Dataset) -> None:
    chain = list(dataset.transitive_objects(ID["organization/nest-division"], MD.actsFor))
    assert chain[-1] == ID["country/india"] and ID["organization/ministry-of-external-affairs"] in chain
    assert dataset.value(ID["organization/argentine-state-owned-lithium-enterprise"], MD.actsFor) == ID[
        "country/argentina"]


def test_reference_geography_and_memberships(dataset: Dataset) -> None:
    reference = dataset.graph(GRAPH.reference)
    argentina = ID["country/argentina"]
    assert ID["continent/south-america"] in set(reference.objects(argentina, MD.locatedIn))
    assert reference.value(ID["region/latin-america-and-the-caribbean"], MD.m49Code) == Literal("419")
    latin_america = ID["region/latin-america-and-the-caribbean"]
    assert (ID["region/latin-america"], SKOS.closeMatch, latin_america) in reference
    with (SHARED_DIR / "reference" / "regions.csv").open(encoding="utf-8") as handle:
        msp = [r["iso_alpha2"] for r in csv.DictReader(handle) if r["msp"] == "yes"]
    members = set(reference.subjects(ORG.organization, ID["organization/minerals-security-partnership"]))
    assert len(members) == len(msp) == 15
    assert (ID["membership/india/g7"], None, None) not in dataset
    assert reference.value(ID["organization/jervois-global"], MD.country) == ID["country/australia"]


def test_every_fact_lies_within_its_property_s_domain_and_range(dataset: Dataset) -> None:
    """What the records assert stays inside the domains and ranges the ontology gives (a party is
    had by an arrangement and is an actor; a status by an undertaking): a record that put a
    property on another kind of thing would make HermiT infer a class nobody wrote, so it is
    caught here from the asserted types alone (the reasoner's graph left out)."""
    from mineral_diplomacy.ontology.vocabulary import load_ontology

    ontology = load_ontology()
    asserted = [(s, p, o) for s, p, o, g in dataset.quads((None, None, None, None)) if g != GRAPH.inferred]
    types: dict[object, set[object]] = {}
    for s, p, o in asserted:
        if p == RDF.type:
            types.setdefault(s, set()).update(ontology.transitive_objects(o, RDFS.subClassOf))
    outside = []
    for s, p, o in asserted:
        for axis, node in ((RDFS.domain, s), (RDFS.range, o)):
            end = ontology.value(p, axis)
            is_class = isinstance(end, URIRef) and (end, RDF.type, OWL.Class) in ontology
            if is_class and isinstance(node, URIRef) and end not in types.get(node, set()):
                outside.append((str(s), str(p), str(o), str(axis)))
    assert not outside, outside[:10]
    domains = {p: ontology.value(p, RDFS.domain) for p in (MD.party, MD.status, MD.stage, MD.secures)}
    assert domains == {MD.party: MD.Arrangement, MD.status: MD.Undertaking, MD.stage: MD.Undertaking,
                       MD.secures: MD.Undertaking}
