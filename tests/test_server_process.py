"""The real server process (gunicorn) with real clients: SPARQLWrapper, rdflib's SPARQLStore, HTTP."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

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
    rows = list(
        graph.query("""
        SELECT ?partner WHERE {
          <https://w3id.org/mineral-diplomacy/id/agreement/india-australia-critical-mineral-investment-partnership>
            <https://w3id.org/mineral-diplomacy/ontology#party> ?partner }""")
    )
    assert {str(r[0]).rsplit("/", 1)[-1] for r in rows} == {"kabil", "australia"}


def test_raw_http_post_and_headers(server_url: str) -> None:
    host, port = urllib.parse.urlsplit(server_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request(
        "POST",
        "/sparql",
        body="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 200 and response.getheader("Content-Type").startswith("text/csv")
    assert body.splitlines()[0] == "n" and int(body.splitlines()[1]) > 4000
    assert response.getheader("Access-Control-Allow-Origin") == "*"
    connection.close()


def test_runaway_query_stopped_while_others_are_served(server_url: str) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:  # from another client (address): each may run one query at a time
        started = time.monotonic()
        host, port = urllib.parse.urlsplit(server_url).netloc.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60, source_address=("127.0.0.2", 0))
        connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": RUNAWAY, "timeout": "2"}))
        answer = connection.getresponse()
        outcome["status"], outcome["body"] = answer.status, answer.read().decode()
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    quick = urllib.request.urlopen(
        f"{server_url}/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}), timeout=30
    )
    assert json.loads(quick.read())["boolean"] is True
    assert time.monotonic() - started < 1.5  # answered while the runaway query ran
    thread.join()
    assert outcome["status"] == 503 and "stopped after 2 s" in str(outcome["body"])
    assert float(outcome["seconds"]) < 6  # type: ignore[arg-type]
    health = json.loads(urllib.request.urlopen(f"{server_url}/health", timeout=10).read())
    assert health["status"] == "ok"


Answer = tuple[str, dict[str, str], bytes]


def _exchange(server_url: str, *batches: bytes, slow: bool = False) -> list[Answer]:
    """Send each batch of raw requests on one connection, reading its answers before the next
    batch: (status line, headers, body) for each request. A slow client has a small receive
    buffer and waits a little before reading."""
    import socket

    host, port = urllib.parse.urlsplit(server_url).netloc.split(":")
    found = []
    with socket.socket() as sock:
        if slow:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect((host, int(port)))
        reader = sock.makefile("rb")
        for batch in batches:
            sock.sendall(batch)
            if slow:
                time.sleep(0.2)
            for _ in range(batch.count(b"\r\n\r\n")):
                status = reader.readline().decode().strip()
                headers = {}
                while line := reader.readline().decode().strip():
                    name, _, value = line.partition(":")
                    headers[name.lower()] = value.strip()
                found.append((status, headers, reader.read(int(headers.get("content-length", 0)))))
    return found


def test_repeated_get_is_answered_from_the_answer_cache(
    server_url: str, server_log: Path
) -> None:
    query = f"SELECT ?p ?o WHERE {{ <{KABIL}> ?p ?o }} # cache test"
    target = "/sparql?" + urllib.parse.urlencode({"query": query})
    get = f"GET {target} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n".encode()
    health = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    first, second, after, repeat = _exchange(server_url, get + get + health, get)
    assert first[0] == second[0] == repeat[0] == "HTTP/1.1 200 OK" and after[2].startswith(b'{"status"')
    assert first[2] == second[2] == repeat[2] and first[2].startswith(b"p,o\r\n")
    assert first[1]["x-cache"] == "miss" and second[1]["x-cache"] == repeat[1]["x-cache"] == "hit"
    for header in ("content-type", "access-control-allow-origin", "vary", "x-result-size-limit", "x-timeout",
                   "etag", "cache-control"):
        assert repeat[1][header] == first[1][header], header
    assert first[1]["cache-control"] == "public, max-age=60"
    # a client that kept the answer asks whether it changed, and is told it did not
    tag = first[1]["etag"]
    conditional = get.replace(b"\r\n\r\n", f"\r\nIf-None-Match: {tag}\r\n\r\n".encode())
    (not_modified,) = _exchange(server_url, conditional)
    assert not_modified[0] == "HTTP/1.1 304 NOT MODIFIED" and not_modified[2] == b""
    assert not_modified[1]["etag"] == tag and not_modified[1]["cache-control"] == "public, max-age=60"
    # every query has its log line, the ones answered from the cache too
    time.sleep(0.2)
    lines = [
        line for line in server_log.read_text().splitlines() if "cache+test" in line or "cache test" in line
    ]  # as sent, and as parsed
    # the repeat on the first connection comes from its worker's answers; the conditional request,
    # on a new connection, may reach the other worker, which answers 304 all the same
    assert len(lines) == 4 and sum("cached=yes" in line for line in lines) >= 2, lines
    assert sum("status=304" in line for line in lines) == 1, lines


def test_a_cached_get_asking_to_close_is_answered_and_closed(server_url: str) -> None:
    target = "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    get = f"GET {target} HTTP/1.1\r\nHost: x\r\n"
    _, answer = _exchange(server_url, f"{get}\r\n".encode(), f"{get}Connection: close\r\n\r\n".encode())
    assert answer[1]["connection"] == "close" and answer[1]["x-cache"] == "hit" and b"true" in answer[2]


def test_a_large_cached_answer_reaches_a_slow_client_whole(server_url: str) -> None:
    target = "/sparql?" + urllib.parse.urlencode({"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
    get = f"GET {target} HTTP/1.1\r\nHost: x\r\nAccept: application/n-triples\r\n\r\n".encode()
    first, repeat, health = _exchange(
        server_url, get, get, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", slow=True
    )
    assert len(first[2]) > 200_000 and repeat[2] == first[2] and repeat[1]["x-cache"] == "hit"
    assert health[0] == "HTTP/1.1 200 OK"


SELECT_FORMATS = ("json", "xml", "csv", "tsv")
GRAPH_FORMATS = ("turtle", "n3", "xml", "rdf+xml", "json-ld")


KABIL_LABEL = (
    "SELECT ?label WHERE { <https://w3id.org/mineral-diplomacy/id/organization/kabil> "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
)
KABIL_GRAPH = (
    "CONSTRUCT { ?s ?p ?o } WHERE { BIND(<https://w3id.org/mineral-diplomacy/id/organization/kabil> "
    "AS ?s) ?s ?p ?o }"
)


@pytest.mark.parametrize(
    ("return_format", "query", "expected"),
    [(f, KABIL_LABEL, "Khanij Bidesh India Ltd") for f in SELECT_FORMATS]
    + [(f, KABIL_GRAPH, "kabil") for f in GRAPH_FORMATS],
)
def test_sparqlwrapper_default_settings_in_every_format(
    server_url: str, return_format: str, query: str, expected: str
) -> None:
    """SPARQLWrapper sends format, output and results, some twice, beside Accept: all are read."""
    client = SPARQLWrapper(f"{server_url}/sparql", returnFormat=return_format)
    client.setQuery(query)
    result = client.query()
    assert result.response.status == 200
    assert expected in result.response.read().decode()


def test_an_abandoned_query_is_stopped(server_url: str, server_log: Path) -> None:
    """A client that closes its connection while its query runs: the query is stopped within a
    second (it kept its evaluator and the client's share until its time limit: the same client's
    next query got 429)."""
    import socket

    host, port = urllib.parse.urlsplit(server_url).netloc.split(":")
    source = ("127.0.0.3", 0)
    abandoned = socket.create_connection((host, int(port)), source_address=source)
    query = urllib.parse.urlencode({"query": RUNAWAY + " # abandoned", "timeout": "5"})
    abandoned.sendall(f"GET /sparql?{query} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    time.sleep(0.5)  # it runs
    abandoned.close()
    time.sleep(0.6)  # the server notices within a quarter of a second, then frees the evaluator
    connection = http.client.HTTPConnection(host, int(port), timeout=30, source_address=source)
    connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o } # next"}))
    answer = connection.getresponse()
    assert answer.status == 200, (answer.status, answer.read())
    assert "status=499" in server_log.read_text()  # logged as stopped, the client being gone
