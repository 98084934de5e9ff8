"""Rank candidate causes by how much of what is observed they explain.

Scoring, in words, the way an experienced SRE weighs a finding:
- **evidence**: a specific mechanism seen in the cluster (OOM kills, crash loops, pull failures,
  unschedulable pods, node trouble, error signatures) is strong; a rollout or config change is a
  suspect whose weight grows with what went wrong on its component after it; a metric departure
  alone counts by how decisive it is;
- **relevance**: how the component connects to the paged one (:mod:`relevance`);
- **timing**: a cause begins before or with its symptom; what was already wrong long before the
  onset is background (:mod:`timing`);
- **trigger over mechanism**: when a chain is seen (rollout -> new pods fail; node condition ->
  evictions; config change -> restarts; liveness kills -> restarts) the trigger is the kind and the
  mechanism its cited evidence (``_apply_chains``);
- **explaining away**: a cause that accounts for the page and the departures on its callers ranks
  above the callers, which only echo it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from incident.analysis.checks import RECENT_CHANGE, Finding
from incident.analysis.context import AnalysisInput
from incident.analysis.localisation import DATASTORE_TYPES, ECHO, Departure, describe_anomaly, metric_strength
from incident.analysis.relevance import PathMap, Relevance
from incident.analysis.timing import SLACK, symptom_onset, timing_factor

CHANGE_KINDS = ("deploy_regression", "config_change")
CHAINS: dict[str, tuple[str, ...]] = {
    "deploy_regression": ("probe_failure", "crashloop", "oom", "code_error"),
    "config_change": ("crashloop", "probe_failure", "code_error", "oom"),
}
"""Mechanisms a change on the same component explains when they began after it."""
AFFECTED = 0.45
"""Metric strength (about 5 robust scales) from which a component counts as visibly affected."""
SYMPTOMS = {"error_ratio", "latency"}
UNEXPLAINED_LATENCY = 0.9
"""Latency that rose with nothing else on the component ranks below a departure whose own resources
or errors explain it: slowness alone is as often something else's echo as its own fault."""
MAX_SCORE = 0.97


@dataclass
class Term:
    name: str
    value: float
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": round(self.value, 3), "note": self.note}


@dataclass
class Candidate:
    kind: str
    component: str
    strength: float
    """Evidence strength in [0, 1] before relevance, timing and explaining away."""
    summary: str
    evidence: list[str]
    refutation: str
    since: float | None
    terms: list[Term] = field(default_factory=list)
    trigger: str | None = None
    mechanism: str | None = None
    named_by: set[str] = field(default_factory=set)
    liveness: bool = False
    """Seen killed by its liveness probe."""
    since_is_bound: bool = False
    metric_only: bool = False
    change_at: float | None = None
    score: float = 0.0
    relevance: Relevance | None = None
    explains: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)

    def as_dict(self, onset: float) -> dict[str, Any]:
        since = self.since
        why = {
            "score": round(self.score, 3),
            "terms": [t.as_dict() for t in self.terms],
            "relevance": self.relevance.as_dict() if self.relevance else None,
            "onset": datetime.fromtimestamp(since, UTC).isoformat() if since is not None else None,
            "symptom_onset": datetime.fromtimestamp(onset, UTC).isoformat(),
            "explains": self.explains,
            "unexplained": self.unexplained,
            "trigger": self.trigger,
            "mechanism": self.mechanism,
            "named_by": sorted(self.named_by),
        }
        return {
            "kind": self.kind,
            "component": self.component,
            "score": min(max(self.score, 0.0), MAX_SCORE),
            "summary": self.summary,
            "evidence": self.evidence,
            "refutation": self.refutation,
            "why": why,
        }


def _symptom(dep: Departure | None) -> float:
    """How strongly a component's own errors or latency departed, in [0, 1)."""
    scores = [a.score for a in (dep.anomalies if dep else []) if a.signal in SYMPTOMS or a.signal.startswith("latency")]
    return metric_strength(max(scores, default=0.0))


def _mechanisms(findings: list[Finding], deps: dict[str, Departure]) -> list[Candidate]:
    grouped: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.kind not in CHANGE_KINDS:
            grouped[(f.kind, f.component)].append(f)
    out = []
    for (kind, comp), group in grouped.items():
        top = max(group, key=lambda f: f.strength)
        sinces = [f.since for f in group if f.since is not None]
        bound = all(f.since_is_bound for f in group if f.since is not None)
        named = {c for f in group for c in f.named_by}
        strength = min(top.strength + 0.03 * min(len(group) - 1, 3), 0.95)
        if kind == "node_failure":  # of everything on the node, what hurts is what shows the symptom
            strength *= 0.7 + 0.3 * _symptom(deps.get(comp))
        summary = top.summary + (f"; {len(group) - 1} more like it" if len(group) > 1 else "")
        cand = Candidate(
            kind,
            comp,
            strength,
            summary,
            list(dict.fromkeys(e for f in group for e in f.evidence)),
            top.refutation,
            min(sinces) if sinces else None,
            named_by=named,
            since_is_bound=bound,
            liveness=any(f.detail.get("liveness") for f in group),
        )
        cand.terms.append(Term("mechanism", strength, top.summary[:160]))
        dep = deps.get(comp)
        if dep is not None:
            cand.evidence += [w for w in dep.evidence[:2] if w not in cand.evidence]
        out.append(cand)
    return out


def _changes(findings: list[Finding], deps: dict[str, Departure], onset: float) -> list[Candidate]:
    best: dict[tuple[str, str], Candidate] = {}
    window = RECENT_CHANGE.total_seconds()
    for f in findings:
        if f.kind not in CHANGE_KINDS or f.since is None:
            continue
        lead = onset - f.since
        closeness = max(0.0, 1 - lead / window) if lead >= -SLACK.total_seconds() else 0.0
        dep = deps.get(f.component)
        after = [a for a in (dep.anomalies if dep else []) if a.onset and a.onset >= f.since - SLACK.total_seconds()]
        after.sort(key=lambda a: a.score, reverse=True)
        support = metric_strength(after[0].score) if after else 0.0
        base = 0.35 + 0.25 * closeness
        strength = base * (0.35 + 0.65 * support) + 0.25 * support
        minutes = lead / 60
        when = f"{minutes:.0f} min before the symptom" if minutes >= 0 else f"{-minutes:.0f} min after the symptom"
        summary = f"{f.summary} ({when})"
        summary += (
            f"; after it: {describe_anomaly(after[0])}"
            if after and after[0].score >= 3
            else "; nothing on it departed from its baseline after the change"
        )
        cand = Candidate(
            f.kind,
            f.component,
            strength,
            summary,
            list(f.evidence) + ([after[0].window_id] if after and after[0].score >= 3 else []),
            f.refutation,
            f.since,
            change_at=f.since,
            trigger=f.summary[:160],
        )
        cand.terms.append(Term("change", base, f"{when}; closeness {closeness:.2f}"))
        if support:
            cand.terms.append(Term("metrics", support, f"after it: {describe_anomaly(after[0])}"))
        key = (f.kind, f.component)
        if key not in best or best[key].strength < cand.strength:
            best[key] = cand
    return list(best.values())


def _apply_chains(cands: list[Candidate]) -> None:
    """The trigger takes the kind when its mechanism is seen on the same component."""
    by_comp: dict[str, list[Candidate]] = defaultdict(list)
    for c in cands:
        by_comp[c.component].append(c)
    slack = SLACK.total_seconds()
    for group in by_comp.values():
        kinds = {c.kind: c for c in group}
        for change in [c for c in group if c.kind in CHANGE_KINDS]:
            for mech in group:
                if mech.kind not in CHAINS[change.kind] or change.change_at is None:
                    continue
                if mech.since is not None and mech.since < change.change_at - slack:
                    continue  # the mechanism was there before the change
                _absorb(change, mech, f"{change.kind.replace('_', ' ')} -> {mech.kind.replace('_', ' ')}")
        node = kinds.get("node_failure")
        if node is not None:
            for kind in ("unschedulable", "probe_failure", "crashloop"):
                if kind in kinds:
                    _absorb(node, kinds[kind], f"node trouble -> {kind.replace('_', ' ')}")
        probe = kinds.get("probe_failure")
        if probe is not None and "crashloop" in kinds and probe.liveness:
            _absorb(probe, kinds["crashloop"], "liveness kills -> restarts")


def _absorb(trigger: Candidate, mech: Candidate, chain: str) -> None:
    if mech.mechanism == "absorbed":
        return
    trigger.strength = max(trigger.strength, min(mech.strength + 0.03, 0.95))
    trigger.mechanism = mech.summary[:160]
    trigger.evidence += [e for e in mech.evidence if e not in trigger.evidence]
    trigger.terms.append(Term("mechanism", mech.strength, f"{chain}: {mech.summary[:140]}"))
    trigger.summary += f"; mechanism: {mech.summary[:140]}"
    if trigger.since is None or (mech.since is not None and trigger.kind == "node_failure"):
        trigger.since = min(filter(None, [trigger.since, mech.since]), default=None)
    mech.strength *= 0.8
    mech.terms.append(Term("trigger", 0.8, f"explained by {trigger.kind.replace('_', ' ')} ({chain})"))
    mech.mechanism = "absorbed"


def _metric_only(deps: dict[str, Departure], cands: list[Candidate]) -> list[Candidate]:
    strongest: dict[str, float] = defaultdict(float)
    for c in cands:
        strongest[c.component] = max(strongest[c.component], c.strength)
    out = []
    for comp, dep in deps.items():
        strength = 0.7 * dep.strength
        if dep.kind == "network":  # latency alone: a symptom whose cause is not in this component's signals
            strength *= UNEXPLAINED_LATENCY
        if comp in strongest:  # the departure is that mechanism's symptom, not a separate cause
            strength = min(strength, strongest[comp] - 0.05)
        cand = Candidate(
            dep.kind,
            comp,
            max(strength, 0.0),
            dep.summary,
            dep.evidence,
            f"{comp}'s signals are back at baseline while the symptom persists",
            dep.onset,
            metric_only=True,
        )
        cand.terms.append(Term("metrics", dep.strength, dep.summary[:160]))
        out.append(cand)
    return out


def _score(c: Candidate, paths: PathMap, onset: float) -> None:
    rel = paths.of(c.component)
    c.relevance = rel
    if c.metric_only:  # localisation already weighed its onset against its neighbours'
        tf, tnote = 1.0, "weighed in the metric departure"
    elif c.change_at is not None:
        tf, tnote = (
            (1.0, "landed before the symptom")
            if c.change_at <= onset + SLACK.total_seconds()
            else (
                0.45,
                "landed after the symptom began",
            )
        )
    else:
        tf, tnote = timing_factor(c.since, onset, bound=c.since_is_bound)
    c.terms.append(Term("relevance", rel.weight, rel.label))
    c.terms.append(Term("timing", tf, tnote))
    score = c.strength * rel.weight * tf
    if c.named_by:
        bonus = 0.04 * min(len(c.named_by), 3)
        score += bonus
        c.terms.append(Term("attribution", bonus, f"named in the errors of {', '.join(sorted(c.named_by))}"))
    c.score = score
    if rel.how == "off_path":
        c.summary += " [off the paged path]"
    elif tf <= 0.3:
        c.summary += " [background: it predates the incident]"


def _explain_away(cands: list[Candidate], deps: dict[str, Departure], paths: PathMap, paged: str | None) -> None:
    """Credit causes for what they account for; cap callers that only echo a stronger cause."""
    affected = [c for c, d in deps.items() if d.raw >= AFFECTED and paths.of(c).connected]
    downstream = {name: paths.below(name) for name in {*affected, *(c.component for c in cands)}}
    surging = {c.component for c in cands if c.kind == "traffic_surge"}
    for c in cands:
        if c.kind == "traffic_surge":  # load flows down the call graph: a surge explains what it calls
            explained = [a for a in affected if a == c.component or a in downstream.get(c.component, {})]
        else:
            explained = [
                a for a in affected if a == c.component or (c.component in downstream.get(a, {}) and a not in surging)
            ]
        c.explains = ([f"the page on {paged}"] if paged and paths.on_path(c.component) else []) + [
            f"{a}'s departure" for a in explained if a != c.component
        ]
        c.unexplained = [f"{a}'s departure" for a in affected if a not in explained]
        if affected and c.relevance and c.relevance.connected and not c.metric_only:
            share = len(explained) / len(affected)
            c.score += 0.06 * share
            c.terms.append(Term("explains", share, f"accounts for {len(explained)} of {len(affected)} affected"))
    for c in sorted(cands, key=lambda x: x.score):
        if not (c.metric_only or c.kind == "dependency_failure") or c.kind == "traffic_surge":
            continue  # a surge is not its dependencies' echo
        causes = [
            ECHO ** downstream[c.component][x.component] * x.score
            for x in cands
            if x.component in downstream.get(c.component, {})
            and x.component != c.component
            and x.kind != "traffic_surge"
            and not (x.metric_only and c.metric_only)  # localisation explains departures by departures
            and x.score > c.score * 0.8
        ]
        if causes and max(causes) < c.score:
            c.terms.append(Term("echo", max(causes) / c.score, "echoes a failing dependency below it"))
            c.score = max(causes)


def _below_mechanisms(cands: list[Candidate]) -> None:
    """A component's metric departure is its mechanism's symptom: it never outranks that mechanism."""
    best: dict[str, float] = {}
    for c in cands:
        if not c.metric_only:
            best[c.component] = max(best.get(c.component, 0.0), c.score)
    for c in cands:
        if c.metric_only and c.component in best and c.score >= best[c.component]:
            c.score = max(best[c.component] - 0.02, 0.0)
            c.terms.append(Term("symptom", c.score, "a symptom of the mechanism found on the same component"))


def _corroborate(data: AnalysisInput, findings: list[Finding], deps: dict[str, Departure], paths: PathMap) -> None:
    """ "Is it just me?": errors about a dependency count against it when something else agrees (its
    own signals, another caller, a mechanism on it). When only one caller complains while the
    dependency and its other callers look healthy, the trouble is on that caller's side of the wire.
    A named service whose own findings or signals say what is wrong takes that kind."""
    own = {f.component for f in findings if not f.named_by and f.kind not in CHANGE_KINDS}
    departed = {c for c, d in deps.items() if d.raw >= AFFECTED}
    namers: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        namers[f.component].update(f.named_by)
    extra: list[Finding] = []
    for f in findings:
        if not f.named_by or f.kind != "dependency_failure":
            continue
        target = f.component
        others = paths.callers.get(target, set()) - set(f.named_by)
        # nobody else complains: its other callers are fine, and its own signals (when it has any) are flat
        healthy = (
            target not in departed
            and target not in own
            and len(namers[target]) < 2  # a second caller failing the same way agrees
            and (bool(others) or target in data.series)
        )
        lonely = healthy and not (others & departed)
        if lonely:
            f.strength *= 0.5
            f.summary += f"; but {target} and its other callers ({', '.join(sorted(others)[:3])}) look healthy"
            for caller in f.named_by:
                extra.append(
                    Finding(
                        "network",
                        caller,
                        0.55,
                        f"only {caller} fails to reach {target}, which serves its other callers normally",
                        list(f.evidence),
                        f"other clients of {target} fail the same way",
                        since=f.since,
                        since_is_bound=True,
                    )
                )
    findings.extend(extra)
    # a named service whose own evidence says what is wrong takes that kind rather than a generic one
    strongest: dict[str, Finding] = {}
    for f in findings:
        weaker = f.component not in strongest or strongest[f.component].strength < f.strength
        if not f.named_by and f.kind not in CHANGE_KINDS and weaker:
            strongest[f.component] = f
    for f in findings:
        target = f.component
        if f.named_by and f.kind == "dependency_failure" and not _is_datastore(data, target):
            if target in strongest:
                f.kind = strongest[target].kind
            elif target in deps and deps[target].kind not in ("unknown", "dependency_failure"):
                f.kind = deps[target].kind


def _is_datastore(data: AnalysisInput, component: str) -> bool:
    return data.types.get(component, "").lower() in DATASTORE_TYPES


def _one_per_kind(cands: list[Candidate]) -> list[Candidate]:
    """One hypothesis per (kind, component): the best-scored, citing the others' evidence too."""
    best: dict[tuple[str, str], Candidate] = {}
    for c in sorted(cands, key=lambda c: -c.score):
        key = (c.kind, c.component)
        if key not in best:
            best[key] = c
        else:
            best[key].evidence += [e for e in c.evidence if e not in best[key].evidence]
    return list(best.values())


def combine(data: AnalysisInput, findings: list[Finding], deps: dict[str, Departure]) -> list[dict[str, Any]]:
    """Candidate hypotheses as dicts (kind, component, score, summary, evidence, refutation, why)."""
    paged = data.paged
    paged_dep = deps.get(paged) if paged else None
    onset = symptom_onset(data, paged_dep.onset if paged_dep else None)
    named: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        for caller in f.named_by:
            named[caller].add(f.component)
    paths = PathMap(data, named)
    _corroborate(data, findings, deps, paths)
    cands = _mechanisms(findings, deps) + _changes(findings, deps, onset)
    _apply_chains(cands)
    cands += _metric_only(deps, cands)
    for c in cands:
        _score(c, paths, onset)
    _explain_away(cands, deps, paths, paged)
    _below_mechanisms(cands)
    # connected causes first: a finding off the paged path stays visible but below them
    ranked = sorted(
        _one_per_kind(cands), key=lambda c: (c.relevance is not None and c.relevance.how == "off_path", -c.score)
    )
    return [c.as_dict(onset) for c in ranked]
