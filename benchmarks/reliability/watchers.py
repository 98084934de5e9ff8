"""Several ``incident watch --listen`` processes on one PostgreSQL store, the leader killed with -9.

Each watcher polls the same Alertmanager (a stand-in answering a fixed set of firing alerts) and
listens for webhooks; a sender posts every notification to two watchers at once (a duplicate
delivery, as two Alertmanager replicas would make). Every round the leader is killed and a new
follower started in its place. Counted: alerts acknowledged by some watcher (accepted), alerts
never stored though acknowledged (lost), extra rows or incidents for one alert (duplicated), the
longest failover, and polls run by a watcher that was not leading (must be 0).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from incident.config import dump_toml
from incident.models import Alert, InboxItem, Incident
from incident.sandbox.http import Response, StandInServer
from incident.sandbox.procs import free_port
from incident.store import Store

JSON_HEADERS = {"Content-Type": "application/json"}
POLLED = 3
"""Alerts the Alertmanager stand-in keeps firing (opened by the leader's polls only)."""


def _polled_alert(i: int, tag: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": "Polled", "service": f"polled{i}-{tag}", "severity": "critical"},
        "annotations": {},
        "startsAt": "2026-12-07T21:00:00.000Z",
        "endsAt": "2099-01-01T00:00:00.000Z",
        "updatedAt": "2026-12-07T21:00:00.000Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": f"{tag}{i + 1:08x}",
        "receivers": [{"name": "oncall"}],
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": [], "mutedBy": []},
    }


def alertmanager_stand_in(alerts: list[dict[str, Any]]) -> StandInServer:
    """Answers ``alerts`` (the list may grow: the sender adds what it notifies, as a real
    Alertmanager polls what it notifies, so webhook alerts are not resolved as absent)."""
    server = StandInServer()
    server.route("GET", r"/api/v2/alerts.*", lambda _r: Response(200, list(alerts)))
    server.route("GET", r"/api/v2/status", lambda _r: Response(200, {"versionInfo": {"version": "stand-in"}}))
    return server.start()


@dataclass
class Scrape:
    leader: bool
    polls: float


@dataclass
class WatcherProcess:
    proc: subprocess.Popen[bytes]
    url: str
    ever_led: bool = False

    def scrape(self) -> Scrape | None:
        try:
            text = httpx.get(f"{self.url}/metrics", timeout=2).text
        except httpx.HTTPError:
            return None
        leader, polls = False, 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "incident_watcher_leader":
                    leader = sample.value == 1
                elif sample.name == "incident_polls_total":
                    polls += sample.value
        return Scrape(leader, polls)


@dataclass
class Cluster:
    store_url: str
    tmp: Path
    alertmanager_url: str
    poll_seconds: float = 1.0
    members: list[WatcherProcess] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def start_one(self) -> WatcherProcess:
        config = self.tmp / f"watcher{len(self.members)}.toml"
        config.write_text(
            dump_toml(
                {
                    "store": {"url": self.store_url},
                    "kubernetes": {"enabled": False},
                    "alertmanager": {"url": self.alertmanager_url},
                    "watcher": {"poll_interval": f"{self.poll_seconds:g}s", "refresh_interval": "5s"},
                }
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENT_")}
        port = free_port()
        cmd = [sys.executable, "-c", "from incident.cli import main; main()", "--config", str(config), "watch"]
        proc = subprocess.Popen(
            [*cmd, "--listen", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        member = WatcherProcess(proc, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while member.scrape() is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"watcher {member.url} did not start")
            time.sleep(0.1)
        self.members.append(member)
        return member

    def live(self) -> list[WatcherProcess]:
        return [m for m in self.members if m.proc.poll() is None]

    def leaders(self) -> list[WatcherProcess]:
        """Scrape every live watcher; note a split brain or a follower that polled."""
        leading = []
        for member in self.live():
            scrape = member.scrape()
            if scrape is None:
                continue
            member.ever_led |= scrape.leader
            if scrape.leader:
                leading.append(member)
            elif scrape.polls and not member.ever_led:
                self.problems.append(f"{member.url} polled {scrape.polls:g} times without leading")
        if len(leading) > 1:
            self.problems.append(f"{len(leading)} leaders at once")
        return leading

    def await_leader(self, timeout: float) -> tuple[WatcherProcess, float]:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            leading = self.leaders()
            if len(leading) == 1:
                return leading[0], time.monotonic() - started
            time.sleep(0.05)
        raise RuntimeError(f"no leader within {timeout:g} s")

    def stop(self) -> None:
        for member in self.members:
            if member.proc.poll() is None:
                member.proc.send_signal(signal.SIGINT)
        for member in self.members:
            try:
                member.proc.wait(20)
            except subprocess.TimeoutExpired:
                member.proc.kill()
                member.proc.wait()


class Sender(threading.Thread):
    """Posts notifications of two new alerts each to two live watchers (a duplicate delivery)."""

    def __init__(self, cluster: Cluster, firing: list[dict[str, Any]], tag: str) -> None:
        super().__init__(daemon=True)
        self.cluster = cluster
        self.firing = firing
        self.tag = tag
        self.halt = threading.Event()
        self.owed: set[str] = set()
        self.sent = self.accepted = self.refused = 0
        self._n = 0

    def run(self) -> None:
        while not self.halt.is_set():
            live = self.cluster.live()
            if not live:
                time.sleep(0.05)
                continue
            alerts = [self._alert() for _ in range(2)]
            self.firing.extend(
                {**_polled_alert(0, self.tag), "labels": a["labels"], "fingerprint": a["fingerprint"]} for a in alerts
            )
            body = json.dumps({"version": "4", "status": "firing", "receiver": "oncall", "alerts": alerts})
            self.sent += len(alerts)
            answered = False
            for member in (live[self._n % len(live)], live[(self._n + 1) % len(live)]):
                try:
                    answer = httpx.post(
                        f"{member.url}/webhooks/alertmanager", content=body, headers=JSON_HEADERS, timeout=5
                    )
                    answered |= answer.status_code == 202
                except httpx.HTTPError:
                    pass  # killed mid-request: unanswered (Alertmanager would retry)
            if answered:
                self.accepted += len(alerts)
                self.owed.update(a["fingerprint"] for a in alerts)
            else:
                self.refused += len(alerts)
            time.sleep(0.02)

    def _alert(self) -> dict[str, Any]:
        self._n += 1
        return {
            "status": "firing",
            "labels": {"alertname": "Sent", "service": f"sent{self._n % 20}-{self.tag}", "n": str(self._n)},
            "annotations": {},
            "startsAt": "2026-12-07T21:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": f"sent-{self.tag}-{self._n}",
        }


def run_cluster(store_url: str, *, watchers: int = 3, kills: int = 3, poll_seconds: float = 1.0) -> dict[str, Any]:
    """Start ``watchers`` on a store, kill the leader ``kills`` times under load, then let the
    survivors settle. Only this run's alerts and components are counted (a tag in every name)."""
    tag = f"{os.getpid():x}{int(time.time()) % 65536:04x}"
    firing = [_polled_alert(i, tag) for i in range(POLLED)]
    alertmanager = alertmanager_stand_in(firing)
    with tempfile.TemporaryDirectory() as tmp:
        cluster = Cluster(store_url, Path(tmp), alertmanager.url, poll_seconds)
        sender = Sender(cluster, firing, tag)
        failovers: list[float] = []
        try:
            for _ in range(watchers):
                cluster.start_one()
            cluster.await_leader(30)
            sender.start()
            for _ in range(kills):
                time.sleep(1.5)
                leader, _ = cluster.await_leader(30)
                os.kill(leader.proc.pid, signal.SIGKILL)
                leader.proc.wait(10)
                _, seconds = cluster.await_leader(30)
                failovers.append(seconds)
                cluster.start_one()
            time.sleep(1.0)
            sender.halt.set()
            sender.join(30)
            settled = _settle(store_url, cluster, tag, timeout=120)
        finally:
            sender.halt.set()
            cluster.stop()
            alertmanager.stop()
    store = Store(store_url)
    with store.session() as s:
        mine = Alert.fingerprint.contains(tag)
        rows = dict(s.execute(select(Alert.fingerprint, func.count()).where(mine).group_by(Alert.fingerprint)).all())
        components = select(Incident.component, func.count()).where(Incident.component.contains(tag))
        per_component = dict(s.execute(components.group_by(Incident.component)).all())
        ungathered = _ungathered(s, tag)
    store.close()
    polled = {f"{tag}{i + 1:08x}" for i in range(POLLED)}
    lost = sum(1 for fp in sender.owed | polled if rows.get(fp, 0) == 0)
    duplicated = sum(n - 1 for n in rows.values() if n > 1) + sum(n - 1 for n in per_component.values() if n > 1)
    return {
        "accepted": sender.accepted,
        "refused": sender.refused,
        "lost": lost,
        "duplicated": duplicated,
        "failovers": failovers,
        "problems": cluster.problems + ([] if settled else ["inbox not drained in time"]),
        "ungathered": ungathered,
        "incidents": sum(per_component.values()),
        "sent": sender.sent,
    }


def _ungathered(session: Any, tag: str) -> int:
    query = select(func.count()).select_from(Incident).where(Incident.component.contains(tag))
    return int(session.scalar(query.where(Incident.gathered_at.is_(None))) or 0)


def _settle(store_url: str, cluster: Cluster, tag: str, timeout: float) -> bool:
    """Wait until the inbox is processed and every incident gathered."""
    store = Store(store_url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cluster.leaders()
            with store.session() as s:
                pending = s.scalar(select(func.count()).select_from(InboxItem).where(InboxItem.status == "pending"))
                ungathered = s.scalar(select(func.count()).select_from(Incident).where(Incident.gathered_at.is_(None)))
            if not pending and not ungathered:
                return True
            time.sleep(0.2)
        return False
    finally:
        store.close()


def watchers_row(store_url: str) -> dict[str, Any]:
    """The reliability table's row: three watchers, the leader killed three times."""
    result = run_cluster(store_url, watchers=3, kills=3)
    problems = result["problems"] + (
        [f"{result['ungathered']} incidents never gathered"] if result["ungathered"] else []
    )
    return {
        "accepted": result["accepted"],
        "refused": result["refused"],
        "lost": result["lost"],
        "duplicated": result["duplicated"],
        "note": f"alerts; 3 `incident watch --listen` on PostgreSQL, each notification posted to two of them, "
        f"the leader killed -9 three times (a new follower started each time); failover "
        f"{', '.join(f'{s:.2f}' for s in result['failovers'])} s (poll interval 1 s); {result['incidents']} "
        f"incidents, all gathered; polls by non-leaders 0; RSS is the driver's"
        + (f"; PROBLEMS: {problems[:5]}" if problems else ""),
    }
