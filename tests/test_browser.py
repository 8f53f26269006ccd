"""The editor in a real headless browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, sync_playwright

from mineral_diplomacy.queries.catalogue import load_questions

CHROMIUM = shutil.which("chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (closed afterwards)."""
    if CHROMIUM is None:  # .ci/run installs it; a missing browser is a failure, not a skip
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_editor_runs_an_example_question_and_shows_its_rows(server_url: str) -> None:
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []  # the page's Content-Security-Policy blocks nothing it needs
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(f"{server_url}/")
        page.wait_for_selector(".yasqe .CodeMirror")
        question = page.locator("button.example", has_text="Where do the source documents disagree")
        page.locator("#examples details", has=question).locator("summary").click()  # its theme, folded
        question.click()
        table = page.locator(".yasr table")
        table.get_by_text("Minerals Security Partnership").first.wait_for(timeout=20_000)
        rows = table.locator("tbody tr")
        expected = next(q for q in load_questions() if q.id == "disagreements").expected["rows"]
        assert rows.count() == len(expected)  # type: ignore[arg-type]
        assert "14 countries" in table.inner_text()
        assert not [e for e in errors if "Content Security Policy" in e], errors


def test_the_review_pages_find_an_entity_by_name_or_identifier(server_url: str) -> None:
    """The entity index's search, in the page: India by its Wikidata id (countries.csv), KABIL by
    its short name; the page's own script runs under the site's Content-Security-Policy."""
    import csv

    from mineral_diplomacy.graph import SHARED_DIR

    with (SHARED_DIR / "reference" / "countries.csv").open(encoding="utf-8", newline="") as handle:
        india = next(r for r in csv.DictReader(handle) if r["iso_alpha2"] == "IN")
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        missing: list[str] = []
        page.on("response", lambda response: missing.append(response.url) if response.status >= 400 else None)
        page.goto(f"{server_url}/review/entities.html")
        for typed, expected in ((india["wikidata_qid"], "India"), ("KABIL", "Khanij Bidesh India Ltd")):
            page.fill("#find", typed)
            found = page.locator("#found li a")
            found.first.wait_for(timeout=10_000)
            assert expected in found.all_inner_texts(), (typed, found.all_inner_texts())
        page.fill("#find", "no such thing anywhere")
        assert page.locator("#found li").inner_text() == "Nothing found."
        assert not [url for url in missing if not url.endswith("/favicon.ico")], missing
        assert not [e for e in errors if "Content Security Policy" in e], errors


def test_the_editor_fits_a_laptop_screen_and_shows_labels(server_url: str) -> None:
    """At 1366x768 the editor is on the screen (the questions are folded below it); a result of
    bare IRIs shows each entity's label (countries.csv's name for India), linked, and no
    datatypes."""
    import csv

    from mineral_diplomacy.graph import SHARED_DIR

    with (SHARED_DIR / "reference" / "countries.csv").open(encoding="utf-8", newline="") as handle:
        india = next(r for r in csv.DictReader(handle) if r["iso_alpha2"] == "IN")
    name = india["common_name"] or india["name"]
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{server_url}/")
        editor = page.locator(".yasqe .CodeMirror")
        editor.wait_for()
        box = editor.bounding_box()
        assert box is not None and box["y"] + 150 < 768, box
        page.evaluate("""() => { const tab = window.mineralDiplomacyEditor.getTab();
            tab.setQuery('SELECT ?country ?code WHERE { ?country '
                         + '<https://w3id.org/mineral-diplomacy/ontology#isoAlpha2> ?code '
                         + 'FILTER(?code = "IN") }');
            tab.query(); }""")
        cell = page.locator(".yasr table tbody a.iri").first
        cell.wait_for(timeout=20_000)
        shown = f"() => document.querySelector('.yasr table tbody a.iri').textContent === {name!r}"
        page.wait_for_function(shown, timeout=10_000)
        assert cell.get_attribute("href") == "https://w3id.org/mineral-diplomacy/id/country/india"
        assert "^^" not in page.locator(".yasr table").inner_text()
