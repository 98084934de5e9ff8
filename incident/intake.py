"""Intake: turn alerts and PagerDuty incidents into deduplicated incidents (one transaction each).

Alertmanager alerts deduplicate on their instance, (fingerprint, startsAt): the same alert firing
again after it resolved is a new page and opens a new incident (grouped by component within
``watcher.group_window`` of the page time). PagerDuty incidents deduplicate on their id and adopt
an open Alertmanager incident on the same component, so one page is one incident.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.base import AlertRecord, PagerDutyIncident
from connectors.catalog.entities import ComponentIndex, label_values
from incident import service
from incident.config import Settings
from incident.models import Alert, EventKind, Incident, IncidentStatus
from incident.redact import redact
from incident.timeline import log_event


def resolve_component(labels: dict[str, str], keys: list[str], index: ComponentIndex) -> tuple[str | None, bool]:
    """The component an alert's labels name, and whether the catalog knows it.

    Unknown to the catalog, the first label value among ``keys`` still names the component, so
    metrics and pods can be found by it.
    """
    found = index.resolve(labels, keys)
    if found:
        return found, True
    values = label_values(labels, keys)
    return (values[0], False) if values else (None, False)


class Intake:
    def __init__(self, settings: Settings, index: Callable[[], ComponentIndex]) -> None:
        self.settings = settings
        self._index = index
        """The catalog as last read (the watcher rebuilds it once per catalog refresh)."""

    # ------------------------------------------------------------------ alertmanager
    def alert(self, session: Session, alert: AlertRecord, *, now: datetime) -> tuple[Incident | None, bool]:
        """Record one Alertmanager alert; return its incident (None for a resolved alert with no
        firing on record) and whether the incident was opened now."""
        existing = self._known_firing(session, alert)
        if existing is not None:
            incident = existing.incident
            self._update_alert(session, existing, alert)
            if alert.status == "resolved":
                # never in the future: a source's clock may run ahead of ours (and a replay's does)
                self._maybe_resolve(session, incident, at=min(alert.ends_at or now, now))
            return incident, False
        if alert.status == "resolved":
            return None, False  # resolved before we saw this firing: nothing to open
        component, known = resolve_component(alert.labels, self.settings.catalog.alert_label_keys, self._index())
        incident = None
        if component:
            incident = service.find_open_for_component(
                session,
                component=component,
                around=alert.starts_at,
                window=self.settings.watcher.group_window,
            )
        opened = incident is None
        if incident is None:
            incident = Incident(
                dedup_key=f"alertmanager:{component or '-'}:{alert.fingerprint}:{int(alert.starts_at.timestamp())}",
                source="alertmanager",
                source_ref=alert.fingerprint,
                title=redact(alert.annotations.get("summary") or alert.name),
                status=str(IncidentStatus.triggered),
                severity=alert.severity,
                component=component,
                namespace=alert.labels.get("namespace"),
                page_at=alert.starts_at,
            )
            session.add(incident)
            session.flush()
            self._opened(session, incident, f"{alert.name} fired", "alertmanager")
            if component is None or not known:
                self._unknown_component(session, incident, alert.labels, component)
        self._add_alert(session, incident, alert)
        return incident, opened

    @staticmethod
    def _known_firing(session: Session, alert: AlertRecord) -> Alert | None:
        """The stored row this notice is about: its exact instance, else the alert's latest row while
        that one still fires (the same firing re-sent with another startsAt, e.g. after Alertmanager
        lost its state). None when the alert never fired before or its latest firing resolved."""
        exact = service.alert_instance(
            session, source=alert.source, fingerprint=alert.fingerprint, starts_at=alert.starts_at
        )
        if exact is not None:
            return exact
        latest = service.alert_by_fingerprint(session, source=alert.source, fingerprint=alert.fingerprint)
        return latest if latest is not None and latest.status != "resolved" else None

    def resolve_missing(self, session: Session, active: set[str], *, now: datetime) -> list[int]:
        """Alerts no longer active in Alertmanager are resolved; so are incidents left without any."""
        resolved = []
        for incident in service.list_incidents(session, open_only=True):
            changed = False
            for a in incident.alerts:
                if a.source == "alertmanager" and a.status != "resolved" and a.fingerprint not in active:
                    a.status, a.ends_at, changed = "resolved", now, True
            if changed and self._maybe_resolve(session, incident, at=now):
                resolved.append(incident.id)
        return resolved

    # ------------------------------------------------------------------ pagerduty
    def pagerduty(
        self, session: Session, pd: PagerDutyIncident, alerts: list[AlertRecord], *, now: datetime
    ) -> tuple[Incident, bool]:
        incident = service.get_by_pagerduty_id(session, pagerduty_id=pd.id)
        opened = False
        if incident is None:
            component, known = self._pd_component(pd, alerts)
            if component:
                incident = service.find_open_for_component(
                    session,
                    component=component,
                    around=pd.created_at,
                    window=self.settings.watcher.group_window,
                )
            if incident is not None and incident.source_ref is not None and incident.source == "pagerduty":
                incident = None
            if incident is None:
                incident = Incident(
                    dedup_key=f"pagerduty:{pd.id}",
                    source="pagerduty",
                    source_ref=pd.id,
                    title=redact(pd.title),
                    status=str(IncidentStatus.triggered),
                    severity=pd.urgency,
                    component=component,
                    pagerduty_service=pd.service_id,
                    page_at=pd.created_at,
                )
                session.add(incident)
                session.flush()
                opened = True
                self._opened(session, incident, f"PagerDuty incident {pd.number or pd.id} triggered", "pagerduty")
                if component is None or not known:
                    self._unknown_component(session, incident, alerts[0].labels if alerts else {}, component)
            else:
                incident.source_ref, incident.pagerduty_service = pd.id, pd.service_id
                log_event(
                    session,
                    incident_id=incident.id,
                    kind=EventKind.note,
                    key=f"pd-link/{pd.id}",
                    at=pd.created_at,
                    source="pagerduty",
                    summary=f"PagerDuty incident {pd.number or pd.id} joined this incident ({pd.title})",
                )
        for alert in alerts:
            if service.alert_by_fingerprint(session, source="pagerduty", fingerprint=alert.fingerprint) is None:
                self._add_alert(session, incident, alert)
        if pd.status == "acknowledged":
            service.set_status(
                session,
                incident=incident,
                status=IncidentStatus.acknowledged,
                at=pd.acknowledged_at or now,
                reason="acknowledged in PagerDuty",
                source="pagerduty",
            )
        elif pd.status == "resolved":
            service.set_status(
                session,
                incident=incident,
                status=IncidentStatus.resolved,
                at=pd.resolved_at or now,
                reason="resolved in PagerDuty",
                source="pagerduty",
            )
        return incident, opened

    # ------------------------------------------------------------------ helpers
    def _pd_component(self, pd: PagerDutyIncident, alerts: list[AlertRecord]) -> tuple[str | None, bool]:
        index = self._index()
        for c in index.components:
            if pd.service_id and c.pagerduty_service == pd.service_id:
                return c.name, True
        for alert in alerts:
            found = resolve_component(alert.labels, self.settings.catalog.alert_label_keys, index)
            if found[0]:
                return found
        if pd.service_name:
            return resolve_component({"service": pd.service_name}, ["service"], index)
        return None, False

    def _opened(self, session: Session, incident: Incident, reason: str, source: str) -> None:
        log_event(
            session,
            incident_id=incident.id,
            kind=EventKind.incident_state,
            key="state/triggered",
            at=incident.page_at,
            source=source,
            summary=f"incident opened: {reason}",
            details={"status": "triggered", "component": incident.component},
            component=incident.component,
        )

    def _unknown_component(
        self, session: Session, incident: Incident, labels: dict[str, str], guess: str | None
    ) -> None:
        keys = ", ".join(self.settings.catalog.alert_label_keys)
        summary = (
            f"component '{guess}' from the alert labels is not in the catalog"
            if guess
            else f"the alert labels name no component (tried {keys}); set [catalog] alert_label_keys"
        )
        log_event(
            session,
            incident_id=incident.id,
            kind=EventKind.note,
            key="intake/component",
            at=incident.page_at,
            source="intake",
            summary=summary,
            details={"labels": labels, "tried": keys},
        )

    def _add_alert(self, session: Session, incident: Incident, alert: AlertRecord) -> None:
        row = Alert(
            incident_id=incident.id,
            source=alert.source,
            fingerprint=alert.fingerprint,
            name=alert.name,
            status=alert.status,
            component=incident.component,
            severity=alert.severity,
            labels=dict(alert.labels),
            annotations={k: redact(v) for k, v in alert.annotations.items()},
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
        )
        session.add(row)
        session.flush()
        self._alert_event(session, incident, row)

    def _update_alert(self, session: Session, row: Alert, alert: AlertRecord) -> None:
        if row.status != alert.status or row.ends_at != alert.ends_at:
            row.status, row.ends_at = alert.status, alert.ends_at
            row.annotations = {k: redact(v) for k, v in alert.annotations.items()}
            session.flush()
            self._alert_event(session, row.incident, row)

    def _alert_event(self, session: Session, incident: Incident, row: Alert) -> None:
        summary = row.annotations.get("summary") or row.annotations.get("description") or ""
        log_event(
            session,
            incident_id=incident.id,
            kind=EventKind.alert,
            key=self._alert_key(session, incident, row),
            at=row.starts_at,
            source=row.source,
            component=row.component,
            summary=f"{row.name} {row.status}"
            + (f" ({row.severity})" if row.severity else "")
            + (f": {summary}" if summary else ""),
            details={
                "labels": row.labels,
                "annotations": row.annotations,
                "status": row.status,
                "fingerprint": row.fingerprint,
                "starts_at": row.starts_at,
                "ends_at": row.ends_at,
            },
        )

    @staticmethod
    def _alert_key(session: Session, incident: Incident, row: Alert) -> str:
        """The timeline key of an alert row: the fingerprint for its first firing in the incident (as
        before 0005), qualified by startsAt for a later one, so a re-firing never overwrites the first."""
        key = f"alert/{row.source}/{row.fingerprint}"
        earlier = session.scalar(
            select(Alert.id)
            .where(
                Alert.incident_id == incident.id,
                Alert.source == row.source,
                Alert.fingerprint == row.fingerprint,
                Alert.starts_at < row.starts_at,
            )
            .limit(1)
        )
        return key if earlier is None else f"{key}/{int(row.starts_at.timestamp())}"

    def _maybe_resolve(self, session: Session, incident: Incident, *, at: datetime) -> bool:
        if incident.source == "pagerduty":
            return False  # PagerDuty is the system of record for its incidents
        if any(a.status != "resolved" for a in incident.alerts if a.source == "alertmanager"):
            return False
        return service.set_status(
            session,
            incident=incident,
            status=IncidentStatus.resolved,
            at=at,
            reason="every alert resolved in Alertmanager",
            source="alertmanager",
        )
