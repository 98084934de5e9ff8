"""Alertmanager's webhook notification (payload version 4), parsed into plain records.

Also home of the alert-shape helpers the API client shares: the webhook and ``GET
/api/v2/alerts`` carry the same alert fields, except that the webhook's ``status`` is a string
(``firing``/``resolved``) and the API's is an object with a ``state``.

Every alert is validated alone: one that cannot be stored faithfully (no ``alertname``, a lone
surrogate or NUL in its text, a time out of range...) becomes a :class:`RejectedAlert` with the
reason, and the rest of the notification or poll proceeds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.base import AlertRecord
from connectors.base import RejectedAlert as RejectedAlert  # re-exported; home: connectors/base.py
from connectors.common.alerts import MAX_LABEL as MAX_LABEL  # these five are re-exported; home: common/alerts.py
from connectors.common.alerts import check_text as check_text
from connectors.common.alerts import fingerprint as fingerprint
from connectors.common.alerts import rejected as rejected
from connectors.common.alerts import str_map as str_map
from connectors.common.errors import WebhookError

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


MAX_SEVERITY = 32


def alert_record(raw: dict[str, Any], *, status: str, where: str) -> AlertRecord:
    """An :class:`AlertRecord` from one alert object; ValueError naming the bad field.

    A missing ``fingerprint`` is computed from the labels, as Alertmanager does.
    """
    labels = str_map(raw.get("labels"), f"{where}.labels")
    name = labels.get("alertname")
    if not name:
        raise ValueError(f"{where}.labels.alertname: missing")
    for key, value in labels.items():  # labels are identifiers (free text belongs in annotations)
        limit = MAX_SEVERITY if key == "severity" else MAX_LABEL
        if len(key) > MAX_LABEL or len(value) > limit:
            raise ValueError(f"{where}.labels.{key[:64]}: longer than {limit} characters")
    try:
        starts_at = parse_time(raw.get("startsAt"))
    except ValueError:
        raise ValueError(f"{where}.startsAt: not an RFC 3339 time in range") from None
    try:
        ends_at = parse_end(raw.get("endsAt"))
    except ValueError:
        raise ValueError(f"{where}.endsAt: not an RFC 3339 time in range") from None
    given = raw.get("fingerprint")
    if given is not None and not isinstance(given, str):
        raise ValueError(f"{where}.fingerprint: not a string")
    if given is not None and len(given) > MAX_LABEL:
        raise ValueError(f"{where}.fingerprint: longer than {MAX_LABEL} characters")
    generator = raw.get("generatorURL")
    if generator is not None and not isinstance(generator, str):
        raise ValueError(f"{where}.generatorURL: not a string")
    return AlertRecord(
        source="alertmanager",
        fingerprint=check_text(given, f"{where}.fingerprint") if given else fingerprint(labels),
        name=name,
        status=status,
        starts_at=starts_at,
        labels=labels,
        annotations=str_map(raw.get("annotations"), f"{where}.annotations"),
        ends_at=ends_at,
        severity=labels.get("severity"),
        generator_url=check_text(generator, f"{where}.generatorURL") if generator else None,
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
    rejected: list[RejectedAlert] = field(default_factory=list)
    """Alerts of the batch that failed validation (to quarantine); the others are in ``alerts``."""


def _webhook_alert(raw: Any, where: str) -> AlertRecord:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: not an object")
    status = raw.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise ValueError(f"{where}.status: {status!r} is not 'firing' or 'resolved'")
    return alert_record(raw, status=status, where=where)


def _loose_map(value: Any) -> dict[str, str]:
    """groupLabels/commonLabels: informational, so unreadable entries are dropped, not fatal."""
    if not isinstance(value, dict):
        return {}
    out = {}
    for key, item in value.items():
        try:
            out[check_text(str(key), "key")] = check_text(str(item), "value")
        except ValueError:
            continue
    return out


def parse_webhook(body: bytes) -> AlertmanagerNotification:
    """Parse a webhook body.

    The envelope must be sound (JSON object, version 4, an ``alerts`` list), else
    :class:`WebhookError` (400) says why. Each alert is then validated alone: a bad one lands in
    ``rejected`` with its reason and the others are parsed.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
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
    refused: list[RejectedAlert] = []
    for index, raw in enumerate(alerts):
        try:
            records.append(_webhook_alert(raw, f"alerts[{index}]"))
        except ValueError as exc:
            refused.append(rejected(raw, str(exc)))
    status = data.get("status")
    return AlertmanagerNotification(
        receiver=str(data.get("receiver") or ""),
        status=status
        if status in ("firing", "resolved")
        else ("firing" if any(r.status == "firing" for r in records) else "resolved"),
        group_key=str(data.get("groupKey") or ""),
        group_labels=_loose_map(data.get("groupLabels")),
        common_labels=_loose_map(data.get("commonLabels")),
        external_url=data.get("externalURL") if isinstance(data.get("externalURL"), str) else None,
        alerts=records,
        rejected=refused,
    )
