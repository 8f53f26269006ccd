"""The W3C SPARQL 1.1 Protocol test suite (../shared/w3c/sparql11-protocol/manifest.ttl), run
against the endpoint on each engine: every query test passes (the dataset tests on a release holding the three
test graphs), and every update request is refused, as a read-only endpoint must."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from mineral_diplomacy.graph import SHARED_DIR
from mineral_diplomacy.release.layout import publish
from mineral_diplomacy.server.app import ServerConfig, create_app

from .conftest import engine_server

SUITE = SHARED_DIR / "w3c" / "sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
MANIFEST = Graph().parse(SUITE / "manifest.ttl", format="turtle")
TESTS = list(Collection(MANIFEST, MANIFEST.value(next(MANIFEST.subjects(RDF.type, MF.Manifest)), MF.entries)))
RESULT_TYPES = {
    "boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
    "tabular": (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ),
    "RDF": ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"),
}


@pytest.fixture(scope="module", params=["embedded", "oxigraph", "virtuoso"])
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """A release holding each test graph as the named graph its manifest label gives, served by
    each engine: the embedded evaluators, and the oxigraph server and Virtuoso behind the endpoint."""
    lines = []
    for test in TESTS:
        for data in MANIFEST.objects(test, UT.graphData):
            name = MANIFEST.value(data, RDFS.label)
            file = Path(str(MANIFEST.value(data, UT.graph)).removeprefix("file://"))
            for triple in (SUITE / file.name).read_text(encoding="utf-8").splitlines():
                lines.append(f"{triple.removesuffix(' .')} <{name}> .")
    out = tmp_path_factory.mktemp("w3c")
    publish({"dataset.nq": ("\n".join(sorted(set(lines))) + "\n").encode()}, out)
    if request.param == "embedded":
        yield create_app(ServerConfig(build_dir=out, default_timeout=10)).test_client()
        return
    with engine_server(out, request.param) as engine:
        yield create_app(ServerConfig(build_dir=out, default_timeout=10, engine=engine)).test_client()


def _requests(test: URIRef) -> list[Any]:
    action = MANIFEST.value(test, MF.action)
    return list(Collection(MANIFEST, MANIFEST.value(action, HT.requests)))


def _is_update(test: URIRef, request: Any) -> bool:
    """An update request: its test is an update test (named so), and it is not the query that
    checks the update's effect."""
    body = MANIFEST.value(request, HT.body)
    chars = str(MANIFEST.value(body, CNT.chars)) if body is not None else ""
    return "update" in str(test).rsplit("#", 1)[-1] and not chars.lstrip().upper().startswith("ASK")


def _send(client: FlaskClient, request: Any) -> Any:
    method = str(MANIFEST.value(request, HT.methodName))
    path = str(MANIFEST.value(request, HT.absolutePath)).replace("/sparql/", "/sparql", 1)
    headers = {
        str(MANIFEST.value(h, HT.fieldName)): str(MANIFEST.value(h, HT.fieldValue))
        for h in Collection(MANIFEST, MANIFEST.value(request, HT.headers) or RDF.nil)
    }
    body = MANIFEST.value(request, HT.body)
    data = b""
    if body is not None:
        encoding = str(MANIFEST.value(body, CNT.characterEncoding) or "UTF-8")
        data = str(MANIFEST.value(body, CNT.chars)).encode(encoding)
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    other = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return client.open(path, method=method, data=data, content_type=content_type, headers=other)


@pytest.mark.parametrize("test", TESTS, ids=lambda t: str(t).rsplit("#", 1)[-1])
def test_w3c_protocol(client: FlaskClient, test: URIRef) -> None:
    for request in _requests(test):
        response = _send(client, request)
        if _is_update(test, request):  # a read-only endpoint refuses every update; the test stops there
            assert 400 <= response.status_code < 500, response.data
            return
        expected = MANIFEST.value(request, HT.resp)
        statuses = {str(s).rsplit("#", 1)[-1] for s in MANIFEST.objects(expected, MF.expectedStatus)}
        assert f"StatusCode{str(response.status_code)[0]}xx" in statuses, (
            response.status_code,
            response.data,
        )
        expected_format = MANIFEST.value(expected, MF.expectedFormat)
        if expected_format is not None:
            assert response.mimetype in RESULT_TYPES[str(expected_format)], response.mimetype
        boolean = MANIFEST.value(expected, MF.expectedBoolean)
        if boolean is not None:
            assert json.loads(response.data)["boolean"] is boolean.toPython()
        if str(expected_format) == "RDF":
            parsed = Graph().parse(
                data=response.data, format={"text/turtle": "turtle"}.get(response.mimetype, "turtle")
            )
            assert parsed is not None


def test_every_test_of_the_suite_runs() -> None:
    assert len(TESTS) == 34
    assert sum(1 for t in TESTS if any(_is_update(t, r) for r in _requests(t))) == 14
