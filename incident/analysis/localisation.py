"""Metric localisation: which component's departure from its own baseline best explains the page.

Input is every (component, signal) series of the incident (``metrics.localise`` scores each one);
output is one :class:`Departure` per component that departed: how decisive its departure is once
dependencies are taken into account, when it began, and the kind its signal pattern suggests.
``rank`` combines these with the cluster's evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from incident.analysis.context import AnalysisInput
from incident.analysis.metrics import Anomaly, localise
from incident.changepoints import format_value, signal_label

SIGNIFICANT = 10.0
"""Robust z from which a dependency's departure explains its callers' symptoms."""
DATASTORE_TYPES = {"database", "datastore", "cache", "queue", "storage", "db", "redis", "postgres", "mysql"}
ECHO = 0.9
"""An echoing component is capped at this share of what it echoes."""
SURGE = 1.8
"""Request rate this many times its baseline is a traffic surge."""


@dataclass
class Departure:
    """One component's metric evidence."""

    component: str
    strength: float
    """[0, 1): how decisive the departure is as a *cause* (after dependencies explain it away)."""
    raw: float
    """[0, 1): how far it departed, before anything explains it away."""
    onset: float | None
    """Unix time the departure began (earliest of its significant signals), or None."""
    kind: str
    why: str
    summary: str
    explained_by: str | None = None
    """The component whose departure this one echoes, when one does."""
    anomalies: list[Anomaly] = field(default_factory=list)
    """Its signals' anomalies, strongest first."""

    @property
    def evidence(self) -> list[str]:
        return [a.window_id for a in self.anomalies[:3]]


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


def departures(data: AnalysisInput) -> dict[str, Departure]:
    """Every component that departed from its baseline, with its strength as a cause."""
    anomalies = localise(data)
    scores = component_scores(data, anomalies)
    out: dict[str, Departure] = {}
    for comp, top in anomalies.items():
        if not top:
            continue
        kind, why = metric_kind(data, comp, top)
        explained = scores[comp] < top[0].score
        summary = describe_anomaly(top[0]) + f"; {why}"
        if explained:
            summary += "; a dependency departed as strongly, so this may be its symptom"
        onsets = [a.onset for a in top if a.onset is not None and a.score >= 3]
        out[comp] = Departure(
            component=comp,
            strength=metric_strength(scores[comp]),
            raw=metric_strength(top[0].score),
            onset=min(onsets) if onsets else None,
            kind=kind,
            why=why,
            summary=summary,
            explained_by=None,
            anomalies=top,
        )
    return out
