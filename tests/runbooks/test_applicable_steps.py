"""Every bundled runbook renders for every kind over the contexts an incident really has (issue 12):
no template text is left anywhere, a step missing a value is marked and never proposed, and a step
that cannot apply (a PagerDuty action on an Alertmanager page) is left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incident.analysis.context import AnalysisInput
from incident.analysis.steps import step_context
from incident.kinds import KINDS
from incident.models import Incident, TimelineEvent
from incident.runbooks import RunbookSet, Step, load_runbooks, match_runbooks
from incident.runbooks.render import render_string

PAGE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEMPLATE_TEXT = ("{{", "}}", "{%", "%}", "{#")
ALERTS = [{"alertname": "HighErrorRatio", "service": "cart", "namespace": "shop", "severity": "critical"}]


def event(kind: str, details: dict[str, Any], *, component: str = "cart", minutes: int = 0) -> TimelineEvent:
    return TimelineEvent(
        id=f"{kind}-{len(details)}-{minutes}",
        incident_id=1,
        kind=kind,
        at=PAGE + timedelta(minutes=minutes),
        source="kubernetes",
        summary=kind,
        details=details,
        component=component,
    )


def pods(names: list[str]) -> TimelineEvent:
    """The component's pods as gathering writes them (``pods/<component>``)."""
    return event("pod_state", {"pods": names, "ready": len(names) - 1, "total": len(names)})


def oom_killed(pod: str, owner: str) -> TimelineEvent:
    """One pod in trouble as gathering writes it (``pod/<ns>/<name>``)."""
    container = {"name": "cart", "restarts": 4, "last_reason": "OOMKilled", "last_exit_code": 137}
    details = {"namespace": "shop", "pod": pod, "phase": "Running", "ready": False, "node": "node-2"}
    return event("pod_state", details | {"owner": owner, "containers": [container]}, minutes=-3)


def rollout() -> TimelineEvent:
    details = {"namespace": "shop", "deployment": "cart", "revision": 8, "previous_revision": 7, "current_revision": 8}
    return event("deploy", details, minutes=-20)


RUNNING = ["cart-dcmbvlbm79-69w7t", "cart-dcmbvlbm79-kwk5p", "cart-dcmbvlbm79-xb7vx"]
TIMELINES: dict[str, list[TimelineEvent]] = {
    "nothing gathered": [],
    "pods, no rollout": [pods(RUNNING), oom_killed(RUNNING[1], "ReplicaSet/cart-dcmbvlbm79")],
    "healthy pods only": [pods(RUNNING)],
    "rollout and pods": [rollout(), pods(RUNNING), oom_killed(RUNNING[1], "ReplicaSet/cart-dcmbvlbm79")],
}


def context(timeline: list[TimelineEvent], *, pagerduty: bool) -> dict[str, Any]:
    incident = Incident(
        id=7,
        source="pagerduty" if pagerduty else "alertmanager",
        source_ref="Q1ABC" if pagerduty else "fp-1",
        title="t",
        component="cart",
        namespace="shop",
        page_at=PAGE,
    )
    data = AnalysisInput(incident=incident, page_at=PAGE, events=timeline)
    return step_context(data, "cart", component_label="service")


@pytest.fixture(scope="module")
def bundled() -> RunbookSet:
    return load_runbooks([])


def strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [str(value)] if value is not None else []


def rendered_strings(step: Step) -> list[str]:
    """Every text a step shows: title, text, why, the query or read, the action's parameters."""
    return strings([step.title, step.text, step.why, step.diagnostic, step.action.params if step.action else None])


@pytest.mark.parametrize("pagerduty", [False, True], ids=["alertmanager", "pagerduty"])
@pytest.mark.parametrize("timeline", list(TIMELINES))
@pytest.mark.parametrize("kind", KINDS)
def test_every_bundled_step_renders_without_template_text_and_only_if_it_applies(
    bundled: RunbookSet, kind: str, timeline: str, pagerduty: bool
) -> None:
    ctx = context(TIMELINES[timeline], pagerduty=pagerduty)
    matched = match_runbooks(bundled, kind=kind, component="cart", alerts=ALERTS, context=ctx)
    steps = [s for m in matched for s in m.steps]
    assert steps, f"no runbook for {kind}"
    for step in steps:
        leftovers = [text for text in rendered_strings(step) if any(m in text for m in TEMPLATE_TEXT)]
        assert leftovers == [], (step.runbook_id, step.index)
        if step.missing:
            assert not step.ready and step.proposable is None
            assert any(f"<needs {name}>" in " ".join(rendered_strings(step)) for name in step.missing)
        else:
            assert "<needs" not in " ".join(rendered_strings(step)), (step.runbook_id, step.index)
    paging = [s for s in steps if s.action and s.action.type.startswith("pagerduty.")]
    if not pagerduty:
        assert paging == []
    else:
        assert all(s.action and s.action.params["incident_id"] == "Q1ABC" for s in paging)


def test_pagerduty_steps_stay_on_a_pagerduty_page(bundled: RunbookSet) -> None:
    """The other half of leaving them out: they are there, ready, when the page came through PagerDuty."""
    for pagerduty, expected in ((True, True), (False, False)):
        ctx = context(TIMELINES["rollout and pods"], pagerduty=pagerduty)
        matched = match_runbooks(bundled, kind="deploy_regression", component="cart", context=ctx)
        notes = [s for m in matched for s in m.steps if s.action and s.action.type == "pagerduty.note"]
        assert bool(notes) is expected
        assert all(s.ready for s in notes)


def test_oom_without_a_rollout_resolves_the_deployment_and_proposes_scaling(bundled: RunbookSet) -> None:
    ctx = context(TIMELINES["pods, no rollout"], pagerduty=False)
    assert ctx["deployment"] == "cart" and ctx["replicas"] == 3
    assert ctx["pod"] == RUNNING[1] and ctx["container"] == "cart" and ctx["namespace"] == "shop"
    assert "previous_revision" not in ctx
    oom = match_runbooks(bundled, kind="oom", component="cart", alerts=ALERTS, context=ctx)[0]
    assert oom.runbook_id == "oom"
    scale = next(s for s in oom.steps if s.action and s.action.type == "kubernetes.scale")
    assert scale.ready and scale.proposable is not None
    assert scale.action is not None
    assert scale.action.params == {"namespace": "shop", "deployment": "cart", "replicas": 5}
    reads = [s for s in oom.steps if s.diagnostic and "kubernetes" in s.diagnostic]
    history = next(s for s in reads if s.diagnostic and s.diagnostic["kubernetes"]["read"] == "rollout_history")
    assert history.ready and history.diagnostic == {
        "kubernetes": {"read": "rollout_history", "namespace": "shop", "deployment": "cart"}
    }
    undo = next(s for s in oom.steps if s.action and s.action.type == "kubernetes.rollout_undo")
    assert not undo.ready and undo.missing == ["previous_revision"] and undo.proposable is None


def test_the_deployment_comes_from_the_component_pods_when_none_is_in_trouble() -> None:
    ctx = context(TIMELINES["healthy pods only"], pagerduty=False)
    assert ctx["deployment"] == "cart" and ctx["replicas"] == 3
    assert "pod" not in ctx  # a healthy pod is never offered as the failing one


def test_pods_of_a_statefulset_or_of_several_deployments_name_no_deployment() -> None:
    for names in (["shop-db-0", "shop-db-1"], ["cart-dcmbvlbm79-69w7t", "cart-canary-7fjgq4sspw-779rp"]):
        ctx = context([pods(names)], pagerduty=False)
        assert "deployment" not in ctx and "replicas" not in ctx


def test_a_rollout_names_the_deployment_before_the_pods_do() -> None:
    renamed = [pods(RUNNING), oom_killed(RUNNING[0], "ReplicaSet/cart-dcmbvlbm79")]
    deploy = event("deploy", {"namespace": "shop", "deployment": "cart-v2", "revision": 3, "previous_revision": 2})
    ctx = context([deploy, *renamed], pagerduty=False)
    assert ctx["deployment"] == "cart-v2" and ctx["previous_revision"] == 2
    assert "replicas" not in ctx  # the pods are not that Deployment's


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("{{ replicas + 2 }}", "<needs replicas>"),
        ("{{ (replicas * 1.5) | round(0, 'ceil') | int }}", "<needs replicas>"),
        ("{{ deployment }}: {{ replicas }} to {{ replicas * 2 }}", "cart: <needs replicas> to <needs replicas>"),
        ("{% if replicas > 2 %}many{% endif %}", "<needs replicas>"),
    ],
)
def test_an_expression_over_a_missing_value_shows_a_marker(source: str, shown: str) -> None:
    text, missing, errors = render_string(source, {"deployment": "cart"})
    assert (text, missing, errors) == (shown, ["replicas"], [])


def test_an_expression_that_cannot_render_shows_no_template_text() -> None:
    text, missing, errors = render_string("scale {{ deployment + 2 }}", {"deployment": "cart"})
    assert text == "scale <cannot render>" and missing == [] and errors
