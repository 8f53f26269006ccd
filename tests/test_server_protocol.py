"""The SPARQL 1.1 Protocol, pages and limits, through Flask's test client."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, VOID

from mineral_diplomacy.ontology.namespaces import GRAPH
from mineral_diplomacy.queries.catalogue import load_questions
from mineral_diplomacy.release.layout import publish
from mineral_diplomacy.server.app import ServerConfig, create_app
from mineral_diplomacy.server.federation import ServiceNotAllowed, check_services, service_targets
from mineral_diplomacy.server.store import load_current

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
KABIL = "https://w3id.org/mineral-diplomacy/id/organization/kabil"


@pytest.fixture(scope="module")
def client(published: Path) -> FlaskClient:
    config = ServerConfig(
        build_dir=published,
        default_timeout=5,
        max_timeout=8,
        max_result_bytes=200_000,
        max_query_chars=5_000,
        max_request_bytes=8_000,
    )
    return create_app(config).test_client()


def _json(response) -> dict:
    assert response.status_code == 200, response.data
    return json.loads(response.data)


def _count(response) -> int:
    return int(_json(response)["results"]["bindings"][0]["n"]["value"])


# --- query operation: GET, POST form, POST body, datasets ---------------------------------------


def test_get_post_form_and_post_body_give_the_same_answer(client: FlaskClient) -> None:
    by_get = _count(client.get("/sparql", query_string={"query": COUNT}))
    by_form = _count(client.post("/sparql", data={"query": COUNT}))
    by_body = _count(client.post("/sparql", data=COUNT, content_type="application/sparql-query"))
    assert by_get == by_form == by_body > 4000


def test_default_and_named_graph_uri_are_honoured(client: FlaskClient) -> None:
    ontology = _count(
        client.get("/sparql", query_string={"query": COUNT, "default-graph-uri": str(GRAPH.ontology)})
    )
    everything = _count(client.get("/sparql", query_string={"query": COUNT}))
    assert 800 < ontology < everything
    rows = _json(
        client.get(
            "/sparql",
            query_string={
                "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                "named-graph-uri": [str(GRAPH.lists), str(GRAPH.reference)],
            },
        )
    )["results"]["bindings"]
    assert sorted(r["g"]["value"] for r in rows) == sorted([str(GRAPH.lists), str(GRAPH.reference)])


def test_graph_uri_must_be_an_iri(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": COUNT, "default-graph-uri": "not an iri"})
    assert response.status_code == 400 and b"absolute IRI" in response.data


# --- formats and content negotiation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type", "marker"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", b'"bindings"'),
        ("application/sparql-results+xml", "application/sparql-results+xml", b"<sparql"),
        ("text/csv", "text/csv", b"n\r\n"),
        ("text/tab-separated-values", "text/tab-separated-values", b"?n\n"),
        (
            "text/csv;q=0.5, application/sparql-results+xml;q=0.9",
            "application/sparql-results+xml",
            b"<sparql",
        ),
        ("*/*", "application/sparql-results+json", b'"bindings"'),
        ("application/json", "application/sparql-results+json", b'"bindings"'),
    ],
)
def test_select_results_formats(client: FlaskClient, accept: str, media_type: str, marker: bytes) -> None:
    response = client.get("/sparql", query_string={"query": COUNT}, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type and marker in response.data


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/turtle", "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
    ],
)
def test_construct_formats_parse_back(client: FlaskClient, accept: str, media_type: str) -> None:
    query = f"CONSTRUCT {{ <{KABIL}> ?p ?o }} WHERE {{ <{KABIL}> ?p ?o }}"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == media_type
    parsed = Graph().parse(
        data=response.data,
        format={
            "text/turtle": "turtle",
            "application/n-triples": "nt",
            "application/ld+json": "json-ld",
            "application/rdf+xml": "xml",
        }[media_type],
    )
    assert len(parsed) > 5


def test_format_parameter_overrides_accept(client: FlaskClient) -> None:
    response = client.get(
        "/sparql",
        query_string={"query": COUNT, "format": "tsv"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.mimetype == "text/tab-separated-values"


def test_ask_and_describe(client: FlaskClient) -> None:
    ask = _json(client.get("/sparql", query_string={"query": f"ASK {{ <{KABIL}> ?p ?o }}"}))
    assert ask["boolean"] is True
    describe = client.get(
        "/sparql", query_string={"query": f"DESCRIBE <{KABIL}>"}, headers={"Accept": "text/turtle"}
    )
    assert describe.status_code == 200 and b"kabil" in describe.data


def test_406_when_nothing_acceptable(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": COUNT}, headers={"Accept": "image/png"})
    assert response.status_code == 406 and b"available" in response.data
    response = client.get("/sparql", query_string={"query": COUNT, "format": "turtle"})
    assert response.status_code == 406


# --- errors -------------------------------------------------------------------------------------


def test_malformed_query_gets_400_with_parser_message_and_position(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert response.status_code == 400
    assert b"Malformed query" in response.data and b"1:25" in response.data


def test_repeated_query_parameter(client: FlaskClient) -> None:
    response = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert response.status_code == 400 and b"given 2 times" in response.data


@pytest.mark.parametrize(
    "send",
    [
        lambda c: c.post("/sparql", data={"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}),
        lambda c: c.post(
            "/sparql", data="INSERT DATA { <a:b> <a:c> <a:d> }", content_type="application/sparql-update"
        ),
        lambda c: c.get("/sparql", query_string={"update": "CLEAR ALL"}),
    ],
)
def test_updates_are_refused(client: FlaskClient, send) -> None:
    response = send(client)
    assert response.status_code == 403 and b"read-only" in response.data


def test_wrong_method_and_wrong_content_type(client: FlaskClient) -> None:
    assert client.put("/sparql", data=COUNT).status_code == 405
    assert client.delete("/sparql").status_code == 405
    response = client.post("/sparql", data=COUNT, content_type="text/plain")
    assert response.status_code == 415


def test_request_body_and_query_length_limits(client: FlaskClient) -> None:
    big = "# " + "x" * 9_000 + "\n" + COUNT
    assert client.post("/sparql", data=big, content_type="application/sparql-query").status_code == 413
    long_query = "# " + "x" * 6_000 + "\n" + COUNT
    response = client.get("/sparql", query_string={"query": long_query})
    assert response.status_code == 413 and b"limit is 5000" in response.data


# --- limits that hold ---------------------------------------------------------------------------


def test_runaway_query_is_stopped_and_the_server_goes_on(client: FlaskClient) -> None:
    started = time.monotonic()
    response = client.get("/sparql", query_string={"query": RUNAWAY, "timeout": "1"})
    assert response.status_code == 503 and b"stopped after 1 s" in response.data
    assert time.monotonic() - started < 4
    assert _count(client.get("/sparql", query_string={"query": COUNT})) > 4000


def test_timeout_parameter_is_capped_and_checked(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}", "timeout": "1000"})
    assert response.headers["X-Timeout"] == "8"
    assert client.get("/sparql", query_string={"query": "ASK {}", "timeout": "soon"}).status_code == 400
    assert client.get("/sparql", query_string={"query": "ASK {}", "timeout": "-1"}).status_code == 400


def test_result_size_cap_is_announced_not_silent(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 422
    assert b"larger than the server's cap of 200000 bytes" in response.data
    assert response.headers["X-Result-Size-Limit"] == "200000"
    limited = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 10"})
    assert limited.status_code == 200


def test_answers_are_cached_per_build(client: FlaskClient) -> None:
    query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }"}
    first = client.get("/sparql", query_string=query)
    second = client.get("/sparql", query_string=query)
    assert first.headers["X-Cache"] == "miss" and second.headers["X-Cache"] == "hit"
    assert first.data == second.data


def test_answers_carry_validators_and_a_matching_if_none_match_gets_304(client: FlaskClient) -> None:
    query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s a md:Agreement } # validators"}
    first = client.get("/sparql", query_string=query)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=60"
    # answered from the request cache: 304, no body, the same validators
    again = client.get("/sparql", query_string=query, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["X-Cache"] == "hit"
    assert again.headers["ETag"] == tag and again.headers["Cache-Control"] == first.headers["Cache-Control"]
    # a list naming it, or *, match too; another tag does not
    listed = client.get("/sparql", query_string=query, headers={"If-None-Match": f'"other", {tag}'})
    assert listed.status_code == 304
    assert client.get("/sparql", query_string=query, headers={"If-None-Match": "*"}).status_code == 304
    stale = client.get("/sparql", query_string=query, headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.data == first.data
    # the answer depends on the Accept header, so does the tag; not on the Host header, which the
    # endpoint never reads (relative IRIs resolve against its public URL)
    csv = client.get("/sparql", query_string=query, headers={"Accept": "text/csv"})
    elsewhere = client.get("/sparql", query_string=query, base_url="http://example.org")
    assert csv.headers["ETag"] != tag and elsewhere.headers["ETag"] == tag
    # If-None-Match is for GET and HEAD: a POST is answered
    posted = client.post("/sparql", data=query, headers={"If-None-Match": "*"})
    assert posted.status_code == 200 and posted.data == first.data


def test_a_fresh_process_answers_a_known_tag_with_304(published: Path) -> None:
    """The tag depends on the release and the request, not on what a process has seen."""
    query = {"query": "ASK { ?s a md:Mineral }"}
    tag = create_app(ServerConfig(build_dir=published)).test_client().get("/sparql", query_string=query)
    other = create_app(ServerConfig(build_dir=published, max_age=5)).test_client()
    answer = other.get("/sparql", query_string=query, headers={"If-None-Match": tag.headers["ETag"]})
    assert answer.status_code == 304 and answer.headers["X-Cache"] == "miss"
    assert answer.headers["Cache-Control"] == "public, max-age=5"


def test_errors_carry_no_validators(client: FlaskClient) -> None:
    bad = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
    assert bad.status_code == 400 and "ETag" not in bad.headers and "Cache-Control" not in bad.headers


def test_cors_for_reads(client: FlaskClient) -> None:
    assert (
        client.get("/sparql", query_string={"query": "ASK {}"}).headers["Access-Control-Allow-Origin"] == "*"
    )
    preflight = client.options(
        "/sparql", headers={"Origin": "http://example.org", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 204 and "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_each_query_is_logged_with_its_duration(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="mineral_diplomacy.server"):
        client.get("/sparql", query_string={"query": "ASK { ?s ?p 1 }"})
    assert any("query status=200 ms=" in r.getMessage() for r in caplog.records)


# --- federation ---------------------------------------------------------------------------------


def test_service_calls_outside_the_allow_list_are_refused(client: FlaskClient) -> None:
    for query in (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9999/sparql> { ?s ?p ?o } }",
        "PREFIX x: <http://10.0.0.1/> SELECT * WHERE { SERVICE SILENT x:sparql { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        # an escaped IRI, which the SPARQL parser decodes (and the lexer once skipped)
        r"SELECT * WHERE { SERVICE <http://127.0.0.1:9999/\u0078> { ?s ?p ?o } }",
        r"SELECT * WHERE { SERVICE <http://127.0.0.1:9999/\q> { ?s ?p ?o } }",
    ):
        response = client.get("/sparql", query_string={"query": query})
        assert response.status_code == 403 and b"not allowed" in response.data


def test_service_targets_skip_strings_and_comments() -> None:
    query = """BASE <http://a.example/> PREFIX e: <http://b.example/>
        SELECT * WHERE { # SERVICE <http://c.example/> in a comment
          ?s ?p "SERVICE <http://d.example/>" .
          SERVICE <sparql> { ?s ?p ?o } SERVICE e:q { ?s ?p ?o } }"""
    # a target is compared as written: a relative one stays relative, and never matches
    assert service_targets(query) == ["sparql", "http://b.example/q"]


def test_service_targets_are_decoded_as_the_sparql_parser_does() -> None:
    query = r"""PREFIX e: <http://b.\u0065xample/>
        SELECT * WHERE { SERVICE <http://a.example/\u0073parql> { ?s ?p ?o }
                         SERVICE e:a\/b { ?s ?p ?o } SERVICE SILENT <x\y> { ?s ?p ?o } }"""
    assert service_targets(query) == ["http://a.example/sparql", "http://b.example/a/b", "<"]


def test_prefixed_names_are_read_with_the_grammars_characters() -> None:
    """A prefix that starts with a letter outside ASCII is one prefix (the lexer once read "é:" as
    "é" and the empty prefix, so a later "PREFIX :" made "é:sparql" look allow-listed while the
    parser called the other IRI); a final dot ends the statement, not the name."""
    query = ("PREFIX é: <http://evil.example/> PREFIX : <http://allowed.example/> "
             "SELECT * { SERVICE é:sparql { ?s ?p ?o } }")
    assert service_targets(query) == ["http://evil.example/sparql"]
    with pytest.raises(ServiceNotAllowed):
        check_services(query, frozenset({"http://allowed.example/sparql"}))
    assert service_targets("PREFIX e: <http://a.example/> SELECT * { SERVICE e:x. {} }") == ["http://a.example/x"]
    assert service_targets("PREFIX e·f: <http://a.example/> SELECT * { SERVICE e·f:y {} }") == ["http://a.example/y"]


# --- service description and VoID --------------------------------------------------------------


def test_bare_get_gives_the_service_description_with_void_statistics(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    description = Graph().parse(data=response.data, format="turtle")
    assert (None, RDF.type, SD.Service) in description
    triples = sorted(int(t) for t in description.objects(None, VOID.triples))
    everything = _count(client.get("/sparql", query_string={"query": COUNT}))
    assert everything in triples
    named = {str(n) for n in description.objects(None, SD.name)}
    assert {str(GRAPH.ontology), str(GRAPH.provenance), str(GRAPH.lists)} <= named
    assert len(named) > 200  # one per record graph too


def test_browser_on_the_endpoint_goes_to_the_editor(client: FlaskClient) -> None:
    response = client.get("/sparql", headers={"Accept": "text/html"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")


def test_void_document(client: FlaskClient) -> None:
    response = client.get("/void", headers={"Accept": "application/ld+json"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert client.get("/.well-known/void").status_code == 303


# --- pages, downloads, health -------------------------------------------------------------------


def test_entity_page_for_people_shows_quotes_and_sources(client: FlaskClient) -> None:
    response = client.get(
        "/id/agreement/india-argentina-lithium-exploration-pact", headers={"Accept": "text/html"}
    )
    page = response.data.decode()
    assert response.status_code == 200
    assert "India–Argentina lithium exploration pact" in page
    assert "five lithium brine blocks" in page and "003_b26980c2506844ff.txt" in page
    assert 'href="/id/country/argentina"' in page


def test_replaced_iri_redirects_to_the_entity_it_was_merged_into(client: FlaskClient) -> None:
    old = client.get("/id/project/msp-lithium-projects-south-america?format=turtle")
    assert old.status_code == 301
    assert old.headers["Location"].endswith("/id/project/msp-argentina-lithium-exploration?format=turtle")
    assert client.get("/id/project/no-such-thing").status_code == 404


def test_entity_iri_gives_rdf_to_machines(client: FlaskClient) -> None:
    turtle = client.get("/id/organization/kabil", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle" and len(Graph().parse(data=turtle.data, format="turtle")) > 5
    jsonld = client.get("/id/organization/kabil?format=jsonld")
    assert jsonld.mimetype == "application/ld+json"
    assert client.get("/id/organization/no-such-thing", headers={"Accept": "text/html"}).status_code == 404
    assert client.get("/id/organization/no-such-thing", headers={"Accept": "text/turtle"}).status_code == 404


def test_record_page_shows_its_quote(client: FlaskClient) -> None:
    response = client.get(
        "/record/001/organization/minerals-security-partnership/size", headers={"Accept": "text/html"}
    )
    assert response.status_code == 200 and "involving 14 countries" in response.data.decode()


def test_downloads(client: FlaskClient) -> None:
    trig = client.get("/download/dataset.trig")
    assert trig.status_code == 200 and trig.mimetype == "application/trig"
    assert client.get("/download/dataset.nq").mimetype == "application/n-quads"
    assert client.get("/download/../pyproject.toml").status_code == 404
    assert client.get("/download/secrets.txt").status_code == 404


def test_health(client: FlaskClient) -> None:
    body = _json(client.get("/health"))
    assert body["status"] == "ok" and body["quads"] > 4000


def test_editor_page_offers_the_example_questions(client: FlaskClient) -> None:
    page = client.get("/").data.decode()
    assert "Where do the source documents disagree" in page and "/vendor/yasgui/yasgui.min.js" in page
    assert client.get("/vendor/yasgui/yasgui.min.js").status_code == 200


# --- the served graph changes only to a complete, checked build ---------------------------------


def test_a_worker_serves_the_release_it_loaded_for_its_whole_life(tmp_path: Path, published: Path) -> None:
    """A new release is served by new workers (gunicorn's graceful reload), never swapped inside a
    running one; a build in progress is never loaded."""
    files = {p.name: p.read_bytes() for p in (published / "current").iterdir() if p.is_file()}
    out = tmp_path / "out"
    publish(files, out)
    running = create_app(ServerConfig(build_dir=out)).test_client()
    first = load_current(out)
    (out / "releases" / ".staging-half-written").mkdir()  # a build in progress is not picked up
    assert load_current(out).name == first.name
    changed = dict(files, **{"dataset.nq": files["dataset.nq"] + b"<urn:a> <urn:b> <urn:c> .\n"})
    publish(changed, out)
    newer = load_current(out)
    assert newer.name != first.name and len(newer.store) == len(first.store) + 1
    ask = {"query": "ASK { <urn:a> <urn:b> <urn:c> }"}
    assert b"false" in running.get("/sparql", query_string=ask).data  # the running worker: its release
    started_after = create_app(ServerConfig(build_dir=out)).test_client()  # a new worker: the new release
    assert b"true" in started_after.get("/sparql", query_string=ask).data


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_line_parts_cut_at_line_ends_and_lose_nothing(count: int) -> None:
    from mineral_diplomacy.release.store import line_parts

    data = b"".join(f"<s{i}> <p> <o> .\n".encode() for i in range(5))
    parts = [bytes(part) for part in line_parts(data, count)]
    assert b"".join(parts) == data and len(parts) == min(count, 5)
    assert all(part.endswith(b"\n") for part in parts)


def test_repeated_post_is_answered_from_the_request_cache(client: FlaskClient) -> None:
    query = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }"
    first = client.post("/sparql", data={"query": query})
    again = client.post("/sparql", data={"query": query})
    other_format = client.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert first.headers["X-Cache"] == "miss" and again.headers["X-Cache"] == "hit"
    assert again.data == first.data and other_format.mimetype == "text/csv"
    for header in ("Content-Type", "Access-Control-Allow-Origin", "Vary", "X-Result-Size-Limit", "X-Timeout"):
        assert again.headers[header] == first.headers[header], header


@pytest.mark.parametrize("extra", [
    b"",  # every line names its graph: the graph IRIs are cut off to read the default graph
    b'<urn:s> <urn:p> <urn:o> .\n<urn:s> <urn:p> "a <urn:x> ." .\n',  # triples already in the default graph
    b'_:b <urn:p> "x" <urn:g> .\n',  # a blank node: the file is loaded whole
])
def test_the_default_graph_is_the_merge_of_every_graph_whatever_the_file(tmp_path: Path,
                                                                         extra: bytes) -> None:
    from mineral_diplomacy.release.store import fill

    lines = (b'<urn:s> <urn:p> <urn:o> <urn:g1> .\n<urn:s> <urn:p> <urn:o> <urn:g2> .\n'
             b'<urn:s> <urn:p> "lit <urn:not-a-graph> ."^^<urn:type> <urn:g1> .\n'
             b'<urn:s> <urn:p> "en"@en <urn:g2> .\n' * 3)
    (tmp_path / "dataset.nq").write_bytes(lines + extra)
    store = ox.Store()
    fill(store, tmp_path)
    quads = set(ox.parse(input=lines + extra, format=ox.RdfFormat.N_QUADS))
    named = {q for q in store if not isinstance(q.graph_name, ox.DefaultGraph)}
    merged = {q.triple for q in store if isinstance(q.graph_name, ox.DefaultGraph)}
    assert len(named) == len({q for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)})
    assert len(merged) == len({q.triple for q in quads})  # every distinct triple once, none cut short
    literal = ox.Literal("lit <urn:not-a-graph> .", datatype=ox.NamedNode("urn:type"))
    assert literal in {t.object for t in merged}


def test_a_file_that_is_not_n_quads_fails_to_load(tmp_path: Path) -> None:
    """The fast reading of the default graph never hides a syntax error: the load fails."""
    from mineral_diplomacy.release.store import fill

    five_terms = b"<urn:s> <urn:p> <urn:g> <urn:o> <urn:g> .\n"
    (tmp_path / "dataset.nq").write_bytes(b"<urn:s> <urn:p> <urn:o> <urn:g> .\n" + five_terms)
    with pytest.raises(SyntaxError):
        fill(ox.Store(), tmp_path)


def test_large_releases_are_served_from_an_on_disk_store(
    tmp_path: Path, published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mineral_diplomacy.release.store import prepare_store

    monkeypatch.setenv("MINERAL_DIPLOMACY_STORE", "disk")  # as 'auto' does above 200,000 quads
    files = {p.name: p.read_bytes() for p in (published / "current").iterdir() if p.is_file()}
    release = publish(files, tmp_path / "out", prepare=prepare_store)
    in_memory = ox.Store()
    in_memory.bulk_load(path=release / "dataset.nq", format=ox.RdfFormat.N_QUADS)
    on_disk = ox.Store.read_only(str(release / "store"))  # loaded in parts, one per core
    named = {q for q in on_disk if not isinstance(q.graph_name, ox.DefaultGraph)}
    assert named == set(in_memory) and len(named) == len(files["dataset.nq"].splitlines())
    merged = {q.triple for q in on_disk if isinstance(q.graph_name, ox.DefaultGraph)}
    assert merged == {q.triple for q in in_memory}  # the default graph: every distinct triple once
    del on_disk
    client = create_app(ServerConfig(build_dir=tmp_path / "out", default_timeout=5)).test_client()
    assert _json(client.get("/health"))["store"] == "disk"
    assert _count(client.get("/sparql", query_string={"query": COUNT})) > 4000
    stopped = client.get("/sparql", query_string={"query": RUNAWAY, "timeout": "1"})
    assert stopped.status_code == 503
    page = client.get("/id/organization/kabil", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "KABIL" in page.data.decode()


# --- dataset semantics, encodings, media types ---------------------------------------------------


def _nquads(published: Path) -> list[str]:
    return (published / "current" / "dataset.nq").read_text(encoding="utf-8").splitlines()


LISTS = "https://w3id.org/mineral-diplomacy/graph/lists"


def test_the_default_graph_is_the_merge_of_the_graphs_as_a_set(client: FlaskClient, published: Path) -> None:
    distinct = {line.rsplit(" <", 1)[0] for line in _nquads(published)}  # each triple, without its graph
    assert len(distinct) < len(_nquads(published))  # some triples are stated in more than one graph
    assert _count(client.get("/sparql", query_string={"query": COUNT})) == len(distinct)
    labels = _json(
        client.get(
            "/sparql",
            query_string={
                "query": f"SELECT ?l WHERE {{ <{KABIL}> <http://www.w3.org/2004/02/skos/core#altLabel> ?l }}"
            },
        )
    )
    values = [row["l"]["value"] for row in labels["results"]["bindings"]]
    assert values.count("KABIL") == 1  # 001 and 003 both call it KABIL


def test_from_and_from_named_pick_graphs(client: FlaskClient, published: Path) -> None:
    in_lists = sum(1 for line in _nquads(published) if line.endswith(f"<{LISTS}> ."))
    assert (
        _count(
            client.get(
                "/sparql",
                query_string={"query": f"SELECT (COUNT(*) AS ?n) FROM <{LISTS}> WHERE {{ ?s ?p ?o }}"},
            )
        )
        == in_lists
    )
    assert (
        _count(
            client.get(
                "/sparql",
                query_string={"query": f"SELECT (COUNT(*) AS ?n) FROM NAMED <{LISTS}> WHERE {{ ?s ?p ?o }}"},
            )
        )
        == 0
    )  # no default graph
    graphs = _json(
        client.get(
            "/sparql",
            query_string={
                "query": f"SELECT DISTINCT ?g FROM NAMED <{LISTS}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
            },
        )
    )
    assert [row["g"]["value"] for row in graphs["results"]["bindings"]] == [LISTS]


def test_a_protocol_default_graph_alone_leaves_no_named_graphs(client: FlaskClient) -> None:
    answer = client.get(
        "/sparql",
        query_string={
            "query": "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
            "default-graph-uri": LISTS,
        },
    )
    assert _count(answer) == 0


def test_relative_iris_resolve_against_the_public_url_not_the_host(published: Path) -> None:
    """(The Host header once reached the BASE of the queries the engine sends to SERVICE calls.)"""
    client = create_app(ServerConfig(build_dir=published, public_url="https://kg.example.org")).test_client()
    answer = client.post(
        "/sparql",
        data="CONSTRUCT { <s> <p> 1 } WHERE {}",
        content_type="application/sparql-query",
        headers={"Accept": "application/n-triples", "Host": "attacker.example"},
    )
    assert answer.status_code == 200
    assert answer.data.decode().startswith("<https://kg.example.org/s> <https://kg.example.org/p> ")


def test_void_counts_distinct_triples(client: FlaskClient, published: Path) -> None:
    void = Graph().parse(data=client.get("/void", headers={"Accept": "text/turtle"}).data, format="turtle")
    dataset = URIRef("https://w3id.org/mineral-diplomacy/dataset")
    assert int(void.value(dataset, VOID.triples)) == len(
        {line.rsplit(" <", 1)[0] for line in _nquads(published)}
    )


@pytest.mark.parametrize(
    ("send", "status", "message"),
    [
        (
            lambda c: c.post(
                "/sparql",
                data='ASK { ?s ?p "caf\xe9" }'.encode("latin-1"),
                content_type="application/sparql-query",
            ),
            400,
            b"not UTF-8",
        ),
        (lambda c: c.get("/sparql?query=ASK%7B%3Fs%20%3Fp%20%22caf%E9%22%7D"), 400, b"not UTF-8"),
        (
            lambda c: c.post(
                "/sparql",
                data="query=ASK%7B%22caf%E9%22%7D",
                content_type="application/x-www-form-urlencoded",
            ),
            400,
            b"not UTF-8",
        ),
        (
            lambda c: c.post(
                "/sparql",
                data="ASK {}".encode("utf-16"),
                content_type="application/sparql-query; charset=UTF-16",
            ),
            415,
            b"UTF-8",
        ),
    ],
)
def test_text_that_is_not_utf8_is_refused_not_changed(
    client: FlaskClient, send, status: int, message: bytes
) -> None:  # type: ignore[no-untyped-def]
    answer = send(client)
    assert answer.status_code == status and message in answer.data


def test_a_byte_order_mark_before_the_query_is_accepted(client: FlaskClient) -> None:
    answer = client.post("/sparql", data="\ufeffASK {}".encode(), content_type="application/sparql-query")
    assert _json(answer)["boolean"] is True


def test_cors_preflight_allows_the_headers_a_browser_asks_for(client: FlaskClient) -> None:
    answer = client.options(
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-requested-with, authorization",
        },
    )
    allowed = {h.strip().lower() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-requested-with", "authorization"} <= allowed


@pytest.mark.parametrize(
    ("query", "accept", "media_type"),
    [
        (f"CONSTRUCT WHERE {{ <{KABIL}> ?p ?o }}", "application/n-quads", "application/n-quads"),
        (f"CONSTRUCT WHERE {{ <{KABIL}> ?p ?o }}", "application/trig", "application/trig"),
        (f"CONSTRUCT WHERE {{ <{KABIL}> ?p ?o }}", "text/plain", "application/n-triples"),
        (f"CONSTRUCT WHERE {{ <{KABIL}> ?p ?o }}", "text/rdf+n3", "text/n3"),
        (COUNT, "text/plain", "text/tab-separated-values"),
    ],
)
def test_what_can_be_served_is_served(client: FlaskClient, query: str, accept: str, media_type: str) -> None:
    answer = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert answer.status_code == 200 and answer.mimetype == media_type


def test_the_questions_are_served_as_json(client: FlaskClient) -> None:
    """The editor's examples as JSON, dates in the expected rows as ISO text (was a 500: YAML reads
    an unquoted date as a date, which JSON has no type for)."""
    served = _json(client.get("/queries.json"))
    assert [q["id"] for q in served] == [q.id for q in load_questions()]
    rows = next(q for q in served if q["id"] == "source-contributions")["expected"]["rows"]
    assert {"source": "000_20ec0fe7883e9450.txt", "date": "2024-11-29"}.items() <= rows[0].items()


def test_the_build_tells_only_servers_it_finds(tmp_path: Path) -> None:
    """A pid file left by a server that was killed may name a process that is no server: it is
    not signalled; a file that names nothing readable is passed over."""
    from mineral_diplomacy.server.reload import SERVERS_DIR, pid_file, reload_servers

    assert reload_servers(tmp_path) == []  # no server ever served this folder
    (tmp_path / SERVERS_DIR).mkdir()
    pid_file(tmp_path, 8765).write_text(f"{os.getpid()}\n")  # this test process: not a gunicorn
    pid_file(tmp_path, 8766).write_text("not a pid\n")
    assert reload_servers(tmp_path) == []
