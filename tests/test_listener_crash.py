"""The durable inbox: a webhook acknowledged by a watcher killed with -9 before it processed it is
processed when the watcher starts again, once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from connectors.pagerduty.webhook import sign
from incident.config import dump_toml
from incident.models import InboxItem, Incident
from incident.sandbox.http import Response, StandInServer
from incident.store import Store
from tests.test_webhooks import am_body, pd_body

SECRET = "whsec-crash"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def slow_pagerduty() -> StandInServer:
    """A PagerDuty API that knows no incident and, while ``delay_seconds`` is set, answers late."""
    server = StandInServer()
    server.route("GET", r"/.*", lambda _r: Response(404, {"error": {"message": "Not Found", "code": 2100}}))
    return server.start()


def wait_for(predicate, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_kill_9_after_the_2xx_then_restart_processes_the_webhook(tmp_path: Path) -> None:
    db = tmp_path / "watch.db"
    api = slow_pagerduty()
    api.delay_seconds = 60  # processing the webhook asks the API first: it hangs there
    config = tmp_path / "config.toml"
    config.write_text(
        dump_toml(
            {
                "store": {"url": f"sqlite:///{db}"},
                "kubernetes": {"enabled": False},
                "pagerduty": {"api_token": "t", "base_url": api.url, "webhook_secret": SECRET, "timeout": "120s"},
                "watcher": {"poll_interval": "1h", "refresh_interval": "1h"},
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_")}
    cmd = [sys.executable, "-c", "from incident.cli import main; main()", "--config", str(config), "watch"]
    port = free_port()
    proc = subprocess.Popen(
        [*cmd, "--listen", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    store: Store | None = None
    try:

        def listening() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(listening, 60)
        body = pd_body()
        am = am_body()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            r = client.post(
                "/webhooks/pagerduty",
                content=body,
                headers={"content-type": "application/json", "X-PagerDuty-Signature": sign(body, SECRET)},
            )
            assert r.status_code == 202
            # queued behind the PagerDuty one: the worker processes in arrival order
            assert client.post("/webhooks/alertmanager", json=am).status_code == 202
        store = Store(f"sqlite:///{db}")
        wait_for(lambda: len(api.requests) > 0)  # processing has begun, and hangs on the API
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert store is not None
    with store.session() as s:
        assert [i.status for i in s.scalars(select(InboxItem).order_by(InboxItem.id))] == ["pending", "pending"]
        assert s.scalars(select(Incident)).all() == []  # acknowledged, not processed: the crash case

    api.delay_seconds = 0
    for _ in range(2):  # processed on start; a second start finds nothing left to do
        restart = subprocess.run([*cmd, "--once"], env=env, capture_output=True, text=True, timeout=120)
        assert restart.returncode == 0, restart.stderr
    api.stop()
    with store.session() as s:
        assert [i.status for i in s.scalars(select(InboxItem))] == ["done", "done"]
        incidents = {(i.source, i.source_ref) for i in s.scalars(select(Incident))}
    assert incidents == {("pagerduty", "Q1PD"), ("alertmanager", "fp-checkout-1")}
    store.close()
