"""The watcher: schedules polls, refreshes and reconciliation over the application layer.

Scheduled jobs (APScheduler, named where they are declared):

- ``poll-alertmanager``: active alerts -> incidents; alerts gone from Alertmanager resolve.
- ``poll-pagerduty``: triggered/acknowledged incidents -> incidents; status follows PagerDuty.
- ``refresh-open-incidents``: re-gather every open incident (and any never fully gathered,
  e.g. after a crash), resolving PagerDuty incidents that were resolved there.
- ``reconcile-actions``: settle actions a killed process (a TUI, a CLI) left executing, once their
  grace has passed (on start too).

What each job does lives in :mod:`incident.app.intake` (polls, webhooks, quarantine),
:mod:`incident.app.pipeline` (gather -> write -> diagnose, crash recovery) and
:mod:`incident.app.reconcile`; the methods here that share their names delegate to them.

Several watchers may share one PostgreSQL store (:mod:`incident.coordination`): only the leader
runs these jobs, any of them takes webhooks, and one incident is gathered and analysed by one
watcher at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.orm import Session

from connectors.base import AlertRecord, PagerDutyIncident, RejectedAlert, WebhookEvent
from incident.app.intake import IntakeService
from incident.app.pipeline import Pipeline
from incident.app.reconcile import reconcile_actions
from incident.catalog import CatalogCache
from incident.config import Settings
from incident.coordination import Coordinator, locks_for
from incident.gathering import Outcome
from incident.gathering.drafts import GatherContext
from incident.inbox import Inbox
from incident.metrics import WatcherMetrics
from incident.models import Incident
from incident.registry import Connectors
from incident.runbooks import configured_runbooks
from incident.store import Store

log = logging.getLogger(__name__)


class Watcher:
    def __init__(self, settings: Settings, store: Store, connectors: Connectors) -> None:
        self.settings = settings
        self.store = store
        self.connectors = connectors
        self.catalog = CatalogCache()
        self.metrics = WatcherMetrics()
        self.coordination = Coordinator(locks_for(store.engine))
        """Leader lock and per-incident locks shared with other watchers on the same store."""
        self.runbooks = configured_runbooks(settings.runbooks)
        for problem in self.runbooks.problems:
            log.warning("runbook skipped: %s", problem)
        self.receiving = IntakeService(settings, store, connectors, self.catalog, self.metrics)
        self.pipeline = Pipeline(
            settings,
            store,
            connectors,
            self.coordination,
            catalog=self.catalog,
            runbooks=self.runbooks,
            metrics=self.metrics,
        )
        self.dispatch = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gather")
        self.scheduler: BackgroundScheduler | None = None
        self.metrics.watch_store(self.receiving.store_counts)
        self.inbox = Inbox(self)
        """Webhook payloads committed by the listener, processed in order by one worker."""

    @property
    def source_errors(self) -> dict[str, str]:
        return self.receiving.source_errors

    @property
    def on_agent_event(self) -> Callable[[Any], None] | None:
        """Progress of the agent (the TUI subscribes)."""
        return self.pipeline.on_agent_event

    @on_agent_event.setter
    def on_agent_event(self, listener: Callable[[Any], None] | None) -> None:
        self.pipeline.on_agent_event = listener

    # ------------------------------------------------------------------ intake (incident.app.intake)
    def ingest_alerts(self, alerts: list[AlertRecord], *, active_set: set[str] | None = None) -> list[int]:
        return self.receiving.ingest_alerts(alerts, active_set=active_set)

    def ingest_pagerduty(
        self, incidents: list[tuple[PagerDutyIncident, list[AlertRecord]]], *, event: WebhookEvent | None = None
    ) -> list[int]:
        return self.receiving.ingest_pagerduty(incidents, event=event)

    def quarantine(self, rejected: list[RejectedAlert], *, channel: str, source: str = "alertmanager") -> int:
        return self.receiving.quarantine(rejected, channel=channel, source=source)

    def poll_alertmanager(self) -> list[int]:
        return self.receiving.poll_alertmanager()

    def poll_pagerduty(self) -> list[int]:
        return self.receiving.poll_pagerduty()

    # ------------------------------------------------------------------ pipeline (incident.app.pipeline)
    def context(self, incident: Incident) -> GatherContext:
        return self.pipeline.context(incident)

    def ensure_catalog(self) -> None:
        self.pipeline.ensure_catalog()

    def gather(self, incident_id: int) -> list[Outcome]:
        return self.pipeline.gather(incident_id)

    def diagnose(self, incident_id: int) -> None:
        self.pipeline.diagnose(incident_id)

    def refresh_open(self) -> None:
        self.pipeline.refresh_open()

    def unanalysed(self) -> list[int]:
        return self.pipeline.unanalysed()

    def complete_analyses(self) -> list[int]:
        return self.pipeline.complete_analyses()

    def reconcile_actions(self) -> None:
        reconcile_actions(self.settings, self.store, self.connectors)

    def _write_catalog(self, session: Session) -> None:
        self.pipeline.mirror.write(session)

    def gather_async(self, incident_ids: list[int]) -> list[Future[list[Outcome]]]:
        """Gather each incident on the dispatch pool (webhooks and polls return at once)."""
        return [self.dispatch.submit(self.pipeline.safe_gather, i) for i in incident_ids]

    # ------------------------------------------------------------------ running
    def run_once(self) -> list[int]:
        """One synchronous cycle: poll every source, then gather what is open. Returns new ids."""
        self.ensure_catalog()
        self.inbox.drain()  # webhooks acknowledged before a crash come first
        opened = self.poll_alertmanager() + self.poll_pagerduty()
        self.refresh_open()
        return opened

    def start(self) -> None:
        """Reconcile interrupted actions, analyse what was gathered but not analysed (in the
        background), then start the scheduled jobs (first runs now)."""
        self.reconcile_actions()
        self.dispatch.submit(self._safe_complete_analyses)
        cfg = self.settings.watcher
        scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
        now = datetime.now(tz=scheduler.timezone)
        poll, refresh = cfg.poll_interval.total_seconds(), cfg.refresh_interval.total_seconds()
        for source in ("alertmanager", "pagerduty"):
            scheduler.add_job(
                self._poll_and_gather,
                "interval",
                args=[source],
                id=f"poll-{source}",
                name=f"poll-{source}",
                seconds=poll,
                next_run_time=now,
            )
        scheduler.add_job(
            self._refresh_if_leading,
            "interval",
            id="refresh-open-incidents",
            name="refresh-open-incidents",
            seconds=refresh,
            next_run_time=now,
        )
        scheduler.add_job(
            self._reconcile_if_leading, "interval", id="reconcile-actions", name="reconcile-actions", seconds=refresh
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
        self.pipeline.pools.shutdown()
        self.coordination.close()
        self.metrics.leader.set(0)
