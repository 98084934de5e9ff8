"""What went well, what went wrong, where we got lucky, and the action items: rules over the record.

Only claims the record supports; thresholds decide which list a fact lands in, and are never
written into the draft (every number in it comes from the store).
"""

from __future__ import annotations

from datetime import timedelta

from incident.actions.types import ROLLOUT_UNDO, find
from incident.postmortem import fmt
from incident.postmortem.model import ActionItem, ExecutedAction, ItemType, PostmortemRecord

ACK_WITHIN = timedelta(minutes=5)
MITIGATE_WITHIN = timedelta(minutes=30)
DETECTION_LAG_MAX = timedelta(minutes=5)
LUCKY_ERROR_RATIO = 0.5
"""A peak error ratio below this: most requests still succeeded."""

KIND_ITEMS: dict[str, tuple[ItemType, str]] = {
    "deploy_regression": ("prevent", "Gate {component} rollouts on error ratio (canary / automatic rollback)"),
    "config_change": ("prevent", "Validate {component} config changes before they apply (schema, staged rollout)"),
    "crashloop": ("prevent", "Check the settings {component} needs at start in CI; fail readiness, not the process"),
    "oom": ("prevent", "Right-size {component} memory limits and alert on working-set growth before the limit"),
    "image_pull": ("prevent", "Check that {component} images exist and can be pulled before a rollout starts"),
    "unschedulable": ("prevent", "Keep quota and node headroom for {component} and alert on pending pods"),
    "probe_failure": ("prevent", "Review the {component} readiness and liveness probes (timeouts, dependency checks)"),
    "resource_saturation": ("prevent", "Autoscale {component} on CPU / throttling and review its resource requests"),
    "dependency_failure": ("prevent", "Add timeouts, retries and a fallback for the failing dependency of {component}"),
    "network": ("prevent", "Alert on network errors and DNS latency of {component}; review network policy changes"),
    "traffic_surge": ("prevent", "Autoscale and load-test {component} for peak traffic; add rate limits"),
    "node_failure": ("prevent", "Spread {component} across nodes (anti-affinity, PodDisruptionBudget)"),
    "storage": ("prevent", "Alert on {component} volume usage before it fills; automate cleanup or expansion"),
    "certificate": ("prevent", "Automate certificate renewal for {component} and alert well before expiry"),
    "code_error": ("prevent", "Add a regression test for the {component} failure and alert on its error ratio"),
    "unknown": ("process", "Find the root cause of the {component} failure: the evidence pointed nowhere yet"),
}
"""Hypothesis kind -> the item that prevents a repeat (every kind in :mod:`incident.kinds`)."""


def _values(action: ExecutedAction) -> dict[str, object]:
    """Format fields of an executed action: its parameters, filled in from its result."""
    values: dict[str, object] = {"target": action.target}
    values.update({k: v for k, v in (action.result or {}).items() if v is not None})
    values.update({k: v for k, v in (action.params or {}).items() if v is not None})
    return values


def _follow_up(action: ExecutedAction) -> str | None:
    """The mitigate item an executed action leaves (its type's follow-up; ``pagerduty.*`` leave none)."""
    action_type = find(action.type)
    if action_type is None or not action_type.follow_ups:
        return None
    values = _values(action)
    for template in action_type.follow_ups:
        try:
            return template.format(**values)
        except (KeyError, IndexError):
            continue
    return action_type.follow_ups[0].split(" {")[0] + f" ({action.target})"


def _within(seconds: float | None, limit: timedelta) -> bool | None:
    return None if seconds is None else seconds <= limit.total_seconds()


def went_well(rec: PostmortemRecord) -> list[str]:
    out: list[str] = []
    confirmed = [rc for rc in rec.root_causes if rc.confirmed]
    if confirmed and confirmed[0].rank == 1:
        rc = confirmed[0]
        out.append(f"The copilot's top-ranked hypothesis ({rc.kind} on {rc.component}) was the one confirmed.")
    d = rec.detection
    if d.onset_from_metrics and _within(d.detection_lag, DETECTION_LAG_MAX):
        out.append(f"The page fired {fmt.duration(d.detection_lag or 0)} after the first change in the metrics.")
    if _within(d.time_to_ack, ACK_WITHIN):
        out.append(f"The page was acknowledged {fmt.duration(d.time_to_ack or 0)} after it fired.")
    if _within(d.time_to_mitigate, MITIGATE_WITHIN):
        out.append(f"Mitigation ({d.mitigated_by}) finished {fmt.duration(d.time_to_mitigate or 0)} after the page.")
    executed = rec.resolution
    if executed and all(a.status == "succeeded" for a in executed):
        n = len(executed)
        out.append(f"{'The executed action' if n == 1 else f'All {n} executed actions'} succeeded first time.")
    if not rec.gaps and (rec.peak_error or rec.peak_latency):
        out.append("Every connector answered: the timeline has no gaps from missing data.")
    return out


def went_wrong(rec: PostmortemRecord) -> list[str]:
    out: list[str] = []
    d = rec.detection
    if d.onset_from_metrics and d.onset and _within(d.detection_lag, DETECTION_LAG_MAX) is False:
        o = d.onset
        out.append(
            f"The page fired {fmt.duration(d.detection_lag or 0)} after the first change in the metrics "
            f"({o.label} on {o.component} at {fmt.utc(o.at)})."
        )
    if _within(d.time_to_ack, ACK_WITHIN) is False:
        out.append(f"Acknowledging the page took {fmt.duration(d.time_to_ack or 0)}.")
    if _within(d.time_to_mitigate, MITIGATE_WITHIN) is False:
        out.append(f"Mitigation ({d.mitigated_by}) finished {fmt.duration(d.time_to_mitigate or 0)} after the page.")
    for a in rec.resolution:
        if a.status != "succeeded":
            out.append(f"The action '{a.title}' ended {a.status}: {a.outcome}")
    for gap in rec.gaps:
        state = "it recovered later" if gap.recovered else "it did not recover"
        out.append(f"Data was missing from {gap.source} ({state}): {gap.summary}")
    confirmed = [rc for rc in rec.root_causes if rc.confirmed]
    if not confirmed and rec.root_causes:
        out.append("No hypothesis was confirmed: the root cause below is the copilot's best-ranked explanation.")
    if confirmed:
        top = confirmed[0]
        for r in rec.rejected:
            if r.source == top.source and r.rank is not None and top.rank is not None and r.rank < top.rank:
                who = f" by {r.verdict_by}" if r.verdict_by else ""
                out.append(
                    f"The copilot ranked {r.kind} on {r.component} (#{r.rank}) above the confirmed cause; "
                    f"it was marked wrong{who}."
                )
        if top.rank is not None and top.rank > 1 and not any(r.source == top.source for r in rec.rejected):
            out.append(f"The confirmed cause ({top.kind} on {top.component}) was ranked #{top.rank} by the copilot.")
    return out


def lucky(rec: PostmortemRecord) -> list[str]:
    out: list[str] = []
    for a in rec.resolution:
        if a.type == ROLLOUT_UNDO.name and a.status == "succeeded":
            values = _values(a)
            revision = values.get("to_revision")
            which = f"Revision {revision}" if revision is not None else "The previous revision"
            out.append(
                f"{which} of {values.get('deployment', a.target)} was still in the rollout history, "
                "so a rollback was possible."
            )
    if rec.peak_error is not None and rec.peak_error.value < LUCKY_ERROR_RATIO:
        p = rec.peak_error
        out.append(f"The error ratio peaked at {p.text} on {p.component}: most requests still succeeded.")
    return out


def action_items(rec: PostmortemRecord, owners: dict[str, str | None]) -> list[ActionItem]:
    """Items from the record; the owner is the catalog owner of the item's component."""

    def owner(component: str | None) -> str:
        return (component and owners.get(component)) or rec.owner or "unassigned"

    items: list[ActionItem] = []

    def add(text: str, kind: ItemType, component: str | None) -> None:
        if all(i.item != text for i in items):
            items.append(ActionItem(item=text, type=kind, owner=owner(component), component=component))

    for a in rec.resolution:
        if a.status == "succeeded":
            text = _follow_up(a)
            if text:
                add(text, "mitigate", rec.component)
    causes = [rc for rc in rec.root_causes if rc.confirmed] or rec.root_causes[:1]
    for rc in causes:
        kind, template = KIND_ITEMS.get(rc.kind, KIND_ITEMS["unknown"])
        add(template.format(component=rc.component), kind, rc.component)
        if not rc.confirmed:
            add(
                f"Confirm or correct the root cause ({rc.kind} on {rc.component} is the copilot's best guess)",
                "process",
                rc.component,
            )
    d = rec.detection
    if d.onset and d.onset_from_metrics and _within(d.detection_lag, DETECTION_LAG_MAX) is False:
        add(
            f"Alert on {d.onset.label} of {d.onset.component} sooner: "
            f"the page fired {fmt.duration(d.detection_lag or 0)} after it changed",
            "process",
            d.onset.component,
        )
    for a in rec.resolution:
        if a.status in ("failed", "unknown"):
            add(f"Fix the runbook step behind '{a.title}' (it ended {a.status})", "process", rec.component)
    for gap in rec.gaps:
        if not gap.recovered:
            add(f"Restore the copilot's access to {gap.source}: {gap.summary}", "process", None)
    return items
