"""gunicorn settings for the SPARQL endpoint (override with MINERAL_DIPLOMACY_* variables)."""

import os

bind = f"127.0.0.1:{os.environ.get('MINERAL_DIPLOMACY_PORT', '8765')}"
# The store is loaded once before the workers fork, and shared by them copy-on-write.
preload_app = True
workers = int(os.environ.get("MINERAL_DIPLOMACY_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("MINERAL_DIPLOMACY_THREADS", "4"))
keepalive = 5
# Queries have their own limit (at most MINERAL_DIPLOMACY_MAX_TIMEOUT); this only catches a stuck worker.
timeout = int(float(os.environ.get("MINERAL_DIPLOMACY_MAX_TIMEOUT", "60"))) + 30
limit_request_line = 8190
# Each worker accepts on its own socket and the kernel spreads connections between them; without
# it, one worker can take every kept-alive connection of a client and leave the others idle.
reuse_port = True
worker_connections = int(os.environ.get("MINERAL_DIPLOMACY_WORKER_CONNECTIONS", "1000"))


def post_fork(server, worker):
    """Start the worker's query evaluators now, while the worker has a single thread."""
    from mineral_diplomacy.server.app import server_state
    from mineral_diplomacy.server.wsgi import app

    server_state(app).start_evaluators()
