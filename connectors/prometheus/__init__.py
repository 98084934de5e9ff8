"""Prometheus connector: the metrics source (``MetricsSource``).

Names are imported on first use: the settings read ``prometheus.config`` without
loading the vendor client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.prometheus.client import PrometheusConnector

_HOMES = {
    "PrometheusConnector": "client",
}

__all__ = [
    "PrometheusConnector",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
