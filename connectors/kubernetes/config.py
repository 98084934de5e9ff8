"""The ``[kubernetes]`` section."""

from __future__ import annotations

from pydantic import Field, SecretStr

from connectors.common.config import RequestBudget


class KubernetesConfig(RequestBudget):
    enabled: bool = True
    kubeconfig: str | None = None
    """Path to a kubeconfig; default: $KUBECONFIG or ~/.kube/config, then in-cluster."""
    context: str | None = None
    in_cluster: bool = False
    host: str | None = None
    """API server URL used directly instead of a kubeconfig (sandbox, tests)."""
    token: SecretStr | None = None
    verify_tls: bool = True
    namespaces: list[str] = Field(default_factory=list)
    """Namespaces to search for a component (default: all)."""
    component_label_keys: list[str] = Field(
        default_factory=lambda: ["app.kubernetes.io/name", "app", "service", "component"]
    )
    """Pod/Deployment labels whose value names the component."""
    log_tail_lines: int = 200
    log_limit_bytes: int = 64 * 1024
