"""PagerDuty: the incident's log entries, and change events around the page."""

from __future__ import annotations

from connectors.base import PagingSource
from incident.gathering.drafts import Draft, GatherContext
from incident.models import EventKind


def gather_pagerduty(source: PagingSource, ctx: GatherContext) -> list[Draft]:
    drafts: list[Draft] = []
    if ctx.pagerduty_id:
        for entry in source.log_entries(ctx.pagerduty_id, until=ctx.window_end):
            drafts.append(
                Draft(
                    kind=EventKind.pagerduty_log,
                    key=f"pdlog/{entry.id}",
                    at=entry.at,
                    source="pagerduty",
                    summary=entry.summary + (f" ({entry.agent})" if entry.agent else ""),
                    details={"type": entry.type, "agent": entry.agent, "id": entry.id},
                )
            )
    since = ctx.since(ctx.settings.watcher.deploy_lookback)
    for change in source.change_events(since=since, until=ctx.window_end):
        kind = EventKind.config_change if change.kind == "config_change" else EventKind.deploy
        drafts.append(
            Draft(
                kind=kind,
                key=f"pdchange/{change.id}",
                at=change.at,
                source="pagerduty",
                component=change.component,
                summary=f"change event: {change.summary}",
                details={"id": change.id, **change.details},
            )
        )
    return drafts
