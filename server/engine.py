"""Answering /sparql from another SPARQL 1.1 engine that holds the release (``serve --engine URL``).

The endpoint keeps what it adds in front of any engine: the protocol, the SERVICE check, the caps,
the answers kept, the admission; the engine only evaluates. The engine is sent a form-encoded POST:
the query with the endpoint's base IRI and default prefixes written before it (on the query's first
line, so its line numbers stay) and the protocol's dataset parameters as they came. It is asked for
SPARQL JSON results or N-Triples, which the endpoint parses and writes in the format the client
chose, with the embedded engine's writers. An answer is passed on only whole: a status other than
200 (Virtuoso's 206 for a partial result among them), another format, a body shorter than its
length, one that does not parse (the oxigraph server writes an error met after its 200 into the
body) or one past the deadline is an error, never cached. Pages, VoID and reconciliation keep
answering from the worker's own copy of the release.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
import time
from email.message import Message
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from ..ontology.namespaces import PREFIXES
from ..release.store import NAMED_QUADS
from .evaluate import Answer, QueryFailed, QueryJob, negotiated, serialised, too_large
from .federation import service_targets
from .lexer import tokens

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
# An engine's answer in its own format (SPARQL JSON, N-Triples) may be this many times the result
# cap: the cap itself applies to the answer as written for the client, as on the embedded engine.
WIRE_FACTOR = 4
ERROR_BYTES = 64 * 1024  # what is read of an answer other than 200 (its start is shown)
# the prefixes a query may use undeclared, as the evaluators are given them
DEFAULT_PREFIXES = "".join(f"PREFIX {p}: <{ns}> " for p, ns in PREFIXES.items())
VIRTUOSO_ASK = "__ASK_RETVAL"  # Virtuoso answers an ASK as a table of one row, this column


def query_form(query: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the query's first such keyword outside strings, IRIs and
    comments (None if it has none: the engine will say what is wrong)."""
    return next((text.upper() for kind, text in tokens(query)
                 if kind == "word" and text.upper() in FORMS), None)


# Virtuoso's SQL functions, as a query can name them: bif:..., sql:..., also behind a type
# (<SQLVAL::bif:...>) or a prefix (PREFIX v: <LONG::bif:>); looked for in the whole text, strings
# and comments included (a reader that splits the text otherwise than Virtuoso cannot be fooled)
ENGINE_FUNCTIONS = re.compile(r"\b(?:bif|sql):", re.IGNORECASE)


def not_sparql(query: str) -> str | None:
    """What in the query is an engine's extension rather than SPARQL 1.1 (Virtuoso's pragmas and
    SQL functions: ``DEFINE``, ``bif:``, ``sql:``), None if nothing: such a query is not sent. The
    functions' names are refused anywhere in the text, even in a string (where they are harmless:
    rephrase the string, for instance with a \\u escape)."""
    if found := ENGINE_FUNCTIONS.search(query):
        return found.group()
    return next((text for kind, text in tokens(query) if kind == "word" and text.upper() == "DEFINE"), None)


def _shut(opened: list[socket.socket]) -> None:
    """End the reads and writes of a connection's socket from another thread (a blocked read
    returns)."""
    for sock in opened:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class EngineUnavailable(QueryFailed):
    """The engine could not answer (unreachable, too late, a partial or malformed answer): 503."""

    def __init__(self, message: str) -> None:
        super().__init__(503, message, retry_after=1)


class RemoteEngine:
    """A SPARQL 1.1 Protocol endpoint (its query URL) that evaluates the endpoint's queries."""

    def __init__(self, url: str, max_bytes: int) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"The engine must be an http(s) URL of a SPARQL endpoint, not {url!r}.")
        self.url = url
        self.max_bytes = max_bytes
        self.holds: int | None = None  # the quads the engine was found to hold, once they matched

    def answer(self, job: QueryJob, deadline: float) -> Answer:
        """The engine's whole answer to ``job`` before ``deadline`` (``time.monotonic``), written in
        the format the client chose, or QueryFailed."""
        if extension := not_sparql(job.query):
            raise QueryFailed(400, f"Malformed query: {extension!r} is not SPARQL 1.1 (an engine's "
                                   "extension); the endpoint does not send it.")
        form = query_form(job.query)
        graph = form in ("CONSTRUCT", "DESCRIBE")
        fmt = negotiated(job, graph)
        wire = ox.RdfFormat.N_TRIPLES if graph else ox.QueryResultsFormat.JSON
        prologue = (f"BASE <{job.base_iri}> " if job.base_iri else "") + DEFAULT_PREFIXES
        dataset = [*(("default-graph-uri", g) for g in job.default_graphs),
                   *(("named-graph-uri", g) for g in job.named_graphs)]
        status, headers, body = self._post(prologue + job.query, dataset, wire.media_type, deadline)
        if status == 400:
            said = body.decode(errors="replace")[:2000]
            raise QueryFailed(400, f"Malformed query (the engine says): {said}")
        media_type = headers.get_content_type() if headers.get("Content-Type") else ""
        if status != 200 or headers.get("X-SQL-State"):  # (Virtuoso's partial answer: 206, or a state)
            raise EngineUnavailable(f"The SPARQL engine answered {status} {headers.get('X-SQL-State', '')}, "
                                    f"not a whole answer ({body.decode(errors='replace')[:300].strip()}); "
                                    "try again.")
        if media_type != wire.media_type:
            raise EngineUnavailable(f"The SPARQL engine answered in {media_type or 'no format'}, "
                                    f"not the {wire.media_type} asked for.")
        try:
            if graph:
                triples = dict.fromkeys(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))  # a graph: each once
                whole = serialised(lambda out: ox.serialize(triples, out, fmt.writer), self.max_bytes)  # type: ignore[arg-type]
            else:
                results = self._results(form, body)
                whole = serialised(lambda out: results.serialize(out, fmt.writer), self.max_bytes)  # type: ignore[arg-type]
        except (SyntaxError, ValueError, OSError) as error:  # the engine's error written after its 200
            raise EngineUnavailable(f"The SPARQL engine's answer was not whole ({error}); "
                                    "it was not sent. Try again.") from None
        return Answer(whole, fmt.media_type, federated=bool(service_targets(job.query)))

    def _results(self, form: str | None, body: bytes) -> ox.QuerySolutions | ox.QueryBoolean:
        """SPARQL JSON results parsed; for an ASK, a boolean: Virtuoso's one-row table (its column
        ``__ASK_RETVAL``, 0 or 1; no row for false) read as the boolean it is, any other table an
        answer that is not whole (ValueError)."""
        results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        if form != "ASK" or isinstance(results, ox.QueryBoolean):
            return results
        values = [str(row[0].value) if row[0] is not None else "" for row in results]
        if [v.value for v in results.variables] != [VIRTUOSO_ASK] or values not in ([], ["0"], ["1"]):
            raise ValueError(f"an ASK answered with a table ({values[:3]})")
        return ox.parse_query_results(f'{{"head": {{}}, "boolean": {str(values == ["1"]).lower()}}}',
                                      format=ox.QueryResultsFormat.JSON)

    def _post(self, query: str, dataset: list[tuple[str, str]], accept: str,
              deadline: float) -> tuple[int, Message, bytes]:
        """POST a query to the engine (as a form, which every engine reads): its status, media type
        headers and whole body, all read before the deadline (a watchdog shuts the connection then,
        whatever the engine is sending). A 200's body may be at most four times
        the result cap in the engine's format (else 422), another status's is read up to 64 KiB; a
        body that ends before its length, or whose end cannot be told (neither a length nor
        chunks), is not whole (503)."""
        parts = urlsplit(self.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname or "", parts.port, timeout=max(deadline - time.monotonic(), 0.001))
        opened: list[socket.socket] = []  # the connection's socket (a response may outlive its sock)
        watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _shut, args=(opened,))
        watchdog.start()
        try:
            connection.connect()
            opened.append(connection.sock)
            if time.monotonic() >= deadline:  # (the watchdog may have fired before it had the socket)
                raise TimeoutError
            connection.sock.settimeout(max(deadline - time.monotonic(), 0.001))
            form = urlencode([("query", query), *dataset])  # Virtuoso 7.2 never answers a direct POST
            connection.request("POST", target, body=form, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
            response = connection.getresponse()
            limit = WIRE_FACTOR * self.max_bytes if response.status == 200 else ERROR_BYTES
            body = bytearray()
            while len(body) <= limit and (chunk := response.read1(65536)):
                body += chunk
            if response.status == 200 and len(body) > limit:
                raise too_large(self.max_bytes)
            if time.monotonic() >= deadline:
                raise TimeoutError
            unended = response.length is None and not response.chunked  # only the close would end it
            if response.status == 200 and (response.length or unended):
                raise EngineUnavailable("The SPARQL engine's answer ended before its end (or gave no way to "
                                        "tell its end); it was not sent. Try again.")
            return response.status, response.headers, bytes(body[:limit])
        except (OSError, http.client.HTTPException) as error:
            if time.monotonic() >= deadline or isinstance(error, TimeoutError):
                raise EngineUnavailable("The SPARQL engine gave no whole answer within the query's time "
                                        "limit.") from None
            raise EngineUnavailable(f"The SPARQL engine could not be reached, or its answer was cut short "
                                    f"({type(error).__name__}: {error}); try again.") from None
        finally:
            watchdog.cancel()
            connection.close()

    def check_holds(self, quads: int, deadline: float) -> None:
        """Until it has been found to, check that the engine holds as many distinct quads in its
        named graphs as the release, ``quads`` (an engine loaded from another release would answer
        for this one)."""
        if self.holds == quads:
            return
        status, _, body = self._post(NAMED_QUADS, [], "text/csv", deadline)
        held = body.decode(errors="replace").splitlines()[1:2]
        if status != 200 or not held or not held[0].strip().isdigit():
            raise EngineUnavailable(f"The SPARQL engine did not say how many quads it holds ({status}).")
        if int(held[0]) != quads:
            raise EngineUnavailable(
                f"The SPARQL engine holds {held[0]} quads in named graphs, the release served here "
                f"{quads}: it holds another release. Load this one into it "
                "('mineral-diplomacy engine oxigraph|virtuoso' does).")
        self.holds = quads

