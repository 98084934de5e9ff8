"""PagerDuty v3 webhooks: signature verification and parsing into a :class:`WebhookEvent`.

PagerDuty signs each delivery with every active secret of the subscription, so the
``X-PagerDuty-Signature`` header holds one or more comma-separated ``v1=<hex>`` entries, each
an HMAC-SHA256 of the raw body. Verify the raw bytes before parsing them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from connectors.base import WebhookEvent as WebhookEvent  # re-exported; home: connectors/base.py
from connectors.common.errors import WebhookError
from connectors.pagerduty.mapping import parse_time

SIGNATURE_HEADER = "X-PagerDuty-Signature"
PING = "pagey.ping"


def sign(body: bytes, secret: str) -> str:
    """The ``v1=<hex>`` signature PagerDuty would send for ``body``."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: str) -> bool:
    """True when any ``v1`` signature in ``header`` matches (constant-time compare)."""
    if not header or not secret:
        return False
    expected = sign(body, secret).encode()
    matched = False
    for part in header.split(","):
        # compare every entry (no early exit), so timing does not reveal which one matched
        matched |= hmac.compare_digest(part.strip().encode(), expected)
    return matched


def _check_strings(value: Any, where: str) -> None:
    """Every string of the event must be storable text: no NUL (PostgreSQL refuses it) and no lone
    surrogate (valid JSON, not encodable as UTF-8); a 400 naming the field otherwise."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, f"{path}.{k}") for k, v in item.items())
            stack.extend((k, f"{path} key") for k in item)
        elif isinstance(item, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(item))
        elif isinstance(item, str):
            if "\x00" in item:
                raise WebhookError(f"{_printable(path)}: contains a NUL character")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise WebhookError(f"{_printable(path)}: contains a lone surrogate (not valid Unicode text)") from None


MAX_INCIDENT_ID = 245
"""Longest incident id the store keeps (``pagerduty:<id>`` in a 255-character key); PagerDuty's are ~14."""
MAX_SERVICE_ID = 64


def _check_length(value: str | None, limit: int, where: str) -> None:
    """A 400 now for an id the store cannot keep: acknowledged, it would fail processing on every
    retry (PostgreSQL refuses an over-long ``varchar``) and the delivery would be lost."""
    if value is not None and len(value) > limit:
        raise WebhookError(f"{where}: {len(value)} characters, longer than {limit}")


def _printable(path: str) -> str:
    return path[:200].encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_webhook(body: bytes) -> WebhookEvent:
    """Parse a v3 webhook body; :class:`WebhookError` (400) says what is wrong with it."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise WebhookError(f"body is not JSON: {exc}") from None
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        raise WebhookError("missing 'event' object")
    _check_strings(event, "event")
    event_type = _str(event.get("event_type"))
    if event_type is None:
        raise WebhookError("missing event.event_type")
    try:
        occurred_at = parse_time(event.get("occurred_at"))
    except ValueError as exc:
        raise WebhookError(f"event.occurred_at missing or not RFC 3339: {event.get('occurred_at')!r}") from exc
    data = event.get("data")
    if not isinstance(data, dict):
        raise WebhookError("missing event.data object")
    if _str(data.get("id")) is None and event_type != PING:
        raise WebhookError("missing event.data.id")
    resource_type = _str(event.get("resource_type")) or _str(data.get("type"))

    incident_id = status = title = service_id = None
    if event_type.startswith("incident.") or resource_type == "incident":
        if data.get("type") in ("incident", None):
            incident_id, status, title = data.get("id"), _str(data.get("status")), _str(data.get("title"))
            service = data.get("service")
            service_id = _str(service.get("id")) if isinstance(service, dict) else None
        else:  # a note, responder request, status update...: the incident is referenced
            ref = data.get("incident")
            incident_id = _str(ref.get("id")) if isinstance(ref, dict) else None
            title = _str(ref.get("summary")) if isinstance(ref, dict) else None
        if incident_id is None:
            raise WebhookError(f"{event_type}: missing event.data.incident.id")
        _check_length(incident_id, MAX_INCIDENT_ID, "incident id")
        _check_length(service_id, MAX_SERVICE_ID, "event.data.service.id")
    return WebhookEvent(
        event_type=event_type,
        occurred_at=occurred_at,
        incident_id=incident_id,
        incident_status=status,
        title=title,
        service_id=service_id,
        id=_str(event.get("id")),
        resource_type=resource_type,
        raw=payload,
    )
