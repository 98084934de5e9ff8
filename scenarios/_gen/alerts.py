"""Alertmanager v2 alerts and PagerDuty REST v2 objects."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from _gen.world import BY_NAME, NAMESPACE, SERVICES, digest, hexid, ts_ms

PROM = "http://prometheus.monitoring.svc:9090"
RUNBOOKS = "https://runbooks.shop.example.com"
PD_WEB = "https://shop-example.pagerduty.com"
PD_API = "https://api.pagerduty.com"


def am_alert(
    page_at: datetime,
    alertname: str,
    service: str,
    *,
    summary: str,
    description: str,
    starts: datetime,
    expr: str,
    severity: str = "critical",
    receiver: str = "oncall-pager",
    extra: dict[str, str] | None = None,
    runbook: str | None = None,
) -> dict[str, Any]:
    labels = {
        "alertname": alertname,
        "namespace": NAMESPACE,
        "service": service,
        "severity": severity,
        "prometheus": "monitoring/k8s",
        **(extra or {}),
    }
    labels = dict(sorted(labels.items()))
    fingerprint = hexid(16, *sorted(labels.items()))
    return {
        "annotations": {
            "description": description,
            "runbook_url": runbook or f"{RUNBOOKS}/{service}",
            "summary": summary,
        },
        "endsAt": ts_ms(page_at + timedelta(minutes=4)),
        "fingerprint": fingerprint,
        "receivers": [{"name": receiver}],
        "startsAt": ts_ms(starts),
        "status": {"inhibitedBy": [], "silencedBy": [], "state": "active"},
        "updatedAt": ts_ms(page_at - timedelta(seconds=11)),
        "generatorURL": f"{PROM}/graph?g0.expr={quote(expr, safe='')}&g0.tab=1",
        "labels": labels,
    }


def incident_id(*parts: object) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "Q" + "".join(alphabet[b % len(alphabet)] for b in digest("pdinc", *parts)[:13])


def _ref(kind: str, obj_id: str, summary: str, path: str) -> dict[str, Any]:
    return {
        "id": obj_id,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"{PD_API}/{path}/{obj_id}",
        "html_url": f"{PD_WEB}/{path}/{obj_id}",
    }


ONCALL = {
    "team-payments": ("PU8XQ2M", "Priya Natarajan"),
    "team-fulfilment": ("PU3LK9D", "Tomás Ferreira"),
    "team-checkout": ("PU7HD4W", "Sam Okafor"),
    "team-web": ("PU2RT6C", "Mia Lindqvist"),
    "team-discovery": ("PU5NB1Z", "Kenji Watanabe"),
    "team-ml": ("PU9FG3S", "Ana Costa"),
    "team-fulfilment-2": ("PU4JX7Q", "Lena Hoffmann"),
}


def service_ref(name: str) -> dict[str, Any]:
    svc = BY_NAME[name]
    return _ref("service", svc.pd_id, name, "services")


def pagerduty(
    page_at: datetime,
    *,
    number: int,
    service: str,
    title: str,
    alert_key: str,
    details: dict[str, Any],
    change_events: list[dict[str, Any]],
) -> tuple[str, dict[str, Any]]:
    """The paged incident (triggered at ``page_at``) with its alert, log entries and services."""
    svc = BY_NAME[service]
    inc_id = incident_id(service, number)
    user_id, user_name = ONCALL.get(svc.team, ("PU0AAAA", "On-call engineer"))
    ep = _ref(
        "escalation_policy", "PE" + hexid(5, "ep", svc.team).upper(), f"{svc.team} escalation", "escalation_policies"
    )
    team = _ref("team", "PT" + hexid(5, "team", svc.team).upper(), svc.team, "teams")
    user = _ref("user", user_id, user_name, "users")
    sref = service_ref(service)
    trigger_id = "R" + hexid(25, "log", inc_id, "trigger").upper()
    inc_ref = _ref("incident", inc_id, f"[#{number}] {title}", "incidents")
    created = ts_ms(page_at).replace(".000Z", "Z")
    incident = {
        "id": inc_id,
        "type": "incident",
        "summary": f"[#{number}] {title}",
        "self": f"{PD_API}/incidents/{inc_id}",
        "html_url": f"{PD_WEB}/incidents/{inc_id}",
        "incident_number": number,
        "title": title,
        "description": title,
        "created_at": created,
        "updated_at": created,
        "status": "triggered",
        "incident_key": alert_key,
        "service": sref,
        "assignments": [{"at": created, "assignee": user}],
        "assigned_via": "escalation_policy",
        "last_status_change_at": created,
        "resolved_at": None,
        "first_trigger_log_entry": _ref("trigger_log_entry", trigger_id, "Triggered through the API.", "log_entries"),
        "alert_counts": {"all": 1, "triggered": 1, "resolved": 0},
        "is_mergeable": True,
        "escalation_policy": ep,
        "teams": [team],
        "pending_actions": [],
        "acknowledgements": [],
        "basic_alert_grouping": None,
        "alert_grouping": None,
        "last_status_change_by": sref,
        "priority": {
            "id": "PQ1P1SV",
            "type": "priority",
            "summary": "P1",
            "self": f"{PD_API}/priorities/PQ1P1SV",
            "html_url": None,
            "name": "P1",
            "color": "a8171c",
            "order": 1,
        },
        "resolve_reason": None,
        "conference_bridge": None,
        "incidents_responders": [],
        "responder_requests": [],
        "urgency": "high",
    }
    alert_id = "Q" + hexid(13, "alert", inc_id).upper()
    alert = {
        "id": alert_id,
        "type": "alert",
        "summary": title,
        "self": f"{PD_API}/alerts/{alert_id}",
        "html_url": f"{PD_WEB}/alerts/{alert_id}",
        "created_at": created,
        "status": "triggered",
        "resolved_at": None,
        "alert_key": alert_key,
        "suppressed": False,
        "service": sref,
        "severity": "critical",
        "incident": inc_ref,
        "integration": _ref(
            "inbound_integration",
            "PI" + hexid(5, "int", service).upper(),
            "Prometheus Alertmanager",
            f"services/{svc.pd_id}/integrations",
        ),
        "body": {
            "type": "alert_body",
            "contexts": [],
            "details": details,
            "cef_details": {
                "client": "Alertmanager",
                "client_url": f"{PROM}/alerts",
                "description": title,
                "details": details,
                "severity": "critical",
                "source_origin": f"{service}.{NAMESPACE}",
                "event_class": "prometheus",
                "dedup_key": alert_key,
            },
        },
        "first_trigger_log_entry": _ref("trigger_log_entry", trigger_id, "Triggered through the API.", "log_entries"),
    }
    notify = page_at + timedelta(seconds=3)
    log_entries = [
        {
            "id": trigger_id,
            "type": "trigger_log_entry",
            "summary": "Triggered through the API.",
            "self": f"{PD_API}/log_entries/{trigger_id}",
            "html_url": f"{PD_WEB}/incidents/{inc_id}/log_entries/{trigger_id}",
            "created_at": created,
            "agent": sref,
            "channel": {"type": "api", "summary": title, "details": details},
            "service": sref,
            "incident": inc_ref,
            "teams": [team],
            "contexts": [],
            "event_details": {"description": title},
        },
        {
            "id": "R" + hexid(25, "log", inc_id, "assign").upper(),
            "type": "assign_log_entry",
            "summary": f"Assigned to {user_name}.",
            "created_at": created,
            "agent": sref,
            "channel": {"type": "auto"},
            "service": sref,
            "incident": inc_ref,
            "teams": [team],
            "contexts": [],
            "assignees": [user],
        },
        {
            "id": "R" + hexid(25, "log", inc_id, "notify").upper(),
            "type": "notify_log_entry",
            "summary": f"Notified {user_name} by push notification.",
            "created_at": ts_ms(notify).replace(".000Z", "Z"),
            "agent": sref,
            "channel": {"type": "push_notification"},
            "service": sref,
            "incident": inc_ref,
            "teams": [team],
            "contexts": [],
            "user": user,
        },
    ]
    services = []
    for s in SERVICES:
        if s.kind != "Component":
            continue
        services.append(
            {
                **_ref("service", s.pd_id, s.name, "services"),
                "type": "service",
                "name": s.name,
                "description": s.description,
                "status": "critical" if s.name == service else "active",
                "auto_resolve_timeout": 14400,
                "acknowledgement_timeout": 1800,
                "created_at": "2024-03-04T10:20:00Z",
                "alert_creation": "create_alerts_and_incidents",
                "incident_urgency_rule": {"type": "constant", "urgency": "high"},
                "escalation_policy": _ref(
                    "escalation_policy",
                    "PE" + hexid(5, "ep", s.team).upper(),
                    f"{s.team} escalation",
                    "escalation_policies",
                ),
                "teams": [_ref("team", "PT" + hexid(5, "team", s.team).upper(), s.team, "teams")],
                "last_incident_timestamp": created if s.name == service else "2025-08-14T03:12:44Z",
            }
        )
    return inc_id, {
        "incidents": [incident],
        "alerts": {inc_id: [alert]},
        "log_entries": log_entries,
        "services": services,
        "change_events": change_events,
    }


def change_event(
    at: datetime,
    service: str,
    summary: str,
    *,
    source: str = "github-actions",
    link: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    ev_id = "Q" + hexid(25, "chg", service, at.isoformat(), summary).upper()
    return {
        "id": ev_id,
        "type": "change_event",
        "summary": summary,
        "timestamp": ts_ms(at).replace(".000Z", "Z"),
        "services": [service_ref(service)],
        "integration": {
            "id": "PCI" + hexid(4, "ci", source).upper(),
            "type": "inbound_integration_reference",
            "summary": "GitHub Actions change events" if source == "github-actions" else source,
        },
        "routing_key": hexid(32, "rk", service),
        "source": source,
        "links": [{"href": link or f"https://github.com/shop/{service}/actions", "text": "Pipeline run"}],
        "custom_details": details or {},
    }
