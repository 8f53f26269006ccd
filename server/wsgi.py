"""The WSGI entry point for gunicorn: ``mineral_diplomacy.server.wsgi:app``."""

import logging

from .app import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s [%(process)d] %(name)s %(message)s")
app = create_app()
