"""The gather -> write -> diagnose pipeline for one incident, and what completes it after a crash.

One incident is gathered and analysed by one thread of one watcher at a time (the coordinator's
per-incident lock); the catalog is read before alerts are resolved, and mirrored into the store
as the ownership task refreshes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from incident import service
from incident.app.finalise import run_analysis
from incident.catalog import CatalogCache, CatalogMirror
from incident.config import Settings
from incident.coordination import Coordinator
from incident.gathering import Outcome, disabled_notes, gather, refresh_catalog, write_outcome
from incident.gathering.drafts import GatherContext
from incident.gathering.pools import ConnectorPools
from incident.logformat import incident_fields
from incident.metrics import WatcherMetrics
from incident.models import Incident, TimelineEvent, utcnow
from incident.registry import Connectors
from incident.runbooks import RunbookSet
from incident.store import Store
from incident.timeline import event_id, log_event

log = logging.getLogger(__name__)

CATALOG_RETRY = 60.0
"""Seconds before a catalog that failed to load is asked again before a poll."""


class Pipeline:
    """Gathers every connector for an incident, writes its timeline and diagnoses it."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        connectors: Connectors,
        coordination: Coordinator,
        *,
        catalog: CatalogCache,
        runbooks: RunbookSet,
        metrics: WatcherMetrics,
    ) -> None:
        self.settings = settings
        self.store = store
        self.connectors = connectors
        self.coordination = coordination
        self.catalog = catalog
        self.mirror = CatalogMirror(catalog)
        self.runbooks = runbooks
        self.metrics = metrics
        self.pools = ConnectorPools()
        """One pool per connector: one that hangs cannot starve the others."""
        self.on_agent_event: Callable[[Any], None] | None = None
        """Progress of the agent (the TUI subscribes)."""
        self._catalog_failed_at: float | None = None

    def context(self, incident: Incident) -> GatherContext:
        follow = incident.page_at + self.settings.watcher.follow_for
        return GatherContext(
            incident_id=incident.id,
            component=incident.component,
            namespace=incident.namespace or self.catalog.namespace(incident.component),
            page_at=incident.page_at,
            window_end=incident.page_at if self.settings.replay.enabled else min(utcnow(), follow),
            settings=self.settings,
            related=self.catalog.related(incident.component),
            pagerduty_id=incident.source_ref if incident.source == "pagerduty" else None,
        )

    def ensure_catalog(self) -> None:
        """Read the catalog once before alerts are resolved to components; a catalog that failed
        is not asked again for a minute (the ownership task keeps refreshing it), so a dead
        catalog never holds up every poll."""
        if self.catalog.loaded or self.connectors.catalog is None:
            return
        if self._catalog_failed_at is not None and time.monotonic() - self._catalog_failed_at < CATALOG_RETRY:
            return
        future = self.pools.submit("catalog", refresh_catalog, self.connectors, self.catalog)
        try:
            future.result(timeout=self.settings.watcher.gather_timeout.total_seconds())
            self._catalog_failed_at = None
        except Exception as exc:  # reported on each timeline by the ownership task
            self._catalog_failed_at = time.monotonic()
            log.warning("catalog unavailable: %s", exc)

    def gather(self, incident_id: int) -> list[Outcome]:
        """Gather every connector for one incident, write the timeline and analyse it; skipped
        (returns []) while another thread or watcher works on the same incident."""
        with self.coordination.exclusive("incident", incident_id) as mine:
            return self._gather(incident_id) if mine else []

    def safe_gather(self, incident_id: int) -> list[Outcome]:
        """:meth:`gather`, logging instead of raising (for background threads)."""
        try:
            return self.gather(incident_id)
        except Exception:
            log.exception("gathering incident %s failed", incident_id, extra=incident_fields(incident_id))
            return []

    def _gather(self, incident_id: int) -> list[Outcome]:
        self.ensure_catalog()
        with self.store.session() as session:
            incident = service.get(session, incident_id=incident_id)
            if incident is None:
                return []
            ctx = self.context(incident)
            where = incident_fields(incident_id, incident.component)
            for note in disabled_notes(self.connectors, ctx):
                log_event(
                    session,
                    incident_id=incident_id,
                    kind=note.kind,
                    key=note.key,
                    at=note.at,
                    source=note.source,
                    summary=note.summary,
                )
        outcomes = []
        started = time.monotonic()
        for outcome in gather(self.connectors, self.catalog, ctx, self.pools):
            with self.store.session() as session:
                write_outcome(session, ctx, outcome)
                if outcome.name == "catalog" and outcome.error is None:
                    self.mirror.sync(session, incident_id)
            if outcome.error is not None:
                self.metrics.connector_errors.labels(outcome.name).inc()
                log.warning("incident %s: %s failed: %s", incident_id, outcome.name, outcome.error, extra=where)
            outcomes.append(outcome)
        self.metrics.gather_seconds.observe(time.monotonic() - started)
        failed = [o.name for o in outcomes if o.error is not None]
        log.info(
            "incident %s gathered: %d event(s) from %d source(s) in %.1f s%s",
            incident_id,
            sum(len(o.drafts) for o in outcomes),
            len(outcomes),
            time.monotonic() - started,
            f"; failed: {', '.join(failed)}" if failed else "",
            extra=where,
        )
        with self.store.session() as session:
            incident = service.get(session, incident_id=incident_id)
            if incident is not None:
                incident.gathered_at = utcnow()
        self.diagnose(incident_id)
        return outcomes

    def diagnose(self, incident_id: int) -> None:
        """Rank hypotheses from what was gathered: the offline analyzer every time, then the
        agent once per incident when a key is configured. Never raises."""
        drafts = None
        started = time.monotonic()
        try:
            with self.store.session() as session:
                incident = service.get(session, incident_id=incident_id)
                if incident is None:
                    return
                drafts = run_analysis(
                    session,
                    incident_id,
                    runbooks=self.runbooks,
                    component_label=self.settings.metrics.component_label,
                    at=self.context(incident).window_end,
                    settings=self.settings,
                )
                incident.analysed_at = utcnow()
                where = incident_fields(incident_id, incident.component)
        except Exception:
            log.exception("analysis of incident %s failed", incident_id, extra=incident_fields(incident_id))
        if drafts is not None:
            top = f"top: {drafts[0].kind} on {drafts[0].component} ({drafts[0].confidence:.0%})" if drafts else "none"
            log.info("incident %s diagnosed: %d hypothesis(es), %s", incident_id, len(drafts), top, extra=where)
        self.metrics.analysis_seconds.observe(time.monotonic() - started)
        if drafts is not None and self.agent_wanted(incident_id):
            from incident.agent import run_agent

            outcome = run_agent(
                settings=self.settings,
                store=self.store,
                connectors=self.connectors,
                incident_id=incident_id,
                analyzer_drafts=drafts,
                on_event=self.on_agent_event,
                runbooks=self.runbooks,
            )
            log.info("agent on incident %s: %s", incident_id, outcome.reason, extra=incident_fields(incident_id))

    def agent_wanted(self, incident_id: int) -> bool:
        """Cost guardrail: the agent runs once per incident, and only with a key and enabled."""
        cfg = self.settings.agent
        has_key = cfg.provider != "anthropic" or cfg.api_key is not None  # config folds in ANTHROPIC_API_KEY
        if not (cfg.enabled and has_key):
            return False
        with self.store.session() as session:  # the agent's run note marks it done for this incident
            return session.get(TimelineEvent, event_id(incident_id, "note", "agent/run")) is None

    # ------------------------------------------------------------------ after a restart
    def refresh_open(self) -> None:
        """Re-gather open incidents and any never gathered completely (crash recovery)."""
        with self.store.session() as session:
            ids = list(
                session.scalars(
                    select(Incident.id).where(
                        Incident.status.in_([str(s) for s in service.OPEN]) | Incident.gathered_at.is_(None)
                    )
                )
            )
        for incident_id in ids:
            self.safe_gather(incident_id)

    def unanalysed(self) -> list[int]:
        """Incidents, open or resolved, whose timeline was gathered but not analysed since (a
        process killed between gathering and analysis leaves them so)."""
        query = (
            select(Incident.id)
            .where(
                Incident.gathered_at.is_not(None),
                Incident.analysed_at.is_(None) | (Incident.analysed_at < Incident.gathered_at),
            )
            .order_by(Incident.id)
        )
        with self.store.session() as session:
            return list(session.scalars(query))

    def complete_analyses(self) -> list[int]:
        """Analyse every :meth:`unanalysed` incident not being gathered now; returns their ids."""
        done: list[int] = []
        for incident_id in self.unanalysed():
            with self.coordination.exclusive("incident", incident_id) as mine:
                if not mine:
                    continue  # its gathering (here or in another watcher) ends with an analysis
                self.diagnose(incident_id)
                done.append(incident_id)
        if done:
            log.info("analysed %d incident(s) gathered before a restart: %s", len(done), done)
        return done
