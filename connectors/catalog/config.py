"""The ``[catalog]`` section."""

from __future__ import annotations

from pydantic import Field, SecretStr

from connectors.common.config import RequestBudget


class CatalogConfig(RequestBudget):
    dirs: list[str] = Field(default_factory=list)
    """Directories scanned for catalog-info.yaml / *.yaml Backstage entities."""
    backstage_url: str | None = None
    backstage_token: SecretStr | None = None
    alert_label_keys: list[str] = Field(
        default_factory=lambda: ["service", "component", "app", "app_kubernetes_io_name", "job"]
    )
    """Alert labels that name the component, tried in order."""
