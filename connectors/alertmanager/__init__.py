"""Alertmanager connector: alert source, silences, and the webhook payload parser.

Names are imported on first use: the settings read ``alertmanager.config`` without
loading the vendor client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.common.lazy import lazy_exports

if TYPE_CHECKING:
    from connectors.alertmanager.client import AlertmanagerConnector, AlertPoll, Silence, Suppression
    from connectors.alertmanager.webhook import AlertmanagerNotification, RejectedAlert, fingerprint, parse_webhook

__all__ = [
    "AlertPoll",
    "AlertmanagerConnector",
    "AlertmanagerNotification",
    "RejectedAlert",
    "Silence",
    "Suppression",
    "fingerprint",
    "parse_webhook",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "AlertmanagerConnector": "client",
        "AlertPoll": "client",
        "Silence": "client",
        "Suppression": "client",
        "AlertmanagerNotification": "webhook",
        "RejectedAlert": "webhook",
        "fingerprint": "webhook",
        "parse_webhook": "webhook",
    },
)
