"""The reviewers' commands of ``mineral-diplomacy``: ``report``, ``diff`` and ``workbook``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..graph import BUILD_DIR, CANDIDATES_DIR, PROJECT_DIR, RECORDS_DIR, SHARED_DIR
from ..ontology import ONTOLOGY_FILE
from ..release.layout import current_release
from . import REVIEWS_DIR
from .data import ReviewData
from .diff import compare
from .report import LEVELS, as_json, as_table, as_tsv, run_checks, worst_level
from .site import report_variables, standalone_page
from .verbalise import Verbaliser
from .verdicts import load_verdicts
from .versions import VersionNotFound, resolve_version
from .workbook import ImportRefused, Places, export, import_workbook


def _release(args: argparse.Namespace) -> Path | None:
    release = args.release.resolve() if args.release else current_release(args.out)
    if release is None or not (release / "dataset.nq").is_file():
        print(
            f"No published build in {args.out}: run 'mineral-diplomacy build' first "
            "(or name a release folder with --release).",
            file=sys.stderr,
        )
        return None
    return release


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")
        print(f"Wrote {output}", file=sys.stderr)


def report_command(args: argparse.Namespace) -> int:
    """Run the quality checks; 1 if an item is at or above ``--fail-on``."""
    release = _release(args)
    if release is None:
        return 2
    data = ReviewData(release)
    checks = run_checks(data, load_verdicts(args.reviews), Verbaliser(data))
    if args.format == "tsv":
        _write(as_tsv(checks), args.output)
    elif args.format == "json":
        _write(as_json(checks), args.output)
    elif args.format == "html":
        _write(standalone_page("report.html", **report_variables(checks)), args.output)
    else:
        _write(as_table(checks), args.output)
    worst = worst_level(checks)
    if args.fail_on == "never" or worst is None:
        return 0
    failed = LEVELS.index(worst) <= LEVELS.index(args.fail_on)
    if failed:
        print(f"The report has {worst} items (fails on {args.fail_on} and above).", file=sys.stderr)
    return 1 if failed else 0


def diff_command(args: argparse.Namespace) -> int:
    """Say what changed from version A to version B (default: the current build)."""
    try:
        versions = [
            resolve_version(v, PROJECT_DIR, args.shared, args.out / "revisions")
            for v in (args.a, args.b or str(args.out))
        ]
    except VersionNotFound as missing:
        print(missing, file=sys.stderr)
        return 2
    old, new = ReviewData(versions[0]), ReviewData(versions[1])
    changes = compare(old, new, base=args.a, target=args.b or "the current build")
    if args.format == "json":
        _write(changes.to_json(), args.output)
    elif args.format == "html":
        _write(standalone_page("changelog.html", body=changes.html(lambda iri: None)), args.output)
    else:
        _write(changes.markdown(), args.output)
    return 0


def _places(args: argparse.Namespace, release: Path) -> Places:
    return Places(
        release, args.ontology, args.records, args.reviews, PROJECT_DIR, args.shared, args.candidates
    )


def workbook_export_command(args: argparse.Namespace) -> int:
    """Write the review workbook (XLSX, and CSV files if asked)."""
    release = _release(args)
    if release is None:
        return 2
    sheets = export(_places(args, release), args.xlsx, args.csv)
    for written in (args.xlsx, args.csv):
        if written is not None:
            print(f"Wrote {written}: {len(sheets.rows['Terms'])} terms, {len(sheets.rows['Facts'])} facts.")
    return 0


def workbook_import_command(args: argparse.Namespace) -> int:
    """Take a returned workbook in; 1 (and nothing written) if a cell is bad."""
    release = _release(args)
    if release is None:
        return 2
    try:
        result = import_workbook(args.file, _places(args, release), args.reviewer, args.date)
    except ImportRefused as refused:
        print(refused.report(), file=sys.stderr)
        return 1
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(
        f"Imported {args.file}: {result.verdicts} new verdict(s) or comment(s), {result.term_edits} term "
        f"edit(s), {result.fact_edits} fact edit(s), {result.candidate_decisions} candidate decision(s)."
    )
    for path in result.written:
        print(f"  wrote {path}")
    if result.term_edits or result.fact_edits:
        print("Run 'mineral-diplomacy build' to check and publish the edits.")
    if result.candidate_decisions:
        print(
            "Run 'mineral-diplomacy accept DOCUMENT --by NAME' to move the accepted candidates into "
            "the records."
        )
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the reviewers' commands to the ``mineral-diplomacy`` parser."""

    def release_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--out", type=Path, default=BUILD_DIR, help="where releases are published")
        command.add_argument("--release", type=Path, help="a release folder (default: the current build)")
        command.add_argument("--reviews", type=Path, default=REVIEWS_DIR, help="folder of review records")

    report = commands.add_parser("report", help="the quality report of the ontology and the data")
    release_options(report)
    report.add_argument("--format", choices=("table", "tsv", "json", "html"), default="table")
    report.add_argument(
        "--fail-on",
        choices=(*LEVELS, "never"),
        default="ERROR",
        help="exit 1 if an item is at this level or above (default ERROR)",
    )
    report.add_argument("--output", type=Path, help="write to this file instead of standard output")
    report.set_defaults(handler=report_command)

    diff = commands.add_parser("diff", help="what changed between two versions, in sentences")
    diff.add_argument("a", help="a release folder, a build folder or a git revision (e.g. HEAD~3)")
    diff.add_argument("b", nargs="?", help="the same kinds (default: the current build)")
    diff.add_argument(
        "--out",
        type=Path,
        default=BUILD_DIR,
        help="the build folder (git revisions are built under its revisions/)",
    )
    diff.add_argument(
        "--shared", type=Path, default=SHARED_DIR, help="folder holding sources/ and reference/"
    )
    diff.add_argument("--format", choices=("markdown", "html", "json"), default="markdown")
    diff.add_argument("--output", type=Path, help="write to this file instead of standard output")
    diff.set_defaults(handler=diff_command)

    workbook = commands.add_parser("workbook", help="the review workbook: export, or import a returned one")
    steps = workbook.add_subparsers(dest="step", required=True)
    for name, handler in (("export", workbook_export_command), ("import", workbook_import_command)):
        step = steps.add_parser(name, help=handler.__doc__)
        release_options(step)
        step.add_argument("--ontology", type=Path, default=ONTOLOGY_FILE, help="the ontology's Turtle file")
        step.add_argument("--records", type=Path, default=RECORDS_DIR, help="folder of *.yaml records")
        step.add_argument(
            "--shared", type=Path, default=SHARED_DIR, help="folder holding sources/ and reference/"
        )
        step.add_argument(
            "--candidates", type=Path, default=CANDIDATES_DIR, help="the intake's candidate files"
        )
        step.set_defaults(handler=handler)
        if name == "export":
            step.add_argument("--xlsx", type=Path, default=Path("review-workbook.xlsx"), help="the XLSX file")
            step.add_argument(
                "--csv", type=Path, help="also write terms.csv, facts.csv and candidates.csv into this folder"
            )
        else:
            step.add_argument(
                "file", type=Path, help="the returned workbook (.xlsx, or a folder of CSV files)"
            )
            step.add_argument("--reviewer", required=True, help="the reviewer's name, kept with each verdict")
            step.add_argument("--date", help="the date of the review (default: today)")
