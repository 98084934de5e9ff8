"""Authentication of the Alertmanager endpoint as Alertmanager's ``http_config`` sends it."""

from __future__ import annotations

import base64
import binascii
import hmac

from incident.config import WebhooksConfig
from incident.errors import WebhookError


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def check_alertmanager_auth(header: str | None, cfg: WebhooksConfig) -> None:
    """Accept the configured Bearer token or Basic credentials; 401 otherwise (nothing configured: open,
    which :func:`incident.listener.check_exposure` allows on loopback only)."""
    if not cfg.alertmanager_auth:
        return
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and cfg.alertmanager_bearer_token is not None:
        if _equal(value, cfg.alertmanager_bearer_token.get_secret_value()):
            return
    elif (
        scheme.lower() == "basic"
        and cfg.alertmanager_basic_user is not None
        and cfg.alertmanager_basic_password is not None
    ):
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise WebhookError("malformed Basic credentials", status=401) from None
        # both compared, no early exit: timing does not tell which one was wrong
        ok = _equal(user, cfg.alertmanager_basic_user) & _equal(
            password, cfg.alertmanager_basic_password.get_secret_value()
        )
        if ok:
            return
    raise WebhookError("missing or wrong credentials for the Alertmanager webhook", status=401)


def challenge(cfg: WebhooksConfig) -> str:
    schemes = []
    if cfg.alertmanager_bearer_token is not None:
        schemes.append('Bearer realm="incident-copilot"')
    if cfg.alertmanager_basic_user is not None:
        schemes.append('Basic realm="incident-copilot"')
    return ", ".join(schemes)
