"""The ``[prometheus]`` section."""

from __future__ import annotations

from pydantic import SecretStr

from connectors.common.config import RequestBudget


class PrometheusConfig(RequestBudget):
    url: str | None = None
    """Base URL of the Prometheus HTTP API, e.g. http://prometheus:9090. Unset: disabled."""
    bearer_token: SecretStr | None = None
    verify_tls: bool = True
