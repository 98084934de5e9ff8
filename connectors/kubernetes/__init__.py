"""Kubernetes connector: cluster state, rollout history, events and logs, plus safe write actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.common.lazy import lazy_exports

if TYPE_CHECKING:
    from connectors.kubernetes.client import KubernetesConnector as KubernetesConnector

__getattr__ = lazy_exports(__name__, {"client": ["KubernetesConnector"]})
