"""The review workbook round trip: export, import with no edit (nothing changes), with edits and
verdicts (they go in), and with bad cells (reported by sheet and cell; nothing written)."""

from __future__ import annotations

import datetime
import difflib
import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml

from mineral_diplomacy.cli.commands import main
from mineral_diplomacy.graph import RECORDS_DIR, SHARED_DIR
from mineral_diplomacy.ontology import ONTOLOGY_FILE

PARTNERSHIP_RECORD = "https://w3id.org/mineral-diplomacy/record/003/agreement/india-australia-critical-mineral-investment-partnership"
MD = "https://w3id.org/mineral-diplomacy/ontology#"


@pytest.fixture
def places(tmp_path: Path, published: Path) -> dict[str, Path]:
    """Copies of the files an import edits, and the workbook exported from the published build."""
    ontology = tmp_path / "ontology.ttl"
    shutil.copy(ONTOLOGY_FILE, ontology)
    records = tmp_path / "records"
    shutil.copytree(RECORDS_DIR, records)
    paths = {
        "release": (published / "current").resolve(),
        "ontology": ontology,
        "records": records,
        "reviews": tmp_path / "reviews",
        "xlsx": tmp_path / "review.xlsx",
        "csv": tmp_path / "csv",
    }
    assert (
        main(
            ["workbook", "export", *_options(paths), "--xlsx", str(paths["xlsx"]), "--csv", str(paths["csv"])]
        )
        == 0
    )
    return paths


def _options(paths: dict[str, Path]) -> list[str]:
    return [
        "--release",
        str(paths["release"]),
        "--ontology",
        str(paths["ontology"]),
        "--records",
        str(paths["records"]),
        "--reviews",
        str(paths["reviews"]),
        "--shared",
        str(SHARED_DIR),
    ]


def _import(paths: dict[str, Path], workbook: Path) -> int:
    return main(
        [
            "workbook",
            "import",
            str(workbook),
            "--reviewer",
            "Asha Rao",
            "--date",
            "2026-12-02",
            *_options(paths),
        ]
    )


def _files(paths: dict[str, Path]) -> dict[str, bytes]:
    files = {"ontology": paths["ontology"].read_bytes()}
    files |= {p.name: p.read_bytes() for p in sorted(paths["records"].iterdir())}
    files |= {f"reviews/{p.name}": p.read_bytes() for p in sorted(paths["reviews"].glob("*"))}
    return files


def _edit(path: Path, out: Path, sheet: str, match, **cells: object) -> str:  # type: ignore[no-untyped-def]
    """Set cells (by column name) in the one row of a sheet whose first cell ``match`` accepts;
    return that row's number."""
    book = openpyxl.load_workbook(path)
    rows = book[sheet]
    header = [c.value for c in rows[1]]
    (row,) = [r for r in rows.iter_rows(min_row=2) if match(r[0].value)]
    for column, value in cells.items():
        row[header.index(column.replace("_", " "))].value = value
    book.save(out)
    return str(row[0].row)


def _column(name: str) -> str:
    """The letter of a column of the Facts sheet."""
    from openpyxl.utils import get_column_letter

    from mineral_diplomacy.review.workbook import FACT_COLUMNS

    return get_column_letter(FACT_COLUMNS.index(name) + 1)


def _changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_export_then_import_without_edits_changes_nothing(places: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(places["xlsx"], read_only=True)
    assert book.sheetnames == ["About", "Terms", "Facts", "Candidates"]
    before = _files(places)
    assert _import(places, places["xlsx"]) == 0
    assert _import(places, places["csv"]) == 0
    assert _files(places) == before  # byte for byte, and no review file


def test_edits_and_verdicts_go_in(places: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    edited = places["xlsx"].with_name("edited.xlsx")
    _edit(
        places["xlsx"],
        edited,
        "Terms",
        lambda iri: iri == f"{MD}JointVenture",
        label="joint venture (JV)",
        verdict="correct",
    )
    _edit(
        edited,
        edited,
        "Terms",
        lambda iri: iri == f"{MD}party",
        sentence_form="{object} is one of the parties to {subject}.",
        comment="clearer?",
    )
    _edit(
        edited,
        edited,
        "Facts",
        lambda key: key.startswith(f"{PARTNERSHIP_RECORD} http://www.w3.org/2000/01/rdf-schema#label"),
        as_written="India–Australia Critical Mineral Investment Partnership (KABIL MoU: March 2022)",
        verdict="wrong",
        comment="the date reads better after a colon",
    )
    before = _files(places)
    assert _import(places, edited) == 0, capsys.readouterr().err
    assert "3 new verdict(s) or comment(s), 2 term edit(s), 1 fact edit(s)" in capsys.readouterr().out
    after = _files(places)
    assert _changed_lines(before["ontology"], after["ontology"]) == [
        '-    rdfs:label "joint venture"@en ;',
        '+    rdfs:label "joint venture (JV)"@en ;',
        '-md:party md:sentence "{object} is one of the sides in {subject}."@en .',
        '+md:party md:sentence "{object} is one of the parties to {subject}."@en .',
    ]
    record_file = "003_b26980c2506844ff.yaml"
    assert _changed_lines(before[record_file], after[record_file]) == [
        "-  label: India–Australia Critical Mineral Investment Partnership (KABIL MoU, March 2022)",
        '+  label: "India–Australia Critical Mineral Investment Partnership (KABIL MoU: March 2022)"',
    ]
    assert {k for k in after if before.get(k) != after[k]} == {
        "ontology",
        record_file,
        "reviews/asha-rao.yaml",
    }
    reviews = yaml.safe_load(after["reviews/asha-rao.yaml"])
    assert [
        (r["item"].split(" ")[0], r["reviewer"], r["date"], r["verdict"], r["comment"]) for r in reviews
    ] == [
        (f"{MD}JointVenture", "Asha Rao", "2026-12-02", "correct", ""),
        (f"{MD}party", "Asha Rao", "2026-12-02", "", "clearer?"),
        (PARTNERSHIP_RECORD, "Asha Rao", "2026-12-02", "wrong", "the date reads better after a colon"),
    ]
    assert _import(places, edited) == 0  # the same workbook again: nothing new
    assert _files(places) == after


def _facts(csv_dir: Path) -> list[dict[str, str]]:
    import csv

    with (csv_dir / "facts.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_fact_rows_show_what_they_rest_on_and_the_verdicts_so_far(places: dict[str, Path]) -> None:
    """The co-investment's targets rest on a link the curators made (its record says who and
    why); once a verdict is in, a new export shows it; a workbook exported before still imports."""
    record = next(r for r in yaml.safe_load((places["records"] / "000_20ec0fe7883e9450.yaml").read_text())
                  if r.get("key") == "targets")
    rows = [r for r in _facts(places["csv"]) if r["record file"].endswith("000_20ec0fe7883e9450.yaml")
            and r["quote"] == record["quote"]]
    assert rows and all(r["rests on"] == f"A link the curators made ({record['linked_by']})" for r in rows)
    assert all(r["curators' note"] == record["note"] for r in rows)
    plain = next(r for r in _facts(places["csv"]) if r["key"].startswith(PARTNERSHIP_RECORD))
    assert plain["rests on"] == "the sentence" and plain["verdicts so far"] == ""
    edited = places["xlsx"].with_name("verdict.xlsx")
    _edit(places["xlsx"], edited, "Facts", lambda key: key == rows[0]["key"],
          verdict="unsure", comment="Africa only")
    assert _import(places, edited) == 0
    again = places["csv"].with_name("again")
    assert main(["workbook", "export", *_options(places), "--csv", str(again)]) == 0
    (shown,) = [r for r in _facts(again) if r["key"] == rows[0]["key"]]
    assert shown["verdicts so far"] == "Asha Rao (2026-12-02): unsure, Africa only"
    assert _import(places, places["xlsx"]) == 0  # exported before that verdict: still imports


def test_one_sheet_alone_can_be_returned(places: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A reviewer sends back facts.csv only: its verdicts go in, the other sheets are not asked for."""
    import csv

    facts = places["csv"] / "facts.csv"
    rows = list(csv.DictReader(facts.open(encoding="utf-8", newline="")))
    rows[0]["verdict"] = "correct"
    lone = places["csv"].with_name("returned") / "facts.csv"
    lone.parent.mkdir()
    with lone.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert _import(places, lone) == 0, capsys.readouterr().err
    assert "1 new verdict(s)" in capsys.readouterr().out
    reviews = yaml.safe_load((places["reviews"] / "asha-rao.yaml").read_text())
    assert [r["item"] for r in reviews] == [rows[0]["key"]]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("returned.xlsx", None, "returned.xlsx does not exist"),
    ("returned.xlsx", b"not a workbook", "returned.xlsx is not an XLSX workbook"),
    ("notes.csv", b"a,b\n", "notes.csv is not one of the sheets"),
])
def test_a_file_that_is_not_a_workbook_is_named_as_such(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str], name: str, content: bytes | None,
    message: str,
) -> None:
    path = places["xlsx"].with_name(name)
    if content is not None:
        path.write_bytes(content)
    before = _files(places)
    assert _import(places, path) == 2
    err = capsys.readouterr().err
    assert message in err and "missing-sheet" not in err and "Traceback" not in err
    assert _files(places) == before


def test_bad_cells_are_reported_by_sheet_and_cell_and_nothing_is_written(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = places["xlsx"].with_name("bad.xlsx")
    signed = _edit(
        places["xlsx"],
        bad,
        "Facts",
        lambda key: key.startswith(f"{PARTNERSHIP_RECORD} {MD}signedOn"),
        verdict="maybe",
        subject="someone else",
    )
    party = _edit(bad, bad, "Terms", lambda iri: iri == f"{MD}party", sentence_form="{object} signs.")
    venture = _edit(
        bad, bad, "Terms", lambda iri: iri == f"{MD}JointVenture", label=datetime.datetime(2022, 3, 1)
    )
    before = _files(places)
    assert _import(places, bad) == 1
    err = capsys.readouterr().err
    assert "nothing was written" in err
    assert f"Facts!{_column('verdict')}{signed}: [verdict-value] 'maybe' is not a verdict" in err
    assert f"Facts!C{signed}: [read-only] 'subject' cannot be edited here" in err
    assert f"Terms!H{party}: [sentence-form]" in err
    assert f"Terms!C{venture}: [cell-type]" in err
    assert _files(places) == before


def test_a_shape_the_edit_breaks_is_reported_on_the_edited_cell(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A two-party agreement made 'trilateral' breaks the party-count shape, whose finding names
    the record: reported at the edited cell, not at A1."""
    edited = places["xlsx"].with_name("trilateral.xlsx")
    row = _edit(places["xlsx"], edited, "Facts",
                lambda key: key == f"{PARTNERSHIP_RECORD} {MD}engagementModel {MD}bilateral",
                as_written="trilateral")
    before = _files(places)
    assert _import(places, edited) == 1
    err = capsys.readouterr().err
    assert f"Facts!{_column('as written')}{row}: [PartyCountShape]" in err and "Facts!A1" not in err
    assert _files(places) == before


def test_a_status_is_corrected_in_value_and_date(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A status's maturity and its 'as of' date are cells of their own, edited in place in the
    record's status mapping (and checked by the build)."""
    edited = places["xlsx"].with_name("status.xlsx")
    _edit(places["xlsx"], edited, "Facts",
          lambda key: key.startswith(f"{PARTNERSHIP_RECORD} {MD}maturity "), as_written="announced")
    _edit(edited, edited, "Facts", lambda key: key.startswith(f"{PARTNERSHIP_RECORD} {MD}asOf "),
          as_written="2022-04")
    before = _files(places)
    assert _import(places, edited) == 0, capsys.readouterr().err
    assert "2 fact edit(s)" in capsys.readouterr().out
    record_file = "003_b26980c2506844ff.yaml"
    assert _changed_lines(before[record_file], _files(places)[record_file]) == [
        "-  status: {maturity: signed, as_of: 2022-03}",
        "+  status: {maturity: announced, as_of: 2022-04}",
    ]
    bad = places["xlsx"].with_name("bad-status.xlsx")
    row = _edit(places["xlsx"], bad, "Facts",
                lambda key: key.startswith(f"{PARTNERSHIP_RECORD} {MD}asOf "), as_written="sometime")
    assert _import(places, bad) == 1
    assert f"Facts!{_column('as written')}{row}: " in capsys.readouterr().err


def test_an_amount_is_corrected_in_place(places: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """An amount's figure is a cell of its own (amount.value), edited in place in the record."""
    pact = "https://w3id.org/mineral-diplomacy/record/003/agreement/india-argentina-lithium-exploration-pact"
    edited = places["xlsx"].with_name("amount.xlsx")
    _edit(places["xlsx"], edited, "Facts", lambda key: key.startswith(f"{pact} {MD}value "), as_written="25")
    record_file = "003_b26980c2506844ff.yaml"
    before = _files(places)[record_file]
    assert _import(places, edited) == 0, capsys.readouterr().err
    changed = _changed_lines(before, _files(places)[record_file])
    assert len(changed) == 2 and changed[0].replace("24", "25", 1)[1:] == changed[1][1:], changed


def test_a_value_the_build_rejects_is_reported_on_its_cell(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = places["csv"]
    facts = (bad / "facts.csv").read_text(encoding="utf-8").splitlines()
    number = next(
        i for i, line in enumerate(facts, start=1) if line.startswith(f"{PARTNERSHIP_RECORD} {MD}signedOn")
    )
    facts[number - 1] = facts[number - 1].replace(",signed_on,2022-03,", ",signed_on,March 2022,")
    (bad / "facts.csv").write_text("\n".join(facts) + "\n", encoding="utf-8")
    before = _files(places)
    assert _import(places, bad) == 1
    err = capsys.readouterr().err
    assert f"Facts!{_column('as written')}{number}: [record-date] 'March 2022' is not a date." in err
    assert _files(places) == before


IEA_MOU = "https://w3id.org/mineral-diplomacy/record/000/agreement/india-iea-critical-minerals-mou"
ID = "https://w3id.org/mineral-diplomacy/id/"


def _corrected(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str], key: str, value: str
) -> list[str]:
    """Write ``value`` as the fact ``key``'s 'as written', import it, and return the lines of 000's
    records file that changed."""
    edited = places["xlsx"].with_name("corrected.xlsx")
    _edit(places["xlsx"], edited, "Facts", lambda k: k == key, as_written=value)
    record_file = "000_20ec0fe7883e9450.yaml"
    before = _files(places)[record_file]
    assert _import(places, edited) == 0, capsys.readouterr().err
    return _changed_lines(before, _files(places)[record_file])


def test_a_party_in_a_list_is_corrected_in_place(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each party of `parties: [country/india, organization/iea]` is a row of its own; editing the
    second changes that item and nothing else, and an id the build does not know is refused at the
    edited cell."""
    facts = {row["key"]: row for row in _facts(places["csv"])}
    row = facts[f"{IEA_MOU} {MD}party {ID}organization/iea"]
    assert (row["field"], row["as written"]) == ("parties[1]", "organization/iea")
    unknown = places["xlsx"].with_name("unknown-party.xlsx")
    number = _edit(places["xlsx"], unknown, "Facts", lambda key: key == row["key"],
                   as_written="country/atlantis")
    before = _files(places)
    assert _import(places, unknown) == 1
    err = capsys.readouterr().err
    assert f"Facts!{_column('as written')}{number}: [unknown-reference]" in err and "country/atlantis" in err
    assert _files(places) == before
    assert _corrected(places, capsys, row["key"], "country/australia") == [
        "-  parties: [country/india, organization/iea]",
        "+  parties: [country/india, country/australia]",
    ]


def test_a_term_of_access_is_corrected_field_by_field(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A term of access, written as a mapping in a list (`secures: - {access: ..., secured_for:
    ...}`), has a row per field, named by its words rather than its internal id."""
    facts = {row["key"]: row for row in _facts(places["csv"])}
    term = f"{ID}agreement/india-iea-critical-minerals-mou#secures-000"
    kind = facts[f"{IEA_MOU} {MD}accessKind {MD}informationAccess {term}"]
    assert (kind["field"], kind["as written"]) == ("secures[0].access", "informationAccess")
    assert "#" not in kind["subject"] and "India" in kind["subject"], kind["subject"]
    holder = facts[f"{IEA_MOU} {MD}securedFor {ID}country/india {term}"]
    assert (holder["field"], holder["as written"]) == ("secures[0].secured_for", "country/india")
    assert _corrected(places, capsys, kind["key"], "technologyAccess") == [
        "-    - {access: informationAccess, secured_for: country/india}",
        "+    - {access: technologyAccess, secured_for: country/india}",
    ]


def test_facts_from_the_tables_are_rows_open_to_verdicts(
    places: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Chile's ISO alpha-3 code comes from its row of countries.csv (read here from the table): the
    Facts sheet has it with that line as its quote; a verdict on it is recorded, an edit of it is
    refused (the tables are their curators' to correct)."""
    table = (SHARED_DIR / "reference" / "countries.csv").read_text(encoding="utf-8").splitlines()
    number, line = next((n, text) for n, text in enumerate(table, start=1) if ",CL,CHL," in text)
    facts = {row["key"]: row for row in _facts(places["csv"])}
    key = (f"https://w3id.org/mineral-diplomacy/graph/reference {MD}isoAlpha3 CHL {ID}country/chile")
    row = facts[key]
    assert row["sentence"] == "Chile has the ISO 3166-1 alpha-3 code CHL."
    assert row["rests on"] == "the reference tables"
    assert (row["record file"], row["line"]) == ("shared/reference/countries.csv", str(number))
    assert line in row["quote"].splitlines()
    edited = places["xlsx"].with_name("table-edit.xlsx")
    number_in_sheet = _edit(places["xlsx"], edited, "Facts", lambda k: k == key, as_written="CHI")
    assert _import(places, edited) == 1
    assert f"Facts!{_column('as written')}{number_in_sheet}: [read-only]" in capsys.readouterr().err
    judged = places["xlsx"].with_name("table-verdict.xlsx")
    _edit(places["xlsx"], judged, "Facts", lambda k: k == key, verdict="wrong", comment="check the code")
    assert _import(places, judged) == 0, capsys.readouterr().err
    (review,) = yaml.safe_load((places["reviews"] / "asha-rao.yaml").read_text(encoding="utf-8"))
    assert (review["item"], review["verdict"], review["comment"]) == (key, "wrong", "check the code")


def test_a_controlled_value_is_chosen_from_a_drop_down(places: dict[str, Path]) -> None:
    """A status's maturity cell offers the ontology's maturity levels (read here from the
    ontology), and nothing is offered on a cell that takes a date."""
    from mineral_diplomacy.ontology.namespaces import MD as TERMS
    from mineral_diplomacy.ontology.vocabulary import vocabulary

    levels = vocabulary().values_of(TERMS.MaturityLevel)
    sheet = openpyxl.load_workbook(places["xlsx"])["Facts"]
    keys = [row[0].value for row in sheet.iter_rows(min_row=2)]
    maturity = 2 + next(i for i, k in enumerate(keys) if k.startswith(f"{PARTNERSHIP_RECORD} {MD}maturity "))
    date = 2 + next(i for i, k in enumerate(keys) if k.startswith(f"{PARTNERSHIP_RECORD} {MD}signedOn "))
    column = _column("as written")
    offered = {dv.formula1: {str(r) for r in dv.sqref.ranges} for dv in sheet.data_validations.dataValidation}
    assert f"{column}{maturity}" in offered['"' + ",".join(levels) + '"']
    assert not any(f"{column}{date}" in cells for cells in offered.values())
