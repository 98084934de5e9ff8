"""Intake of Alertmanager alerts by instance (fingerprint, startsAt): a re-firing after resolution is a new
page and a new incident; re-sends of one firing update it. Unit level on a real SQLite store, plus one
pass through a real Alertmanager."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from connectors.alertmanager import AlertmanagerConnector
from connectors.base import AlertRecord
from incident.config import AlertmanagerConfig, load_settings
from incident.models import Alert, EventKind, Incident, TimelineEvent
from incident.registry import Connectors
from incident.sandbox.alertmanager import AlertmanagerProcess
from incident.scenario import load_scenario
from incident.store import Store
from incident.watcher import Watcher
from tests.conftest import needs_alertmanager

T1 = datetime(2025, 3, 3, 14, 5, tzinfo=UTC)
T2 = T1 + timedelta(days=7)
LABELS = {"alertname": "HighErrorRatio", "service": "checkout", "severity": "critical"}


def record(
    starts_at: datetime, status: str = "firing", *, fingerprint: str = "fp-checkout", **labels: str
) -> AlertRecord:
    return AlertRecord(
        source="alertmanager",
        fingerprint=fingerprint,
        name=labels.get("alertname", LABELS["alertname"]),
        status=status,
        starts_at=starts_at,
        labels={**LABELS, **labels},
        annotations={"summary": f"checkout 5xx above 5% since {starts_at:%d %b}"},
        ends_at=starts_at + timedelta(minutes=20) if status == "resolved" else None,
        severity="critical",
    )


@pytest.fixture
def watcher(store: Store) -> Iterator[Watcher]:
    w = Watcher(load_settings(user_file=False), store, Connectors())
    yield w
    w.stop()


def incidents(store: Store) -> list[tuple[int, str, datetime, list[tuple[datetime, str]]]]:
    """(id, status, page_at, [(alert starts_at, alert status)]) of every incident, oldest first."""
    with store.session() as s:
        return [
            (i.id, i.status, i.page_at, [(a.starts_at, a.status) for a in i.alerts])
            for i in s.scalars(select(Incident).order_by(Incident.id))
        ]


def alert_events(store: Store, incident_id: int) -> list[str]:
    with store.session() as s:
        return list(
            s.scalars(
                select(TimelineEvent.summary)
                .where(TimelineEvent.incident_id == incident_id, TimelineEvent.kind == str(EventKind.alert))
                .order_by(TimelineEvent.at)
            )
        )


def test_the_same_alert_firing_again_after_resolution_opens_a_new_incident(watcher: Watcher, store: Store) -> None:
    [first] = watcher.ingest_alerts([record(T1)])
    assert watcher.ingest_alerts([record(T1, "resolved")]) == []
    [second] = watcher.ingest_alerts([record(T2)])

    assert second != first
    assert incidents(store) == [
        (first, "resolved", T1, [(T1, "resolved")]),
        (second, "triggered", T2, [(T2, "firing")]),
    ]
    with store.session() as s:
        new = s.get(Incident, second)
        assert new is not None and new.dedup_key == f"alertmanager:checkout:fp-checkout:{int(T2.timestamp())}"
        assert new.title.endswith("since 10 Mar")
    assert alert_events(store, first) == ["HighErrorRatio resolved (critical): checkout 5xx above 5% since 03 Mar"]
    assert alert_events(store, second) == ["HighErrorRatio firing (critical): checkout 5xx above 5% since 10 Mar"]


def test_resends_of_one_firing_update_it_and_never_duplicate(watcher: Watcher, store: Store) -> None:
    [opened] = watcher.ingest_alerts([record(T1)])
    assert watcher.ingest_alerts([record(T1), record(T1)]) == []
    # Alertmanager lost its state and re-sent the still-firing alert with a later startsAt: the same firing
    assert watcher.ingest_alerts([record(T1 + timedelta(minutes=30))]) == []
    assert incidents(store) == [(opened, "triggered", T1, [(T1, "firing")])]
    assert len(alert_events(store, opened)) == 1
    # its resolution, under either startsAt, resolves the one incident
    watcher.ingest_alerts([record(T1 + timedelta(minutes=30), "resolved")])
    assert incidents(store) == [(opened, "resolved", T1, [(T1, "resolved")])]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 1


def test_a_late_resolved_notice_for_the_old_firing_leaves_the_new_incident_alone(
    watcher: Watcher, store: Store
) -> None:
    [first] = watcher.ingest_alerts([record(T1)])
    watcher.ingest_alerts([record(T1, "resolved")])
    [second] = watcher.ingest_alerts([record(T2)])
    assert watcher.ingest_alerts([record(T1, "resolved")]) == []  # Alertmanager re-sends resolved notices
    assert incidents(store) == [
        (first, "resolved", T1, [(T1, "resolved")]),
        (second, "triggered", T2, [(T2, "firing")]),
    ]
    watcher.ingest_alerts([record(T2, "resolved")])
    assert [(i, status) for i, status, _, _ in incidents(store)] == [(first, "resolved"), (second, "resolved")]


def test_a_resolved_notice_of_a_firing_never_seen_opens_nothing(watcher: Watcher, store: Store) -> None:
    [first] = watcher.ingest_alerts([record(T1)])
    watcher.ingest_alerts([record(T1, "resolved")])
    assert watcher.ingest_alerts([record(T2, "resolved")]) == []
    assert incidents(store) == [(first, "resolved", T1, [(T1, "resolved")])]


def test_polls_resolve_a_vanished_alert_and_open_its_next_firing(watcher: Watcher, store: Store) -> None:
    [first] = watcher.ingest_alerts([record(T1)], active_set={"fp-checkout"})
    assert watcher.ingest_alerts([], active_set=set()) == []  # gone from Alertmanager: resolved
    [second] = watcher.ingest_alerts([record(T2)], active_set={"fp-checkout"})
    assert watcher.ingest_alerts([record(T2)], active_set={"fp-checkout"}) == []
    assert incidents(store) == [
        (first, "resolved", T1, [(T1, "resolved")]),
        (second, "triggered", T2, [(T2, "firing")]),
    ]


def test_a_refiring_within_the_group_window_joins_the_open_incident_as_a_second_firing(
    watcher: Watcher, store: Store
) -> None:
    latency = {"fingerprint": "fp-latency", "alertname": "HighLatency"}
    [opened] = watcher.ingest_alerts([record(T1), record(T1, **latency)])
    watcher.ingest_alerts([record(T1, "resolved")])  # the incident stays open: HighLatency still fires
    again = T1 + timedelta(minutes=5)
    assert watcher.ingest_alerts([record(again)]) == []
    [(_, status, _, alerts)] = incidents(store)
    assert status == "triggered"
    assert sorted(alerts) == [(T1, "firing"), (T1, "resolved"), (again, "firing")]
    events = alert_events(store, opened)
    assert len(events) == 3 and sum(e.startswith("HighErrorRatio resolved") for e in events) == 1


# --------------------------------------------------------------------------- a real Alertmanager


def _post(url: str, starts: datetime, ends: datetime) -> None:
    alert = {"labels": LABELS, "annotations": {"summary": "checkout 5xx"}, "startsAt": starts.isoformat()}
    alert["endsAt"] = ends.isoformat()
    httpx.post(f"{url}/api/v2/alerts", json=[alert], timeout=10).raise_for_status()


@pytest.mark.binaries
@needs_alertmanager
def test_a_real_alertmanager_refiring_opens_a_new_incident(tmp_path: Path, store: Store) -> None:
    root = tmp_path / "scenario"
    root.mkdir()
    (root / "scenario.yaml").write_text(
        "name: refire\npage:\n  source: alertmanager\n  at: 2025-03-03T14:05:00+00:00\n  alert: HighErrorRatio\n"
    )
    (root / "alertmanager.json").write_text(json.dumps([]))
    now = datetime.now(UTC).replace(microsecond=0)
    first_start, second_start = now - timedelta(minutes=30), now
    with AlertmanagerProcess(load_scenario(root), tmp_path) as am:
        assert am.url
        watcher = Watcher(
            load_settings(user_file=False),
            store,
            Connectors(alertmanager=AlertmanagerConnector(AlertmanagerConfig(url=am.url))),
        )
        try:
            _post(am.url, first_start, now + timedelta(hours=1))
            [first] = watcher.poll_alertmanager()
            _post(am.url, first_start, now - timedelta(seconds=1))  # resolved in Alertmanager
            assert watcher.poll_alertmanager() == []
            _post(am.url, second_start, now + timedelta(hours=1))  # the same labels fire again
            [second] = watcher.poll_alertmanager()
            assert watcher.poll_alertmanager() == []
        finally:
            watcher.stop()
    [(id1, status1, page1, _), (id2, status2, page2, _)] = incidents(store)
    assert (id1, status1, page1) == (first, "resolved", first_start)
    assert (id2, status2, page2) == (second, "triggered", second_start)
    with store.session() as s:
        assert len({a.fingerprint for a in s.scalars(select(Alert))}) == 1  # one alert, two firings
