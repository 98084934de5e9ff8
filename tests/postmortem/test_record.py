"""Rules over a hand-built record: action items for every kind, rejected hypotheses, the timeline
cap, the export path, and the config section."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from incident.config import Settings, load_settings
from incident.errors import ConfigError
from incident.feedback import set_verdict
from incident.hypotheses import ranked
from incident.kinds import KINDS
from incident.pins import toggle_pin
from incident.postmortem import export_path, write_postmortem
from incident.postmortem.findings import KIND_ITEMS
from incident.postmortem.record import TIMELINE_CAP
from incident.store import Store
from incident.timeline import log_event
from tests.postmortem.conftest import PAGE, section


def test_every_hypothesis_kind_has_a_prevent_or_process_item() -> None:
    assert set(KIND_ITEMS) == set(KINDS)
    assert all(kind in ("prevent", "process") and "{component}" in item for kind, item in KIND_ITEMS.values())


def test_a_rejected_top_hypothesis_and_a_confirmed_second_one(store: Store, incident_id: int) -> None:
    with store.session() as s:
        top, runner_up = ranked(s, incident_id)[:2]
        set_verdict(s, top.id, "rejected", who="bob", note="revision 8 was fine")
        set_verdict(s, runner_up.id, "confirmed", who="bob")
    result = write_postmortem(store, incident_id, Settings(), who="alice")
    md = result.markdown
    assert "**dependency_failure on shop-db**: confirmed by bob" in md
    assert (
        "The copilot ranked deploy_regression on checkout (#1) above the confirmed cause; it was marked wrong by bob."
        in section(md, "## What went wrong")
    )
    items = {i.item: i for i in result.record.action_items}
    prevent = items["Add timeouts, retries and a fallback for the failing dependency of shop-db"]
    assert prevent.type == "prevent" and prevent.owner == "team-platform"  # the catalog owner of shop-db
    assert "Gate checkout rollouts on error ratio (canary / automatic rollback)" not in items
    assert result.record.authors == ["Bob Example", "bob", "dave"]  # PagerDuty on-call first


def test_the_timeline_is_capped_with_pins_first_and_state_changes_kept(store: Store, incident_id: int) -> None:
    with store.session() as s:
        for i in range(40):
            log_event(
                s,
                incident_id=incident_id,
                kind="alert",
                key=f"alert/extra/{i}",
                at=PAGE - timedelta(minutes=50 - i),
                source="alertmanager",
                component="checkout",
                summary=f"ExtraAlert{i} firing",
            )
        late = log_event(
            s,
            incident_id=incident_id,
            kind="pod_state",
            key="pod/late",
            at=PAGE + timedelta(minutes=30),
            source="kubernetes",
            component="checkout",
            summary="checkout: 3/3 pods ready",
        )
        toggle_pin(s, incident_id, late, who="carol")
    result = write_postmortem(store, incident_id, Settings(), who="alice")
    rec = result.record
    assert len(rec.timeline) == TIMELINE_CAP and rec.timeline[0].event_id == late and rec.timeline[0].pinned
    kinds = [i.kind for i in rec.timeline]
    assert "incident_state" in kinds and "note" in kinds  # state changes and people's notes outrank more alerts
    assert "ExtraAlert0 firing" in [i.summary for i in rec.timeline]  # the first alert stays
    assert rec.timeline_omitted > 0
    assert f"- {rec.timeline_omitted} more key events: `incident show {incident_id}`" in result.markdown
    times = [i.at for i in rec.timeline[1:]]
    assert times == sorted(times)


def test_the_export_path_and_an_atomic_write(
    store: Store, incident_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert export_path(Settings(), 7) == tmp_path / "postmortem-incident-7.md"
    settings = Settings(postmortem={"export_dir": str(tmp_path / "pm")})
    path = export_path(settings, incident_id)
    assert path == tmp_path / "pm" / f"postmortem-incident-{incident_id}.md"
    path.parent.mkdir()
    path.write_text("an older draft")
    result = write_postmortem(store, incident_id, settings, who="alice", path=path)
    assert result.path == path and path.read_text() == result.markdown
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp file left behind


def test_the_postmortem_config_section_is_validated(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[postmortem]\nllm = false\n[postmortem.slos.checkout]\nobjective = 1.5\nwindow = "soon"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert "postmortem.slos.checkout.objective" in err.value.message
    assert "postmortem.slos.checkout.window" in err.value.message
    cfg.write_text('[postmortem]\nllm = false\nexport_dir = "~/pm"\n[postmortem.slos.checkout]\nobjective = 0.995\n')
    pm = load_settings(cfg).postmortem
    assert pm.llm is False and pm.slos["checkout"].window == timedelta(days=30) and pm.export_dir == "~/pm"


def test_evidence_from_an_agent_tool_result_is_quoted_from_the_hypothesis(store: Store, incident_id: int) -> None:
    from incident.hypotheses import Evidence, HypothesisDraft, save_hypotheses

    result = {"tool": "pod_logs", "status": "ok", "content": "panic: promotions rule missing"}
    draft = HypothesisDraft(
        kind="code_error",
        component="checkout",
        confidence=0.8,
        summary="checkout panics on a missing promotions rule",
        evidence=[Evidence(ref="tr_0001")],
        details={"tool_results": {"tr_0001": result}},
    )
    with store.session() as s:
        save_hypotheses(s, incident_id, [draft], source="agent", at=PAGE)
        set_verdict(s, ranked(s, incident_id)[0].id, "confirmed", who="bob")
    record = write_postmortem(store, incident_id, Settings(), who="alice").record
    cause = next(rc for rc in record.root_causes if rc.kind == "code_error")
    assert [e.text for e in cause.evidence] == ["the agent's pod_logs result (ok): panic: promotions rule missing"]
