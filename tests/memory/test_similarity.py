"""The similarity score and the feedback step, on plain data: deterministic, bounded, explained."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from incident.hypotheses import HypothesisDraft
from incident.memory.feedback import MAX_DELTA, _adjust
from incident.memory.profile import Profile
from incident.memory.similarity import THRESHOLD, WEIGHTS, Catalog, jaccard, quick_score, similarity
from incident.models import Hypothesis

AT = datetime(2026, 1, 13, 14, 7, tzinfo=UTC)
CATALOG = Catalog(
    depends_on={"checkout": frozenset({"payments", "cart"}), "payments": frozenset(), "search": frozenset()},
    system={"checkout": "shop", "payments": "shop", "search": "shop", "billing": "finance"},
)
LOG = "log: failed to price cart: promotions: apply rule <*>: nil pointer dereference"


def profile(
    component: str | None = "checkout",
    alerts: set[str] | None = None,
    kinds: set[str] | None = None,
    primary: set[str] | None = None,
    signatures: set[str] | None = None,
    incident_id: int = 1,
) -> Profile:
    return Profile(
        incident_id=incident_id,
        component=component,
        page_at=AT,
        alerts=frozenset({"HighErrorRatio"} if alerts is None else alerts),
        kinds=frozenset({"deploy_regression", "network", "code_error"} if kinds is None else kinds),
        primary=frozenset({"deploy_regression"} if primary is None else primary),
        signatures=frozenset({LOG, "state: CrashLoopBackOff"} if signatures is None else signatures),
    )


def test_the_same_incident_again_scores_one_with_every_reason() -> None:
    result = similarity(profile(), profile(incident_id=2), CATALOG)
    assert result.score == 1.0
    assert result.parts == {"component": 1.0, "alerts": 1.0, "kinds": 1.0, "signatures": 1.0}
    assert result.reasons == [
        "same component checkout",
        "same alert HighErrorRatio",
        "same kind deploy_regression",
        "same log signature 'failed to price cart: promotions: apply rule <*>: nil pointer dereference'",
        "same pod state CrashLoopBackOff",
    ]


def test_same_component_and_alert_without_a_shared_diagnosis_or_signature_is_not_similar() -> None:
    past = profile(kinds={"crashloop"}, primary={"crashloop"}, signatures={"exit: Error (1)"})
    result = similarity(profile(), past, CATALOG)
    assert result.score == pytest.approx(WEIGHTS["component"] + WEIGHTS["alerts"])
    assert result.score < THRESHOLD


def test_a_same_component_same_diagnosis_incident_is_similar_even_with_another_alert() -> None:
    past = profile(alerts={"HighLatency"}, signatures=set())
    result = similarity(profile(), past, CATALOG)
    assert result.score >= THRESHOLD
    assert "same kind deploy_regression" in result.reasons and not any("alert" in r for r in result.reasons)


@pytest.mark.parametrize(
    ("past", "credit", "reason"),
    [
        ("payments", 0.5, "checkout depends on payments"),
        ("search", 0.2, "same system shop"),
        ("billing", 0.0, None),
        (None, 0.0, None),
    ],
)
def test_component_credit_follows_the_catalog(past: str | None, credit: float, reason: str | None) -> None:
    assert CATALOG.relation("checkout", past) == (credit, reason)
    assert CATALOG.relation(past, "checkout")[0] == credit
    assert similarity(profile(), profile(component=past), CATALOG).parts["component"] == credit


def test_neighbours_go_both_ways() -> None:
    assert CATALOG.neighbours("payments") == {"checkout"}
    assert CATALOG.neighbours("checkout") == {"payments", "cart"}
    assert CATALOG.neighbours(None) == set()


def test_scores_are_bounded_deterministic_and_the_quick_score_bounds_them() -> None:
    variants = [
        profile(c, a, k, p, s)
        for c, a, k, p, s in itertools.product(
            ["checkout", "payments", "billing", None],
            [set(), {"HighErrorRatio"}, {"HighErrorRatio", "KubePodCrashLooping"}],
            [set(), {"deploy_regression"}, {"oom", "network"}],
            [set(), {"deploy_regression"}, {"oom"}],
            [set(), {LOG}, {LOG, "event: BackOff", "exit: OOMKilled (137)"}],
        )
    ]
    for a, b in itertools.product(variants[::7], variants[::5]):
        result = similarity(a, b, CATALOG)
        assert 0.0 <= result.score <= 1.0
        assert similarity(a, b, CATALOG) == result
        quick = quick_score(a, b, CATALOG)
        assert quick - 1e-9 <= result.score <= quick + WEIGHTS["signatures"] + 1e-9


def test_jaccard_of_nothing_is_no_evidence() -> None:
    assert jaccard(set(), set()) == 0.0
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)


def draft(kind: str = "deploy_regression", component: str = "checkout", confidence: float = 0.6) -> HypothesisDraft:
    return HypothesisDraft(
        kind=kind, component=component, confidence=confidence, summary="s", evidence=[{"ref": "ev_1"}]
    )


def verdict(status: str, kind: str = "deploy_regression", component: str = "checkout", by: str = "alice") -> Hypothesis:
    return Hypothesis(kind=kind, component=component, status=status, verdict_by=by, source="analyzer")


def test_a_confirmed_verdict_raises_in_proportion_to_similarity() -> None:
    out = _adjust(draft(), [(12, 0.8, [verdict("confirmed")])])
    assert out.confidence == pytest.approx(0.6 + 0.25 * 0.8)
    assert out.details["memory"] == {
        "delta": pytest.approx(0.2),
        "prior": 0.6,
        "because": "confirmed by alice on #12 (similar 80%)",
        "confirmed_in": [12],
        "rejected_in": [],
    }
    assert out.summary == "s"


def test_another_component_counts_half_and_wrong_verdicts_lower() -> None:
    other = _adjust(draft(), [(12, 0.8, [verdict("confirmed", component="payments")])])
    assert other.details["memory"]["delta"] == pytest.approx(0.1)
    assert other.details["memory"]["because"] == "confirmed by alice on #12 (similar 80%), on payments"
    wrong = _adjust(draft(), [(9, 0.6, [verdict("rejected", by="bob")])])
    assert wrong.details["memory"]["delta"] == pytest.approx(-0.15)
    assert (
        wrong.details["memory"]["rejected_in"] == [9]
        and "marked wrong by bob on #9" in wrong.details["memory"]["because"]
    )


def test_the_step_is_bounded_and_confidence_stays_in_range() -> None:
    many = [(i, 1.0, [verdict("confirmed")]) for i in range(5)]
    assert _adjust(draft(confidence=0.5), many).details["memory"]["delta"] == pytest.approx(MAX_DELTA)
    assert _adjust(draft(confidence=0.95), many).confidence == 0.99
    wrong = [(i, 1.0, [verdict("rejected")]) for i in range(5)]
    assert _adjust(draft(confidence=0.1), wrong).confidence == 0.01


def test_other_kinds_and_unsupported_drafts_are_not_raised() -> None:
    untouched = draft(kind="network")
    assert _adjust(untouched, [(12, 0.9, [verdict("confirmed")])]) is untouched
    bare = draft().model_copy(update={"evidence": [], "confidence": 0.1})
    out = _adjust(bare, [(12, 0.9, [verdict("confirmed")])])
    assert out.confidence == 0.1 and "not raised: no valid evidence" in out.details["memory"]["because"]
