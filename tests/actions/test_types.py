"""The action-type registry: one object per type that config, runbooks, proposals, executors and
postmortems read."""

from __future__ import annotations

from typing import Any, cast

import pytest

from incident.actions.executors import connector_for, registry
from incident.actions.proposals import allowed_by
from incident.actions.types import REGISTRY, TYPES, describe, find
from incident.config import load_settings
from incident.errors import CopilotError
from incident.registry import Connectors
from incident.runbooks.params import ACTION_TYPES

VALID: dict[str, dict[str, Any]] = {
    "kubernetes.rollout_undo": {"namespace": "shop", "deployment": "checkout", "to_revision": 3},
    "kubernetes.scale": {"namespace": "shop", "deployment": "checkout", "replicas": 4},
    "kubernetes.restart": {"namespace": "shop", "deployment": "checkout"},
    "kubernetes.delete_pod": {"namespace": "shop", "pod": "checkout-1"},
    "alertmanager.silence": {"matchers": {"alertname": "HighErrors"}, "duration": "1h", "comment": "fixing"},
    "pagerduty.acknowledge": {"incident_id": "PABC123"},
    "pagerduty.resolve": {"incident_id": "PABC123"},
    "pagerduty.note": {"incident_id": "PABC123", "content": "rolled back"},
}


def test_every_reader_sees_the_same_types() -> None:
    assert set(VALID) == set(REGISTRY) and len(TYPES) == len(REGISTRY)
    assert list(ACTION_TYPES) == list(REGISTRY)
    assert registry() == {t.name: t.executor for t in TYPES}
    assert load_settings(user_file=False).actions.allowed_types == list(REGISTRY)


@pytest.mark.parametrize("action_type", TYPES, ids=lambda t: t.name)
def test_a_type_acts_through_the_connector_its_name_says(action_type: Any) -> None:
    assert action_type.name.split(".")[0] == action_type.connector
    params = VALID[action_type.name]
    action_type.schema.model_validate(params)
    target, title = describe(action_type.name, params)
    assert target and target in title
    assert "?" not in action_type.step_text(params)


def test_the_allow_rule_of_a_type_reads_its_config() -> None:
    settings = load_settings(overlays=[{"actions": {"silence_max": "30m"}}], user_file=False)
    silence = VALID["alertmanager.silence"]
    reason = allowed_by(settings, "alertmanager.silence", silence)
    assert reason is not None and "silence_max" in reason
    assert allowed_by(settings, "alertmanager.silence", {**silence, "duration": "20m"}) is None
    assert allowed_by(settings, "kubernetes.scale", VALID["kubernetes.scale"]) is None


def test_an_unknown_type_is_described_and_refused_but_never_found() -> None:
    assert find("kubernetes.explode") is None
    assert describe("kubernetes.explode", {"a": 1}) == ("kubernetes.explode", 'kubernetes.explode {"a": 1}')
    assert allowed_by(load_settings(user_file=False), "kubernetes.explode", {}) == (
        "unknown action type 'kubernetes.explode'"
    )


class _ReadOnlyCluster:
    """A cluster connector with reads only: no write side (no ClusterActions)."""

    name = "kubernetes"


class _FullPaging:
    """Everything the PagerDuty actions call."""

    name = "pagerduty"

    def incident(self, incident_id: str) -> None: ...
    def acknowledge(self, incident_id: str) -> None: ...
    def resolve(self, incident_id: str) -> None: ...
    def add_note(self, incident_id: str, content: str) -> None: ...


def test_every_executor_acts_through_a_protocol_of_its_connector() -> None:
    for t in TYPES:
        assert t.executor.connector == t.connector
        assert getattr(t.executor.protocol, "_is_runtime_protocol", False), t.name


def test_a_connector_without_the_protocol_is_not_available() -> None:
    undo = REGISTRY["kubernetes.rollout_undo"].executor
    wrong = Connectors(kubernetes=cast(Any, _ReadOnlyCluster()))
    with pytest.raises(CopilotError, match="kubernetes is not available: _ReadOnlyCluster does not implement"):
        connector_for(undo, wrong)
    with pytest.raises(CopilotError, match="kubernetes is not available: not configured"):
        connector_for(undo, Connectors())
    paging = _FullPaging()
    assert connector_for(REGISTRY["pagerduty.resolve"].executor, Connectors(pagerduty=cast(Any, paging))) is paging
    with pytest.raises(CopilotError, match="alertmanager is not available: .* does not implement SilenceTarget"):
        connector_for(REGISTRY["alertmanager.silence"].executor, Connectors(alertmanager=cast(Any, paging)))
