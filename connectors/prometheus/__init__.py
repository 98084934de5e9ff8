"""Prometheus connector: the metrics source (``MetricsSource``)."""

from connectors.prometheus.client import PrometheusConnector

__all__ = ["PrometheusConnector"]
