"""Answering /sparql from another SPARQL 1.1 engine that holds the release (``serve --engine URL``).

The endpoint keeps what it adds in front of any engine: the protocol, the SERVICE check, the caps,
the answers kept, the admission; the engine only evaluates. The engine is sent the query with the
endpoint's base IRI and default prefixes written before it (on the query's first line, so its line
numbers stay), the protocol's dataset parameters as they came, and the one format the client's
Accept header chose. An answer is passed on only whole: a status other than 200 (Virtuoso's 206 for
a partial result among them), another format, an answer cut short (an error after the engine's 200
had started) or one past the deadline is an error, never cached. Pages, VoID and reconciliation
keep answering from the worker's own copy of the release.
"""

from __future__ import annotations

import http.client
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from ..ontology.namespaces import PREFIXES
from .evaluate import Answer, QueryFailed, QueryJob, negotiated, serialised, too_large
from .federation import service_targets
from .lexer import tokens

ENGINES_DIR = "engines"  # in the build folder: each engine's stores, one per release
FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def query_form(query: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the query's first such keyword outside strings, IRIs and
    comments (None if it has none: the engine will say what is wrong)."""
    return next((text.upper() for kind, text in tokens(query)
                 if kind == "word" and text.upper() in FORMS), None)


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

    def answer(self, job: QueryJob, timeout: float) -> Answer:
        """The engine's whole answer to ``job`` within ``timeout`` seconds, or QueryFailed. The
        engine is asked for SPARQL JSON results or N-Triples; the answer is read whole (a partial
        one does not parse) and written in the format the client chose."""
        graph = query_form(job.query) in ("CONSTRUCT", "DESCRIBE")
        fmt = negotiated(job, graph)
        wire = ox.RdfFormat.N_TRIPLES if graph else ox.QueryResultsFormat.JSON
        prologue = "".join([f"BASE <{job.base_iri}> " if job.base_iri else "",
                            *(f"PREFIX {p}: <{ns}> " for p, ns in PREFIXES.items())])
        fields = [("query", prologue + job.query), *(("default-graph-uri", g) for g in job.default_graphs),
                  *(("named-graph-uri", g) for g in job.named_graphs)]
        status, media_type, body = self._post(urlencode(fields), wire.media_type, timeout)
        if status == 400:
            said = body.decode(errors="replace")[:2000]
            raise QueryFailed(400, f"Malformed query (the engine says): {said}")
        if status != 200:
            raise EngineUnavailable(f"The SPARQL engine answered {status}, not a whole answer "
                                    f"({body.decode(errors='replace')[:300].strip()}); try again.")
        if media_type != wire.media_type:
            raise EngineUnavailable(f"The SPARQL engine answered in {media_type or 'no format'}, "
                                    f"not the {wire.media_type} asked for.")
        try:
            if graph:
                triples = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
                whole = serialised(lambda out: ox.serialize(triples, out, fmt.writer), self.max_bytes)  # type: ignore[arg-type]
            else:
                results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
                whole = serialised(lambda out: results.serialize(out, fmt.writer), self.max_bytes)  # type: ignore[arg-type]
        except (SyntaxError, ValueError, OSError) as error:  # the engine's error written after its 200
            raise EngineUnavailable(f"The SPARQL engine's answer was not whole ({error}); "
                                    "it was not sent. Try again.") from None
        return Answer(whole, fmt.media_type, federated=bool(service_targets(job.query)))

    def _post(self, form: str, accept: str, timeout: float) -> tuple[int, str, bytes]:
        """POST a form to the engine: its status, media type and whole body (at most
        ``max_bytes``, else 422), read before the deadline."""
        parts = urlsplit(self.url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname or "", parts.port, timeout=timeout)
        deadline = time.monotonic() + timeout
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", path or "/", body=form, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
            response = connection.getresponse()
            body = bytearray()
            while chunk := response.read1(65536):
                body += chunk
                if len(body) > self.max_bytes and response.status == 200:
                    raise too_large(self.max_bytes)
                if (remaining := deadline - time.monotonic()) <= 0:
                    raise TimeoutError
                if connection.sock is not None:
                    connection.sock.settimeout(remaining)
            return response.status, response.headers.get_content_type() if response.headers.get(
                "Content-Type") else "", bytes(body)
        except TimeoutError:
            raise EngineUnavailable(f"The SPARQL engine gave no whole answer within the time limit "
                                    f"({timeout:g} s).") from None
        except (OSError, http.client.HTTPException) as error:
            raise EngineUnavailable(f"The SPARQL engine could not be reached, or its answer was cut short "
                                    f"({type(error).__name__}: {error}); try again.") from None
        finally:
            connection.close()

    def check_holds(self, quads: int, timeout: float) -> None:
        """Until it has been found to, check that the engine holds as many quads in its named graphs
        as the release (an engine loaded from another release would answer for this one)."""
        if self.holds == quads:
            return
        status, _, body = self._post(urlencode([("query", QUADS)]), "text/csv", timeout)
        held = body.decode(errors="replace").splitlines()[1:2]
        if status != 200 or not held or not held[0].strip().isdigit():
            raise EngineUnavailable(f"The SPARQL engine did not say how many quads it holds ({status}).")
        if int(held[0]) != quads:
            raise EngineUnavailable(
                f"The SPARQL engine holds {held[0]} quads in named graphs, the release served here "
                f"{quads}: it holds another release. Load this one into it "
                "('mineral-diplomacy engine oxigraph' does for the oxigraph server).")
        self.holds = quads


def oxigraph_command(build_dir: Path, port: int, timeout: float) -> list[str] | None:
    """The command that runs the oxigraph server (the ``oxigraph`` package's, from PyPI) read-only on
    the store of the release ``build_dir/current`` (``build_dir/engines/oxigraph/<release>``), on
    127.0.0.1, with its own time limit; None when the server is not installed. Its default graph is
    the store's, the merge of the named graphs as a set, as on the embedded engine (not its
    ``--union-default-graph``, which counts a triple once per graph holding it)."""
    found = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(found).is_file():
        return None
    location = build_dir / ENGINES_DIR / "oxigraph" / (build_dir / "current").resolve().name
    return [found, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}",
            "--timeout-s", f"{max(1, round(timeout))}"]
