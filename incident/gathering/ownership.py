"""Ownership: who owns the component, what it depends on, where its runbook is."""

from __future__ import annotations

from typing import Any

from connectors.base import ComponentInfo, GroupInfo
from incident.catalog.graph import DependencyGraph
from incident.gathering.drafts import Draft, GatherContext
from incident.models import EventKind


def ownership_drafts(
    ctx: GatherContext, components: dict[str, ComponentInfo], groups: dict[str, GroupInfo]
) -> list[Draft]:
    if not ctx.component:
        return [
            Draft(
                kind=EventKind.note,
                key="ownership/unknown-component",
                at=ctx.page_at,
                source="catalog",
                summary="the alert's labels name no known component, so no owner could be found",
            )
        ]
    info = components.get(ctx.component)
    if info is None:
        close = sorted(n for n in components if ctx.component in n or n in ctx.component)[:3]
        return [
            Draft(
                kind=EventKind.note,
                key=f"ownership/missing/{ctx.component}",
                at=ctx.page_at,
                source="catalog",
                component=ctx.component,
                summary=f"no catalog entry for {ctx.component} ({len(components)} components known"
                + (f"; similar: {', '.join(close)}" if close else "")
                + ")",
            )
        ]
    group = groups.get(info.owner or "")
    parts = [f"{info.name} is owned by {info.owner or 'nobody (no spec.owner)'}"]
    if group and (group.display_name or group.email):
        parts[0] += f" ({', '.join(filter(None, [group.display_name, group.email]))})"
    if info.system:
        parts.append(f"system {info.system}")
    if info.lifecycle:
        parts.append(info.lifecycle)
    if info.pagerduty_service:
        parts.append(f"PagerDuty service {info.pagerduty_service}")
    if info.depends_on:
        parts.append("depends on " + ", ".join(info.depends_on))
    dependents = DependencyGraph.of(components.values()).dependents(info.name)
    if dependents:
        parts.append("used by " + ", ".join(dependents))
    if info.runbook_url:
        parts.append(f"runbook {info.runbook_url}")
    details: dict[str, Any] = {
        "component": info.name,
        "owner": info.owner,
        "system": info.system,
        "lifecycle": info.lifecycle,
        "type": info.type,
        "pagerduty_service": info.pagerduty_service,
        "runbook_url": info.runbook_url,
        "links": list(info.links),
        "depends_on": list(info.depends_on),
        "dependents": dependents,
        "group": {
            "name": group.name,
            "display_name": group.display_name,
            "email": group.email,
            "members": list(group.members),
        }
        if group
        else None,
    }
    return [
        Draft(
            kind=EventKind.ownership,
            key=f"owner/{info.name}",
            at=ctx.page_at,
            source="catalog",
            component=info.name,
            summary="; ".join(parts),
            details=details,
        )
    ]
