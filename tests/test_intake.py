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

from connectors.alertmanager import AlertmanagerConnector, fingerprint
from connectors.base import AlertRecord
from incident.config import AlertmanagerConfig, load_settings
from incident.models import Alert, EventKind, Incident, QuarantinedAlert, TimelineEvent
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
    for _ in range(3):  # gone from [alertmanager] absent_polls (3) unfiltered polls: resolved
        assert watcher.ingest_alerts([], active_set=set()) == []
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
            for _ in range(3):  # absent from three polls
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


# --------------------------------------------------------------------------- absence, silences, quarantine


def test_an_alert_absent_from_fewer_than_absent_polls_polls_stays_firing(watcher: Watcher, store: Store) -> None:
    [opened] = watcher.ingest_alerts([record(T1)], active_set={"fp-checkout"})
    watcher.ingest_alerts([], active_set=set())
    watcher.ingest_alerts([], active_set=set())
    watcher.ingest_alerts([record(T1)], active_set={"fp-checkout"})  # back: the count starts again
    watcher.ingest_alerts([], active_set=set())
    watcher.ingest_alerts([], active_set=set())
    assert incidents(store) == [(opened, "triggered", T1, [(T1, "firing")])]
    watcher.ingest_alerts([], active_set=set())
    assert incidents(store) == [(opened, "resolved", T1, [(T1, "resolved")])]


def test_an_absent_alert_whose_ends_at_passed_resolves_at_once(watcher: Watcher, store: Store) -> None:
    ended = AlertRecord(**{**record(T1).__dict__, "ends_at": T1 + timedelta(minutes=3)})
    [opened] = watcher.ingest_alerts([ended], active_set={"fp-checkout"})
    watcher.ingest_alerts([], active_set=set())
    assert incidents(store) == [(opened, "resolved", T1, [(T1, "resolved")])]
    with store.session() as s:
        assert s.get(Incident, opened).resolved_at is not None
        assert s.scalar(select(Alert.ends_at)) == T1 + timedelta(minutes=3)


def test_webhook_alerts_without_fingerprints_on_five_components_are_five_incidents(
    watcher: Watcher, store: Store
) -> None:
    from connectors.alertmanager import parse_webhook

    alerts = [
        {"labels": {"alertname": "Down", "service": f"svc-{i}"}, "startsAt": "2025-03-03T14:05:00Z", "status": "firing"}
        for i in range(5)
    ]
    note = parse_webhook(json.dumps({"version": "4", "alerts": alerts}).encode())
    assert len(watcher.ingest_alerts(note.alerts)) == 5
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 5


def test_a_webhook_batch_with_a_lone_surrogate_and_a_nul_quarantines_those_and_processes_the_rest(
    watcher: Watcher, store: Store
) -> None:
    from connectors.alertmanager import parse_webhook

    def process(body: bytes) -> list[int]:  # what the listener does with a committed payload
        note = parse_webhook(body)
        watcher.quarantine(note.rejected, channel="webhook")
        return watcher.ingest_alerts(note.alerts)

    good = {"labels": {"alertname": "Down", "service": "cart"}, "startsAt": "2025-03-03T14:05:00Z"}
    surrogate = {"labels": {"alertname": "Down", "service": "\ud800"}, "startsAt": "2025-03-03T14:05:00Z"}
    nul = {"labels": {"alertname": "Down", "service": "pay\u0000ments"}, "startsAt": "2025-03-03T14:05:00Z"}
    later = {"labels": {"alertname": "Down", "service": "search"}, "startsAt": "2025-03-03T14:06:00Z"}
    body = json.dumps({"version": "4", "alerts": [good, surrogate, nul, later]}).encode()
    assert len(process(body)) == 2
    assert len(process(body)) == 0  # a retry adds nothing, quarantines nothing twice
    with store.session() as s:
        assert sorted(s.scalars(select(Incident.component))) == ["cart", "search"]
        rows = s.scalars(select(QuarantinedAlert).order_by(QuarantinedAlert.id)).all()
        assert [(r.source, r.channel) for r in rows] == [("alertmanager", "webhook")] * 2
        assert "lone surrogate" in rows[0].reason and "\\ud800" in rows[0].raw
        assert "NUL" in rows[1].reason and "\\u0000" in rows[1].raw


def notes(store: Store, incident_id: int) -> list[str]:
    """The notes Alertmanager's state put on an incident's timeline."""
    with store.session() as s:
        return list(
            s.scalars(
                select(TimelineEvent.summary)
                .where(
                    TimelineEvent.incident_id == incident_id,
                    TimelineEvent.kind == str(EventKind.note),
                    TimelineEvent.source == "alertmanager",
                )
                .order_by(TimelineEvent.created_at, TimelineEvent.id)
            )
        )


@pytest.fixture
def real_alertmanager(tmp_path: Path, store: Store) -> Iterator[tuple[str, Watcher]]:
    root = tmp_path / "scenario"
    root.mkdir()
    (root / "scenario.yaml").write_text(
        "name: silence\npage:\n  source: alertmanager\n  at: 2025-03-03T14:05:00+00:00\n  alert: HighErrorRatio\n"
    )
    (root / "alertmanager.json").write_text(json.dumps([]))
    with AlertmanagerProcess(load_scenario(root), tmp_path) as am:
        assert am.url
        watcher = Watcher(
            load_settings(user_file=False),
            store,
            Connectors(alertmanager=AlertmanagerConnector(AlertmanagerConfig(url=am.url))),
        )
        try:
            yield am.url, watcher
        finally:
            watcher.stop()


@pytest.mark.binaries
@needs_alertmanager
def test_a_silence_keeps_the_incident_open_and_shows_and_its_expiry_is_visible(
    real_alertmanager: tuple[str, Watcher], store: Store
) -> None:
    url, watcher = real_alertmanager
    now = datetime.now(UTC).replace(microsecond=0)
    _post(url, now - timedelta(minutes=5), now + timedelta(hours=1))
    [opened] = watcher.poll_alertmanager()
    am = AlertmanagerConnector(AlertmanagerConfig(url=url))
    silence = am.create_silence(
        matchers={"alertname": "HighErrorRatio"},
        starts_at=now,
        ends_at=now + timedelta(hours=2),
        created_by="oncall@example.com",
        comment="deploy in progress",
    )
    for _ in range(4):  # more polls than absent_polls: silenced is not absent
        assert watcher.poll_alertmanager() == []
    [(_, status, _, alerts)] = incidents(store)
    assert status == "triggered" and alerts == [(now - timedelta(minutes=5), "firing")]
    shown = notes(store, opened)
    assert len(shown) == 2  # the current state and the change that made it
    assert all(f"silence {silence}" in n and "oncall@example.com" in n and "until" in n for n in shown)
    am.expire_silence(silence)
    assert watcher.poll_alertmanager() == []
    assert watcher.poll_alertmanager() == []  # a steady state adds nothing
    [(_, status, _, _)] = incidents(store)
    assert status == "triggered"
    expired = [n for n in notes(store, opened) if "ended" in n]
    assert expired and all(f"silence {silence} ended" in n and "still firing" in n for n in expired)
    assert len(notes(store, opened)) == 3  # the state note now says so, plus one note per change


@pytest.mark.binaries
@needs_alertmanager
def test_an_alert_without_alertname_is_quarantined_and_the_others_open_incidents(
    real_alertmanager: tuple[str, Watcher], store: Store
) -> None:
    url, watcher = real_alertmanager
    now = datetime.now(UTC).replace(microsecond=0)
    nameless = {
        "labels": {"service": "cart"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }
    httpx.post(f"{url}/api/v2/alerts", json=[nameless], timeout=10).raise_for_status()
    _post(url, now - timedelta(minutes=5), now + timedelta(hours=1))
    [opened] = watcher.poll_alertmanager()
    assert watcher.poll_alertmanager() == []
    assert "alertmanager" not in watcher.source_errors
    with store.session() as s:
        assert s.get(Incident, opened).component == "checkout"
        [row] = s.scalars(select(QuarantinedAlert)).all()  # once, however many polls list it
        assert (row.channel, row.fingerprint) == ("poll", fingerprint({"service": "cart"}))
        assert "alertname: missing" in row.reason and '"cart"' in row.raw


@pytest.mark.binaries
@needs_alertmanager
def test_an_inhibited_alert_stays_firing_and_its_inhibition_shows_and_ends(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incident.sandbox import alertmanager as sandbox_am

    base = sandbox_am.alertmanager_config

    def with_inhibition(webhook_url: str | None) -> dict:
        config = base(webhook_url)
        rule = {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["service"],
        }
        return {**config, "inhibit_rules": [rule]}

    monkeypatch.setattr(sandbox_am, "alertmanager_config", with_inhibition)
    root = tmp_path / "scenario"
    root.mkdir()
    (root / "scenario.yaml").write_text(
        "name: inhibit\npage:\n  source: alertmanager\n  at: 2025-03-03T14:05:00+00:00\n  alert: HighErrorRatio\n"
    )
    (root / "alertmanager.json").write_text(json.dumps([]))
    now = datetime.now(UTC).replace(microsecond=0)
    warning = {**LABELS, "alertname": "HighLatency", "severity": "warning"}

    def post(labels: dict[str, str], ends: datetime) -> None:
        alert = {"labels": labels, "startsAt": (now - timedelta(minutes=5)).isoformat(), "endsAt": ends.isoformat()}
        httpx.post(f"{am.url}/api/v2/alerts", json=[alert], timeout=10).raise_for_status()

    with sandbox_am.AlertmanagerProcess(load_scenario(root), tmp_path) as am:
        assert am.url
        watcher = Watcher(
            load_settings(user_file=False),
            store,
            Connectors(alertmanager=AlertmanagerConnector(AlertmanagerConfig(url=am.url))),
        )
        try:
            post(LABELS, now + timedelta(hours=1))
            post(warning, now + timedelta(hours=1))
            critical_fp = fingerprint(LABELS)
            [opened] = watcher.poll_alertmanager()
            shown = notes(store, opened)  # the current state and the change that made it
            assert len(shown) == 2 and all(f"HighLatency inhibited by alert(s) {critical_fp}" in n for n in shown)
            post(LABELS, now - timedelta(seconds=1))  # the critical one resolves: the warning notifies again
            watcher.poll_alertmanager()
        finally:
            watcher.stop()
    [(_, status, _, alerts)] = incidents(store)
    assert status == "triggered" and ("firing" in [a for _, a in alerts])
    assert any("HighLatency: inhibition ended" in n and "still firing" in n for n in notes(store, opened))


def test_absence_resolves_alerts_of_every_open_incident_not_only_the_latest_200(watcher: Watcher, store: Store) -> None:
    many = [record(T1 + timedelta(seconds=i), fingerprint=f"fp-{i}", service=f"svc-{i}") for i in range(230)]
    assert len(watcher.ingest_alerts(many, active_set={a.fingerprint for a in many})) == 230
    for _ in range(3):
        watcher.ingest_alerts([], active_set=set())
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Incident).where(Incident.status != "resolved")) == 0
