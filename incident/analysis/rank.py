"""Combine evidence findings and metric anomalies into ranked, evidence-cited hypotheses.

Scoring, in words: specific mechanisms seen in the cluster (OOM kills, crash loops, pull
failures, unschedulable pods, node trouble, log signatures) are strong; a recent rollout or
config change is a suspect whose weight grows when its component misbehaves after it; metric
anomalies alone rank components by how far they left their own baseline. A component whose
dependency also departed strongly is treated as showing that dependency's symptoms, so the
failing dependency ranks above its callers.
"""

from __future__ import annotations

import math
from collections import defaultdict

from incident.analysis.checks import Finding
from incident.analysis.context import AnalysisInput
from incident.analysis.metrics import Anomaly
from incident.changepoints import format_value, signal_label

SIGNIFICANT = 10.0
"""Robust z from which a dependency's departure explains its callers' symptoms."""
DATASTORE_TYPES = {"database", "datastore", "cache", "queue", "storage", "db", "redis", "postgres", "mysql"}
CHANGE_KINDS = ("deploy_regression", "config_change")
ECHO = 0.9
"""An echoing component is capped at this share of what it echoes."""
SURGE = 1.8
"""Request rate this many times its baseline is a traffic surge."""


def metric_strength(z: float) -> float:
    """A saturating, order-preserving map of robust z to [0, 1): ~0.37 at 3, ~0.55 at 10, ~0.8 at 100."""
    return 1 - math.exp(-math.log1p(max(z, 0.0)) / 3)


def surge_ratio(top: list[Anomaly]) -> float:
    rate = next((a for a in top if a.signal == "request_rate"), None)
    if rate is None or rate.direction != "up" or rate.before <= 0:
        return 0.0
    return rate.peak / rate.before


def component_scores(data: AnalysisInput, anomalies: dict[str, list[Anomaly]]) -> dict[str, float]:
    """Each component's strongest departure; a component that only echoes another ranks just below it.

    Callers echo a dependency that departed strongly (its failure shows up as their latency and
    errors); downstream services echo a traffic surge at the component that receives it.
    """
    raw = {c: (a[0].score if a else 0.0) for c, a in anomalies.items()}
    surging = {c for c, a in anomalies.items() if surge_ratio(a) >= SURGE}
    # a surge that arrives from upstream is the upstream's surge: only the first ones are drivers
    surging = {c for c in surging if not any(c in data.downstream(s) for s in surging if s != c)}
    scores = dict(raw)
    for _ in range(len(raw)):  # caps propagate from the leaves up; stops when nothing changes
        changed = False
        for comp, z in raw.items():
            if comp in surging:
                continue
            deps = data.downstream(comp)
            causes = [ECHO**hops * scores[d] for d, hops in deps.items() if raw.get(d, 0.0) >= SIGNIFICANT]
            causes += [ECHO**hops * scores[s] for s in surging if (hops := data.downstream(s).get(comp))]
            capped = min(z, max(causes)) if causes else z
            if capped != scores[comp]:
                scores[comp], changed = capped, True
        if not changed:
            break
    return scores


def metric_kind(data: AnalysisInput, comp: str, top: list[Anomaly]) -> tuple[str, str]:
    """The kind the metrics alone suggest, and why."""
    signals = {a.signal: a for a in top if a.score >= 3}
    lead = top[0]
    paged = data.paged
    if any("throttl" in s or "saturat" in s for s in signals):
        return "resource_saturation", "CPU throttling rose"
    if data.types.get(comp, "").lower() in DATASTORE_TYPES and comp != paged:
        return "dependency_failure", f"{comp} is a datastore its callers depend on"
    if surge_ratio(top) >= SURGE:
        return "traffic_surge", f"request rate {surge_ratio(top):.1f}x its baseline"
    if lead.signal == "cpu" or ("cpu" in signals and lead.signal.startswith("latency")):
        return "resource_saturation", "CPU rose with the symptom"
    if lead.signal == "memory":
        return "resource_saturation", "memory rose without OOM kills"
    if "error_ratio" in signals:
        return "code_error", "errors rose with no change or infrastructure cause seen"
    if lead.signal.startswith("latency"):
        return "network", "latency rose without CPU, memory or error changes"
    return "unknown", f"{signal_label(lead.signal)} departed from its baseline"


def describe_anomaly(a: Anomaly) -> str:
    return (
        f"{signal_label(a.signal)} {format_value(a.signal, a.before)} -> {format_value(a.signal, a.peak)}"
        f" ({a.score:.0f} robust scales) on {a.component}"
    )


def combine(data: AnalysisInput, findings: list[Finding], anomalies: dict[str, list[Anomaly]]) -> list[dict]:
    """Candidate hypotheses as dicts (kind, component, score, summary, evidence, refutation)."""
    scores = component_scores(data, anomalies)
    ms = {c: metric_strength(z) for c, z in scores.items()}
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
    for comp, top in anomalies.items():
        if not top:
            continue
        kind, why = metric_kind(data, comp, top)
        strength = 0.7 * ms[comp]
        if comp in mechanism:  # the departure is that mechanism's symptom, not a separate cause
            strength = min(strength, mechanism[comp] - 0.05)
        explained = scores[comp] < top[0].score
        summary = describe_anomaly(top[0]) + f"; {why}"
        if explained:
            summary += "; a dependency departed as strongly, so this may be its symptom"
        key = (kind, comp)
        if key in by_key:
            by_key[key]["score"] = max(by_key[key]["score"], strength)
            continue
        by_key[key] = {
            "kind": kind,
            "component": comp,
            "score": strength,
            "summary": summary,
            "evidence": [a.window_id for a in top[:3]],
            "refutation": f"{comp}'s signals are back at baseline while the symptom persists",
        }
    ranked = sorted(by_key.values(), key=lambda h: h["score"], reverse=True)
    return ranked
