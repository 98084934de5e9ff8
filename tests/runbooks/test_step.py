"""The rendered step model: its stored form is what hypotheses kept before (12 keys, ``url`` on
link steps only), and reading stored steps back gives the same steps."""

from __future__ import annotations

from incident.runbooks import RunbookSet, Step, StepAction, catalog_links, load_runbooks, match_runbooks, steps_of
from incident.runbooks.match import flatten_steps

KEYS = {"runbook_id", "title", "index", "type", "text", "why", "diagnostic", "action", "ready", "missing", "invalid"}


def _bundled() -> RunbookSet:
    return load_runbooks([], bundled=True)


def test_stored_steps_keep_their_shape_and_read_back_the_same() -> None:
    context = {"namespace": "shop", "deployment": "checkout", "previous_revision": 7, "replicas": 3}
    links = catalog_links("https://wiki/checkout")
    matched = match_runbooks(
        _bundled().runbooks, kind="deploy_regression", component="checkout", context=context, links=links
    )
    stored = flatten_steps(matched)
    assert stored and all(set(s) == KEYS | ({"url"} if s["type"] == "link" else set()) for s in stored)
    assert [s.stored() for s in steps_of(stored)] == stored
    assert steps_of(stored) == [step for m in matched for step in m.steps]
    assert steps_of(None) == []


def test_only_a_ready_action_step_is_proposable() -> None:
    action = StepAction(type="kubernetes.restart", params={"namespace": "shop", "deployment": "checkout"})
    ready = Step(runbook_id="r", title="t", index=0, type="action", text="x", action=action, ready=True)
    assert ready.proposable == action
    assert ready.model_copy(update={"ready": False}).proposable is None
    assert ready.model_copy(update={"action": StepAction(type="")}).proposable is None
    text = Step(runbook_id="r", title="t", index=1, type="text", text="look", ready=True)
    assert text.proposable is None and "url" not in text.stored()
