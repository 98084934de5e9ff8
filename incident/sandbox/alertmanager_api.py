"""A read-only stand-in for Alertmanager's v2 alerts API, used only when the real binary is missing.

The sandbox prefers the real ``prometheus-alertmanager``; this keeps ``incident demo`` working on
a machine where it cannot be installed, and says so in the sandbox's notes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from incident.sandbox.alertmanager import names_component
from incident.sandbox.http import Request, StandInServer
from incident.scenario import Scenario
from incident.timeutil import parse_time as _time


class AlertmanagerAPIStandIn(StandInServer):
    name = "alertmanager-api"

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.resolved = False
        self.recovered: set[str] = set()
        self.route("GET", r"/api/v2/alerts", self._alerts)
        self.route("GET", r"/api/v2/status", lambda _r: {"versionInfo": {"version": "stand-in"}, "cluster": {}})
        self.route("GET", r"/-/ready", lambda _r: "OK")

    def _alerts(self, _request: Request) -> list[dict[str, Any]]:
        if self.resolved:
            return []
        page_at = self.scenario.page_at
        out = []
        for alert in self.scenario.alerts:
            if names_component(alert, self.recovered):
                continue
            starts = _time(alert.get("startsAt"))
            if starts is None or starts > page_at:
                continue
            state = (alert.get("status") or {}).get("state", "active")
            ends = _time(alert.get("endsAt"))
            if state != "active" and ends is not None and ends <= page_at:
                continue
            item = dict(alert)
            item["endsAt"] = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
            item["status"] = {"state": "active", "silencedBy": [], "inhibitedBy": []}
            out.append(item)
        return out

    def resolve_component(self, values: set[str]) -> None:
        self.recovered |= values

    def resolve_all(self) -> None:
        self.resolved = True

    def refeed(self) -> None:
        """Nothing to do: alerts are computed per request."""
