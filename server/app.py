"""The Flask application: the SPARQL endpoint, the pages and the reconciliation service over one
typed state (a worker's).

Read-only by design: there is no update operation, SERVICE calls reach only allow-listed
endpoints, and nothing a request says can make the server read a local file or fetch a URL.
"""

from __future__ import annotations

import gc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, current_app, request

from .evaluate import QueryFailed
from .headers import COMMON_HEADERS
from .page_routes import page_blueprint
from .reconcile import territory_names
from .reconcile_routes import reconciliation_routes
from .sparql_routes import refusal, sparql_blueprint
from .state import EXTENSION, ServerConfig, ServerState, server_state

SERVER_DIR = Path(__file__).parent


RELEASE_HEADER = "X-Release"  # every answer names the release it comes from


def common_headers(response: Response) -> Response:
    """Add ``COMMON_HEADERS``, the release (so a client of replicas can tell when its answers
    change release) and ``Vary: Accept`` where the answer does not say; a redirect to this same
    site (Werkzeug's slash redirects name the request's Host) keeps only its path."""
    for name, value in COMMON_HEADERS:
        response.headers[name] = value
    response.headers[RELEASE_HEADER] = server_state(current_app).release.name
    response.headers.setdefault("Vary", "Accept")
    if (location := response.headers.get("Location")) and urlsplit(location).netloc == request.host:
        path = urlunsplit(("", "", *urlsplit(location)[2:]))
        response.headers["Location"] = path
        response.set_data(f"Moved to {path}\n")
        response.mimetype = "text/plain"
    return response


def create_app(config: ServerConfig | None = None) -> Flask:
    """The application serving the release published in ``config.build_dir`` (loaded now)."""
    state = ServerState(config or ServerConfig.from_environment())
    territory_names()  # CLDR's names (read in gunicorn's master already): the evaluators share them
    gc.freeze()  # what is loaded now stays put: fewer copy-on-write pages when a query forks
    app = Flask(__name__, template_folder=str(SERVER_DIR / "templates"),
                static_folder=str(SERVER_DIR / "static"))
    app.config["MAX_CONTENT_LENGTH"] = state.config.max_request_bytes
    app.extensions[EXTENSION] = state
    app.after_request(common_headers)
    app.register_error_handler(QueryFailed, refusal)  # a page's queries: refused, or stopped
    app.register_blueprint(sparql_blueprint(state))
    app.register_blueprint(page_blueprint(state))
    app.register_blueprint(reconciliation_routes)
    return app



__all__ = ["create_app", "server_state"]
