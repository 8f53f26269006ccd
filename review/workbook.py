"""The review workbook: the ontology's terms and the graph's facts as a spreadsheet (XLSX, or CSV)
with empty ``verdict`` and ``comment`` columns, and the import of an edited one.

An import takes three kinds of change. A verdict or comment becomes a review record (who, when,
what) in ``graph/reviews/``. An edited label, definition or sentence form of a term goes back into
the ontology's Turtle, and an edited value of a fact ("as written") into its record's YAML, as a
text edit of that one literal or scalar, so that nothing else in the file moves. Every row carries
a check of what was exported: a row whose fact or term has changed since cannot be edited. A bad
cell is reported by sheet, cell, rule and message, and then nothing is written at all.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import re
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import yaml
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS, SKOS

from ..graph.intake.candidates import DECISIONS, set_decisions
from ..graph.problems import BuildFailed
from ..graph.records import Node, Record, read_records
from ..graph.sources import SourceCollection, project_sources
from ..ontology.namespaces import GRAPH, ID, MD, PREFIXES, local
from ..ontology.vocabulary import vocabulary_from
from .candidates import CANDIDATE_COLUMNS, CANDIDATE_EDITS, CandidateWords, candidate_rows
from .data import GRAPH_WORDS, TERM_KINDS, Quad, ReviewData, is_nested, ontology_terms
from .verbalise import PLACEHOLDER, Verbaliser
from .verdicts import VERDICTS, Verdict, append_verdicts, load_verdicts

TERM_COLUMNS = (
    "iri",
    "kind",
    "label",
    "definition",
    "parent",
    "domain",
    "range",
    "sentence form",
    "row check",
    "verdict",
    "comment",
)
FACT_COLUMNS = (
    "key",
    "sentence",
    "subject",
    "property",
    "value",
    "source",
    "quote",
    "rests on",
    "curators' note",
    "record file",
    "line",
    "field",
    "as written",
    "verdicts so far",
    "row check",
    "verdict",
    "comment",
)
TERM_EDITS = {"label": RDFS.label, "definition": SKOS.definition, "sentence form": MD.sentence}
REVIEW_COLUMNS = ("verdict", "comment")
# shown, not checked: other reviewers' verdicts arrive while a workbook is out
SHOWN_ONLY = ("verdicts so far",)
SHEETS = {"Terms": TERM_COLUMNS, "Facts": FACT_COLUMNS, "Candidates": CANDIDATE_COLUMNS}
OPTIONAL_SHEETS = ("Candidates",)  # a workbook exported before the intake has none
NOT_EDITABLE = "(not editable here)"
_KIND_ORDER = list(dict.fromkeys(kind for _, kind in TERM_KINDS))


@dataclass(frozen=True)
class Places:
    """The files an import edits, and the release the workbook describes."""

    release: Path
    ontology_file: Path
    records_dir: Path
    reviews_dir: Path
    project_dir: Path
    shared_dir: Path
    candidates_dir: Path | None = None  # the intake's candidate files (the Candidates sheet)


@dataclass(frozen=True)
class CellProblem:
    """A cell the import refuses: where, which rule, and why."""

    sheet: str
    cell: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}: [{self.rule}] {self.message}"


class ImportRefused(ValueError):
    """The workbook has bad cells; nothing was written."""

    def __init__(self, problems: list[CellProblem]) -> None:
        super().__init__(f"{len(problems)} bad cell(s); nothing was written")
        self.problems = problems

    def report(self) -> str:
        return "\n".join([str(self), *(f"  {p}" for p in self.problems)])


@dataclass
class ImportResult:
    """What an import changed."""

    term_edits: int = 0
    fact_edits: int = 0
    verdicts: int = 0
    candidate_decisions: int = 0
    written: list[Path] = field(default_factory=list)


# -- the rows ------------------------------------------------------------------------------------

Row = dict[str, str]


def _check(row: Row) -> str:
    """The row check: a digest of everything but the reviewer's columns."""
    kept = [row.get(c, "") for c in (*TERM_COLUMNS, *FACT_COLUMNS)
            if c not in (*REVIEW_COLUMNS, *SHOWN_ONLY, "row check")]
    return hashlib.sha256(json.dumps(kept, ensure_ascii=False).encode()).hexdigest()[:12]


def _with_check(row: Row) -> Row:
    return {**row, "row check": _check(row), "verdict": "", "comment": ""}


def term_rows(data: ReviewData, ontology: Graph) -> list[Row]:
    """One row per term of the ontology, its editable texts read from the ontology file."""
    terms = sorted(ontology_terms(ontology).items(), key=lambda item: _KIND_ORDER.index(item[1]))
    linked = (("parent", RDFS.subClassOf), ("domain", RDFS.domain), ("range", RDFS.range))
    rows = []
    for term, kind in terms:
        row = {"iri": str(term), "kind": kind}
        row |= {column: _only(ontology, term, prop) for column, prop in TERM_EDITS.items()}
        row |= {
            column: "; ".join(sorted(data.label(v) or str(v) for v in ontology.objects(term, prop)))
            for column, prop in linked
        }
        rows.append(_with_check(row))
    return rows


def fact_rows(data: ReviewData, records: dict[tuple[str, int], Record], keys: dict[URIRef, str],
              verdicts: list[Verdict]) -> list[Row]:
    """One row per statement of every record graph, with what the record rests on (the curators'
    identification and note), the record's field as written, and the verdicts given so far."""
    words = Verbaliser(data)
    given = _given(verdicts)
    rows = []
    for graph, record in data.records.items():
        written = records.get((Path(record.file).name, record.line))
        statements = data.by_graph[graph]
        parents = {o: keys.get(p) for s, p, o, _ in statements if is_nested(o) and not is_nested(s)}
        for s, p, o, _ in statements:
            if is_nested(s):  # a nested value's own field (a status's maturity, a term's kind)
                if (parent := parents.get(s)) is None or written is None:
                    continue
                if (place := _nested_node(written.node, parent, s)) is None:
                    continue
                path, nested = place
                sub_path, as_written = _as_written(nested, keys.get(p), o)
                if not sub_path:
                    continue
                field_name = f"{path}.{sub_path}"
            else:
                field_name, as_written = _as_written(written.node if written else None, keys.get(p), o)
            rows.append(
                _with_check(
                    {
                        **_statement(data, words, given, (s, p, o, graph)),
                        "source": record.source,
                        "quote": record.quote,
                        "rests on": record.identification or "the sentence",
                        "curators' note": record.note,
                        "record file": record.file,
                        "line": str(record.line),
                        "field": field_name,
                        "as written": as_written,
                    }
                )
            )
    return rows


TABLE_GRAPHS = (GRAPH.reference, GRAPH.lists, GRAPH.links)


def table_fact_rows(data: ReviewData, shared_dir: Path, verdicts: list[Verdict]) -> list[Row]:
    """One row per statement of the reference tables, the official lists and the mapping sets:
    the table file and line it comes from, and that line as its quote. Open to verdicts and
    comments; the values are the tables' curators' to correct, so none is editable here."""
    words = Verbaliser(data)
    given = _given(verdicts)
    lines: dict[str, list[str]] = {}

    def text(file: str, line: int) -> str:
        if file not in lines:
            path = shared_dir / file.removeprefix("shared/")
            lines[file] = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        return lines[file][line - 1] if 0 < line <= len(lines[file]) else ""

    rows = []
    for graph in TABLE_GRAPHS:
        rests_on = GRAPH_WORDS[graph]
        for s, p, o, _ in data.by_graph.get(graph, []):
            where = data.rows_of(graph, s, o)
            rows.append(_with_check({
                **_statement(data, words, given, (s, p, o, graph)),
                "source": "; ".join(sorted({file for file, _ in where})) or rests_on,
                "quote": "\n".join(text(file, line) for file, line in where),
                "rests on": rests_on,
                "curators' note": "",
                "record file": where[0][0] if where else "",
                "line": str(where[0][1]) if where else "",
                "field": "",
                "as written": NOT_EDITABLE,
            }))
    return rows


def _statement(data: ReviewData, words: Verbaliser, given: dict[str, list[str]], quad: Quad) -> Row:
    """The columns every Facts row has: its key, the statement in words and its parts, and the
    verdicts given on it so far."""
    s, p, o, graph = quad
    key = data.key(graph, s, p, o)
    return {
        "key": key,
        "sentence": words.sentence(s, p, o).text,
        "subject": data.label(s) or "".join(part.text for part in words.phrase(s)),
        "property": data.label(p) or str(p),
        "value": "".join(part.text for part in words.phrase(o)),
        "verdicts so far": "; ".join(given.get(key, [])),
    }


def _given(verdicts: list[Verdict]) -> dict[str, list[str]]:
    """The verdicts given so far on each fact, in words."""
    given: dict[str, list[str]] = {}
    for verdict in verdicts:
        given.setdefault(verdict.item, []).append(
            f"{verdict.reviewer} ({verdict.date}): {verdict.verdict or 'comment'}"
            + (f", {verdict.comment}" if verdict.comment else ""))
    return given


def _nested_node(record: Node, key: str, nested: URIRef) -> tuple[str, Node] | None:
    """Where a nested value is written in its record: the field (``status``, or ``secures[1]`` for
    the second of a list of them, which the build numbers from 1 in the value's IRI) and its
    mapping."""
    if key not in record.fields:
        return None
    written = record.fields[key].value
    if isinstance(written, Node):
        return key, written
    if not isinstance(written, list):
        return None
    positions = [i for i, item in enumerate(written) if isinstance(item, Node)]
    number = str(nested).rpartition("-")[2]
    index = positions[0] if len(positions) == 1 else int(number) - 1 if number.isdigit() else -1
    item = written[index] if 0 <= index < len(written) else None
    return (f"{key}[{index}]", item) if isinstance(item, Node) else None


def _as_written(node: Node | None, key: str | None, value: object) -> tuple[str, str]:
    """The field of a record (or of a value nested in it) a statement comes from, and its text
    when it is one editable scalar: the field's value, or the one item of its list that gave the
    statement (``parties[1]``)."""
    if node is None or key is None or key not in node.fields:
        return "", NOT_EDITABLE
    written = node.fields[key].value
    if is_nested(value):  # type: ignore[arg-type]
        return key, NOT_EDITABLE
    if isinstance(written, str):
        return key, written
    if isinstance(written, list):
        items = [i for i, item in enumerate(written) if isinstance(item, str) and _gives(item, value)]
        if len(items) == 1:
            return f"{key}[{items[0]}]", str(written[items[0]])
    return key, NOT_EDITABLE


def _gives(item: str, value: object) -> bool:
    """Whether a list item as written gave this value: an entity id, a controlled value, a text."""
    return str(value) in (item, f"{ID}{item}") or local(value, "md") == item


def _path(key: str) -> list[str | int]:
    """A field as the Facts sheet names it, as the steps into the record: ``status.as_of`` is
    ``["status", "as_of"]``, ``parties[1]`` is ``["parties", 1]``."""
    steps: list[str | int] = []
    for part in key.split("."):
        name, _, index = part.partition("[")
        steps += [name, int(index.rstrip("]"))] if index else [name]
    return steps


def _only(graph: Graph, subject: URIRef, prop: URIRef) -> str:
    values = sorted(str(v) for v in graph.objects(subject, prop))
    return values[0] if len(values) == 1 else "; ".join(values)


def _record_keys(ontology: Graph) -> dict[URIRef, str]:
    """Each property's record key (``type`` for rdf:type)."""
    keys = {spec.iri: key for key, spec in vocabulary_from(ontology).fields.items()}
    return {**keys, RDF.type: "type"}


class Sheets:
    """The two sheets as they are now: from the release, the ontology file and the records."""

    def choices(self, field_name: str) -> list[str]:
        """The controlled values a Facts row's field takes (a status's maturity, a stage, a kind of
        access), for its drop-down; none for a text, a number, a date or an entity's id."""
        steps = [step for step in _path(field_name) if isinstance(step, str)]
        spec = self.vocabulary.fields.get(steps[-1]) if steps else None
        return self.vocabulary.values_of(spec.range) if spec is not None and spec.range is not None else []

    def __init__(self, places: Places) -> None:
        self.places = places
        self.data = ReviewData(places.release)
        self.ontology = Graph().parse(places.ontology_file, format="turtle")
        self.records = {
            (Path(r.file).name, r.line): r for r in read_records(places.records_dir, places.project_dir)
        }
        self.vocabulary = vocabulary_from(self.ontology)
        words = CandidateWords(self.data, self.vocabulary)
        verdicts = load_verdicts(places.reviews_dir)
        self.rows = {
            "Terms": term_rows(self.data, self.ontology),
            "Facts": fact_rows(self.data, self.records, _record_keys(self.ontology), verdicts)
            + table_fact_rows(self.data, places.shared_dir, verdicts),
            "Candidates": candidate_rows(places.candidates_dir, words),
        }


# -- export --------------------------------------------------------------------------------------

EDITABLE_FILL = PatternFill("solid", fgColor="FFF7D6")
REVIEW_FILL = PatternFill("solid", fgColor="E7F5EC")
WIDTHS = {
    "sentence": 60,
    "definition": 60,
    "quote": 50,
    "comment": 40,
    "as written": 30,
    "rests on": 30,
    "curators' note": 40,
    "verdicts so far": 30,
    "label": 30,
    "sentence form": 36,
    "key": 18,
    "iri": 18,
}
ABOUT = [
    "How to review with this workbook",
    "Terms: every class, property and controlled value of the ontology. Facts: every statement the "
    "graph takes from a record, and every statement it takes from the reference tables, the official "
    "lists and the mapping sets (its source is then the table file, its quote the table's line; "
    "give a verdict or a comment: the tables are corrected by their curators, not here), with the "
    "sentence it reads as, its source and quote, what it rests "
    "on (the sentence, or the curators' identification: a vague mention or a link they made, with "
    "their note; filter the 'rests on' column to check those first), the record file and line, and "
    "the verdicts reviewers have given so far.",
    "Write 'correct', 'wrong' or 'unsure' in the verdict column of any row, and a comment if you wish.",
    "You may also correct the yellow cells: a term's label, definition or sentence form, a fact's "
    "value as written in its record, one item of a list (a party, a place, a mineral: the id as "
    "written, such as country/india), and the fields of a status, an amount or a figure (its "
    "maturity and date, its value, currency, scale or unit). Where a cell takes one of a fixed set "
    "of values (a maturity, a stage, a kind of access, a currency) a drop-down offers them; their "
    "meanings are on the Terms sheet. Do not change other cells, or the row check.",
    "Candidates: records proposed for new documents, not yet in the graph. Write accept or reject in "
    "the decision column, and correct the record (YAML) first if it needs it; 'mineral-diplomacy "
    "accept DOCUMENT --by NAME' then moves the accepted ones into the records.",
    "Send the workbook back; 'mineral-diplomacy workbook import FILE --reviewer NAME' records the "
    "verdicts with your name and the date, and writes the corrections into the ontology and the records.",
]


def export(places: Places, xlsx: Path | None = None, csv_dir: Path | None = None) -> Sheets:
    """Write the workbook as XLSX and/or as one CSV file per sheet."""
    sheets = Sheets(places)
    if xlsx is not None:
        _write_xlsx(sheets, xlsx)
    if csv_dir is not None:
        csv_dir.mkdir(parents=True, exist_ok=True)
        for name, columns in SHEETS.items():
            with (csv_dir / f"{name.lower()}.csv").open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=columns)
                writer.writeheader()
                writer.writerows(sheets.rows[name])
    return sheets


def _write_xlsx(sheets: Sheets, path: Path) -> None:
    book = openpyxl.Workbook()
    about = book.active
    assert about is not None
    about.title = "About"
    for line in [*ABOUT, "", f"Release: {sheets.places.release.name}"]:
        about.append([line])
    about["A1"].font = Font(bold=True, size=13)
    about.column_dimensions["A"].width = 120
    editable = {"Terms": set(TERM_EDITS), "Facts": {"as written"}, "Candidates": set(CANDIDATE_EDITS)}
    for name, columns in SHEETS.items():
        sheet = book.create_sheet(name)
        sheet.append(list(columns))
        for row in sheets.rows[name]:
            sheet.append([row[c] for c in columns])
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = WIDTHS.get(column, 14)
            sheet[f"{letter}1"].font = Font(bold=True)
            fill = (
                REVIEW_FILL
                if column in REVIEW_COLUMNS
                else EDITABLE_FILL
                if column in editable[name]
                else None
            )
            for cell in sheet[letter][1:]:
                cell.number_format = "@"  # text: Excel must not turn 2022-03 into a date
                cell.alignment = Alignment(wrap_text=column in WIDTHS, vertical="top")
                if fill is not None and cell.value != NOT_EDITABLE:
                    cell.fill = fill
        if name == "Facts":
            _value_choices(sheet, sheets, columns)
        column, allowed = ("decision", DECISIONS) if name == "Candidates" else ("verdict", VERDICTS)
        choices = DataValidation(
            type="list",
            formula1='"' + ",".join(allowed) + '"',
            allow_blank=True,
            showErrorMessage=True,
            error=f"Write {', '.join(allowed[:-1])} or {allowed[-1]}.",
        )
        sheet.add_data_validation(choices)
        letter = get_column_letter(columns.index(column) + 1)
        choices.add(f"{letter}2:{letter}{max(sheet.max_row, 2)}")
        # the header and the columns that say what a row is (a term's label, a fact's sentence)
        sheet.freeze_panes = {"Terms": "D2", "Facts": "C2"}.get(name, "B2")
        sheet.auto_filter.ref = sheet.dimensions
    book.save(path)


def _value_choices(sheet: Worksheet, sheets: Sheets, columns: tuple[str, ...]) -> None:
    """A drop-down of the controlled values on each editable 'as written' cell that takes one."""
    letter = get_column_letter(columns.index("as written") + 1)
    cells: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for number, row in enumerate(sheets.rows["Facts"], start=2):
        if row["as written"] != NOT_EDITABLE and (values := sheets.choices(row["field"])):
            cells[tuple(values)].append(f"{letter}{number}")
    for allowed, refs in cells.items():
        formula = '"' + ",".join(allowed) + '"'
        if len(formula) > 255:  # Excel's limit for a list written in place
            continue
        choices = DataValidation(type="list", formula1=formula, allow_blank=False, showErrorMessage=True,
                                 error=f"Write one of: {', '.join(allowed)}.")
        sheet.add_data_validation(choices)
        for ref in refs:
            choices.add(ref)


# -- import --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A cell of the returned workbook: its sheet, its reference (``K12``) and its text."""

    sheet: str
    ref: str
    column: str
    text: str


class UnreadableWorkbook(ValueError):
    """What was given is not a workbook this command can read (nothing was written)."""


def _tables(path: Path) -> tuple[dict[str, list[list[object]] | None], tuple[str, ...]]:
    """Each sheet's table (None where it has none), and the sheets it must have: an XLSX file
    has every sheet but the optional ones; a folder of CSV files, or one CSV file named after its
    sheet, has those it holds (a reviewer may return one sheet)."""
    csv_sheets = {f"{name.lower()}.csv": name for name in SHEETS}
    if path.is_dir():
        tables = {name: _csv_table(path / file) for file, name in csv_sheets.items()}
        if not any(tables.values()):
            raise UnreadableWorkbook(f"{path} holds none of {', '.join(csv_sheets)}: give the folder "
                                     "'workbook export --csv' wrote, or the .xlsx file.")
        return tables, ()
    if path.suffix.lower() == ".csv" and path.is_file():
        if path.name.lower() not in csv_sheets:
            raise UnreadableWorkbook(f"{path.name} is not one of the sheets ({', '.join(csv_sheets)}): "
                                     "name the CSV file after the sheet it holds.")
        return {csv_sheets[path.name.lower()]: _csv_table(path)}, ()
    if not path.is_file():
        raise UnreadableWorkbook(f"{path} does not exist: give the .xlsx file or the folder of CSV files "
                                 "'workbook export' wrote.")
    try:
        tables = {name: _xlsx_table(path, name) for name in SHEETS}
    except (InvalidFileException, zipfile.BadZipFile) as error:
        raise UnreadableWorkbook(f"{path.name} is not an XLSX workbook ({error}).") from None
    return tables, tuple(name for name in SHEETS if name not in OPTIONAL_SHEETS)


def read_workbook(path: Path) -> tuple[dict[str, list[dict[str, Cell]]], list[CellProblem]]:
    """The rows of each sheet (by column name), from an XLSX file, a folder of CSV files or one
    CSV file; raises UnreadableWorkbook for a missing file or one that is not a workbook."""
    problems: list[CellProblem] = []
    sheets: dict[str, list[dict[str, Cell]]] = {}
    tables, required = _tables(path)
    for name, columns in SHEETS.items():
        table = tables.get(name)
        if table is None:
            if name in required:
                problems.append(
                    CellProblem(name, "A1", "missing-sheet", f"The workbook has no sheet '{name}'.")
                )
            continue
        header, *body = table
        if tuple(_text(v) for v in header[: len(columns)]) != columns:
            problems.append(
                CellProblem(
                    name, "A1", "sheet-columns", f"The columns must be, in order: {', '.join(columns)}."
                )
            )
            continue
        rows = []
        for number, values in enumerate(body, start=2):
            row = {}
            for index, column in enumerate(columns):
                value = values[index] if index < len(values) else None
                ref = f"{get_column_letter(index + 1)}{number}"
                if isinstance(value, datetime.date | datetime.datetime | datetime.time):
                    problems.append(
                        CellProblem(
                            name,
                            ref,
                            "cell-type",
                            f"The spreadsheet turned this cell into a date ({value}); format "
                            "the cell as text and type the value as the record writes it.",
                        )
                    )
                row[column] = Cell(name, ref, column, _text(value))
            if any(c.text for c in row.values()):
                rows.append(row)
        sheets[name] = rows
    return sheets, problems


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_table(path: Path, name: str) -> list[list[object]] | None:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if name not in book.sheetnames:
            return None
        return [list(row) for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_table(path: Path) -> list[list[object]] | None:
    if not path.is_file():
        return None
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [list(row) for row in csv.reader(handle)]


@dataclass
class _Plan:
    """What an import would do, gathered before anything is written."""

    problems: list[CellProblem] = field(default_factory=list)
    term_edits: list[tuple[Cell, URIRef, URIRef, str, str]] = field(default_factory=list)
    fact_edits: list[tuple[Cell, Record, str, str]] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)


def import_workbook(path: Path, places: Places, reviewer: str, today: str | None = None) -> ImportResult:
    """Take a returned workbook in: verdicts, comments and corrections; raises ImportRefused
    (nothing written) if any cell is bad."""
    if not reviewer.strip():
        raise ValueError("An import needs the reviewer's name (--reviewer).")
    date = today or datetime.date.today().isoformat()
    rows, problems = read_workbook(path)
    now = Sheets(places)
    plan = _Plan(problems)
    for name, key_column in (("Terms", "iri"), ("Facts", "key")):
        current = {row[key_column]: row for row in now.rows[name]}
        for row in rows.get(name, []):
            _plan_row(plan, name, row, current.get(row[key_column].text), now, reviewer.strip(), date)
    decisions = _plan_candidates(plan, rows.get("Candidates", []), now)
    if plan.problems:
        raise ImportRefused(plan.problems)
    ontology_text = _edited_ontology(plan, places.ontology_file) if plan.term_edits else None
    record_texts = _edited_records(plan, places) if plan.fact_edits else {}
    if plan.problems:
        raise ImportRefused(plan.problems)
    result = ImportResult(len(plan.term_edits), len(plan.fact_edits))
    for path, changes in decisions.items():
        set_decisions(path, changes)
        result.written.append(path)
        result.candidate_decisions += len(changes)
    if ontology_text is not None:
        places.ontology_file.write_text(ontology_text, encoding="utf-8")
        result.written.append(places.ontology_file)
    for file, text in record_texts.items():
        file.write_text(text, encoding="utf-8")
        result.written.append(file)
    known = {(v.item, v.reviewer, v.verdict, v.comment) for v in load_verdicts(places.reviews_dir)}
    new = [v for v in plan.verdicts if (v.item, v.reviewer, v.verdict, v.comment) not in known]
    if new:
        result.written.append(append_verdicts(places.reviews_dir, _slug(reviewer), new))
    result.verdicts = len(new)
    return result


def _plan_row(
    plan: _Plan, sheet: str, row: dict[str, Cell], current: Row | None, now: Sheets, reviewer: str, date: str
) -> None:
    verdict, comment = row["verdict"].text.strip().lower(), row["comment"].text.strip()
    if verdict and verdict not in VERDICTS:
        plan.problems.append(
            CellProblem(
                sheet,
                row["verdict"].ref,
                "verdict-value",
                f"'{row['verdict'].text}' is not a verdict: write correct, wrong or unsure.",
            )
        )
    key = row["iri" if sheet == "Terms" else "key"]
    if current is None:
        sent = {column: cell.text for column, cell in row.items()}
        if _check(sent) != sent["row check"] or verdict or comment:
            plan.problems.append(
                CellProblem(
                    sheet,
                    key.ref,
                    "unknown-row",
                    "The graph has no such term or fact (any more): export a new workbook.",
                )
            )
        return
    if verdict or comment:
        about = current["label"] if sheet == "Terms" else current["sentence"]
        plan.verdicts.append(Verdict(key.text, reviewer, date, verdict, comment, about))
    differing = [
        cell
        for column, cell in row.items()
        if column not in (*REVIEW_COLUMNS, *SHOWN_ONLY, "row check") and cell.text != current[column]
    ]
    if not differing:  # as exported, or an edit that is already in
        return
    if current["row check"] != row["row check"].text:
        plan.problems.append(
            CellProblem(
                sheet,
                differing[0].ref,
                "changed-since-export",
                "This row's term or fact has changed since the workbook was exported (or its row "
                "check was edited), so this edit cannot be told from that change: export a new "
                "workbook and make the edit there.",
            )
        )
        return
    editable = set(TERM_EDITS) if sheet == "Terms" else {"as written"}
    for cell in differing:
        column = cell.column
        if column not in editable or current[column] == NOT_EDITABLE:
            plan.problems.append(
                CellProblem(
                    sheet,
                    cell.ref,
                    "read-only",
                    f"'{column}' cannot be edited here (it was '{current[column]}'); "
                    "say what is wrong in the comment instead.",
                )
            )
        elif sheet == "Terms":
            _plan_term_edit(plan, cell, URIRef(current["iri"]), current[column])
        else:
            record = now.records[(Path(current["record file"]).name, int(current["line"]))]
            plan.fact_edits.append((cell, record, current["field"], cell.text))


def _plan_candidates(
    plan: _Plan, rows: list[dict[str, Cell]], now: Sheets
) -> dict[Path, dict[str, tuple[str, dict[str, object] | None]]]:
    """The decisions and edited records of the Candidates sheet, each checked: a decision is pending,
    accept or reject; an edited record is YAML, a mapping, and quotes its document."""
    current = {(r["document"], r["candidate"]): r for r in now.rows["Candidates"]}
    folder = now.places.candidates_dir
    sources = project_sources(now.places.shared_dir)
    decisions: dict[Path, dict[str, tuple[str, dict[str, object] | None]]] = {}
    for row in rows:
        document, name = row["document"].text, row["candidate"].text
        was = current.get((document, name))
        decision = row["decision"].text.strip().lower()
        if was is None or folder is None:
            if decision not in ("", "pending") or row["record"].text:
                plan.problems.append(
                    CellProblem(
                        "Candidates",
                        row["candidate"].ref,
                        "unknown-row",
                        "No such candidate is waiting (any more): accepted, rejected "
                        "or proposed again since the export; export a new workbook.",
                    )
                )
            continue
        edited = row["record"].text.strip() != was["record"].strip()
        if decision == was["decision"] and not edited:
            continue
        if row["row check"].text != was["row check"]:
            plan.problems.append(
                CellProblem(
                    "Candidates",
                    row["decision"].ref,
                    "changed-since-export",
                    "This candidate has changed since the workbook was exported: "
                    "export a new workbook and decide there.",
                )
            )
            continue
        if decision not in DECISIONS:
            plan.problems.append(
                CellProblem(
                    "Candidates",
                    row["decision"].ref,
                    "decision-value",
                    f"'{row['decision'].text}' is not a decision: write accept, reject or pending.",
                )
            )
            continue
        record = _edited_candidate(plan, row["record"], document, sources) if edited else None
        if edited and record is None:
            continue
        decisions.setdefault(folder / f"{Path(document).stem}.yaml", {})[name] = (decision, record)
    return decisions


def _edited_candidate(
    plan: _Plan, cell: Cell, document: str, sources: SourceCollection
) -> dict[str, object] | None:
    """An edited candidate record read from its cell, or None (with the problem) if it cannot be."""
    try:
        record = yaml.safe_load(cell.text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f" (line {mark.line + 1} of the cell)" if mark else ""
        plan.problems.append(
            CellProblem(
                "Candidates",
                cell.ref,
                "record-yaml",
                f"This record is not valid YAML: {error.problem}{where}.",
            )
        )
        return None
    if not isinstance(record, dict) or not record.get("id"):
        plan.problems.append(
            CellProblem(
                "Candidates",
                cell.ref,
                "record-yaml",
                "A record is a set of 'key: value' lines with at least an id.",
            )
        )
        return None
    if record.get("source") != document or not sources.contains(document, str(record.get("quote", ""))):
        plan.problems.append(
            CellProblem(
                "Candidates",
                cell.ref,
                "candidate-quote",
                f"The record's quote does not occur in {document} (or its source is "
                "not that document): copy the words exactly from the document.",
            )
        )
        return None
    return {str(k): v if isinstance(v, list | dict) else str(v) for k, v in record.items()}


def _plan_term_edit(plan: _Plan, cell: Cell, term: URIRef, old: str) -> None:
    new = cell.text
    problem = None
    if not new.strip():
        problem = ("empty-text", "A term needs this text; it cannot be removed here.")
    elif new != new.strip() or "  " in new or "\n" in new:
        problem = ("stray-whitespace", "Remove leading, trailing or doubled spaces and line breaks.")
    elif cell.column == "sentence form":
        names = {m[0] for m in PLACEHOLDER.finditer(new)}
        braces = re.findall(r"\{[^}]*\}", new)
        if len(braces) != len(list(PLACEHOLDER.finditer(new))) or not (
            any("subject" in n for n in names) and any("object" in n for n in names)
        ):
            problem = (
                "sentence-form",
                "A sentence form names both ends, {subject} and {object} (or {an object}, "
                "{when object}), and no other {…}.",
            )
    if problem:
        plan.problems.append(CellProblem(cell.sheet, cell.ref, *problem))
    else:
        plan.term_edits.append((cell, term, TERM_EDITS[cell.column], old, new))


# -- writing the edits ---------------------------------------------------------------------------


def _edited_ontology(plan: _Plan, ontology_file: Path) -> str | None:
    """The ontology's Turtle with each edited literal replaced in place, checked by parsing it: the
    graph must differ from before by exactly the edited statements."""
    text = ontology_file.read_text(encoding="utf-8")
    before = Graph().parse(data=text, format="turtle")
    expected = Graph().parse(data=text, format="turtle")
    for cell, term, prop, old, new in plan.term_edits:
        spans = list(_literal_spans(text, term, prop, old))
        if len(spans) != 1:
            plan.problems.append(
                CellProblem(
                    cell.sheet,
                    cell.ref,
                    "ontology-edit",
                    f"Found the old text {len(spans)} times in {ontology_file.name}, not "
                    "once: make this edit in the Turtle file by hand.",
                )
            )
            continue
        start, end, language = spans[0]
        text = text[:start] + _turtle_string(new) + (f"@{language}" if language else "") + text[end:]
        literal = next(o for o in before.objects(term, prop) if str(o) == old)
        expected.remove((term, prop, literal))
        expected.add((term, prop, Literal(new, lang=language or None)))
    if plan.problems:
        return None
    if not isomorphic(Graph().parse(data=text, format="turtle"), expected):
        plan.problems.append(
            CellProblem(
                "Terms",
                "A1",
                "ontology-edit",
                "The edited ontology would say more than the edits: nothing was written.",
            )
        )
        return None
    return text


def _literal_spans(text: str, term: URIRef, prop: URIRef, old: str) -> Iterator[tuple[int, int, str]]:
    """Where ``<prop> "<old>"`` is written in a statement about ``term``: (start, end, language)."""
    subjects = {
        f"<{term}>",
        *(f"{p}:{str(term)[len(ns) :]}" for p, ns in PREFIXES.items() if str(term).startswith(ns)),
    }
    predicates = {
        f"<{prop}>",
        *(f"{p}:{str(prop)[len(ns) :]}" for p, ns in PREFIXES.items() if str(prop).startswith(ns)),
    }
    literal = "|".join(re.escape(q + s + q) for s in {_turtle_escaped(old), old} for q in ('"""', '"'))
    pattern = re.compile(rf"(?:{'|'.join(map(re.escape, predicates))})\s+({literal})(?:@([A-Za-z-]+))?")
    for match in pattern.finditer(text):
        if _subject_at(text, match.start()) in subjects:
            yield match.start(1), match.end(), match[2] or ""


def _subject_at(text: str, index: int) -> str:
    """The subject of the statement block a position is in: the first token of the nearest line
    above it that starts at the margin (not a comment)."""
    for line in reversed(text[:index].splitlines()):
        if line[:1] not in ("", " ", "\t", "#", "@") and not line.startswith(("PREFIX", "BASE")):
            return line.split(None, 1)[0]
    return ""


def _turtle_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _turtle_string(value: str) -> str:
    return f'"{_turtle_escaped(value)}"'


def _edited_records(plan: _Plan, places: Places) -> dict[Path, str]:
    """Each edited records file with the edited scalars replaced in place, checked by a full build
    of a copy of the records (its problems are reported on the cells that caused them)."""
    texts: dict[Path, str] = {}
    edits: dict[Path, list[tuple[Cell, Record, str, str]]] = {}
    for edit in plan.fact_edits:
        edits.setdefault(places.records_dir / Path(edit[1].file).name, []).append(edit)
    cells_at: dict[tuple[str, int], Cell] = {}
    for path, file_edits in edits.items():
        text = path.read_text(encoding="utf-8")
        spans = []
        for cell, record, key, new in file_edits:
            span = _scalar_span(text, record.line, key)
            if span is None:
                plan.problems.append(
                    CellProblem(
                        cell.sheet,
                        cell.ref,
                        "record-edit",
                        f"Could not find '{key}' of the record at line {record.line} of "
                        f"{path.name}: edit the file by hand.",
                    )
                )
                continue
            spans.append((span, _yaml_scalar(new)))
            cells_at[path.name, record.node.fields[str(_path(key)[0])].line] = cell
        for (start, end), scalar in sorted(spans, reverse=True):
            text = text[:start] + scalar + text[end:]
        texts[path] = text
    # a shape's finding names the first record of the entity it is about: any record of an
    # edited entity points at the edited cell
    edited = {record.node.text("id"): cell for cell, record, _, _ in plan.fact_edits}
    for other in read_records(places.records_dir, places.project_dir):
        if (edited_cell := edited.get(other.node.text("id"))) is not None:
            cells_at.setdefault((Path(other.file).name, other.line), edited_cell)
    if not plan.problems:
        _check_by_building(plan, places, texts, cells_at)
    return texts


def _scalar_span(text: str, record_line: int, key: str) -> tuple[int, int] | None:
    """The character span of the scalar value of ``key`` in the record starting at ``record_line``
    (``status.as_of``: of ``as_of`` in the mapping under ``status``; ``parties[1]``: of the second
    item of the list ``parties``)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    for item in root.value if isinstance(root, yaml.SequenceNode) else []:
        if item.start_mark.line + 1 == record_line and isinstance(item, yaml.MappingNode):
            node: yaml.Node = item
            for step in _path(key):
                if isinstance(step, int):
                    items = node.value if isinstance(node, yaml.SequenceNode) else []
                    found = items[step : step + 1]
                else:
                    pairs = node.value if isinstance(node, yaml.MappingNode) else []
                    found = [value for name, value in pairs if name.value == step]
                if not found:
                    return None
                node = found[0]
            if isinstance(node, yaml.ScalarNode):
                return node.start_mark.index, node.end_mark.index
    return None


def _yaml_scalar(value: str) -> str:
    """The value as a YAML scalar on one line: plain where YAML reads it back as the same text,
    else double-quoted."""
    try:
        node = yaml.compose(f"k: {value}\n", Loader=yaml.SafeLoader)
        plain = (
            isinstance(node, yaml.MappingNode)
            and len(node.value) == 1
            and isinstance(node.value[0][1], yaml.ScalarNode)
            and node.value[0][1].value == value
            and value == value.strip()
        )
    except yaml.YAMLError:
        plain = False
    return value if plain and value else json.dumps(value, ensure_ascii=False)


def _check_by_building(
    plan: _Plan, places: Places, texts: dict[Path, str], cells_at: dict[tuple[str, int], Cell]
) -> None:
    from ..release.pipeline import run_build  # the whole build, on a copy of the records

    with tempfile.TemporaryDirectory(prefix="workbook-import-") as scratch:
        copy = Path(scratch) / "records"
        shutil.copytree(places.records_dir, copy)
        for path, text in texts.items():
            (copy / path.name).write_text(text, encoding="utf-8")
        try:
            run_build(copy, places.shared_dir, Path(scratch) / "out")
        except BuildFailed as failed:
            for problem in failed.problems:
                cell = cells_at.get((Path(problem.file).name, problem.line))
                where = (cell.sheet, cell.ref) if cell else ("Facts", "A1")
                detail = "" if cell else f" ({Path(problem.file).name}:{problem.line})"
                plan.problems.append(CellProblem(*where, problem.rule, problem.message + detail))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "reviewer"
