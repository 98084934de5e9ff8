"""Intake orchestration: polls and webhook payloads -> incidents, each alert in its own transaction.

A write another process won (the same alert inserted first) is retried once; an alert the store
refuses for any other reason is quarantined so the others proceed; a store that is full, locked
or gone raises, so the whole payload is retried later (the inbox keeps it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from connectors.base import AlertRecord, PagerDutyIncident, RejectedAlert, Suppression, WebhookEvent, poll_of
from connectors.common.alerts import rejected
from incident import service
from incident.catalog import CatalogCache
from incident.config import Settings
from incident.errors import CopilotError
from incident.intake import Intake
from incident.logformat import incident_fields
from incident.metrics import WatcherMetrics
from incident.models import InboxItem, Incident, QuarantinedAlert, utcnow
from incident.quarantine import quarantine
from incident.registry import Connectors
from incident.store import Store

log = logging.getLogger(__name__)


class IntakeService:
    """Records what the sources report: Alertmanager alerts, PagerDuty incidents, rejected alerts."""

    def __init__(
        self, settings: Settings, store: Store, connectors: Connectors, catalog: CatalogCache, metrics: WatcherMetrics
    ) -> None:
        self.settings = settings
        self.store = store
        self.connectors = connectors
        self.metrics = metrics
        self.intake = Intake(settings, lambda: catalog.index)
        self.write_lock = threading.Lock()
        """Serialises intake writes inside this process (webhooks and polls race otherwise)."""
        self.source_errors: dict[str, str] = {}
        """Source name -> the last poll's error, while it keeps failing (the listener's health shows it)."""

    def store_counts(self) -> dict[str, int]:
        """Quarantined alerts and pending inbox items (read at each metrics scrape)."""
        with self.store.session() as session:
            return {
                "quarantined": session.scalar(select(func.count()).select_from(QuarantinedAlert)) or 0,
                "inbox_pending": session.scalar(
                    select(func.count()).select_from(InboxItem).where(InboxItem.status == "pending")
                )
                or 0,
            }

    # ------------------------------------------------------------------ writes
    def ingest_alerts(self, alerts: list[AlertRecord], *, active_set: set[str] | None = None) -> list[int]:
        """Record alerts; with ``active_set`` (a full poll) resolve the ones no longer active.

        Returns the ids of incidents opened now. Each alert is its own transaction, retried once
        when another process won the race to insert the same alert.
        """
        now = utcnow()
        opened: list[int] = []
        with self.write_lock:
            for alert in alerts:
                try:
                    incident_id, is_new = self._retrying(partial(self.intake.alert, alert=alert, now=now))
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
                    if incident is None:
                        return None, is_new
                    session.flush()
                    incident_id, opened = incident.id, _opened_line(incident) if is_new else None
                if opened is not None:  # committed: logged once, even when the write was retried
                    log.info("%s", opened, extra=incident_fields(incident_id, incident.component))
                return incident_id, is_new
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
        with self.write_lock:
            for pd, alerts in incidents:
                incident_id, is_new = self._retrying(
                    partial(self.intake.pagerduty, pd=pd, alerts=alerts, now=now, event=event)
                )
                if incident_id is not None and is_new:
                    opened.append(incident_id)
            self.metrics.pages.labels("pagerduty").inc(len(incidents))
            self.metrics.opened.labels("pagerduty").inc(len(opened))
        return opened

    # ------------------------------------------------------------------ polls
    def poll_alertmanager(self) -> list[int]:
        """Active alerts -> incidents; alerts gone from Alertmanager resolve. Returns new ids."""
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
        with self.write_lock, self.store.session() as session:
            for alert in firing:
                self.intake.suppression(session, alert, poll.suppression.get(alert.fingerprint, Suppression()), now=now)
        return opened

    def poll_pagerduty(self) -> list[int]:
        """Triggered/acknowledged incidents -> incidents; the open ones we know follow PagerDuty's status."""
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


def _opened_line(incident: Incident) -> str:
    return (
        f"incident {incident.id} opened: {incident.title} (component {incident.component or 'unknown'},"
        f" severity {incident.severity or 'unknown'}, via {incident.source})"
    )
