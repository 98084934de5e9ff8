"""The agent stands on the analyzer's ground: its opening carries relevance labels, onsets and
attributions, and the ground check drops hindsight-only and unexplained off-path hypotheses.

Driven through the real ``anthropic`` SDK against the scripted Messages API stand-in; the analyzer
hypotheses come from the real analyzer over the incident stored here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from incident.agent import run_agent
from incident.analysis import analyze
from incident.config import Settings
from incident.explain import explain
from incident.hypotheses import HypothesisDraft
from incident.models import Component, Hypothesis, Incident, TimelineEvent
from incident.registry import Connectors
from incident.sandbox.anthropic import MessagesStandIn, text
from incident.store import Store
from incident.timeline import log_event

KEY = "sk-ant-test-0123456789abcdefghijklmnop"
PAGE = datetime(2025, 6, 3, 14, 0, tzinfo=UTC)
SECRET = "hunter2-very-secret"
CATALOG = {
    # the paged service, its dependencies, a service sharing its datastore, and an unrelated pair
    "storefront": ["billing", "orders-db"],
    "billing": ["orders-db"],
    "orders-db": [],
    "ledger": ["orders-db"],
    "reports": ["reports-db"],
    "reports-db": [],
}


@dataclass
class Ground:
    store: Store
    incident_id: int
    ev: dict[str, str]
    analyzer: list[HypothesisDraft]

    def run(self, messages: MessagesStandIn) -> Any:
        settings = Settings.model_validate(
            {
                "agent": {"api_key": KEY, "base_url": messages.url, "max_retries": 0, "timeout": "10s"},
                "replay": {"enabled": True},  # the analysis' present is the page time
            }
        )
        return run_agent(
            settings=settings,
            store=self.store,
            connectors=Connectors(),
            incident_id=self.incident_id,
            analyzer_drafts=self.analyzer,
        )

    def row(self, kind: str, component: str) -> Hypothesis:
        with self.store.session() as s:
            return s.scalars(
                select(Hypothesis).where(
                    Hypothesis.source == "agent", Hypothesis.kind == kind, Hypothesis.component == component
                )
            ).one()


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


@pytest.fixture(scope="module")
def llm() -> Iterator[MessagesStandIn]:
    server = MessagesStandIn()
    with server:
        yield server


@pytest.fixture
def messages(llm: MessagesStandIn) -> MessagesStandIn:
    return llm.reset()


def _event(s: Any, iid: int, kind: str, key: str, minutes: float, component: str, summary: str, **details: Any) -> str:
    return log_event(
        s,
        incident_id=iid,
        kind=kind,
        key=key,
        at=PAGE + timedelta(minutes=minutes),
        source="test",
        component=component,
        summary=summary,
        details=details,
    )


@pytest.fixture
def ground(store: Store) -> Ground:
    with store.session() as s:
        for name, deps in CATALOG.items():
            s.add(Component(name=name, depends_on=deps))
        incident = Incident(
            dedup_key="alertmanager:storefront:fp1",
            source="alertmanager",
            title="StorefrontHighErrorRate",
            component="storefront",
            namespace="web",
            page_at=PAGE,
        )
        s.add(incident)
        s.flush()
        iid = incident.id
        line = f"2025-06-03T13:56:10Z ERROR charge failed: dial tcp billing:8443: connect: connection refused {SECRET}"
        ev = {
            "alert": _event(s, iid, "alert", "alert/fp1", -2, "storefront", "StorefrontHighErrorRate firing"),
            "logs": _event(
                s,
                iid,
                "log_excerpt",
                "logs/storefront",
                -3,
                "storefront",
                "storefront errors",
                pod="storefront-1",
                lines=[line.replace(SECRET, f"password={SECRET}")],
            ),
            "crash": _event(
                s,
                iid,
                "pod_state",
                "pod/web/billing-1",
                -5,
                "billing",
                "pod billing-1: CrashLoopBackOff, 6 restarts, last exit code 1",
                pod="billing-1",
                containers=[{"name": "billing", "reason": "CrashLoopBackOff", "restarts": 6, "last_exit_code": 1}],
            ),
            "reports": _event(
                s,
                iid,
                "pod_state",
                "pod/web/reports-1",
                -20,
                "reports",
                "pod reports-1: OOMKilled, 3 restarts",
                pod="reports-1",
                containers=[{"name": "reports", "last_reason": "OOMKilled", "restarts": 3}],
            ),
            "late": _event(
                s, iid, "change", "deploy/billing", 7, "billing", "Deploy billing 2.1.0 to production (after the page)"
            ),
        }
        analyzer = analyze(s, iid, now=PAGE)
    return Ground(store, iid, ev, analyzer)


def answer(*hyps: dict[str, Any]) -> dict[str, Any]:
    return text(json.dumps({"hypotheses": list(hyps)}))


def hyp(kind: str, component: str, summary: str, *refs: str) -> dict[str, Any]:
    evidence = [{"ref": r, "note": "seen"} for r in refs]
    return {"kind": kind, "component": component, "confidence": 0.7, "summary": summary, "evidence": evidence}


def verdicts(*supported: Any) -> dict[str, Any]:
    items = [{"index": i, "supported": s, "reason": f"verdict {i}"} for i, s in enumerate(supported, start=1)]
    return text(json.dumps({"verdicts": items}))


def is_judge(body: dict[str, Any]) -> bool:
    return "strict reviewer" in json.dumps(body.get("system"))


def test_opening_carries_relevance_onsets_and_attributions(ground: Ground, messages: MessagesStandIn) -> None:
    messages.reset([answer(hyp("crashloop", "billing", "billing crash-loops", ground.ev["crash"])), verdicts(True)])
    outcome = ground.run(messages)

    assert not outcome.fallback
    opening = messages.bodies[0]["messages"][0]["content"][0]["text"]
    section = opening.split("Ground (", 1)[1].split("The offline analyzer's hypotheses", 1)[0]
    # every component with findings, labelled by its connection to the page
    assert "- billing: on the paged path (1 hop downstream of storefront)" in section
    assert "- reports: off the paged path (no connection to storefront)" in section
    assert section.index("- billing:") < section.index("- reports:")  # connected first
    # the attribution: caller -> named dependency, its error class, the event it is read from
    assert f"- storefront -> billing: connection errors [{ground.ev['logs']}]" in section
    # the analyzer's hypotheses with their relevance, onset before the page and what they explain
    first = ground.analyzer[0]
    assert first.component == "billing" and first.details["why"]["relevance"]["how"] == "downstream"
    listing = opening.split("The offline analyzer's hypotheses", 1)[1].split("Timeline (", 1)[0]
    onset = r"onset: 2025-06-03T13:\d\dZ, [\d.]+ min before the page"
    assert re.search(r"relevance: on the paged path \(1 hop downstream of storefront\); " + onset, listing)
    assert "explains: the page on storefront" in listing
    assert "relevance: off the paged path" in listing  # the unrelated OOM is shown, labelled
    # nothing stamped after the page is shown, and secrets are redacted
    assert ground.ev["late"] not in opening and ground.ev["crash"] in opening
    assert SECRET not in messages.raw_bodies[0] and "[REDACTED]" in section


def test_off_path_hypothesis_is_dropped_with_the_reason(ground: Ground, messages: MessagesStandIn) -> None:
    messages.reset(
        [
            answer(
                hyp("oom", "reports", "reports runs out of memory", ground.ev["reports"]),
                hyp("crashloop", "billing", "billing crash-loops", ground.ev["crash"]),
            ),
            verdicts(True, True),
        ]
    )
    outcome = ground.run(messages)

    [dropped] = outcome.dropped
    assert (dropped.kind, dropped.component) == ("oom", "reports")
    judged = dropped.details["judge"]
    assert judged["verdict"] == "unsupported" and judged["by"] == "ground_check"
    assert "reports is off the paged path (no connection to storefront)" in judged["reason"]
    assert [d.component for d in outcome.drafts] == ["billing"]
    # not sent to the LLM judge, which was told the rule and reads the labels
    judge_body = messages.bodies[-1]
    assert is_judge(judge_body)
    judge_text = json.dumps(judge_body)
    assert "Hypothesis 2: crashloop on billing" in judge_text and "Hypothesis 1" not in judge_text
    assert "off the paged path" in judge_body["system"]
    assert f"[{ground.ev['crash']}] (billing: on the paged path; stamped 2025-06-03T13:55Z" in judge_text
    # visible like other judge drops
    row = ground.row("oom", "reports")
    assert row.status == "dropped" and row.details["judge"]["by"] == "ground_check"
    assert row.details["why"]["ground"]["status"] == "off_path"
    with ground.store.session() as s:
        notes = s.scalars(select(TimelineEvent.summary).where(TimelineEvent.kind == "hypothesis")).all()
    assert any(n.startswith("dropped by the judge: oom on reports") and "off the paged path" in n for n in notes)


def test_the_same_hypothesis_explaining_its_connection_is_kept(ground: Ground, messages: MessagesStandIn) -> None:
    summary = "reports' nightly export holds every orders-db connection, so storefront's queries wait"
    messages.reset([answer(hyp("oom", "reports", summary, ground.ev["reports"])), verdicts(True)])
    outcome = ground.run(messages)

    assert outcome.dropped == []
    [kept] = outcome.drafts
    assert kept.component == "reports" and kept.details["judge"]["verdict"] == "supported"
    assert kept.details["why"]["ground"] == {
        "status": "explained",
        "reason": "reports is off the paged path; the hypothesis names orders-db as the link",
    }
    judge_text = json.dumps(messages.bodies[-1])
    assert "reports: off the paged path (no connection to storefront)" in judge_text  # the judge still sees it
    assert ground.row("oom", "reports").status == "proposed"


def test_hypothesis_citing_only_what_came_after_the_page_is_dropped(ground: Ground, messages: MessagesStandIn) -> None:
    messages.reset(
        [
            answer(
                hyp("deploy_regression", "billing", "the billing deploy broke charging", ground.ev["late"]),
                hyp(
                    "crashloop",
                    "billing",
                    "billing crash-loops since the deploy",
                    ground.ev["late"],
                    ground.ev["crash"],
                ),
            ),
            verdicts(True, True),
        ]
    )
    outcome = ground.run(messages)

    [dropped] = outcome.dropped
    assert dropped.kind == "deploy_regression"
    assert dropped.details["judge"]["reason"].startswith("ground check: every cited item is stamped after the page")
    assert ground.row("deploy_regression", "billing").status == "dropped"
    # hindsight next to timely evidence is shown to the judge as such, not refused here
    [kept] = outcome.drafts
    assert kept.kind == "crashloop" and kept.details["why"]["ground"]["status"] == "grounded"
    assert "(AFTER THE PAGE)" in json.dumps(messages.bodies[-1])


def test_agent_hypotheses_carry_a_why_the_explain_view_shows(ground: Ground, messages: MessagesStandIn) -> None:
    messages.reset([answer(hyp("crashloop", "billing", "billing crash-loops", ground.ev["crash"])), verdicts(True)])
    [draft] = ground.run(messages).drafts

    why = draft.details["why"]
    assert why["relevance"]["how"] == "downstream" and why["relevance"]["place"] == "on the paged path"
    assert why["onset"] == (PAGE - timedelta(minutes=5)).isoformat()
    assert why["evidence"] == [
        {
            "ref": ground.ev["crash"],
            "component": "billing",
            "place": "on the paged path",
            "at": why["onset"],
            "late": False,
        }
    ]
    with ground.store.session() as s:
        incident = s.get(Incident, ground.incident_id)
        assert incident is not None
        shown = explain(s, incident)
    [agent] = [h for h in shown.hypotheses if h.source == "agent"]
    assert agent.relevance is not None and agent.relevance.label == "1 hop downstream of storefront"
    assert agent.onset_minutes_before_page == 5.0


def test_without_the_ground_the_agent_still_runs_on_what_was_known_by_the_page(
    ground: Ground, messages: MessagesStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("topology unreadable")

    monkeypatch.setattr("incident.agent.service.build_ground", unreadable)
    messages.reset([answer(hyp("oom", "reports", "reports runs out of memory", ground.ev["reports"])), verdicts(True)])
    outcome = ground.run(messages)

    opening = messages.bodies[0]["messages"][0]["content"][0]["text"]
    assert "Ground (" not in opening and ground.ev["late"] not in opening and ground.ev["crash"] in opening
    assert not outcome.fallback and outcome.dropped == []  # only the LLM judge decides now
    assert "why" not in outcome.drafts[0].details
