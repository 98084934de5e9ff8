"""Bring a whole scenario up on 127.0.0.1 and describe it as copilot config.

Stand-ins for PagerDuty, Kubernetes and Backstage run in this process; Prometheus and
Alertmanager are the real Debian binaries in child processes. A missing binary is not fatal
for Prometheus (the timeline then says metrics are unavailable and why).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incident.errors import SandboxError
from incident.sandbox.alertmanager_api import AlertmanagerAPIStandIn
from incident.scenario import Scenario

log = logging.getLogger(__name__)

SANDBOX_PD_TOKEN = "sandbox-token"
RECOVERY_LABEL_KEYS = ("app.kubernetes.io/name", "app", "service", "component")
SANDBOX_WEBHOOK_SECRET = "sandbox-webhook-secret"


class Sandbox:
    def __init__(
        self,
        scenario: Scenario,
        workdir: Path | None = None,
        *,
        binaries: bool = True,
        webhook_url: str | None = None,
    ) -> None:
        self.scenario = scenario
        self._own_workdir = workdir is None
        self.workdir = (
            Path(tempfile.mkdtemp(prefix=f"incident-sandbox-{scenario.name}-")) if workdir is None else workdir
        )
        self.binaries = binaries
        self.webhook_url = webhook_url
        self.notes: dict[str, str] = {}
        """part -> why it is missing or degraded"""
        self.parts: dict[str, Any] = {}
        self._stop = threading.Event()
        self._refeeder: threading.Thread | None = None
        self.started_at = datetime.now(UTC)
        """Wall-clock start: the replay clock reads the page time at this moment."""

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Sandbox:
        try:
            self._start_parts()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_parts(self) -> None:
        from incident.sandbox.backstage import BackstageStandIn
        from incident.sandbox.kubernetes import KubernetesStandIn
        from incident.sandbox.pagerduty import PagerDutyStandIn

        sc = self.scenario
        self.workdir.mkdir(parents=True, exist_ok=True)
        if sc.pagerduty:
            self.parts["pagerduty"] = PagerDutyStandIn(sc, token=SANDBOX_PD_TOKEN).start()
        if sc.kubernetes:
            self.parts["kubernetes"] = KubernetesStandIn(sc).start()
        else:
            self.notes["kubernetes"] = "the scenario has no Kubernetes objects"
        if sc.catalog:
            self.parts["backstage"] = BackstageStandIn(sc).start()
        if sc.metrics_path is not None:
            self._start_prometheus()
        else:
            self.notes["prometheus"] = "the scenario has no metrics"
        if sc.alerts:
            self._start_alertmanager()
        if "kubernetes" in self.parts and "alertmanager" in self.parts:
            self.parts["kubernetes"].on_rollout.append(self._recovered)
        if "alertmanager" in self.parts:
            self._refeeder = threading.Thread(target=self._refeed_loop, name="alert-refeed", daemon=True)
            self._refeeder.start()

    def _start_prometheus(self) -> None:
        if not self.binaries:
            self.notes["prometheus"] = "binaries disabled for this sandbox"
            return
        from incident.sandbox.prometheus import PrometheusProcess

        try:
            self.parts["prometheus"] = PrometheusProcess(self.scenario, self.workdir / "prometheus").start()
        except SandboxError as exc:
            self.notes["prometheus"] = exc.message
            log.warning("metrics unavailable: %s", exc.message)

    def _start_alertmanager(self) -> None:
        if self.binaries:
            from incident.sandbox.alertmanager import AlertmanagerProcess

            try:
                self.parts["alertmanager"] = AlertmanagerProcess(
                    self.scenario, self.workdir / "alertmanager", webhook_url=self.webhook_url
                ).start()
                return
            except SandboxError as exc:
                self.notes["alertmanager"] = f"{exc.message}; serving the scenario's alerts from a read-only stand-in"
        self.parts["alertmanager"] = AlertmanagerAPIStandIn(self.scenario).start()

    def _recovered(self, deployment: dict[str, Any]) -> None:
        """A rollout finished in the stand-in cluster and its pods run Ready: the component it
        serves recovers, so its firing alerts resolve. The recorded metrics end at the page and do
        not follow; this is the sandbox's one simulated consequence of an action."""
        md = deployment.get("metadata") or {}
        template = ((deployment.get("spec") or {}).get("template") or {}).get("metadata") or {}
        labels = {**(md.get("labels") or {}), **(template.get("labels") or {})}
        values = {labels[k] for k in RECOVERY_LABEL_KEYS if labels.get(k)} | {md.get("name", "")}
        try:
            self.parts["alertmanager"].resolve_component({v for v in values if v})
        except Exception as exc:  # the sandbox stays up; the alert just keeps firing
            log.warning("resolving alerts after the rollout of %s failed: %s", md.get("name"), exc)

    def _refeed_loop(self) -> None:
        while not self._stop.wait(30):
            try:
                self.parts["alertmanager"].refeed()
            except Exception as exc:  # keep the sandbox alive; the watcher will notice missing alerts
                log.warning("re-feeding alerts failed: %s", exc)

    def stop(self) -> None:
        self._stop.set()
        for name, part in reversed(list(self.parts.items())):
            try:
                part.stop()
            except Exception as exc:
                log.warning("stopping %s: %s", name, exc)
        self.parts.clear()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ description
    def url(self, part: str) -> str | None:
        obj = self.parts.get(part)
        return getattr(obj, "url", None) if obj is not None else None

    def resolve_alerts(self) -> None:
        """Make the page's source resolve (tests and demos of the resolve path)."""
        if "alertmanager" in self.parts:
            self.parts["alertmanager"].resolve_all()
        pd = self.parts.get("pagerduty")
        if pd is not None:
            pd.resolve_all()

    def config(self, *, store_url: str | None = None) -> dict[str, Any]:
        """Copilot config pointing at this sandbox (merged over the scenario's config.toml)."""
        cfg: dict[str, Any] = self.scenario.config_overlay()
        cfg.setdefault("metrics", {})
        cfg["prometheus"] = {"url": self.url("prometheus")} if self.url("prometheus") else {}
        if self.url("alertmanager"):
            cfg["alertmanager"] = {"url": self.url("alertmanager")}
        pd: dict[str, Any] = {"webhook_secret": SANDBOX_WEBHOOK_SECRET}
        if self.url("pagerduty"):
            pd |= {
                "api_token": SANDBOX_PD_TOKEN,
                "base_url": self.url("pagerduty"),
                "from_email": "oncall@example.com",
            }
        cfg["pagerduty"] = pd
        cfg["kubernetes"] = {"host": self.url("kubernetes")} if self.url("kubernetes") else {"enabled": False}
        if self.url("backstage"):
            cfg["catalog"] = {"backstage_url": self.url("backstage")}
        cfg["watcher"] = {"poll_interval": "2s", "refresh_interval": "30s", "gather_timeout": "20s"}
        cfg["replay"] = {
            "enabled": True,
            "clock_offset_seconds": round((self.scenario.page_at - self.started_at).total_seconds(), 3),
        }
        if not self.url("prometheus"):
            cfg["replay"]["prometheus_unavailable"] = self.notes.get("prometheus", "no Prometheus in this sandbox")
        if store_url:
            cfg["store"] = {"url": store_url}
        return cfg
