"""The demo's whole story: page -> hypotheses -> approved rollback -> healthy pods -> page resolved."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from incident import clock, service
from incident.actions import approve, execute, sync_proposals
from incident.config import load_settings
from incident.registry import build_connectors
from incident.sandbox.runner import Sandbox
from incident.scenario import load_scenario
from incident.store import Store
from incident.timeline import timeline
from incident.watcher import Watcher
from tests.conftest import SCENARIOS, needs_alertmanager


@needs_alertmanager
def test_approved_rollback_heals_the_cluster_and_resolves_the_page(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "checkout-bad-deploy")
    page = scenario.spec.page
    with Sandbox(scenario, tmp_path / "sb") as box:
        settings = load_settings(overlays=[box.config(store_url=f"sqlite:///{tmp_path / 's.db'}")], user_file=False)
        clock.set_offset(settings.replay.clock_offset_seconds)  # as the CLI does: the replay's clock
        store = Store(settings.store.url)
        connectors = build_connectors(settings)
        watcher = Watcher(settings, store, connectors)
        try:
            watcher.run_once()
            with store.session() as s:
                incident = service.find_by_page(s, source=page.source, alert=page.alert)
                assert incident is not None and incident.status == "triggered"
                actions = sync_proposals(s, incident_id=incident.id, settings=settings)
            undo = next(a for a in actions if a.type == "kubernetes.rollout_undo")
            bad = {p.name for p in connectors.kubernetes.pods(undo.params["deployment"])}  # type: ignore[union-attr]
            approve(store, action_id=undo.id, who="alice")
            done = execute(store, action_id=undo.id, connectors=connectors, settings=settings, who="alice")
            assert done.status == "succeeded", done.error
            pods = connectors.kubernetes.pods(undo.params["deployment"])  # type: ignore[union-attr]
            assert pods and all(p.ready for p in pods) and not bad & {p.name for p in pods}
            for _ in range(settings.alertmanager.absent_polls):  # resolved at its source, or absent long enough
                watcher.run_once()
                with store.session() as s:
                    incident = service.get(s, incident_id=incident.id)
                    assert incident is not None
                    if incident.status == "resolved":
                        break
            with store.session() as s:
                incident = service.get(s, incident_id=incident.id)
                assert incident is not None and incident.status == "resolved" and incident.resolved_at is not None
                assert timedelta(0) < incident.resolved_at - incident.page_at < timedelta(minutes=5)
                story = [(e.kind, e.summary) for e in timeline(s, incident.id)]
        finally:
            clock.set_offset(0)
            watcher.stop()
            store.close()
    kinds = [k for k, _ in story]
    assert kinds.index("alert") < kinds.index("hypothesis") < kinds.index("action")
    assert any(k == "action" and "approved" in text for k, text in story)
    assert any(k == "action" and "succeeded" in text for k, text in story)
    assert any(k == "incident_state" and "resolved" in text for k, text in story)
