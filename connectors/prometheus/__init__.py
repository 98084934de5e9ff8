"""Prometheus connector: the metrics source (``MetricsSource``).

Names are imported on first use: the settings read ``prometheus.config`` without
loading the vendor client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.common.lazy import lazy_exports

if TYPE_CHECKING:
    from connectors.prometheus.client import PrometheusConnector

__all__ = [
    "PrometheusConnector",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "PrometheusConnector": "client",
    },
)
