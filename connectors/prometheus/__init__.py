"""Prometheus connector: the metrics source (``MetricsSource``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.common.lazy import lazy_exports

if TYPE_CHECKING:
    from connectors.prometheus.client import PrometheusConnector as PrometheusConnector

__getattr__ = lazy_exports(__name__, {"client": ["PrometheusConnector"]})
