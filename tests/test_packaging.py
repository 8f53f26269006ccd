"""What a fresh machine installs is what CI tested: every installed distribution is pinned in
.ci/constraints.txt, and pyproject's pins agree with it."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def constraints() -> dict[str, str]:
    pins = {}
    for line in (PROJECT / ".ci" / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[_normal(name)] = version.strip()
    return pins


def test_every_installed_distribution_is_pinned_at_its_version():
    pins = constraints()
    installed = {_normal(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    ignored = {"pip", "setuptools", "wheel", "mineral-diplomacy-kg"}
    assert {n: v for n, v in installed.items() if n not in ignored and pins.get(n) != v} == {}


def test_pyproject_pins_agree_with_the_constraints():
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values()
                                                for r in extra)]
    pins = constraints()
    for requirement in requirements:
        name, _, version = requirement.partition("==")
        assert version, f"{requirement} is not pinned"
        assert pins.get(_normal(name)) == version, requirement
