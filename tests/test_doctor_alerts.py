"""``incident doctor`` on alert intake: a failing Alertmanager poll is FAIL even when its status page
answers, and quarantined alerts are listed with their reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.alertmanager.webhook import rejected
from incident.quarantine import quarantine
from incident.sandbox.http import Response, StandInServer
from incident.store import Store
from tests.test_cli import incident


def test_doctor_says_a_failing_poll_fails_and_lists_quarantined_alerts(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    store = Store(f"sqlite:///{db}")
    with store.session() as session:
        bad = [rejected({"labels": {"service": "cart"}}, "alerts[0].labels.alertname: missing")]
        assert quarantine(session, bad, source="alertmanager", channel="poll", now=datetime.now(UTC)) == 1
        assert quarantine(session, bad, source="alertmanager", channel="poll", now=datetime.now(UTC)) == 0
    store.close()
    server = StandInServer()
    server.route("GET", "/api/v2/status", lambda _: {"versionInfo": {"version": "0.25.0"}, "cluster": {}})
    server.route("GET", "/api/v2/alerts", lambda _: Response(500, "alerts[0].labels.alertname: missing"))
    cfg = tmp_path / "c.toml"
    with server:
        cfg.write_text(
            f'[store]\nurl = "sqlite:///{db}"\n[alertmanager]\nurl = "{server.url}"\n[kubernetes]\nenabled = false\n'
        )
        out = incident("--config", str(cfg), "doctor", timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    [am] = [line for line in lines if line.split()[1:2] == ["alertmanager:"]]
    assert am.startswith("FAIL") and "polling alerts fails" in am
    at = next(i for i, line in enumerate(lines) if line.startswith("warn alerts:"))
    assert "1 alert(s) quarantined" in lines[at]
    assert "alertmanager poll" in lines[at + 1] and "alertname: missing" in lines[at + 1]
