"""Alertmanager connector: alert source, silences, and the webhook payload parser."""

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
