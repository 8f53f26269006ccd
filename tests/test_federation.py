"""Federated queries, offline: a second SPARQL endpoint (the oxigraph server from PyPI) on
127.0.0.1 holds a small extract shaped like Wikidata, made from the reference tables; once it is
on the allow-list, a query joins this graph's engagements with it through the mapping sets'
links. A SERVICE to anything else is refused before any connection is made.

The Wikidata property IRIs of the extract (wdt:P297 ISO 3166-1 alpha-2 code, wdt:P1566 GeoNames
id, wdt:P463 member of) are the ones public SPARQL code uses against Wikidata, checked in several
independent files; no continent is included, as no continent item could be checked offline.
"""

from __future__ import annotations

import csv
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mineral_diplomacy.graph import SHARED_DIR
from mineral_diplomacy.server.app import ServerConfig, create_app

from .conftest import free_port, wait_until_up

WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
G20_COUNTRY = "Q19771"  # organizations.csv: Group of Twenty


def _rows(name: str) -> list[dict[str, str]]:
    with (SHARED_DIR / "reference" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _g20_alpha2() -> set[str]:
    return {r["iso_alpha2"] for r in _rows("regions.csv") if r["g20"] == "yes"}


def wikidata_extract() -> str:
    """N-Triples for every country of countries.csv with a Wikidata id: its ISO alpha-2 code, its
    GeoNames id, and its G20 membership (regions.csv), with Wikidata's own IRIs."""
    g20 = _g20_alpha2()
    lines = []
    for row in _rows("countries.csv"):
        if not row["wikidata_qid"]:
            continue
        item = f"<{WD}{row['wikidata_qid']}>"
        lines.append(f'{item} <{WDT}P297> "{row["iso_alpha2"]}" .')
        if row["geonames_id"]:
            lines.append(f'{item} <{WDT}P1566> "{row["geonames_id"]}" .')
        if row["iso_alpha2"] in g20:
            lines.append(f"{item} <{WDT}P463> <{WD}{G20_COUNTRY}> .")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def wikidata_like(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The oxigraph server on a free port, serving the extract; its query endpoint's IRI."""
    oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    folder = tmp_path_factory.mktemp("wikidata-like")
    extract = folder / "extract.nt"
    extract.write_text(wikidata_extract(), encoding="utf-8")
    subprocess.run(
        [oxigraph, "load", "--location", str(folder / "store"), "--file", str(extract)],
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [oxigraph, "serve-read-only", "--location", str(folder / "store"), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}/query"
    wait_until_up(server, lambda: urllib.request.urlopen(f"{endpoint}?query=ASK%7B%7D", timeout=2).read(),
                  "the oxigraph server", 30)
    yield endpoint
    server.terminate()
    server.wait(timeout=20)


FEDERATED = """
SELECT DISTINCT ?country ?iso WHERE {
  ?engagement md:party ?country .
  ?country a md:Country ; skos:exactMatch ?item .
  SERVICE <ENDPOINT> {
    ?item <http://www.wikidata.org/prop/direct/P297> ?iso ;
          <http://www.wikidata.org/prop/direct/P463> <http://www.wikidata.org/entity/Q19771> .
  }
}"""


def test_a_federated_query_joins_engagements_with_the_other_endpoint(
    published: Path, wikidata_like: str
) -> None:
    app = create_app(
        ServerConfig(
            build_dir=published,
            default_timeout=20,
            max_timeout=30,
            service_allowlist=frozenset({wikidata_like}),
        )
    )
    answer = app.test_client().get(
        "/sparql",
        query_string={"query": FEDERATED.replace("ENDPOINT", wikidata_like)},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert answer.status_code == 200, answer.data
    rows = json.loads(answer.data)["results"]["bindings"]
    codes = {row["iso"]["value"] for row in rows}
    g20 = _g20_alpha2()
    # 003: "In March 2022, KABIL ... signed a Memorandum of Understanding (MoU) with Australia";
    # regions.csv: Australia (AU) is a G20 member, Chile (CL) is not
    assert "AU" in codes and "IN" in codes and "CL" not in codes
    assert codes <= g20
    assert all(
        row["country"]["value"].startswith("https://w3id.org/mineral-diplomacy/id/country/") for row in rows
    )
    # another endpoint's data is not this release's: the answer is never kept, here or by a proxy
    assert answer.headers["Cache-Control"] == "no-store" and "ETag" not in answer.headers
    query = FEDERATED.replace("ENDPOINT", wikidata_like)
    again = app.test_client().get("/sparql", query_string={"query": query},
                                  headers={"Accept": "application/sparql-results+json"})
    assert again.status_code == 200 and again.headers["X-Cache"] == "miss"


class _Listener:
    """A TCP port that records every connection made to it."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.socket.close()


def test_a_service_call_anywhere_else_is_refused_before_any_connection(
    published: Path, wikidata_like: str
) -> None:
    listener = _Listener()
    try:
        app = create_app(ServerConfig(build_dir=published, service_allowlist=frozenset({wikidata_like})))
        query = FEDERATED.replace("ENDPOINT", f"http://127.0.0.1:{listener.port}/query")
        answer = app.test_client().get("/sparql", query_string={"query": query})
        assert answer.status_code == 403 and b"allow" in answer.data.lower()
        time.sleep(0.5)
        assert listener.connections == 0
    finally:
        listener.close()
