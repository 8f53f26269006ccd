"""gunicorn settings for the SPARQL endpoint (override with MINERAL_DIPLOMACY_* variables)."""

import atexit
import os
import shutil
from pathlib import Path

from mineral_diplomacy.graph import BUILD_DIR
from mineral_diplomacy.server.reconcile import territory_names
from mineral_diplomacy.server.reload import SERVERS_DIR, pid_file

# What every worker needs and no release changes, read once here in the master: the workers and
# their evaluators, forked from it, share it (CLDR's names in every language take a second to read)
territory_names()

PORT = os.environ.get("MINERAL_DIPLOMACY_PORT", "8765")
# `serve` with its front (nginx) sets MINERAL_DIPLOMACY_BIND to a Unix socket only nginx uses
bind = os.environ.get("MINERAL_DIPLOMACY_BIND") or f"127.0.0.1:{PORT}"
# Each worker loads the published release when it starts and serves it for its whole life: SIGHUP
# (sent by `mineral-diplomacy build`, or by hand) starts new workers on the new release while the
# old ones finish their requests (gunicorn's graceful reload, which a preloaded app would skip).
preload_app = False
workers = int(os.environ.get("MINERAL_DIPLOMACY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("MINERAL_DIPLOMACY_THREADS", "16"))
keepalive = 5
# Queries have their own limit (at most MINERAL_DIPLOMACY_MAX_TIMEOUT); this only catches a stuck worker.
timeout = int(float(os.environ.get("MINERAL_DIPLOMACY_MAX_TIMEOUT", "60"))) + 30
limit_request_line = 8190
# Each worker accepts on its own socket and the kernel spreads connections between them; without
# it, one worker can take every kept-alive connection of a client and leave the others idle.
# (A Unix socket cannot be shared so: there the workers accept on one socket.)
reuse_port = not bind.startswith("unix:")
worker_connections = int(os.environ.get("MINERAL_DIPLOMACY_WORKER_CONNECTIONS", "1000"))
# Logs (gunicorn's and the per-query lines) to a file reopened on SIGUSR1 (logrotate), or to stderr
errorlog = os.environ.get("MINERAL_DIPLOMACY_LOG_FILE") or "-"
capture_output = errorlog != "-"
# No control socket: by default every gunicorn of a user would share one (~/.gunicorn/gunicorn.ctl).
control_socket_disable = True

# The master's pid, where the build finds the servers to reload (removed by gunicorn when it stops).
_build = Path(os.environ.get("MINERAL_DIPLOMACY_BUILD_DIR", str(BUILD_DIR)))
(_build / SERVERS_DIR).mkdir(parents=True, exist_ok=True)
pidfile = str(pid_file(_build, PORT))

FRONT_DIR = os.environ.get("MINERAL_DIPLOMACY_FRONT_DIR")  # the folder of the nginx front, if any
MASTER = os.getpid()  # gunicorn reads this file in its master process


def _remove_front() -> None:
    """However the master ends (a failed start too), the front's folder goes with it; the workers,
    forked from the master, leave it alone."""
    if FRONT_DIR and os.getpid() == MASTER:
        shutil.rmtree(FRONT_DIR, ignore_errors=True)


atexit.register(_remove_front)


def when_ready(server):
    """gunicorn listens: start the front, if `serve` prepared one (gunicorn stops if it fails)."""
    if FRONT_DIR:
        from mineral_diplomacy.server import front

        front.start(Path(FRONT_DIR))


def on_exit(server):
    """gunicorn stops: so does the front."""
    if FRONT_DIR:
        from mineral_diplomacy.server import front

        front.stop(Path(FRONT_DIR))


def post_worker_init(worker):
    """The worker has loaded its release: start its query evaluators now, while it has a single
    thread."""
    from mineral_diplomacy.server.app import server_state
    from mineral_diplomacy.server.wsgi import app

    server_state(app).start_evaluators()
