"""Silences against a real Alertmanager, PagerDuty acknowledge/resolve/note against the stand-in,
and ``incident audit``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.alertmanager.client import AlertmanagerConnector
from connectors.pagerduty.client import PagerDutyConnector
from incident import actions
from incident.config import AlertmanagerConfig, PagerDutyConfig
from incident.sandbox.alertmanager import AlertmanagerProcess
from incident.sandbox.pagerduty import PagerDutyStandIn, make_incident
from tests.actions.conftest import World
from tests.actions.test_actions import audit, propose, run
from tests.conftest import ROOT, needs_alertmanager

SILENCE = {"matchers": {"alertname": "HighErrorRatio"}, "duration": "1h", "comment": "rolling back checkout"}


@pytest.fixture
def alertmanager(world: World, tmp_path: Path) -> Iterator[AlertmanagerConnector]:
    process = AlertmanagerProcess(world.scenario, tmp_path / "am").start()
    connector = AlertmanagerConnector(AlertmanagerConfig(url=process.url))
    world.connectors.alertmanager = connector
    try:
        yield connector
    finally:
        connector.close()
        process.stop()


def firing(connector: AlertmanagerConnector) -> set[str]:
    """Alerts firing and not muted (a poll lists silenced alerts too, with what mutes them)."""
    poll = connector.poll()
    return {a.name for a in poll.alerts if a.fingerprint not in poll.suppression}


def wait_for(check, timeout: float = 10) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@needs_alertmanager
def test_silence_is_previewed_created_reused_and_expired_on_a_real_alertmanager(
    world: World, alertmanager: AlertmanagerConnector
) -> None:
    assert "HighErrorRatio" in firing(alertmanager)
    action = propose(world, "alertmanager.silence", **SILENCE)
    assert action.target == "alerts alertname=HighErrorRatio"
    preview = actions.preview(action=action, connectors=world.connectors, settings=world.settings)
    text = "\n".join(preview.lines)
    assert 'alertname="HighErrorRatio"' in text and "duration 1h" in text
    assert "1 firing alert(s) match now" in text and "HighErrorRatio" in text
    assert alertmanager.silences() == []  # a preview creates nothing

    done = run(world, action, who="dana")
    assert done.status == "succeeded", done.error
    silence_id = done.result["silence_id"]
    [silence] = [s for s in alertmanager.silences() if s.id == silence_id]
    assert silence.state == "active" and silence.created_by == "dana" and action.id in silence.comment
    assert wait_for(lambda: "HighErrorRatio" not in firing(alertmanager))

    twin = propose(world, "alertmanager.silence", **{**SILENCE, "comment": "same matchers, other words"})
    reused = run(world, twin)
    assert reused.result["silence_id"] == silence_id and reused.result["reused"]
    assert len([s for s in alertmanager.silences() if s.state == "active"]) == 1

    expired = actions.expire_silence(
        world.store, action_id=action.id, connectors=world.connectors, settings=world.settings, who="dana"
    )
    assert expired.result["expired_at"]
    assert wait_for(lambda: "HighErrorRatio" in firing(alertmanager))
    assert [e.what for e in audit(world)][-1] == "expired"
    scale = propose(world, "kubernetes.scale", namespace="shop", deployment="checkout", replicas=4)
    with pytest.raises(actions.ActionError, match="not a silence"):
        actions.expire_silence(
            world.store, action_id=scale.id, connectors=world.connectors, settings=world.settings, who="dana"
        )


@pytest.fixture
def pagerduty(world: World) -> Iterator[PagerDutyStandIn]:
    stand_in = PagerDutyStandIn(
        data={"incidents": [make_incident("PCHK001", "checkout errors"), make_incident("PCHK002", "cart slow")]}
    ).start()
    cfg = PagerDutyConfig(api_token="sandbox-token", base_url=stand_in.url, from_email="oncall@example.com")
    connector = PagerDutyConnector(cfg, backoff_seconds=0.01)
    world.connectors.pagerduty = connector
    try:
        yield stand_in
    finally:
        connector.close()
        stand_in.stop()


def test_pagerduty_acknowledge_note_and_resolve(world: World, pagerduty: PagerDutyStandIn) -> None:
    ack = propose(world, "pagerduty.acknowledge", incident_id="PCHK001")
    preview = actions.preview(action=ack, connectors=world.connectors, settings=world.settings)
    assert any("checkout errors" in line and "triggered -> acknowledged" in line for line in preview.lines)
    assert pagerduty.mutations == []

    assert run(world, ack).status == "succeeded"
    assert pagerduty.incidents["PCHK001"]["status"] == "acknowledged"
    assert pagerduty.mutations[-1]["from"] == "oncall@example.com"

    note = run(world, propose(world, "pagerduty.note", incident_id="PCHK001", content="Rolled back checkout to 7."))
    assert note.status == "succeeded"
    assert [n["content"] for n in pagerduty.notes["PCHK001"]] == ["Rolled back checkout to 7."]

    assert run(world, propose(world, "pagerduty.resolve", incident_id="PCHK001")).status == "succeeded"
    assert pagerduty.incidents["PCHK001"]["status"] == "resolved"
    # proposing the same change again is the same action; one already done at the source sends nothing
    assert propose(world, "pagerduty.acknowledge", incident_id="PCHK001").status == "succeeded"
    pagerduty.resolve_all()  # PCHK002 resolved by someone in the PagerDuty web app
    sent = len(pagerduty.mutations)
    late = run(world, propose(world, "pagerduty.acknowledge", incident_id="PCHK002"))
    assert late.status == "succeeded" and late.result["message"] == "already resolved"
    missing = run(world, propose(world, "pagerduty.resolve", incident_id="PNOPE01"))
    assert missing.status == "failed" and "not found" in (missing.error or "").lower()
    assert len(pagerduty.mutations) == sent


def test_incident_audit_prints_the_log(world: World, pagerduty: PagerDutyStandIn, tmp_path: Path) -> None:
    run(world, propose(world, "pagerduty.acknowledge", incident_id="PCHK001"), who="dana")
    actions.reject(
        world.store,
        action_id=propose(world, "pagerduty.resolve", incident_id="PCHK001").id,
        who="eve",
        reason="too soon",
    )
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\nurl = "sqlite:///{world.db}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_")} | {"COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-m", "incident", "--config", str(config), "audit", str(world.incident_id)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if "dana" in line or "eve" in line]
    assert [w for line in lines for w in ("approved", "executing", "succeeded", "rejected") if f" {w} " in line] == [
        "approved",
        "executing",
        "succeeded",
        "rejected",
    ]
    assert "too soon" in out.stdout and "acknowledged PagerDuty incident PCHK001" in out.stdout
    other = subprocess.run(
        [sys.executable, "-m", "incident", "--config", str(config), "audit", "999"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert other.returncode == 1 and "no such incident 999" in other.stderr  # not "no entries" (issue 12)
