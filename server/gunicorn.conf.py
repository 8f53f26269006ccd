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
