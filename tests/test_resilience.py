"""A dead, slow or garbage-speaking connector degrades the timeline with a visible note and never
blocks the others; a watcher killed with -9 mid-gathering restarts without duplicates or losses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from incident.config import dump_toml, load_settings
from incident.models import Incident, TimelineEvent
from incident.registry import build_connectors
from incident.sandbox.http import Response, StandInServer
from incident.sandbox.runner import Sandbox
from incident.scenario import load_scenario
from incident.store import Store
from incident.timeline import timeline
from incident.watcher import Watcher
from tests.conftest import SCENARIOS

DEFAULT = SCENARIOS / "checkout-bad-deploy"
pytestmark = pytest.mark.skipif(not DEFAULT.is_dir(), reason="bundled default scenario missing")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def garbage_server() -> StandInServer:
    server = StandInServer()
    html = Response(200, "<html><body>Login required</body></html>", content_type="text/html")
    for method in ("GET", "POST"):
        server.route(method, r"/.*", lambda _r: html)
    return server.start()


def run_with(box: Sandbox, tmp_path: Path, **override: dict) -> tuple[Store, list[TimelineEvent]]:
    cfg = box.config(store_url=f"sqlite:///{tmp_path / 'r.db'}")
    for section, values in override.items():
        cfg[section] = {**cfg.get(section, {}), **values}
    settings = load_settings(overlays=[cfg], user_file=False)
    store = Store(settings.store.url)
    watcher = Watcher(settings, store, build_connectors(settings))
    try:
        started = time.monotonic()
        assert watcher.run_once()
        elapsed = time.monotonic() - started
    finally:
        watcher.stop()
    with store.session() as s:
        incident = s.scalars(select(Incident).order_by(Incident.id)).first()
        assert incident is not None
        events = timeline(s, incident.id)
    events[0].details["_elapsed"] = elapsed  # for the timeout test
    return store, events


def test_dead_and_garbage_connectors_become_notes(tmp_path: Path) -> None:
    garbage = garbage_server()
    try:
        with Sandbox(load_scenario(DEFAULT), tmp_path / "sb", binaries=False) as box:
            _, events = run_with(
                box,
                tmp_path,
                kubernetes={"host": f"http://127.0.0.1:{free_port()}"},  # nothing listens there
                prometheus={"url": garbage.url},
            )
    finally:
        garbage.stop()
    errors = {e.source: e.summary for e in events if e.kind == "connector_error"}
    assert set(errors) == {"kubernetes", "prometheus"}
    assert "timeline has no pod state" in errors["kubernetes"]
    assert "metrics" in errors["prometheus"]
    # the healthy connectors still made it onto the timeline
    kinds = {e.kind for e in events}
    assert {"alert", "ownership"} <= kinds


def test_a_slow_connector_times_out_without_blocking_the_rest(tmp_path: Path) -> None:
    with Sandbox(load_scenario(DEFAULT), tmp_path / "sb", binaries=False) as box:
        box.parts["kubernetes"].delay_seconds = 5
        _, events = run_with(box, tmp_path, watcher={"gather_timeout": "1s"})
        box.parts["kubernetes"].delay_seconds = 0
    errors = [e for e in events if e.kind == "connector_error"]
    assert [e.source for e in errors] == ["kubernetes"]
    assert "no answer within 1 s" in errors[0].summary
    assert "ownership" in {e.kind for e in events}
    assert events[0].details["_elapsed"] < 4.5


def _wait_for(predicate, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_kill_9_during_gathering_then_restart(tmp_path: Path) -> None:
    db = tmp_path / "watch.db"
    with Sandbox(load_scenario(DEFAULT), tmp_path / "sb", binaries=False) as box:
        cfg = box.config(store_url=f"sqlite:///{db}")
        cfg["watcher"] |= {"poll_interval": "1s", "gather_timeout": "60s"}
        config = tmp_path / "config.toml"
        config.write_text(dump_toml(cfg))
        box.parts["kubernetes"].delay_seconds = 1.0  # gathering takes many seconds: kill lands inside it
        env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_")}
        cmd = [
            sys.executable,
            "-c",
            "from incident.cli import main; main()",
            "--config",
            str(config),
            "watch",
        ]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        store = Store(f"sqlite:///{db}") if db.exists() else None

        def gathering_started() -> bool:
            nonlocal store
            if store is None:
                if not db.exists():
                    return False
                store = Store(f"sqlite:///{db}")
            with store.session() as s:
                started = s.scalar(
                    select(func.count()).select_from(TimelineEvent).where(TimelineEvent.source == "catalog")
                )
                return bool(started)

        try:
            _wait_for(gathering_started)
            assert store is not None
            with store.session() as s:
                assert s.scalar(select(Incident.gathered_at)) is None  # still gathering
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        box.parts["kubernetes"].delay_seconds = 0
        restart = subprocess.run([*cmd, "--once"], env=env, capture_output=True, text=True, timeout=120)
        assert restart.returncode == 0, restart.stderr
    with store.session() as s:
        incidents = list(s.scalars(select(Incident)))
        assert len(incidents) == len({i.dedup_key for i in incidents})
        paged = [i for i in incidents if i.component == "checkout"]
        assert len(paged) == 1 and paged[0].gathered_at is not None
        events = timeline(s, paged[0].id)
    facts = [(e.kind, e.summary) for e in events if e.kind != "note"]
    assert len(facts) == len(set(facts)), "duplicate timeline facts after restart"
    assert {"alert", "pod_state", "deploy", "ownership"} <= {e.kind for e in events}
    store.close()
