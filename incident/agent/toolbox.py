"""What each agent tool does: typed arguments and a read through a connector or the store.

Every window ends at the incident's page time. Results are plain JSON-able values, bounded in
size; :mod:`incident.agent.tools` redacts, serialises and ids them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from incident.agent import runbook_search
from incident.agent.render import summarise_points
from incident.catalog.graph import DependencyGraph
from incident.config import Settings
from incident.llm import clip
from incident.models import Component, Hypothesis, Incident
from incident.registry import Connectors
from incident.store import Store


class NoData(Exception):
    """The tool ran and found nothing (status ``no_data``)."""


@dataclass
class Context:
    settings: Settings
    store: Store
    connectors: Connectors
    incident_id: int
    page_at: datetime
    component: str | None
    namespace: str | None

    def need(self, name: str) -> Any:
        connector = getattr(self.connectors, name)
        if connector is None:
            raise NoData(f"{name} is unavailable: {self.connectors.disabled.get(name, 'not configured')}")
        return connector


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricsArgs(Args):
    query: str = Field(min_length=1, max_length=2000, description="PromQL; group by the component label")
    minutes: int = Field(default=60, ge=5, le=360, description="window length, ending at the page")
    step_seconds: int = Field(default=60, ge=15, le=3600)


class ComponentArgs(Args):
    component: str = Field(min_length=1, max_length=255)
    namespace: str | None = Field(default=None, max_length=255)


class EventsArgs(Args):
    namespace: str | None = Field(default=None, max_length=255, description="default: the incident's")
    component: str | None = Field(default=None, max_length=255, description="only objects named like this")
    minutes: int = Field(default=60, ge=1, le=720)
    warning_only: bool = True


class LogsArgs(Args):
    namespace: str = Field(min_length=1, max_length=255)
    pod: str = Field(min_length=1, max_length=255)
    container: str = Field(min_length=1, max_length=255)
    previous: bool = Field(default=False, description="the log of the previous (crashed) instance")
    tail: int = Field(default=100, ge=1, le=300, description="last lines")
    contains: str | None = Field(default=None, max_length=200, description="only lines containing this")


class OwnerArgs(Args):
    component: str = Field(min_length=1, max_length=255)


class RunbookArgs(Args):
    query: str = Field(min_length=1, max_length=500)
    kind: str | None = Field(default=None, max_length=64, description="a hypothesis kind")


class PastArgs(Args):
    component: str | None = Field(default=None, max_length=255, description="default: the paged component")
    limit: int = Field(default=5, ge=1, le=10)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[Args]
    run: Callable[[Context, Any], Any]


TOOLS: dict[str, Tool] = {}
"""Every tool, by name, in definition order; the description is the function's docstring."""


def tool(args: type[Args]) -> Callable[[Callable[[Context, Any], Any]], Callable[[Context, Any], Any]]:
    def register(fn: Callable[[Context, Any], Any]) -> Callable[[Context, Any], Any]:
        TOOLS[fn.__name__] = Tool(fn.__name__, " ".join((fn.__doc__ or "").split()), args, fn)
        return fn

    return register


def _downsample(points: tuple[tuple[float, float], ...], page_ts: float, keep: int = 60) -> list[list[float]]:
    stride = max(1, -(-len(points) // keep))
    return [[round((ts - page_ts) / 60, 1), round(v, 6)] for ts, v in points[::stride]]


@tool(MetricsArgs)
def metrics_range_query(ctx: Context, a: MetricsArgs) -> Any:
    """Prometheus range query over a window ending at the page; returns downsampled points and a
    summary per component."""
    prom = ctx.need("prometheus")
    start = ctx.page_at - timedelta(minutes=a.minutes)
    series = prom.query_signals({"query": a.query}, start=start, end=ctx.page_at, step_seconds=a.step_seconds)
    label = ctx.settings.metrics.component_label
    if not series:
        raise NoData(f"no series with a {label!r} label (group the query by {label})")
    page_ts = ctx.page_at.timestamp()
    return {
        "points_are": "[minutes relative to the page, value]",
        "series": [
            {
                "component": s.component,
                "summary": summarise_points(list(s.points)),
                "points": _downsample(s.points, page_ts),
            }
            for s in series[:10]
        ],
        "series_omitted": max(0, len(series) - 10),
    }


def _container(c: Any) -> dict[str, Any]:
    out = {k: v for k, v in asdict(c).items() if v not in (None, "", {}, False) or k in ("ready", "restart_count")}
    if out.get("message"):
        out["message"] = clip(out["message"], 300)
    return out


@tool(ComponentArgs)
def list_pods(ctx: Context, a: ComponentArgs) -> Any:
    """Pods of a component: phase, readiness, restarts, container states with exit reasons and
    codes, limits, failing conditions."""
    pods = ctx.need("kubernetes").pods(a.component, namespace=a.namespace)
    return [
        {
            "namespace": p.namespace,
            "name": p.name,
            "phase": p.phase,
            "ready": p.ready,
            "restarts": p.restarts,
            "node": p.node,
            "owner": p.owner,
            "created_at": p.created_at,
            "containers": [_container(c) for c in p.containers],
            "failing_conditions": [c for c in p.conditions if str(c.get("status")) != "True"],
        }
        for p in pods[:20]
    ]


@tool(EventsArgs)
def k8s_events(ctx: Context, a: EventsArgs) -> Any:
    """Kubernetes events (Warning only by default) in a window ending at the page."""
    since = ctx.page_at - timedelta(minutes=a.minutes)
    ns = a.namespace or ctx.namespace
    events = ctx.need("kubernetes").events(namespace=ns, since=since, until=ctx.page_at, warning_only=a.warning_only)
    if a.component:
        events = [e for e in events if a.component in e.object_name]
    return [
        {
            "last_at": e.last_at,
            "type": e.type,
            "reason": e.reason,
            "object": f"{e.object_kind}/{e.namespace}/{e.object_name}",
            "count": e.count,
            "message": clip(e.message, 300),
        }
        for e in events[-40:]
    ]


@tool(LogsArgs)
def pod_logs(ctx: Context, a: LogsArgs) -> Any:
    """The last lines of a container's log (previous=true: the crashed instance), optionally only
    lines containing a string. Secrets are redacted."""
    log = ctx.need("kubernetes").logs(a.namespace, a.pod, a.container, previous=a.previous)
    lines = log.text.splitlines()
    if a.contains:
        lines = [line for line in lines if a.contains.lower() in line.lower()]
    if not lines:
        raise NoData("no log lines" + (f" containing {a.contains!r}" if a.contains else ""))
    return {
        "pod": f"{a.namespace}/{a.pod}/{a.container}",
        "previous": a.previous,
        "lines": [clip(line, 400) for line in lines[-a.tail :]],
        "lines_omitted": max(0, len(lines) - a.tail),
        "cut_by_api_limit": log.truncated,
    }


@tool(ComponentArgs)
def rollout_history(ctx: Context, a: ComponentArgs) -> Any:
    """Deployments of a component with their recent revisions: images, change cause, referenced
    ConfigMaps/Secrets, env."""
    deployments = ctx.need("kubernetes").deployments(a.component, namespace=a.namespace, until=ctx.page_at)
    out = []
    for d in deployments[:5]:
        info = asdict(d)
        info["revisions"] = [asdict(r) for r in d.revisions[:5]]
        out.append(info)
    return out


@tool(OwnerArgs)
def owner_and_dependencies(ctx: Context, a: OwnerArgs) -> Any:
    """Catalog entry of a component: owner, system, what it depends on, and which components depend on it."""
    catalog = ctx.connectors.catalog
    if catalog is not None:
        entries = {c.name: asdict(c) for c in catalog.components()}
    else:
        with ctx.store.session() as s:
            entries = {
                c.name: {"name": c.name, "owner": c.owner, "system": c.system, "depends_on": c.depends_on or []}
                for c in s.scalars(select(Component))
            }
    entry = entries.get(a.component)
    if entry is None:
        raise NoData(f"{a.component!r} is not in the catalog")
    dependents = DependencyGraph({n: e.get("depends_on") or () for n, e in entries.items()}).dependents(a.component)
    return {"component": entry, "dependents": dependents}


@tool(RunbookArgs)
def search_runbooks(ctx: Context, a: RunbookArgs) -> Any:
    """Search the team's runbooks by text and hypothesis kind."""
    return runbook_search.search(ctx.settings, a.query, kind=a.kind)


@tool(PastArgs)
def past_incidents(ctx: Context, a: PastArgs) -> Any:
    """Earlier incidents on a component and the hypotheses made for them."""
    component = a.component or ctx.component
    if not component:
        raise NoData("the incident has no component; name one")
    with ctx.store.session() as s:
        rows = s.scalars(
            select(Incident)
            .where(Incident.component == component, Incident.id != ctx.incident_id, Incident.page_at < ctx.page_at)
            .order_by(Incident.page_at.desc())
            .limit(a.limit)
        ).all()
        out = []
        for inc in rows:
            hyps = s.scalars(
                select(Hypothesis)
                .where(Hypothesis.incident_id == inc.id, Hypothesis.status != "dropped")
                .order_by(Hypothesis.source, Hypothesis.rank)
            ).all()
            out.append(
                {
                    "incident": inc.id,
                    "title": inc.title,
                    "page_at": inc.page_at,
                    "status": inc.status,
                    "resolved_at": inc.resolved_at,
                    "hypotheses": [
                        {
                            "source": h.source,
                            "kind": h.kind,
                            "component": h.component,
                            "confidence": h.confidence,
                            "summary": clip(h.summary, 300),
                            "status": h.status,
                        }
                        for h in hyps[:5]
                    ],
                }
            )
    return out
