"""The endpoint in front of another SPARQL engine (``serve --engine URL``): the oxigraph server,
loaded and run by ``mineral-diplomacy engine oxigraph``, gives every question the answer the
embedded evaluators give; the endpoint's guarantees hold whatever the engine does (a stand-in
engine plays the failures: answers cut short, partial, late, of another release)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask.testing import FlaskClient

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.queries.catalogue import Question, differences, load_questions
from mineral_diplomacy.release.engines import ENGINES_DIR, engine_store, oxigraph_command, oxigraph_program
from mineral_diplomacy.release.layout import publish
from mineral_diplomacy.release.store import NAMED_QUADS
from mineral_diplomacy.server.app import ServerConfig, create_app
from mineral_diplomacy.server.engine import RemoteEngine, not_sparql, query_form
from mineral_diplomacy.server.negotiation import GRAPH_FORMATS, RESULT_FORMATS

from .conftest import engine_server, free_port, wait_until_up

QUESTIONS = [q for q in load_questions() if not q.needs_network]
JSON = "application/sparql-results+json"
ENGINES = ["embedded", "oxigraph", "virtuoso"]


@pytest.fixture(scope="module")
def engines(published: Path) -> Iterator[dict[str, str]]:
    """The oxigraph server and Virtuoso holding the release: their query URLs."""
    with engine_server(published) as oxigraph, engine_server(published, "virtuoso") as virtuoso:
        yield {"oxigraph": oxigraph, "virtuoso": virtuoso}


@pytest.fixture(scope="module")
def clients(published: Path, engines: dict[str, str]) -> dict[str, FlaskClient]:
    """The endpoint on the embedded evaluators, on the oxigraph server and on Virtuoso, same release."""
    return {"embedded": create_app(ServerConfig(build_dir=published)).test_client(),
            **{name: create_app(ServerConfig(build_dir=published, engine=url)).test_client()
               for name, url in engines.items()}}


def rows_of(body: bytes) -> list[dict[str, str]]:
    """SPARQL JSON results as rows of text (an ASK answer as one row with 'ask')."""
    answer = json.loads(body)
    if "boolean" in answer:
        return [{"ask": str(answer["boolean"]).lower()}]
    return [{name: cell["value"] for name, cell in row.items()} for row in answer["results"]["bindings"]]


# Where Virtuoso 7.2 (Debian's) answers otherwise than SPARQL 1.1 says, found by the test below and
# documented in docs/serving.md; each is expected to fail, and the test fails the day one passes.
BAG = "its default graph is every graph as a bag: a triple held in two graphs counts twice"
CONCAT = "CONCAT with an unbound argument gives a string (SPARQL: an error, so COALESCE falls back)"
BOOLEAN = "a boolean expression's value comes back as the integer 0 or 1"
SQL = "compiles the query into SQL it cannot run (500: SQ200 'No column', or 'transitive start not given')"
VIRTUOSO_DIFFERS = {
    "amounts-by-currency": CONCAT, "holdings-abroad": CONCAT,
    "context-agreements": BOOLEAN, "mous-and-operational": BOOLEAN,
    "identification-only": BAG, "lists-designating-lithium": BAG,
    "countries-by-engagements": SQL, "engagements-by-continent": SQL, "engagements-by-region": SQL,
    "inside-the-indian-state": SQL, "source-vs-reference-countries": SQL,
    "engagements-with-a-partner-on-a-day": "a FILTER NOT EXISTS in an OPTIONAL that uses a variable bound "
                                           "outside it (?day) drops the OPTIONAL's match",
}
VIRTUOSO_CRASHES = "disagreements"  # Virtuoso stops (a segmentation fault) on this question


def on_engines(question: Question) -> list[object]:
    """The question on each engine, marked where Virtuoso is known to answer otherwise."""
    marks = {"virtuoso": [pytest.mark.xfail(strict=True, reason=VIRTUOSO_DIFFERS[question.id])]
             if question.id in VIRTUOSO_DIFFERS else []}
    return [pytest.param(question, engine, marks=marks.get(engine, []), id=f"{question.id}-{engine}")
            for engine in ENGINES if (question.id, engine) != (VIRTUOSO_CRASHES, "virtuoso")]


@pytest.mark.parametrize(("question", "engine"), [case for q in QUESTIONS for case in on_engines(q)])
def test_every_question_gives_its_expected_rows_on_every_engine(
        clients: dict[str, FlaskClient], engine: str, question: Question) -> None:
    response = clients[engine].post("/sparql", data={"query": question.sparql}, headers={"Accept": JSON})
    assert response.status_code == 200, response.data
    problems = differences(question, rows_of(response.data))
    assert not problems, "\n".join([f"{question.id} on {engine}", *problems])


def test_the_default_graph_is_the_set_of_triples_on_every_engine(clients: dict[str, FlaskClient],
                                                                  published: Path) -> None:
    """The default graph counts each distinct triple once (read from the release's N-Quads), and
    the protocol's default-graph-uri picks one graph, on every engine; on Virtuoso the default
    graph is the bag of the release's quads (each once per graph holding it), a known difference."""
    lines = (published / "current" / "dataset.nq").read_text(encoding="utf-8").splitlines()
    triples = {line.rsplit(" <", 1)[0] for line in lines if line}
    ontology = "https://w3id.org/mineral-diplomacy/graph/ontology"
    in_ontology = sum(1 for line in lines if line.endswith(f"<{ontology}> ."))
    assert len(triples) < len(lines)  # some triples are in several graphs: the test can tell
    for engine, client in clients.items():
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        answer = client.get("/sparql", query_string={"query": count}, headers={"Accept": JSON})
        assert rows_of(answer.data) == [{"n": str(len(lines) if engine == "virtuoso" else len(triples))}]
        picked = client.get("/sparql", query_string={"query": count, "default-graph-uri": ontology},
                            headers={"Accept": JSON})
        assert rows_of(picked.data) == [{"n": str(in_ontology)}]


@pytest.mark.parametrize("fmt", [*RESULT_FORMATS, *GRAPH_FORMATS], ids=lambda f: f.media_type)
def test_every_format_is_written_alike_on_every_engine(clients: dict[str, FlaskClient], fmt) -> None:
    """The same bytes from every engine (the endpoint writes the engine's answer with the same
    writers), for a SELECT with a fixed order and a CONSTRUCT of one triple (a graph's order is
    the engine's: Virtuoso's differs from run to run, ORDER BY or not)."""
    where = "WHERE { ?c a md:Country ; rdfs:label ?l FILTER(STR(?l) IN (\"Chile\", \"Peru\")) } ORDER BY ?c"
    chile = ("CONSTRUCT { ?c rdfs:label ?l } "
             "WHERE { ?c a md:Country ; rdfs:label ?l FILTER(STR(?l) = \"Chile\") }")
    query = chile if fmt in GRAPH_FORMATS else f"SELECT * {where}"
    bodies = set()
    for client in clients.values():
        response = client.get("/sparql", query_string={"query": query}, headers={"Accept": fmt.media_type})
        assert response.status_code == 200 and response.mimetype == fmt.media_type, response.data
        bodies.add(response.data)
    assert len(bodies) == 1 and b"Chile" in bodies.pop()


def test_the_oxigraph_engine_keeps_the_endpoints_caps_and_errors(published: Path) -> None:
    with engine_server(published) as engine:
        settings = ServerConfig(build_dir=published, engine=engine, max_result_bytes=300)
        client = create_app(settings).test_client()
        big = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert big.status_code == 422 and b"cap of 300 bytes" in big.data
        malformed = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p }"})
        assert malformed.status_code == 400 and b"Malformed query (the engine says)" in malformed.data
        refused = client.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://a.example/> "
                                                               "{ ?s ?p ?o } }"})
        assert refused.status_code == 403


def test_virtuoso_behind_the_endpoint_keeps_its_guarantees(published: Path, engines: dict[str, str],
                                                           stand_in: ThreadingHTTPServer) -> None:
    """Virtuoso's own refusals (SERVICE, file functions) hold when it is asked directly; the endpoint
    sends it no extension of SPARQL; its ASK answers are booleans; its own time limit is a 503."""
    virtuoso = engines["virtuoso"]

    def direct(query: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"{virtuoso}?{urlencode({'query': query})}", timeout=30) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    target = f"http://127.0.0.1:{stand_in.server_address[1]}/sparql"
    status, said = direct(f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}")
    assert status != 200 and b"SECURITY" in said
    assert stand_in.queries == []  # type: ignore[attr-defined]
    status, said = direct("SELECT (bif:file_to_string('/etc/passwd') AS ?x) WHERE {}")
    assert status != 200 and b"security restrictions" in said
    client = create_app(ServerConfig(build_dir=published, engine=virtuoso, default_timeout=20,
                                     max_timeout=20)).test_client()
    for extension in ("SELECT (bif:file_to_string('/etc/passwd') AS ?x) WHERE {}",
                      "SELECT (<SQLVAL::bif:http_get>('http://127.0.0.1:1/') AS ?x) WHERE {}",
                      'define get:soft "replace" SELECT * FROM <http://127.0.0.1:1/> WHERE { ?s ?p ?o }'):
        refused = client.get("/sparql", query_string={"query": extension})
        assert refused.status_code == 400 and b"not SPARQL 1.1" in refused.data, extension
    for ask, expected in (("ASK { ?s a md:Country }", True), ("ASK { ?s a md:NoSuchClass }", False)):
        answer = client.get("/sparql", query_string={"query": ask}, headers={"Accept": JSON})
        assert answer.status_code == 200 and json.loads(answer.data)["boolean"] is expected
    started = time.monotonic()  # the engine was started with a 5 s limit of its own
    late = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) WHERE "
                                                        "{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"})
    assert late.status_code == 503 and late.headers["Retry-After"] and time.monotonic() - started < 15
    assert b"Transaction timed out" in late.data


def test_a_question_that_stops_virtuoso_is_a_503(published: Path, tmp_path: Path) -> None:
    """A known Virtuoso failure: it stops on one question; the endpoint answers 503, not a guess.
    (A Virtuoso of its own, on a copy of the build: one database takes one server.)"""
    question = next(q for q in QUESTIONS if q.id == VIRTUOSO_CRASHES)
    out = tmp_path / "out"
    shutil.copytree(published, out, symlinks=True, ignore=shutil.ignore_patterns(ENGINES_DIR))
    with engine_server(out, "virtuoso") as virtuoso:
        client = create_app(ServerConfig(build_dir=out, engine=virtuoso)).test_client()
        answer = client.post("/sparql", data={"query": question.sparql}, headers={"Accept": JSON})
        assert answer.status_code == 503 and b"could not be reached" in answer.data
        again = client.get("/sparql", query_string={"query": "ASK {}"})
        assert again.status_code == 503


class StandIn(BaseHTTPRequestHandler):
    """A SPARQL engine that answers as the test tells it (``server.behaviour``) and notes the
    queries it was sent (``server.queries``); it says it holds ``server.quads`` quads."""

    def do_GET(self) -> None:
        self._answer(parse_qs(urlsplit(self.path).query)["query"][0])

    def do_POST(self) -> None:  # a form from the endpoint; the query alone from the oxigraph server's SERVICE
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        is_form = self.headers.get_content_type() == "application/x-www-form-urlencoded"
        self._answer(parse_qs(body)["query"][0] if is_form else body)

    def _answer(self, query: str) -> None:
        server = self.server
        if query == NAMED_QUADS:
            self._send(200, "text/csv", f"n\r\n{server.quads}\r\n".encode())  # type: ignore[attr-defined]
            return
        server.queries.append(query)  # type: ignore[attr-defined]
        head = b'{"head":{"vars":["s"]},"results":{"bindings":['
        behaviour = server.behaviour  # type: ignore[attr-defined]
        if behaviour == "cut short":  # the oxigraph server's way: the error in the body, after its 200
            self._send(200, JSON, head + b"Operation not permitted (os error 1)")
        elif behaviour == "partial":  # Virtuoso's way: 206 and what it had
            self._send(206, JSON, head + b"]}}")
        elif behaviour == "late":
            time.sleep(3)
            self._send(200, JSON, head + b"]}}")
        elif behaviour == "short":  # a length it does not send: whole lines, then the connection closes
            self.send_response(200)
            self.send_header("Content-Type", "application/n-triples")
            self.send_header("Content-Length", "10000")
            self.end_headers()
            self.wfile.write(b"<http://a.example/x> <http://a.example/p> <http://a.example/y> .\n" * 5)
            self.close_connection = True
        elif behaviour == "dribble":  # the head at once, then a byte every 0.2 s
            self.send_response(200)
            self.send_header("Content-Type", JSON)
            self.send_header("Content-Length", str(len(head) + 3))
            self.end_headers()
            for byte in head + b"]}}":
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
        elif behaviour == "html":
            self._send(200, "text/html", b"<html>a proxy's page</html>")
        else:
            self._send(200, JSON, head + b'{"s":{"type":"uri","value":"http://a.example/x"}}]}}')

    def _send(self, status: int, media_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in(published: Path) -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    server.queries, server.behaviour = [], "whole"  # type: ignore[attr-defined]
    lines = (published / "current" / "dataset.nq").read_bytes().splitlines()
    server.quads = len(set(lines))  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def _client(published: Path, server: ThreadingHTTPServer, **settings: object) -> FlaskClient:
    url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
    return create_app(ServerConfig(build_dir=published, engine=url, **settings)).test_client()  # type: ignore[arg-type]


@pytest.mark.parametrize("behaviour", ["cut short", "partial", "html", "short"])
def test_an_answer_that_is_not_whole_is_an_error_never_kept(published: Path, stand_in: ThreadingHTTPServer,
                                                            behaviour: str) -> None:
    client = _client(published, stand_in)
    stand_in.behaviour = behaviour  # type: ignore[attr-defined]
    query = ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }" if behaviour == "short"  # N-Triples asked for
             else "SELECT ?s WHERE { ?s ?p ?o }")
    for _ in range(2):
        answer = client.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"}
                            if behaviour != "short" else {"Accept": "application/n-triples"})
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "1", answer.data
    assert len(stand_in.queries) == 2  # type: ignore[attr-defined]  # asked again: nothing was kept
    stand_in.behaviour = "whole"  # type: ignore[attr-defined]
    whole = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o }"},
                       headers={"Accept": "text/csv"})
    assert whole.status_code == 200 and whole.data == b"s\r\nhttp://a.example/x\r\n"


@pytest.mark.parametrize("behaviour", ["late", "dribble"])
def test_a_late_engine_gives_503_at_the_time_limit(published: Path, stand_in: ThreadingHTTPServer,
                                                   behaviour: str) -> None:
    """Whether the engine says nothing or sends its answer a byte at a time, the query's time
    limit bounds the wait."""
    client = _client(published, stand_in)
    stand_in.behaviour = behaviour  # type: ignore[attr-defined]
    started = time.monotonic()
    answer = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o }", "timeout": "0.5"})
    assert answer.status_code == 503 and b"within the query's time limit" in answer.data
    assert time.monotonic() - started < 1.2


def test_the_engine_sees_only_what_the_endpoint_lets_through(published: Path,
                                                              stand_in: ThreadingHTTPServer) -> None:
    client = _client(published, stand_in)
    refused = client.get("/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://10.0.0.1/> "
                                                           "{ ?s ?p ?o } }"})
    not_acceptable = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s ?p ?o }"},
                                headers={"Accept": "image/png"})
    assert (refused.status_code, not_acceptable.status_code) == (403, 406)
    assert stand_in.queries == []  # type: ignore[attr-defined]
    client.get("/sparql", query_string={"query": "SELECT *\nWHERE { ?s ?p ?o }"})
    (sent,) = stand_in.queries  # type: ignore[attr-defined]
    first, second = sent.split("\n")  # the prologue on the query's first line: its lines stay
    assert first.startswith("BASE <http://127.0.0.1:8765/sparql> PREFIX ") and "PREFIX md: <" in first
    assert first.endswith("> SELECT *") and second == "WHERE { ?s ?p ?o }"


def test_an_engine_holding_another_release_or_none_is_refused(published: Path,
                                                               stand_in: ThreadingHTTPServer) -> None:
    stand_in.quads += 1  # type: ignore[attr-defined]
    other = _client(published, stand_in).get("/sparql", query_string={"query": "ASK {}"})
    assert other.status_code == 503 and b"holds another release" in other.data
    assert stand_in.queries == []  # type: ignore[attr-defined]
    stand_in.shutdown()
    stand_in.server_close()
    gone = _client(published, stand_in).get("/sparql", query_string={"query": "ASK {}"})
    assert gone.status_code == 503 and gone.headers["Retry-After"] == "1"
    assert b"could not be reached" in gone.data


def test_the_oxigraph_server_reaches_no_other_endpoint(published: Path,
                                                        stand_in: ThreadingHTTPServer) -> None:
    """With the stand-in allow-listed, a SERVICE call to it passes the endpoint's check; the
    oxigraph server, run by the project's command, cannot connect (the kernel refuses): the query
    gets 503, and the stand-in hears nothing. The control: the same oxigraph server started
    without the project's command reaches the stand-in."""
    target = f"http://127.0.0.1:{stand_in.server_address[1]}/sparql"
    query = f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"
    with engine_server(published) as engine:
        client = create_app(ServerConfig(build_dir=published, engine=engine,
                                         service_allowlist=frozenset({target}))).test_client()
        answer = client.get("/sparql", query_string={"query": query})
        assert answer.status_code == 503 and b"not whole" in answer.data
    assert stand_in.queries == []  # type: ignore[attr-defined]
    port = free_port()
    program = oxigraph_program()
    assert program is not None
    command = oxigraph_command(program, engine_store(published, "oxigraph"), port, 5)
    unconfined = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/query?" + urlencode({"query": query})
        wait_until_up(unconfined, lambda: urllib.request.urlopen(url, timeout=5).read(), "oxigraph")
    finally:
        unconfined.terminate()
        unconfined.wait(timeout=10)
    assert stand_in.queries  # type: ignore[attr-defined]


def test_a_release_that_repeats_a_line_is_the_one_the_engine_holds(tmp_path: Path) -> None:
    """The release is compared by its distinct quads (the benchmark's scaled releases repeat lines:
    the engine was refused at 1M triples, holding 1,000,119 quads of a file of 1,002,407 lines)."""
    out = tmp_path / "build"
    line = '<http://a.example/s> <http://a.example/p> "o" <http://a.example/g> .\n'
    publish({"dataset.nq": (line * 2).encode()}, out)
    with engine_server(out) as engine:
        client = create_app(ServerConfig(build_dir=out, engine=engine)).test_client()
        answer = client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"},
                            headers={"Accept": JSON})
        assert answer.status_code == 200 and rows_of(answer.data) == [{"n": "1"}], answer.data


def test_query_form() -> None:
    assert query_form("PREFIX a: <x:select> # ASK\n construct { } WHERE {}") == "CONSTRUCT"
    assert query_form("'DESCRIBE' SELECT ?x {}") == "SELECT"
    assert query_form("PREFIX construct·x: <http://a.example/> SELECT * WHERE { ?s ?p ?o }") == "SELECT"
    assert query_form("nothing here") is None


def test_an_engines_extensions_are_found_wherever_they_hide() -> None:
    """Virtuoso's SQL functions behind a type or a prefix, or where a reader that splits comments
    and IRIs otherwise than Virtuoso would miss them; its pragmas; not a word that only ends so."""
    for query in ("SELECT (<SQLVAL::bif:http_get>('http://169.254.169.254/') AS ?x) {}",
                  "PREFIX v: <LONG::bif:> SELECT (v:http_get('http://10.0.0.1/') AS ?x) {}",
                  "SELECT ?x { BIND( #\r'''\n bif:file_to_string('/etc/passwd') AS ?x) #'''\n}",
                  "SELECT ?x { VALUES ?q {''} BIND(IF(?q<'\\u0041',BIF:file_to_string('/e'),?q>0) AS ?x) }",
                  "SELECT * { ?s <sql:x> ?o }", "define input:inference 'x' SELECT * {}"):
        assert not_sparql(query), query
    assert not_sparql("SELECT * { ?s rdfs:label 'mysql: a database' }") is None
    assert not_sparql("SELECT ?defined { ?defined ?p ?o }") is None


def test_an_ask_answered_with_a_table_is_read_only_in_virtuosos_form() -> None:
    engine = RemoteEngine("http://127.0.0.1:9/sparql", 1000)
    table = '{"head":{"vars":["%s"]},"results":{"bindings":[%s]}}'
    one = '{"%s":{"type":"typed-literal","datatype":"http://www.w3.org/2001/XMLSchema#integer","value":"%s"}}'
    true, false = table % ("__ASK_RETVAL", one % ("__ASK_RETVAL", 1)), table % ("__ASK_RETVAL", "")
    assert bool(engine._results("ASK", true.encode())) is True
    assert bool(engine._results("ASK", false.encode())) is False
    for other in (table % ("x", one % ("x", 1)), table % ("__ASK_RETVAL", one % ("__ASK_RETVAL", 7))):
        with pytest.raises(ValueError):
            engine._results("ASK", other.encode())


def test_engine_command_needs_a_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["engine", "oxigraph", "--out", str(tmp_path)]) == 2
    assert "No published build" in capsys.readouterr().err


def test_serve_refuses_an_engine_that_is_not_a_url(published: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--out", str(published), "--port", str(free_port()), "--engine", "oxigraph"]) == 2
    assert "--engine: The engine must be an http(s) URL" in capsys.readouterr().err
