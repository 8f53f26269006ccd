"""The questions in queries/ give their expected answers on the built graph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from mineral_diplomacy.graph.pipeline import run_build
from mineral_diplomacy.queries.catalogue import Question, answer_rows, differences, load_questions
from mineral_diplomacy.server.store import load_store, select, text

QUESTIONS = load_questions()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    return load_store(run_build(out_dir=tmp_path_factory.mktemp("out")).release)


def test_questions_are_complete() -> None:
    assert {"disagreements", "common-critical-minerals-india-us"} <= {q.id for q in QUESTIONS}
    for question in QUESTIONS:
        assert question.question.endswith("?") and question.asked_by and question.sparql
        assert Path(__file__).parent.parent.joinpath("queries", f"{question.id}.yaml").exists()


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_question_gives_its_expected_answer(store: ox.Store, question: Question) -> None:
    problems = differences(question, answer_rows(store, question))
    assert not problems, "\n".join([f"{question.id}: {question.question}", *problems])


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
    assert [(text(r["count"]), text(r["file"])) for r in rows] == [
        ("13", "000_20ec0fe7883e9450.txt"), ("14", "001_4f843c10bb2719b9.txt")]


def test_official_lists_have_their_stated_sizes(store: ox.Store) -> None:
    _, rows = select(store, """
        SELECT ?list (COUNT(DISTINCT ?item) AS ?items) ?year ?issuer WHERE {
          ?list a md:CriticalMineralList ; skos:member ?item ; dcterms:issued ?year ;
                md:issuer/rdfs:label ?issuer }
        GROUP BY ?list ?year ?issuer ORDER BY ?list""")
    got = {text(r["list"]).rsplit("/", 1)[-1]: (text(r["items"]), text(r["year"])) for r in rows}
    assert got == {"eu-2023": ("34", "2023"), "india-2023": ("30", "2023"), "usgs-2022": ("50", "2022")}
