"""The watcher says what it does: one log line per incident opened, gathered, diagnosed, resolved and
per connector failure; ``--log-format json`` for log shippers; no secret in any line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.base import AlertRecord
from connectors.kubernetes.client import KubernetesConnector
from incident.config import load_settings
from incident.logformat import JsonFormatter, RedactingFormatter, incident_fields
from incident.registry import Connectors
from incident.store import Store
from incident.watcher import Watcher
from tests.test_cli import incident
from tests.test_intake import T1, record

SECRET = "hunter2-s3cret"


def lines(caplog: pytest.LogCaptureFixture, word: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("incident") and f" {word}" in r.getMessage()]


@pytest.fixture
def failing_watcher(store: Store) -> Iterator[Watcher]:
    """Kubernetes configured at a port nothing listens on, with a bearer token that must stay secret."""
    settings = load_settings(
        overlays=[{"kubernetes": {"host": "http://127.0.0.1:9", "token": SECRET, "timeout": "2s"}}],
        user_file=False,
    )
    watcher = Watcher(settings, store, Connectors(kubernetes=KubernetesConnector(settings.kubernetes)))
    yield watcher
    watcher.stop()


def test_one_line_per_incident_opened_gathered_diagnosed_resolved_and_connector_failure(
    failing_watcher: Watcher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="incident")
    [opened] = failing_watcher.ingest_alerts([record(T1)], active_set={"fp-checkout"})
    failing_watcher.gather(opened)
    ended = AlertRecord(**{**record(T1).__dict__, "status": "resolved", "ends_at": T1 + timedelta(minutes=3)})
    failing_watcher.ingest_alerts([ended])

    for word in ("opened", "gathered", "diagnosed", "resolved"):
        found = lines(caplog, word)
        assert len(found) == 1, (word, [r.getMessage() for r in caplog.records])
        assert getattr(found[0], "incident_id", None) == opened
        assert getattr(found[0], "component", None) == "checkout"
    [failure] = [r for r in lines(caplog, "kubernetes failed") if r.levelno == logging.WARNING]
    assert getattr(failure, "incident_id", None) == opened
    assert "kubernetes" in lines(caplog, "gathered")[0].getMessage()  # the gathered line names what failed
    text = "\n".join(JsonFormatter().format(r) + RedactingFormatter().format(r) for r in caplog.records)
    assert SECRET not in text


def test_json_lines_carry_the_incident_fields_and_never_a_secret() -> None:
    rec = logging.LogRecord(
        "incident.app.pipeline", logging.WARNING, __file__, 1,
        "incident %s: prometheus failed: GET http://bob:%s@prom:9090/api?token=%s", (7, SECRET, SECRET), None,
    )  # fmt: skip
    rec.__dict__.update(incident_fields(7, "checkout"))
    line = json.loads(JsonFormatter().format(rec))
    assert {"time", "level", "logger", "message"} <= set(line)
    assert (line["level"], line["logger"], line["incident_id"], line["component"]) == (
        "warning", "incident.app.pipeline", 7, "checkout",
    )  # fmt: skip
    assert "prometheus failed" in line["message"] and SECRET not in line["message"]
    assert SECRET not in RedactingFormatter().format(rec)


def test_watch_log_format_json_is_one_object_per_line_without_credentials(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/w.db"\n'
        f'[alertmanager]\nurl = "http://bob:{SECRET}@127.0.0.1:9"\n[kubernetes]\nenabled = false\n'
    )
    out = incident("watch", "--once", "--log-format", "json", "--config", str(cfg), timeout=60)
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stderr.splitlines() if line.strip()]
    assert any(r["level"] == "warning" and "polling alertmanager failed" in r["message"] for r in records)
    assert SECRET not in out.stderr + out.stdout
    bad = incident("watch", "--once", "--log-format", "xml", "--config", str(cfg))
    assert bad.returncode == 2 and "--log-format" in bad.stderr
