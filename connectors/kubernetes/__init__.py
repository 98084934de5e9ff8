"""Kubernetes connector: cluster state, rollout history, events and logs, plus safe write actions."""

from connectors.kubernetes.client import KubernetesConnector

__all__ = ["KubernetesConnector"]
