"""mypy in strict mode ([tool.mypy] in pyproject.toml) reports no error on incident/ and connectors/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy", reason="mypy is a dev dependency (pip install -e '.[dev]')")

ROOT = Path(__file__).resolve().parents[1]


def test_incident_and_connectors_are_mypy_strict_clean() -> None:
    # The repository's .mypy_cache keeps a rerun at a few seconds (about 30 s cold).
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "incident", "connectors"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Success: no issues found" in run.stdout, run.stdout
