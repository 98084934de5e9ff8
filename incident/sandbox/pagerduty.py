"""Stand-in for the PagerDuty REST API v2, serving a scenario's ``pagerduty.json``.

The official ``pagerduty`` client talks to it over HTTP on loopback. Only what existed at the
scenario's page time is served (an incident resolved later is served as it was then), and the
actions our connector takes (acknowledge, resolve, notes) change the served state. The
stand-in's clock is frozen at the page time, so those actions are stamped ``page_at``.
"""

from __future__ import annotations

import copy
import threading
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from incident.sandbox.http import Request, Response, StandInServer
from incident.scenario import Scenario
from incident.timeutil import parse_time as _time

API = "https://api.pagerduty.com"
_ID = r"(?P<id>[^/]+)"
NO_FROM = 'You must specify a user\'s email address in the "From" header to perform this action'
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _stamp(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ref(kind: str, id_: str, summary: str | None = None) -> dict[str, Any]:
    plural = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
    return {
        "id": id_,
        "type": f"{kind}_reference",
        "summary": summary or id_,
        "self": f"{API}/{plural}/{id_}",
    }


def make_incident(
    id: str,
    title: str,
    status: str = "triggered",
    service_id: str = "PSERVICE",
    created_at: datetime | str = "",
) -> dict[str, Any]:
    """A minimal valid REST v2 incident, for tests and scenario authors."""
    created = _stamp(created_at or datetime.now(UTC))
    incident: dict[str, Any] = {
        "id": id,
        "type": "incident",
        "summary": f"[#{id}] {title}",
        "title": title,
        "self": f"{API}/incidents/{id}",
        "html_url": f"https://sandbox.pagerduty.com/incidents/{id}",
        "incident_number": zlib.crc32(id.encode()) % 100000,
        "status": status,
        "urgency": "high",
        "created_at": created,
        "last_status_change_at": created,
        "service": _ref("service", service_id),
        "escalation_policy": _ref("escalation_policy", "PPOLICY", "Default"),
        "assignments": [],
        "acknowledgements": [],
        "priority": None,
        "resolved_at": created if status == "resolved" else None,
    }
    if status == "acknowledged":
        incident["acknowledgements"] = [{"at": created, "acknowledger": _ref("user", "PUSER", "On-call")}]
    return incident


def make_alert(
    id: str,
    incident_id: str,
    summary: str,
    created_at: datetime | str,
    *,
    status: str = "triggered",
    severity: str = "critical",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "type": "alert",
        "summary": summary,
        "self": f"{API}/alerts/{id}",
        "created_at": _stamp(created_at),
        "status": status,
        "severity": severity,
        "incident": _ref("incident", incident_id),
        "body": {"type": "alert_body", "contexts": [], "details": details or {}},
    }


def make_change_event(
    id: str,
    summary: str,
    timestamp: datetime | str,
    *,
    service_id: str | None = None,
    custom_details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "type": "change_event",
        "summary": summary,
        "timestamp": _stamp(timestamp),
        "services": [_ref("service", service_id)] if service_id else [],
        "links": [],
        "custom_details": custom_details or {},
    }


def _by_incident(value: Any) -> dict[str, list[dict[str, Any]]]:
    """``{incident id: [items]}``, or a flat list whose items carry ``incident.id``."""
    if isinstance(value, dict):
        return {str(k): list(v) for k, v in value.items()}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in value or []:
        grouped.setdefault(str((item.get("incident") or {}).get("id")), []).append(item)
    return grouped


def _error(status: int, message: str, *errors: str) -> Response:
    return Response(
        status,
        {"error": {"message": message, "code": 2001 if status == 400 else status, "errors": list(errors)}},
    )


class PagerDutyStandIn(StandInServer):
    """REST API v2 on the paths :class:`connectors.pagerduty.PagerDutyConnector` uses."""

    name = "pagerduty"

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        data: dict[str, Any] | None = None,
        token: str = "sandbox-token",
        page_at: datetime | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        source = copy.deepcopy(data if data is not None else scenario.pagerduty if scenario else {})
        self.page_at = page_at or (scenario.page_at if scenario else None)
        self.token = token
        self.fail_next_with_429 = 0
        """Answer the next N requests with 429 (after authentication)."""
        self.mutations: list[dict[str, Any]] = []
        """Every PUT/POST received: method, path, from (the From header) and body."""
        self.incidents: dict[str, dict[str, Any]] = {str(i["id"]): i for i in source.get("incidents") or []}
        self.alerts = _by_incident(source.get("alerts"))
        self.log_entries = _by_incident(source.get("log_entries"))
        self.notes: dict[str, list[dict[str, Any]]] = {}
        self.services: list[dict[str, Any]] = list(source.get("services") or [])
        self.change_events: list[dict[str, Any]] = list(source.get("change_events") or [])
        self._lock = threading.RLock()
        self._seq = 0
        self.route("GET", "/abilities", lambda r: {"abilities": ["teams", "read_only_users", "urgencies"]})
        self.route("GET", "/incidents", self._list_incidents)
        self.route("GET", f"/incidents/{_ID}", self._get_incident)
        self.route("PUT", f"/incidents/{_ID}", self._put_incident)
        self.route("GET", f"/incidents/{_ID}/alerts", self._list_alerts)
        self.route("GET", f"/incidents/{_ID}/log_entries", self._list_log_entries)
        self.route("GET", f"/incidents/{_ID}/notes", self._list_notes)
        self.route("POST", f"/incidents/{_ID}/notes", self._post_note)
        self.route("GET", "/services", lambda r: self._page(r, "services", self._visible(self.services)))
        self.route("GET", f"/services/{_ID}", self._get_service)
        self.route("GET", "/change_events", self._list_change_events)

    # ------------------------------------------------------------------ plumbing

    def now(self) -> datetime:
        return self.page_at or datetime.now(UTC)

    def dispatch(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Token token={self.token}":
            return Response(401, {"error": {"message": "Unauthorized", "code": 2006}})
        with self._lock:
            if self.fail_next_with_429 > 0:
                self.fail_next_with_429 -= 1
                return Response(
                    429,
                    {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
                    headers={"Retry-After": "1"},
                )
            if request.method in ("PUT", "POST"):
                try:
                    body = request.json()
                except ValueError:
                    return _error(400, "Invalid Input Provided", "body is not JSON")
                self.mutations.append(
                    {
                        "method": request.method,
                        "path": request.path,
                        "from": request.headers.get("from"),
                        "body": body,
                    }
                )
            return super().dispatch(request)

    def _seen(self, item: dict[str, Any], key: str = "created_at") -> bool:
        at = _time(item.get(key))
        return self.page_at is None or at is None or at <= self.page_at

    def _visible(self, items: list[dict[str, Any]], key: str = "created_at") -> list[dict[str, Any]]:
        seen = (i for i in items if self._seen(i, key))
        return sorted(seen, key=lambda i: (_time(i.get(key)) or _EPOCH, str(i.get("id"))))

    def _window(self, request: Request, items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        since, until = _time(request.arg("since")), _time(request.arg("until"))
        return [
            i
            for i in items
            if (at := _time(i.get(key))) is None or ((since is None or at >= since) and (until is None or at <= until))
        ]

    @staticmethod
    def _page(request: Request, key: str, items: list[dict[str, Any]]) -> Response:
        try:
            limit = min(max(int(request.arg("limit") or 25), 1), 100)
            offset = max(int(request.arg("offset") or 0), 0)
        except ValueError:
            return _error(400, "Invalid Input Provided", "limit and offset must be integers")
        page = items[offset : offset + limit]
        total = len(items) if request.arg("total") == "true" else None
        body = {
            key: page,
            "limit": limit,
            "offset": offset,
            "more": offset + len(page) < len(items),
            "total": total,
        }
        return Response(200, body)

    def _as_of(self, incident: dict[str, Any]) -> dict[str, Any]:
        """The incident as it was at page time: later acknowledgements and resolution undone."""
        if self.page_at is None:
            return incident
        served = copy.deepcopy(incident)
        served["acknowledgements"] = [a for a in served.get("acknowledgements") or [] if self._seen(a, "at")]
        served["assignments"] = [a for a in served.get("assignments") or [] if self._seen(a, "at")]
        if served.get("status") == "resolved" and not self._seen(served, "resolved_at"):
            served["status"] = "acknowledged" if served["acknowledgements"] else "triggered"
            served["resolved_at"] = None
        if not self._seen(served, "last_status_change_at"):
            stamps = [a["at"] for a in served["acknowledgements"]] or [served.get("created_at")]
            served["last_status_change_at"] = max(stamps, key=str)
        return served

    def _incident(self, request: Request) -> dict[str, Any] | None:
        incident = self.incidents.get(request.params["id"])
        return incident if incident is not None and self._seen(incident) else None

    def _log(self, incident_id: str, kind: str, summary: str, agent: str | None) -> None:
        self._seq += 1
        self.log_entries.setdefault(incident_id, []).append(
            {
                "id": f"RSANDBOX{self._seq:06d}",
                "type": f"{kind}_log_entry",
                "summary": summary,
                "created_at": _stamp(self.now()),
                "agent": _ref("user", "PSANDBOX", agent or "API"),
                "channel": {"type": "api"},
                "incident": _ref("incident", incident_id),
            }
        )

    def resolve_all(self) -> None:
        """Resolve every incident as if someone did it in PagerDuty (tests of the resolve path)."""
        with self._lock:
            now = _stamp(self.now())
            for incident in self.incidents.values():
                current = self._as_of(incident)
                if current.get("status") != "resolved":
                    incident.update(current, status="resolved", resolved_at=now, last_status_change_at=now)
                    self._log(incident["id"], "resolve", "Resolved through the PagerDuty web app", "sandbox")

    # ------------------------------------------------------------------ handlers

    def _list_incidents(self, request: Request) -> Response:
        items = [self._as_of(i) for i in self._visible(list(self.incidents.values()))]
        if request.arg("date_range") != "all":
            items = self._window(request, items, "created_at")
        picks: tuple[tuple[str, Callable[[dict[str, Any]], Any]], ...] = (
            ("statuses", lambda i: i.get("status")),
            ("service_ids", lambda i: (i.get("service") or {}).get("id")),
            ("urgencies", lambda i: i.get("urgency")),
        )
        for arg, pick in picks:
            if wanted := request.args(arg):
                items = [i for i in items if pick(i) in wanted]
        return self._page(request, "incidents", items)

    def _get_incident(self, request: Request) -> Response:
        incident = self._incident(request)
        if incident is None:
            return _error(404, "Not Found")
        return Response(200, {"incident": self._as_of(incident)})

    def _put_incident(self, request: Request) -> Response:
        incident = self._incident(request)
        if incident is None:
            return _error(404, "Not Found")
        actor = request.headers.get("from")
        if not actor:
            return _error(400, NO_FROM)
        body = request.json()
        wanted = (body.get("incident") or {}).get("status") if isinstance(body, dict) else None
        if wanted not in ("acknowledged", "resolved"):
            return _error(400, "Invalid Input Provided", "status must be acknowledged or resolved")
        current = self._as_of(incident)
        if current.get("status") == "resolved":
            return _error(400, "Invalid Input Provided", "Incident Already Resolved")
        now = _stamp(self.now())
        if wanted != current.get("status"):
            incident.update(current, status=wanted, last_status_change_at=now)
            if wanted == "acknowledged":
                incident["acknowledgements"].append({"at": now, "acknowledger": _ref("user", "PSANDBOX", actor)})
            else:
                incident["resolved_at"] = now
                for alert in self.alerts.get(incident["id"], []):
                    alert.update(status="resolved", resolved_at=now)
            kind, verb = ("acknowledge", "Acknowledged") if wanted == "acknowledged" else ("resolve", "Resolved")
            self._log(incident["id"], kind, f"{verb} by {actor}", actor)
        return Response(200, {"incident": self._as_of(incident)})

    def _list_alerts(self, request: Request) -> Response:
        if self._incident(request) is None:
            return _error(404, "Not Found")
        alerts = self._visible(self.alerts.get(request.params["id"], []))
        if self.page_at is not None:
            alerts = [
                {**a, "status": "triggered", "resolved_at": None} if not self._seen(a, "resolved_at") else a
                for a in alerts
            ]
        if wanted := request.args("statuses"):
            alerts = [a for a in alerts if a.get("status") in wanted]
        return self._page(request, "alerts", alerts)

    def _list_log_entries(self, request: Request) -> Response:
        if self._incident(request) is None:
            return _error(404, "Not Found")
        entries = self._visible(self.log_entries.get(request.params["id"], []))
        return self._page(request, "log_entries", self._window(request, entries, "created_at"))

    def _list_notes(self, request: Request) -> Response:
        if self._incident(request) is None:
            return _error(404, "Not Found")
        return Response(200, {"notes": self.notes.get(request.params["id"], [])})

    def _post_note(self, request: Request) -> Response:
        incident = self._incident(request)
        if incident is None:
            return _error(404, "Not Found")
        actor = request.headers.get("from")
        if not actor:
            return _error(400, NO_FROM)
        body = request.json()
        content = (body.get("note") or {}).get("content") if isinstance(body, dict) else None
        if not isinstance(content, str) or not content.strip():
            return _error(400, "Invalid Input Provided", "note.content is required")
        self._seq += 1
        note = {
            "id": f"NSANDBOX{self._seq:06d}",
            "content": content,
            "created_at": _stamp(self.now()),
            "user": _ref("user", "PSANDBOX", actor),
        }
        self.notes.setdefault(incident["id"], []).append(note)
        self._log(incident["id"], "annotate", f"Note added by {actor}", actor)
        return Response(201, {"note": note})

    def _get_service(self, request: Request) -> Response:
        for service in self._visible(self.services):
            if service.get("id") == request.params["id"]:
                return Response(200, {"service": service})
        return _error(404, "Not Found")

    def _list_change_events(self, request: Request) -> Response:
        events = self._window(request, self._visible(self.change_events, "timestamp"), "timestamp")
        return self._page(request, "change_events", events)
