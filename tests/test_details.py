"""Typed timeline details: each kind other packages read has a model; a value of the wrong type
reads as the field's default (as ``details.get(key) or default`` did); unknown keys are kept."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from incident.details import (
    ActionEventDetails,
    AlertDetails,
    ConnectorErrorDetails,
    Details,
    HypothesisDetails,
    HypothesisEventDetails,
    KubeEventDetails,
    MemoryDetails,
    MetricChangeDetails,
    NoteDetails,
    PodStateDetails,
    RolloutDetails,
    SubjectDetails,
    SuppressionDetails,
    TopologyDetails,
    details_of,
)


def _event(kind: str, details: dict[str, Any] | None) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, details=details)


def test_each_kind_reads_as_its_model_and_keeps_unknown_keys() -> None:
    deploy = details_of(_event("deploy", {"deployment": "checkout", "previous_revision": 6, "url": "https://ci/1"}))
    assert isinstance(deploy, RolloutDetails) and deploy.deployment == "checkout" and deploy.previous_revision == 6
    assert deploy.model_extra == {"url": "https://ci/1"}
    assert isinstance(details_of(_event("alert", {"labels": {"service": "cart"}})), AlertDetails)
    assert isinstance(details_of(_event("metric_change", {"signal": "error_ratio"})), MetricChangeDetails)
    other = details_of(_event("window", {"addresses": {}}))
    assert type(other) is Details and other.model_extra == {"addresses": {}}
    assert details_of(_event("k8s_event", None)) == KubeEventDetails()


def test_values_are_not_converted_and_wrong_types_read_as_defaults() -> None:
    pod = PodStateDetails.of(_event("pod_state", {"ready": 0, "created_at": "2026-01-01T00:00:00Z"}))
    assert pod.ready == 0 and pod.ready is not False and pod.created_at == "2026-01-01T00:00:00Z"
    assert PodStateDetails.of(_event("pod_state", {"ready": False})).ready is False
    broken = PodStateDetails.of(_event("pod_state", {"pod": "cart-1", "containers": None, "pods": "cart-1"}))
    assert broken.pod == "cart-1" and broken.containers == [] and broken.pods == []
    event = KubeEventDetails.of(_event("k8s_event", {"reason": "Unhealthy"}))
    assert (event.reason, event.message, event.count) == ("Unhealthy", "", None)


def test_the_kinds_the_record_writes_read_as_their_models() -> None:
    note = details_of(_event("note", {"author": "ann"}))
    assert isinstance(note, NoteDetails) and note.author == "ann"
    step = details_of(_event("action", {"what": "failed", "who": "bob", "error": "HTTP 403", "target": {"a": 1}}))
    assert isinstance(step, ActionEventDetails) and (step.what, step.who, step.target) == ("failed", "bob", None)
    assert step.model_extra == {"error": "HTTP 403"}  # the audit entry's own keys are kept
    verdict = details_of(_event("hypothesis", {"hypothesis_id": "h1", "verdict": "confirmed", "by": "ann"}))
    assert isinstance(verdict, HypothesisEventDetails)
    assert (verdict.hypothesis_id, verdict.verdict) == ("h1", "confirmed")
    gap = details_of(_event("connector_error", {"error": "timeout", "recovered_at": "2026-01-01T00:00:00Z"}))
    assert isinstance(gap, ConnectorErrorDetails) and gap.recovered_at == "2026-01-01T00:00:00Z"
    assert not ConnectorErrorDetails.of(_event("connector_error", {"error": "timeout"})).recovered_at
    past = details_of(_event("memory", {"past_incident_id": 4, "score": 0.8, "resolved_by": {"postmortem": "p"}}))
    assert isinstance(past, MemoryDetails) and (past.past_incident_id, past.score) == (4, 0.8)
    assert past.resolved_by == {"postmortem": "p"}


def test_subject_reads_the_object_of_any_cluster_kind() -> None:
    pod = SubjectDetails.of(_event("pod_state", {"namespace": "shop", "pod": "cart-1", "phase": "Running"}))
    assert (pod.namespace, pod.pod, pod.deployment, pod.object_name) == ("shop", "cart-1", None, None)
    warning = SubjectDetails.parse({"object_kind": "Pod", "object_name": "cart-2"})
    assert warning.object_name == "cart-2" and SubjectDetails.parse(None) == SubjectDetails()


def test_a_hypothesis_reads_its_own_details() -> None:
    row = SimpleNamespace(details={"why": {"score": 0.7}, "memory": {"delta": 0.1}, "tool_results": None})
    details = HypothesisDetails.of(row)
    assert details.why == {"score": 0.7} and details.memory == {"delta": 0.1} and details.tool_results == {}
    assert HypothesisDetails.parse(["not", "a", "mapping"]) == HypothesisDetails()  # type: ignore[arg-type]


def test_topology_keeps_the_text_entries_of_each_map() -> None:
    raw = {
        "addresses": {"10.0.0.7": "cart", "10.0.0.8": 8, "Cart.Shop.svc": "cart"},
        "env_refs": {"checkout": ["cart", None, "payments"], "web": "not a list"},
        "nodes": {"node-1": ["cart", 3], "node-2": []},
    }
    topology = details_of(_event("topology", raw))
    assert isinstance(topology, TopologyDetails)
    assert topology.addresses == {"10.0.0.7": "cart", "Cart.Shop.svc": "cart"}
    assert topology.env_refs == {"checkout": ["cart", "payments"]}
    assert topology.nodes == {"node-1": ["cart"], "node-2": []}
    assert TopologyDetails.parse({"addresses": None, "nodes": "node-1"}) == TopologyDetails()


def test_suppression_state_is_the_sorted_silence_ids_and_inhibitors() -> None:
    raw = {
        "suppressed": True,
        "silenced_by": [{"id": "s2", "created_by": "ops"}, "junk", {"id": "s1"}],
        "inhibited_by": ["fp-b", 7],
        "changes": 2,
    }
    state = SuppressionDetails.parse(raw)
    assert state.state == (("s1", "s2"), ("7", "fp-b")) and state.changes == 2
    assert SuppressionDetails.parse(None).state == ((), ()) and SuppressionDetails.parse(None).changes == 0
    assert SuppressionDetails.parse({"silenced_by": "s1", "inhibited_by": None}).state == ((), ())
