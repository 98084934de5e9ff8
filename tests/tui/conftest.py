"""A deterministic store for the TUI tests (fixed times, no wall clock in what is rendered),
and autouse fixtures that remove nondeterminism: the UI's clock, blinking cursors, the
developer's XDG dirs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from connectors.alertmanager.webhook import rejected
from incident.config import Settings
from incident.hypotheses import Evidence, HypothesisDraft, save_hypotheses
from incident.models import Incident, MetricWindow
from incident.quarantine import quarantine
from incident.store import Store
from incident.timeline import log_event, window_id

PAGE = datetime(2026, 1, 13, 14, 7, tzinfo=UTC)
NOW = PAGE + timedelta(minutes=12)


@pytest.fixture(autouse=True)
def _deterministic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import tui.data
    from tui.app import IncidentApp

    monkeypatch.setattr(tui.data, "now", lambda: NOW)
    monkeypatch.setattr(IncidentApp, "cursor_blink", False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture
def anyio_backend() -> str:
    """Pilot tests run on asyncio through anyio's pytest plugin."""
    return "asyncio"


@dataclass
class World:
    store: Store
    checkout: int
    paged: int
    """A PagerDuty-sourced incident."""
    resolved: int
    deploy_event: str
    error_window: str


def step(index: int, kind: str, text: str, **extra: Any) -> dict[str, Any]:
    base = {"runbook_id": "deploy-regression", "title": text, "index": index, "type": kind, "text": text}
    base.update({"why": None, "diagnostic": None, "action": None, "url": None, "ready": True})
    base.update({"missing": [], "invalid": []})
    return {**base, **extra}


def _incident(session: Any, n: int, component: str, **kw: Any) -> Incident:
    fields: dict[str, Any] = {
        "dedup_key": f"alertmanager:{component}:{n}",
        "source": "alertmanager",
        "status": "triggered",
        "severity": "critical",
        "namespace": "shop",
        "owner": f"team-{component}",
        **kw,
    }
    incident = Incident(component=component, opened_at=PAGE, **fields)
    session.add(incident)
    session.flush()
    return incident


def _window(session: Any, incident_id: int, signal: str, base: float, jump: float) -> str:
    start = PAGE - timedelta(hours=1)
    points = [
        [(start + timedelta(minutes=i)).timestamp(), base + (jump if i >= 59 else 0.0) + (i % 5) * base * 0.02]
        for i in range(61)
    ]
    wid = window_id(incident_id, "checkout", signal)
    session.add(
        MetricWindow(
            id=wid,
            incident_id=incident_id,
            component="checkout",
            signal=signal,
            query=f"{signal}{{}}",
            start=start,
            end=PAGE,
            step_seconds=60.0,
            points=points,
        )
    )
    return wid


def build_world(store: Store) -> World:
    with store.session() as s:
        shopdb = _incident(
            s,
            3,
            "shop-db",
            title="PersistentVolume is filling up.",
            severity="warning",
            status="resolved",
            page_at=PAGE - timedelta(days=1),
            owner="team-platform",
        )
        paged = _incident(
            s,
            2,
            "frontend",
            title="frontend is burning its error budget 14x too fast",
            severity="warning",
            page_at=PAGE - timedelta(minutes=1),
            source="pagerduty",
            source_ref="PFRONT1",
            dedup_key="pagerduty:PFRONT1",
            oncall="Ana Oncall",
        )
        inc = _incident(s, 1, "checkout", title="checkout: more than 5% of requests fail", page_at=PAGE)
        i = inc.id
        ev = dict(incident_id=i, source="kubernetes", component="checkout")
        deploy = log_event(
            s,
            kind="deploy",
            key="rollout/8",
            at=PAGE - timedelta(minutes=7, seconds=30),
            summary="checkout rolled out revision 8 from 7 (checkout:2.14.3 -> checkout:2.15.0)",
            details={
                "namespace": "shop",
                "deployment": "checkout",
                "revision": 8,
                "previous_revision": 7,
                "change_cause": "deploy checkout 2.15.0",
                "diff": {"images": {"checkout": {"from": "checkout:2.14.3", "to": "checkout:2.15.0"}}},
            },
            **ev,
        )
        log_event(
            s,
            kind="alert",
            key="alert/1",
            at=PAGE,
            summary="HighErrorRatio firing (critical)",
            **{**ev, "source": "alertmanager"},
        )
        log_event(
            s,
            kind="metric_change",
            key="change/error_ratio",
            at=PAGE - timedelta(minutes=1),
            summary="error ratio 0.33% -> 19.1% from 14:06 UTC on checkout",
            details={
                "signal": "error_ratio",
                "onset": (PAGE - timedelta(minutes=1)).isoformat(),
                "before_text": "0.33%",
                "after_text": "19.1%",
            },
            **{**ev, "source": "prometheus"},
        )
        log_event(
            s,
            kind="pod_state",
            key="pods/checkout",
            at=PAGE,
            summary="checkout: 3/3 pods ready, 0 restarts",
            details={"ready": 3, "total": 3},
            **ev,
        )
        log_event(
            s,
            kind="pod_state",
            key="pods/cart",
            at=PAGE,
            summary="cart: 3/3 pods ready, 0 restarts",
            details={"ready": 3, "total": 3},
            **{**ev, "component": "cart"},
        )
        log_event(
            s, kind="log_excerpt", key="log/1", at=PAGE, summary="promotions: runtime error: invalid memory", **ev
        )
        log_event(  # collected evidence about coredns: what lets its scale step become a proposed action
            s,
            kind="k8s_event",
            key="k8sevent/kube-system/Pod/coredns-7d9f-x2x4k/Unhealthy",
            at=PAGE - timedelta(minutes=2),
            summary="Warning Unhealthy on pod/coredns-7d9f-x2x4k: Readiness probe failed (x4)",
            details={"namespace": "kube-system", "object_kind": "Pod", "object_name": "coredns-7d9f-x2x4k"},
            **{**ev, "component": "coredns"},
        )
        log_event(
            s,
            kind="ownership",
            key="owner",
            at=PAGE,
            summary="checkout is owned by team-checkout",
            **{**ev, "source": "catalog"},
        )
        errors = _window(s, i, "error_ratio", 0.0033, 0.19)
        latency = _window(s, i, "latency_p99", 0.49, 0.24)
        undo = step(
            3,
            "action",
            "Roll back deployment checkout in shop to revision 7",
            action={
                "type": "kubernetes.rollout_undo",
                "params": {"namespace": "shop", "deployment": "checkout", "to_revision": 7},
            },
        )
        scale = step(
            1,
            "action",
            "Scale deployment coredns in kube-system to 4 replicas",
            action={
                "type": "kubernetes.scale",
                "params": {"namespace": "kube-system", "deployment": "coredns", "replicas": 4},
            },
        )
        drafts = [
            HypothesisDraft(
                kind="deploy_regression",
                component="checkout",
                confidence=0.68,
                summary="checkout rolled out revision 8 from 7 8 min before the page; after it: "
                "error ratio 0.33% -> 19.1%",
                evidence=[Evidence(ref=deploy), Evidence(ref=errors)],
                steps=[
                    step(
                        0,
                        "diagnostic",
                        "Did errors start with the rollout?",
                        why="Errors that step up with the rollout tie it to the release.",
                    ),
                    undo,
                ],
            ),
            HypothesisDraft(
                kind="network",
                component="checkout",
                confidence=0.31,
                summary="p99 latency 493 ms -> 730 ms on checkout",
                evidence=[Evidence(ref=latency)],
                steps=[scale],
            ),
        ]
        save_hypotheses(s, i, drafts, source="analyzer", at=PAGE)
        return World(store, i, paged.id, shopdb.id, deploy, errors)


@pytest.fixture
def world(store: Store) -> World:
    return build_world(store)


MARKUP_REASON = "alerts[0].labels.alertname: missing [bold]x[/] [/] [link=http://evil]y[/link] [red"


def add_quarantined(store: Store, raw: Any, reason: str, minutes: int, *, channel: str = "webhook") -> None:
    with store.session() as s:
        quarantine(
            s, [rejected(raw, reason)], source="alertmanager", channel=channel, now=PAGE + timedelta(minutes=minutes)
        )


@pytest.fixture
def two_quarantined(world: World) -> World:
    """An older alert whose reason looks like markup and whose labels carry a NUL; a newer one with a huge body."""
    nul = {"labels": {"service": "cart\x00[b]", "severity": "page"}}
    add_quarantined(world.store, nul, MARKUP_REASON, 1, channel="poll")
    huge = {"labels": {"alertname": "Flood", "service": "payments"}, "annotations": {"description": "z" * 40_000}}
    add_quarantined(world.store, huge, "alerts[0].annotations.description: longer than 16384 characters", 2)
    return world


@pytest.fixture
def settings(store: Store) -> Settings:
    return Settings(store={"url": store.url}, actions={"allowed_namespaces": ["shop"], "operator": "alice"})


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Let workers finish and their messages land."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def wait_for(pilot: Pilot[Any], check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``check`` while the app runs (live refresh, executions)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        await pilot.pause(0.05)
    return check()
