"""The watcher: polls sources, takes webhooks, opens incidents, gathers and refreshes timelines.

Scheduled jobs (APScheduler, named where they are declared):

- ``poll-alertmanager``: active alerts -> incidents; alerts gone from Alertmanager resolve.
- ``poll-pagerduty``: triggered/acknowledged incidents -> incidents; status follows PagerDuty.
- ``refresh-open-incidents``: re-gather every open incident (and any never fully gathered,
  e.g. after a crash), resolving PagerDuty incidents that were resolved there.
- ``reconcile-actions``: settle actions a killed process (a TUI, a CLI) left executing, once their
  grace has passed (on start too).

Several watchers may share one PostgreSQL store (:mod:`incident.coordination`): only the leader
runs these jobs, any of them takes webhooks, and one incident is gathered and analysed by one
watcher at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from connectors.alertmanager.webhook import rejected
from connectors.base import AlertRecord, PagerDutyIncident, RejectedAlert, Suppression, WebhookEvent, poll_of
from incident import service
from incident.app.finalise import run_analysis
from incident.config import Settings
from incident.coordination import Coordinator, locks_for
from incident.errors import CopilotError
from incident.gathering import CatalogCache, Outcome, disabled_notes, gather, refresh_catalog, write_outcome
from incident.gathering.drafts import GatherContext
from incident.gathering.pools import ConnectorPools
from incident.inbox import Inbox
from incident.intake import Intake
from incident.metrics import WatcherMetrics
from incident.models import Component, Group, Incident, TimelineEvent, utcnow
from incident.quarantine import quarantine
from incident.registry import Connectors
from incident.runbooks import configured_runbooks
from incident.store import Store
from incident.timeline import event_id, log_event
from incident.upsert import upsert

log = logging.getLogger(__name__)


_COMPONENT_UPDATE = (
    "owner",
    "system",
    "lifecycle",
    "type",
    "pagerduty_service",
    "runbook_url",
    "links",
    "depends_on",
    "source",
    "updated_at",
)

CATALOG_RETRY = 60.0
"""Seconds before a catalog that failed to load is asked again before a poll."""


class Watcher:
    def __init__(self, settings: Settings, store: Store, connectors: Connectors) -> None:
        self.settings = settings
        self.store = store
        self.connectors = connectors
        self.catalog = CatalogCache()
        self.intake = Intake(settings, lambda: self.catalog.index)
        self.pools = ConnectorPools()
        """One pool per connector: one that hangs cannot starve the others."""
        self.dispatch = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gather")
        self.scheduler: BackgroundScheduler | None = None
        self.coordination = Coordinator(locks_for(store.engine))
        """Leader lock and per-incident locks shared with other watchers on the same store."""
        self._catalog_failed_at: float | None = None
        self._catalog_synced: int | None = None
        self._write_lock = threading.Lock()
        """Serialises intake writes inside this process (webhooks and polls race otherwise)."""
        self.source_errors: dict[str, str] = {}
        self.runbooks = configured_runbooks(settings.runbooks)
        self.on_agent_event: Callable[[Any], None] | None = None
        """Progress of the agent (the TUI subscribes)."""
        for problem in self.runbooks.problems:
            log.warning("runbook skipped: %s", problem)
        self.metrics = WatcherMetrics()
        self.metrics.watch_store(self._store_counts)
        self.inbox = Inbox(self)
        """Webhook payloads committed by the listener, processed in order by one worker."""

    def _store_counts(self) -> dict[str, int]:
        from incident.models import InboxItem, QuarantinedAlert

        with self.store.session() as session:
            return {
                "quarantined": session.scalar(select(func.count()).select_from(QuarantinedAlert)) or 0,
                "inbox_pending": session.scalar(
                    select(func.count()).select_from(InboxItem).where(InboxItem.status == "pending")
                )
                or 0,
            }

    # ------------------------------------------------------------------ intake
    def ingest_alerts(self, alerts: list[AlertRecord], *, active_set: set[str] | None = None) -> list[int]:
        """Record alerts; with ``active_set`` (a full poll) resolve the ones no longer active.

        Returns the ids of incidents opened now. Each alert is its own transaction, retried once
        when another process won the race to insert the same alert.
        """
        now = utcnow()
        opened: list[int] = []
        with self._write_lock:
            for alert in alerts:
                try:
                    incident_id, is_new = self._retrying(lambda s, a=alert: self.intake.alert(s, a, now=now))
                except OperationalError:  # the store is full, locked or gone: the payload is retried whole
                    raise
                except Exception as exc:  # one alert the store refuses must not stop the others
                    log.exception("alert %s refused by the store; quarantined", alert.fingerprint)
                    self._quarantine_refused(alert, exc)
                    continue
                if incident_id is not None and is_new:
                    opened.append(incident_id)
            self.metrics.pages.labels("alertmanager").inc(len(alerts))
            self.metrics.opened.labels("alertmanager").inc(len(opened))
            if active_set is not None:
                with self.store.session() as session:
                    self.intake.resolve_missing(session, active_set, now=now)
        return opened

    def quarantine(self, rejected: list[RejectedAlert], *, channel: str, source: str = "alertmanager") -> int:
        """Keep alerts that failed validation, with the reason (``incident doctor`` lists them)."""
        if not rejected:
            return 0
        for item in rejected:
            log.warning("alert quarantined (%s): %s", channel, item.reason)
        with self.store.session() as session:
            return quarantine(session, rejected, source=source, channel=channel, now=utcnow())

    def _quarantine_refused(self, alert: AlertRecord, exc: Exception) -> None:
        item = rejected(alert.raw or {"labels": alert.labels}, f"the store refused it: {type(exc).__name__}: {exc}")
        with self.store.session() as session:
            quarantine(session, [item], source=alert.source, channel="intake", now=utcnow())

    def _retrying(self, write: Callable[[Session], tuple[Incident | None, bool]]) -> tuple[int | None, bool]:
        """One intake write in its own transaction, retried once when another process inserted the
        same alert or incident first (the unique constraints make the second try see it)."""
        for attempt in (1, 2):
            try:
                with self.store.session() as session:
                    incident, is_new = write(session)
                    return (incident.id if incident is not None else None), is_new
            except IntegrityError:
                if attempt == 2:
                    raise
        return None, False

    def ingest_pagerduty(
        self, incidents: list[tuple[PagerDutyIncident, list[AlertRecord]]], *, event: WebhookEvent | None = None
    ) -> list[int]:
        """Record PagerDuty incidents (polled, or the one a webhook ``event`` is about: its id
        de-duplicates deliveries and its time orders them)."""
        now = utcnow()
        opened: list[int] = []
        with self._write_lock:
            for pd, alerts in incidents:
                incident_id, is_new = self._retrying(
                    lambda s, p=pd, a=alerts: self.intake.pagerduty(s, p, a, now=now, event=event)
                )
                if incident_id is not None and is_new:
                    opened.append(incident_id)
            self.metrics.pages.labels("pagerduty").inc(len(incidents))
            self.metrics.opened.labels("pagerduty").inc(len(opened))
        return opened

    # ------------------------------------------------------------------ polling
    def poll_alertmanager(self) -> list[int]:
        source = self.connectors.alertmanager
        if source is None:
            return []
        self.metrics.polls.labels("alertmanager").inc()
        try:
            poll = poll_of(source)
        except CopilotError as exc:
            self._source_failed("alertmanager", exc.message)
            return []
        self.source_errors.pop("alertmanager", None)
        self.quarantine(poll.rejected, channel="poll")
        firing = [a for a in poll.alerts if a.status == "firing"]
        opened = self.ingest_alerts(firing, active_set={a.fingerprint for a in firing})
        now = utcnow()
        with self._write_lock, self.store.session() as session:
            for alert in firing:
                self.intake.suppression(session, alert, poll.suppression.get(alert.fingerprint, Suppression()), now=now)
        return opened

    def poll_pagerduty(self) -> list[int]:
        source = self.connectors.pagerduty
        if source is None:
            return []
        self.metrics.polls.labels("pagerduty").inc()
        try:
            batch = [(pd, source.incident_alerts(pd.id)) for pd in source.open_incidents()]
            with self.store.session() as session:
                known_open = [
                    i.source_ref
                    for i in service.list_incidents(session, open_only=True)
                    if i.source == "pagerduty" and i.source_ref
                ]
            seen = {pd.id for pd, _ in batch}
            batch += [(source.incident(ref), []) for ref in known_open if ref not in seen]
        except CopilotError as exc:
            self._source_failed("pagerduty", exc.message)
            return []
        self.source_errors.pop("pagerduty", None)
        return self.ingest_pagerduty(batch)

    def _source_failed(self, name: str, message: str) -> None:
        self.metrics.connector_errors.labels(name).inc()
        if self.source_errors.get(name) != message:
            log.warning("polling %s failed: %s", name, message)
        self.source_errors[name] = message

    # ------------------------------------------------------------------ gathering
    def context(self, incident: Incident) -> GatherContext:
        follow = incident.page_at + self.settings.watcher.follow_for
        return GatherContext(
            incident_id=incident.id,
            component=incident.component,
            namespace=incident.namespace or self._catalog_namespace(incident.component),
            page_at=incident.page_at,
            window_end=incident.page_at if self.settings.replay.enabled else min(utcnow(), follow),
            settings=self.settings,
            related=self.catalog.related(incident.component),
            pagerduty_id=incident.source_ref if incident.source == "pagerduty" else None,
        )

    def _catalog_namespace(self, component: str | None) -> str | None:
        info = self.catalog.components.get(component or "")
        return info.namespace if info else None

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

    def _gather(self, incident_id: int) -> list[Outcome]:
        self.ensure_catalog()
        with self.store.session() as session:
            incident = service.get(session, incident_id=incident_id)
            if incident is None:
                return []
            ctx = self.context(incident)
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
                    self._sync_catalog(session, incident_id)
            if outcome.error is not None:
                self.metrics.connector_errors.labels(outcome.name).inc()
            outcomes.append(outcome)
        self.metrics.gather_seconds.observe(time.monotonic() - started)
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
        except Exception:
            log.exception("analysis of incident %s failed", incident_id)
        self.metrics.analysis_seconds.observe(time.monotonic() - started)
        if drafts is not None and self._agent_wanted(incident_id):
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
            log.info("agent on incident %s: %s", incident_id, outcome.reason)

    def _agent_wanted(self, incident_id: int) -> bool:
        """Cost guardrail: the agent runs once per incident, and only with a key and enabled."""
        cfg = self.settings.agent
        has_key = cfg.provider != "anthropic" or cfg.api_key is not None  # config folds in ANTHROPIC_API_KEY
        if not (cfg.enabled and has_key):
            return False
        with self.store.session() as session:  # the agent's run note marks it done for this incident
            return session.get(TimelineEvent, event_id(incident_id, "note", "agent/run")) is None

    def _sync_catalog(self, session: Session, incident_id: int) -> None:
        """Mirror the catalog into the store (when it changed) and set the incident's owner."""
        fingerprint = hash(repr((self.catalog.components, self.catalog.groups)))
        if fingerprint != self._catalog_synced:
            self._write_catalog(session)
            self._catalog_synced = fingerprint
        incident = service.get(session, incident_id=incident_id)
        if incident is not None and incident.component in self.catalog.components:
            incident.owner = self.catalog.components[incident.component].owner

    def _write_catalog(self, session: Session) -> None:
        """Mirror the catalog into the store in one upsert per table (watchers race otherwise)."""
        now = utcnow()
        components = [
            {
                "name": c.name,
                "owner": c.owner,
                "system": c.system,
                "lifecycle": c.lifecycle,
                "type": c.type,
                "pagerduty_service": c.pagerduty_service,
                "runbook_url": c.runbook_url,
                "links": list(c.links),
                "depends_on": list(c.depends_on),
                "source": c.source,
                "updated_at": now,
            }
            for c in self.catalog.components.values()
        ]
        upsert(session, Component, components, key=["name"], update=_COMPONENT_UPDATE)
        groups = [
            {
                "name": g.name,
                "display_name": g.display_name,
                "email": g.email,
                "details": {"members": list(g.members)},
                "updated_at": now,
            }
            for g in self.catalog.groups.values()
        ]
        upsert(session, Group, groups, key=["name"], update=["display_name", "email", "details", "updated_at"])

    def gather_async(self, incident_ids: list[int]) -> list[Future[list[Outcome]]]:
        return [self.dispatch.submit(self._safe_gather, i) for i in incident_ids]

    def _safe_gather(self, incident_id: int) -> list[Outcome]:
        try:
            return self.gather(incident_id)
        except Exception:
            log.exception("gathering incident %s failed", incident_id)
            return []

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
            self._safe_gather(incident_id)

    # ------------------------------------------------------------------ running
    def run_once(self) -> list[int]:
        """One synchronous cycle: poll every source, then gather what is open. Returns new ids."""
        self.ensure_catalog()
        self.inbox.drain()  # webhooks acknowledged before a crash come first
        opened = self.poll_alertmanager() + self.poll_pagerduty()
        self.refresh_open()
        return opened

    def reconcile_actions(self) -> None:
        """Actions a crashed process left mid-execution: re-read their targets, never re-execute."""
        from incident.actions import reconcile

        try:
            for action in reconcile(self.store, connectors=self.connectors, settings=self.settings):
                log.warning("reconciled action %s after a crash: %s", action.id, action.status)
        except Exception:
            log.exception("reconciling actions failed")

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

    def start(self) -> None:
        """Reconcile interrupted actions, analyse what was gathered but not analysed (in the
        background), then start the scheduled jobs (first runs now)."""
        self.reconcile_actions()
        self.dispatch.submit(self._safe_complete_analyses)
        cfg = self.settings.watcher
        scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
        now = datetime.now(tz=scheduler.timezone)
        scheduler.add_job(
            self._poll_and_gather,
            "interval",
            args=["alertmanager"],
            id="poll-alertmanager",
            name="poll-alertmanager",
            seconds=cfg.poll_interval.total_seconds(),
            next_run_time=now,
        )
        scheduler.add_job(
            self._poll_and_gather,
            "interval",
            args=["pagerduty"],
            id="poll-pagerduty",
            name="poll-pagerduty",
            seconds=cfg.poll_interval.total_seconds(),
            next_run_time=now,
        )
        scheduler.add_job(
            self._refresh_if_leading,
            "interval",
            id="refresh-open-incidents",
            name="refresh-open-incidents",
            seconds=cfg.refresh_interval.total_seconds(),
            next_run_time=now,
        )
        scheduler.add_job(
            self._reconcile_if_leading,
            "interval",
            id="reconcile-actions",
            name="reconcile-actions",
            seconds=cfg.refresh_interval.total_seconds(),
        )
        scheduler.start()
        self.scheduler = scheduler
        self.inbox.start()  # first processes what a previous run acknowledged but did not process

    def _safe_complete_analyses(self) -> None:
        try:
            self.complete_analyses()
        except Exception:
            log.exception("analysing incidents left unanalysed failed")

    def leading(self) -> bool:
        """Keep or take the leader lock (every scheduled job asks first, so a follower takes over
        within one poll interval of the leader's death)."""
        leads = self.coordination.lead()
        self.metrics.leader.set(1 if leads else 0)
        return leads

    def _reconcile_if_leading(self) -> None:
        if self.leading():
            self.reconcile_actions()

    def _refresh_if_leading(self) -> None:
        if self.leading():
            self.refresh_open()

    def _poll_and_gather(self, source: str) -> None:
        if not self.leading():
            return
        try:
            self.ensure_catalog()  # the first poll must not run before the catalog is known
            opened = self.poll_alertmanager() if source == "alertmanager" else self.poll_pagerduty()
        except Exception:
            log.exception("polling %s failed", source)
            return
        self.gather_async(opened)

    def stop(self) -> None:
        self.inbox.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        self.dispatch.shutdown(wait=True, cancel_futures=True)
        self.pools.shutdown()
        self.coordination.close()
        self.metrics.leader.set(0)
