"""The WSGI entry point for gunicorn: ``mineral_diplomacy.server.wsgi:app``."""

import logging
import os

from .app import create_app

# INFO: a line per query; WARNING: only the lines of queries that failed or were refused
logging.basicConfig(level=os.environ.get("MINERAL_DIPLOMACY_LOG_LEVEL", "INFO").upper(),
                    format="%(asctime)s [%(process)d] %(name)s %(message)s")
app = create_app()
