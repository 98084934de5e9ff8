"""The watcher end to end on bundled scenarios: sandbox (real Prometheus/Alertmanager where
installed), intake, concurrent gathering, an idempotent timeline, and resolution at the source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from incident import service
from incident.config import Settings, load_settings
from incident.hypotheses import known_refs, ranked
from incident.models import Change, Incident, TimelineEvent
from incident.registry import build_connectors
from incident.sandbox.runner import Sandbox
from incident.scenario import Scenario, load_scenario
from incident.store import Store
from incident.timeline import timeline
from incident.watcher import Watcher
from tests.conftest import SCENARIOS

E2E = ["checkout-bad-deploy", "cart-oom", "payments-crashloop-config", "shipping-dependency-db"]


class Replay:
    def __init__(self, scenario: Scenario, box: Sandbox, settings: Settings, store: Store, watcher: Watcher) -> None:
        self.scenario, self.box, self.settings, self.store, self.watcher = (
            scenario,
            box,
            settings,
            store,
            watcher,
        )

    def paged_incident(self) -> Incident:
        page = self.scenario.spec.page
        with self.store.session() as s:
            incident = service.find_by_page(s, source=page.source, alert=page.alert)
        assert incident is not None, f"no incident for the page {page.alert}"
        return incident

    def events(self, incident_id: int) -> list[TimelineEvent]:
        with self.store.session() as s:
            return timeline(s, incident_id)


def replay(path: Path, tmp_path: Path) -> Iterator[Replay]:
    scenario = load_scenario(path)
    with Sandbox(scenario, tmp_path / "sandbox") as box:
        settings = load_settings(overlays=[box.config(store_url=f"sqlite:///{tmp_path / 'e2e.db'}")], user_file=False)
        store = Store(settings.store.url)
        watcher = Watcher(settings, store, build_connectors(settings))
        try:
            yield Replay(scenario, box, settings, store, watcher)
        finally:
            watcher.stop()
            store.close()


@pytest.fixture(params=E2E)
def run(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Replay]:
    path = SCENARIOS / request.param
    if not path.is_dir():
        pytest.skip(f"bundled scenario {request.param} missing")
    yield from replay(path, tmp_path)


def test_page_becomes_an_incident_with_a_complete_idempotent_timeline(run: Replay) -> None:
    opened = run.watcher.run_once()
    assert opened
    incident = run.paged_incident()
    assert incident.gathered_at is not None
    assert incident.page_at <= run.scenario.page_at
    events = run.events(incident.id)
    kinds = {e.kind for e in events}
    assert {"alert", "incident_state", "ownership", "pod_state"} <= kinds
    assert "connector_error" not in kinds, [e.summary for e in events if e.kind == "connector_error"]
    if "prometheus" in run.box.parts:
        assert "metric_change" in kinds
    else:
        assert any("metrics unavailable" in e.summary for e in events)
    truth = run.scenario.truth
    assert truth is not None
    # the root cause's own evidence is on the timeline, even when the page is on a caller
    assert any(e.component == truth.component for e in events if e.kind not in ("ownership", "alert"))
    if truth.kind == "deploy_regression":
        deploy = [e for e in events if e.kind == "deploy" and e.component == truth.component]
        assert deploy
        with run.store.session() as s:  # and the store-wide change history has it too
            assert s.scalar(select(Change).where(Change.component == truth.component, Change.kind == "deploy"))
    # the analyzer ranked hypotheses from the same pipeline; the truth is among them, with runbook steps
    with run.store.session() as s:
        hyps = ranked(s, incident.id)
        refs = known_refs(s, incident.id)
    assert hyps and all(e["ref"] in refs for h in hyps for e in h.evidence)
    assert truth.component in [h.component for h in hyps[:3]]
    assert all(h.steps for h in hyps[:1])
    if truth.kind == "deploy_regression" and hyps[0].kind == "deploy_regression":
        undo = [
            st for st in hyps[0].steps if st["type"] == "action" and st["action"]["type"] == "kubernetes.rollout_undo"
        ]
        assert undo and undo[0]["ready"]
        assert undo[0]["action"]["params"]["to_revision"] == deploy[-1].details["previous_revision"]
    # a replay never sees the future: nothing stamped after the page, except our own state notes
    late = [e for e in events if e.at > run.scenario.page_at]
    assert late == [], [(e.kind, e.at, e.summary) for e in late]

    # a refresh is idempotent, and resolving at the source resolves the incident
    before = sorted((e.id, e.kind, e.summary) for e in run.events(incident.id))
    run.watcher.run_once()
    after = sorted((e.id, e.kind, e.summary) for e in run.events(incident.id))
    assert [e[0] for e in after] == [e[0] for e in before]
    with run.store.session() as s:
        assert len(list(s.scalars(select(Incident)))) == len(service.list_incidents(s))
    run.box.resolve_alerts()
    for _ in range(run.watcher.settings.alertmanager.absent_polls):  # a poll cannot tell resolved from absent
        run.watcher.poll_alertmanager()
    run.watcher.poll_pagerduty()
    assert run.paged_incident().status == "resolved"


def test_the_first_scheduled_poll_resolves_the_page_against_the_catalog(tmp_path: Path) -> None:
    """Regression: a scheduled poll could run before the catalog was read, and the page's timeline
    said its component 'is not in the catalog' although it was."""
    for r in replay(SCENARIOS / "checkout-bad-deploy", tmp_path):
        r.watcher._poll_and_gather("alertmanager")
        incident = r.paged_incident()
        notes = [e.summary for e in r.events(incident.id) if e.kind == "note"]
        assert not any("is not in the catalog" in n for n in notes), notes
