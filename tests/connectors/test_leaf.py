"""Connectors are a leaf (issue 11, point 3): each declares its own config section, which the core's
settings compose, and reading the settings never loads a vendor client."""

from __future__ import annotations

import subprocess
import sys

import pytest

import connectors.kubernetes
from connectors.alertmanager.config import AlertmanagerConfig
from connectors.catalog.config import CatalogConfig
from connectors.common.errors import ConnectorError, CopilotError
from connectors.kubernetes.config import KubernetesConfig
from connectors.pagerduty.config import PagerDutyConfig
from connectors.prometheus.config import PrometheusConfig
from incident import errors
from incident.config import Settings, load_settings

VENDOR_CLIENTS = ("kubernetes", "httpx", "httpx2", "requests", "prometheus_api_client", "pagerduty")


def test_settings_compose_the_connectors_own_sections() -> None:
    owned = {
        "alertmanager": AlertmanagerConfig,
        "catalog": CatalogConfig,
        "kubernetes": KubernetesConfig,
        "pagerduty": PagerDutyConfig,
        "prometheus": PrometheusConfig,
    }
    for section, model in owned.items():
        assert Settings.model_fields[section].annotation is model
    settings = load_settings(overlays=[{"kubernetes": {"namespaces": ["shop"], "deadline": "45s"}}], user_file=False)
    assert isinstance(settings.kubernetes, KubernetesConfig)
    assert settings.kubernetes.namespaces == ["shop"] and settings.kubernetes.deadline.total_seconds() == 45


def test_the_core_error_tree_is_rooted_in_the_leaf() -> None:
    assert errors.ConnectorError is ConnectorError and errors.CopilotError is CopilotError
    assert issubclass(errors.ConfigError, CopilotError)


def test_reading_settings_loads_no_vendor_client() -> None:
    code = (
        "import sys, incident.config, connectors.kubernetes.config, connectors.pagerduty.config\n"
        f"print(sorted(m for m in {VENDOR_CLIENTS!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_package_names_load_on_first_use() -> None:
    assert connectors.kubernetes.KubernetesConnector.__name__ == "KubernetesConnector"
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = connectors.kubernetes.Nope  # type: ignore[attr-defined]
