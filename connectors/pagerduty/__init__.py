"""PagerDuty: REST API v2 (incidents, alerts, log entries, change events, actions) and v3 webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.common.lazy import lazy_exports

if TYPE_CHECKING:
    from connectors.pagerduty.client import PagerDutyConnector as PagerDutyConnector
    from connectors.pagerduty.mapping import change_kind as change_kind
    from connectors.pagerduty.webhook import SIGNATURE_HEADER as SIGNATURE_HEADER
    from connectors.pagerduty.webhook import WebhookEvent as WebhookEvent
    from connectors.pagerduty.webhook import parse_webhook as parse_webhook
    from connectors.pagerduty.webhook import sign as sign
    from connectors.pagerduty.webhook import verify_signature as verify_signature

__getattr__ = lazy_exports(
    __name__,
    {
        "client": ["PagerDutyConnector"],
        "mapping": ["change_kind"],
        "webhook": ["SIGNATURE_HEADER", "WebhookEvent", "parse_webhook", "sign", "verify_signature"],
    },
)
