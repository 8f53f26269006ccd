"""Serving the checked graph: embedded pyoxigraph store, SPARQL endpoint, pages and editor."""

from pathlib import Path

GUNICORN_CONFIG = Path(__file__).with_name("gunicorn.conf.py")
