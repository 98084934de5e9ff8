"""``incident explain``: each term of a hypothesis' score, memory, evidence resolved, refutation,
why #1 is above #2; hypotheses without a breakdown; clear errors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from incident.cli import app
from incident.explain import ExplainError, Explanation, HypothesisExplanation, Term, compare, explain
from incident.hypotheses import Evidence, HypothesisDraft, save_hypotheses
from incident.models import Incident, MetricWindow
from incident.store import Store
from incident.timeline import log_event, window_id

PAGE = datetime(2026, 1, 13, 14, 6, tzinfo=UTC)

WHY: dict[str, Any] = {
    "score": 0.81,
    "terms": [
        {"name": "mechanism", "value": 0.85, "note": "cart-7f9/app OOMKilled at its 512Mi limit"},
        {"name": "relevance", "value": 1.0, "note": "the paged component"},
        {"name": "timing", "value": 0.95, "note": "began 3 min before the page"},
        {"name": "metrics", "value": 0.6, "note": "memory 410 MiB -> 512 MiB (14 robust scales)"},
        {"name": "explains", "value": 0.8, "note": "explains the page and 2 of 3 departed components"},
        {"name": "burstiness", "value": 0.7, "note": "a term this reader has never heard of"},
    ],
    "relevance": {"label": "2 hops downstream of checkout (the paged component)", "connected": True, "hops": 2},
    "onset": "2026-01-13T14:03:00+00:00",
    "explains": ["the page on checkout", "frontend's latency"],
    "unexplained": ["search's error ratio"],
    "trigger": None,
    "mechanism": "new pods fail readiness",
}
SECOND_WHY: dict[str, Any] = {
    "score": 0.52,
    "terms": [
        {"name": "change", "value": 0.9, "note": "rollout of checkout revision 8 at 14:01"},
        {"name": "relevance", "value": 1.0, "note": "the paged component"},
        {"name": "timing", "value": 0.4, "note": "began 5 min before the page"},
        {"name": "metrics", "value": 0.35, "note": "error ratio 0.3% -> 2%"},
        {"name": "explains", "value": 0.5, "note": "explains the page only"},
    ],
    "relevance": {"label": "the paged component", "connected": True, "hops": 0},
    "onset": None,
    "explains": ["the page on checkout"],
    "unexplained": ["frontend's latency", "search's error ratio"],
    "trigger": "rollout of checkout revision 8 at 14:01",
    "mechanism": None,
}
MEMORY: dict[str, Any] = {
    "delta": 0.06,
    "prior": 0.81,
    "because": "confirmed by alice on #7 (similar 82%)",
    "confirmed_in": [7],
    "rejected_in": [],
}


@dataclass
class World:
    store: Store
    incident_id: int
    oom_event: str
    window: str
    config: Path


def build(store: Store, tmp_path: Path) -> World:
    with store.session() as s:
        incident = Incident(
            dedup_key="alertmanager:checkout:1",
            source="alertmanager",
            title="checkout: more than 5% of requests fail",
            component="checkout",
            page_at=PAGE,
            opened_at=PAGE,
        )
        s.add(incident)
        s.flush()
        oom = log_event(
            s,
            incident_id=incident.id,
            kind="pod_state",
            key="pods/cart",
            at=PAGE - timedelta(minutes=3),
            source="kubernetes",
            component="cart",
            summary="cart-7f9 container app OOMKilled (limit 512Mi)",
        )
        deploy = log_event(
            s,
            incident_id=incident.id,
            kind="deploy",
            key="rollout/8",
            at=PAGE - timedelta(minutes=5),
            source="kubernetes",
            component="checkout",
            summary="checkout rolled out revision 8 from 7",
        )
        wid = window_id(incident.id, "cart", "memory")
        s.add(
            MetricWindow(
                id=wid,
                incident_id=incident.id,
                component="cart",
                signal="memory",
                query="memory{}",
                start=PAGE - timedelta(hours=1),
                end=PAGE,
                step_seconds=60.0,
                points=[[PAGE.timestamp(), 1.0]],
            )
        )
        drafts = [
            HypothesisDraft(
                kind="oom",
                component="cart",
                confidence=0.87,
                summary="cart-7f9/app OOMKilled at its 512Mi limit",
                evidence=[Evidence(ref=oom, note="the kill"), Evidence(ref=wid)],
                refutation="cart's memory stays well under its limit while checkout still fails",
                details={"why": WHY, "memory": MEMORY},
            ),
            HypothesisDraft(
                kind="deploy_regression",
                component="checkout",
                confidence=0.52,
                summary="checkout rolled out revision 8 5 min before the page",
                evidence=[Evidence(ref=deploy)],
                refutation="errors continue after rolling back to revision 7",
                details={"why": SECOND_WHY},
            ),
            HypothesisDraft(
                kind="network",
                component="frontend",
                confidence=0.2,
                summary="frontend p99 latency up",
                evidence=[Evidence(ref="ev_gone")],
                refutation="",
            ),
        ]
        save_hypotheses(s, incident.id, drafts, source="analyzer", at=PAGE)
        number = incident.id
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\nurl = "{store.url}"\n')
    return World(store, number, oom, wid, config)


@pytest.fixture
def world(store: Store, tmp_path: Path) -> World:
    return build(store, tmp_path)


def run(world: World, *args: str) -> Any:
    return CliRunner().invoke(app, ["--config", str(world.config), "explain", *args], env={"COLUMNS": "200"})


def test_every_term_with_its_value_and_note_memory_evidence_and_refutation(world: World) -> None:
    out = run(world, str(world.incident_id))
    assert out.exit_code == 0, out.output
    text = out.output
    for term in WHY["terms"]:
        assert f"{term['name']}  " in text or f"{term['name']} " in text
        assert f"{term['value']:.2f}  {term['note']}" in text
    assert "memory" in text and "+0.06  confirmed by alice on #7 (similar 82%)" in text
    assert "team memory moved it +6% from 81% to 87%" in text
    assert "2 hops downstream of checkout (the paged component)" in text
    assert "2026-01-13 14:03:00 UTC, 3 min before the page" in text
    assert "the page on checkout; frontend's latency" in text and "search's error ratio" in text
    assert "event: pod_state: cart-7f9 container app OOMKilled (limit 512Mi)" in text and "- the kill" in text
    assert f"metric window: memory on cart ({world.window})" in text
    assert "would be refuted by: cart's memory stays well under its limit while checkout still fails" in text
    assert "trigger" in text and "rollout of checkout revision 8 at 14:01" in text
    # the one-line comparison: the terms where #1 beats #2 most, biggest gap first
    assert "why #1 over #2: timing 0.95 vs 0.40, explains 0.80 vs 0.50, metrics 0.60 vs 0.35" in text


def test_a_hypothesis_without_a_breakdown_says_so(world: World) -> None:
    out = run(world, "latest", "--hypothesis", "3")
    assert out.exit_code == 0, out.output
    assert "#3 network on frontend" in out.output
    assert "no breakdown: no score breakdown is stored for this hypothesis" in out.output
    assert "unresolved: not stored (any more) (ev_gone)" in out.output
    assert "would be refuted by: no refutation recorded" in out.output
    assert "oom on cart" not in out.output.split("#1 over #2")[1]  # only #3 is explained


def test_json_round_trips_into_the_model(world: World) -> None:
    out = run(world, str(world.incident_id), "--json")
    assert out.exit_code == 0, out.output
    parsed = Explanation.model_validate_json(out.output)
    assert [h.rank for h in parsed.hypotheses] == [1, 2, 3]
    top = parsed.hypotheses[0]
    assert [t.name for t in top.terms] == [*(t["name"] for t in WHY["terms"]), "memory"]
    assert top.terms[-1].value == pytest.approx(0.06) and top.score == pytest.approx(0.81)
    assert top.onset_minutes_before_page == 3 and top.relevance is not None and top.relevance.hops == 2
    assert [c.kind for c in top.evidence] == ["event", "metric window"]
    assert parsed.hypotheses[2].no_breakdown and parsed.hypotheses[2].terms == []
    assert parsed.comparison is not None and [g.name for g in parsed.comparison.gaps] == [
        "timing",
        "explains",
        "metrics",
    ]
    assert json.loads(out.output)["hypotheses"][1]["trigger"] == "rollout of checkout revision 8 at 14:01"


def test_unknown_incident_and_hypothesis_are_clear_errors(world: World) -> None:
    missing = run(world, "999")
    assert missing.exit_code == 1 and "no incident 999" in missing.output
    bad = run(world, "nonsense")
    assert bad.exit_code == 1 and "not an incident id" in bad.output
    no_such = run(world, str(world.incident_id), "--hypothesis", "9")
    assert no_such.exit_code == 1 and "no hypothesis #9 (shown: #1-#3)" in no_such.output


def test_agent_hypotheses_resolve_tool_results_and_say_they_have_no_breakdown(world: World) -> None:
    draft = HypothesisDraft(
        kind="code_error",
        component="cart",
        confidence=0.7,
        summary="cart panics on a nil map",
        evidence=[Evidence(ref="tr_0001"), Evidence(ref=world.oom_event)],
        refutation="the panic is absent from cart's logs",
        details={"tool_results": {"tr_0001": {"tool": "pod_logs", "args": {}, "content": "panic"}}},
    )
    with world.store.session() as s:
        save_hypotheses(s, world.incident_id, [draft], source="agent", at=PAGE)
        incident = s.get(Incident, world.incident_id)
        assert incident is not None
        result = explain(s, incident)
    (only,) = result.hypotheses  # the agent's ranking is the one shown
    assert only.no_breakdown is not None and "agent" in only.no_breakdown
    assert [(c.kind, c.text) for c in only.evidence] == [
        ("tool result", "tool pod_logs"),
        ("event", "pod_state: cart-7f9 container app OOMKilled (limit 512Mi)"),
    ]
    assert result.comparison is None


def test_malformed_why_is_read_as_far_as_it_goes(world: World) -> None:
    broken = {"score": "high", "terms": [{"value": 1}, "x", {"name": "timing", "value": None}], "onset": "soon"}
    draft = HypothesisDraft(
        kind="oom", component="cart", confidence=0.5, summary="s", details={"why": broken, "memory": {"delta": 0}}
    )
    with world.store.session() as s:
        save_hypotheses(s, world.incident_id, [draft], source="analyzer", at=PAGE)
        incident = s.get(Incident, world.incident_id)
        assert incident is not None
        (h,) = explain(s, incident).hypotheses
    assert h.score is None and h.onset is None and [(t.name, t.value) for t in h.terms] == [("timing", None)]
    assert h.no_breakdown is None and h.memory is not None and h.memory.delta == 0


def test_explain_one_by_id_or_rank(world: World) -> None:
    with world.store.session() as s:
        incident = s.get(Incident, world.incident_id)
        assert incident is not None
        second = explain(s, incident, rank=2).hypotheses
        assert [h.kind for h in second] == ["deploy_regression"]
        by_id = explain(s, incident, hypothesis_id=second[0].id)
        assert [h.rank for h in by_id.hypotheses] == [2] and by_id.comparison is not None
        with pytest.raises(ExplainError):
            explain(s, incident, hypothesis_id="hy_nope")


def _hyp(rank: int, confidence: float, terms: dict[str, float], **kw: Any) -> HypothesisExplanation:
    return HypothesisExplanation(
        id=f"hy_{rank}",
        rank=rank,
        kind="oom",
        component=f"c{rank}",
        confidence=confidence,
        source="analyzer",
        status="proposed",
        summary="",
        terms=[Term(name=n, value=v) for n, v in terms.items()],
        **kw,
    )


def test_comparison_names_terms_only_the_first_has_and_says_when_no_term_is_higher() -> None:
    first = _hyp(1, 0.7, {"change": 0.6, "metrics": 0.5, "timing": 0.9})
    second = _hyp(2, 0.4, {"metrics": 0.5, "timing": 0.2})
    c = compare(first, second)
    assert c.text == "why #1 over #2: timing 0.90 vs 0.20; only #1 has change 0.60"
    assert [t.name for t in c.only_first] == ["change"]
    even = compare(_hyp(1, 0.7, {"metrics": 0.5}), _hyp(2, 0.6, {"metrics": 0.5}))
    assert even.text == "why #1 over #2: higher on no single term; the terms combined give confidence 70% vs 60%"
    blind = compare(first, _hyp(2, 0.4, {}, no_breakdown="none"))
    assert blind.text == "why #1 over #2: confidence 70% vs 40% (no score breakdown for #2)" and not blind.only_first
