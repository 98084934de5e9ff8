"""Intake's "not in the catalog" note follows the loaded catalog (never written against a catalog not read
yet, dropped once gathering reads one that knows the component, never copied into the postmortem), and an
incident's severity and title follow its most severe alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import AlertRecord, ComponentInfo
from incident.catalog import CatalogCache, CatalogMirror, ComponentIndex
from incident.catalog.notes import write_component_note
from incident.config import load_settings
from incident.intake import Intake
from incident.models import EventKind, Incident
from incident.postmortem import write_postmortem
from incident.store import Store
from incident.timeline import timeline

PAGE = datetime(2025, 3, 3, 14, 5, tzinfo=UTC)
UNKNOWN = "is not in the catalog"
CATALOG = [ComponentInfo(name="checkout", owner="team-checkout"), ComponentInfo(name="cart", owner="team-cart")]


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


def alert(
    service: str, *, fp: str, severity: str = "critical", summary: str | None = None, at: datetime = PAGE
) -> AlertRecord:
    return AlertRecord(
        source="alertmanager",
        fingerprint=fp,
        name=f"Alert{fp}",
        status="firing",
        starts_at=at,
        labels={"alertname": f"Alert{fp}", "service": service, "severity": severity},
        annotations={"summary": summary or f"{service} {severity} alert {fp}"},
        severity=severity,
    )


def notes(store: Store, incident_id: int) -> list[str]:
    with store.session() as s:
        return [e.summary for e in timeline(s, incident_id, kinds=[str(EventKind.note)])]


def intake_one(store: Store, index: ComponentIndex, record: AlertRecord) -> int:
    intake = Intake(load_settings(user_file=False), lambda: index)
    with store.session() as s:
        incident, _ = intake.alert(s, record, now=PAGE)
        assert incident is not None
        return incident.id


def test_an_alert_on_a_catalog_component_gets_no_note_nor_does_its_postmortem(store: Store) -> None:
    cache = CatalogCache()
    cache.components = {c.name: c for c in CATALOG}
    cache.loaded, cache.index = True, ComponentIndex(CATALOG)
    iid = intake_one(store, cache.index, alert("checkout", fp="a"))
    with store.session() as s:
        CatalogMirror(cache).sync(s, iid)
    assert not any(UNKNOWN in n for n in notes(store, iid))
    markdown = write_postmortem(store, iid, load_settings(user_file=False), who="alice").markdown
    assert "team-checkout" in markdown
    assert UNKNOWN not in markdown


def test_a_catalog_not_read_at_intake_leaves_no_note_and_its_read_drops_an_old_one(store: Store) -> None:
    iid = intake_one(store, ComponentIndex(()), alert("checkout", fp="a"))
    assert not any(UNKNOWN in n for n in notes(store, iid))
    with store.session() as s:  # a note from before this fix, or from a catalog that lacked checkout then
        incident = s.get(Incident, iid)
        assert incident is not None
        write_component_note(s, incident, {"service": "checkout"}, "checkout", ["service"])
    assert any(UNKNOWN in n for n in notes(store, iid))
    cache = CatalogCache()
    cache.components = {c.name: c for c in CATALOG}
    cache.loaded, cache.index = True, ComponentIndex(CATALOG)
    with store.session() as s:
        CatalogMirror(cache).sync(s, iid)
        incident = s.get(Incident, iid)
        assert incident is not None and incident.owner == "team-checkout"
    assert not any(UNKNOWN in n for n in notes(store, iid))


def test_the_postmortem_never_copies_a_stale_note(store: Store) -> None:
    iid = intake_one(store, ComponentIndex(()), alert("checkout", fp="a"))
    with store.session() as s:
        incident = s.get(Incident, iid)
        assert incident is not None
        write_component_note(s, incident, {"service": "checkout"}, "checkout", ["service"])
    cache = CatalogCache()
    cache.components = {c.name: c for c in CATALOG}
    with store.session() as s:  # the catalog is mirrored, but this incident's note was never re-checked
        CatalogMirror(cache).write(s)
    markdown = write_postmortem(store, iid, load_settings(user_file=False), who="alice").markdown
    assert UNKNOWN not in markdown


def test_a_loaded_catalog_without_the_component_keeps_the_note(store: Store) -> None:
    iid = intake_one(store, ComponentIndex(CATALOG), alert("basket", fp="a"))
    assert [n for n in notes(store, iid) if UNKNOWN in n] == [
        "component 'basket' from the alert labels is not in the catalog"
    ]


def test_labels_naming_no_component_are_noted_even_before_the_catalog_is_read(store: Store) -> None:
    record = alert("checkout", fp="a")
    record = AlertRecord(**{**record.__dict__, "labels": {"alertname": "AlertA", "severity": "critical"}})
    iid = intake_one(store, ComponentIndex(()), record)
    assert any("name no component" in n for n in notes(store, iid))


def test_severity_and_title_follow_the_most_severe_alert(store: Store) -> None:
    index = ComponentIndex(CATALOG)
    intake = Intake(load_settings(user_file=False), lambda: index)
    later = PAGE + timedelta(minutes=1)
    with store.session() as s:
        first, opened = intake.alert(s, alert("cart", fp="w", severity="warning", summary="cart p99 high"), now=PAGE)
        assert first is not None and opened
        assert (first.severity, first.title) == ("warning", "cart p99 high")
        worse, opened = intake.alert(
            s, alert("cart", fp="c", severity="critical", summary="cart 5xx above 5%", at=later), now=later
        )
        assert worse is first and not opened
        assert (first.severity, first.title) == ("critical", "cart 5xx above 5%")
        milder, _ = intake.alert(s, alert("cart", fp="i", severity="info", summary="cart note", at=later), now=later)
        assert milder is first
        assert (first.severity, first.title) == ("critical", "cart 5xx above 5%")
