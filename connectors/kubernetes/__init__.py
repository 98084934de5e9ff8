"""Kubernetes connector: cluster state, rollout history, events and logs, plus safe write actions.

Names are imported on first use: the settings read ``kubernetes.config`` without
loading the vendor client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.common.lazy import lazy_exports

if TYPE_CHECKING:
    from connectors.kubernetes.client import KubernetesConnector

__all__ = [
    "KubernetesConnector",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "KubernetesConnector": "client",
    },
)
