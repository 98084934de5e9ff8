"""Combine evidence findings and metric anomalies into ranked, evidence-cited hypotheses.

Scoring, in words: specific mechanisms seen in the cluster (OOM kills, crash loops, pull
failures, unschedulable pods, node trouble, log signatures) are strong; a recent rollout or
config change is a suspect whose weight grows when its component misbehaves after it; metric
anomalies alone rank components by how far they left their own baseline. A component whose
dependency also departed strongly is treated as showing that dependency's symptoms, so the
failing dependency ranks above its callers.
"""

from __future__ import annotations

from collections import defaultdict

from incident.analysis.checks import Finding
from incident.analysis.context import AnalysisInput
from incident.analysis.localisation import Departure, describe_anomaly, metric_strength

CHANGE_KINDS = ("deploy_regression", "config_change")


def combine(data: AnalysisInput, findings: list[Finding], deps: dict[str, Departure]) -> list[dict]:
    """Candidate hypotheses as dicts (kind, component, score, summary, evidence, refutation)."""
    anomalies = {c: d.anomalies for c, d in deps.items()}
    ms = {c: d.strength for c, d in deps.items()}
    by_key: dict[tuple[str, str], dict] = {}
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        grouped[(f.kind, f.component)].append(f)
    for (kind, comp), group in grouped.items():
        top = max(group, key=lambda f: f.strength)
        support = ms.get(comp, 0.0)
        if kind in CHANGE_KINDS:
            after = [a for a in anomalies.get(comp, []) if a.onset and top.at and a.onset >= top.at]
            support = metric_strength(max((a.score for a in after), default=0.0))
            score = top.strength * (0.35 + 0.65 * support) + 0.25 * support
        else:
            score = top.strength + 0.1 * support
        summary = top.summary + (f"; {len(group) - 1} more like it" if len(group) > 1 else "")
        if kind in CHANGE_KINDS:
            after = sorted(after, key=lambda a: a.score, reverse=True)
            summary += (
                f"; after it: {describe_anomaly(after[0])}"
                if after and after[0].score >= 3
                else ("; nothing on it departed from its baseline after the change")
            )
        evidence = list(dict.fromkeys(e for f in group for e in f.evidence))
        windows = [a.window_id for a in anomalies.get(comp, [])[:2] if a.score >= 3]
        by_key[(kind, comp)] = {
            "kind": kind,
            "component": comp,
            "score": min(score, 0.97),
            "summary": summary,
            "evidence": evidence + windows,
            "refutation": top.refutation,
        }
    mechanism = {  # the strongest specific (non-change) finding per component
        comp: max(h["score"] for (k, c), h in by_key.items() if c == comp and k not in CHANGE_KINDS)
        for (_, comp) in by_key
        if any(k not in CHANGE_KINDS for (k, c) in by_key if c == comp)
    }
    for comp, dep in deps.items():
        kind, strength = dep.kind, 0.7 * dep.strength
        if comp in mechanism:  # the departure is that mechanism's symptom, not a separate cause
            strength = min(strength, mechanism[comp] - 0.05)
        key = (kind, comp)
        if key in by_key:
            by_key[key]["score"] = max(by_key[key]["score"], strength)
            continue
        by_key[key] = {
            "kind": kind,
            "component": comp,
            "score": strength,
            "summary": dep.summary,
            "evidence": dep.evidence,
            "refutation": f"{comp}'s signals are back at baseline while the symptom persists",
        }
    ranked = sorted(by_key.values(), key=lambda h: h["score"], reverse=True)
    return ranked
