"""Dependency hygiene: pyproject floors exclude releases with known CVEs, requirements.lock pins
every requirement of the project and its dev extra at a version the floors admit, and the
environment set up from it carries a patched setuptools."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

# The last release with a known CVE, per package (the floor must exclude it).
LAST_VULNERABLE = {
    "jinja2": "3.1.5",  # sandbox escapes (CVE-2024-56201, CVE-2024-56326, CVE-2025-27516)
    "requests": "2.32.5",  # CVE-2024-47081 (<2.32.4), CVE-2026-25645 (<2.33)
    "urllib3": "2.6.3",  # CVE-2025-50181, CVE-2025-66418, CVE-2026-21441, CVE-2026-44431 (<2.7)
    "h11": "0.15.0",  # CVE-2025-43859
    "starlette": "1.0.0",  # CVE-2026-48710
    "anthropic": "0.86.0",  # CVE-2026-34450
    "setuptools": "78.1.0",  # CVE-2024-6345, CVE-2025-47273 (build-system)
    "wheel": "0.46.1",  # CVE-2026-24049 (build-system)
}


def _requirements() -> dict[str, Requirement]:
    project = PYPROJECT["project"]
    reqs = [*project["dependencies"], *project["optional-dependencies"]["dev"], *PYPROJECT["build-system"]["requires"]]
    return {canonicalize_name(r.name): r for r in map(Requirement, reqs)}


def _lock() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, pinned = line.partition("==")
        assert sep and pinned.strip(), f"requirements.lock: not an exact pin: {line!r}"
        pins[canonicalize_name(name)] = Version(pinned.strip())
    return pins


@pytest.mark.parametrize("name", sorted(LAST_VULNERABLE))
def test_floors_exclude_releases_with_known_cves(name: str) -> None:
    req = _requirements().get(name)
    assert req is not None, f"{name} has no floor in pyproject.toml"
    assert not req.specifier.contains(LAST_VULNERABLE[name], prereleases=True), f"{req} admits a vulnerable release"


def test_the_lock_pins_every_requirement_at_an_admitted_version() -> None:
    pins = _lock()
    build = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["build-system"]["requires"]}
    for name, req in _requirements().items():
        if name in build:
            continue  # setup.sh upgrades pip and setuptools itself; the build backend is fetched per build
        assert name in pins, f"{req} is not in requirements.lock (run bash scripts/lock.sh)"
        assert req.specifier.contains(pins[name], prereleases=True), f"requirements.lock pins {name}=={pins[name]}"
    for name, last in LAST_VULNERABLE.items():
        if name in pins:
            assert pins[name] > Version(last), f"requirements.lock pins {name}=={pins[name]} (vulnerable)"


def test_the_environment_carries_a_patched_setuptools() -> None:
    assert Version(version("setuptools")) > Version(LAST_VULNERABLE["setuptools"])


def test_setup_installs_from_the_lock_keyed_on_both_files() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    steps = [
        "python -m pip install -q --upgrade pip setuptools",
        "python -m pip install -q -r requirements.lock",
        "python -m pip install -q --no-deps -e",
        "python -m pip check",
    ]
    where = [setup.find(step) for step in steps]
    assert -1 not in where and where == sorted(where), "setup.sh: upgrade, lock, project --no-deps, pip check"
    assert "cat pyproject.toml requirements.lock | sha1sum" in setup
