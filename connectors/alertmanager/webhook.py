"""Alertmanager's webhook notification (payload version 4), parsed into plain records.

Also home of the alert-shape helpers the API client shares: the webhook and ``GET
/api/v2/alerts`` carry the same alert fields, except that the webhook's ``status`` is a string
(``firing``/``resolved``) and the API's is an object with a ``state``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.base import AlertRecord
from incident.errors import WebhookError

_RFC3339 = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_ZERO_YEAR = 1
"""Go's zero time (0001-01-01T00:00:00Z): Alertmanager's endsAt of a firing webhook alert."""


def parse_time(value: Any) -> datetime:
    """Parse an RFC 3339 time (nanosecond fractions allowed) to an aware UTC datetime; ValueError if not."""
    if not isinstance(value, str):
        raise ValueError("not an RFC 3339 time")
    match = _RFC3339.match(value.strip())
    if match is None:
        raise ValueError("not an RFC 3339 time")
    date, clock, fraction, zone = match.groups()
    fraction = (fraction or "")[:7]  # Python takes at most microseconds
    zone = "+00:00" if zone in ("Z", "z") else zone
    try:
        return datetime.fromisoformat(f"{date}T{clock}{fraction}{zone}").astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError("not an RFC 3339 time") from exc


def parse_end(value: Any) -> datetime | None:
    """``endsAt``: None when absent, empty or Go's zero time."""
    if value in (None, ""):
        return None
    when = parse_time(value)
    return None if when.year == _ZERO_YEAR else when


def str_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where}: not an object")
    return {str(k): str(v) for k, v in value.items()}


def alert_record(raw: dict[str, Any], *, status: str, where: str) -> AlertRecord:
    """An :class:`AlertRecord` from one alert object; ValueError naming the bad field."""
    labels = str_map(raw.get("labels"), f"{where}.labels")
    name = labels.get("alertname")
    if not name:
        raise ValueError(f"{where}.labels.alertname: missing")
    try:
        starts_at = parse_time(raw.get("startsAt"))
    except ValueError:
        raise ValueError(f"{where}.startsAt: not an RFC 3339 time") from None
    try:
        ends_at = parse_end(raw.get("endsAt"))
    except ValueError:
        raise ValueError(f"{where}.endsAt: not an RFC 3339 time") from None
    return AlertRecord(
        source="alertmanager",
        fingerprint=str(raw.get("fingerprint") or ""),
        name=name,
        status=status,
        starts_at=starts_at,
        labels=labels,
        annotations=str_map(raw.get("annotations"), f"{where}.annotations"),
        ends_at=ends_at,
        severity=labels.get("severity"),
        generator_url=raw.get("generatorURL") or None,
        raw=raw,
    )


@dataclass(frozen=True)
class AlertmanagerNotification:
    receiver: str
    status: str
    """``firing`` or ``resolved`` for the group as a whole."""
    group_key: str
    group_labels: dict[str, str] = field(default_factory=dict)
    common_labels: dict[str, str] = field(default_factory=dict)
    external_url: str | None = None
    alerts: list[AlertRecord] = field(default_factory=list)


def parse_webhook(body: bytes) -> AlertmanagerNotification:
    """Parse a webhook body; raise :class:`WebhookError` (400) with the precise reason when malformed."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookError(f"body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WebhookError(f"body is a JSON {type(data).__name__}, expected an object")
    version = data.get("version")
    if version is not None and str(version) != "4":
        raise WebhookError(f"version: {version!r} is not supported (expected '4')")
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise WebhookError("alerts: missing or not a list")
    records: list[AlertRecord] = []
    try:
        for index, raw in enumerate(alerts):
            where = f"alerts[{index}]"
            if not isinstance(raw, dict):
                raise ValueError(f"{where}: not an object")
            status = raw.get("status", "firing")
            if status not in ("firing", "resolved"):
                raise ValueError(f"{where}.status: {status!r} is not 'firing' or 'resolved'")
            records.append(alert_record(raw, status=status, where=where))
        group_labels = str_map(data.get("groupLabels"), "groupLabels")
        common_labels = str_map(data.get("commonLabels"), "commonLabels")
    except ValueError as exc:
        raise WebhookError(str(exc)) from None
    return AlertmanagerNotification(
        receiver=str(data.get("receiver") or ""),
        status=str(data.get("status") or ("firing" if any(r.status == "firing" for r in records) else "resolved")),
        group_key=str(data.get("groupKey") or ""),
        group_labels=group_labels,
        common_labels=common_labels,
        external_url=data.get("externalURL") or None,
        alerts=records,
    )
