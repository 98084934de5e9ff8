"""The application layer runs without a Watcher: intake and the gather -> diagnose pipeline are
plain classes over (settings, store, connectors, coordination)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from connectors.base import AlertRecord, ComponentInfo
from incident.app.intake import IntakeService
from incident.app.pipeline import Pipeline
from incident.catalog import CatalogCache, ComponentIndex
from incident.config import load_settings
from incident.coordination import Coordinator, locks_for
from incident.metrics import WatcherMetrics
from incident.models import Incident, QuarantinedAlert
from incident.registry import Connectors
from incident.runbooks import configured_runbooks
from incident.store import Store

PAGE = datetime(2025, 3, 3, 14, 5, tzinfo=UTC)


def alert(fingerprint: str, **labels: str) -> AlertRecord:
    return AlertRecord(
        source="alertmanager",
        fingerprint=fingerprint,
        name="HighErrorRatio",
        status="firing",
        starts_at=PAGE,
        labels={"alertname": "HighErrorRatio", **labels},
        severity="critical",
    )


def test_intake_and_pipeline_without_a_watcher(store: Store) -> None:
    settings = load_settings(user_file=False)
    catalog = CatalogCache()
    catalog.components = {"checkout-svc": ComponentInfo(name="checkout-svc", kubernetes_id="checkout")}
    catalog.index = ComponentIndex(catalog.components.values())
    metrics = WatcherMetrics()
    receiving = IntakeService(settings, store, Connectors(), catalog, metrics)
    coordination = Coordinator(locks_for(store.engine))
    pipeline = Pipeline(
        settings,
        store,
        Connectors(),
        coordination,
        catalog=catalog,
        runbooks=configured_runbooks(settings.runbooks),
        metrics=metrics,
    )
    try:
        opened = receiving.ingest_alerts([alert("fp-1", service="checkout")])
        assert len(opened) == 1
        assert receiving.ingest_alerts([alert("fp-1", service="checkout")]) == []  # the same alert again
        with store.session() as s:
            incident = s.get(Incident, opened[0])
            assert incident is not None and incident.component == "checkout-svc"  # resolved via the catalog
        assert receiving.poll_alertmanager() == [] and receiving.source_errors == {}  # no source configured
        assert receiving.store_counts() == {"quarantined": 0, "inbox_pending": 0}

        assert pipeline.unanalysed() == []
        assert pipeline.gather(opened[0]) == []  # no connectors: nothing gathered, but written and analysed
        with store.session() as s:
            incident = s.get(Incident, opened[0])
            assert incident is not None and incident.gathered_at is not None and incident.analysed_at is not None
        assert pipeline.unanalysed() == []
        with store.session() as s:  # as a kill between gathering and analysis leaves it
            s.get(Incident, opened[0]).analysed_at = None  # type: ignore[union-attr]
        assert pipeline.unanalysed() == opened
        with coordination.exclusive("incident", opened[0]) as mine:  # being gathered: left to that gathering
            assert mine and pipeline.complete_analyses() == []
        assert pipeline.complete_analyses() == opened
        assert pipeline.unanalysed() == []
        with store.session() as s:
            assert list(s.scalars(select(QuarantinedAlert))) == []
    finally:
        pipeline.pools.shutdown()
        coordination.close()
