"""Serving the checked graph: embedded pyoxigraph store, SPARQL endpoint, pages and editor."""

from pathlib import Path

GUNICORN_CONFIG = Path(__file__).with_name("gunicorn.conf.py")
NGINX_RECIPE = Path(__file__).with_name("nginx.conf")


def nginx_config(prefix: Path, listen: str, upstream: str) -> str:
    """The production recipe (a caching nginx in front of the endpoint) with its placeholders filled."""
    text = NGINX_RECIPE.read_text()
    return text.replace("@PREFIX@", str(prefix)).replace("@LISTEN@", listen).replace("@UPSTREAM@", upstream)
