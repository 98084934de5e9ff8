"""Alertmanager connector: alert source, silences, and the webhook payload parser."""

from connectors.alertmanager.client import AlertmanagerConnector, Silence
from connectors.alertmanager.webhook import AlertmanagerNotification, parse_webhook

__all__ = ["AlertmanagerConnector", "AlertmanagerNotification", "Silence", "parse_webhook"]
