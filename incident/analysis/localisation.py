"""Metric localisation: which component's departure from its own baseline best explains the page.

Input is every (component, signal) series of the incident (``metrics.localise`` finds each one's
own ongoing departure and onset); output is one :class:`Departure` per component that departed.
Three things an SRE weighs turn departures into causes:

- evidence: several independent signals of a component leaving their baselines together (at the
  same onset) is stronger than one noisy signal; latency quantiles count as one signal;
- timing along the dependency graph: a cause departs before or with its symptoms, so a caller
  whose dependency departed no later than it did is echoing that dependency and ranks below it.
  A dependency that only departed *after* its caller does not explain the caller. A component
  with no edge in the catalog is an unknown connection: nothing explains it away;
- the signal pattern gives the kind (CPU or memory up -> saturation, errors -> code error, a
  request surge -> traffic surge, latency alone -> network), ``unknown`` when the evidence is weak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

from incident.analysis.context import AnalysisInput
from incident.analysis.metrics import DEPARTED, HORIZON, Anomaly, localise
from incident.changepoints import format_value, signal_label

SIGNIFICANT = 6.0
"""Sustained robust z from which a dependency's departure explains its callers' symptoms."""
DATASTORE_TYPES = {
    "database",
    "datastore",
    "cache",
    "queue",
    "storage",
    "stream",
    "search",
    "db",
    "redis",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "mongodb",
    "memcached",
    "kafka",
    "rabbitmq",
    "elasticsearch",
    "opensearch",
    "cassandra",
    "etcd",
    "zookeeper",
}
ECHO = 0.9
"""An echoing component is capped at this share of what it echoes (per hop)."""
SURGE = 1.8
"""Request rate this many times its baseline is a traffic surge."""
SUPPORT = 0.5
"""Weight of each further signal family that departed with the lead one."""
ECHOED = {"latency", "request_rate", "error_ratio"}
"""Signal families in which a caller shows its dependencies' trouble."""
LATENCY_SHARE = 0.25
"""A dependency explains a caller's latency only if its own rose by at least this share of the caller's."""
LEAD_TIME = timedelta(minutes=5)
"""How long a cause may lead the paged component's own departure before that lead counts against it."""
EARLY_FLOOR = 0.4
AFTER_SYMPTOM = 0.8
"""Weight of a departure that began after the paged component's: more likely a symptom than the cause."""
DECISIVE = 0.45
"""Below this strength the kind is ``unknown``: the departure is too weak to say what it is."""


@dataclass
class Departure:
    """One component's metric evidence."""

    component: str
    strength: float
    """[0, 1): how decisive the departure is as a *cause* (after dependencies explain it away)."""
    raw: float
    """[0, 1): how far it departed (all its signals together), before anything explains it away."""
    onset: float | None
    """Unix time the departure began (its lead signal's onset), or None."""
    kind: str
    why: str
    summary: str
    explained_by: str | None = None
    """The component whose departure this one echoes, when one does."""
    anomalies: list[Anomaly] = field(default_factory=list)
    """Its signals' anomalies, strongest first."""
    signals: list[str] = field(default_factory=list)
    """The signals that departed together at its onset (the evidence behind ``raw``)."""

    @property
    def evidence(self) -> list[str]:
        return [a.window_id for a in self.anomalies[:3]]


def metric_strength(z: float) -> float:
    """A saturating, order-preserving map of robust z to [0, 1): ~0.37 at 3, ~0.55 at 10, ~0.8 at 100."""
    return 1 - math.exp(-math.log1p(max(z, 0.0)) / 3)


def family(signal: str) -> str:
    """Signals that measure the same thing (latency quantiles) count once as evidence."""
    return "latency" if signal.startswith("latency") else signal


def together(top: list[Anomaly]) -> list[Anomaly]:
    """The lead anomaly and the best one of every other signal family that departed at its onset."""
    if not top or top[0].onset is None:
        return top[:1]
    lead, start = top[0], top[0].onset
    picked = {family(lead.signal): lead}
    for a in top[1:]:
        if a.score < DEPARTED or a.onset is None or family(a.signal) in picked:
            continue
        # with it, or shortly before it: inside one component the cause leads its symptoms too
        if -HORIZON.total_seconds() <= a.onset - start <= 1.5 * max(a.step, lead.step):
            picked[family(a.signal)] = a
    return list(picked.values())


def combined_z(group: list[Anomaly]) -> float:
    if not group:
        return 0.0
    lead = group[0].score
    return lead + SUPPORT * sum(min(a.score, lead) for a in group[1:])


def surge_ratio(top: list[Anomaly]) -> float:
    rate = next((a for a in top if a.signal == "request_rate" and a.score >= DEPARTED), None)
    if rate is None or rate.direction != "up" or rate.before <= 0:
        return 0.0
    return rate.level / rate.before


def _latency_rise(group: list[Anomaly]) -> float | None:
    rises = [a.level - a.before for a in group if family(a.signal) == "latency" and a.direction == "up"]
    return max(rises) if rises else None


def can_explain(dep: list[Anomaly], caller: list[Anomaly]) -> bool:
    """Whether the dependency's departure can account for what its caller shows.

    A caller echoes its dependency in latency, errors and request rate, never in its own CPU or
    memory; and a dependency whose latency rose by milliseconds cannot explain a caller's
    seconds (the delay must be of the caller's order to be inherited).
    """
    if any(family(a.signal) not in ECHOED and not a.signal.startswith("error") for a in caller):
        return False
    mine, theirs = _latency_rise(dep), _latency_rise(caller)
    if mine is not None and theirs is not None and theirs > 0:
        return mine >= LATENCY_SHARE * theirs
    return True


def _echo_caps(
    data: AnalysisInput, groups: dict[str, list[Anomaly]], raw: dict[str, float], surging: set[str]
) -> tuple[dict[str, float], dict[str, str]]:
    """Each component's score once the dependencies that departed no later than it explain it away."""
    scores = dict(raw)
    explained: dict[str, str] = {}
    reach = {c: data.downstream(c) for c in raw}
    onsets = {c: g[0].onset for c, g in groups.items()}
    for _ in range(len(raw)):  # caps propagate from the leaves up; stops when nothing changes
        changed = False
        for comp, z in raw.items():
            start = onsets[comp]
            if comp in surging or start is None:
                continue
            tol = 1.5 * groups[comp][0].step
            causes: list[tuple[float, str]] = []
            for dep, hops in reach[comp].items():
                when = onsets.get(dep)
                if raw.get(dep, 0.0) < SIGNIFICANT or when is None or when > start + tol:
                    continue
                if can_explain(groups[dep], groups[comp]):
                    causes.append((ECHO**hops * scores[dep], dep))
            for s in surging:
                away = reach[s].get(comp)
                if away:
                    causes.append((ECHO**away * scores[s], s))
            capped, by = z, None
            if causes:
                cap, by = max(causes)
                capped = min(z, cap)
            if by:
                explained[comp] = by
            else:
                explained.pop(comp, None)
            if capped != scores[comp]:
                scores[comp], changed = capped, True
        if not changed:
            break
    return scores, explained


def timing_weight(data: AnalysisInput, groups: dict[str, list[Anomaly]], comp: str) -> float:
    """How well a component's onset fits the symptom's: a cause departs before or with the paged
    component, and not so long before it that the symptom would have shown earlier."""
    symptom = groups.get(data.paged or "")
    if comp == data.paged or not symptom or symptom[0].score < DEPARTED or symptom[0].onset is None:
        return 1.0
    start = groups[comp][0].onset
    if start is None:
        return 1.0
    step = max(groups[comp][0].step, symptom[0].step)
    lead = symptom[0].onset - start
    if lead < -1.5 * step:
        return AFTER_SYMPTOM
    slack = max(LEAD_TIME.total_seconds(), 2 * step)
    if lead <= slack:
        return 1.0
    return max(EARLY_FLOOR, math.exp(-(lead - slack) / LEAD_TIME.total_seconds()))


def metric_kind(data: AnalysisInput, comp: str, group: list[Anomaly], top: list[Anomaly]) -> tuple[str, str]:
    """The kind the signals that departed together suggest, and why."""
    signals = {a.signal: a for a in group}
    lead = group[0]
    if any("throttl" in s or "saturat" in s for s in signals):
        return "resource_saturation", "CPU throttling rose"
    if data.types.get(comp, "").lower() in DATASTORE_TYPES and comp != data.paged:
        return "dependency_failure", f"{comp} is a datastore its callers depend on"
    if surge_ratio(group) >= SURGE:
        return "traffic_surge", f"request rate {surge_ratio(group):.1f}x its baseline"
    if "cpu" in signals and signals["cpu"].direction == "up":
        return "resource_saturation", "CPU rose with the departure"
    if "memory" in signals and signals["memory"].direction == "up" and len(signals) == 1:
        return "resource_saturation", "memory rose without OOM kills"
    if any(s.endswith("error_ratio") or s.startswith("error") for s in signals):
        return "code_error", "errors rose with no infrastructure cause seen"
    if any(family(s) == "latency" for s in signals) and all(family(s) in ("latency", "request_rate") for s in signals):
        return "network", "latency rose without CPU, memory or error changes"
    return "unknown", f"{signal_label(lead.signal)} departed from its baseline"


def describe_anomaly(a: Anomaly) -> str:
    return (
        f"{signal_label(a.signal)} {format_value(a.signal, a.before)} -> {format_value(a.signal, a.peak)}"
        f" ({a.score:.0f} robust scales) on {a.component}"
    )


def departures(data: AnalysisInput) -> dict[str, Departure]:
    """Every component that departed from its baseline, with its strength as a cause."""
    anomalies = {c: a for c, a in localise(data).items() if a}
    groups = {c: together(a) for c, a in anomalies.items()}
    raw = {c: combined_z(g) for c, g in groups.items()}
    surging = {c for c, g in groups.items() if surge_ratio(g) >= SURGE}
    # a surge that arrives from upstream is the upstream's surge: only the first ones are drivers
    below = {s: data.downstream(s) for s in surging}
    surging = {c for c in surging if not any(c in below[s] for s in surging if s != c)}
    timed = {c: z * timing_weight(data, groups, c) for c, z in raw.items()}
    scores, explained = _echo_caps(data, groups, timed, surging)
    out: dict[str, Departure] = {}
    for comp, top in anomalies.items():
        group = groups[comp]
        strength = metric_strength(scores[comp])
        kind, why = metric_kind(data, comp, group, top)
        if strength < DECISIVE:
            kind, why = "unknown", f"only a weak departure ({why.lower()})"
        summary = "; ".join(describe_anomaly(a) for a in group[:2]) + f"; {why}"
        by = explained.get(comp)
        if by:
            summary += f"; {by} departed first or with it, so this may be its symptom"
        out[comp] = Departure(
            component=comp,
            strength=strength,
            raw=metric_strength(raw[comp]),
            onset=group[0].onset,
            kind=kind,
            why=why,
            summary=summary,
            explained_by=by,
            anomalies=top,
            signals=[a.signal for a in group],
        )
    return out
