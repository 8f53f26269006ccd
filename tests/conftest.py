"""Shared helpers: small record sets built against the real sources and reference tables."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mineral_diplomacy.graph import RECORDS_DIR
from mineral_diplomacy.release.engines import free_port

SOURCE_003 = "003_b26980c2506844ff.txt"
# For builds of a small record set: none of the project's own documents (their publishers are
# described by the project's records, not the set's).
NO_DOCUMENTS = Path("/nonexistent/no-documents")

# The document record every small test set needs, so that its records may cite source 003.
DOCUMENT_RECORD = f"""
- id: source/akka-ias-indias-mineral-diplomacy-strategy
  type: SourceDocument
  title: India's Mineral Diplomacy Strategy
  issued: 2024-12-17
  document_type: examPreparationNotes
  file_name: {SOURCE_003}
  source: {SOURCE_003}
  quote: "India's Mineral Diplomacy Strategy Posted at: 17/12/2024"
"""


@pytest.fixture
def records_dir(tmp_path: Path) -> Path:
    """An empty folder for a test's own records."""
    folder = tmp_path / "records"
    folder.mkdir()
    return folder


@pytest.fixture
def real_records(tmp_path: Path) -> Path:
    """A copy of the project's records, for tests that break one on purpose."""
    folder = tmp_path / "real-records"
    shutil.copytree(RECORDS_DIR, folder)
    return folder


def write_records(folder: Path, text: str, name: str = "test.yaml") -> Path:
    """Write a records file (the document record first) and return its path."""
    path = folder / name
    path.write_text(DOCUMENT_RECORD + text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of the project's records, published once for the whole test session as the build
    command publishes it (with the review pages)."""
    from mineral_diplomacy.cli.commands import release_preparation
    from mineral_diplomacy.graph import SHARED_DIR
    from mineral_diplomacy.release.pipeline import run_build

    out = tmp_path_factory.mktemp("published")
    run_build(RECORDS_DIR, SHARED_DIR, out, *release_preparation(RECORDS_DIR, SHARED_DIR, out))
    return out


def wait_until_up(process: subprocess.Popen[bytes], probe: Callable[[], object], what: str,
                  seconds: float = 60) -> None:
    """Call ``probe`` until it stops raising OSError; fail (killing the process) if the process
    ends or ``seconds`` pass first."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            probe()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the real server's output (its request log) goes."""
    return tmp_path_factory.mktemp("server") / "server.log"


@pytest.fixture(scope="session")
def server_url(published: Path, server_log: Path):
    """The real server (gunicorn, without its nginx front: these tests are of the endpoint itself)
    on a free port, started for the session and stopped after."""
    import os
    import subprocess
    import sys
    import urllib.request

    port = free_port()
    env = {**os.environ, "MINERAL_DIPLOMACY_PORT": str(port),
           "MINERAL_DIPLOMACY_MAX_TIMEOUT": "5", "MINERAL_DIPLOMACY_TIMEOUT": "5"}
    log = server_log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "mineral_diplomacy.cli", "serve", "--out", str(published),
         "--front", "none"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_up(process, lambda: urllib.request.urlopen(f"{url}/health", timeout=2).read(),
                  f"the server (see {log.name})")
    yield url
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@contextlib.contextmanager
def engine_server(build_dir: Path, name: str = "oxigraph") -> Iterator[str]:
    """The engine ``name`` (oxigraph, virtuoso) holding the release published in ``build_dir``,
    loaded and started by the project's command (``mineral-diplomacy engine NAME``) on a free
    port; its query URL, then stopped."""
    import os
    import sys
    import urllib.request

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mineral_diplomacy.cli", "engine", name, "--out", str(build_dir),
         "--port", str(port), "--timeout", "5"], env=os.environ.copy(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/{'query' if name == 'oxigraph' else 'sparql'}"
    wait_until_up(process, lambda: urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=2).read(),
                  f"the {name} engine", seconds=120)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
