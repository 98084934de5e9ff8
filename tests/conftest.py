"""Shared fixtures: a fresh SQLite store per test, isolated XDG dirs, bundled scenario paths."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from incident.store import Store

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SHARED = ROOT.parent / "shared"
CALIBRATION = SHARED / "calibration"

needs_prometheus = pytest.mark.skipif(
    shutil.which("prometheus") is None or shutil.which("promtool") is None,
    reason="needs the Debian package 'prometheus' (apt-get install prometheus)",
)
needs_alertmanager = pytest.mark.skipif(
    shutil.which("prometheus-alertmanager") is None and shutil.which("alertmanager") is None,
    reason="needs the Debian package 'prometheus-alertmanager'",
)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read the developer's own config or data, nor INCIDENT_* variables."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    for key in list(os.environ):
        if key.startswith("INCIDENT_") and key != "INCIDENT_TEST_POSTGRES_URL":
            monkeypatch.delenv(key)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.close()


def postgres_url() -> str | None:
    return os.environ.get("INCIDENT_TEST_POSTGRES_URL")
