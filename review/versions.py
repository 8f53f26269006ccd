"""The versions a diff compares: a release folder, a build folder (its current release), or a git
revision of this project, built once with that revision's own code and records into a cache."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path


class VersionNotFound(ValueError):
    """Neither a release, a build folder, nor a git revision of the project."""


def resolve_version(version: str, project: Path, shared: Path, cache: Path) -> Path:
    """The release folder of ``version``: a release folder itself, the current release of a build
    folder, or the build of a git revision (made once, kept in ``cache/<commit>``)."""
    path = Path(version)
    if (path / "dataset.nq").is_file():
        return path.resolve()
    if (path / "current" / "dataset.nq").is_file():
        return (path / "current").resolve()
    commit = _commit(version, project)
    built = cache / commit / "current"
    if not (built / "dataset.nq").is_file():
        _build_revision(commit, project, shared, cache / commit)
    return built.resolve()


def _commit(revision: str, project: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(project), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise VersionNotFound(
            f"'{revision}' is neither a release folder, a build folder (with 'current'), nor a "
            f"git revision of {project}"
        )
    return done.stdout.strip()


def _build_revision(commit: str, project: Path, shared: Path, out: Path) -> None:
    """Build a revision with its own code: its tree is unpacked into a temporary folder and run as
    the ``mineral_diplomacy`` package (a shim folder whose sub-packages are its folders)."""
    archive = subprocess.run(
        ["git", "-C", str(project), "archive", "--format=tar", commit], capture_output=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory(prefix=f"revision-{commit[:12]}-") as scratch:
        tree = Path(scratch) / "tree"
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        shim = Path(scratch) / "shim" / "mineral_diplomacy"
        shim.mkdir(parents=True)
        (shim / "__init__.py").write_text('"""A revision of the project, for comparison."""\n')
        for entry in tree.iterdir():  # the packages, and the data folders beside them (mappings/)
            (shim / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
        env = {**os.environ, "PYTHONPATH": str(shim.parent), "MINERAL_DIPLOMACY_SHARED": str(shared)}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                # the command moved from graph/ to server/, then to cli/; an older revision has it there
                "mineral_diplomacy.cli" if (tree / "cli" / "__main__.py").is_file()
                else "mineral_diplomacy.server.cli" if (tree / "server" / "cli.py").is_file()
                else "mineral_diplomacy.graph.cli",
                "build",
                "--shared",
                str(shared),
                "--out",
                str(out),
            ],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise VersionNotFound(f"revision {commit[:12]} does not build with its own code:\n{tail}")
