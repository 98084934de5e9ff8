"""Intake: turn alerts and PagerDuty incidents into deduplicated incidents (one transaction each).

Alertmanager alerts deduplicate on their instance, (fingerprint, startsAt): the same alert firing
again after it resolved is a new page and opens a new incident (grouped by component within
``watcher.group_window`` of the page time). PagerDuty incidents deduplicate on their id and adopt
an open Alertmanager incident on the same component, so one page is one incident.

An Alertmanager alert resolves only when Alertmanager says so (a resolved notification, an
``endsAt`` passed) or after ``[alertmanager] absent_polls`` consecutive unfiltered polls without it:
a silence or an inhibition mutes an alert, it does not end it. Its suppression is shown on the
timeline, and so is a silence expiring while the alert still fires.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.base import AlertRecord, PagerDutyIncident, Silence, Suppression, WebhookEvent
from connectors.common.timeutil import parse_time_strict as pd_time
from incident import service
from incident.catalog import ComponentIndex, resolve_component
from incident.catalog.notes import write_component_note
from incident.config import Settings
from incident.details import SuppressionDetails
from incident.logformat import incident_fields
from incident.models import Alert, EventKind, Incident, IncidentStatus, TimelineEvent
from incident.redact import redact
from incident.timeline import event_id, log_event

DEDUP_KEY_MAX = 255

log = logging.getLogger(__name__)


def dedup_key(natural: str) -> str:
    """``natural`` when the store's column holds it, else its source prefix and a SHA-256 of it
    (a component and a fingerprint of up to 255 characters each must still open one incident)."""
    if len(natural) <= DEDUP_KEY_MAX:
        return natural
    prefix = natural.split(":", 1)[0][:32]
    return f"{prefix}:sha256:{hashlib.sha256(natural.encode()).hexdigest()}"


class Intake:
    def __init__(self, settings: Settings, index: Callable[[], ComponentIndex]) -> None:
        self.settings = settings
        self._index = index
        """The catalog as last read (the watcher rebuilds it once per catalog refresh)."""
        self._absent: dict[str, int] = {}
        """fingerprint -> consecutive successful polls that did not list the alert (in memory: a
        restart only delays a resolution by up to ``absent_polls`` polls)."""

    # ------------------------------------------------------------------ alertmanager
    def alert(self, session: Session, alert: AlertRecord, *, now: datetime) -> tuple[Incident | None, bool]:
        """Record one Alertmanager alert; return its incident (None for a resolved alert with no
        firing on record) and whether the incident was opened now."""
        existing = self._known_firing(session, alert)
        if existing is not None:
            self._update_alert(session, existing, alert)
            if alert.status == "resolved":
                self._absent.pop(alert.fingerprint, None)
                # never in the future: a source's clock may run ahead of ours (and a replay's does)
                self._maybe_resolve(session, existing.incident, at=min(alert.ends_at or now, now))
            return existing.incident, False
        if alert.status == "resolved":
            return None, False  # resolved before we saw this firing: nothing to open
        index = self._index()
        component, known = resolve_component(alert.labels, self.settings.catalog.alert_label_keys, index)
        incident: Incident | None = None
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
                dedup_key=dedup_key(
                    f"alertmanager:{component or '-'}:{alert.fingerprint}:{int(alert.starts_at.timestamp())}"
                ),
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
                self._unknown_component(session, incident, alert.labels, component, index)
        else:
            _follow_most_severe(incident, alert)
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
        """After a successful unfiltered poll listing ``active``: a firing alert missing from it is
        resolved when its last known ``endsAt`` has passed (Alertmanager ended it) or when it has
        been missing from ``absent_polls`` consecutive polls; so are incidents left without any."""
        needed = self.settings.alertmanager.absent_polls
        for fp in [fp for fp in self._absent if fp in active]:
            del self._absent[fp]
        firing = session.scalars(
            select(Alert)
            .join(Incident, Alert.incident_id == Incident.id)
            .where(
                Incident.status.in_([str(st) for st in service.OPEN]),
                Alert.source == "alertmanager",
                Alert.status != "resolved",
            )
            .order_by(Alert.incident_id, Alert.id)
        )  # every open incident's, not only the latest page of them
        changed: dict[int, Incident] = {}
        for a in firing:
            if a.fingerprint in active:
                continue
            missed = self._absent.get(a.fingerprint, 0) + 1
            ended = a.ends_at is not None and a.ends_at <= now
            if ended or missed >= needed:
                a.status, a.ends_at = "resolved", a.ends_at if ended else now
                self._absent.pop(a.fingerprint, None)
                session.flush()
                self._alert_event(session, a.incident, a)
                changed[a.incident_id] = a.incident
            else:
                self._absent[a.fingerprint] = missed
        return [i for i, incident in changed.items() if self._maybe_resolve(session, incident, at=now)]

    def suppression(self, session: Session, alert: AlertRecord, state: Suppression, *, now: datetime) -> None:
        """Record what a poll says mutes ``alert`` (an empty :class:`Suppression`: nothing).

        The current state is one timeline note per firing; each change adds its own note, so a
        silence put on, and one expiring while the alert still fires, both stay visible.
        """
        row = service.alert_instance(
            session, source=alert.source, fingerprint=alert.fingerprint, starts_at=alert.starts_at
        ) or self._known_firing(session, alert)
        if row is None or row.status == "resolved":
            return
        key = f"alert-state/{row.source}/{row.fingerprint}/{int(row.starts_at.timestamp())}"
        current = session.get(TimelineEvent, event_id(row.incident_id, str(EventKind.note), key))
        before = _state(current.details if current is not None else {})
        after = _state_details(state)
        if before == _state(after):
            return
        summary = _transition(row.name, before, state)
        changes = (SuppressionDetails.of(current).changes if current is not None else 0) + 1
        details = {**after, "fingerprint": row.fingerprint, "starts_at": row.starts_at, "changes": changes}
        for event_key in (key, f"{key}/{changes}"):
            log_event(
                session,
                incident_id=row.incident_id,
                kind=EventKind.note,
                key=event_key,
                at=now,
                source="alertmanager",
                component=row.component,
                summary=summary,
                details=details,
            )

    # ------------------------------------------------------------------ pagerduty
    def pagerduty(
        self,
        session: Session,
        pd: PagerDutyIncident,
        alerts: list[AlertRecord],
        *,
        now: datetime,
        event: WebhookEvent | None = None,
    ) -> tuple[Incident, bool]:
        """Record a PagerDuty incident as polled, or as a v3 webhook ``event`` brought it.

        Webhooks come at least once and in any order: an event id already recorded on the incident
        changes nothing, and a status older than the last one applied is ignored.
        """
        incident = service.get_by_pagerduty_id(session, pagerduty_id=pd.id)
        if incident is not None and event is not None and event.id:
            seen = event_id(incident.id, str(EventKind.pagerduty_log), _pd_event_key(event.id))
            if session.get(TimelineEvent, seen) is not None:
                return incident, False
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
                    dedup_key=dedup_key(f"pagerduty:{pd.id}"),
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
                    self._unknown_component(
                        session, incident, alerts[0].labels if alerts else {}, component, self._index()
                    )
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
        if event is not None and event.id:
            log_event(
                session,
                incident_id=incident.id,
                kind=EventKind.pagerduty_log,
                key=_pd_event_key(event.id),
                at=event.occurred_at,
                source="pagerduty",
                summary=f"PagerDuty webhook {event.event_type}",
                details={"event_id": event.id, "event_type": event.event_type, "status": pd.status},
            )
        self._pd_status(session, incident, pd, at=status_at(pd, event, now))
        return incident, opened

    @staticmethod
    def _pd_status(session: Session, incident: Incident, pd: PagerDutyIncident, *, at: datetime) -> None:
        """Follow PagerDuty's status, never backwards: news older than the last status PagerDuty
        gave this incident (an acknowledge re-sent after the resolve, a poll's stale snapshot)
        changes nothing."""
        if pd.status not in ("acknowledged", "resolved"):
            return
        last = session.scalar(
            select(func.max(TimelineEvent.at)).where(
                TimelineEvent.incident_id == incident.id,
                TimelineEvent.kind == str(EventKind.incident_state),
                TimelineEvent.source == "pagerduty",
                TimelineEvent.id != event_id(incident.id, str(EventKind.incident_state), "state/triggered"),
            )
        )
        if last is not None and at < last:
            return
        if pd.status == "acknowledged" and incident.status == IncidentStatus.resolved:
            return  # only a newer triggered/reopened incident leaves resolved, and we do not reopen
        status = IncidentStatus.acknowledged if pd.status == "acknowledged" else IncidentStatus.resolved
        if service.set_status(
            session, incident=incident, status=status, at=at, reason=f"{status} in PagerDuty", source="pagerduty"
        ):
            log.info(
                "incident %s %s in PagerDuty",
                incident.id,
                status,
                extra=incident_fields(incident.id, incident.component),
            )

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
        self, session: Session, incident: Incident, labels: dict[str, str], guess: str | None, index: ComponentIndex
    ) -> None:
        """Note an alert naming no component, or one the catalog does not know; an empty index is a
        catalog not read yet, which cannot tell (gathering's catalog read settles it)."""
        if guess is not None and len(index) == 0:
            return
        write_component_note(session, incident, labels, guess, self.settings.catalog.alert_label_keys)

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
        resolved = service.set_status(
            session,
            incident=incident,
            status=IncidentStatus.resolved,
            at=at,
            reason="every alert resolved in Alertmanager",
            source="alertmanager",
        )
        if resolved:
            log.info(
                "incident %s resolved: every alert resolved in Alertmanager",
                incident.id,
                extra=incident_fields(incident.id, incident.component),
            )
        return resolved


def _state_details(state: Suppression) -> dict[str, object]:
    return {
        "suppressed": state.suppressed,
        "silenced_by": [
            {"id": s.id, "created_by": s.created_by, "ends_at": s.ends_at, "comment": s.comment}
            for s in state.silenced_by
        ],
        "inhibited_by": list(state.inhibited_by),
    }


def _state(details: dict[str, object]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(silence ids, inhibiting fingerprints): what a change of state is judged on."""
    return SuppressionDetails.parse(details).state


def _silence_text(s: Silence) -> str:
    parts = [f"by {s.created_by}" if s.created_by else "", f"until {s.ends_at:%Y-%m-%d %H:%M} UTC" if s.ends_at else ""]
    text = f"silence {s.id}" + (f" ({', '.join(p for p in parts if p)})" if any(parts) else "")
    return text + (f": {redact(s.comment)}" if s.comment else "")


def _transition(name: str, before: tuple[tuple[str, ...], tuple[str, ...]], state: Suppression) -> str:
    """What changed, in words: a new silence or inhibition, or the end of one while still firing."""
    said = []
    if state.silenced_by:
        said.append("silenced by " + "; ".join(_silence_text(s) for s in state.silenced_by))
    if state.inhibited_by:
        said.append("inhibited by alert(s) " + ", ".join(state.inhibited_by))
    ended = [f"silence {i} ended" for i in before[0] if i not in {s.id for s in state.silenced_by}]
    if before[1] and not state.inhibited_by:
        ended.append("inhibition ended")
    if ended:
        tail = "; now " + " and ".join(said) if said else "; the alert is still firing and notifies again"
        return f"{name}: {', '.join(ended)}{tail}"
    return f"{name} {' and '.join(said)} (still firing; notifications muted)"


SEVERITY_RANK = {"info": 1, "low": 1, "warning": 2, "error": 3, "high": 3, "critical": 4, "page": 4}
"""How severe a severity label (Alertmanager) or urgency (PagerDuty) is; unknown values rank 0."""


def severity_rank(severity: str | None) -> int:
    return SEVERITY_RANK.get((severity or "").strip().lower(), 0)


def _follow_most_severe(incident: Incident, alert: AlertRecord) -> None:
    """A more severe alert joining ``incident`` gives it its severity and title (the page is about it now)."""
    if severity_rank(alert.severity) > severity_rank(incident.severity):
        incident.severity = alert.severity
        incident.title = redact(alert.annotations.get("summary") or alert.name)


def _pd_event_key(event_id_: str) -> str:
    return f"pd-event/{event_id_}"


def status_at(pd: PagerDutyIncident, event: WebhookEvent | None, now: datetime) -> datetime:
    """When PagerDuty's ``pd.status`` took effect: its ``last_status_change_at``, else the webhook
    event's ``occurred_at``, else the status's own time, else ``now``."""
    changed = pd.raw.get("last_status_change_at") if isinstance(pd.raw, dict) else None
    if changed:
        try:
            return pd_time(changed)
        except ValueError:
            pass
    if event is not None:
        return event.occurred_at
    own = pd.resolved_at if pd.status == "resolved" else pd.acknowledged_at
    return own or now
