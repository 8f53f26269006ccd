"""Replicas behind the front: two endpoint processes holding the same release behind nginx running
the production recipe with both as its upstream (``front.nginx_config`` with a list), under load
from eight client addresses. A new release is published to one replica, then the other: no client
sees an answer of the old release after one of the new (every answer names its release, and each
client stays on one replica while it answers). Then one replica is killed outright: no request
fails beyond what one retry absorbs."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from mineral_diplomacy.release.layout import publish
from mineral_diplomacy.server.front import nginx_binary, nginx_config
from mineral_diplomacy.server.reload import pid_file

from .conftest import free_port, wait_until_up
from .test_under_load import _exchange

SECONDS = float(os.environ.get("MINERAL_DIPLOMACY_TEST_REPLICA_SECONDS", "10"))  # the run: 60
CLIENTS = [f"127.0.0.{21 + i}" for i in range(8)]
EX = "http://a.example/"


def _dataset(version: int) -> bytes:
    """A small release: 200 triples in two graphs, and which version it is."""
    lines = [f"<{EX}s{i}> <{EX}p> \"{i}\" <{EX}g{i % 2}> ." for i in range(200)]
    lines.append(f"<{EX}release> <{EX}version> \"{version}\" <{EX}g0> .")
    return ("\n".join(lines) + "\n").encode()


def _health(port: int) -> bytes:
    return _exchange(port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 5)[1]


def _names(port: int, release: str) -> bool:
    """Whether the replica on ``port`` answers its health check from ``release`` (a connection that
    ends while it switches workers is a no)."""
    try:
        return release.encode() in _health(port)
    except OSError:
        return False


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[Path, list[int], list[subprocess.Popen[bytes]], int]]:
    """The build folder, the replicas' ports and processes (each in its own session), the front's port."""
    if nginx_binary() is None:
        pytest.fail("nginx is not installed (.ci/run installs Debian's nginx-light)")
    out = tmp_path / "build"
    publish({"dataset.nq": _dataset(1)}, out)
    ports, processes = [free_port(), free_port()], []
    folder = Path(tempfile.mkdtemp(prefix="replica-front-"))
    folder.chmod(0o755)
    nginx = None
    try:  # whatever fails on the way, every process started is stopped
        for port in ports:
            env = {**os.environ, "MINERAL_DIPLOMACY_PORT": str(port), "MINERAL_DIPLOMACY_WORKERS": "2"}
            log = (tmp_path / f"replica-{port}.log").open("wb")
            command = [sys.executable, "-m", "mineral_diplomacy.cli", "serve", "--out", str(out),
                       "--front", "none"]
            processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True))
            wait_until_up(processes[-1], lambda p=port: _health(p), f"replica on {port}")
        front = free_port()
        upstreams = [f"127.0.0.1:{p}" for p in ports]
        config = folder / "nginx.conf"
        config.write_text(nginx_config(folder, f"127.0.0.1:{front}", upstreams, client_requests=1000))
        nginx = subprocess.Popen([nginx_binary() or "nginx", "-p", str(folder), "-c", str(config)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_up(nginx, lambda: _health(front), "the front")
        yield out, ports, processes, front
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
        for process in processes:  # each replica's session: its master, workers and evaluators
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def _query(front: int, source: str, n: int) -> tuple[int, str]:
    """One uncached GET (a new comment each time) from ``source``: status and X-Release."""
    query = urllib.parse.quote(f"SELECT ?v WHERE {{ <{EX}release> <{EX}version> ?v }} # {source} {n}")
    status, raw = _exchange(front, f"GET /sparql?query={query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Accept: text/csv\r\nConnection: close\r\n\r\n".encode(), 30, source)
    head = raw.split(b"\r\n\r\n", 1)[0].decode(errors="replace").split("\r\n")
    release = [line.split(":", 1)[1].strip() for line in head[1:] if line.lower().startswith("x-release:")]
    return status, release[0] if release else ""


def test_replicas_switch_release_in_turn_and_survive_one_killed(
        replicas: tuple[Path, list[int], list[subprocess.Popen[bytes]], int]) -> None:
    out, ports, processes, front = replicas
    stop = threading.Event()
    seen: dict[str, list[str]] = {source: [] for source in CLIENTS}
    failed: list[tuple[str, int, int]] = []

    def client(source: str) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            status, release = _query(front, source, n)
            if status >= 500 or status == 0:  # one retry, as Retry-After invites
                status, release = _query(front, source, n)
            if status != 200:
                failed.append((source, n, status))
            else:
                seen[source].append(release)

    threads = [threading.Thread(target=client, args=(source,)) for source in CLIENTS]
    for thread in threads:
        thread.start()
    try:
        time.sleep(SECONDS / 5)
        old = (out / "current").resolve().name
        new = publish({"dataset.nq": _dataset(2)}, out).name
        for port in ports:  # in turn: the next once this one answers from the new release
            os.kill(int(pid_file(out, port).read_text()), signal.SIGHUP)
            deadline = time.monotonic() + 60
            while not _names(port, new):
                assert time.monotonic() < deadline, f"replica {port} did not reload"
                time.sleep(0.1)
        time.sleep(SECONDS / 5)
        os.killpg(processes[0].pid, signal.SIGKILL)  # the replica and all its processes, at once
        time.sleep(SECONDS * 3 / 5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not failed, failed[:10]
    for source, releases in seen.items():
        assert releases and releases[-1] == new, (source, releases[-3:])
        first_new = releases.index(new)
        assert set(releases[first_new:]) == {new} and set(releases[:first_new]) <= {old}, source
    assert sum(1 for releases in seen.values() if releases[0] == old) == len(CLIENTS)
    killed_log = (out.parent / f"replica-{ports[0]}.log").read_text(errors="replace")
    assert "query status=200" in killed_log  # the killed replica was answering clients
