"""A release loaded into another SPARQL engine, to be run read-only behind the endpoint
(``mineral-diplomacy engine oxigraph|virtuoso``): one store per engine and release, under
``<build>/engines/<engine>/<release>``, made aside and moved in whole.

Both keep the release's named graphs. The oxigraph server's default graph is the embedded
engine's, the merge of the named graphs as a set; Virtuoso has none of its own: a query without a
dataset sees every graph the anonymous user may read, a triple once per graph holding it (a bag).
(A graph of its own holding the set, named as the default graph, was tried: Virtuoso 7.2 then
answers GRAPH patterns wrongly; docs/serving.md.)
"""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .layout import CURRENT
from .store import GRAPH_TERM, write_store

ENGINES_DIR = "engines"  # in the build folder
VIRTUOSO_SERVER, VIRTUOSO_SQL = "virtuoso-t", "isql-vt"  # Debian's virtuoso-opensource-7-bin
VIRTUOSO_INI = "virtuoso.ini"


def engine_store(build_dir: Path, engine: str) -> Path:
    """Where ``engine`` keeps the release published as ``build_dir/current``."""
    return build_dir / ENGINES_DIR / engine / (build_dir / CURRENT).resolve().name


def load_once(location: Path, load: Callable[[Path], None]) -> float | None:
    """Make ``location`` with ``load(folder)`` in a folder beside it, then move it in (a failed load
    leaves nothing half-made); the seconds it took, or None when it was there already."""
    if location.is_dir():
        return None
    staging = location.with_name(f".staging-{location.name}-{secrets.token_hex(4)}")
    staging.mkdir(parents=True)
    started = time.perf_counter()
    try:
        load(staging)
        staging.rename(location)
    except OSError:
        if not location.is_dir():  # (another run may have loaded it meanwhile: then use that)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return time.perf_counter() - started


# --- The oxigraph server --------------------------------------------------------------------------

def oxigraph_program() -> str | None:
    """The oxigraph server's program (the ``oxigraph`` package's, from PyPI), None if not installed."""
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    return found if Path(found).is_file() else None


def oxigraph_command(program: str, location: Path, port: int, timeout: float) -> list[str]:
    """The oxigraph server run read-only on the store at ``location``, on 127.0.0.1, with its own
    time limit (none for 0). Its default graph is the store's, the merge of the named graphs as a
    set (not its ``--union-default-graph``, which counts a triple once per graph holding it)."""
    limit = ["--timeout-s", f"{max(1, round(timeout))}"] if timeout > 0 else []
    return [program, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}", *limit]


def load_oxigraph(release: Path, folder: Path) -> None:
    """The release in the oxigraph server's on-disk store, ``folder`` itself."""
    write_store(release, folder)


# --- Virtuoso -------------------------------------------------------------------------------------

class VirtuosoFailed(RuntimeError):
    """Virtuoso did not start, or did not load the release."""


def virtuoso_ini(folder: Path, http_port: int, sql_port: int, timeout: float) -> Path:
    """Write the configuration that runs the database in ``folder``: HTTP (the SPARQL endpoint, at
    /sparql) on 127.0.0.1:``http_port``, its SQL port on 127.0.0.1:``sql_port``; files only
    from ``folder``; no row limit on an answer (the endpoint caps answers; Virtuoso would cut one
    short silently); its own hard time limit per query (none for 0)."""
    files = {name: folder / f"virtuoso.{name}" for name in ("db", "trx", "lck", "pxa", "log")}
    (folder / "www").mkdir(exist_ok=True)  # its HTTP server's root: nothing to serve
    ini = folder / VIRTUOSO_INI
    ini.write_text(f"""[Database]
DatabaseFile = {files['db']}
TransactionFile = {files['trx']}
LockFile = {files['lck']}
xa_persistent_file = {files['pxa']}
ErrorLogFile = {files['log']}
[TempDatabase]
DatabaseFile = {folder / 'virtuoso-temp.db'}
TransactionFile = {folder / 'virtuoso-temp.trx'}
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DirsAllowed = {folder}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder / 'www'}
ServerThreads = 8
MaxClientConnections = 8
[SPARQL]
ResultSetMaxRows = 2000000000
MaxQueryExecutionTime = {max(1, round(timeout)) if timeout > 0 else 0}
""", encoding="utf-8")
    return ini


def virtuoso_command(ini: Path) -> list[str] | None:
    """Virtuoso's server run in the foreground on ``ini``, None if it is not installed."""
    program = shutil.which(VIRTUOSO_SERVER)
    return [program, "+configfile", str(ini), "+foreground"] if program else None


def load_virtuoso(release: Path, folder: Path) -> None:
    """The release in a Virtuoso database, in ``folder``: its N-Quads through the bulk loader (each
    quad in its named graph); then made to serve: the anonymous SPARQL user may read the release's
    graphs only (Virtuoso's own graphs hidden from it), and the administrator's password is random
    and forgotten, so nothing can change the database once loaded. The anonymous user may not call
    SERVICE nor read files (Virtuoso's defaults, which the tests check)."""
    sql_port = free_port()
    command = virtuoso_command(virtuoso_ini(folder, free_port(), sql_port, 0))
    sql = shutil.which(VIRTUOSO_SQL)
    if command is None or sql is None:
        raise VirtuosoFailed("Virtuoso is not installed: apt-get install virtuoso-opensource-7-bin.")
    data = (release / "dataset.nq").read_bytes()
    (folder / "dataset.nq").write_bytes(data)
    graphs = sorted({match.group()[2:-3].decode() for match in GRAPH_TERM.finditer(data)})
    if unwritable := [graph for graph in graphs if "\\" in graph or "$" in graph]:
        raise VirtuosoFailed(f"Graph IRIs with '\\' or '$' are not loaded into Virtuoso (its SQL client "
                             f"would read them otherwise): {unwritable[:3]}")
    server = subprocess.Popen(command, cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    password = secrets.token_urlsafe(24)
    script = "\n".join([
        f"USER_SET_PASSWORD('dba', '{password}');",
        f"ld_dir({_text(str(folder))}, 'dataset.nq', 'urn:x-none');",  # (each quad has its graph)
        "rdf_loader_run();",
        "SELECT 'files loaded whole:', COUNT(*) FROM DB.DBA.load_list",
        "  WHERE ll_state = 2 AND ll_error IS NULL;",
        "DB.DBA.RDF_DEFAULT_USER_PERMS_SET('nobody', 0);",
        *(f"DB.DBA.RDF_GRAPH_USER_PERMS_SET({_text(graph)}, 'nobody', 1);" for graph in graphs),
        "checkpoint;", "shutdown;", ""])
    try:
        said = _run_sql(server, sql, sql_port, script)
        errors = [line for line in said.splitlines() if "*** Error" in line]
        if errors or not re.search(r"files loaded whole:\s+1\b", said):
            raise VirtuosoFailed(f"Virtuoso did not load the release: {errors or said[-2000:]}")
        server.wait(timeout=120)
    except subprocess.TimeoutExpired as late:
        raise VirtuosoFailed(f"Virtuoso did not finish loading the release ({late}).") from None
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    for name in ("dataset.nq", "virtuoso.log", VIRTUOSO_INI):
        (folder / name).unlink(missing_ok=True)


def _text(value: str) -> str:
    """``value`` (without a backslash or a dollar sign) as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_sql(server: subprocess.Popen[bytes], sql: str, port: int, script: str) -> str:
    """Run ``script`` as the administrator (the initial password) once the server takes
    connections: what it said."""
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise VirtuosoFailed(f"Virtuoso stopped while starting ({server.returncode}).")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise VirtuosoFailed("Virtuoso did not start within 60 s.") from None
            time.sleep(0.2)
    done = subprocess.run([sql, f"127.0.0.1:{port}", "dba", "dba"], input=script.encode(),
                          capture_output=True, timeout=3600)
    return done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
