"""The bundled OOM scenario through the watcher (issue 12): the OOM-killed component has no rollout
in the window, and its runbook still resolves the Deployment and replicas and proposes scaling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from incident import service
from incident.config import load_settings
from incident.hypotheses import ranked
from incident.models import Action
from incident.registry import build_connectors
from incident.runbooks import steps_of
from incident.sandbox.runner import Sandbox
from incident.scenario import Scenario, find_scenarios, load_scenario
from incident.store import Store
from incident.watcher import Watcher
from tests.conftest import SCENARIOS, needs_prometheus

TEMPLATE_TEXT = ("{{", "}}", "{%", "%}")


def _oom_scenario() -> Scenario | None:
    for path in find_scenarios([SCENARIOS]):
        sc = load_scenario(path)
        if sc.truth and sc.truth.kind == "oom" and sc.spec.page.source == "alertmanager":
            return sc
    return None


SCENARIO = _oom_scenario()


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)] if value is not None else []


@pytest.mark.binaries
@needs_prometheus
@pytest.mark.skipif(SCENARIO is None, reason="no bundled OOM scenario paged through Alertmanager")
def test_oom_without_a_rollout_proposes_scaling_and_shows_only_applicable_steps(tmp_path: Path) -> None:
    assert SCENARIO is not None and SCENARIO.truth is not None
    truth = SCENARIO.truth.component
    deployments = {
        o["metadata"]["name"]: o["spec"]["replicas"] for o in SCENARIO.kubernetes if o["kind"] == "Deployment"
    }
    with Sandbox(SCENARIO, tmp_path / "sb") as box:
        overlay = box.config(store_url=f"sqlite:///{tmp_path / 'store.db'}")
        overlay["agent"] = {"enabled": False}
        settings = load_settings(overlays=[overlay], user_file=False)
        store = Store(settings.store.url)
        watcher = Watcher(settings, store, build_connectors(settings))
        try:
            watcher.run_once()
        finally:
            watcher.stop()
    with store.session() as s:
        incident = service.find_by_page(s, source="alertmanager", alert=SCENARIO.spec.page.alert)
        assert incident is not None and incident.source == "alertmanager"
        hypotheses = ranked(s, incident.id)
        top = hypotheses[0]
        assert (top.component, top.kind) == (truth, "oom")
        for h in hypotheses:
            for step in steps_of(h.steps):
                shown = _strings([step.title, step.text, step.why, step.diagnostic, step.action and step.action.params])
                assert not [t for t in shown if any(m in t for m in TEMPLATE_TEXT)], (h.component, step.title)
                assert not (step.action and step.action.type.startswith("pagerduty.")), (h.component, step.title)
                assert step.ready or step.proposable is None
        steps = steps_of(top.steps)
        scale = next(st for st in steps if st.action and st.action.type == "kubernetes.scale")
        assert scale.ready and scale.action is not None
        assert scale.action.params["deployment"] == truth
        assert scale.action.params["replicas"] == deployments[truth] + 2
        proposed = s.scalars(select(Action).where(Action.incident_id == incident.id)).all()
        assert any(a.type == "kubernetes.scale" and a.params["deployment"] == truth for a in proposed)
    store.close()
