"""Telling running servers that a new release is published.

Each server's gunicorn master writes its pid file in the build folder's ``servers/`` (gunicorn's
own ``pidfile`` setting, one file per port). SIGHUP is gunicorn's graceful reload: new workers
start and load ``current``; the old ones finish the requests they hold, then stop, and their
evaluators die with them. So no query fails at a switch and no worker ever changes its release.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

SERVERS_DIR = "servers"


def pid_file(build_dir: Path, port: int | str) -> Path:
    """Where the server on ``port`` that serves ``build_dir`` writes its master's pid."""
    return build_dir / SERVERS_DIR / f"{port}.pid"


def _serving(pid: int) -> bool:
    """Whether ``pid`` is a gunicorn process (a pid file left by a server that was killed may name
    a process that has nothing to do with it)."""
    try:
        return b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def reload_servers(build_dir: Path) -> list[str]:
    """Send SIGHUP to every server serving ``build_dir``; what was done, a line per server."""
    said = []
    for file in sorted((build_dir / SERVERS_DIR).glob("*.pid")):
        try:
            pid = int(file.read_text().strip())
        except (OSError, ValueError):
            continue
        if not _serving(pid):
            continue
        try:
            os.kill(pid, signal.SIGHUP)
            said.append(f"the server on port {file.stem} (pid {pid}) reloads: new workers, new release")
        except OSError as error:
            said.append(f"could not tell the server on port {file.stem} (pid {pid}): {error.strerror}; "
                        f"reload it with 'kill -HUP {pid}'")
    return said
