"""PagerDuty: REST API v2 (incidents, alerts, log entries, change events, actions) and v3 webhooks.

Names are imported on first use: the settings read ``pagerduty.config`` without
loading the vendor client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.common.lazy import lazy_exports

if TYPE_CHECKING:
    from connectors.pagerduty.client import PagerDutyConnector
    from connectors.pagerduty.mapping import change_kind
    from connectors.pagerduty.webhook import SIGNATURE_HEADER, WebhookEvent, parse_webhook, sign, verify_signature

__all__ = [
    "PagerDutyConnector",
    "SIGNATURE_HEADER",
    "WebhookEvent",
    "change_kind",
    "parse_webhook",
    "sign",
    "verify_signature",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "PagerDutyConnector": "client",
        "change_kind": "mapping",
        "SIGNATURE_HEADER": "webhook",
        "WebhookEvent": "webhook",
        "parse_webhook": "webhook",
        "sign": "webhook",
        "verify_signature": "webhook",
    },
)
