"""The deterministic prose of the draft: short sentences built from the record, in blameless wording."""

from __future__ import annotations

from pydantic import BaseModel, Field

from incident.postmortem import fmt
from incident.postmortem.model import PostmortemRecord

EMPTY = "Nothing recorded; add what applies."


class Prose(BaseModel):
    """The sections Claude may rewrite; everything else in the draft stays deterministic."""

    summary: list[str] = Field(default_factory=list)
    root_cause: list[str] = Field(default_factory=list)
    went_well: list[str] = Field(default_factory=list)
    went_wrong: list[str] = Field(default_factory=list)
    lucky: list[str] = Field(default_factory=list)


PROSE_SECTIONS = tuple(Prose.model_fields)


def summary(rec: PostmortemRecord) -> list[str]:
    where = rec.component or "an unknown component"
    severity = f" ({rec.severity})" if rec.severity else ""
    out = [f"At {fmt.utc(rec.page_at)} a page opened incident {rec.incident_id} on {where}{severity}: {rec.title}."]
    impact = []
    if rec.peak_error:
        p = rec.peak_error
        impact.append(f"the {p.label} of {p.component} peaked at {p.text} at {fmt.utc(p.at, date=False)}")
    if rec.peak_latency:
        p = rec.peak_latency
        impact.append(f"its {p.label} peaked at {p.text} at {fmt.utc(p.at, date=False)}")
    if impact:
        sentence = " and ".join(impact)
        out.append(sentence[0].upper() + sentence[1:] + ".")
    if rec.root_causes:
        rc = rec.root_causes[0]
        if rc.confirmed:
            by = f", confirmed by {rc.verdict_by}" if rc.verdict_by else ""
            out.append(f"The cause{by}: {rc.kind} on {rc.component} ({rc.meaning}).")
        else:
            out.append(
                f"The most likely cause, not confirmed by the on-call engineer: {rc.kind} on {rc.component} "
                f"({rc.meaning})."
            )
    d = rec.detection
    if d.mitigated_at and d.mitigated_by:
        out.append(f"Mitigation: {d.mitigated_by}, finished at {fmt.utc(d.mitigated_at)}.")
    if rec.resolved_at is not None and rec.duration is not None:
        out.append(f"The incident was resolved at {fmt.utc(rec.resolved_at)}, {rec.duration_text} after the page.")
    else:
        out.append(f"The incident is still {rec.status}.")
    return out


def root_cause(rec: PostmortemRecord) -> list[str]:
    if not rec.root_causes:
        return ["No hypothesis was recorded for this incident; the cause is still to be found."]
    out = []
    for rc in rec.root_causes:
        out.append(f"{rc.kind} on {rc.component} means {rc.meaning}.")
        out.append(f"{rc.summary.rstrip('.')}.")
        if rc.confirmed and rc.verdict_by and rc.verdict_note:
            out.append(f"{rc.verdict_by} noted when confirming it: {rc.verdict_note.rstrip('.')}.")
    return out


def deterministic(rec: PostmortemRecord) -> Prose:
    return Prose(
        summary=summary(rec),
        root_cause=root_cause(rec),
        went_well=list(rec.went_well),
        went_wrong=list(rec.went_wrong),
        lucky=list(rec.lucky),
    )
