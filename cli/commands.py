"""The ``mineral-diplomacy`` command: it only parses arguments and dispatches to library functions.

It is where the steps meet, at the end of the data flow: the build publishes a release to which it
adds the server's store and the review pages, then tells the servers of that build folder to
reload; the reviewers' commands come from the review package."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

from ..graph import (
    BUILD_DIR,
    CANDIDATES_DIR,
    COVERAGE_DIR,
    DOCUMENTS_DIR,
    EXTERNAL_DIR,
    LISTS_FILE,
    MAPPINGS_DIR,
    PROJECT_DIR,
    RECORDS_DIR,
    SHARED_DIR,
)
from ..graph.coverage import coverage, report
from ..graph.problems import BuildFailed
from ..graph.records import read_records
from ..graph.sources import project_sources
from ..ontology.reasoning import ReasonerUnavailable
from ..release.layout import SITE_DIR, current_release
from ..release.pipeline import BuildResult, run_build
from ..release.store import load_store, prepare_store


def _print_summary(result: BuildResult, seconds: float) -> None:
    summary = result.summary
    print(f"Build passed in {seconds:.1f} s; published {result.release}")
    print("Triples per named graph:")
    for graph, count in cast(dict[str, int], summary["triples_per_graph"]).items():
        print(f"  {count:>7}  {graph}")
    print(f"  ({summary['record_graphs']} record graphs, one per cited record)")
    print("Entities per class (asserted and inferred):")
    for cls, count in cast(dict[str, int], summary["entities_per_class"]).items():
        print(f"  {count:>7}  {cls}")
    checks = summary["checks"]
    print("Checks passed:")
    print(f"  {checks['quotes_found_in_sources']} of {checks['records_read']} quotes found "  # type: ignore[index]
          "verbatim in their sources")
    print(f"  {checks['shacl_shapes_passed']} SHACL shapes conform")  # type: ignore[index]
    print(f"  OWL consistency (HermiT) in {result.reasoning_seconds:.1f} s")
    if (result.release / SITE_DIR / "index.html").is_file():
        print(f"Review pages: {result.release / SITE_DIR / 'index.html'} (served at /review/); "
              "what changed: site/changelog.md")


def release_preparation(records: Path, shared: Path, out: Path) -> tuple[Callable[[Path], None], bytes]:
    """What the build adds to a release before it is switched in (the server's on-disk store when
    the release is large, and the review pages with what changed since the release served until
    now), and a digest of what that reads besides the dataset."""
    from ..review import REVIEWS_DIR
    from ..review.site import Inputs, inputs_digest, write_site

    inputs = Inputs(records, COVERAGE_DIR, project_sources(shared), REVIEWS_DIR, PROJECT_DIR,
                    CANDIDATES_DIR)

    def prepare(staging: Path) -> None:
        prepare_store(staging)
        write_site(staging, inputs, current_release(out))
    return prepare, inputs_digest(inputs)


def build_command(args: argparse.Namespace) -> int:
    """Build, check and publish; 0 on success, 1 on data problems, 2 if the machine lacks Java or
    Graphviz."""
    from ..review.diagrams import GraphvizUnavailable
    from ..server.reload import reload_servers

    started = time.perf_counter()
    prepare, salt = release_preparation(args.records, args.shared, args.out)
    try:
        result = run_build(args.records, args.shared, args.out, prepare, salt)
    except BuildFailed as failed:
        print(failed.report(), file=sys.stderr)
        return 1
    except (ReasonerUnavailable, GraphvizUnavailable) as missing:
        print(missing, file=sys.stderr)
        return 2
    _print_summary(result, time.perf_counter() - started)
    for line in reload_servers(args.out):  # servers of this build folder: new workers, new release
        print(line)
    return 0


def coverage_command(args: argparse.Namespace) -> int:
    """Print sentence coverage per source; 1 if a fact-stating sentence is uncovered."""
    sources = project_sources(args.shared)
    try:
        records = read_records(args.records, PROJECT_DIR)
    except BuildFailed as failed:
        print(failed.report(), file=sys.stderr)
        return 1
    documents = coverage(sources, records, args.marks)
    print(report(documents, details=args.details))
    complete = all(not d.uncovered and not d.problems for d in documents)
    return 0 if complete else 1


def mappings_command(args: argparse.Namespace) -> int:
    """Regenerate the mapping sets from the reference tables; with --check, 1 if any is stale."""
    import datetime
    import tempfile

    from ..graph.mappings import declared_refs, write_mapping_sets
    from ..graph.reference import ReferenceTables
    from ..ontology.namespaces import local
    from ..release.pipeline import build_graph

    try:
        records = read_records(args.records, PROJECT_DIR)
        built, _, _ = build_graph(args.records, args.shared, mappings_dir=None)
    except BuildFailed as failed:
        print(failed.report(), file=sys.stderr)
        return 1
    held = {entity_id for entity in built.linkable if (entity_id := local(entity, "id"))}
    reference = ReferenceTables(args.shared / "reference")
    refs = declared_refs(records, LISTS_FILE)
    today = args.date or datetime.date.today().isoformat()
    if not args.check:
        for path in write_mapping_sets(args.mappings, reference, refs, held, today):
            print(f"Wrote {path}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch)
        for path in args.mappings.glob("*.sssom.tsv"):
            (copy / path.name).write_bytes(path.read_bytes())
        stale = write_mapping_sets(copy, reference, refs, held, today)
    for path in stale:
        print(f"{args.mappings / path.name} is not what the reference tables give: run 'mineral-diplomacy "
              "mappings' and review the change.", file=sys.stderr)
    return 1 if stale else 0


def links_command(args: argparse.Namespace) -> int:
    """Print, per kind of entity, how many are linked to each dataset, and which are not."""
    from ..queries.links import as_table, link_report

    release = current_release(args.out)
    if release is None:
        print(f"No published build in {args.out}: run 'mineral-diplomacy build' first.", file=sys.stderr)
        return 2
    print(as_table(link_report(load_store(release)), unlinked=args.unlinked))
    return 0


def load_external_command(args: argparse.Namespace) -> int:
    """Add a user's RDF file as a named graph of every later build (or, with --remove, stop)."""
    import datetime

    from ..graph.external import ExternalRefused, load_external, remove_external

    try:
        if args.remove:
            entry = remove_external(args.graph, args.external)
            print(f"Removed <{entry.graph}> ({entry.origin}); the next build leaves it out.")
            return 0
        if args.file is None:
            print("Name the file to load (or give --remove).", file=sys.stderr)
            return 2
        entry = load_external(args.file, args.graph, args.external, datetime.date.today().isoformat(),
                              args.origin, args.format)
    except (ExternalRefused, OSError) as refused:
        print(f"Nothing was loaded: {refused}", file=sys.stderr)
        return 1
    print(f"Loaded {entry.triples} statements of {args.file} as <{entry.graph}> "
          f"({args.external / entry.file}); the next 'mineral-diplomacy build' adds them. The shapes and "
          "the reasoner do not check them.")
    return 0


METADATA_FLAGS = {"name": "file", "title": "title", "publisher": "publisher", "issued": "issued",
                  "date_known_from": "date_known_from", "type": "document_type", "address": "address",
                  "licence": "licence", "note": "note", "received": "received"}


def add_source_command(args: argparse.Namespace) -> int:
    """Copy documents' texts into the project with their metadata (from the flags for one file, or
    from --metadata, a YAML mapping of each file's name to its fields)."""
    import yaml
    from rdflib.namespace import RDF

    from ..graph.documents import DocumentRefused, add_document
    from ..ontology.namespaces import MD, local
    from ..ontology.vocabulary import vocabulary

    flags = {field: value for flag, field in METADATA_FLAGS.items() if (value := getattr(args, flag))}
    try:
        given = yaml.safe_load(args.metadata.read_text(encoding="utf-8")) if args.metadata else {}
    except (OSError, yaml.YAMLError) as error:
        print(f"Nothing was added: --metadata {args.metadata}: {error}", file=sys.stderr)
        return 2
    if len(args.files) > 1 and flags:
        print("Nothing was added: the metadata flags describe one file; for several, use --metadata.",
              file=sys.stderr)
        return 2
    types = {local(t, "md") or str(t) for t in vocabulary().ontology.subjects(RDF.type, MD.DocumentType)}
    status, sources = 0, project_sources(args.shared, args.documents)
    for file in args.files:
        entry = (given or {}).get(file.name) or {}
        metadata = {METADATA_FLAGS.get(str(k), str(k)): str(v) for k, v in entry.items()} | flags
        try:
            document = add_document(file, metadata, args.documents, sources, types)
        except DocumentRefused as refused:
            print(f"Not added: {refused}", file=sys.stderr)
            status = 1
            continue
        sources = project_sources(args.shared, args.documents)  # a later file may repeat this one
        print(f"Added {file} as {args.documents / document.file} ({document.entity_id}); next: "
              f"'mineral-diplomacy propose {document.file}'.")
    return status


def propose_command(args: argparse.Namespace) -> int:
    """Write the candidate records of one document (never into the records)."""
    import datetime

    from ..graph.documents import read_documents
    from ..graph.intake.candidates import rejected_fingerprints, write_candidates
    from ..graph.intake.propose import propose
    from ..graph.reference import ReferenceTables
    from ..ontology.vocabulary import vocabulary

    sources = project_sources(args.shared, args.documents)
    if args.source not in sources.files:
        print(f"No document {args.source}; add it first with 'mineral-diplomacy add-source FILE' "
              f"(held: {', '.join(sources.files)}).", file=sys.stderr)
        return 2
    try:
        records = read_records(args.records, PROJECT_DIR)
        documents = read_documents(args.documents)
    except BuildFailed as failed:
        print(failed.report(), file=sys.stderr)
        return 1
    proposal = propose(args.source, sources, records, ReferenceTables(args.shared / "reference"), LISTS_FILE,
                       documents, vocabulary(), rejected_fingerprints(args.candidates))
    path = write_candidates(args.candidates, args.source, proposal.readings, proposal.candidates,
                            datetime.date.today())
    facts = [r for r in proposal.readings if r.fact]
    new = {m.text for r in proposal.readings for m in r.new_names if r.fact}
    print(f"{args.source}: {len(proposal.readings)} sentences, {len(facts)} stating facts; "
          f"{len(proposal.candidates)} candidates ({proposal.held_back} held back: rejected before or "
          f"already recorded); {len(new)} new names. Review them in {path}, then "
          f"'mineral-diplomacy accept {args.source} --by NAME'.")
    return 0


def accept_command(args: argparse.Namespace) -> int:
    """Move the accepted candidates of one document into its records file."""
    from ..graph.intake.accept import accept

    try:
        sources = project_sources(args.shared, args.documents)
        result = accept(args.source, args.candidates, args.records, sources, args.by, args.marks)
    except BuildFailed as failed:
        print(failed.report().replace("Build failed at the accept step", "Nothing was accepted"),
              file=sys.stderr)
        return 1
    print(f"{args.source}: {len(result.unchanged)} accepted unchanged, {len(result.edited)} edited, "
          f"{len(result.rejected)} rejected, {result.pending} still pending; {result.marked} sentences "
          "marked as stating no fact."
          + (f" Records written to {result.records_file}; run 'mineral-diplomacy build' to check them."
             if result.records_file else ""))
    return 0


def ask_command(args: argparse.Namespace) -> int:
    """List the questions, or answer one from the published build as a table."""
    from ..queries.catalogue import answer_rows, load_questions
    from ..queries.table import format_table

    questions = {q.id: q for q in load_questions()}
    if args.list or not args.id:
        for theme in sorted({q.theme for q in questions.values()}):
            print(f"{theme}:")
            for listed in (q for q in questions.values() if q.theme == theme):
                print(f"  {listed.id:<36} {listed.question}")
        return 0
    question = questions.get(args.id)
    if question is None:
        print(f"No question '{args.id}'; 'mineral-diplomacy ask --list' shows them.", file=sys.stderr)
        return 2
    release = current_release(args.out)
    if release is None:
        print(f"No published build in {args.out}: run 'mineral-diplomacy build' first.", file=sys.stderr)
        return 2
    rows = answer_rows(load_store(release), question)
    print(f"{question.question}\n")
    print(format_table(rows))
    print(f"\n{len(rows)} row(s). Every entity id opens at http://127.0.0.1:8765/id/... with its sources.")
    return 0


def port_in_use(host: str, port: int) -> bool:
    """Whether something listens on ``host:port`` (connections left in TIME_WAIT do not count)."""
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def serve_command(args: argparse.Namespace) -> int:
    """Serve the published build on 127.0.0.1: nginx in front of gunicorn, or gunicorn alone
    (replaces this process with gunicorn, which starts and stops the front)."""
    from ..server import GUNICORN_CONFIG, front

    if args.port:
        os.environ["MINERAL_DIPLOMACY_PORT"] = str(args.port)
    port = int(os.environ.get("MINERAL_DIPLOMACY_PORT", "8765"))
    if port_in_use("127.0.0.1", port):  # gunicorn's workers share a port (SO_REUSEPORT), so would a
        print(f"Port {port} on 127.0.0.1 is in use (another server?); "  # second server: refuse it
              "choose another with --port.", file=sys.stderr)
        return 2
    if not (args.out / "current").exists():  # said here, before any process or folder is made
        print(f"No published build in {args.out}: run 'mineral-diplomacy build' first.", file=sys.stderr)
        return 2
    if args.engine:
        from ..server.engine import RemoteEngine

        try:
            RemoteEngine(args.engine, 0)
        except ValueError as error:
            print(f"--engine: {error}", file=sys.stderr)
            return 2
    choice = args.front or ("nginx" if front.nginx_binary() else "none")
    if choice == "nginx":
        if front.nginx_binary() is None:
            print("--front nginx: nginx is not installed (Debian: apt-get install nginx-light).",
                  file=sys.stderr)
            return 2
        folder = front.prepare(f"127.0.0.1:{port}")
        os.environ.update(MINERAL_DIPLOMACY_FRONT_DIR=str(folder),
                          MINERAL_DIPLOMACY_BIND=f"unix:{folder / front.ENDPOINT_SOCKET}")
    else:
        print("warning: no front (nginx), for development and tests only: the endpoint faces clients "
              "alone, with no per-client share, no body buffering and no HTTP cache (install "
              "nginx-light for production).", file=sys.stderr)
    os.environ["MINERAL_DIPLOMACY_BUILD_DIR"] = str(args.out)
    if args.engine:
        os.environ["MINERAL_DIPLOMACY_ENGINE"] = args.engine
    print(f"Serving {args.out / 'current'} at http://127.0.0.1:{port}/ (SPARQL endpoint: /sparql)"
          f"{' behind nginx' if choice == 'nginx' else ''}", flush=True)
    os.execv(sys.executable, [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG),
                              "mineral_diplomacy.server.wsgi:app"])
    return 0  # not reached


def engine_command(args: argparse.Namespace) -> int:
    """Load the published release into another SPARQL engine (once per release) and run it on
    127.0.0.1, read-only; the oxigraph server unable to open connections (so no SERVICE call
    reaches anything), Virtuoso's anonymous user without the right to call SERVICE."""
    from ..release import engines
    from ..server.sandbox import forbid_connections

    if not (args.out / "current").exists():
        print(f"No published build in {args.out}: run 'mineral-diplomacy build' first.", file=sys.stderr)
        return 2
    release = (args.out / "current").resolve()
    location = engines.engine_store(args.out, args.name)
    port = args.port or {"oxigraph": 7878, "virtuoso": 8890}[args.name]
    if args.name == "oxigraph":
        program = engines.oxigraph_program()
        if program is None:
            print("The oxigraph server is not installed: pip install -c .ci/constraints.txt -e '.[engines]'.",
                  file=sys.stderr)
            return 2
        load: Callable[[Path, Path], None] = engines.load_oxigraph
        command = engines.oxigraph_command(program, location, port, args.timeout)
        url = f"http://127.0.0.1:{port}/query"
    else:
        load, url = engines.load_virtuoso, f"http://127.0.0.1:{port}/sparql"
    try:
        took = engines.load_once(location, lambda folder: load(release, folder))
    except engines.VirtuosoFailed as error:
        print(error, file=sys.stderr)
        return 2
    if took is not None:
        print(f"Loaded release {release.name} into {location} in {took:.1f} s")
    if args.name == "virtuoso":  # (it connects to itself when it starts: its own grants refuse SERVICE)
        ini = engines.virtuoso_ini(location, port, engines.free_port(), args.timeout)
        if (found := engines.virtuoso_command(ini)) is None:
            print("Virtuoso is not installed: apt-get install virtuoso-opensource-7-bin.", file=sys.stderr)
            return 2
        command = found
    elif not forbid_connections(only_connect=True):
        print("warning: this system cannot refuse the engine's connections (not Linux x86-64 or arm64): "
              "a SERVICE call that passed the endpoint's check would reach its target.", file=sys.stderr)
    print(f"The {args.name} engine answers release {release.name} at {url}; "
          f"serve it with: mineral-diplomacy serve --engine {url}", flush=True)
    os.execv(command[0], command)
    return 0  # not reached


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    main_parser = argparse.ArgumentParser(
        prog="mineral-diplomacy",
        description="India's critical-minerals diplomacy as a cited knowledge graph.",
    )
    commands = main_parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build, check and publish the dataset")
    build.add_argument("--records", type=Path, default=RECORDS_DIR, help="folder of *.yaml records")
    build.add_argument("--shared", type=Path, default=SHARED_DIR,
                       help="folder holding sources/ and reference/")
    build.add_argument("--out", type=Path, default=BUILD_DIR, help="where releases are published")
    build.set_defaults(handler=build_command)
    cover = commands.add_parser("coverage", help="which sentences of each source the records cite")
    cover.add_argument("--records", type=Path, default=RECORDS_DIR, help="folder of *.yaml records")
    cover.add_argument("--shared", type=Path, default=SHARED_DIR, help="folder holding sources/")
    cover.add_argument("--marks", type=Path, default=COVERAGE_DIR,
                       help="folder of sentences marked as stating no fact")
    cover.add_argument("--details", action="store_true", help="list every uncovered sentence")
    cover.set_defaults(handler=coverage_command)
    mappings = commands.add_parser("mappings", help="regenerate the SSSOM mapping sets from reference/")
    mappings.add_argument("--records", type=Path, default=RECORDS_DIR, help="folder of *.yaml records")
    mappings.add_argument("--shared", type=Path, default=SHARED_DIR, help="folder holding reference/")
    mappings.add_argument("--mappings", type=Path, default=MAPPINGS_DIR, help="folder of the mapping sets")
    mappings.add_argument("--date", help="the date of new or changed mappings (default: today)")
    mappings.add_argument("--check", action="store_true", help="change nothing; exit 1 if a set is stale")
    mappings.set_defaults(handler=mappings_command)
    links = commands.add_parser("links", help="how many entities of each kind are linked to each dataset")
    links.add_argument("--out", type=Path, default=BUILD_DIR, help="where releases are published")
    links.add_argument("--unlinked", action="store_true", help="also list the entities with no link")
    links.set_defaults(handler=links_command)
    external = commands.add_parser("load-external", help="add your own RDF file as a named graph")
    external.add_argument("file", type=Path, nargs="?", help="Turtle, N-Triples, N3, RDF/XML or JSON-LD")
    external.add_argument("--graph", required=True, help="the IRI of the named graph to hold it")
    external.add_argument("--origin", help="where the file came from (default: its path)")
    external.add_argument("--format", help="the RDF format, when the extension does not say")
    external.add_argument("--remove", action="store_true", help="stop adding the graph to the builds")
    external.add_argument("--external", type=Path, default=EXTERNAL_DIR, help="where loaded files are kept")
    external.set_defaults(handler=load_external_command)
    add = commands.add_parser("add-source", help="copy a document's text into the project, with its metadata")
    add.add_argument("files", type=Path, nargs="+", help="UTF-8 text files")
    add.add_argument("--metadata", type=Path,
                     help="YAML: each file's name -> its fields, named as the flags are (for several files)")
    add.add_argument("--name", help="the file name in the project (default: the file's, as a slug)")
    add.add_argument("--title", help="the document's title as it gives it")
    add.add_argument("--publisher", help="who published it (a name)")
    add.add_argument("--issued", help="its date: 2023-09-16, 2023-09 or 2023")
    add.add_argument("--date-known-from", help="how the date is known (stated in the text, ...)")
    add.add_argument("--type", help="its document type: governmentRelease, parliamentaryReply, ...")
    add.add_argument("--address", help="the address of the page the text comes from")
    add.add_argument("--licence", help="the terms on which it may be used")
    add.add_argument("--note", help="anything a reader should know about the text")
    add.add_argument("--received", help="when it was received (default: now)")
    add.add_argument("--documents", type=Path, default=DOCUMENTS_DIR, help="the project's documents folder")
    add.add_argument("--shared", type=Path, default=SHARED_DIR, help="folder holding sources/")
    add.set_defaults(handler=add_source_command)
    for name, handler, text in (
        ("propose", propose_command, "propose candidate records for one document"),
        ("accept", accept_command, "move a document's accepted candidates into the records"),
    ):
        intake = commands.add_parser(name, help=text)
        intake.add_argument("source", help="the document's file name (as add-source gave it)")
        if name == "accept":
            intake.add_argument("--by", required=True, help="who accepts (kept with each record)")
            intake.add_argument("--marks", type=Path, default=COVERAGE_DIR,
                                help="folder of sentences marked as stating no fact")
        intake.add_argument("--records", type=Path, default=RECORDS_DIR, help="folder of *.yaml records")
        intake.add_argument("--candidates", type=Path, default=CANDIDATES_DIR, help="candidate files")
        intake.add_argument("--documents", type=Path, default=DOCUMENTS_DIR, help="the project's documents")
        intake.add_argument("--shared", type=Path, default=SHARED_DIR, help="holds sources/ and reference/")
        intake.set_defaults(handler=handler)
    ask = commands.add_parser("ask", help="answer one of the questions in queries/ as a table")
    ask.add_argument("id", nargs="?", help="the question's id (see --list)")
    ask.add_argument("--list", action="store_true", help="list the questions by theme")
    ask.add_argument("--out", type=Path, default=BUILD_DIR, help="where releases are published")
    ask.set_defaults(handler=ask_command)
    serve = commands.add_parser("serve", help="serve the published build (SPARQL endpoint and UI)")
    serve.add_argument("--out", type=Path, default=BUILD_DIR, help="where releases are published")
    serve.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default 8765)")
    serve.add_argument("--front", choices=("nginx", "none"), default=None,
                       help="what faces clients: nginx (the default when installed) in front of gunicorn, "
                            "or gunicorn alone (development and tests only)")
    serve.add_argument("--engine", default=None, metavar="URL",
                       help="answer /sparql from this SPARQL endpoint holding the release (see "
                            "'engine'); default: embedded, the worker's own evaluators")
    serve.set_defaults(handler=serve_command)
    engine = commands.add_parser("engine", help="load the published release into another SPARQL engine "
                                                "and run it, read-only")
    engine.add_argument("name", choices=("oxigraph", "virtuoso"),
                        help="the oxigraph server or Virtuoso (Debian's virtuoso-opensource-7-bin)")
    engine.add_argument("--out", type=Path, default=BUILD_DIR, help="where releases are published")
    engine.add_argument("--port", type=int, default=None,
                        help="port on 127.0.0.1 (default 7878 for oxigraph, 8890 for virtuoso)")
    engine.add_argument("--timeout", type=float, default=10,
                        help="the engine's own time limit for a query, in seconds (default 10; 0: none). "
                             "The oxigraph server keeps a thread per query for this long")
    engine.set_defaults(handler=engine_command)
    from ..review.cli import add_commands

    add_commands(commands)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parser().parse_args(argv)
    return int(args.handler(args))

