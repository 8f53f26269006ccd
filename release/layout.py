"""What a release is, for every part that writes or reads one: its folder and file names, the
``current`` link, and publishing (all at once or not at all).

A release is a folder ``releases/<digest>`` of the build folder holding the dataset as N-Quads,
TriG (named graphs kept) and Turtle (all graphs merged), ``summary.json``, ``table-rows.json`` (the
reference-table and list rows each entity of those graphs comes from), the review pages
(``site/``) and, for a large release, the on-disk store (``store/``). ``current`` is a symbolic link
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

from ..graph.output import nquads, trig, turtle

DATASET_FILES = ("dataset.nq", "dataset.trig", "dataset.ttl")
SUMMARY_FILE = "summary.json"
TABLE_ROWS_FILE = "table-rows.json"  # graph IRI -> entity IRI -> [[file, line], ...] it comes from
SITE_DIR = "site"
STORE_DIR = "store"
CURRENT = "current"
MANIFEST_FILE = "manifest.json"  # each published file's size and SHA-256
KEEP_RELEASES = 3


class ReleaseDamaged(ValueError):
    """A release's files are not what its manifest says (cut short, emptied, altered, missing)."""


def release_files(graphs: dict[URIRef, Graph], summary: dict[str, object],
                  table_rows: dict[str, dict[str, list[tuple[str, int]]]]) -> dict[str, bytes]:
    """The files of a release, by name: the dataset three ways, the summary, and the table rows."""
    return {
        "dataset.nq": nquads(graphs),
        "dataset.trig": trig(graphs),
        "dataset.ttl": turtle(graphs),
        SUMMARY_FILE: (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode(),
        TABLE_ROWS_FILE: (json.dumps(table_rows, indent=1, sort_keys=True) + "\n").encode(),
    }


def publish(files: dict[str, bytes], out_dir: Path,
            prepare: Callable[[Path], None] | None = None, salt: bytes = b"") -> Path:
    """Write a release and point ``out_dir/current`` at it atomically; return the release folder.

    ``prepare`` may add derived files (such as an on-disk store or the review pages) to the release
    before it is switched in; the release's name is the digest of ``files`` and of ``salt``, which
    stands for whatever else ``prepare`` reads, so that a change there makes a new release."""
    files = {name: content for name, content in files.items() if name != MANIFEST_FILE}  # written here
    digest = hashlib.sha256(b"".join(files[name] for name in sorted(files)) + salt).hexdigest()[:16]
    releases = out_dir / "releases"
    release = releases / digest
    if release.is_dir() and not (release / MANIFEST_FILE).is_file():  # published before manifests
        (release / MANIFEST_FILE).write_text(_manifest(files))
    if not release.is_dir():
        scratch = releases / f".staging-{os.getpid()}"
        shutil.rmtree(scratch, ignore_errors=True)
        staging = scratch / digest  # named as the release will be, for what ``prepare`` writes
        staging.mkdir(parents=True)
        for name, content in files.items():
            (staging / name).write_bytes(content)
        (staging / MANIFEST_FILE).write_text(_manifest(files))
        try:
            if prepare is not None:
                prepare(staging)
            staging.rename(release)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    link = out_dir / f".current-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(release.relative_to(out_dir), target_is_directory=True)
    os.replace(link, out_dir / CURRENT)
    _prune(releases, keep=release)
    return release


def _newest_first(releases: Path) -> list[Path]:
    """The release folders, newest first."""
    if not releases.is_dir():
        return []
    return sorted((p for p in releases.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.stat().st_mtime, reverse=True)


def _prune(releases: Path, keep: Path) -> None:
    """Remove old releases, keeping the newest few (a server may still be reading one)."""
    for path in [p for p in _newest_first(releases) if p != keep][KEEP_RELEASES - 1 :]:
        shutil.rmtree(path, ignore_errors=True)


def _manifest(files: dict[str, bytes]) -> str:
    entries = {name: {"bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
               for name, content in sorted(files.items())}
    return json.dumps({"files": entries}, indent=1) + "\n"


def check_release(release: Path) -> None:
    """Raise ReleaseDamaged, naming the file, unless every file is as the manifest says."""
    try:
        manifest = json.loads((release / MANIFEST_FILE).read_text())
    except (OSError, ValueError) as error:
        raise ReleaseDamaged(f"{release / MANIFEST_FILE} cannot be read: {error}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not files or not all(
        isinstance(name, str) and "/" not in name and not name.startswith(".")
        and isinstance(expected, dict) and isinstance(expected.get("bytes"), int)
        and isinstance(expected.get("sha256"), str)
        for name, expected in files.items()
    ):
        raise ReleaseDamaged(f"{release / MANIFEST_FILE} is not a manifest: it must map each file name "
                             "of the release to its 'bytes' and 'sha256'")
    for name, expected in files.items():
        path = release / name
        if not path.is_file():
            raise ReleaseDamaged(f"{path} is missing")
        if path.stat().st_size != expected["bytes"]:
            raise ReleaseDamaged(f"{path} has {path.stat().st_size} bytes; "
                                 f"the manifest says {expected['bytes']}")
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256")
        if digest.hexdigest() != expected["sha256"]:
            raise ReleaseDamaged(f"{path} is not the file that was published (its SHA-256 differs)")


def intact_releases(out_dir: Path) -> list[Path]:
    """The published releases that pass ``check_release``, newest first."""
    intact = []
    for release in _newest_first(out_dir / "releases"):
        try:
            check_release(release)
        except ReleaseDamaged:
            continue
        intact.append(release)
    return intact


def current_release(out_dir: Path) -> Path | None:
    """The release ``current`` points at, if a build has succeeded."""
    link = out_dir / CURRENT
    return link.resolve() if link.exists() else None


def count_quads(release: Path) -> int:
    """How many quads the release's N-Quads file holds (one per line)."""
    with (release / "dataset.nq").open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
