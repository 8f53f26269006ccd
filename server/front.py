"""The front `serve` puts before gunicorn: Debian's nginx with the production recipe
(``server/nginx.conf``). nginx reads whole requests under its header and body timeouts (a slow
client holds an nginx connection, not a server thread), answers GETs from its cache, and tells the
endpoint the client's address. gunicorn's hooks start it once gunicorn listens and stop it when
gunicorn stops (``gunicorn.conf.py``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path

from .headers import SECURITY_HEADERS
from .sandbox import die_with_parent

NGINX_RECIPE = Path(__file__).with_name("nginx.conf")
CONFIG = "nginx.conf"
ENDPOINT_SOCKET = "endpoint.sock"  # where gunicorn listens, for nginx only
ERROR_LOG = "error.log"
PID_FILE = "nginx.pid"  # written by nginx (the recipe's ``pid``)


def nginx_binary() -> str | None:
    """The nginx program, if one is installed."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if Path(found).is_file() else None


def nginx_config(prefix: Path, listen: str, upstream: str | list[str], client_requests: int = 2) -> str:
    """The production recipe with its placeholders filled (the security headers from
    ``headers.py``, for the answers nginx writes itself; ``client_requests`` at once per client),
    in front of one endpoint or of replicas (a list of addresses): each client kept on one
    replica while it answers, a failed GET sent to another."""
    if isinstance(upstream, str):  # connections kept, closed before the endpoint closes them (5 s)
        servers = f"server {upstream} max_fails=0;\n        keepalive 16;\n        keepalive_timeout 4s;"
    else:  # no connection kept: one kept to a switching replica's old worker answers from the old release
        servers = "hash $remote_addr consistent;" + "".join(
            f"\n        server {address} max_fails=0;" for address in upstream)
    text = NGINX_RECIPE.read_text().replace("@CLIENT_REQUESTS@", str(client_requests))
    # the directive (the header comment names the placeholder too)
    text = text.replace("\n        @UPSTREAM_SERVERS@\n", f"\n        {servers}\n")
    text = text.replace("@RECONCILE_REQUESTS@", str(4 * client_requests))
    for placeholder, (_, value) in zip(("@NOSNIFF@", "@FRAMES@", "@CSP@"), SECURITY_HEADERS, strict=True):
        text = text.replace(placeholder, value)
    return text.replace("@PREFIX@", str(prefix)).replace("@LISTEN@", listen)


def prepare(listen: str) -> Path:
    """A new folder holding the front's configuration: nginx listens on ``listen`` and passes
    requests to gunicorn on the folder's ``endpoint.sock``."""
    folder = Path(tempfile.mkdtemp(prefix="mineral-diplomacy-front-"))
    folder.chmod(0o755)  # nginx's workers run as an unprivileged user when started as root
    upstream = f"unix:{folder / ENDPOINT_SOCKET}"
    share = int(os.environ.get("MINERAL_DIPLOMACY_CLIENT_REQUESTS", "2"))
    (folder / CONFIG).write_text(nginx_config(folder, listen, upstream, share))
    return folder


class FrontFailed(RuntimeError):
    """nginx did not start (its error log says why)."""


def start(folder: Path, settle: float = 0.5) -> None:
    """Run nginx with the folder's configuration. If it stops at once, remove the folder and raise
    FrontFailed with what nginx logged."""
    nginx = nginx_binary()
    if nginx is None:
        raise FrontFailed("nginx is not installed")
    # nginx stops if gunicorn's master dies without stopping it (gunicorn calls this on its main
    # thread, before it starts any other)
    process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / CONFIG),
                                "-e", str(folder / ERROR_LOG)], stdin=subprocess.DEVNULL,
                               preexec_fn=partial(die_with_parent, signal.SIGTERM))
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = folder / ERROR_LOG
            why = log.read_text().strip() if log.exists() else f"exit status {process.returncode}"
            shutil.rmtree(folder, ignore_errors=True)
            raise FrontFailed(f"nginx did not start: {why}")
        time.sleep(0.05)


def stop(folder: Path, wait: float = 10) -> None:
    """Stop the nginx running from ``folder`` (found by its pid file, so that whoever asks need
    not be the one who started it) and remove the folder."""
    with contextlib.suppress(OSError, ValueError):
        pid = int((folder / PID_FILE).read_text())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _running(pid):
            time.sleep(0.05)
        if _running(pid):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (a child of ours that stopped is reaped)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
