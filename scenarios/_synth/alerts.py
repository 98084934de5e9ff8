"""The page and other firing alerts (Alertmanager v2 shape) and, for some cases, a PagerDuty incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from _gen.alerts import am_alert
from _gen.world import hexid, ts_ms

from _synth.model import World

PD_API = "https://api.pagerduty.com"


def alert(
    w: World,
    name: str,
    service: str,
    *,
    summary: str,
    description: str,
    starts: datetime,
    expr: str,
    severity: str = "critical",
    receiver: str = "oncall-pager",
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    """:func:`_gen.alerts.am_alert` in this case's namespace."""
    out = am_alert(
        w.page_at,
        name,
        service,
        summary=summary,
        description=description,
        starts=starts,
        expr=expr,
        severity=severity,
        receiver=receiver,
        extra=extra,
        runbook=f"https://runbooks.{w.ns}.example.com/{name}",
    )
    out["labels"]["namespace"] = w.ns
    out["fingerprint"] = hexid(16, w.name, *sorted(out["labels"].items()))
    return out


def symptom_alert(
    w: World, service: str, name: str, value: float, starts: datetime, threshold: float = 1.0, **kw: Any
) -> dict[str, Any]:
    """HighErrorRatio (``value`` = percent) or HighLatency (``value`` = p99 seconds): symptoms only."""
    sel = f'service="{service}"'
    if name == "HighErrorRatio":
        return alert(
            w,
            name,
            service,
            starts=starts,
            summary=f"{service}: more than 5% of requests fail",
            description=f"{value:.1f}% of {service} requests returned 5xx over the last 5 minutes (threshold 5%).",
            expr=f'sum(rate(http_requests_total{{{sel},code=~"5.."}}[5m]))'
            f" / sum(rate(http_requests_total{{{sel}}}[5m])) > 0.05",
            **kw,
        )
    return alert(
        w,
        name,
        service,
        starts=starts,
        summary=f"{service}: p99 latency above {threshold:g}s",
        description=f"p99 latency of {service} is {value:.2f}s over the last 5 minutes (threshold {threshold:g}s).",
        expr=f"histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{{sel}}}[5m])))"
        f" > {threshold:g}",
        **kw,
    )


def _ref(kind: str, obj_id: str, summary: str, path: str) -> dict[str, Any]:
    return {"id": obj_id, "type": f"{kind}_reference", "summary": summary, "self": f"{PD_API}/{path}/{obj_id}"}


def pagerduty(w: World, service: str, title: str, number: int) -> tuple[str, dict[str, Any]]:
    """A triggered incident on ``service``'s PagerDuty service, with its alert, log entry and the services."""
    svc = w.svc(service)
    inc_id = "Q" + hexid(13, "pdinc", w.name).upper()
    created = ts_ms(w.page_at).replace(".000Z", "Z")
    sref = _ref("service", svc.pd_id, service, "services")
    inc_ref = _ref("incident", inc_id, f"[#{number}] {title}", "incidents")
    details = {"firing": title, "service": service, "namespace": w.ns}
    incident = {
        "id": inc_id,
        "type": "incident",
        "summary": f"[#{number}] {title}",
        "self": f"{PD_API}/incidents/{inc_id}",
        "incident_number": number,
        "title": title,
        "description": title,
        "created_at": created,
        "updated_at": created,
        "status": "triggered",
        "incident_key": hexid(32, "key", w.name),
        "service": sref,
        "urgency": "high",
        "alert_counts": {"all": 1, "triggered": 1, "resolved": 0},
        "escalation_policy": _ref("escalation_policy", "PE" + hexid(5, w.name, svc.team).upper(), svc.team, "x"),
        "teams": [_ref("team", "PT" + hexid(5, w.name, svc.team).upper(), svc.team, "teams")],
    }
    alert_id = "Q" + hexid(13, "alert", inc_id).upper()
    pd_alert = {
        "id": alert_id,
        "type": "alert",
        "summary": title,
        "created_at": created,
        "status": "triggered",
        "alert_key": incident["incident_key"],
        "service": sref,
        "severity": "critical",
        "incident": inc_ref,
        "body": {
            "type": "alert_body",
            "details": details,
            "cef_details": {"client": "Alertmanager", "details": details},
        },
    }
    entry_id = "R" + hexid(25, "log", inc_id).upper()
    log_entries = [
        {
            "id": entry_id,
            "type": "trigger_log_entry",
            "summary": "Triggered through the API.",
            "created_at": created,
            "agent": sref,
            "channel": {"type": "api", "summary": title, "details": details},
            "service": sref,
            "incident": inc_ref,
        }
    ]
    services = [
        {
            **_ref("service", s.pd_id, s.name, "services"),
            "type": "service",
            "name": s.name,
            "description": s.description,
            "status": "critical" if s.name == service else "active",
            "created_at": "2024-03-04T10:20:00Z",
        }
        for s in w.topo.apps()
    ]
    return inc_id, {
        "incidents": [incident],
        "alerts": {inc_id: [pd_alert]},
        "log_entries": log_entries,
        "services": services,
        "change_events": [],
    }


def change_event(w: World, at: datetime, service: str, summary: str) -> dict[str, Any]:
    return {
        "id": "Q" + hexid(25, "chg", w.name, service, at.isoformat()).upper(),
        "type": "change_event",
        "summary": summary,
        "timestamp": ts_ms(at).replace(".000Z", "Z"),
        "services": [_ref("service", w.svc(service).pd_id, service, "services")],
        "source": "github-actions",
        "links": [{"href": f"https://github.com/{w.ns}/{service}/actions", "text": "Pipeline run"}],
        "custom_details": {},
    }
