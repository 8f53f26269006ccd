"""A new document into the graph: add-source keeps the text as received with its metadata,
propose writes candidates (never records) whose quotes are spans of the text, accept moves only
what a person accepted, and bad input gets a clear error with nothing lost."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.graph import DOCUMENTS_DIR, RECORDS_DIR, SHARED_DIR
from mineral_diplomacy.graph.documents import REGISTER
from mineral_diplomacy.graph.intake.values import amounts, dates, quantities
from mineral_diplomacy.graph.names import fold
from mineral_diplomacy.graph.problems import BuildFailed
from mineral_diplomacy.graph.sources import SourceCollection, normalise, project_sources
from mineral_diplomacy.ontology.namespaces import GRAPH, ID, MD
from mineral_diplomacy.release.pipeline import run_build
from mineral_diplomacy.release.store import load_store, select, text

INCOMING = SHARED_DIR / "incoming"
KABIL = "kabil-self-reliance-critical-strategic-minerals.txt"
METADATA = [
    "--title",
    "Efforts to attain self-reliance in critical & strategic mineral requirements",
    "--publisher",
    "Ministry of Mines",
    "--issued",
    "2022-01-03",
    "--date-known-from",
    "the date line of the text",
    "--type",
    "governmentRelease",
    "--address",
    "https://orissadiary.com/efforts-to-attain-self-reliance-in-critical-strategic-mineral-requirements/",
    "--licence",
    "PIB material may be reproduced with acknowledgement",
]


@pytest.fixture
def places(tmp_path: Path, real_records: Path) -> dict[str, Path]:
    """The project's records without those of its own documents (each test adds what it needs)."""
    for document in DOCUMENTS_DIR.glob("*.txt"):
        (real_records / f"{document.stem}.yaml").unlink(missing_ok=True)
    return {
        "documents": tmp_path / "documents",
        "candidates": tmp_path / "candidates",
        "records": real_records,
        "out": tmp_path / "out",
        "marks": tmp_path / "marks",
    }


def _flags(places: dict[str, Path], *names: str) -> list[str]:
    return [item for name in names for item in (f"--{name}", str(places[name]))]


def _add(places: dict[str, Path], file: Path, *extra: str) -> int:
    return main(["add-source", str(file), *METADATA, *extra, *_flags(places, "documents")])


def test_add_source_keeps_the_text_as_received_with_its_metadata(places: dict[str, Path]) -> None:
    assert _add(places, INCOMING / KABIL) == 0
    kept = places["documents"] / KABIL
    assert kept.read_bytes() == (INCOMING / KABIL).read_bytes()
    entry = yaml.safe_load((places["documents"] / REGISTER).read_text(encoding="utf-8"))[0]
    assert entry["publisher"] == "Ministry of Mines" and entry["issued"] == "2022-01-03"
    assert entry["document_type"] == "governmentRelease" and len(entry["sha256"]) == 64
    assert entry["received"]  # when it was received, set by add-source


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\x7fELF\x02\x01\x00\x00binary", "binary"),
        ("caf\u00e9 in Latin-1".encode("latin-1"), "not UTF-8"),
        (b"  \n\t\n", "empty"),
    ],
)
def test_add_source_refuses_what_is_not_a_text(
    places: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, says: str
) -> None:
    file = tmp_path / "bad.txt"
    file.write_bytes(content)
    assert _add(places, file) == 1
    assert says in capsys.readouterr().err
    assert not (places["documents"] / REGISTER).exists()


def test_add_source_refuses_a_document_already_held(
    places: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add(places, INCOMING / KABIL) == 0
    renamed = tmp_path / "same-text-other-name.txt"
    shutil.copy(INCOMING / KABIL, renamed)
    assert _add(places, renamed) == 1
    assert f"already held as {KABIL}" in capsys.readouterr().err
    seed = sorted((SHARED_DIR / "sources").glob("*.txt"))[0]
    assert _add(places, seed) == 1  # a seed document's text too
    assert "already held" in capsys.readouterr().err
    assert len(yaml.safe_load((places["documents"] / REGISTER).read_text(encoding="utf-8"))) == 1


def test_add_source_refuses_metadata_it_cannot_use(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for issued, kind, says in (
        ("2022-13", "governmentRelease", "is not a date"),
        ("2022", "pressRelease", "is not a document type; use one of:"),
    ):
        fields = [
            "--title",
            "T",
            "--publisher",
            "P",
            "--issued",
            issued,
            "--date-known-from",
            "x",
            "--type",
            kind,
        ]
        assert main(["add-source", str(INCOMING / KABIL), *fields, *_flags(places, "documents")]) == 1
        assert says in capsys.readouterr().err
    assert main(["add-source", str(INCOMING / KABIL), "--title", "T", *_flags(places, "documents")]) == 1
    assert "metadata lacks publisher" in capsys.readouterr().err
    assert not (places["documents"] / KABIL).exists()


def _propose(places: dict[str, Path]) -> list[dict[str, object]]:
    assert main(["propose", KABIL, *_flags(places, "documents", "candidates", "records")]) == 0
    return yaml.safe_load((places["candidates"] / f"{Path(KABIL).stem}.yaml").read_text(encoding="utf-8"))


def test_propose_writes_grounded_candidates_and_never_records(places: dict[str, Path]) -> None:
    assert _add(places, INCOMING / KABIL) == 0
    before = {p.name: p.read_bytes() for p in places["records"].iterdir()}
    document, *candidates = _propose(places)
    assert {p.name: p.read_bytes() for p in places["records"].iterdir()} == before
    held = SourceCollection(places["documents"])
    assert candidates and all(held.contains(KABIL, str(c["record"]["quote"])) for c in candidates)  # type: ignore[index]
    assert all(c["decision"] == "pending" and c["rule"] and c["confidence"] for c in candidates)
    sentences = document["sentences"]  # type: ignore[index]
    assert [s["text"] for s in sentences] and all(
        normalise(s["text"]) in held.files[KABIL] for s in sentences
    )
    # "In order to ensure ... the Ministry of Mines has created ... KABIL ... with participating
    # interest of NALCO, HCL and MECL": the owners, and the three companies the reference tables know
    owners = [c["record"] for c in candidates if c["rule"] == "owners"]
    assert owners == [
        {
            "id": "organization/kabil",
            "key": "owners",
            "owned_by": ["organization/nalco", "organization/hcl", "organization/mecl"],
            "source": KABIL,
            "quote": sentences[0]["text"],
        }
    ]
    described = {c["record"]["id"]: c["record"] for c in candidates if c["rule"] == "reference-entity"}  # type: ignore[index]
    assert described["organization/nalco"]["type"] == "StateOwnedEnterprise"
    assert described["organization/nalco"]["ref"] == "organizations/NALCO"
    # "KABIL is mandated to identify and acquire overseas mineral assets": a mandate, not an act
    assert not [c for c in candidates if c["rule"] == "acquiring" and c["sentence"] == 2]
    purposes = [c["record"]["purpose"] for c in candidates if c["rule"] == "purpose"]  # type: ignore[index]
    assert purposes == [
        "Identify and acquire overseas mineral assets of critical and strategic nature such as Lithium, "
        "Cobalt etc."
    ]


def _accept(places: dict[str, Path]) -> int:
    return main(
        [
            "accept",
            KABIL,
            "--by",
            "A. Reviewer",
            *_flags(places, "documents", "candidates", "records", "marks"),
        ]
    )


def _decide(
    places: dict[str, Path], decisions: dict[str, str], edit: dict[str, dict[str, object]] | None = None
) -> None:
    path = places["candidates"] / f"{Path(KABIL).stem}.yaml"
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in items[1:]:
        item["decision"] = decisions.get(str(item["record"]["id"]) + "#" + str(item["rule"]), "pending")
        item["record"].update((edit or {}).get(str(item["record"]["id"]), {}))
    path.write_text(yaml.safe_dump(items, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_accepted_candidates_become_records_that_build_with_who_accepted_them(
    places: dict[str, Path],
) -> None:
    assert _add(places, INCOMING / KABIL) == 0
    _propose(places)
    _decide(
        places,
        {
            "organization/kabil#owners": "accept",
            "organization/nalco#reference-entity": "accept",
            "organization/hcl#reference-entity": "accept",
            "organization/mecl#reference-entity": "accept",
            "organization/kabil#purpose": "reject",
        },
        edit={"organization/mecl": {"note": "The text names it Mineral Exploration Corporation Ltd."}},
    )
    assert _accept(places) == 0
    written = yaml.safe_load((places["records"] / f"{Path(KABIL).stem}.yaml").read_text(encoding="utf-8"))
    assert {(r["id"], r["candidate"], r["accepted_by"]) for r in written} == {
        ("organization/kabil", "owners", "A. Reviewer"),
        ("organization/nalco", "reference-entity", "A. Reviewer"),
        ("organization/hcl", "reference-entity", "A. Reviewer"),
        ("organization/mecl", "reference-entity (edited)", "A. Reviewer"),
    }
    marks = yaml.safe_load((places["marks"] / f"{Path(KABIL).stem}.yaml").read_text(encoding="utf-8"))
    assert [m["quote"][:40] for m in marks] == [
        "Based on a commissioned study and select"
    ]  # the no-fact sentence
    left = yaml.safe_load((places["candidates"] / f"{Path(KABIL).stem}.yaml").read_text(encoding="utf-8"))
    assert all(c["decision"] == "pending" for c in left[1:])
    # the rejected one is remembered and not offered again
    assert not [c for c in _propose(places)[1:] if c["rule"] == "purpose"]
    result = run_build(places["records"], SHARED_DIR, places["out"], documents_dir=places["documents"])
    store = load_store(result.release)
    _, rows = select(
        store,
        f"""SELECT ?who ?rule WHERE {{ GRAPH <{GRAPH.provenance}> {{ ?g <{MD.describes}>
        <{ID["organization/kabil"]}> ; <{MD.acceptedBy}> ?who ; <{MD.proposedByRule}> ?rule }} }}""",
    )
    assert [(text(r["who"]), text(r["rule"])) for r in rows] == [("A. Reviewer", "owners")]
    _, owners = select(
        store, f"""SELECT ?o WHERE {{ GRAPH ?g {{ <{ID["organization/kabil"]}> <{MD.ownedBy}> ?o }} }}"""
    )
    assert {text(r["o"]) for r in owners} == {str(ID[f"organization/{o}"]) for o in ("nalco", "hcl", "mecl")}
    document = ID[f"source/{Path(KABIL).stem}"]
    _, kinds = select(
        store, f"SELECT ?k WHERE {{ GRAPH <{GRAPH.provenance}> {{ <{document}> <{MD.documentType}> ?k }} }}"
    )
    assert [text(r["k"]) for r in kinds] == [str(MD.governmentRelease)]


def test_accept_refuses_a_candidate_whose_quote_no_longer_matches(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add(places, INCOMING / KABIL) == 0
    _propose(places)
    _decide(
        places,
        {"organization/kabil#owners": "accept"},
        edit={"organization/kabil": {"quote": "KABIL is owned by the Ministry of Mines."}},
    )
    before = {p.name: p.read_bytes() for p in places["records"].iterdir()}
    assert _accept(places) == 1
    err = capsys.readouterr().err
    assert (
        "[candidate-quote]" in err and "its quote does not occur in" in err and "Nothing was accepted" in err
    )
    assert {p.name: p.read_bytes() for p in places["records"].iterdir()} == before


def test_a_candidate_file_edited_into_invalid_yaml_is_named_with_its_line(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add(places, INCOMING / KABIL) == 0
    _propose(places)
    path = places["candidates"] / f"{Path(KABIL).stem}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    broken = next(i for i, line in enumerate(lines) if line.strip().startswith("decision:"))
    lines[broken] = lines[broken].replace("decision: pending", 'decision: "accept')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _accept(places) == 1
    assert f"graph/candidates/{path.name}:{broken + 1}: [yaml-syntax]" in capsys.readouterr().err


def test_a_text_changed_after_it_was_added_fails_the_build(places: dict[str, Path]) -> None:
    assert _add(places, INCOMING / KABIL) == 0
    kept = places["documents"] / KABIL
    kept.write_text(kept.read_text(encoding="utf-8").replace("Lithium", "Lithium and Gold"), encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        run_build(places["records"], SHARED_DIR, places["out"], documents_dir=places["documents"])
    assert [p.rule for p in failed.value.problems] == ["document-changed"]
    assert failed.value.problems[0].file == f"graph/documents/{REGISTER}"


def test_dates_amounts_and_quantities_keep_their_precision() -> None:
    found = dates(
        "Field Season 2020-21 2021-22 Total; since its inception last June; FY 2024-25; "
        "on 12 March 2022 and in 2023",
        date(2023, 9, 16),
    )
    assert [(f.value, f.precision) for f in found] == [
        ("FS2020-21", "fieldSeason"),
        ("FS2021-22", "fieldSeason"),
        ("", "relative"),  # "last June" in September 2023: June 2023, or June 2022? A person decides
        ("FY2024-25", "financialYear"),
        ("2022-03-12", "day"),
        ("2023", "year"),
    ]
    assert found[2].extra == {"readings": "2023-06 or 2022-06"}
    assert [a.value for a in amounts("USD 24 million, Rs 500 crore and $1.2 billion")] == [
        {"value": "24", "currency": "USD", "scale": "million"},
        {"value": "500", "currency": "INR", "scale": "crore"},
        {"value": "1.2", "currency": "USD", "scale": "billion"},
    ]
    first = quantities("a list of 30 critical minerals and over 50% of imports", [])[0]
    assert (first.value, first.extra) == ({"value": "30"}, {"of": "critical minerals"})


def test_names_are_folded_as_the_reconciliation_service_folds_them() -> None:
    from mineral_diplomacy.server import reconcile

    assert reconcile.fold is fold  # one folding, in one place
    assert fold("The Hindustan Copper Limited") == fold("Hindustan Copper Ltd") == "hindustan copper ltd"


MSP = "msp-expands-norway-italy-india.txt"
MSP_METADATA = [
    "--title",
    "US Expands Minerals Security Partnership with Norway, Italy, India",
    "--publisher",
    "U.S. Department of State",
    "--issued",
    "2023-09",
    "--date-known-from",
    "the republisher's report",
    "--type",
    "governmentRelease",
]


@pytest.fixture
def msp_queue(tmp_path: Path) -> dict[str, Path]:
    """The State Department's note added and proposed into folders of the test's own."""
    folders = {"documents": tmp_path / "documents", "candidates": tmp_path / "candidates"}
    records = tmp_path / "records"
    shutil.copytree(RECORDS_DIR, records, ignore=shutil.ignore_patterns(f"{Path(MSP).stem}.yaml"))
    assert (
        main(["add-source", str(INCOMING / MSP), *MSP_METADATA, "--documents", str(folders["documents"])])
        == 0
    )
    assert main(["propose", MSP, "--records", str(records), *_flags(folders, "documents", "candidates")]) == 0
    return {**folders, "records": records}


def test_the_review_pages_show_the_queue_in_plain_words(
    msp_queue: dict[str, Path], published: Path, tmp_path: Path
) -> None:
    from mineral_diplomacy.graph import COVERAGE_DIR, PROJECT_DIR
    from mineral_diplomacy.review import REVIEWS_DIR
    from mineral_diplomacy.review.site import Inputs, write_site

    inputs = Inputs(
        RECORDS_DIR,
        COVERAGE_DIR,
        project_sources(SHARED_DIR),
        REVIEWS_DIR,
        PROJECT_DIR,
        msp_queue["candidates"],
    )
    site = write_site((published / "current").resolve(), inputs, None, tmp_path / "site")
    page = (site / "candidates.html").read_text(encoding="utf-8")
    # "we welcomed Norway, Italy, and India, making 14 partners - Australia, ...": each a membership
    assert "Since MSP&#39;s inception last June, we welcomed Norway" in page
    assert "membership: new: membership/finland/minerals-security-partnership" not in page  # it is known
    assert "membership: The European Union in the Minerals Security Partnership" in page
    assert "member: Norway" in page and "organization: Minerals Security Partnership" in page
    assert "Names the graph does not know: " in page
    assert "Read as stating no fact: republisher" in page  # the footer
    count = (
        len(yaml.safe_load((msp_queue["candidates"] / f"{Path(MSP).stem}.yaml").read_text(encoding="utf-8")))
        - 1
    )
    assert count > 13 and f"{count} of {count} candidates pending" in page  # 13 memberships and more
    index = (site / "index.html").read_text(encoding="utf-8")
    assert f"msp-expands-norway-italy-india.txt ({count} of {count} candidates)" in index
    assert "Waiting for a decision:" in index and "0 of 0" not in index


def _export(msp_queue: dict[str, Path], published: Path, xlsx: Path) -> None:
    assert (
        main(
            [
                "workbook",
                "export",
                "--release",
                str((published / "current").resolve()),
                "--candidates",
                str(msp_queue["candidates"]),
                "--xlsx",
                str(xlsx),
            ]
        )
        == 0
    )


def _import(msp_queue: dict[str, Path], published: Path, xlsx: Path, tmp_path: Path) -> int:
    return main(
        [
            "workbook",
            "import",
            str(xlsx),
            "--reviewer",
            "A. Reviewer",
            "--release",
            str((published / "current").resolve()),
            "--candidates",
            str(msp_queue["candidates"]),
            "--reviews",
            str(tmp_path / "reviews"),
        ]
    )


def test_the_workbook_takes_decisions_and_edits_of_candidates(
    msp_queue: dict[str, Path], published: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    xlsx = tmp_path / "review.xlsx"
    _export(msp_queue, published, xlsx)
    book = openpyxl.load_workbook(xlsx)
    sheet = book["Candidates"]
    header = [c.value for c in sheet[1]]
    rows = {
        sheet.cell(r, header.index("record") + 1).value.split("\n")[0]: r for r in range(2, sheet.max_row + 1)
    }
    norway = rows["id: membership/norway/minerals-security-partnership"]
    canada = rows["id: membership/canada/minerals-security-partnership"]
    decision, record = header.index("decision") + 1, header.index("record") + 1
    sheet.cell(norway, decision).value = "accept"
    sheet.cell(norway, record).value = (
        sheet.cell(norway, record).value + "\nnote: Welcomed since the inception."
    )
    sheet.cell(canada, decision).value = "reject"
    italy_row = rows["id: membership/italy/minerals-security-partnership"]
    italy_record = sheet.cell(italy_row, record).value
    sheet.cell(italy_row, record).value = "id: [unclosed"
    book.save(xlsx)
    before = (msp_queue["candidates"] / f"{Path(MSP).stem}.yaml").read_text(encoding="utf-8")
    assert _import(msp_queue, published, xlsx, tmp_path) == 1
    err = capsys.readouterr().err
    italy_cell = f"{openpyxl.utils.get_column_letter(record)}{italy_row}"
    assert f"Candidates!{italy_cell}: [record-yaml] This record is not valid YAML" in err
    assert (msp_queue["candidates"] / f"{Path(MSP).stem}.yaml").read_text(
        encoding="utf-8"
    ) == before  # nothing
    book = openpyxl.load_workbook(xlsx)
    book["Candidates"].cell(italy_row, record).value = (
        italy_record + "\nnote: One of the three newest partners."
    )
    book.save(xlsx)
    assert _import(msp_queue, published, xlsx, tmp_path) == 0
    assert "3 candidate decision(s)" in capsys.readouterr().out
    items = yaml.safe_load((msp_queue["candidates"] / f"{Path(MSP).stem}.yaml").read_text(encoding="utf-8"))
    by_id = {i["record"]["id"]: i for i in items[1:]}
    assert by_id["membership/norway/minerals-security-partnership"]["decision"] == "accept"
    assert (
        by_id["membership/norway/minerals-security-partnership"]["record"]["note"]
        == "Welcomed since the inception."
    )
    assert by_id["membership/canada/minerals-security-partnership"]["decision"] == "reject"
    assert (
        main(
            [
                "accept",
                MSP,
                "--by",
                "A. Reviewer",
                "--records",
                str(msp_queue["records"]),
                "--marks",
                str(tmp_path / "marks"),
                *_flags(msp_queue, "documents", "candidates"),
            ]
        )
        == 0
    )
    written = yaml.safe_load((msp_queue["records"] / f"{Path(MSP).stem}.yaml").read_text(encoding="utf-8"))
    assert [(r["id"], r["candidate"]) for r in written] == [
        ("membership/norway/minerals-security-partnership", "membership-list (edited)")
    ]
