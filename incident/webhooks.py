"""What an Alertmanager or PagerDuty v3 webhook means: validation before it is accepted, and its
processing once committed to the inbox.

The HTTP side (authentication, limits, the durable inbox) is :mod:`incident.listener`; the parsers
are the connectors', reached through :func:`incident.registry.webhook_parsers`. Validation
runs before anything is written, so a refused webhook (bad signature 401, malformed body 400)
leaves no trace; processing is idempotent (intake de-duplicates), so a payload processed twice
after a crash changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.base import AlertRecord, PagerDutyIncident, WebhookEvent
from incident.errors import CopilotError, WebhookError
from incident.registry import webhook_parsers

if TYPE_CHECKING:
    from incident.config import Settings
    from incident.watcher import Watcher

log = logging.getLogger(__name__)

ALERTMANAGER = "alertmanager"
PAGERDUTY = "pagerduty"


@dataclass(frozen=True)
class Verdict:
    """A valid webhook: whether it carries anything to process, and a summary for the answer."""

    process: bool
    summary: dict[str, object]


def validate_alertmanager(body: bytes) -> Verdict:
    notification = webhook_parsers().alertmanager(body)
    summary: dict[str, object] = {"alerts": len(notification.alerts)}
    if notification.rejected:  # quarantined when processed; the others proceed
        summary["rejected"] = [r.reason for r in notification.rejected]
    return Verdict(True, summary)


def check_pagerduty_signature(body: bytes, signature: str | None, settings: Settings) -> None:
    """401 unless ``signature`` is PagerDuty's over these raw bytes (checked before any parsing)."""
    secret = settings.pagerduty.webhook_secret
    if secret is None:
        raise WebhookError("no [pagerduty] webhook_secret configured; refusing unsigned webhooks", status=401)
    if not webhook_parsers().pagerduty_signed(body, signature, secret.get_secret_value()):
        raise WebhookError("signature does not match the configured webhook secret", status=401)


def validate_pagerduty(body: bytes) -> Verdict:
    """Shape (400); events that are not about an incident are ignored."""
    event = webhook_parsers().pagerduty(body)
    if not _is_incident_event(event):
        return Verdict(False, {"event_type": event.event_type})
    return Verdict(True, {"event_type": event.event_type, "incident": event.incident_id})


def _is_incident_event(event: WebhookEvent) -> bool:
    return event.event_type.startswith("incident.") and bool(event.incident_id)


def process(watcher: Watcher, source: str, body: bytes) -> list[int]:
    """Apply one committed webhook payload; return the incidents it opened (gathering is queued)."""
    if source == ALERTMANAGER:
        notification = webhook_parsers().alertmanager(body)
        watcher.quarantine(notification.rejected, channel="webhook")
        opened = watcher.ingest_alerts(list(notification.alerts))
    elif source == PAGERDUTY:
        event = webhook_parsers().pagerduty(body)
        if not _is_incident_event(event):
            return []
        opened = watcher.ingest_pagerduty([pagerduty_incident(watcher, event)], event=event)
    else:
        raise WebhookError(f"unknown inbox source {source!r}")
    watcher.gather_async(opened)
    return opened


def pagerduty_incident(watcher: Watcher, event: WebhookEvent) -> tuple[PagerDutyIncident, list[AlertRecord]]:
    """The incident as PagerDuty has it now; the webhook's own copy when the API is unreachable."""
    assert event.incident_id is not None
    source = watcher.connectors.pagerduty
    if source is not None:
        try:
            return source.incident(event.incident_id), source.incident_alerts(event.incident_id)
        except CopilotError as exc:
            log.warning("PagerDuty API unavailable, using the webhook's data: %s", exc.message)
    pd = PagerDutyIncident(
        id=event.incident_id,
        title=event.title or event.incident_id,
        status=event.incident_status or "triggered",
        created_at=event.occurred_at,
        service_id=event.service_id,
        raw=event.raw,
    )
    return pd, []
