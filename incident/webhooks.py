"""``incident watch --listen``: receive Alertmanager and PagerDuty v3 webhooks.

A webhook is answered only after what it carried is committed, so a 2xx means nothing can be
lost; a refused one (bad signature 401, malformed body 400) writes nothing at all.
"""

from __future__ import annotations

import logging

from connectors.alertmanager.webhook import parse_webhook as parse_alertmanager
from connectors.base import AlertRecord, PagerDutyIncident
from connectors.pagerduty.webhook import WebhookEvent, verify_signature
from connectors.pagerduty.webhook import parse_webhook as parse_pagerduty
from incident.errors import CopilotError, WebhookError
from incident.sandbox.http import Request, Response, StandInServer
from incident.watcher import Watcher

log = logging.getLogger(__name__)

MAX_BODY = 5 * 1024 * 1024


class WebhookServer(StandInServer):
    name = "webhooks"

    def __init__(self, watcher: Watcher, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.watcher = watcher
        self.route("POST", r"/webhooks/alertmanager", self._alertmanager)
        self.route("POST", r"/webhooks/pagerduty", self._pagerduty)
        self.route("GET", r"/healthz", lambda _r: {"status": "ok"})

    def _refuse(self, exc: WebhookError, request: Request) -> Response:
        log.warning("refused webhook %s: %s", request.path, exc.message)
        return Response(exc.status, {"error": exc.message})

    def _alertmanager(self, request: Request) -> Response:
        try:
            if len(request.body) > MAX_BODY:
                raise WebhookError("body larger than 5 MiB", status=413)
            notification = parse_alertmanager(request.body)
        except WebhookError as exc:
            return self._refuse(exc, request)
        opened = self.watcher.ingest_alerts(list(notification.alerts))
        self.watcher.gather_async(opened)
        return Response(200, {"status": "accepted", "alerts": len(notification.alerts), "opened": opened})

    def _pagerduty(self, request: Request) -> Response:
        secret = self.watcher.settings.pagerduty.webhook_secret
        try:
            if secret is None:
                raise WebhookError("no [pagerduty] webhook_secret configured; refusing unsigned webhooks", status=401)
            if not verify_signature(
                request.body, request.headers.get("x-pagerduty-signature"), secret.get_secret_value()
            ):
                raise WebhookError("signature does not match the configured webhook secret", status=401)
            event = parse_pagerduty(request.body)
        except WebhookError as exc:
            return self._refuse(exc, request)
        if not event.event_type.startswith("incident.") or not event.incident_id:
            return Response(200, {"status": "ignored", "event_type": event.event_type})
        pd, alerts = self._pagerduty_incident(event)
        opened = self.watcher.ingest_pagerduty([(pd, alerts)], event=event)
        self.watcher.gather_async(opened)
        return Response(200, {"status": "accepted", "opened": opened})

    def _pagerduty_incident(self, event: WebhookEvent) -> tuple[PagerDutyIncident, list[AlertRecord]]:
        """The incident as PagerDuty has it now; the webhook's own copy when the API is unreachable."""
        source = self.watcher.connectors.pagerduty
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
