"""Requests the open internet sends: ways around the SERVICE allow-list, greedy caches, deep
nesting, absurd time limits. Each case here is one that once got through."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from mineral_diplomacy.server.app import ServerConfig, create_app, server_state

ALLOWED = "http://example.org/sparql"


@pytest.fixture(scope="module")
def client(published: Path) -> FlaskClient:
    config = ServerConfig(build_dir=published, default_timeout=5, service_allowlist=frozenset({ALLOWED}))
    return create_app(config).test_client()


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on loopback that records whatever connects to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    server.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    seen.append(connection.recv(1024))
                except OSError:
                    seen.append(b"")
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], seen
    stop.set()
    thread.join()
    server.close()


def _service_variants(port: int) -> Iterator[str]:
    """SERVICE calls to loopback, behind comments, in every case and spacing, with the target
    spelled in many ways."""
    comments = ["", "#\r", "# x\r", "#\r\n", "#\n", "# SERVICE? no\r"]
    spaces = [" ", "\t", "\n", "\r", "\r\n", "  \t"]
    keywords = ["SERVICE", "service", "SeRvIcE"]
    silent = ["", "SILENT "]
    targets = [f"<http://127.0.0.1:{port}/x>", f"<http://127.1:{port}/x>", f"<http://localhost:{port}/x>",
               f"<http://0x7f000001:{port}/x>", f"<http://2130706433:{port}/x>", f"<http://0:{port}/x>",
               f"<http://127.0.0.1\\u003A{port}/x>", f"<http:\\u002F\\u002F127.0.0.1:{port}/x>",
               f"<//127.0.0.1:{port}/x>", "lo:x"]
    variants = itertools.product(comments, spaces, keywords, silent, targets)
    for comment, space, keyword, quiet, target in variants:
        yield (f"PREFIX lo: <http://127.0.0.1:{port}/>\nSELECT * WHERE {{ {comment}{keyword}{space}{quiet}"
               f"{target}{space}{{ ?s ?p ?o }} }}")


def test_no_spelling_of_a_service_call_reaches_a_listener(client: FlaskClient, listener) -> None:
    port, seen = listener
    statuses = set()
    variants = list(_service_variants(port))
    for query in variants:
        response = client.post("/sparql", data=query.encode(), content_type="application/sparql-query")
        statuses.add(response.status_code)
        assert response.status_code in (400, 403), (query, response.data)
    assert len(variants) > 2000 and statuses == {403}  # every variant is a SERVICE call, refused as one
    assert seen == []


@pytest.mark.parametrize("allowed", ["none", "another", "this"])
def test_the_engine_itself_reaches_only_allow_listed_endpoints(published: Path, listener,
                                                               allowed: str) -> None:
    """Past the query reader (the query goes straight to an evaluator): with no endpoint allowed,
    the kernel refuses every connection; with endpoints allowed, the evaluator's connection guard
    lets it reach only them (here: another endpoint is allowed, or this listener is)."""
    from functools import partial

    from mineral_diplomacy.server.evaluate import QueryFailed, QueryJob, run_query

    port, seen = listener
    endpoint = f"http://127.0.0.1:{port}/x"
    allow_list = {"none": frozenset(), "another": frozenset({ALLOWED}),
                  "this": frozenset({endpoint})}[allowed]
    app = create_app(ServerConfig(build_dir=published, default_timeout=5, service_allowlist=allow_list))
    job = QueryJob(f"SELECT * WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?o }} }}", (), (),
                   "application/sparql-results+json")
    try:
        server_state(app).run(partial(run_query, job=job, prefixes={}, max_bytes=1_000_000))
        failure = ""
    except QueryFailed as failed:
        failure = failed.message
    time.sleep(0.3)
    if allowed == "this":  # the engine connects (and the listener's empty answer is not SPARQL)
        assert seen
    else:
        assert seen == [] and "Operation not permitted" in failure, failure
    _pool(app).close()


def test_a_reader_put_out_of_step_cannot_reach_an_unlisted_endpoint(client: FlaskClient, listener) -> None:
    """The second security review's case: the reader takes ``<'> PREFIX ex: <allowed> '`` for an
    IRI and a declaration that re-binds ex: to the allowed endpoint; the parser reads "less than"
    and a string, and calls the first ex:, an unlisted listener. The evaluator's guard refuses it."""
    port, seen = listener
    query = (f"PREFIX ex: <http://127.0.0.1:{port}/sparql>\n"
             "SELECT * WHERE { BIND(1 AS ?a) "
             f"FILTER(?a <'> PREFIX ex: <{ALLOWED}> ' || true) SERVICE ex: {{ ?s ?p ?o }} }}")
    for response in (client.get("/sparql", query_string={"query": query}),
                     client.post("/sparql", data={"query": query})):
        assert response.status_code != 200
    time.sleep(0.3)
    assert seen == []


def test_the_bare_carriage_return_case(client: FlaskClient, listener) -> None:
    port, seen = listener
    query = f"SELECT * WHERE {{ #\rSERVICE <http://127.0.0.1:{port}/x> {{ ?s ?p ?o }} }}"
    response = client.post("/sparql", data=query.encode(), content_type="application/sparql-query")
    assert response.status_code == 403 and b"not allowed" in response.data and seen == []


def test_a_comment_mentioning_service_beside_a_control_character_is_refused(published: Path) -> None:
    client = create_app(ServerConfig(build_dir=published, default_timeout=5)).test_client()  # federation off
    plain = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o } # no SERVICE here"})
    odd = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o } # no SERVICE\x0bhere"})
    assert plain.status_code == 200 and odd.status_code == 403 and b"comment" in odd.data


def test_the_word_service_outside_a_call_is_refused_only_when_federation_is_on(
        client: FlaskClient, published: Path) -> None:
    query = ('SELECT * WHERE { BIND("Indian Foreign Service" AS ?x) '
             "BIND(<http://example.org/service> AS ?y) }")
    federation_off = create_app(ServerConfig(build_dir=published, default_timeout=5)).test_client()
    response = federation_off.get("/sparql", query_string={"query": query}, headers={"Accept": "text/csv"})
    assert response.status_code == 200 and b"Indian Foreign Service" in response.data
    refused = client.get("/sparql", query_string={"query": query})  # an allow-list is set
    assert refused.status_code == 403 and b"'service' at line 1, column 39" in refused.data
    escaped = query.replace("Service", "\\u0053ervice").replace("service", "\\u0073ervice")
    response = client.get("/sparql", query_string={"query": escaped}, headers={"Accept": "text/csv"})
    assert response.status_code == 200 and b"Indian Foreign Service" in response.data


def test_a_lexer_out_of_step_with_the_parser_cannot_hide_a_service_call(client: FlaskClient,
                                                                         listener) -> None:
    """Found by a second reading: in ``?a <'> '`` the lexer read an IRI where the parser reads "less
    than" and a string, so the lexer took the SERVICE clause after it for part of a string, and the
    engine called it (with an endpoint allow-listed, the only guard is the check)."""
    port, seen = listener
    query = (f"SELECT * WHERE {{ BIND(\"a\" AS ?a) FILTER(?a <'> ' || true) "
             f"SERVICE <http://127.0.0.1:{port}/ssrf> {{ ?s ?p ?o }} FILTER('' < 'z') }}")
    response = client.get("/sparql", query_string={"query": query})
    time.sleep(0.3)
    assert response.status_code == 403 and b"not a SERVICE call" in response.data and seen == []


def test_the_answer_cache_is_bounded_in_bytes(published: Path) -> None:
    """Greedy POSTs (each a new query, padded) cannot grow a worker's answers past their bound:
    the key is a digest of the job, the size the bodies'."""
    app = create_app(ServerConfig(build_dir=published, cache_bytes=400_000))
    client = app.test_client()
    for index in range(300):
        client.post("/sparql", data={"query": f"SELECT ({index} AS ?n) {{}} # " + "x" * 4_000})
    answers = server_state(app).answers
    assert 0 < answers.currsize == sum(len(a.body) for a in answers.values()) <= 400_000
    assert all(len(key) == 32 for key in answers)


@pytest.mark.parametrize("opening, closing", [("{", "}"), ("(", ")"), ("[", "]")])
def test_deep_nesting_is_refused_before_parsing(client: FlaskClient, opening: str, closing: str) -> None:
    body = {"{": "ASK " + "{" * 2_200 + "}" * 2_200,
            "(": "ASK { FILTER(" + "(" * 4_700 + "1" + ")" * 4_700 + ") }",
            "[": "ASK { ?s ?p " + "[ ?p " * 1_500 + "1" + " ]" * 1_500 + " }"}[opening]
    response = client.post("/sparql", data=body.encode(), content_type="application/sparql-query")
    assert response.status_code == 400 and b"nested" in response.data


def test_reasonable_nesting_is_answered(client: FlaskClient) -> None:
    query = "ASK " + "{" * 20 + " ?s ?p ?o " + "}" * 20
    assert client.get("/sparql", query_string={"query": query}).status_code == 200


def test_a_tiny_time_limit_is_raised_to_the_minimum(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }", "timeout": "1e-9"})
    assert response.status_code == 200 and response.headers["X-Timeout"] == "0.5"


@pytest.mark.parametrize("path", ["/", "/id/organization/kabil", "/review/", "/void", "/health",
                                  "/sparql?query=ASK%20%7B%7D"])
def test_every_answer_says_its_type_is_final_and_refuses_frames(client: FlaskClient, path: str) -> None:
    for _ in range(2):  # the second /sparql answer comes from the request cache
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "object-src 'self'" in policy
        assert "frame-ancestors 'self'" in policy and "unsafe-eval" not in policy


def test_a_406_does_not_repeat_what_it_was_sent(client: FlaskClient) -> None:
    wanted = "<script>alert(1)</script>\u202e" + "x" * 500
    response = client.get("/sparql", query_string={"query": "ASK {}", "format": wanted})
    assert response.status_code == 406 and response.mimetype == "text/plain"
    assert "\u202e" not in response.text and len(response.text) < 300


def _pool(app):
    return server_state(app).evaluators


def test_an_evaluator_that_died_while_idle_is_replaced(published: Path) -> None:
    app = create_app(ServerConfig(build_dir=published, default_timeout=5))
    client = app.test_client()
    pool = _pool(app)
    dead = [evaluator.pid for evaluator in pool.all]
    for pid in dead:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    response = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o } # after a death"})
    assert response.status_code == 200 and b"true" in response.data
    # the dead one the query met was replaced (another is found dead when it is next used)
    assert len(pool.all) == 2 and len({e.pid for e in pool.all} & set(dead)) < len(dead)
    pool.close()


def test_an_evaluator_that_dies_while_answering_gives_503_and_is_replaced(published: Path) -> None:
    app = create_app(ServerConfig(build_dir=published, default_timeout=5))
    client = app.test_client()
    pool = _pool(app)
    before = {e.pid for e in pool.all}
    outcome: dict[str, object] = {}

    def runaway() -> None:
        query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
        answer = client.get("/sparql", query_string={"query": query})
        outcome["status"], outcome["body"] = answer.status_code, answer.data

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    idle = {e.pid for e in list(pool.idle.queue)}
    (busy,) = before - idle
    os.kill(busy, signal.SIGKILL)
    thread.join()
    assert outcome["status"] == 503 and b"stopped while answering" in outcome["body"]  # type: ignore[operator]
    again = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o } # after a crash"})
    assert again.status_code == 200, again.data
    assert len(pool.all) == 2 and busy not in {e.pid for e in pool.all}
    pool.close()


def test_a_failing_direct_post_is_logged_with_its_query(client: FlaskClient, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="mineral_diplomacy.server"):
        client.post("/sparql", data=b"SELECT * WHERE { ?s ?p }", content_type="application/sparql-query")
    (line,) = [r.getMessage() for r in caplog.records if "status=400" in r.getMessage()]
    assert "query='SELECT * WHERE { ?s ?p }'" in line


@pytest.mark.parametrize("iri", ["http://example.org/[", "http://example.org/%zz"])
def test_a_graph_iri_the_store_refuses_is_a_400(client: FlaskClient, iri: str) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}", "default-graph-uri": iri})
    assert response.status_code == 400 and b"not a valid IRI" in response.data


def test_a_second_server_on_a_port_in_use_is_refused(published: Path) -> None:
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as gunicorn binds it
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, "-m", "mineral_diplomacy.cli", "serve", "--port", str(port),
                   "--out", str(published)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and f"Port {port} on 127.0.0.1 is in use" in done.stderr


def test_serving_nothing_says_so_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """A start with no published build once failed with a traceback, after its front's folder was
    made (and left in the temporary folder)."""
    import subprocess
    import sys
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("mineral-diplomacy-front-*"))
    command = [sys.executable, "-m", "mineral_diplomacy.cli", "serve", "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "No published build" in done.stderr and "Traceback" not in done.stderr
    assert set(Path(tempfile.gettempdir()).glob("mineral-diplomacy-front-*")) == before


def _two_releases(out: Path) -> tuple[Path, Path]:
    from mineral_diplomacy.release.layout import publish

    first = publish({"dataset.nq": b"<http://e/a> <http://e/p> <http://e/b> <http://e/g> .\n"}, out)
    time.sleep(0.01)  # a later modification time: the newer release
    second = publish({"dataset.nq": b"<http://e/a> <http://e/p> <http://e/b> <http://e/g> .\n"
                                    b"<http://e/a> <http://e/p> <http://e/c> <http://e/g> .\n"}, out)
    return first, second


@pytest.mark.parametrize("damage", [b"", b"<http://e/a> <http://e/p> <http://e/b> <http://e/g> .\n"])
def test_a_damaged_current_release_is_not_served_the_intact_one_before_it_is(
    tmp_path: Path, caplog, damage: bytes
) -> None:
    from mineral_diplomacy.server.store import load_current

    first, second = _two_releases(tmp_path)
    (second / "dataset.nq").write_bytes(damage)  # emptied, or cut at a line end
    with caplog.at_level(logging.ERROR, logger="mineral_diplomacy.server"):
        release = load_current(tmp_path)
    assert release.path == first and release.quads == 1
    assert any(str(second / "dataset.nq") in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("manifest", ['[]', '{"files": 3}', '{"files": {"dataset.nq": {"bytes": "55"}}}',
                                      '{"files": {"../x": {"bytes": 1, "sha256": "0"}}}', '{"files": {}}'])
def test_a_manifest_that_parses_but_is_no_manifest_is_a_damaged_release(tmp_path: Path, caplog,
                                                                         manifest: str) -> None:
    """Such a manifest once raised a KeyError: 500s while serving, and no fallback at start."""
    from mineral_diplomacy.release.layout import MANIFEST_FILE
    from mineral_diplomacy.server.store import load_current

    first, second = _two_releases(tmp_path)
    (second / MANIFEST_FILE).write_text(manifest)
    with caplog.at_level(logging.ERROR, logger="mineral_diplomacy.server"):
        release = load_current(tmp_path)
    assert release.path == first
    assert any(f"{MANIFEST_FILE} is not a manifest" in r.getMessage() for r in caplog.records)


def test_a_current_link_to_a_release_that_is_gone_falls_back(tmp_path: Path) -> None:
    import shutil

    from mineral_diplomacy.server.store import load_current

    first, second = _two_releases(tmp_path)
    shutil.rmtree(second)  # "current" now points nowhere
    assert load_current(tmp_path).path == first


def test_a_damaged_release_with_nothing_to_fall_back_on_names_its_file(tmp_path: Path) -> None:
    from mineral_diplomacy.release.layout import ReleaseDamaged, publish
    from mineral_diplomacy.server.store import load_current

    release = publish({"dataset.nq": b"<http://e/a> <http://e/p> <http://e/b> <http://e/g> .\n"}, tmp_path)
    (release / "dataset.nq").write_bytes(b"")
    with pytest.raises(ReleaseDamaged, match=r"dataset\.nq has 0 bytes"):
        load_current(tmp_path)


def test_a_damaged_new_release_never_replaces_the_one_served(tmp_path: Path) -> None:
    """A worker keeps its release; a new worker given a damaged new release serves the intact one
    before it."""
    from mineral_diplomacy.release.layout import publish
    from mineral_diplomacy.server.store import load_current

    first = publish({"dataset.nq": b"<http://e/a> <http://e/p> <http://e/b> <http://e/g> .\n"}, tmp_path)
    running = create_app(ServerConfig(build_dir=tmp_path)).test_client()
    time.sleep(0.01)
    second = publish({"dataset.nq": b"<http://e/a> <http://e/p> <http://e/c> <http://e/g> .\n"}, tmp_path)
    (second / "dataset.nq").write_bytes(b"<http://e/a> <http://e/p> <http://e/X> <http://e/g> .\n")  # altered
    assert load_current(tmp_path).path == first
    assert b"true" in running.get("/sparql", query_string={"query": "ASK { ?s ?p <http://e/b> }"}).data


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                found.add(target[8:-1])
    return found


def _listening_inodes() -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                found.add(fields[9])
    return found


def test_evaluators_hold_no_listening_socket_and_die_with_their_worker(
    published: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys
    import urllib.request

    from .conftest import free_port, wait_until_up

    port = free_port()
    env = {**os.environ, "MINERAL_DIPLOMACY_PORT": str(port)}
    with (tmp_path / "server.log").open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "mineral_diplomacy.cli", "serve", "--out",
                                   str(published), "--front", "none"],  # gunicorn's processes only
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        health = f"http://127.0.0.1:{port}/health"
        wait_until_up(server, lambda: urllib.request.urlopen(health).read(), "server")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # every worker has started its two evaluators
            workers = _children(server.pid)
            evaluators = {w: _children(w) for w in workers}
            if len(workers) == 2 and all(len(e) == 2 for e in evaluators.values()):
                break
            time.sleep(0.2)
        listening = _listening_inodes()
        assert all(not (_socket_inodes(e) & listening) for es in evaluators.values() for e in es)
        assert all(_socket_inodes(w) & listening for w in workers)  # the check can see one
        victim = workers[0]
        os.kill(victim, signal.SIGKILL)
        time.sleep(2)
        assert all(not Path(f"/proc/{e}").exists() or "Z" in Path(f"/proc/{e}/stat").read_text().split()[2]
                   for e in evaluators[victim])
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_memory_bomb_is_stopped_at_its_limit_and_others_are_answered(published: Path) -> None:
    app = create_app(ServerConfig(build_dir=published, default_timeout=30, query_memory_bytes=300 << 20))
    client = app.test_client()
    started = time.monotonic()
    query = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f"
    bomb = client.get("/sparql", query_string={"query": query})
    assert bomb.status_code == 503 and b"memory" in bomb.data and time.monotonic() - started < 30
    after = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o } # after the bomb"})
    assert after.status_code == 200
    _pool(app).close()


@pytest.mark.parametrize("path", ["/void", "/sparql", "/reconcile"])
def test_the_host_header_is_not_written_into_urls(client: FlaskClient, path: str) -> None:
    answer = client.get(path, headers={"Host": "evil.example", "Accept": "text/turtle"})
    assert answer.status_code == 200 and b"evil.example" not in answer.data
    assert b"http://127.0.0.1:" in answer.data  # where the server listens, by default


def test_the_public_url_is_the_one_configured(published: Path) -> None:
    client = create_app(ServerConfig(build_dir=published, public_url="https://kg.example.org")).test_client()
    assert b"<https://kg.example.org/sparql>" in client.get("/void", headers={"Accept": "text/turtle"}).data
    manifest = client.get("/reconcile").get_json()
    assert manifest["view"]["url"] == "https://kg.example.org/id/{{id}}"


@contextlib.contextmanager
def _only_evaluator_held(published: Path, **settings: Any) -> Iterator[FlaskClient]:
    """A client of an application with one evaluator, held by a runaway query while the block
    runs (waiting at most 0.5 s for it, and never stopping it for another); the runaway is stopped
    at 5 s, and waited for. ``settings`` change the application's."""
    config = {"default_timeout": 5, "evaluators": 1, "queue_wait": 0.5, "preempt_after": 0, **settings}
    app = create_app(ServerConfig(build_dir=published, **config))
    client = app.test_client()
    runaway = threading.Thread(target=lambda: client.get("/sparql", query_string={
        "query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"}))
    runaway.start()
    time.sleep(0.3)
    try:
        yield client
    finally:
        runaway.join()


def test_a_query_waits_a_bounded_time_for_a_busy_evaluator_then_gets_503(published: Path) -> None:
    with _only_evaluator_held(published) as client:
        started = time.monotonic()
        waiting = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o } # while busy"},
                             environ_base={"REMOTE_ADDR": "192.0.2.7"})  # another client
        assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "1"
        assert b"busy" in waiting.data and time.monotonic() - started < 2
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o } # after"}).status_code == 200
    _pool(client.application).close()


@pytest.mark.parametrize("path, accept", [("/id/organization/kabil", "text/html"), ("/void", "text/turtle"),
                                          ("/ontology", "application/ld+json"),
                                          ("/reconcile/preview?id=organization/kabil", "text/html")])
def test_pages_and_statistics_take_the_bounded_path_of_queries(published: Path, path: str,
                                                               accept: str) -> None:
    """Entity pages, the ontology graph, VoID's statistics and reconciliation previews query the
    store through the evaluators, under their limits: with the only evaluator held by a runaway
    query, another client's page waits a bounded time and gets 503 (it ran on a server thread,
    unbounded)."""
    with _only_evaluator_held(published) as client:
        busy = client.get(path, environ_base={"REMOTE_ADDR": "192.0.2.9"}, headers={"Accept": accept})
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1" and b"busy" in busy.data
    assert client.get(path, headers={"Accept": accept}).status_code == 200
    _pool(client.application).close()



def test_a_worker_refuses_queries_beyond_its_places_at_once(published: Path) -> None:
    """A worker runs or queues at most one query fewer than it has threads (one thread stays free
    for cached answers and pages); one more is refused at once with 503 and Retry-After. (The
    per-client share is the front's.)"""
    with _only_evaluator_held(published, threads=2, evaluators=2) as client:
        started = time.monotonic()
        refused = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o } # no place"})
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
        assert b"as many queries as it can" in refused.data and time.monotonic() - started < 0.5
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200  # a page needs no place
    assert client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o } # after"}).status_code == 200
    _pool(client.application).close()


def test_the_network_filter_refuses_every_way_to_open_a_connection_and_nothing_else() -> None:
    """In a forked process under the filter: TCP connect, TCP Fast Open (sendto) and UDP sendto are
    refused, a listener sees nothing; pipes and files still work."""
    from mineral_diplomacy.server.sandbox import forbid_connections

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    attempts = [lambda: socket.create_connection(("127.0.0.1", port), timeout=1),
                lambda: socket.socket().sendto(b"x", 0x20000000, ("127.0.0.1", port)),  # MSG_FASTOPEN
                lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", port))]
    child = os.fork()
    if child == 0:
        refused = 0
        if forbid_connections():
            for attempt in attempts:
                try:
                    attempt()
                except PermissionError:
                    refused += 1
            read, write = os.pipe()
            os.write(write, b"ok")
            refused += 10 * (os.read(read, 2) == b"ok") + 10 * bool(Path("/proc/self/status").read_text())
        os._exit(refused)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 23
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


# --- The second security review (issue "Decide from what the engine will run") -------------------


def test_a_missing_entity_is_answered_in_plain_text(client: FlaskClient) -> None:
    """/reconcile/preview once echoed its id into an HTML 404 (reflected XSS)."""
    response = client.get("/reconcile/preview", query_string={"id": "<script>alert(1)</script>"})
    assert response.status_code == 404 and response.mimetype == "text/plain"


@pytest.mark.parametrize("escape", ["\\U00110000", "\\UFFFFFFFF", "\\uD800"])
def test_an_escape_of_no_character_is_a_400(client: FlaskClient, escape: str) -> None:
    """The SERVICE reader decoded \\U00110000 with chr() and answered 500."""
    for query in (f"SELECT * {{ SERVICE <http://example.org/{escape}> {{ ?s ?p ?o }} }}",
                  f"PREFIX e: <http://example.org/{escape}> SELECT * {{ SERVICE e:sparql {{ ?s ?p ?o }} }}"):
        response = client.get("/sparql", query_string={"query": query})
        assert response.status_code == 400 and b"Malformed query" in response.data, response.data


@pytest.mark.parametrize("field", ["queries", "extend"])
def test_deeply_nested_reconciliation_json_is_a_400(client: FlaskClient, field: str) -> None:
    deep = "[" * 5000 + "]" * 5000
    body = (f'{{"q0": {{"query": "x", "properties": [{{"pid": "p", "v": {deep}}}]}}}}' if field == "queries"
            else f'{{"ids": ["a"], "properties": {deep}}}')
    response = client.post("/reconcile", data={field: body})
    assert response.status_code == 400 and "nests more than" in response.get_json()["error"]


def test_a_media_type_with_parameters_is_accepted(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}"},
                          headers={"Accept": "text/csv; charset=utf-8"})
    assert response.status_code == 200 and response.mimetype == "text/csv"


def test_a_slash_redirect_names_no_host(client: FlaskClient) -> None:
    response = client.get("/id//organization/kabil", headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] == "/id/organization/kabil"
    assert b"evil.example" not in response.data


def test_only_web_addresses_become_links(client: FlaskClient) -> None:
    """An IRI from loaded data such as javascript:alert(1) is shown, never made a link."""
    from mineral_diplomacy.server.pages import local_path

    template = client.application.jinja_env.get_template("terms.html")
    term = template.make_module({"local_path": local_path}).term  # type: ignore[attr-defined]
    assert "<a" not in str(term("javascript:alert(1)", "x", True))
    assert '<a href="https://example.org/a"' in str(term("https://example.org/a", "x", True))


def test_nesting_hidden_from_the_reader_cannot_crash_the_parser(client: FlaskClient) -> None:
    """The second security review hid 9,000 nested parentheses from the nesting check inside the
    same out-of-step string; the parser's recursion then overflowed the evaluator's stack (one
    client crashed 975 evaluators in 20 s). Queries now run on a thread whose stack holds the
    deepest nesting a query of the longest allowed length can have."""
    depth = 9000
    query = ("SELECT * WHERE { BIND(1 AS ?a) FILTER(?a <'> ' || " + "(" * depth + "1" + ")" * depth
             + " || 'x' = 'x') }")
    response = client.get("/sparql", query_string={"query": query})
    assert response.status_code in (200, 400), response.data  # answered or refused, never a crash
    assert client.get("/sparql", query_string={"query": "ASK {}"}).status_code == 200


# --- Desync families, generated (issue "Decide from what the engine will run") -------------------

def _desync_queries(unlisted: str, allowed: str) -> list[str]:
    """Queries where a reader beside the parser could read code as text or text as code: every
    place the grammar reads ``<`` as "less than", strings of each kind, comments ended by each line
    end, IRIs with escapes, PREFIX and BASE declared anywhere; each hides a SERVICE call to
    ``unlisted``, directly or through a prefix re-bound to ``allowed`` where only a reader sees it."""
    before = ["?a", "1", "1.5", '"s"', "'s'", "(?a)", "STR(?a)", "<http://example.org/x>", "true"]
    quotes = ["'", '"', "'''", '"""']
    rebind = f"PREFIX ex: <{allowed}> BASE <{allowed}> "
    queries = []
    for left, quote in itertools.product(before, quotes):
        hidden = f"{quote}> {rebind}{quote}"
        queries.append(f"PREFIX ex: <{unlisted}>\nSELECT * WHERE {{ BIND(1 AS ?a) "
                       f"FILTER({left} <{hidden} || true) SERVICE ex: {{ ?s ?p ?o }} }}")
        queries.append(f"SELECT * WHERE {{ BIND(1 AS ?a) FILTER({left} <{quote}> {quote} || true) "
                       f"SERVICE <{unlisted}> {{ ?s ?p ?o }} }}")
    for end in ["\n", "\r", "\r\n", "\x0b", "\x0c", "\u2028"]:
        queries.append(f"PREFIX ex: <{unlisted}>\nSELECT * WHERE {{ # {rebind}{end} "
                       "SERVICE ex: { ?s ?p ?o } }")
        queries.append(f"SELECT * WHERE {{ #{end}SERVICE <{unlisted}> {{ ?s ?p ?o }} }}")
    for escape in ["\\u003E", "\\u0020", "\\U0000003E"]:
        queries.append(f"PREFIX ex: <{unlisted}>\nSELECT * WHERE {{ BIND(<x{escape}> AS ?b) "
                       f"SERVICE ex: {{ ?s ?p ?o }} }}")
    return queries


@pytest.mark.parametrize("allow_list", ["none", "another"])
def test_no_desync_family_reaches_an_unlisted_listener(published: Path, listener, allow_list: str) -> None:
    """Whatever the reader makes of these, nothing connects to the unlisted listener: with no
    endpoint allowed the kernel refuses every connection, with one allowed the evaluator's guard
    lets it reach only that one."""
    port, seen = listener
    allowed = frozenset() if allow_list == "none" else frozenset({ALLOWED})
    client = create_app(ServerConfig(build_dir=published, default_timeout=5,
                                     service_allowlist=allowed)).test_client()
    queries = _desync_queries(f"http://127.0.0.1:{port}/sparql", ALLOWED)
    assert len(queries) >= 80
    statuses = set()
    for query in queries:
        for response in (client.get("/sparql", query_string={"query": query}),
                         client.post("/sparql", data=query.encode(),
                                     content_type="application/sparql-query")):
            statuses.add(response.status_code)
            assert response.status_code < 500 or response.status_code == 503, (query, response.data)
    time.sleep(0.3)
    assert seen == [], statuses


@pytest.mark.parametrize("preempt_after", [1.0, 0.0])
def test_runaway_queries_from_many_addresses_do_not_deny_a_cheap_query(published: Path,
                                                                        preempt_after: float) -> None:
    """The second security review held every evaluator with one runaway query per address (four
    addresses, the longest time limit): every uncached query was refused for the whole window.
    Now a query that waits stops the one that has run longest, once it has run long enough."""
    app = create_app(ServerConfig(build_dir=published, default_timeout=8, max_timeout=8, evaluators=2,
                                  queue_wait=2, preempt_after=preempt_after))
    client = app.test_client()
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    outcomes: list[tuple[int, bytes]] = []

    def hog(address: str) -> None:
        answer = client.get("/sparql", query_string={"query": f"{runaway} # {address}"},
                            environ_base={"REMOTE_ADDR": address})
        outcomes.append((answer.status_code, answer.data))

    hogs = [threading.Thread(target=hog, args=(f"198.51.100.{i}",)) for i in range(2)]
    for thread in hogs:
        thread.start()
    time.sleep(1.2)  # both evaluators are held, each for more than a second
    started = time.monotonic()
    cheap = client.get("/sparql", query_string={"query": f"ASK {{ ?s ?p ?o }} # {time.time()}"},
                       environ_base={"REMOTE_ADDR": "192.0.2.50"})
    waited = time.monotonic() - started
    for thread in hogs:
        thread.join()
    if preempt_after:
        assert cheap.status_code == 200 and waited < 1.5, (cheap.status_code, waited)
        stopped = [data for status, data in outcomes if status == 503]
        assert any(b"to let queries waiting behind it run" in data for data in stopped), outcomes
    else:  # the control: without preemption the cheap query is refused after its bounded wait
        assert cheap.status_code == 503 and b"busy" in cheap.data
    _pool(app).close()


def test_an_evaluator_that_cannot_start_never_returns_into_the_worker(published: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An evaluator whose set-up fails (a kernel that refuses the connection guard, say) exits; it
    never goes on as a copy of the worker, and the query gets 503."""
    from functools import partial

    from mineral_diplomacy.server import evaluators
    from mineral_diplomacy.server.evaluate import QueryFailed, QueryJob, run_query

    def refused(destinations: object) -> bool:
        raise OSError(22, "the kernel refused the network filter: EINVAL")

    monkeypatch.setattr(evaluators, "confine_connections", refused)
    app = create_app(ServerConfig(build_dir=published, default_timeout=5))
    release = server_state(app).release
    me = os.getpid()
    pool = evaluators.EvaluatorPool(release, 1, endpoints=frozenset({ALLOWED}))
    if os.getpid() != me:  # a child that went on as the test: end it before it does harm
        os._exit(99)
    job = QueryJob("ASK {}", (), (), "application/sparql-results+json")
    with pytest.raises(QueryFailed) as failed:
        pool.run(partial(run_query, job=job, prefixes={}, max_bytes=1000), 5, 1)
    assert os.getpid() == me and failed.value.status == 503
    pool.close()


def test_allow_list_entries_are_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    """"a, b" (a space after the comma, as people write lists) allows b, not " b"."""
    monkeypatch.setenv("MINERAL_DIPLOMACY_SERVICE_ALLOWLIST", f" {ALLOWED} , https://example.net/sparql,")
    assert ServerConfig.from_environment().service_allowlist == {ALLOWED, "https://example.net/sparql"}
