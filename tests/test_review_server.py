"""The review pages as the server serves them, the ontology IRI's content negotiation, and the
pages in a real headless browser (Debian's Chromium): each kind renders, its screenshot is not
blank, and no raw IRI or CURIE stands in its text where a label exists."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image
from rdflib import Graph
from rdflib.namespace import OWL, RDF

from mineral_diplomacy.ontology.namespaces import MD
from mineral_diplomacy.server.app import ServerConfig, create_app

from .test_browser import chromium

PARTNERSHIP = "/id/agreement/india-australia-critical-mineral-investment-partnership"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(published: Path) -> FlaskClient:
    return create_app(ServerConfig(build_dir=published, default_timeout=5)).test_client()


def test_the_review_pages_are_served(client: FlaskClient) -> None:
    assert client.get("/review").status_code == 301
    index = client.get("/review/")
    assert index.status_code == 200 and b"Reviewing the Mineral Diplomacy knowledge graph" in index.data
    assert client.get("/review/ontology/class-Agreement.html").status_code == 200
    svg = client.get("/review/ontology/overview.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    for outside in (
        "/review/../summary.json",
        "/review/%2e%2e/summary.json",
        "/review/..%2fsummary.json",
        "/review/no-such-page.html",
    ):
        assert client.get(outside).status_code == 404, outside


def test_an_entity_page_links_to_its_review_page(client: FlaskClient) -> None:
    page = client.get("/id/organization/kabil", headers={"Accept": "text/html"}).data.decode()
    assert '<a href="/review/id/organization/kabil.html">in plain words</a>' in page
    assert client.get("/review/id/organization/kabil.html").status_code == 200


def test_the_ontology_iri_dereferences_by_content_negotiation(client: FlaskClient) -> None:
    html = client.get("/ontology", headers={"Accept": BROWSER})
    assert html.status_code == 303 and html.headers["Location"].endswith("/review/ontology/index.html")
    turtle = client.get("/ontology")
    assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
    classes = set(Graph().parse(data=turtle.data, format="turtle").subjects(RDF.type, OWL.Class))
    assert MD.Agreement in classes
    for media_type, rdflib_format in (
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
    ):
        answer = client.get("/ontology", headers={"Accept": media_type})
        assert answer.status_code == 200 and answer.mimetype == media_type
        assert (
            set(Graph().parse(data=answer.data, format=rdflib_format).subjects(RDF.type, OWL.Class))
            == classes
        )
        assert answer.headers["Vary"] == "Accept"
    assert client.get("/ontology?format=jsonld").mimetype == "application/ld+json"
    refused = client.get("/ontology", headers={"Accept": "image/png"})
    assert refused.status_code == 406 and b"text/html" in refused.data


# --- In a real browser --------------------------------------------------------------------------

PAGES = {  # one page of each kind
    "start": "/review/",
    "source": "/review/sources/003_b26980c2506844ff.html",
    "entity": f"/review{PARTNERSHIP}.html",
    "ontology": "/review/ontology/index.html",
    "class": "/review/ontology/class-Agreement.html",
    "property": "/review/ontology/property-party.html",
    "controlled value": "/review/ontology/value-signed.html",
    "shapes": "/review/shapes.html",
    "changelog": "/review/changelog.html",
    "report": "/review/report.html",
}
# Text that is the source's own words, an address on purpose, or a citation may hold an IRI.
NOT_LABELS = ".iri, .sentence, q, .cite, code"
RAW_IRI = re.compile(r"https?://\S+|\b(?:md|id|rdf|rdfs|owl|skos|dcterms|org|prov|wd|gn|xsd):[A-Za-z]\w*")


def test_each_kind_of_review_page_renders_in_a_browser(server_url: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []  # the Content-Security-Policy blocks nothing the pages need
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        for kind, path in PAGES.items():
            response = page.goto(f"{server_url}{path}")
            assert response is not None and response.status == 200, kind
            assert page.locator("h1").first.inner_text().strip(), kind
            shot = Image.open(io.BytesIO(page.screenshot())).convert("L")
            darkest, lightest = shot.getextrema()
            colours = sum(1 for n in shot.histogram() if n)
            assert lightest - darkest > 100 and colours > 20, f"{kind}: a blank screenshot"
            text = page.evaluate(  # the report too: it calls things by kind and name
                "(skip) => { const body = document.body.cloneNode(true);"
                " body.querySelectorAll(skip).forEach(e => e.remove()); return body.innerText; }",
                NOT_LABELS,
            )
            assert RAW_IRI.findall(text) == [], kind
        for kind in ("class", "ontology"):
            page.goto(f"{server_url}{PAGES[kind]}")
            diagram = page.locator("figure object")
            assert diagram.count() == 1 and diagram.bounding_box()["height"] > 100, kind  # type: ignore[index]
        page.goto(f"{server_url}{PAGES['source']}")
        page.get_by_role("link", name="India–Australia Critical Mineral Investment Partnership").first.click()
        assert page.url.endswith(f"/review{PARTNERSHIP}.html")
        assert not [e for e in errors if "Content Security Policy" in e], errors
