"""The Flask application: the SPARQL endpoint and the pages over one typed state, with the answer
cache in front.

Read-only by design: there is no update operation, SERVICE calls reach only allow-listed
endpoints, and nothing a request says can make the server read a local file or fetch a URL.
"""

from __future__ import annotations

import gc
from pathlib import Path

from flask import Flask, Response

from .http_cache import AnswerCache
from .page_routes import page_blueprint
from .reconcile_routes import reconciliation_blueprint
from .sparql_routes import sparql_blueprint
from .state import ServerConfig, ServerState

SERVER_DIR = Path(__file__).parent
EXTENSION = "mineral_diplomacy"  # the application's key in ``app.extensions``


def allow_any_origin(response: Response) -> Response:
    """Every answer may be read by a page of any origin (the data is public)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Vary", "Accept")
    return response


def create_app(config: ServerConfig | None = None) -> Flask:
    """The application serving the release published in ``config.build_dir``."""
    state = ServerState(config or ServerConfig.from_environment())
    gc.freeze()  # what is loaded now stays put: fewer copy-on-write pages when a query forks
    app = Flask(__name__, template_folder=str(SERVER_DIR / "templates"),
                static_folder=str(SERVER_DIR / "static"))
    app.config["MAX_CONTENT_LENGTH"] = state.config.max_request_bytes
    app.extensions[EXTENSION] = state
    app.after_request(allow_any_origin)
    answers = AnswerCache(app.wsgi_app, state.holder, state.config.cache_bytes // 4,
                          state.config.max_request_bytes, state.config.max_age)
    app.register_blueprint(sparql_blueprint(state, answers))
    app.register_blueprint(page_blueprint(state))
    app.register_blueprint(reconciliation_blueprint(state.holder))
    app.wsgi_app = answers  # type: ignore[method-assign]
    return app


def server_state(app: Flask) -> ServerState:
    """The state of an application made by ``create_app``."""
    state = app.extensions[EXTENSION]
    assert isinstance(state, ServerState)
    return state
