"""REST API v2 JSON -> the plain records of :mod:`connectors.base`.

Pure functions over dicts, no client: the webhook parser and the tests use them directly.
A missing required key raises ``KeyError``/``ValueError``: the connector turns
those into :class:`connectors.common.errors.ConnectorDataError`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from connectors.base import AlertRecord, ChangeRecord, LogEntry, PagerDutyIncident
from connectors.common.timeutil import parse_time_strict

SOURCE = "pagerduty"


parse_time = parse_time_strict
"""RFC 3339 -> aware UTC datetime, ValueError otherwise (home: connectors/common/timeutil.py)."""


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _opt_time(value: Any) -> datetime | None:
    return parse_time(value) if value else None


def _summary(ref: Any) -> str | None:
    return (ref.get("summary") or ref.get("name")) if isinstance(ref, dict) else None


def to_incident(data: dict[str, Any]) -> PagerDutyIncident:
    status = data["status"]
    service = data.get("service") or {}
    acks = sorted(parse_time(a["at"]) for a in data.get("acknowledgements") or [] if a.get("at"))
    acknowledged_at = acks[0] if acks else None
    if acknowledged_at is None and status == "acknowledged":
        acknowledged_at = _opt_time(data.get("last_status_change_at"))
    resolved_at = _opt_time(data.get("resolved_at"))
    if resolved_at is None and status == "resolved":
        resolved_at = _opt_time(data.get("last_status_change_at"))
    assignees = (_summary(a.get("assignee")) for a in data.get("assignments") or [])
    return PagerDutyIncident(
        id=str(data["id"]),
        title=str(data.get("title") or data.get("summary") or data["id"]),
        status=str(status),
        created_at=parse_time(data["created_at"]),
        number=data.get("incident_number"),
        urgency=data.get("urgency"),
        priority=_summary(data.get("priority")),
        service_id=service.get("id"),
        service_name=_summary(service),
        html_url=data.get("html_url"),
        assignees=tuple(a for a in assignees if a),
        escalation_policy=_summary(data.get("escalation_policy")),
        acknowledged_at=acknowledged_at,
        resolved_at=resolved_at,
        raw=data,
    )


_CEF_LABELS = {"source_component": "component", "service_group": "group", "event_class": "class"}


def to_alert(data: dict[str, Any], incident_id: str) -> AlertRecord:
    """Labels are the alert's custom details (Events API ``payload.custom_details``), stringified;
    nested values go to annotations as JSON. CEF component/group/class fill in missing labels."""
    body = data.get("body") or {}
    cef = body.get("cef_details") or {}
    details = body.get("details")
    if not isinstance(details, dict):
        nested = cef.get("details")
        details = nested if isinstance(nested, dict) else {}
    summary = str(data.get("summary") or data["id"])
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {"summary": summary}
    for key, value in details.items():
        if isinstance(value, dict | list):
            annotations[str(key)] = json.dumps(value, sort_keys=True, default=str)
        elif value is not None:
            labels[str(key)] = str(value)
    for cef_key, label in _CEF_LABELS.items():
        if isinstance(cef.get(cef_key), str) and cef[cef_key]:
            labels.setdefault(label, cef[cef_key])
    return AlertRecord(
        source=SOURCE,
        fingerprint=str(data["id"]),
        name=summary,
        status=str(data["status"]),
        starts_at=parse_time(data["created_at"]),
        labels=labels,
        annotations=annotations,
        ends_at=_opt_time(data.get("resolved_at")),
        severity=data.get("severity") or cef.get("severity"),
        generator_url=data.get("html_url"),
        incident_ref=(data.get("incident") or {}).get("id") or incident_id,
        raw=data,
    )


def to_log_entry(data: dict[str, Any]) -> LogEntry:
    return LogEntry(
        id=str(data["id"]),
        type=str(data["type"]),
        at=parse_time(data["created_at"]),
        summary=str(data.get("summary") or data["type"]),
        agent=_summary(data.get("agent")),
        raw=data,
    )


_KIND_KEYS = ("change_type", "type", "kind", "category")
_CONFIG_VALUE = re.compile(r"config|flag|setting|secret", re.I)
_CONFIG_WORDS = re.compile(r"\b(config\w*|feature[ -]?flags?|flags?|settings?|secrets?)\b", re.I)
_DEPLOY_WORDS = re.compile(r"\b(deploy\w*|releas\w*|roll(ed|ing)?[ -]?outs?|builds?|versions?|v?\d+\.\d+)", re.I)


def change_kind(summary: str, custom: dict[str, Any]) -> str:
    """``config_change`` only when clearly a config change: an explicit type in the custom
    details, or a summary about config/flags that says nothing of a deploy or version."""
    for key in _KIND_KEYS:
        value = custom.get(key)
        if isinstance(value, str) and value:
            return "config_change" if _CONFIG_VALUE.search(value) else "deploy"
    if _CONFIG_WORDS.search(summary) and not _DEPLOY_WORDS.search(summary):
        return "config_change"
    return "deploy"


def to_change(data: dict[str, Any]) -> ChangeRecord:
    custom = data.get("custom_details")
    custom = custom if isinstance(custom, dict) else {}
    services = [s for s in data.get("services") or [] if isinstance(s, dict)]
    summary = str(data.get("summary") or "")
    named = custom.get("service") or custom.get("component")
    component = named if isinstance(named, str) and named else next(filter(None, map(_summary, services)), None)
    details = {
        "custom_details": custom,
        "links": data.get("links") or [],
        "source": data.get("source"),
        "service_ids": [s.get("id") for s in services],
    }
    return ChangeRecord(
        id=str(data["id"]),
        source=SOURCE,
        kind=change_kind(summary, custom),
        at=parse_time(data["timestamp"]),
        summary=summary,
        component=component,
        details={k: v for k, v in details.items() if v},
    )
