"""The record as numbered facts (F1..Fn): what the model may say, and what its sentences must cite.

Every fact is redacted here, before anything can leave the machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from incident.postmortem import fmt
from incident.postmortem.model import PostmortemRecord
from incident.redact import redact


@dataclass(frozen=True)
class Fact:
    id: str
    text: str


def _lines(rec: PostmortemRecord) -> list[str]:
    out = [
        f"Incident {rec.incident_id} '{rec.title}' paged at {fmt.utc(rec.page_at)} on component "
        f"{rec.component or 'unknown'} (severity {rec.severity or 'not set'}, owner {rec.owner or 'unassigned'}, "
        f"via {rec.source}); status {rec.status}.",
        f"Affected components: {', '.join(rec.affected_components) or 'unknown'}.",
    ]
    if rec.authors:
        out.append(f"People on the incident: {', '.join(rec.authors)}.")
    if rec.resolved_at is not None:
        out.append(f"Resolved at {fmt.utc(rec.resolved_at)}, {rec.duration_text} after the page.")
    else:
        out.append(f"Not resolved yet (status {rec.status}).")
    for fig in (rec.peak_error, rec.peak_latency):
        if fig is not None:
            out.append(f"Peak {fig.label}: {fig.text} on {fig.component} at {fmt.utc(fig.at)}.")
    for t in rec.terminations:
        out.append(f"Container killed at its memory limit: {t.summary} at {fmt.utc(t.at)}.")
    if rec.request_rate is not None:
        r = rec.request_rate
        out.append(f"Request rate of {r.component} at the error peak: {r.text} at {fmt.utc(r.at)}.")
    for s in rec.slo:
        out.append(
            f"SLO of {s.component} ({s.objective_text} over {s.window_text}): {s.budget_text} of the error budget "
            f"consumed during the incident; peak burn rate {s.burn_text}."
        )
    d = rec.detection
    if d.first_alert_at:
        out.append(f"First alert: {d.first_alert} at {fmt.utc(d.first_alert_at)}.")
    if d.onset and d.onset_from_metrics:
        lag = f", {fmt.duration(d.detection_lag)} before the page" if d.detection_lag is not None else ""
        out.append(f"Metric onset: {d.onset.label} on {d.onset.component} changed at {fmt.utc(d.onset_at)}{lag}.")
    if d.acknowledged_at and d.time_to_ack is not None:
        out.append(f"Acknowledged at {fmt.utc(d.acknowledged_at)}, {fmt.duration(d.time_to_ack)} after the page.")
    if d.mitigated_at and d.time_to_mitigate is not None:
        out.append(
            f"Mitigated by '{d.mitigated_by}' at {fmt.utc(d.mitigated_at)}, "
            f"{fmt.duration(d.time_to_mitigate)} after the page."
        )
    for item in rec.timeline:
        pin = " (pinned)" if item.pinned else ""
        where = f", {item.component}" if item.component else ""
        out.append(f"Timeline{pin}: {fmt.utc(item.at)} {item.kind} ({item.source}{where}): {item.summary}")
    for rc in rec.root_causes:
        state = (
            f"confirmed by {rc.verdict_by or 'a person'}"
            if rc.confirmed
            else "not confirmed by the on-call engineer (the copilot's top-ranked hypothesis)"
        )
        out.append(
            f"Root cause: {rc.kind} on {rc.component} ({rc.meaning}), {state}; confidence {rc.confidence:.0%}: "
            f"{rc.summary}"
        )
        if rc.verdict_note:
            out.append(f"Note given with the verdict on {rc.kind} on {rc.component}: {rc.verdict_note}")
        if rc.trigger is not None:
            t = rc.trigger
            out.append(f"Trigger of {rc.kind} on {rc.component}: {fmt.utc(t.at)} {t.kind}: {t.summary}")
        for e in rc.evidence:
            out.append(f"Evidence for {rc.kind} on {rc.component}: {e.text}")
    for wrong in rec.rejected:
        out.append(
            f"Hypothesis {wrong.kind} on {wrong.component} (#{wrong.rank}) was marked wrong by {wrong.verdict_by}."
        )
    for a in rec.resolution:
        out.append(
            f"Action '{a.title}' ({a.type} on {a.target}): approved by {a.approved_by}, executed by {a.executed_by}, "
            f"{a.status}" + (f" at {fmt.utc(a.finished_at)}" if a.finished_at else "") + f": {a.outcome}"
        )
    for g in rec.gaps:
        out.append(f"Missing data from {g.source}: {g.summary}")
    out += [f"Went well: {line}" for line in rec.went_well]
    out += [f"Went wrong: {line}" for line in rec.went_wrong]
    out += [f"Lucky: {line}" for line in rec.lucky]
    return out


def record_facts(rec: PostmortemRecord) -> list[Fact]:
    return [Fact(f"F{i}", redact(" ".join(text.split()))) for i, text in enumerate(_lines(rec), start=1)]
