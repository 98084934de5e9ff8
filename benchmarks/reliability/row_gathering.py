"""The ``kill-9-gathering`` row: ten kill -9s of ``incident watch`` while it gathers with real
connectors, then ``incident watch --once``; the result is compared with an uninterrupted run.

The bundled checkout scenario's sandbox serves the connectors: the real Prometheus and Alertmanager
binaries (when installed) and the Kubernetes and catalog stand-ins. Before each start two new alerts
on two components are posted to Alertmanager, so every start has new incidents to open and gather
besides the open ones it re-gathers; the kill comes at a random moment once they are opened.

Afterwards a reference store is built from the same Alertmanager by one uninterrupted
``watch --once``: every incident of the killed store must have the same timeline (the same
(source, kind) pairs) and the same number of hypotheses as its twin there, and no event, hypothesis
or alert twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from incident.models import Alert, Hypothesis, Incident, TimelineEvent
from incident.store import Store

KILLS = 10
PER_CYCLE = 2
ALERT = "KillGather"
Key = frozenset[str]


def gathering_row() -> dict[str, Any]:
    from benchmarks import SCENARIOS
    from incident.config import dump_toml
    from incident.sandbox.runner import Sandbox
    from incident.scenario import load_scenario

    scenario = load_scenario(SCENARIOS / "checkout-bad-deploy")
    rng = random.Random(5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_")}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, Sandbox(scenario, Path(tmp) / "sb", binaries=True) as box:
        alertmanager = box.url("alertmanager")
        if not alertmanager:
            raise RuntimeError(f"the sandbox has no Alertmanager: {box.notes}")
        prometheus = "real Prometheus" if box.url("prometheus") else f"no Prometheus ({box.notes.get('prometheus')})"
        configs = {}
        for name in ("killed", "reference"):
            cfg = box.config(store_url=f"sqlite:///{Path(tmp) / name}.db")
            cfg["watcher"] |= {"group_window": "1m"}
            configs[name] = Path(tmp) / f"{name}.toml"
            configs[name].write_text(dump_toml(cfg))
        cli = [sys.executable, "-c", "from incident.cli import main; main()", "--config"]
        components = sorted({str(c["metadata"]["name"]) for c in scenario.catalog if c.get("kind") == "Component"})
        store = Store(f"sqlite:///{Path(tmp) / 'killed.db'}")
        at_kill: Counter[str] = Counter()
        try:
            for cycle in range(KILLS):
                _post_alerts(alertmanager, scenario.page_at, components, cycle)
                proc = subprocess.Popen(
                    [*cli, str(configs["killed"]), "watch"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                _wait_opened(store, PER_CYCLE * (cycle + 1), proc)
                time.sleep(rng.uniform(0, 1.5))
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
                at_kill.update(_state(store))
            once = subprocess.run(
                [*cli, str(configs["killed"]), "watch", "--once"], env=env, capture_output=True, text=True, timeout=600
            )
            killed = _snapshot(store)
        finally:
            store.close()
        reference_once = subprocess.run(
            [*cli, str(configs["reference"]), "watch", "--once"], env=env, capture_output=True, text=True, timeout=600
        )
        reference_store = Store(f"sqlite:///{Path(tmp) / 'reference.db'}")
        try:
            reference = _snapshot(reference_store)
        finally:
            reference_store.close()
    if once.returncode or reference_once.returncode:
        raise RuntimeError(f"watch --once failed: {once.stderr[-300:]} {reference_once.stderr[-300:]}")
    return _compare(killed, reference, at_kill, prometheus, time.monotonic() - started)


def _post_alerts(url: str, page_at: datetime, components: list[str], cycle: int) -> None:
    """Two firing alerts, each on its own component and far enough apart in time to be its own incident."""
    ends = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    alerts = []
    for k in range(PER_CYCLE):
        n = cycle * PER_CYCLE + k
        alerts.append(
            {
                "labels": {"alertname": ALERT, "service": components[n % len(components)], "n": str(n)},
                "annotations": {"summary": f"kill-9 gathering alert {n}"},
                "startsAt": (page_at - timedelta(minutes=10 * (n + 1))).isoformat(),
                "endsAt": ends,
            }
        )
    httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=10).raise_for_status()


def _wait_opened(store: Store, wanted: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with store.session() as s:
            if (s.scalar(select(func.count()).select_from(Alert).where(Alert.name == ALERT)) or 0) >= wanted:
                return
        time.sleep(0.05)


def _state(store: Store) -> Counter[str]:
    """What a kill interrupted: incidents not gathered yet, gathered but not analysed since."""
    last = (
        select(Hypothesis.incident_id, func.max(Hypothesis.updated_at).label("at"))
        .where(Hypothesis.source == "analyzer")
        .group_by(Hypothesis.incident_id)
        .subquery()
    )
    with store.session() as s:
        ungathered = s.scalar(select(func.count()).select_from(Incident).where(Incident.gathered_at.is_(None))) or 0
        unanalysed = (
            s.scalar(
                select(func.count())
                .select_from(Incident)
                .outerjoin(last, last.c.incident_id == Incident.id)
                .where(Incident.gathered_at.is_not(None), last.c.at.is_(None) | (last.c.at < Incident.gathered_at))
            )
            or 0
        )
    return Counter({"not gathered": ungathered, "gathered, not analysed": unanalysed})


Snapshot = dict[str, Any]


def _snapshot(store: Store) -> Snapshot:
    """Per incident (keyed by its alerts): timeline (source, kind) pairs, hypotheses, duplicates."""
    out: Snapshot = {"incidents": {}, "alert_rows": Counter(), "connector_errors": 0, "posted": 0}
    with store.session() as s:
        for incident in s.scalars(select(Incident)):
            alerts = list(s.scalars(select(Alert).where(Alert.incident_id == incident.id)))
            key: Key = frozenset(f"{a.name}/{a.labels.get('n', '')}/{a.component}" for a in alerts)
            events = list(s.scalars(select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)))
            hypotheses = list(s.scalars(select(Hypothesis).where(Hypothesis.incident_id == incident.id)))
            same_event = Counter((e.kind, e.source, e.at, e.summary) for e in events)
            same_hypothesis = Counter((h.source, h.kind, h.component, h.summary) for h in hypotheses)
            out["incidents"][key] = {
                "gathered": incident.gathered_at is not None,
                "pairs": {(e.source, e.kind) for e in events},
                "hypotheses": len(hypotheses),
                "events": len(events),
                "duplicate_events": sum(n - 1 for n in same_event.values()),
                "duplicate_hypotheses": sum(n - 1 for n in same_hypothesis.values()),
            }
            out["connector_errors"] += sum(1 for e in events if e.kind == "connector_error")
        for name, labels in s.execute(select(Alert.name, Alert.labels)):
            out["alert_rows"][f"{name}/{labels.get('n', '')}"] += 1
    return out


def _compare(
    killed: Snapshot, reference: Snapshot, at_kill: Counter[str], prometheus: str, seconds: float
) -> dict[str, Any]:
    posted = {f"{ALERT}/{n}" for n in range(KILLS * PER_CYCLE)}
    lost = sum(1 for a in posted if killed["alert_rows"].get(a, 0) == 0)
    duplicated = sum(n - 1 for n in killed["alert_rows"].values() if n > 1)
    problems: list[str] = []
    complete = 0
    for key, ref in reference["incidents"].items():
        got = killed["incidents"].get(key)
        if got is None:
            lost += 1
            problems.append(f"no incident for {sorted(key)}")
            continue
        extra_events = got["duplicate_events"] - ref["duplicate_events"]
        extra_hypotheses = got["duplicate_hypotheses"] - ref["duplicate_hypotheses"]
        duplicated += max(0, extra_events) + max(0, extra_hypotheses)
        missing = ref["pairs"] - got["pairs"]
        if not got["gathered"] or missing or got["hypotheses"] < ref["hypotheses"]:
            lost += 1
            problems.append(f"{sorted(key)}: missing {sorted(missing)}, {got['hypotheses']}/{ref['hypotheses']} hyp.")
        else:
            complete += 1
    duplicated += max(0, len(killed["incidents"]) - len(reference["incidents"]))
    events = sum(i["events"] for i in killed["incidents"].values())
    hypotheses = sum(i["hypotheses"] for i in killed["incidents"].values())
    return {
        "accepted": complete,
        "refused": killed["connector_errors"],
        "lost": lost,
        "duplicated": duplicated,
        "note": f"incidents; {KILLS} kill -9 of `incident watch` while gathering ({prometheus}, Alertmanager "
        f"binary, Kubernetes and catalog stand-ins; {PER_CYCLE} new alerts before each start; summed over the kills: "
        f"{at_kill['not gathered']} incident(s) not gathered, {at_kill['gathered, not analysed']} gathered with no "
        f"analyzer hypothesis since), then `watch --once`; accepted = incidents whose timeline ((source, kind) "
        f"pairs) and hypothesis count match an uninterrupted run's ({len(reference['incidents'])} incidents), "
        f"refused = connector_error events; {events} events, {hypotheses} hypotheses, no event/hypothesis/alert twice "
        f"unless counted as duplicated; RSS is the benchmark's (stand-ins in "
        f"process), not the watcher's; {seconds:.0f} s" + (f"; PROBLEMS: {problems[:5]}" if problems else ""),
    }
