"""The CLI as a user runs it: clear errors without tracebacks, doctor lines, demo, sandbox up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SCENARIOS


def incident(*args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_")}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "incident", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        **kw,
    )


def test_broken_config_is_one_panel_listing_every_problem(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[prometheus]\nurl = 5\ntimout = "1s"\n[watcher]\ngroup_window = "forever"\n')
    out = incident("--config", str(cfg), "doctor")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "Invalid configuration" in out.stderr
    assert "prometheus.url" in out.stderr and "did you mean 'timeout'" in out.stderr
    assert "watcher.group_window" in out.stderr


def test_doctor_prints_one_line_per_connector(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/d.db"\n'
        '[prometheus]\nurl = "http://127.0.0.1:9"\n'
        '[pagerduty]\napi_token = "tok-SECRET-123"\nbase_url = "http://127.0.0.1:9"\n'
        "[kubernetes]\nenabled = false\n"
    )
    out = incident("--config", str(cfg), "doctor", timeout=60)
    assert out.returncode == 1
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    by_name = {line.split()[1].rstrip(":"): line for line in lines}
    assert set(by_name) == {"store", "pagerduty", "alertmanager", "prometheus", "kubernetes", "catalog"}
    assert by_name["store"].startswith("ok")
    assert by_name["prometheus"].startswith("FAIL") and by_name["pagerduty"].startswith("FAIL")
    assert by_name["alertmanager"].startswith("off") and by_name["kubernetes"].startswith("off")
    assert "SECRET" not in out.stdout + out.stderr


@pytest.mark.skipif(not (SCENARIOS / "checkout-bad-deploy").is_dir(), reason="default scenario missing")
def test_demo_headless_prints_the_incident_and_its_timeline() -> None:
    out = incident("demo", "--headless", timeout=180)
    assert out.returncode == 0, out.stderr
    assert "incident opened" in out.stdout
    for kind in ("alert", "deploy", "pod_state", "ownership"):
        assert kind in out.stdout


def test_show_on_empty_store_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/e.db"\n')
    out = incident("--config", str(cfg), "show", "latest")
    assert out.returncode == 2 and "no incident latest" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.skipif(not (SCENARIOS / "checkout-bad-deploy").is_dir(), reason="default scenario missing")
def test_sandbox_up_prints_config_and_stops_cleanly(tmp_path: Path) -> None:
    cfg_out = tmp_path / "sandbox.toml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "incident",
            "sandbox",
            "up",
            str(SCENARIOS / "checkout-bad-deploy"),
            "--config-out",
            str(cfg_out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while not cfg_out.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert cfg_out.exists()
        from incident.config import load_settings

        settings = load_settings(cfg_out)
        assert settings.kubernetes.host and settings.kubernetes.host.startswith("http://127.0.0.1:")
        assert settings.catalog.backstage_url
        assert settings.alertmanager.url
        doctor = incident("--config", str(cfg_out), "doctor", timeout=60)
        assert "FAIL" not in doctor.stdout, doctor.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "[kubernetes]" in out
    for command in ("watch", "tui", "show latest"):  # what to run next, against the written config
        assert f"incident --config {cfg_out} {command}" in out
