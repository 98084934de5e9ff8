"""Alertmanager connector: alert source, silences, and the webhook payload parser."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.common.lazy import lazy_exports

if TYPE_CHECKING:
    from connectors.alertmanager.client import AlertmanagerConnector as AlertmanagerConnector
    from connectors.alertmanager.client import AlertPoll as AlertPoll
    from connectors.alertmanager.client import Silence as Silence
    from connectors.alertmanager.client import Suppression as Suppression
    from connectors.alertmanager.webhook import AlertmanagerNotification as AlertmanagerNotification
    from connectors.alertmanager.webhook import RejectedAlert as RejectedAlert
    from connectors.alertmanager.webhook import fingerprint as fingerprint
    from connectors.alertmanager.webhook import parse_webhook as parse_webhook

__getattr__ = lazy_exports(
    __name__,
    {
        "client": ["AlertmanagerConnector", "AlertPoll", "Silence", "Suppression"],
        "webhook": ["AlertmanagerNotification", "RejectedAlert", "fingerprint", "parse_webhook"],
    },
)
