"""PagerDuty: REST API v2 (incidents, alerts, log entries, change events, actions) and v3 webhooks."""

from connectors.pagerduty.client import PagerDutyConnector
from connectors.pagerduty.mapping import change_kind
from connectors.pagerduty.webhook import SIGNATURE_HEADER, WebhookEvent, parse_webhook, sign, verify_signature

__all__ = [
    "SIGNATURE_HEADER",
    "PagerDutyConnector",
    "WebhookEvent",
    "change_kind",
    "parse_webhook",
    "sign",
    "verify_signature",
]
