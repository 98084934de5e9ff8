"""A connector that drips cannot starve the others (issue 10, point 4): with Prometheus answering
one byte a second, every incident of a burst still gets its Kubernetes, catalog and PagerDuty data,
and Prometheus fails each time with a deadline note, not a hang."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.base import AlertRecord
from incident.config import load_settings
from incident.models import Incident
from incident.registry import build_connectors
from incident.sandbox.runner import Sandbox
from incident.scenario import load_scenario
from incident.store import Store
from incident.timeline import timeline
from incident.watcher import Watcher
from tests.conftest import SCENARIOS
from tests.connectors.faulty import FaultyUpstream

DEFAULT = SCENARIOS / "checkout-bad-deploy"
pytestmark = pytest.mark.skipif(not DEFAULT.is_dir(), reason="bundled default scenario missing")
INCIDENTS = 20
"""More than the old shared pool's 16 workers: stuck Prometheus calls used to fill it."""


def test_a_dripping_prometheus_does_not_starve_the_other_connectors(tmp_path: Path) -> None:
    scenario = load_scenario(DEFAULT)
    with FaultyUpstream("drip", interval=1.0) as drip, Sandbox(scenario, tmp_path / "sb", binaries=False) as box:
        cfg = box.config(store_url=f"sqlite:///{tmp_path / 'iso.db'}")
        cfg["prometheus"] = {"url": drip.url, "timeout": "5s", "deadline": "1s"}
        cfg["watcher"] |= {"gather_timeout": "3s", "group_window": "1m"}
        settings = load_settings(overlays=[cfg], user_file=False)
        store = Store(settings.store.url)
        watcher = Watcher(settings, store, build_connectors(settings))
        try:
            watcher.ensure_catalog()
            components = sorted(watcher.catalog.components)
            alerts = [
                AlertRecord(
                    source="alertmanager",
                    fingerprint=f"drip{i:02d}",
                    name="Burst",
                    status="firing",
                    starts_at=scenario.page_at - timedelta(minutes=10 * i),
                    labels={"alertname": "Burst", "service": components[i % len(components)]},
                )
                for i in range(INCIDENTS)
            ]
            ids = watcher.ingest_alerts(alerts)
            assert len(ids) == INCIDENTS
            for future in watcher.gather_async(ids):
                future.result(timeout=120)
        finally:
            watcher.stop()
    with store.session() as s:
        incidents = list(s.scalars(select(Incident).order_by(Incident.id)))
        events = {i.id: timeline(s, i.id) for i in incidents}
    store.close()
    assert len(incidents) == INCIDENTS
    data = {i.id: {e.source for e in events[i.id] if e.kind not in ("connector_error", "note")} for i in incidents}
    starved = {i.id: sorted({"kubernetes", "catalog"} - data[i.id]) for i in incidents}
    starved = {k: v for k, v in starved.items() if v}
    assert not starved, f"incidents without Kubernetes or catalog data: {starved}"
    for incident in incidents:
        errors = {e.source: e.summary for e in events[incident.id] if e.kind == "connector_error"}
        assert set(errors) == {"prometheus"}, (incident.component, errors)
        assert "deadline" in errors["prometheus"]
