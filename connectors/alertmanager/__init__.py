"""Alertmanager connector: alert source, silences, and the webhook payload parser.

Names are imported on first use: the settings read ``alertmanager.config`` without
loading the vendor client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.alertmanager.client import AlertmanagerConnector, AlertPoll, Silence, Suppression
    from connectors.alertmanager.webhook import AlertmanagerNotification, RejectedAlert, fingerprint, parse_webhook

_HOMES = {
    "AlertmanagerConnector": "client",
    "AlertPoll": "client",
    "Silence": "client",
    "Suppression": "client",
    "AlertmanagerNotification": "webhook",
    "RejectedAlert": "webhook",
    "fingerprint": "webhook",
    "parse_webhook": "webhook",
}

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


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
