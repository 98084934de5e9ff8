"""One row of the reliability table each: run in a process of its own so its peak RSS is its own.

Every row returns accepted, refused, lost and duplicated counts plus a note; what they count is
said per row (a webhook payload, an alert, an incident).
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.reliability.fuzz import FuzzTarget, fuzz_endpoint
from benchmarks.reliability.payloads import JSON_HEADERS
from incident.models import Alert, Incident, TimelineEvent
from incident.store import Store

BURST_ALERTS = 1_000
BURST_COMPONENTS = 100
BURST_BATCH = 10
UPSTREAM_INCIDENTS = 20


def fuzz_row(endpoint: str, examples: int, store_url: str | None = None) -> dict[str, Any]:
    """``store_url`` (PostgreSQL, say) instead of a fresh SQLite file; its other rows are left alone."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(store_url or f"sqlite:///{Path(tmp) / 'fuzz.db'}")
        with FuzzTarget(store) as target:
            fuzz_endpoint(target, endpoint, examples)
            outcome = next(o for o in target.verify() if o.endpoint == endpoint)
        store.close()
    kinds = ", ".join(f"{k} {outcome.accepted_kinds.get(k, 0)}/{v}" for k, v in sorted(outcome.kinds.items()))
    problems = outcome.server_errors + [f"refusal wrote: {r}" for r in outcome.refusals_that_wrote]
    if outcome.failed_inbox:
        problems.append(f"{outcome.failed_inbox} inbox items not processed")
    return {
        "accepted": outcome.accepted,
        "refused": outcome.refused,
        "lost": outcome.lost,
        "duplicated": outcome.duplicated,
        "note": f"{outcome.payloads} payloads (kind accepted/sent: {kinds}); 5xx {len(outcome.server_errors)}"
        + (f"; PROBLEMS: {problems[:5]}" if problems else ""),
    }


def burst_row() -> dict[str, Any]:
    """1,000 firing alerts over 100 components in notifications of ten through the Alertmanager webhook."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'burst.db'}")
        with FuzzTarget(store) as target:
            started = time.monotonic()
            accepted = refused = 0
            for batch in range(BURST_ALERTS // BURST_BATCH):
                alerts = [_burst_alert(batch * BURST_BATCH + k) for k in range(BURST_BATCH)]
                answer = target.client.post(
                    "/webhooks/alertmanager", content=json.dumps(_notification(alerts)), headers=JSON_HEADERS
                )
                if answer.status_code == 202:
                    accepted += len(alerts)
                else:
                    refused += len(alerts)
            target.watcher.inbox.drain()
            target.watcher.dispatch.shutdown(wait=True)  # queued gathering finished
            seconds = time.monotonic() - started
            with store.session() as s:
                rows = dict(s.execute(select(Alert.fingerprint, func.count()).group_by(Alert.fingerprint)).all())
                components = dict(
                    s.execute(select(Incident.component, func.count()).group_by(Incident.component)).all()
                )
                with_timeline = s.scalar(select(func.count(func.distinct(TimelineEvent.incident_id)))) or 0
                incidents = s.scalar(select(func.count()).select_from(Incident)) or 0
                kinds = dict(s.execute(select(TimelineEvent.kind, func.count()).group_by(TimelineEvent.kind)).all())
        store.close()
    lost = sum(1 for i in range(BURST_ALERTS) if rows.get(f"burst{i:04d}", 0) == 0)
    duplicated = sum(n - 1 for n in rows.values() if n > 1)
    split = sum(1 for n in components.values() if n > 1)
    return {
        "accepted": accepted,
        "refused": refused,
        "lost": lost,
        "duplicated": duplicated,
        "note": f"{incidents} incidents for {BURST_COMPONENTS} components ({split} split), "
        f"{with_timeline} with a timeline (events: {kinds}; no connectors configured); {seconds:.1f} s",
    }


def _burst_alert(i: int) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": "Burst", "service": f"comp{i % BURST_COMPONENTS:03d}", "n": str(i)},
        "annotations": {"summary": f"burst alert {i}"},
        "startsAt": "2026-12-07T21:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": f"burst{i:04d}",
    }


def _notification(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": "4", "status": "firing", "receiver": "oncall", "groupKey": "{}:{}", "alerts": alerts}


def upstream_row(mode: str) -> dict[str, Any]:
    """20 incidents gathered with Prometheus dripping a byte a second or flooding 100 MB (the bundled
    checkout scenario's sandbox serves Kubernetes and the catalog): an incident that got no Kubernetes
    or catalog data counts as lost."""
    from benchmarks import SCENARIOS
    from connectors.base import AlertRecord
    from incident.config import load_settings
    from incident.registry import build_connectors
    from incident.sandbox.faulty import FaultyUpstream
    from incident.sandbox.runner import Sandbox
    from incident.scenario import load_scenario
    from incident.timeline import timeline
    from incident.watcher import Watcher

    scenario = load_scenario(SCENARIOS / "checkout-bad-deploy")
    upstream = FaultyUpstream("drip", interval=1.0) if mode == "drip" else FaultyUpstream("flood")
    with tempfile.TemporaryDirectory() as tmp, upstream, Sandbox(scenario, Path(tmp) / "sb", binaries=False) as box:
        cfg = box.config(store_url=f"sqlite:///{Path(tmp) / 'up.db'}")
        cfg["prometheus"] = {"url": upstream.url, "timeout": "5s", "deadline": "2s", "max_answer_bytes": 4 * 2**20}
        cfg["watcher"] |= {"gather_timeout": "5s", "group_window": "1m"}
        settings = load_settings(overlays=[cfg], user_file=False)
        store = Store(settings.store.url)
        watcher = Watcher(settings, store, build_connectors(settings))
        started = time.monotonic()
        try:
            watcher.ensure_catalog()
            components = sorted(watcher.catalog.components)
            alerts = [
                AlertRecord(
                    source="alertmanager",
                    fingerprint=f"{mode}{i:02d}",
                    name="Upstream",
                    status="firing",
                    starts_at=scenario.page_at - timedelta(minutes=10 * i),
                    labels={"alertname": "Upstream", "service": components[i % len(components)]},
                )
                for i in range(UPSTREAM_INCIDENTS)
            ]
            ids = watcher.ingest_alerts(alerts)
            for future in watcher.gather_async(ids):
                future.result(timeout=300)
        finally:
            watcher.stop()
        seconds = time.monotonic() - started
        with store.session() as s:
            incidents = list(s.scalars(select(Incident)))
            events = {i.id: timeline(s, i.id) for i in incidents}
        store.close()
        sent = upstream.bytes_sent
    starved = 0
    refusals = 0
    for incident in incidents:
        sources = {e.source for e in events[incident.id] if e.kind not in ("connector_error", "note")}
        starved += bool({"kubernetes", "catalog"} - sources)
        refusals += sum(1 for e in events[incident.id] if e.kind == "connector_error" and e.source == "prometheus")
    return {
        "accepted": len(incidents),
        "refused": refusals,
        "lost": starved + (UPSTREAM_INCIDENTS - len(incidents)),
        "duplicated": max(0, len(incidents) - UPSTREAM_INCIDENTS),
        "note": f"{UPSTREAM_INCIDENTS} incidents gathered in {seconds:.1f} s; Prometheus refused "
        f"(deadline 2 s, cap 4 MiB) on {refusals}; {sent / 2**20:.1f} MiB left the upstream",
    }


KILLS = 10


def kill_row() -> dict[str, Any]:
    """``incident watch --listen`` killed with -9 ten times while a sender posts notifications of five
    new alerts each; every alert acknowledged before a kill must be stored once after the restarts."""
    import os
    import random
    import signal
    import socket
    import subprocess
    import sys
    import threading

    import httpx

    from incident.config import dump_toml

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kill.db"
        config = Path(tmp) / "config.toml"
        config.write_text(
            dump_toml(
                {
                    "store": {"url": f"sqlite:///{db}"},
                    "kubernetes": {"enabled": False},
                    "watcher": {"poll_interval": "1h", "refresh_interval": "1h"},
                }
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_")}
        cmd = [sys.executable, "-c", "from incident.cli import main; main()", "--config", str(config), "watch"]
        owed: set[str] = set()
        accepted = refused = sent = 0
        rng = random.Random(7)
        for cycle in range(KILLS):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            proc = subprocess.Popen(
                [*cmd, "--listen", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            url = f"http://127.0.0.1:{port}"
            _wait_listening(url)
            stop = threading.Event()
            counts = {"accepted": 0, "refused": 0, "sent": 0}

            def send(
                cycle: int = cycle, url: str = url, stop: threading.Event = stop, counts: dict[str, int] = counts
            ) -> None:
                with httpx.Client(base_url=url, timeout=5) as client:
                    batch = 0
                    while not stop.is_set():
                        alerts = [_kill_alert(cycle, batch, k) for k in range(5)]
                        batch += 1
                        counts["sent"] += len(alerts)
                        try:
                            answer = client.post(
                                "/webhooks/alertmanager",
                                content=json.dumps(_notification(alerts)),
                                headers=JSON_HEADERS,
                            )
                        except httpx.HTTPError:  # killed: no answer, not owed (Alertmanager retries)
                            counts["refused"] += len(alerts)
                            return
                        if answer.status_code == 202:
                            counts["accepted"] += len(alerts)
                            owed.update(a["fingerprint"] for a in alerts)
                        else:
                            counts["refused"] += len(alerts)

            sender = threading.Thread(target=send)
            sender.start()
            time.sleep(rng.uniform(0.3, 1.5))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            stop.set()
            sender.join(10)
            accepted += counts["accepted"]
            refused += counts["refused"]
            sent += counts["sent"]
        done = subprocess.run([*cmd, "--once"], env=env, capture_output=True, text=True, timeout=300)
        store = Store(f"sqlite:///{db}")
        with store.session() as s:
            rows = dict(s.execute(select(Alert.fingerprint, func.count()).group_by(Alert.fingerprint)).all())
        store.close()
    lost = sum(1 for fp in owed if rows.get(fp, 0) == 0)
    duplicated = sum(n - 1 for n in rows.values() if n > 1)
    return {
        "accepted": accepted,
        "refused": refused,
        "lost": lost,
        "duplicated": duplicated,
        "note": f"alerts; {KILLS} kill -9 of `incident watch --listen` during webhook intake and processing, "
        f"then `watch --once` (exit {done.returncode}); {sent} alerts sent, {len(rows)} stored; refused = "
        "unanswered when killed; no connectors (gathering trivial); RSS is the sender's, not the watcher's",
    }


def _wait_listening(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the watcher at {url} did not listen within {timeout:g} s")


def _kill_alert(cycle: int, batch: int, k: int) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": "Killed", "service": f"comp{k}", "n": f"{cycle}-{batch}-{k}"},
        "annotations": {},
        "startsAt": "2026-12-07T21:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": f"kill-{cycle}-{batch}-{k}",
    }
