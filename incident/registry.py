"""Build the configured connectors from :class:`Settings`; a connector that is not configured is None.

Vendor client modules are imported lazily here, so ``incident --help`` stays fast.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from connectors.base import (
    AlertSource,
    CatalogSource,
    CheckResult,
    ClusterSource,
    Connector,
    MetricsSource,
    PagingSource,
    WebhookParsers,
)
from incident.config import Settings
from incident.errors import CopilotError


@dataclass
class Connectors:
    alertmanager: AlertSource | None = None
    pagerduty: PagingSource | None = None
    prometheus: MetricsSource | None = None
    kubernetes: ClusterSource | None = None
    catalog: CatalogSource | None = None
    disabled: dict[str, str] = field(default_factory=dict)
    """name -> why it is not configured (shown on the timeline and by doctor)."""

    def items(self) -> list[tuple[str, Connector | None]]:
        return [
            ("pagerduty", self.pagerduty),
            ("alertmanager", self.alertmanager),
            ("prometheus", self.prometheus),
            ("kubernetes", self.kubernetes),
            ("catalog", self.catalog),
        ]

    def check_all(self) -> list[CheckResult]:
        results = []
        for name, connector in self.items():
            if connector is None:
                results.append(CheckResult(name, False, self.disabled.get(name, "not configured")))
                continue
            try:
                results.append(connector.check())
            except Exception as exc:  # check() must not raise, but a broken one must not stop doctor
                results.append(CheckResult(name, False, f"check failed: {exc}"))
        return results


def build_connectors(settings: Settings) -> Connectors:
    """Every configured connector; one that cannot even be built (bad kubeconfig, ...) is disabled
    with its reason instead of stopping start-up."""
    out = Connectors()
    _build_into(out, settings)
    return out


C = TypeVar("C", bound=Connector | None)


def _guard(out: Connectors, name: str, build: Callable[[], C]) -> C | None:
    try:
        return build()
    except CopilotError as exc:
        out.disabled[name] = exc.message
        return None


def _build_into(out: Connectors, settings: Settings) -> None:
    if settings.pagerduty.api_token is not None:
        from connectors.pagerduty.client import PagerDutyConnector

        out.pagerduty = _guard(out, "pagerduty", lambda: PagerDutyConnector(settings.pagerduty))
    else:
        out.disabled["pagerduty"] = "not configured ([pagerduty] api_token)"
    if settings.alertmanager.url:
        from connectors.alertmanager.client import AlertmanagerConnector

        out.alertmanager = _guard(out, "alertmanager", lambda: AlertmanagerConnector(settings.alertmanager))
    else:
        out.disabled["alertmanager"] = "not configured ([alertmanager] url)"
    if settings.prometheus.url:
        from connectors.prometheus.client import PrometheusConnector

        out.prometheus = _guard(
            out,
            "prometheus",
            lambda: PrometheusConnector(settings.prometheus, component_label=settings.metrics.component_label),
        )
    else:
        out.disabled["prometheus"] = settings.replay.prometheus_unavailable or "not configured ([prometheus] url)"
    if settings.kubernetes.enabled:
        from connectors.kubernetes.client import KubernetesConnector

        out.kubernetes = _guard(out, "kubernetes", lambda: KubernetesConnector(settings.kubernetes))
    else:
        out.disabled["kubernetes"] = "disabled ([kubernetes] enabled = false)"
    from connectors.catalog.backstage import build_catalog

    out.catalog = _guard(out, "catalog", lambda: build_catalog(settings.catalog))
    if out.catalog is None and "catalog" not in out.disabled:
        out.disabled["catalog"] = "not configured ([catalog] dirs or backstage_url)"


@functools.cache
def webhook_parsers() -> WebhookParsers:
    """The connectors' webhook parsers, for :mod:`incident.webhooks` (which imports no connector)."""
    from connectors.alertmanager.webhook import parse_webhook as alertmanager
    from connectors.pagerduty.webhook import parse_webhook as pagerduty
    from connectors.pagerduty.webhook import verify_signature

    return WebhookParsers(alertmanager=alertmanager, pagerduty=pagerduty, pagerduty_signed=verify_signature)
