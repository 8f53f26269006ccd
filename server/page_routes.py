"""The pages: the query editor, entity pages (HTML or RDF), the ontology, the review pages,
downloads and health, as a Flask blueprint over the application's state."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
)

from ..ontology import ONTOLOGY_FILE
from ..ontology.namespaces import BASE, PREFIXES
from ..release.layout import DATASET_FILES, SITE_DIR, STORE_DIR, SUMMARY_FILE
from .negotiation import GRAPH_FORMATS, NotAcceptable, choose
from .pages import describe, local_path, ontology_graph, rdf_description, replacement
from .sparql_routes import error_response, media
from .state import ServerState

YASGUI_DIR = Path(__file__).parent / "node_modules" / "@zazuko" / "yasgui" / "build"
MEDIA_TYPES = {".nq": "application/n-quads", ".trig": "application/trig", ".ttl": "text/turtle",
               ".json": "application/json"}
_PATH = re.compile(r"[a-z0-9]+(?:[-/][a-z0-9]+)*")


def page_blueprint(state: ServerState) -> Blueprint:
    """Every page of the site but the SPARQL endpoint's."""
    blueprint = Blueprint("pages", __name__)
    release = state.release

    @blueprint.route("/")
    def index() -> str:
        examples = [{"id": q.id, "question": q.question, "theme": q.theme or "other",
                     "asked_by": q.asked_by, "query": q.sparql} for q in state.questions]
        return render_template("index.html", examples=examples, prefixes=PREFIXES,
                               yasgui=YASGUI_DIR.exists())

    @blueprint.route("/queries.json")
    def queries_json() -> Response:
        return Response(json.dumps([q.__dict__ for q in state.questions], indent=1, default=str),
                        content_type="application/json")

    def entity_page(iri: str) -> Response | str:
        html = request.accept_mimetypes.best_match(["text/html", *[f.media_type for f in GRAPH_FORMATS]])
        if (new := state.run(partial(replacement, iri=iri))) is not None:  # merged or renamed since
            query = request.query_string.decode()
            return redirect(f"{local_path(new)}{'?' + query if query else ''}", code=301)  # type: ignore[return-value]
        override = request.args.get("format")
        if html == "text/html" and not override:
            view = state.run(partial(describe, iri=iri))
            if view is None:
                abort(404)
            return render_template("entity.html", view=view, local_path=local_path)
        try:
            fmt = choose(GRAPH_FORMATS, request.accept_mimetypes, override)
        except NotAcceptable as error:
            return error_response(406, str(error))
        body = state.run(partial(rdf_description, iri=iri, media_type=fmt.media_type))
        if not body.strip():
            return error_response(404, f"The graph says nothing about {iri}.")
        return Response(body, content_type=media(fmt.media_type))

    @blueprint.route("/id/<path:rest>")
    def entity(rest: str) -> Response | str:
        if not _PATH.fullmatch(rest):
            abort(404)
        return entity_page(f"{BASE}id/{rest}")

    @blueprint.route("/record/<path:rest>")
    def record(rest: str) -> Response | str:
        if not _PATH.fullmatch(rest):
            abort(404)
        return entity_page(f"{BASE}record/{rest}")

    @blueprint.route("/ontology")
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
            return error_response(406, str(error) + "; or text/html for the ontology's review pages")
        if fmt.media_type == "text/turtle":
            response = send_file(ONTOLOGY_FILE, mimetype="text/turtle")
        else:
            body = state.run(partial(ontology_graph, media_type=fmt.media_type))
            response = Response(body, content_type=media(fmt.media_type))
        response.headers["Vary"] = "Accept"
        return response

    @blueprint.route("/review")
    def review_root() -> Response:
        return redirect("/review/", code=301)  # type: ignore[return-value]

    @blueprint.route("/review/")
    @blueprint.route("/review/<path:name>")
    def review(name: str = "index.html") -> Response:
        """The release's review pages (written by the build into its ``site`` folder)."""
        site = release.path / SITE_DIR
        if not site.is_dir():
            return error_response(404, "This release has no review pages; "
                                  "'mineral-diplomacy build' writes them.")
        return send_from_directory(site, name + ("index.html" if name.endswith("/") else ""))

    @blueprint.route("/download/<name>")
    def download(name: str) -> Response:
        if name not in (*DATASET_FILES, SUMMARY_FILE):
            abort(404)
        return send_file(release.path / name, mimetype=MEDIA_TYPES[Path(name).suffix],
                         as_attachment=True, download_name=f"mineral-diplomacy-{name}")

    @blueprint.route("/health")
    def health() -> Response:
        body = {"status": "ok", "release": release.name, "loaded_at": release.loaded_at,
                "load_seconds": round(release.load_seconds, 3), "quads": release.quads,
                "store": "disk" if (release.path / STORE_DIR).is_dir() else "memory"}
        return Response(json.dumps(body), content_type="application/json")

    @blueprint.route("/vendor/yasgui/<path:name>")
    def yasgui(name: str) -> Response:
        return send_from_directory(YASGUI_DIR, name)

    return blueprint
