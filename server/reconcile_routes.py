"""The reconciliation service over HTTP (W3C Entity Reconciliation Service API v0.2, the version
OpenRefine speaks): the manifest, batches of queries by GET or POST, suggest for entities, types
and properties, a preview card, and data extension with proposed properties.

Identifiers are the entities' paths below ``/id/`` (``country/india``), so that the manifest's
``identifierSpace`` plus an id is the entity's IRI; type and property ids are the ontology's local
names (``Country``, ``isoAlpha2``), with ``schemaSpace`` the ontology namespace.
"""

from __future__ import annotations

import json
import re
from functools import partial
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from ..ontology.namespaces import BASE, MD
from .reconcile import ALT_LABEL, CONSTRAINABLE, DEFAULT_TYPES, EXTENSION, RDFS_LABEL, fold, on_index
from .sparql_routes import error_response
from .state import ServerState, server_state

MAX_QUERIES = 100
MAX_QUERY_CHARS = 500
_CALLBACK = re.compile(r"[A-Za-z_$][\w$.]{0,63}")


class BadRequest(ValueError):
    """A reconciliation request the service cannot read (answered 400 with the reason)."""


def _json(data: object, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False)
    callback = request.args.get("callback")
    if callback and request.method == "GET" and _CALLBACK.fullmatch(callback):  # JSONP, for old clients
        return Response(
            f"{callback}({body})", status=status, content_type="application/javascript; charset=utf-8"
        )
    return Response(body, status=status, content_type="application/json; charset=utf-8")


MAX_JSON_DEPTH = 32  # the protocol's requests nest 4 or 5 levels deep


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (counted without recursion)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)
    return deepest


def _parse(name: str) -> Any:
    raw = request.values.get(name, "")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BadRequest(f"'{name}' is not JSON: {error}") from None
    except RecursionError:
        raise BadRequest(f"'{name}' nests more than {MAX_JSON_DEPTH} levels deep.") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise BadRequest(f"'{name}' nests more than {MAX_JSON_DEPTH} levels deep.")
    return value


class Reconciler:
    """The service over a worker's state: each answer is computed by an evaluator, from the index
    of the release it holds (under the limits queries run under); URLs come from the site's public
    URL, never the request's Host header."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def ask(self, method: str, *arguments: Any) -> Any:
        return self.state.run(partial(on_index, method=method, arguments=arguments))

    def manifest(self) -> dict[str, object]:
        root = self.state.config.root_url
        service = root.rstrip("/")
        return {
            "versions": ["0.1", "0.2"],
            "name": "Mineral Diplomacy knowledge graph",
            "identifierSpace": f"{BASE}id/",
            "schemaSpace": str(MD),
            "defaultTypes": self.ask("type_list", DEFAULT_TYPES),
            "view": {"url": f"{root}id/{{{{id}}}}"},
            "preview": {"url": f"{root}reconcile/preview?id={{{{id}}}}", "width": 420, "height": 200},
            "suggest": {kind: {"service_url": service, "service_path": f"/reconcile/suggest/{kind}"}
                        for kind in ("entity", "type", "property")},
            "extend": {"propose_properties": {"service_url": service,
                                              "service_path": "/reconcile/propose_properties"},
                       "property_settings": []},
        }

    def batch(self, queries: object) -> dict[str, object]:
        if not isinstance(queries, dict) or not queries:
            raise BadRequest(
                '\'queries\' must be a JSON object of queries keyed by id, such as {"q0": {"query": "KABIL"}}'
            )
        if len(queries) > MAX_QUERIES:
            raise BadRequest(f"At most {MAX_QUERIES} queries in one batch ({len(queries)} were sent)")
        batch = []
        for key, query in queries.items():
            if not isinstance(query, dict) or not isinstance(query.get("query", ""), str):
                raise BadRequest(f"Query '{key}' needs a 'query' string")
            if not query.get("query") and not query.get("properties"):
                raise BadRequest(f"Query '{key}' needs a 'query' string or 'properties'")
            if len(query.get("query", "")) > MAX_QUERY_CHARS:
                raise BadRequest(f"Query '{key}' is longer than {MAX_QUERY_CHARS} characters")
            types = query.get("type")
            types = [types] if isinstance(types, str) else types if isinstance(types, list) else None
            limit = query.get("limit", 5)
            if not isinstance(limit, int) or not 0 < limit <= 100:
                raise BadRequest(f"Query '{key}': 'limit' must be a number from 1 to 100")
            batch.append((query.get("query", ""), [str(t) for t in types] if types else None,
                          _constraints(key, query.get("properties")), limit))
        found = self.ask("results", batch)
        return {key: {"result": result} for key, result in zip(queries, found, strict=True)}

    def extend(self, asked: object) -> dict[str, object]:
        if (not isinstance(asked, dict) or not isinstance(asked.get("ids"), list)
                or not isinstance(asked.get("properties"), list)):
            raise BadRequest("'extend' must be a JSON object with 'ids' and 'properties'")
        if len(asked["ids"]) > 10 * MAX_QUERIES:
            raise BadRequest(f"At most {10 * MAX_QUERIES} ids in one request")
        properties = [str(p.get("id")) for p in asked["properties"] if isinstance(p, dict)]
        extension = self.ask("extension", [str(i) for i in asked["ids"]], properties)
        if unknown := extension.pop("unknown"):
            raise BadRequest(f"Unknown properties: {', '.join(unknown)}; see /reconcile/propose_properties")
        return extension


def _reconciler() -> Reconciler:
    return Reconciler(server_state(current_app))


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# what a preview card shows as codes: what tells two things of one name apart at a glance
CODE_PROPERTIES = {str(MD[p]) for p in ("isoAlpha2", "isoAlpha3", "m49Code", "continentCode", "elementSymbol",
                                         "wikidataId", "rorId", "chebiId")}

reconciliation_routes = Blueprint("reconcile", __name__)


@reconciliation_routes.route("/reconcile", methods=["GET", "POST"])
def service() -> Response:
    reconciler = _reconciler()
    try:
        if "queries" in request.values:
            return _json(reconciler.batch(_parse("queries")))
        if "extend" in request.values:
            return _json(reconciler.extend(_parse("extend")))
        if "query" in request.values:  # a single query, as API v0.1 clients send it
            single = request.values["query"]
            query = _parse("query") if single.lstrip().startswith("{") else {"query": single}
            return _json(reconciler.batch({"q": query})["q"])
    except BadRequest as bad:
        return _json({"error": str(bad)}, 400)
    return _json(reconciler.manifest())


@reconciliation_routes.route("/reconcile/suggest/<kind>")
def suggest(kind: str) -> Response:
    if kind not in ("entity", "type", "property"):
        return _json({"error": f"No suggest service '{kind}': entity, type or property"}, 404)
    return _json({"result": _reconciler().ask("suggestions", kind, request.args.get("prefix", ""))})


@reconciliation_routes.route("/reconcile/propose_properties")
def propose_properties() -> Response:
    type_id = request.args.get("type") or None
    limit = request.args.get("limit", type=int) or len(EXTENSION)
    proposed = _reconciler().ask("proposed_properties", type_id)
    properties = [{"id": p.id, "name": p.name} for p in proposed][:limit]
    return _json({"type": type_id, "properties": properties, "limit": limit})


@reconciliation_routes.route("/reconcile/preview")
def preview() -> Response:
    local = request.args.get("id", "")
    card = _reconciler().ask("preview", local)
    if card is None:
        return error_response(404, f"No entity {local!r} in this graph.")  # plain text: never markup
    entity, description, view = card
    names = [s.value_label for s in view.outgoing if s.property == ALT_LABEL and s.value_label != view.label]
    codes = [s for s in view.outgoing if s.property in CODE_PROPERTIES]
    said = {RDF_TYPE, RDFS_LABEL, ALT_LABEL, *CODE_PROPERTIES}
    facts = [s for s in view.outgoing if s.property not in said and any(c.quote for c in s.citations)]
    page = render_template("reconcile_preview.html", entity=entity, description=description,
                           names=names[:4], codes=codes[:4], facts=facts[:2])
    return Response(page, content_type="text/html; charset=utf-8")


def _constraints(key: str, properties: object) -> list[tuple[str, list[str]]]:
    """A query's property constraints as (property id, folded values)."""
    if properties is None:
        return []
    if not isinstance(properties, list):
        raise BadRequest(f"Query '{key}': 'properties' must be a list of {{pid, v}}")
    constraints = []
    for constraint in properties:
        if not isinstance(constraint, dict) or "pid" not in constraint or "v" not in constraint:
            raise BadRequest(f"Query '{key}': each property constraint needs 'pid' and 'v'")
        if constraint["pid"] not in CONSTRAINABLE:
            raise BadRequest(f"Query '{key}': no property '{constraint['pid']}' to constrain by; "
                             f"use one of {', '.join(sorted(CONSTRAINABLE))}")
        values = constraint["v"] if isinstance(constraint["v"], list) else [constraint["v"]]
        folded = [str(v["id"]) if isinstance(v, dict) and "id" in v else fold(str(v)) for v in values]
        constraints.append((str(constraint["pid"]), folded))
    return constraints
