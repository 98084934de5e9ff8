"""The ``[pagerduty]`` section."""

from __future__ import annotations

from pydantic import Field, SecretStr

from connectors.common.config import RequestBudget


class PagerDutyConfig(RequestBudget):
    api_token: SecretStr | None = None
    """REST API v2 token. Unset: PagerDuty polling disabled."""
    base_url: str = "https://api.pagerduty.com"
    from_email: str | None = None
    """Email of the PagerDuty user that actions are made as (From header)."""
    webhook_secret: SecretStr | None = None
    """Signing secret of the v3 webhook subscription."""
    service_ids: list[str] = Field(default_factory=list)
    """Only incidents on these services (default: all)."""
