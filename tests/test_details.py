"""Typed timeline details: each kind other packages read has a model; a value of the wrong type
reads as the field's default (as ``details.get(key) or default`` did); unknown keys are kept."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from incident.details import (
    AlertDetails,
    Details,
    KubeEventDetails,
    MetricChangeDetails,
    PodStateDetails,
    RolloutDetails,
    details_of,
)


def _event(kind: str, details: dict[str, Any] | None) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, details=details)


def test_each_kind_reads_as_its_model_and_keeps_unknown_keys() -> None:
    deploy = details_of(_event("deploy", {"deployment": "checkout", "previous_revision": 6, "diff": ["image"]}))
    assert isinstance(deploy, RolloutDetails) and deploy.deployment == "checkout" and deploy.previous_revision == 6
    assert deploy.model_extra == {"diff": ["image"]}
    assert isinstance(details_of(_event("alert", {"labels": {"service": "cart"}})), AlertDetails)
    assert isinstance(details_of(_event("metric_change", {"signal": "error_ratio"})), MetricChangeDetails)
    other = details_of(_event("note", {"author": "ann"}))
    assert type(other) is Details and other.model_extra == {"author": "ann"}
    assert details_of(_event("k8s_event", None)) == KubeEventDetails()


def test_values_are_not_converted_and_wrong_types_read_as_defaults() -> None:
    pod = PodStateDetails.of(_event("pod_state", {"ready": 0, "created_at": "2026-01-01T00:00:00Z"}))
    assert pod.ready == 0 and pod.ready is not False and pod.created_at == "2026-01-01T00:00:00Z"
    assert PodStateDetails.of(_event("pod_state", {"ready": False})).ready is False
    broken = PodStateDetails.of(_event("pod_state", {"pod": "cart-1", "containers": None, "pods": "cart-1"}))
    assert broken.pod == "cart-1" and broken.containers == [] and broken.pods == []
    event = KubeEventDetails.of(_event("k8s_event", {"reason": "Unhealthy"}))
    assert (event.reason, event.message, event.count) == ("Unhealthy", "", None)
