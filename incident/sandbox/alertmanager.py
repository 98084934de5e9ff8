"""A real Alertmanager on loopback, fed a scenario's alerts.

Only alerts that started at or before the page are posted. Active ones get an ``endsAt`` in the
real future (the one exception SCENARIOS.md allows: Alertmanager itself stamps active alerts
that way), so the orchestrator calls :meth:`AlertmanagerProcess.refeed` periodically to keep
them firing; resolved ones keep their recorded ``endsAt``.
"""

from __future__ import annotations

import logging
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from connectors.alertmanager.webhook import parse_end, parse_time
from incident.errors import SandboxError
from incident.sandbox import procs
from incident.scenario import Scenario

log = logging.getLogger(__name__)

RECEIVER = "oncall-pager"
HOLD = timedelta(hours=1)
"""How far in the real future an active alert's endsAt is set; refeed well within it."""


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


COMPONENT_KEYS = ("service", "component", "app", "app_kubernetes_io_name", "job")


def names_component(alert: dict[str, Any], values: set[str]) -> bool:
    labels = alert.get("labels") or {}
    return any(labels.get(key) in values for key in COMPONENT_KEYS)


def alertmanager_config(webhook_url: str | None) -> dict[str, Any]:
    receiver: dict[str, Any] = {"name": RECEIVER}
    if webhook_url:
        receiver["webhook_configs"] = [{"url": webhook_url, "send_resolved": True}]
    return {
        "route": {
            "receiver": RECEIVER,
            "group_by": ["alertname"],
            "group_wait": "1s",
            "group_interval": "5s",
            "repeat_interval": "1h",
        },
        "receivers": [receiver],
    }


def select_alerts(scenario: Scenario) -> list[tuple[dict[str, Any], datetime, datetime | None]]:
    """(alert, startsAt, endsAt or None when active) for every alert started at or before the page."""
    page_at = scenario.page_at
    selected: list[tuple[dict[str, Any], datetime, datetime | None]] = []
    for index, alert in enumerate(scenario.alerts):
        try:
            starts = parse_time(alert.get("startsAt"))
            ends = parse_end(alert.get("endsAt"))
        except (ValueError, AttributeError):
            log.warning("%s: alertmanager.json[%d]: bad startsAt/endsAt, skipped", scenario.name, index)
            continue
        if starts > page_at:
            continue
        state = (alert.get("status") or {}).get("state")
        active = state == "active" or ends is None or ends > page_at
        selected.append((alert, starts, None if active else ends))
    return selected


class AlertmanagerProcess:
    """``alertmanager`` on 127.0.0.1 with one receiver, ``oncall-pager`` (plus a webhook when given)."""

    def __init__(self, scenario: Scenario, workdir: Path, *, webhook_url: str | None = None) -> None:
        self.scenario = scenario
        self.workdir = Path(workdir) / "alertmanager"
        self.webhook_url = webhook_url
        self.url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._resolved = False
        self._recovered: set[str] = set()
        """Component label values whose alerts the sandbox resolved after a repair."""

    @property
    def log_path(self) -> Path:
        return self.workdir / "alertmanager.log"

    def start(self) -> AlertmanagerProcess:
        binary = procs.find_binary("prometheus-alertmanager", "prometheus-alertmanager")
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "alertmanager.yml"
        config.write_text(yaml.safe_dump(alertmanager_config(self.webhook_url), sort_keys=False))
        argv = [
            binary,
            f"--config.file={config}",
            f"--storage.path={self.workdir / 'data'}",
            "--cluster.listen-address=",  # no gossip: parallel sandboxes must not clash on 9094
            "--log.level=warn",
        ]
        self._proc, self.url = procs.start_listening(
            argv, "--web.listen-address=127.0.0.1:{port}", self.log_path, "/-/ready"
        )
        try:
            self.refeed()
        except BaseException:  # failed or interrupted: the process must not outlive the sandbox
            self.stop()
            raise
        return self

    def _payload(self, now: datetime) -> list[dict[str, Any]]:
        out = []
        for alert, starts, ends in select_alerts(self.scenario):
            end = ends if ends is not None else now + HOLD
            if self._resolved or names_component(alert, self._recovered):
                end = max(now, starts) if ends is None or ends > now else end
            item: dict[str, Any] = {
                "labels": alert.get("labels") or {},
                "annotations": alert.get("annotations") or {},
                "startsAt": _iso(starts),
                "endsAt": _iso(end),
            }
            if alert.get("generatorURL"):
                item["generatorURL"] = alert["generatorURL"]
            out.append(item)
        return out

    def _post(self, alerts: list[dict[str, Any]]) -> None:
        if self.url is None:
            raise SandboxError("alertmanager is not started")
        if not alerts:
            return
        try:
            response = httpx.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=10)
        except httpx.HTTPError as exc:
            raise SandboxError(f"cannot post alerts to alertmanager: {exc}") from exc
        if response.status_code >= 300:
            raise SandboxError(
                f"alertmanager refused the scenario's alerts: HTTP {response.status_code}: {response.text}"
            )

    def refeed(self) -> int:
        """(Re)post the scenario's alerts so active ones stay active; return how many were posted."""
        alerts = self._payload(datetime.now(UTC))
        self._post(alerts)
        return len(alerts)

    def resolve_component(self, values: set[str]) -> None:
        """Resolve now the alerts whose component labels name one of ``values`` (a repaired
        component recovers; the recorded world itself ends at the page)."""
        self._recovered |= values
        self.refeed()

    def resolve_all(self) -> None:
        """Resolve every alert now (endsAt = now); later refeeds keep them resolved."""
        self._resolved = True
        self.refeed()

    def stop(self) -> None:
        procs.stop_process(self._proc)
        self._proc = None

    def __enter__(self) -> AlertmanagerProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
