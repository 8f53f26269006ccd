"""Writing the checked dataset: deterministic files, published all at once or not at all.

A release is a folder ``releases/<content digest>`` holding the dataset as N-Quads and TriG (named
graphs kept) and Turtle (all graphs merged), plus ``summary.json``. ``current`` is a symbolic link
to the newest release, switched atomically, so a reader (the server) sees either the old dataset
or the new one, never a half-written one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from rdflib import Graph, URIRef

from ..ontology.namespaces import PREFIXES

DATASET_FILES = ("dataset.nq", "dataset.trig", "dataset.ttl")
KEEP_RELEASES = 3


def _bind(graph: Graph) -> None:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)


def nquads(graphs: dict[URIRef, Graph]) -> bytes:
    """N-Quads, one statement a line, sorted: the canonical, diff-friendly form."""
    lines = []
    for name, graph in graphs.items():
        for line in graph.serialize(format="nt", encoding="utf-8").decode().splitlines():
            if line.strip():
                lines.append(line.removesuffix(" .") + f" <{name}> .")
    return ("\n".join(sorted(lines)) + "\n").encode()


def trig(graphs: dict[URIRef, Graph]) -> bytes:
    """TriG with the project's prefixes, graphs in IRI order (rdflib's own TriG writer orders
    graphs differently from run to run, so each graph is written as Turtle and wrapped)."""
    prefixes: dict[str, str] = {}
    blocks = []
    for name in sorted(graphs):
        graph = Graph()
        _bind(graph)
        for triple in graphs[name]:
            graph.add(triple)
        body = []
        for line in graph.serialize(format="turtle").splitlines():
            if line.startswith("@prefix "):
                prefix, namespace = line.removeprefix("@prefix ").removesuffix(" .").split(" ", 1)
                if prefixes.setdefault(prefix, namespace) != namespace:
                    raise ValueError(f"prefix {prefix} bound to two namespaces")
            elif line.strip():
                body.append(line)  # not indented: that would change multi-line literals
        blocks.append(f"<{name}> {{\n" + "\n".join(body) + "\n}\n")
    header = "".join(f"@prefix {p} {ns} .\n" for p, ns in sorted(prefixes.items()))
    return (header + "\n" + "\n".join(blocks)).encode()


def turtle(graphs: dict[URIRef, Graph]) -> bytes:
    """Every graph merged into one Turtle document (for tools without named graphs)."""
    merged = Graph()
    _bind(merged)
    for graph in graphs.values():
        for triple in graph:
            merged.add(triple)
    return merged.serialize(format="turtle", encoding="utf-8")


def serialise(graphs: dict[URIRef, Graph], summary: dict[str, object]) -> dict[str, bytes]:
    """The release's files, by name."""
    return {
        "dataset.nq": nquads(graphs),
        "dataset.trig": trig(graphs),
        "dataset.ttl": turtle(graphs),
        "summary.json": (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode(),
    }


def publish(files: dict[str, bytes], out_dir: Path,
            prepare: Callable[[Path], None] | None = None, salt: bytes = b"") -> Path:
    """Write a release and point ``out_dir/current`` at it atomically; return the release folder.

    ``prepare`` may add derived files (such as an on-disk store or the review pages) to the release
    before it is switched in; the release's name is the digest of ``files`` and of ``salt``, which
    stands for whatever else ``prepare`` reads, so that a change there makes a new release."""
    digest = hashlib.sha256(b"".join(files[name] for name in sorted(files)) + salt).hexdigest()[:16]
    releases = out_dir / "releases"
    release = releases / digest
    if not release.is_dir():
        scratch = releases / f".staging-{os.getpid()}"
        shutil.rmtree(scratch, ignore_errors=True)
        staging = scratch / digest  # named as the release will be, for what ``prepare`` writes
        staging.mkdir(parents=True)
        for name, content in files.items():
            (staging / name).write_bytes(content)
        try:
            if prepare is not None:
                prepare(staging)
            staging.rename(release)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    link = out_dir / f".current-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(release.relative_to(out_dir), target_is_directory=True)
    os.replace(link, out_dir / "current")
    _prune(releases, keep=release)
    return release


def _prune(releases: Path, keep: Path) -> None:
    """Remove old releases, keeping the newest few (a server may still be reading one)."""
    old = sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")),
                 key=lambda p: p.stat().st_mtime, reverse=True)
    for path in [p for p in old if p != keep][KEEP_RELEASES - 1 :]:
        shutil.rmtree(path, ignore_errors=True)


def current_release(out_dir: Path) -> Path | None:
    """The release ``current`` points at, if a build has succeeded."""
    link = out_dir / "current"
    return link.resolve() if link.exists() else None
