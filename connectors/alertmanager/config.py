"""The ``[alertmanager]`` section."""

from __future__ import annotations

from pydantic import Field, SecretStr

from connectors.common.config import RequestBudget


class AlertmanagerConfig(RequestBudget):
    url: str | None = None
    """Base URL of Alertmanager, e.g. http://alertmanager:9093. Unset: disabled."""
    bearer_token: SecretStr | None = None
    verify_tls: bool = True
    receiver: str | None = None
    """Only alerts routed to this receiver open incidents (default: all)."""
    absent_polls: int = Field(default=3, ge=1)
    """An alert missing from this many consecutive polls (silenced ones included) is resolved."""
