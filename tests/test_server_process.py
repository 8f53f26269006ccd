"""The real server process (gunicorn) with real clients: SPARQLWrapper, rdflib's SPARQLStore, HTTP."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
import urllib.request

import pytest
from rdflib import Graph
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

KABIL = "https://w3id.org/mineral-diplomacy/id/organization/kabil"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_sparqlwrapper_select_ask_construct(server_url: str) -> None:
    client = SPARQLWrapper(f"{server_url}/sparql")
    client.setQuery(f"SELECT ?label WHERE {{ <{KABIL}> rdfs:label ?label }}")
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]  # type: ignore[index]
    assert [r["label"]["value"] for r in rows] == ["Khanij Bidesh India Ltd"]
    client.setQuery(f"ASK {{ <{KABIL}> a md:StateOwnedEnterprise }}")
    assert client.query().convert()["boolean"] is True  # type: ignore[index]
    client.setQuery(f"CONSTRUCT {{ <{KABIL}> ?p ?o }} WHERE {{ <{KABIL}> ?p ?o }}")
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")  # type: ignore[arg-type]
    assert len(graph) > 5


def test_sparqlwrapper_sees_a_malformed_query_as_such(server_url: str) -> None:
    client = SPARQLWrapper(f"{server_url}/sparql")
    client.setQuery("SELECT * WHERE { ?s ?p }")
    client.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed):
        client.query()


def test_rdflib_sparqlstore(server_url: str) -> None:
    graph = Graph(store=SPARQLStore(f"{server_url}/sparql", returnFormat="json"))
    rows = list(graph.query("""
        SELECT ?partner WHERE {
          <https://w3id.org/mineral-diplomacy/id/agreement/kabil-australia-critical-mineral-investment-partnership>
            <https://w3id.org/mineral-diplomacy/ontology#party> ?partner }"""))
    assert {str(r[0]).rsplit("/", 1)[-1] for r in rows} == {"kabil", "australia"}


def test_raw_http_post_and_headers(server_url: str) -> None:
    host, port = urllib.parse.urlsplit(server_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("POST", "/sparql", body="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                       headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/csv")
    assert body.splitlines()[0] == "n" and int(body.splitlines()[1]) > 4000
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    connection.close()


def test_runaway_query_stopped_while_others_are_served(server_url: str) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        url = f"{server_url}/sparql?" + urllib.parse.urlencode({"query": RUNAWAY, "timeout": "2"})
        try:
            urllib.request.urlopen(url, timeout=60)
        except urllib.error.HTTPError as error:
            outcome["status"], outcome["body"] = error.code, error.read().decode()
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    quick = urllib.request.urlopen(
        f"{server_url}/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}), timeout=30)
    assert json.loads(quick.read())["boolean"] is True
    assert time.monotonic() - started < 1.5  # answered while the runaway query ran
    thread.join()
    assert outcome["status"] == 503 and "stopped after 2 s" in str(outcome["body"])
    assert float(outcome["seconds"]) < 6  # type: ignore[arg-type]
    health = json.loads(urllib.request.urlopen(f"{server_url}/health", timeout=10).read())
    assert health["status"] == "ok"
