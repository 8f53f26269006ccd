"""The release being served: loaded once, switched to a newer one only once that has loaded, so
that a failed or half-written build never replaces the graph being served.
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


class ReleaseHolder:
    """The release being served; looks for a newer ``current`` at most every ``interval`` s."""

    def __init__(self, build_dir: Path, interval: float = 2.0) -> None:
        self.build_dir = build_dir
        self.interval = interval
        self._checked = 0.0
        self._refused: Path | None = None  # a damaged release, not checked again
        self.release = self._load_current()

    def _resolve(self) -> Path:
        link = self.build_dir / CURRENT
        if not link.exists() and not link.is_symlink():
            raise FileNotFoundError(
                f"No published build in {self.build_dir}: run 'mineral-diplomacy build' first."
            )
        return link.resolve()  # a link to a release that is gone is a damaged release (see below)

    def _load_current(self) -> Release:
        """The current release or, if it is damaged, the newest intact one before it."""
        self._checked = time.monotonic()
        current = self._resolve()
        try:
            return load_release(current)
        except ReleaseDamaged as damaged:
            fallback = next((r for r in intact_releases(self.build_dir) if r != current), None)
            if fallback is None:
                raise ReleaseDamaged(f"The current release is damaged ({damaged}) and no earlier release "
                                     "is intact: run 'mineral-diplomacy build' again.") from None
            log.error("not serving release %s: %s; serving %s instead", current.name, damaged, fallback.name)
            return load_release(fallback)

    def current_unchecked(self) -> Release | None:
        """The release being served, or None when it is time to look for a newer one (which
        ``get`` does, and may take as long as a load)."""
        return self.release if time.monotonic() - self._checked < self.interval else None

    def get(self) -> Release:
        """The release to answer with, switching to a newer published one when there is one."""
        now = time.monotonic()
        if now - self._checked < self.interval:
            return self.release
        self._checked = now
        path: Path | None = None
        try:
            path = self._resolve()
            if path not in (self.release.path, self._refused):
                self.release = load_release(path)
                log.info("serving release %s", self.release.name)
        except (OSError, ValueError) as error:  # keep serving what we have (ReleaseDamaged too)
            self._refused = path if isinstance(error, ReleaseDamaged) else None
            log.error("kept release %s: %s", self.release.name, error)
        return self.release
