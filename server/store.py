"""The release a worker serves: loaded once when the worker starts, checked against its manifest,
so that a failed or half-written build is never served. A newer release is served by new workers
(``reload.py``: gunicorn's graceful reload), never swapped inside a running one.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..release.layout import CURRENT, ReleaseDamaged, check_release, count_quads, intact_releases
from ..release.store import load_store, serves_from_disk

log = logging.getLogger("mineral_diplomacy.server")


@dataclass
class Release:
    """A loaded release: its folder, its store, and when it was loaded."""

    path: Path
    store: ox.Store
    quads: int
    on_disk: bool
    loaded_at: float = field(default_factory=time.time)
    load_seconds: float = 0.0

    @property
    def name(self) -> str:
        return self.path.name


def load_release(path: Path) -> Release:
    """Load one release folder, once its files are checked against its manifest."""
    started = time.perf_counter()
    check_release(path)
    store = load_store(path)
    release_free_memory()
    return Release(path, store, count_quads(path), serves_from_disk(path),
                   load_seconds=time.perf_counter() - started)


def release_free_memory() -> None:
    """Give the memory the bulk load used and freed back to the system (glibc keeps it otherwise,
    and every forked process would carry it)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def load_current(build_dir: Path) -> Release:
    """The release ``build_dir/current`` points at or, if it is damaged (or gone), the newest
    intact one before it. A worker loads it once and serves it for its whole life."""
    link = build_dir / CURRENT
    if not link.exists() and not link.is_symlink():
        raise FileNotFoundError(f"No published build in {build_dir}: run 'mineral-diplomacy build' first.")
    current = link.resolve()
    try:
        return load_release(current)
    except ReleaseDamaged as damaged:
        fallback = next((r for r in intact_releases(build_dir) if r != current), None)
        if fallback is None:
            raise ReleaseDamaged(f"The current release is damaged ({damaged}) and no earlier release "
                                 "is intact: run 'mineral-diplomacy build' again.") from None
        log.error("not serving release %s: %s; serving %s instead", current.name, damaged, fallback.name)
        return load_release(fallback)
