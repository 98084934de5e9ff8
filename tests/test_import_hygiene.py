"""The layers hold: every import-linter contract of pyproject.toml is kept, and importing the core
at run time loads neither the UI nor the sandbox (docs/architecture.md)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from importlinter import configuration
from importlinter.application import use_cases

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS: list[dict[str, Any]] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"
]

KNOWN_BROKEN: dict[str, int] = {}
"""Contract id -> the illegal import chains it may still have while a refactor is under way:
reported as a known failure (xfail) with the count while at or under it, failed above it. Empty
since issue 11 (``tui-no-sql`` had 5 chains until the TUI moved onto incident.app)."""

TOOLS = ("incident.sandbox", "incident.tools", "incident.__main__")
"""The modules of incident/ that are not core: the sandbox, the commands that drive it, and
``python -m incident`` (a composition root)."""


@pytest.fixture(scope="module")
def checks() -> dict[str, Any]:
    # What `lint-imports` does before its report (import-linter is pinned in requirements.lock).
    configuration.configure()
    use_cases._register_built_in_contract_types()
    options = use_cases.read_user_options(str(ROOT / "pyproject.toml"))
    report = use_cases.create_report(options, cache_dir=None)
    return {contract.name: check for contract, check in report.get_contracts_and_checks()}


def _chains(check: Any) -> list[str]:
    """One line per illegal import chain: ``a -> b (l.3) -> c (l.7)``."""
    lines = []
    for pair in check.metadata.get("invalid_chains", []):
        for chain in pair["chains"]:
            links = chain["chain"] if isinstance(chain, dict) else chain
            parts = [links[0]["importer"]]
            for link in links:
                parts.append(f"{link['imported']} (l.{','.join(map(str, link['line_numbers']))})")
            lines.append(" -> ".join(parts))
    return lines


@pytest.mark.parametrize("contract", CONTRACTS, ids=[c["id"] for c in CONTRACTS])
def test_import_contract_is_kept(contract: dict[str, Any], checks: dict[str, Any]) -> None:
    check = checks[contract["name"]]
    assert not check.warnings, check.warnings  # e.g. an ignore_imports line that matches nothing
    if check.kept:
        return
    chains = _chains(check)
    allowed = KNOWN_BROKEN.get(contract["id"])
    if allowed is not None and len(chains) <= allowed:
        pytest.xfail(f"known failure: {len(chains)} illegal import chain(s) (at most {allowed}): " + "; ".join(chains))
    pytest.fail(f"{contract['name']}: {len(chains)} illegal import chain(s):\n" + "\n".join(chains))


def test_known_failures_name_real_contracts() -> None:
    assert set(KNOWN_BROKEN) <= {c["id"] for c in CONTRACTS}


def test_importing_every_core_module_loads_no_ui_and_no_sandbox() -> None:
    """What the static contracts cannot see: imports by name at run time (importlib, plugins)."""
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for package in ("incident", "connectors")
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts and p.name != "__init__.py"
    ]
    core = [m for m in modules if not m.startswith(TOOLS)]
    assert len(core) < len(modules)  # the tools exist and are left out, not missed by the filter
    code = (
        "import importlib, sys\n"
        f"for m in {core!r}: importlib.import_module(m)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui') or m.startswith({TOOLS!r}))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == ""
