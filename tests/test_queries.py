"""The questions in queries/ give their expected answers on the built graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.graph import SHARED_DIR
from mineral_diplomacy.graph.sources import project_sources
from mineral_diplomacy.ontology.namespaces import BASE
from mineral_diplomacy.queries.catalogue import (
    EMPTY_JUSTIFICATION,
    JUSTIFICATION,
    Question,
    answer_rows,
    differences,
    expected_rows,
    justifications,
    load_questions,
)
from mineral_diplomacy.release.store import load_store, select, text

from .conftest import NO_DOCUMENTS, SOURCE_003

QUESTIONS = load_questions()
NETWORK = pytest.mark.skip(reason="a federated query to a public endpoint: needs the network (CI has none)")
RUNNABLE = [pytest.param(q, marks=NETWORK) if q.needs_network else q for q in QUESTIONS]


@pytest.fixture(scope="module")
def store(published: Path) -> ox.Store:
    return load_store(published / "current")


def test_questions_are_complete() -> None:
    assert len(QUESTIONS) >= 45
    assert {"disagreements", "common-critical-minerals-india-us"} <= {q.id for q in QUESTIONS}
    for question in QUESTIONS:
        assert question.question.endswith("?") and question.asked_by and question.sparql
        assert question.theme and question.expected
        assert ("ask" in question.expected or question.expected["rows"]
                or question.expected.get(EMPTY_JUSTIFICATION)), question.id
        assert Path(__file__).parent.parent.joinpath("queries", f"{question.id}.yaml").exists()


@pytest.mark.parametrize("question", [q for q in RUNNABLE if "ask" not in getattr(q, "expected", {})],
                         ids=lambda q: q.id)
def test_every_row_leads_to_its_source(store: ox.Store, question: Question) -> None:
    """Each row carries a quote, or an entity IRI whose page shows the quotes behind it."""
    for row in answer_rows(store, question):
        assert any(k in row and row[k] for k in ("quote", "aQuote", "claimQuote")) or any(
            v.startswith(BASE) for v in row.values()), (question.id, row)


def test_cli_lists_and_answers_questions(published: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--list"]) == 0
    listing = capsys.readouterr().out
    assert all(q.id in listing for q in QUESTIONS)
    assert main(["ask", "grouping-sizes", "--out", str(published)]) == 0
    table = capsys.readouterr().out
    assert "000_20ec0fe7883e9450.txt" in table and " 14 " in table and "3 row(s)" in table
    assert main(["ask", "no-such-question", "--out", str(published)]) == 2


@pytest.mark.parametrize("question", RUNNABLE, ids=lambda q: q.id)
def test_question_gives_its_expected_answer(store: ox.Store, question: Question) -> None:
    problems = differences(question, answer_rows(store, question))
    assert not problems, "\n".join([f"{question.id}: {question.question}", *problems])


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_expected_rows_say_which_passages_justify_them(question: Question) -> None:
    """Every expected row (or ASK answer) cites the source passages or reference rows it comes
    from; each passage is verbatim in its source, each reference row is in its table."""
    assert all(row.get(JUSTIFICATION) for row in expected_rows(question)), question.id
    sources = project_sources(SHARED_DIR)
    for cited in justifications(question):
        if "source" in cited:
            assert sources.contains(str(cited["source"]), str(cited["quote"])), (question.id, cited)
        else:
            assert _rows_matching(str(cited["reference"]), cited.get("row", {})), (question.id, cited)  # type: ignore[arg-type]


def _rows_matching(table: str, cells: dict[str, object]) -> int:
    """How many rows of a reference table have every cell given (no cells: the table exists)."""
    import csv

    with (SHARED_DIR / "reference" / table).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sum(all(row.get(k) == str(v) for k, v in cells.items()) for row in rows)


def test_a_change_over_time_is_not_a_disagreement(store: ox.Store) -> None:
    """The mission was announced (000, 001) and later launched (002): a history, not a disagreement.
    Claims are ordered by the first day their date stands for, not as text (as text, "2025" sorts
    before "2025-01-01")."""
    question = next(q for q in QUESTIONS if q.id == "disagreements")
    rows = answer_rows(store, question)
    mission = [r for r in rows if r["subject"].endswith("/programme/critical-mineral-mission")]
    assert {r["kind"] for r in mission} == {"change over time"}
    assert {(r["valueA"], r["asOfA"], r["valueB"], r["asOfB"]) for r in mission} == {
        ("announced", "2024-11-29", "launched / in implementation", "2025"),
        ("announced", "2024-12-23", "launched / in implementation", "2025")}
    assert {r["kind"] for r in rows if r["subject"].endswith("/minerals-security-partnership")} == {
        "disagreement"}


def test_a_changed_answer_is_reported_readably() -> None:
    question = Question("q", "Q?", "who", "", "SELECT ?x {}", {"match": "exact", "rows": [{"x": "1"}]})
    assert differences(question, [{"x": "2"}]) == ["missing row: {'x': '1'}", "unexpected row: {'x': '2'}"]


def test_every_disagreement_row_cites_two_documents_with_quotes(store: ox.Store) -> None:
    question = next(q for q in QUESTIONS if q.id == "disagreements")
    _, rows = select(store, question.sparql)
    assert len(rows) >= 2
    for row in rows:
        assert text(row["sourceA"]) != text(row["sourceB"])
        assert text(row["quoteA"]) and text(row["quoteB"])


def test_msp_size_disagreement_is_kept_with_both_sources(store: ox.Store) -> None:
    _, rows = select(store, """
        SELECT ?count ?file WHERE {
          GRAPH ?g { <https://w3id.org/mineral-diplomacy/id/organization/minerals-security-partnership>
                       md:statedCountryCount ?count }
          ?g prov:wasDerivedFrom/md:fileName ?file }
        ORDER BY ?count""")
    # 000: "includes 13 countries and the European Union"; 001: "involving 14 countries, and the EU";
    # the State Department's note (September 2023): "14 partners", thirteen countries and the EU.
    assert sorted((text(r["count"]), text(r["file"])) for r in rows) == [
        ("13", "000_20ec0fe7883e9450.txt"), ("13", "msp-expands-norway-italy-india.txt"),
        ("14", "001_4f843c10bb2719b9.txt")]


def test_official_lists_have_their_stated_sizes(store: ox.Store) -> None:
    _, rows = select(store, """
        SELECT ?list (COUNT(DISTINCT ?item) AS ?items) ?year ?issuer WHERE {
          ?list a md:CriticalMineralList ; skos:member ?item ; dcterms:issued ?year ;
                md:issuer/rdfs:label ?issuer }
        GROUP BY ?list ?year ?issuer ORDER BY ?list""")
    got = {text(r["list"]).rsplit("/", 1)[-1]: (text(r["items"]), text(r["year"])) for r in rows}
    assert got == {"eu-2023": ("34", "2023"), "india-2023": ("30", "2023"), "usgs-2022": ("50", "2022")}


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_question_is_portable_sparql(question: Question) -> None:
    """Each question parses with rdflib's SPARQL 1.1 parser too, not only with Oxigraph."""
    from rdflib.plugins.sparql import prepareQuery

    prepareQuery(question.sparql)


def test_the_primary_source_filter_keeps_what_a_primary_document_states(records_dir: Path,
                                                                        tmp_path: Path) -> None:
    """No seed document is primary, so the question's filter is checked on a small record set
    whose document is typed a government release: what it states outright is listed; a vague
    mention of another thing in it is not, and that thing is listed as resting on identification."""
    from mineral_diplomacy.release.pipeline import run_build

    (records_dir / "test.yaml").write_text(f"""
- id: source/release
  type: SourceDocument
  title: A release
  issued: 2024-12-17
  document_type: governmentRelease
  file_name: {SOURCE_003}
  source: {SOURCE_003}
  quote: India's Mineral Diplomacy Strategy
- id: project/kabil-effort
  type: AssetAcquisition
  label: KABIL's effort
  stages: mining
  source: {SOURCE_003}
  quote: KABIL is also working to secure mineral supplies
- id: project/other-effort
  type: Project
  label: Another effort
  stages: mining
  mention: vague
  linked_by: a curator (2026-12)
  note: The passage does not name it.
  source: {SOURCE_003}
  quote: India has prioritized forging ties
""", encoding="utf-8")
    built = run_build(records_dir=records_dir, out_dir=tmp_path / "out", documents_dir=NO_DOCUMENTS)
    store = load_store(built.release)
    by_id = {q.id: q for q in QUESTIONS}
    listed = answer_rows(store, by_id["primary-corroborated"])
    assert [(r["name"], r["type"]) for r in listed] == [("KABIL's effort", "government release")]
    resting = {(r["name"], r["propertyName"]) for r in answer_rows(store, by_id["identification-only"])}
    assert ("Another effort", "value-chain stage") in resting
    assert not any(name == "KABIL's effort" for name, _ in resting)
