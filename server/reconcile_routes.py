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
import threading
from functools import partial
from typing import Any

from flask import Blueprint, Response, render_template, request

from ..ontology.namespaces import BASE, MD
from .pages import describe
from .reconcile import DEFAULT_TYPES, EXTENSION, Candidate, ReconciliationIndex, entity_iri, fold, on_index
from .sparql_routes import client_address, error_response
from .state import ServerState

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


def reconciliation_blueprint(state: ServerState) -> Blueprint:
    """The routes under /reconcile, answering from the release ``state`` serves, with URLs from the
    site's public URL (never the request's Host header)."""
    routes = Blueprint("reconcile", __name__)
    holder, root = state.holder, state.config.root_url
    indexes: dict[str, ReconciliationIndex] = {}
    lock = threading.Lock()

    def index() -> ReconciliationIndex:
        release = holder.get()
        with lock:
            if release.name not in indexes:
                indexes.clear()
                indexes[release.name] = ReconciliationIndex(release.store)
            return indexes[release.name]

    def ask(method: str, *arguments: Any) -> Any:
        """The index's answer, computed by an evaluator (time limit, per-client share)."""
        return state.run(partial(on_index, method=method, arguments=arguments), client_address())

    def type_list(names: set[str]) -> list[dict[str, str]]:
        known = index().type_names
        return [{"id": t, "name": known[t]} for t in sorted(names) if t in known]

    def result(candidate: Candidate) -> dict[str, object]:
        entity = candidate.entity
        return {
            "id": entity.id,
            "name": entity.label,
            "type": type_list(entity.types),
            "score": candidate.score,
            "match": candidate.match,
        }

    def manifest() -> dict[str, object]:
        service = root.rstrip("/")
        return {
            "versions": ["0.1", "0.2"],
            "name": "Mineral Diplomacy knowledge graph",
            "identifierSpace": f"{BASE}id/",
            "schemaSpace": str(MD),
            "defaultTypes": type_list(set(DEFAULT_TYPES)),
            "view": {"url": f"{root}id/{{{{id}}}}"},
            "preview": {"url": f"{root}reconcile/preview?id={{{{id}}}}", "width": 420, "height": 200},
            "suggest": {
                kind: {"service_url": service, "service_path": f"/reconcile/suggest/{kind}"}
                for kind in ("entity", "type", "property")
            },
            "extend": {
                "propose_properties": {
                    "service_url": service,
                    "service_path": "/reconcile/propose_properties",
                },
                "property_settings": [],
            },
        }

    def reconcile_batch(queries: object) -> dict[str, object]:
        if not isinstance(queries, dict) or not queries:
            raise BadRequest(
                '\'queries\' must be a JSON object of queries keyed by id, such as {"q0": {"query": "KABIL"}}'
            )
        if len(queries) > MAX_QUERIES:
            raise BadRequest(f"At most {MAX_QUERIES} queries in one batch ({len(queries)} were sent)")
        batch = []
        for key, query in queries.items():
            if not isinstance(query, dict) or not isinstance(query.get("query"), str):
                raise BadRequest(f"Query '{key}' needs a 'query' string")
            if len(query["query"]) > MAX_QUERY_CHARS:
                raise BadRequest(f"Query '{key}' is longer than {MAX_QUERY_CHARS} characters")
            types = query.get("type")
            types = [types] if isinstance(types, str) else types if isinstance(types, list) else None
            limit = query.get("limit", 5)
            if not isinstance(limit, int) or not 0 < limit <= 100:
                raise BadRequest(f"Query '{key}': 'limit' must be a number from 1 to 100")
            batch.append((query["query"], [str(t) for t in types] if types else None,
                          _constraints(key, query.get("properties")), limit))
        found = ask("reconcile_each", batch)
        return {key: {"result": [result(c) for c in candidates]}
                for key, candidates in zip(queries, found, strict=True)}

    def extend(request_body: object) -> dict[str, object]:
        if (
            not isinstance(request_body, dict)
            or not isinstance(request_body.get("ids"), list)
            or not isinstance(request_body.get("properties"), list)
        ):
            raise BadRequest("'extend' must be a JSON object with 'ids' and 'properties'")
        if len(request_body["ids"]) > 10 * MAX_QUERIES:
            raise BadRequest(f"At most {10 * MAX_QUERIES} ids in one request")
        asked = [p.get("id") for p in request_body["properties"] if isinstance(p, dict)]
        wanted, rows = ask("extend", [str(i) for i in request_body["ids"]], [str(p) for p in asked])
        unknown = sorted(set(map(str, asked)) - {p.id for p in wanted})
        if unknown:
            raise BadRequest(f"Unknown properties: {', '.join(unknown)}; see /reconcile/propose_properties")
        meta: list[dict[str, object]] = []
        for prop in wanted:
            entry: dict[str, object] = {"id": prop.id, "name": prop.name}
            if prop.kind:
                entry["type"] = {"id": prop.kind, "name": index().type_names.get(prop.kind, prop.kind)}
            meta.append(entry)
        return {"meta": meta, "rows": rows}

    @routes.route("/reconcile", methods=["GET", "POST"])
    def service() -> Response:
        try:
            if "queries" in request.values:
                return _json(reconcile_batch(_parse("queries")))
            if "extend" in request.values:
                return _json(extend(_parse("extend")))
            if "query" in request.values:  # a single query, as API v0.1 clients send it
                single = request.values["query"]
                query = _parse("query") if single.lstrip().startswith("{") else {"query": single}
                return _json(reconcile_batch({"q": query})["q"])
        except BadRequest as bad:
            return _json({"error": str(bad)}, 400)
        return _json(manifest())

    @routes.route("/reconcile/suggest/<kind>")
    def suggest(kind: str) -> Response:
        prefix = request.args.get("prefix", "")
        if kind == "entity":
            found = [
                {"id": e.id, "name": e.label, "description": ", ".join(t["name"] for t in type_list(e.types))}
                for e in ask("suggest", prefix)
            ]
        elif kind == "type":
            folded = prefix.casefold()
            found = [
                {"id": t, "name": n}
                for t, n in index().type_names.items()
                if folded in n.casefold() or folded in t.casefold()
            ]
        elif kind == "property":
            folded = prefix.casefold()
            found = [
                {"id": p.id, "name": p.name}
                for p in EXTENSION
                if folded in p.name.casefold() or folded in p.id.casefold()
            ]
        else:
            return _json({"error": f"No suggest service '{kind}': entity, type or property"}, 404)
        return _json({"result": found})

    @routes.route("/reconcile/propose_properties")
    def propose_properties() -> Response:
        type_id = request.args.get("type") or None
        limit = request.args.get("limit", type=int) or len(EXTENSION)
        properties = [{"id": p.id, "name": p.name} for p in ask("proposed_properties", type_id)][:limit]
        return _json({"type": type_id, "properties": properties, "limit": limit})

    @routes.route("/reconcile/preview")
    def preview() -> Response:
        local = request.args.get("id", "")
        entity = index().entities.get(local)
        view = state.run(partial(describe, iri=entity_iri(local)), client_address()) if entity else None
        if entity is None or view is None:
            return error_response(404, f"No entity {local!r} in this graph.")  # plain text: never markup
        said = {
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
            "http://www.w3.org/2000/01/rdf-schema#label",
        }
        facts = [s for s in view.outgoing if s.property not in said and any(c.quote for c in s.citations)]
        facts = facts[:2]
        return Response(
            render_template(
                "reconcile_preview.html", entity=entity, view=view, facts=facts, types=type_list(entity.types)
            ),
            content_type="text/html; charset=utf-8",
        )

    return routes


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
        values = constraint["v"] if isinstance(constraint["v"], list) else [constraint["v"]]
        folded = [str(v["id"]) if isinstance(v, dict) and "id" in v else fold(str(v)) for v in values]
        constraints.append((str(constraint["pid"]), folded))
    return constraints
