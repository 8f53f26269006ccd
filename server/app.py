"""The Flask application: SPARQL 1.1 Protocol endpoint, entity pages, editor, downloads, health.

Read-only by design: there is no update operation, SERVICE calls reach only allow-listed
endpoints, and nothing a request says can make the server read a local file or fetch a URL.
"""

from __future__ import annotations

import functools
import gc
import io
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Flask, Response, abort, redirect, render_template, request, send_file, send_from_directory
from werkzeug.http import http_date

from ..graph import BUILD_DIR
from ..graph.output import DATASET_FILES
from ..ontology import ONTOLOGY_FILE
from ..ontology.namespaces import BASE, PREFIXES
from ..queries.catalogue import load_questions
from ..review.site import SITE_DIR
from .description import RDFLIB_FORMATS, description, linksets, statistics
from .evaluate import Answer, QueryFailed, ResultCache
from .evaluators import EvaluatorPool
from .federation import ServiceNotAllowed, check_services
from .negotiation import GRAPH_FORMATS, NotAcceptable, choose
from .pages import describe, local_path, ontology_graph, rdf_description, replacement
from .protocol import Limits, parse_query_request
from .reconcile_routes import reconciliation_blueprint
from .store import Release, ReleaseHolder

log = logging.getLogger("mineral_diplomacy.server")
SERVER_DIR = Path(__file__).parent
YASGUI_DIR = SERVER_DIR / "node_modules" / "@zazuko" / "yasgui" / "build"
DOWNLOAD_TYPES = {
    "dataset.nq": "application/n-quads",
    "dataset.trig": "application/trig",
    "dataset.ttl": "text/turtle",
    "summary.json": "application/json",
}
_PATH = re.compile(r"[a-z0-9]+(?:[-/][a-z0-9]+)*")


@dataclass(frozen=True)
class ServerConfig:
    """Settings, from MINERAL_DIPLOMACY_* environment variables or defaults."""

    build_dir: Path = BUILD_DIR
    default_timeout: float = 10.0
    max_timeout: float = 60.0
    max_query_chars: int = 20_000
    max_request_bytes: int = 64 * 1024
    max_result_bytes: int = 32 * 1024 * 1024
    cache_bytes: int = 64 * 1024 * 1024
    evaluators: int = 2
    service_allowlist: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_environment(cls) -> ServerConfig:
        env = os.environ.get
        allow = env("MINERAL_DIPLOMACY_SERVICE_ALLOWLIST", "")
        return cls(
            build_dir=Path(env("MINERAL_DIPLOMACY_BUILD_DIR", str(BUILD_DIR))),
            default_timeout=float(env("MINERAL_DIPLOMACY_TIMEOUT", "10")),
            max_timeout=float(env("MINERAL_DIPLOMACY_MAX_TIMEOUT", "60")),
            max_result_bytes=int(env("MINERAL_DIPLOMACY_MAX_RESULT_BYTES", str(32 * 1024 * 1024))),
            evaluators=int(env("MINERAL_DIPLOMACY_EVALUATORS", "2")),
            service_allowlist=frozenset(a for a in allow.split(",") if a.strip()),
        )


def _error(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")


@functools.lru_cache(maxsize=2)
def _http_date_of(second: int) -> str:
    """The Date header's value for a time in whole seconds (computed once a second)."""
    return http_date(second)


def _media(media_type: str) -> str:
    return media_type + ("; charset=utf-8" if media_type.startswith("text/") else "")


class CachedQueryPath:
    """WSGI middleware answering a repeated query from memory, before Flask is involved.

    Keyed by the release, the raw query string, the request body (for POST) and the Accept
    header; only complete 200 answers are kept. Everything else goes to the Flask application.
    """

    KEPT_HEADERS = ("Content-Type", "X-Timeout")

    def __init__(self, app: Any, holder: ReleaseHolder, config: ServerConfig) -> None:
        self.app = app
        self.holder = holder
        self.cache = ResultCache(config.cache_bytes // 4)
        self.max_body = config.max_request_bytes
        # what every query answer carries (set by the application's after_request and view)
        self.fixed_headers = [("Access-Control-Allow-Origin", "*"), ("Vary", "Accept"),
                              ("X-Result-Size-Limit", str(config.max_result_bytes))]

    @staticmethod
    def _key(release: str, environ: dict[str, Any]) -> tuple[str, ...]:
        return (release, environ.get("QUERY_STRING", ""), environ.get("CONTENT_TYPE", ""),
                environ.get("mineral_diplomacy.body", b"").decode("latin-1"),
                environ.get("HTTP_ACCEPT", ""))

    def _read_body(self, environ: dict[str, Any]) -> bool:
        """Keep a small POST body in the environ (and give Flask a fresh stream of it)."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        if not 0 < length <= self.max_body:
            return False
        body = environ["wsgi.input"].read(length)
        environ["mineral_diplomacy.body"] = body
        environ["wsgi.input"] = io.BytesIO(body)
        return True

    def remember(self, release: str, environ: dict[str, Any], response: Response) -> None:
        headers = tuple((h, response.headers[h]) for h in self.KEPT_HEADERS if h in response.headers)
        self.cache.put(self._key(release, environ),
                       Answer(response.get_data(), response.mimetype, headers))

    def _hit(self, key: tuple[str, ...]) -> tuple[Answer, list[tuple[str, str]]] | None:
        """A cached answer and all its response headers."""
        hit = self.cache.get(key)
        if hit is None:
            return None
        return hit, [*hit.headers, *self.fixed_headers, ("Content-Length", str(len(hit.body))),
                     ("X-Cache", "hit")]

    @staticmethod
    def log_hit(request: str, size: int, started: float) -> None:
        """The request log line of a query answered from the cache."""
        log.info("query status=200 ms=%.2f cached=fast bytes=%d request=%r",
                 (time.perf_counter() - started) * 1000, size, request[:160])

    def cached_response(self, query_string: str, accept: str) -> bytes | None:
        """The whole HTTP/1.1 response to ``GET /sparql?<query_string>`` if its answer is cached,
        without ever waiting for a release to load (the gunicorn worker's poller thread asks, and
        writes the log line with ``log_hit`` once the response is sent)."""
        release = self.holder.current_unchecked()
        found = self._hit((release.name, query_string, "", "", accept)) if release else None
        if found is None:
            return None
        hit, headers = found
        head = "".join(f"{name}: {value}\r\n" for name, value in headers)
        date = _http_date_of(int(time.time()))
        return f"HTTP/1.1 200 OK\r\nDate: {date}\r\n{head}\r\n".encode("latin-1") + hit.body

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") == "/sparql" and (
            method == "GET" or (method == "POST" and self._read_body(environ))
        ):
            started = time.perf_counter()
            key = self._key(self.holder.get().name, environ)
            found = self._hit(key)
            if found is not None:
                self.log_hit(key[1] or key[3], len(found[0].body), started)
                start_response("200 OK", found[1])
                return [found[0].body]
        return self.app(environ, start_response)


def create_app(config: ServerConfig | None = None) -> Flask:
    """The application serving the release published in ``config.build_dir``."""
    config = config or ServerConfig.from_environment()
    app = Flask(__name__, template_folder=str(SERVER_DIR / "templates"),
                static_folder=str(SERVER_DIR / "static"))
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    holder = ReleaseHolder(config.build_dir)
    gc.freeze()  # what is loaded now stays put: fewer copy-on-write pages when a query forks
    cache = ResultCache(config.cache_bytes)
    limits = Limits(config.default_timeout, config.max_timeout, config.max_query_chars,
                    config.max_result_bytes)
    statistics_of: dict[str, object] = {}
    pools: dict[str, EvaluatorPool] = {}
    pool_lock = threading.Lock()

    def evaluator_pool(release: Release) -> EvaluatorPool:
        """The evaluators of the release being served, started on first use."""
        with pool_lock:
            if release.name not in pools:
                for old in pools.values():
                    old.close()
                pools.clear()
                pools[release.name] = EvaluatorPool(release, config.evaluators, PREFIXES,
                                                    config.max_result_bytes)
            return pools[release.name]
    questions = load_questions()

    def release_statistics() -> object:
        release = holder.get()
        if release.name not in statistics_of:
            statistics_of.clear()
            statistics_of[release.name] = (statistics(release.store), linksets(release.store))
        return statistics_of[release.name]

    def service_description(endpoint: str) -> Response:
        stats, links = release_statistics()  # type: ignore[misc]
        graph = description(endpoint, request.host_url, stats, bool(config.service_allowlist), links)
        try:
            fmt = choose(GRAPH_FORMATS, request.accept_mimetypes, request.args.get("format"))
        except NotAcceptable as error:
            return _error(406, str(error))
        if fmt.media_type in RDFLIB_FORMATS:  # with the project's prefixes
            body = graph.serialize(format=RDFLIB_FORMATS[fmt.media_type], encoding="utf-8")
        else:  # N3, TriG, N-Quads: pyoxigraph's writers
            triples = ox.parse(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
            body = ox.serialize(triples, format=fmt.writer)  # type: ignore[arg-type]
        return Response(body, content_type=_media(fmt.media_type))

    @app.after_request
    def cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers.setdefault("Vary", "Accept")
        return response

    @app.route("/sparql", methods=["GET", "POST", "OPTIONS"])
    def sparql() -> Response:
        if request.method == "OPTIONS":
            response = Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            asked = request.headers.get("Access-Control-Request-Headers", "")
            names = [n.strip() for n in asked.split(",") if re.fullmatch(r"[A-Za-z0-9-]+", n.strip())]
            response.headers["Access-Control-Allow-Headers"] = ", ".join(names or ["Content-Type", "Accept"])
            response.headers["Access-Control-Max-Age"] = "86400"
            return response
        started = time.perf_counter()
        cached = False
        try:
            parsed = parse_query_request(request, limits)
            if parsed is None:
                if request.accept_mimetypes.best == "text/html":
                    return redirect("/")  # type: ignore[return-value]
                return service_description(request.base_url)
            check_services(parsed.job.query, config.service_allowlist)
            release = holder.get()
            key = (release.name, *parsed.job.cache_key())
            answer: Answer | None = cache.get(key)
            cached = answer is not None
            if answer is None:
                answer = evaluator_pool(release).run(parsed.job, parsed.timeout)
                cache.put(key, answer)
            response = Response(answer.body, content_type=_media(answer.media_type))
            response.headers["X-Timeout"] = f"{parsed.timeout:g}"
            response.headers["X-Cache"] = "hit" if cached else "miss"
            fast_path.remember(release.name, request.environ, response)
            query_text = parsed.job.query
        except QueryFailed as failed:
            response, query_text = _error(failed.status, failed.message), request.values.get("query", "")
        except ServiceNotAllowed as refused:
            response, query_text = _error(403, str(refused)), request.values.get("query", "")
        response.headers["X-Result-Size-Limit"] = str(config.max_result_bytes)
        log.info("query status=%d ms=%.1f cached=%s bytes=%s query=%r", response.status_code,
                 (time.perf_counter() - started) * 1000, "yes" if cached else "no",
                 response.content_length, " ".join(query_text.split())[:160])
        return response

    # gunicorn's post_fork hook starts the evaluators before the worker's threads exist
    fast_path = CachedQueryPath(app.wsgi_app, holder, config)
    app.extensions["mineral_diplomacy"] = {"start_evaluators": lambda: evaluator_pool(holder.get()),
                                           "cached_response": fast_path.cached_response,
                                           "log_hit": fast_path.log_hit}
    app.wsgi_app = fast_path  # type: ignore[method-assign]

    @app.route("/")
    def index() -> str:
        examples = [{"id": q.id, "question": q.question, "theme": q.theme or "other",
                     "asked_by": q.asked_by, "query": q.sparql} for q in questions]
        return render_template("index.html", examples=examples, prefixes=PREFIXES,
                               yasgui=YASGUI_DIR.exists())

    @app.route("/queries.json")
    def queries_json() -> Response:
        return Response(json.dumps([q.__dict__ for q in questions], indent=1),
                        content_type="application/json")

    def entity_page(iri: str) -> Response | str:
        html = request.accept_mimetypes.best_match(["text/html", *[f.media_type for f in GRAPH_FORMATS]])
        release = holder.get()
        if (new := replacement(release.store, iri)) is not None:  # merged or renamed since
            query = request.query_string.decode()
            return redirect(f"{local_path(new)}{'?' + query if query else ''}", code=301)  # type: ignore[return-value]
        override = request.args.get("format")
        if html == "text/html" and not override:
            view = describe(release.store, iri)
            if view is None:
                abort(404)
            return render_template("entity.html", view=view, local_path=local_path)
        try:
            fmt = choose(GRAPH_FORMATS, request.accept_mimetypes, override)
        except NotAcceptable as error:
            return _error(406, str(error))
        body = rdf_description(release.store, iri, fmt.writer)  # type: ignore[arg-type]
        if not body.strip():
            return _error(404, f"The graph says nothing about {iri}.")
        return Response(body, content_type=_media(fmt.media_type))

    @app.route("/id/<path:rest>")
    def entity(rest: str) -> Response | str:
        if not _PATH.fullmatch(rest):
            abort(404)
        return entity_page(f"{BASE}id/{rest}")

    @app.route("/record/<path:rest>")
    def record(rest: str) -> Response | str:
        if not _PATH.fullmatch(rest):
            abort(404)
        return entity_page(f"{BASE}record/{rest}")

    @app.route("/ontology")
    def ontology() -> Response:
        """The ontology IRI: its review pages for a browser, else Turtle (its source file), RDF/XML,
        JSON-LD or N-Triples (the release's ontology graph) by the Accept header or ``format``."""
        override = request.args.get("format")
        offered = ["text/turtle", "text/html", *[f.media_type for f in GRAPH_FORMATS[1:]]]
        if not override and request.accept_mimetypes.best_match(offered) == "text/html":
            return redirect("/review/ontology/index.html", code=303)  # type: ignore[return-value]
        try:
            fmt = choose(GRAPH_FORMATS, request.accept_mimetypes, override)
        except NotAcceptable as error:
            return _error(406, str(error) + "; or text/html for the ontology's review pages")
        if fmt.media_type == "text/turtle":
            response = send_file(ONTOLOGY_FILE, mimetype="text/turtle")
        else:
            body = ontology_graph(holder.get().store, fmt.writer)  # type: ignore[arg-type]
            response = Response(body, content_type=_media(fmt.media_type))
        response.headers["Vary"] = "Accept"
        return response

    @app.route("/review")
    def review_root() -> Response:
        return redirect("/review/", code=301)  # type: ignore[return-value]

    @app.route("/review/")
    @app.route("/review/<path:name>")
    def review(name: str = "index.html") -> Response:
        """The release's review pages (written by the build into its ``site`` folder)."""
        site = holder.get().path / SITE_DIR
        if not site.is_dir():
            return _error(404, "This release has no review pages; 'mineral-diplomacy build' writes them.")
        return send_from_directory(site, name + ("index.html" if name.endswith("/") else ""))

    @app.route("/download/<name>")
    def download(name: str) -> Response:
        if name not in DOWNLOAD_TYPES or (name not in DATASET_FILES and name != "summary.json"):
            abort(404)
        return send_file(holder.get().path / name, mimetype=DOWNLOAD_TYPES[name],
                         as_attachment=True, download_name=f"mineral-diplomacy-{name}")

    @app.route("/void")
    def void() -> Response:
        return service_description(request.host_url + "sparql")

    @app.route("/.well-known/void")
    def well_known_void() -> Response:
        return redirect("/void", code=303)  # type: ignore[return-value]

    @app.route("/health")
    def health() -> Response:
        release = holder.get()
        body = {"status": "ok", "release": release.name, "loaded_at": release.loaded_at,
                "load_seconds": round(release.load_seconds, 3), "quads": release.quads,
                "store": "disk" if (release.path / "store").is_dir() else "memory"}
        return Response(json.dumps(body), content_type="application/json")

    app.register_blueprint(reconciliation_blueprint(holder))

    @app.route("/vendor/yasgui/<path:name>")
    def yasgui(name: str) -> Response:
        return send_from_directory(YASGUI_DIR, name)

    return app
