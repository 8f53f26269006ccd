"""Benchmark the SPARQL endpoint against its baselines, all measured in the same run.

For graphs of the project's own shape scaled to about 10K, 100K and 1M triples (copies of the
built dataset with renamed entities), it measures:

* load: time from starting the endpoint to its first answer, and its memory (PSS of all processes);
* latency (median of repeated runs, after warm-up runs) of representative queries and of the
  questions in queries/ through three paths of the endpoint: the plain application (its answer
  caches turned off, so every query is evaluated), the cached path (the query repeated: answered
  by the in-process answer cache) and the production recipe (server/nginx.conf: nginx caching
  in front of the endpoint); and, as baselines, on the bare pyoxigraph store in-process, on
  rdflib's own SPARQL engine, and through the ``oxigraph`` server (Rust, from PyPI);
* throughput and latency of a simple lookup with 8 concurrent connections (wrk) against the three
  paths and the oxigraph server.
* where the plain application's time goes for that lookup: gunicorn with a trivial application,
  and with a trivial Flask application; the evaluator path; the evaluation in one process;
* the endpoint in front of the oxigraph server as the project runs it as an engine (its own
  on-disk store), against that server queried directly: latency, throughput, load time.

Ratios are given against the oxigraph server. Run: ``.venv/bin/python benchmarks/run.py``
(needs ``pip install -e '.[bench]'`` for the oxigraph server, and Debian's ``wrk`` and ``nginx``).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import multiprocessing
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from functools import partial
from pathlib import Path

import pyoxigraph as ox
import rdflib
from flask import Flask

from mineral_diplomacy.graph import BUILD_DIR
from mineral_diplomacy.ontology.namespaces import BASE, PREFIXES
from mineral_diplomacy.queries.catalogue import load_questions
from mineral_diplomacy.release.engines import free_port
from mineral_diplomacy.release.layout import publish
from mineral_diplomacy.release.pipeline import run_build
from mineral_diplomacy.release.store import fill, prepare_store
from mineral_diplomacy.server.evaluate import QueryJob, run_query
from mineral_diplomacy.server.evaluators import EvaluatorPool
from mineral_diplomacy.server.front import nginx_config
from mineral_diplomacy.server.store import load_release

PREFIX_HEADER = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
KABIL = f"<{BASE}id/organization/kabil>"
QUERIES = {
    "entity lookup": f"SELECT ?p ?o WHERE {{ {KABIL} ?p ?o }}",
    "label search": 'SELECT ?s ?label WHERE { ?s rdfs:label ?label '
                    'FILTER(CONTAINS(LCASE(STR(?label)), "lithium")) }',
    "join": "SELECT ?agreement ?partyName ?mineralName WHERE { ?agreement md:party ?party ; "
            "md:mineral ?mineral . ?party rdfs:label ?partyName . ?mineral rdfs:label ?mineralName }",
    "aggregation": "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)",
    "property path": "SELECT ?place ?region WHERE { ?place md:locatedIn+ ?region . "
                     "?region a md:Region }",
    "construct": "CONSTRUCT { ?agreement md:party ?party } WHERE { ?agreement md:party ?party }",
}
ONTOLOGY_GRAPH = f"<{BASE}graph/ontology>"


def synthetic_nquads(original: bytes, copies: int) -> bytes:
    """The dataset repeated ``copies`` times, each copy's entities and records renamed."""
    lines = original.decode().splitlines()
    out = list(lines)
    for copy in range(1, copies):
        for line in lines:
            if line.endswith(f"{ONTOLOGY_GRAPH} ."):
                continue
            out.append(line.replace(f"{BASE}id/", f"{BASE}id/c{copy}/")
                       .replace(f"{BASE}record/", f"{BASE}record/c{copy}/"))
    return ("\n".join(out) + "\n").encode()


def wait_until_up(url: str, process: subprocess.Popen, limit: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return time.monotonic() - started
        except (OSError, urllib.error.URLError):
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def _descendants(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [pid] + [d for child in found for d in _descendants(child)]


def pss_megabytes(pid: int) -> float:
    """Proportional set size of a process and all its descendants (shared pages counted once):
    the server, its workers and their query evaluators."""
    pids = _descendants(pid)
    total = 0
    for each in pids:
        rollup = Path(f"/proc/{each}/smaps_rollup")
        if rollup.exists():
            match = re.search(r"^Pss:\s+(\d+) kB", rollup.read_text(), re.MULTILINE)
            total += int(match.group(1)) if match else 0
    return total / 1024


def wait_until_settled(pid: int, limit: float = 10) -> None:
    """Wait until the process tree of ``pid`` has not changed for a second (the first answer comes
    from the first worker; the others, and their evaluators, may still be starting)."""
    deadline, count, stable_since = time.monotonic() + limit, 0, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - stable_since < 1:
        now = len(_descendants(pid))
        if now != count:
            count, stable_since = now, time.monotonic()
        time.sleep(0.05)


class Client:
    """A SPARQL client on one kept-alive HTTP connection, as SPARQL client libraries use."""

    def __init__(self, endpoint: str) -> None:
        parts = urllib.parse.urlsplit(endpoint)
        self.path = parts.path
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                                     timeout=QUERY_LIMIT_SECONDS + 30)

    def query(self, query: str, accept: str) -> float:
        """Seconds for one GET query, the full answer read (reconnecting if the server closed
        the idle connection)."""
        target = self.path + "?" + urllib.parse.urlencode({"query": query})
        started = time.perf_counter()
        try:
            self.connection.request("GET", target, headers={"Accept": accept})
            response = self.connection.getresponse()
        except TimeoutError:
            self.connection.close()
            raise QueryError("no answer within the client's time limit") from None
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()
            started = time.perf_counter()
            self.connection.request("GET", target, headers={"Accept": accept})
            response = self.connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise QueryError(f"HTTP {response.status}: {body[:300].decode(errors='replace')}")
        return time.perf_counter() - started


# The endpoint's query time limit in the benchmark (a query stopped there is reported as an error).
QUERY_LIMIT_SECONDS = 60


class QueryError(RuntimeError):
    """A server answered a query with an error."""


def median_or_error(name: str, run, repeat: int, budget: float) -> float:
    """``median_seconds``, or NaN (reported as "error", with the message printed) when the
    server refuses the query or cannot be reached."""
    try:
        return median_seconds(run, repeat, budget)
    except (QueryError, OSError, http.client.HTTPException) as error:  # (OSError: not reachable)
        print(f"  {name}: {error}", flush=True)
        return float("nan")


# Before each measurement, unmeasured runs warm up what the first runs would pay for (connections,
# CPU caches, the interpreter's specialised code); then a fast query is run until enough time is
# measured for a steady median. The same for every engine.
WARMUP_RUNS, WARMUP_SECONDS = 5, 0.3
MIN_MEASURED_SECONDS, MAX_RUNS = 0.3, 500


def median_seconds(run, repeat: int, budget: float, warm_up: bool = True) -> float:
    """Median of at least ``repeat`` runs (more for a fast query, until 0.3 s are measured; fewer
    for a slow one: they stop once ``budget`` seconds are spent), after up to five unmeasured
    warm-up runs (0.3 s at most)."""
    started = time.monotonic()
    for _ in range(WARMUP_RUNS if warm_up else 0):
        run()
        if time.monotonic() - started > WARMUP_SECONDS:
            break
    times: list[float] = []
    started = time.monotonic()
    while len(times) < MAX_RUNS:
        times.append(run())
        spent = time.monotonic() - started
        if spent > budget or (len(times) >= repeat and spent >= MIN_MEASURED_SECONDS):
            break
    return statistics.median(times)


def accept_for(query: str) -> str:
    return "text/turtle" if query.lstrip().upper().startswith("CONSTRUCT") or " CONSTRUCT " in query \
        else "application/sparql-results+json"


def _wrk_seconds(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def wrk(url: str, seconds: int) -> dict[str, float] | None:
    """Requests per second, and the median and 99th-percentile latency in seconds, with 8
    connections on 2 threads (None without wrk, or when a request failed)."""
    if shutil.which("wrk") is None:
        return None
    # an unmeasured second first, with the same requests: caches (a proxy's too) hold the answer
    subprocess.run(["wrk", "-t2", "-c8", "-d1s", url], capture_output=True, timeout=60)
    result = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", url], capture_output=True,
                            text=True, timeout=seconds + 30)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)$", result.stdout, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)$", result.stdout, re.MULTILINE)
    if not (rate and p50 and p99) or "Non-2xx" in result.stdout:
        return None
    return {"rps": float(rate.group(1)), "p50_s": _wrk_seconds(*p50.groups()),
            "p99_s": _wrk_seconds(*p99.groups())}


def start_endpoint(build: Path, cache_bytes: int | None = None,
                   engine: str = "") -> tuple[subprocess.Popen, str, float]:
    """The endpoint (gunicorn + Flask, without its nginx front); with ``cache_bytes=0``, the plain
    application (no answer cache); with ``engine``, in front of that SPARQL engine. The process,
    its SPARQL URL and its start-up time."""
    port = free_port()
    env = {**os.environ, "MINERAL_DIPLOMACY_PORT": str(port),
           "MINERAL_DIPLOMACY_MAX_TIMEOUT": str(QUERY_LIMIT_SECONDS),
           "MINERAL_DIPLOMACY_TIMEOUT": str(QUERY_LIMIT_SECONDS), "MINERAL_DIPLOMACY_ENGINE": engine}
    if cache_bytes is not None:
        env["MINERAL_DIPLOMACY_CACHE_BYTES"] = str(cache_bytes)
    process = subprocess.Popen(
        [sys.executable, "-m", "mineral_diplomacy.cli", "serve", "--out", str(build),
         "--front", "none"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = wait_until_up(f"http://127.0.0.1:{port}/health", process)
    wait_until_settled(process.pid)
    return process, f"http://127.0.0.1:{port}/sparql", seconds


def start_engine(build: Path, name: str, port: int = 0) -> tuple[subprocess.Popen, str, float]:
    """The engine ``name`` (oxigraph, virtuoso) as the project runs it (``mineral-diplomacy engine
    NAME``: the release loaded into its own store, served read-only), without its own time limit
    (with one, oxigraph 0.5.13 keeps a thread per query for that long, and a throughput run
    exhausts them): the process, its query URL and the seconds from the command to its first
    answer (the load included)."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mineral_diplomacy.cli", "engine", name, "--out", str(build),
         "--port", str(port), "--timeout", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/{'query' if name == 'oxigraph' else 'sparql'}"
    return process, url, wait_until_up(f"{url}?query=ASK%7B%7D", process)


def start_recipe(upstream: str) -> tuple[subprocess.Popen, str, Path]:
    """nginx with the production recipe in front of ``upstream`` (host:port): process, SPARQL URL
    and its folder (pid, logs, cache), to be removed after."""
    folder = Path(tempfile.mkdtemp(prefix="nginx-recipe-"))
    folder.chmod(0o755)  # started as root, nginx's workers run as an unprivileged user
    port = free_port()
    # the load comes from one address: the per-client share is lifted
    recipe = nginx_config(folder, f"127.0.0.1:{port}", upstream, client_requests=1000)
    (folder / "nginx.conf").write_text(recipe)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_up(f"http://127.0.0.1:{port}/health", process)
    return process, f"http://127.0.0.1:{port}/sparql", folder


def trivial_app(environ: dict, start_response) -> list[bytes]:
    """A WSGI application that answers every request at once: what the HTTP server alone costs."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


trivial_flask = Flask(__name__)  # the same through Flask: what the HTTP server and Flask cost
trivial_flask.add_url_rule("/sparql", view_func=lambda: "ok")


def time_parts(release: Path, store: ox.Store, query: str, accept: str, plain_s: float,
               args: argparse.Namespace) -> dict[str, float]:
    """Where the plain application's time goes for one query, each part measured on its own in
    this run: gunicorn (as ``serve`` runs it: gthread workers, 16 threads) answering at once with
    a trivial application, then with a trivial Flask application; the evaluator path (the same job
    sent to an evaluator process and its answer read back, in this process); the evaluation alone
    (the same job run in this process: parse, run, choose the format, serialise); and what is left
    for the protocol, the caps and the headers."""
    floors = {}
    for app in ("trivial_app", "trivial_flask"):
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "16", "-w", "2", "--reuse-port",
             "-b", f"127.0.0.1:{port}", "--chdir", str(Path(__file__).parent), f"run:{app}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}/sparql"
            wait_until_up(url, server)
            client = Client(url)
            floors[app] = median_seconds(lambda c=client: c.query(query, accept), args.repeat, args.budget)
        finally:
            stop(server)
    pool = EvaluatorPool(load_release(release), 1)
    job = QueryJob(query, (), (), accept, (), "http://127.0.0.1/sparql")
    try:
        evaluator_s = median_seconds(lambda: _timed(pool.run, partial(
            run_query, job=job, prefixes=PREFIXES, max_bytes=1 << 30), 60, 1), args.repeat, args.budget)
    finally:
        pool.close()
    evaluation_s = median_seconds(lambda: _timed(run_query, store, job, PREFIXES, 1 << 30),
                                  args.repeat, args.budget)
    return {"plain_s": plain_s, "http_server_s": floors["trivial_app"], "flask_s": floors["trivial_flask"],
            "evaluator_path_s": evaluator_s, "evaluation_s": evaluation_s,
            "app_s": plain_s - floors["trivial_flask"] - evaluator_s}


def _timed(function, *arguments) -> float:
    started = time.perf_counter()
    function(*arguments)
    return time.perf_counter() - started


def bench_size(label: str, data: bytes, args: argparse.Namespace, questions: dict[str, str]) -> dict:
    quads = data.count(b"\n")
    print(f"\n== {label}: {quads} quads ==", flush=True)
    result: dict = {"quads": quads, "latency": {}}
    all_queries = {name: query for name, query in {**QUERIES, **questions}.items()
                   if not args.only or re.search(args.only, name)}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as running:  # (stops what started)
        build = Path(tmp) / "build"
        started = time.perf_counter()
        publish({"dataset.nq": data}, build, prepare=prepare_store)
        result["publish_s"] = time.perf_counter() - started
        result["store"] = "disk" if (build / "current" / "store").is_dir() else "memory"
        nq = build / "current" / "dataset.nq"

        # bare pyoxigraph store, in this process
        started = time.perf_counter()
        store = ox.Store()
        fill(store, build / "current")  # the quads, and the default graph the endpoint queries
        result["pyoxigraph_load_s"] = time.perf_counter() - started

        def bare(query: str) -> float:
            t = time.perf_counter()
            answer = store.query(query, prefixes=PREFIXES)
            answer.serialize(format=ox.RdfFormat.TURTLE if isinstance(answer, ox.QueryTriples)
                             else ox.QueryResultsFormat.JSON)
            return time.perf_counter() - t

        # the endpoint as the README starts it; the plain application; the recipe in front
        endpoint_process, endpoint, result["endpoint_start_s"] = start_endpoint(build)
        running.callback(stop, endpoint_process)
        result["endpoint_pss_mb"] = pss_megabytes(endpoint_process.pid)
        plain_process, plain, _ = start_endpoint(build, cache_bytes=0)
        running.callback(stop, plain_process)
        recipe_process, recipe, recipe_folder = start_recipe(urllib.parse.urlsplit(endpoint).netloc)
        running.callback(shutil.rmtree, recipe_folder, ignore_errors=True)
        running.callback(stop, recipe_process)

        # the oxigraph server (Rust), in memory, loaded over HTTP
        oxi_port = free_port()
        oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
        oxi_process = subprocess.Popen(
            [oxigraph, "serve", "--bind", f"127.0.0.1:{oxi_port}", "--union-default-graph"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        running.callback(stop, oxi_process)
        oxi = f"http://127.0.0.1:{oxi_port}"
        wait_until_up(f"{oxi}/query?query=ASK%7B%7D", oxi_process)
        started = time.perf_counter()
        urllib.request.urlopen(urllib.request.Request(
            f"{oxi}/store", data=nq.read_bytes(), headers={"Content-Type": "application/n-quads"},
            method="POST"), timeout=600).read()
        result["oxigraph_load_s"] = time.perf_counter() - started
        result["oxigraph_pss_mb"] = pss_megabytes(oxi_process.pid)

        # rdflib's own engine (slow: only up to --rdflib-max quads)
        rdflib_dataset = None
        if result["quads"] <= args.rdflib_max:
            started = time.perf_counter()
            rdflib_dataset = rdflib.Dataset(default_union=True)
            rdflib_dataset.parse(data=data, format="nquads")
            result["rdflib_load_s"] = time.perf_counter() - started

        paths = {"plain": Client(plain), "cached": Client(endpoint), "recipe": Client(recipe)}
        theirs = Client(f"{oxi}/query")
        try:
            for name, body in all_queries.items():
                query = PREFIX_HEADER + body
                accept = accept_for(body)
                row: dict[str, float | None] = {}
                for path, client in [*paths.items(), ("oxigraph_server", theirs)]:  # warm-up fills caches
                    row[path] = median_or_error(path, lambda q=query, a=accept, c=client: c.query(q, a),
                                                args.repeat, args.budget)
                row["pyoxigraph"] = median_seconds(lambda q=query: bare(q), args.repeat, args.budget)
                row["rdflib"] = median_seconds(
                    lambda q=query: _rdflib_run(rdflib_dataset, q, args.budget), 3,
                    args.budget, warm_up=False) if rdflib_dataset is not None else None
                result["latency"][name] = row
                print(_latency_line(name, row), flush=True)
            if "entity lookup" in result["latency"]:
                lookup, row = QUERIES["entity lookup"], result["latency"]["entity lookup"]
                result["parts"] = {**time_parts(build / "current", store, PREFIX_HEADER + lookup,
                                                accept_for(lookup), row["plain"], args),
                                   "overhead_s": row["plain"] - row["pyoxigraph"]}
                print(f"where the plain app's time goes (entity lookup): {result['parts']}", flush=True)
            lookup = "?" + urllib.parse.urlencode({"query": PREFIX_HEADER + QUERIES["entity lookup"]})
            result["throughput"] = {path: wrk(url + lookup, args.wrk_seconds) for path, url in
                                    [("plain", plain), ("cached", endpoint), ("recipe", recipe),
                                     ("oxigraph_server", f"{oxi}/query")]}
            result["endpoint_pss_after_mb"] = pss_megabytes(endpoint_process.pid)
            print(f"throughput (8 connections, entity lookup): {result['throughput']}", flush=True)
        finally:
            running.close()  # (before the engines are measured)
        result["engines"] = bench_engine(build, all_queries, args)
    return result


def bench_engine(build: Path, queries: dict[str, str], args: argparse.Namespace) -> dict:
    """The endpoint in front of each engine (the oxigraph server; Virtuoso where installed), answer
    caches off, against that engine queried directly, same run: median latency of each query, the
    entity lookup's throughput, and the engine's load time."""
    figures: dict = {}
    for name in ("oxigraph", "virtuoso") if shutil.which("virtuoso-t") else ("oxigraph",):
        with contextlib.ExitStack() as running:  # (stops what started, whatever fails)
            engine_process, engine, load_s = start_engine(build, name)
            running.callback(stop, engine_process)
            front_process, front, _ = start_endpoint(build, cache_bytes=0, engine=engine)
            running.callback(stop, front_process)
            figures[name] = {"load_s": load_s, "latency": {}}
            clients = {"front": Client(front), "direct": Client(engine)}
            for query_name, body in queries.items():
                query, accept = PREFIX_HEADER + body, accept_for(body)
                row = {path: median_or_error(path, lambda q=query, a=accept, c=client: c.query(q, a),
                                             args.repeat, args.budget) for path, client in clients.items()}
                figures[name]["latency"][query_name] = row
                print(f"  {query_name:<40} front over {name}={row['front'] * 1000:.2f}ms "
                      f"{name} directly={row['direct'] * 1000:.2f}ms", flush=True)
                if engine_process.poll() is not None:  # (Virtuoso stops on one question: docs/serving.md)
                    figures[name].setdefault("stopped_on", []).append(query_name)
                    print(f"  {name} stopped on {query_name}; started again", flush=True)
                    port = urllib.parse.urlsplit(engine).port or 0
                    engine_process, _, _ = start_engine(build, name, port)
                    running.callback(stop, engine_process)
                    clients["direct"] = Client(engine)
            lookup = "?" + urllib.parse.urlencode({"query": PREFIX_HEADER + QUERIES["entity lookup"]})
            figures[name]["throughput"] = {path: wrk(url + lookup, args.wrk_seconds)
                                           for path, url in [("front", front), ("direct", engine)]}
    return figures


def _rdflib_run(dataset: rdflib.Dataset, query: str, limit: float) -> float:
    """One run on rdflib's engine, in a forked child so that a run past ``limit`` s can be stopped
    (reported as "> limit"); NaN when rdflib fails on the query (reported as "error")."""
    def child(queue: multiprocessing.Queue) -> None:
        started = time.perf_counter()
        result = dataset.query(query)
        result.serialize(format="turtle" if result.type == "CONSTRUCT" else "json")
        queue.put(time.perf_counter() - started)

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    process.join(limit)
    if process.is_alive():
        process.kill()
        process.join()
        return float("inf")
    if process.exitcode != 0 or queue.empty():
        return float("nan")  # rdflib's engine failed on this query
    return float(queue.get())


def _latency_line(name: str, row: dict[str, float | None]) -> str:
    parts = [f"{k}={v * 1000:.1f}ms" for k, v in row.items() if v is not None]
    return f"  {name:<40} " + " ".join(parts)


def machine() -> dict[str, str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(line.split(":", 1)[1].strip() for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": memory,
            "python": platform.python_version(), "pyoxigraph": ox.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="target triple counts")
    parser.add_argument("--repeat", type=int, default=15, help="runs per query and engine")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per query and engine")
    parser.add_argument("--rdflib-max", type=int, default=150_000, help="largest graph rdflib loads")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--only", help="measure only the queries whose name matches this regular expression")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--tables-from", type=Path, metavar="JSON",
                        help="measure nothing: print the tables of figures saved with --json")
    args = parser.parse_args()
    if args.tables_from:
        print(summary(json.loads(args.tables_from.read_text())))
        return

    release = BUILD_DIR / "current"
    if not release.exists():
        run_build()
    original = (release / "dataset.nq").read_bytes()
    base_quads = original.count(b"\n")
    ontology_quads = sum(1 for line in original.decode().splitlines() if line.endswith(f"{ONTOLOGY_GRAPH} ."))
    questions = {f"question: {q.id}": q.sparql for q in load_questions() if not q.needs_network}
    report = {"machine": machine(), "budget_s": args.budget, "sizes": {}}
    print(json.dumps(report["machine"]))
    for target in (int(s) for s in args.sizes.split(",")):
        copies = max(1, round((target - ontology_quads) / (base_quads - ontology_quads)))
        report["sizes"][str(target)] = bench_size(f"~{target} triples", synthetic_nquads(original, copies),
                                                  args, questions)
        if args.json:  # after each size: a later failure loses nothing measured
            args.json.write_text(json.dumps(report, indent=1))
    print("\n" + summary(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


PATHS = {"plain": "plain app", "cached": "cached path", "recipe": "nginx recipe"}


def _ms(value: float | None, budget_ms: float) -> str:
    if value is None:
        return "—"
    if math.isnan(value):
        return "error"
    if value == float("inf"):
        return f"> {budget_ms:.0f}"
    return f"{value * 1000:.2f}" if value < 0.01 else f"{value * 1000:.1f}"


def _ratio(value: float, baseline: float) -> str:
    return "—" if math.isnan(value / baseline) else f"{value / baseline:.2f}"


def summary(report: dict) -> str:
    """Markdown tables: medians in ms, throughput, and ratios to the oxigraph server."""
    budget_ms = report.get("budget_s", 20.0) * 1000
    lines = [f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
             f"{report['machine']['memory']}, Python {report['machine']['python']}, "
             f"pyoxigraph {report['machine']['pyoxigraph']}", ""]
    lines += [report["note"], ""] if "note" in report else []
    for target, size in report["sizes"].items():
        lines += [f"### ~{int(target):,} triples ({size['quads']:,} quads)", "",
                  f"Release published in {size['publish_s']:.2f} s, served from {size['store']}; "
                  f"endpoint up in {size['endpoint_start_s']:.2f} s, {size['endpoint_pss_mb']:.0f} MB PSS "
                  f"at start and {size.get('endpoint_pss_after_mb', 0):.0f} MB after the run "
                  f"(oxigraph server: loaded in {size['oxigraph_load_s']:.2f} s, "
                  f"{size['oxigraph_pss_mb']:.0f} MB); pyoxigraph load {size['pyoxigraph_load_s']:.2f} s"
                  + (f"; rdflib load {size['rdflib_load_s']:.1f} s" if "rdflib_load_s" in size else ""),
                  "", "Throughput and latency of the entity lookup, 8 connections (wrk):", "",
                  "| path | requests/s | median ms | 99th percentile ms | throughput / oxigraph |",
                  "|---|---:|---:|---:|---:|"]
        oxi_rate = (size["throughput"].get("oxigraph_server") or {}).get("rps")
        for path, label in [*PATHS.items(), ("oxigraph_server", "oxigraph server")]:
            figures = size["throughput"].get(path)
            if figures:
                ratio = f"{figures['rps'] / oxi_rate:.2f}" if oxi_rate else "—"
                lines.append(f"| {label} | {figures['rps']:,.0f} | {_ms(figures['p50_s'], budget_ms)} | "
                             f"{_ms(figures['p99_s'], budget_ms)} | {ratio} |")
        if parts := size.get("parts"):
            lines += ["", "Where the plain app's time goes (entity lookup, one client, medians of parts "
                      "measured apart in the same run, ms):", "",
                      "| plain app | its overhead over bare pyoxigraph | gunicorn, trivial app | gunicorn, "
                      "trivial Flask app | evaluator path (send, evaluate, answer back) | of which the "
                      "evaluation (in one process) | the rest: the protocol, the caps, the headers |",
                      "|---:|---:|---:|---:|---:|---:|---:|",
                      "| " + " | ".join(f"{parts[k] * 1000:.2f}" for k in
                                       ("plain_s", "overhead_s", "http_server_s", "flask_s",
                                        "evaluator_path_s", "evaluation_s", "app_s")) + " |"]
        lines += ["", "Median latency of each query, one client (ms), and ratio to the oxigraph server:", "",
                  "| query | plain app | cached path | nginx recipe | bare pyoxigraph | oxigraph server "
                  "| rdflib | plain / oxigraph | cached / oxigraph | recipe / oxigraph |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name, row in size["latency"].items():
            oxi = row["oxigraph_server"]
            lines.append(f"| {name} | " + " | ".join(_ms(row[k], budget_ms) for k in
                                                     [*PATHS, "pyoxigraph", "oxigraph_server", "rdflib"])
                         + " | " + " | ".join(_ratio(row[k], oxi) for k in PATHS) + " |")
        lines += _engine_lines(size.get("engines", {}), budget_ms)
        ranges = []
        for path, label in PATHS.items():
            ratios = [row[path] / row["oxigraph_server"] for row in size["latency"].values()
                      if not math.isnan(row[path] / row["oxigraph_server"])]
            ranges.append(f"{label} {min(ratios):.2f}–{max(ratios):.2f} "
                          f"(median {statistics.median(ratios):.2f})")
        lines += ["", f"Ratio to the oxigraph server over all {len(size['latency'])} queries: "
                  + "; ".join(ranges), ""]
    return "\n".join(lines)


def _engine_lines(engines: dict, budget_ms: float) -> list[str]:
    """The table of the endpoint in front of each engine against that engine queried directly."""
    lines = []
    for engine, figures in engines.items():
        rates = {path: (figures.get("throughput", {}).get(path) or {}).get("rps")
                 for path in ("front", "direct")}
        stopped = ", ".join(figures.get("stopped_on", [])) or "none"
        lines += ["", f"The endpoint in front of the {engine} engine (answer caches off) against that engine "
                  f"queried directly (loaded and up in {figures['load_s']:.2f} s; stopped on, then started "
                  f"again: {stopped}); entity lookup, 8 "
                  f"connections: {rates['front'] or 0:,.0f} against {rates['direct'] or 0:,.0f} requests/s. "
                  "Median ms, one client:", "",
                  "| query | front over the engine | the engine directly | what the front adds |",
                  "|---|---:|---:|---:|"]
        for name, row in figures["latency"].items():
            lines.append(f"| {name} | {_ms(row['front'], budget_ms)} | {_ms(row['direct'], budget_ms)} | "
                         f"{_ms(row['front'] - row['direct'], budget_ms)} |")
    return lines


if __name__ == "__main__":
    main()
