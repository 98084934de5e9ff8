"""Gathering: every connector runs concurrently, each under its own time budget.

A connector that fails or runs out of time yields a visible note; the others are written as
soon as they arrive (one transaction each), so a crash mid-gathering keeps what was done and
the next gathering fills in the rest without duplicates (event ids are stable).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from incident.catalog import CatalogCache  # re-exported: its home is incident.catalog
from incident.details import ConnectorErrorDetails
from incident.errors import CopilotError
from incident.gathering.drafts import Draft, GatherContext, WindowDraft
from incident.gathering.kubernetes import gather_kubernetes
from incident.gathering.metrics import gather_metrics
from incident.gathering.ownership import ownership_drafts
from incident.gathering.pagerduty import gather_pagerduty
from incident.gathering.pools import ConnectorPools
from incident.gathering.stamps import mark_after_page
from incident.models import Change, EventKind, MetricWindow, TimelineEvent, utcnow
from incident.registry import Connectors
from incident.timeline import event_id, jsonable, log_event, window_id
from incident.upsert import upsert

log = logging.getLogger(__name__)

WHAT = {
    "prometheus": "metrics",
    "kubernetes": "pod state, events, rollouts or logs",
    "catalog": "ownership",
}


@dataclass
class Outcome:
    name: str
    drafts: list[Draft | WindowDraft] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0


def refresh_catalog(connectors: Connectors, cache: CatalogCache) -> None:
    if connectors.catalog is not None:
        cache.refresh(connectors.catalog)


def _tasks(connectors: Connectors, cache: CatalogCache, ctx: GatherContext) -> dict[str, Callable[[], list[Any]]]:
    tasks: dict[str, Callable[[], list[Any]]] = {}
    if connectors.prometheus is not None:
        prom = connectors.prometheus
        tasks["prometheus"] = lambda: gather_metrics(prom, ctx)
    if connectors.kubernetes is not None:
        kube = connectors.kubernetes
        tasks["kubernetes"] = lambda: gather_kubernetes(kube, ctx)
    if connectors.pagerduty is not None:
        pd = connectors.pagerduty
        tasks["pagerduty"] = lambda: gather_pagerduty(pd, ctx)
    if connectors.catalog is not None:

        def ownership() -> list[Draft]:
            refresh_catalog(connectors, cache)
            return ownership_drafts(ctx, cache.components, cache.groups)

        tasks["catalog"] = ownership
    return tasks


def _run(name: str, fn: Callable[[], list[Any]]) -> Outcome:
    start = time.perf_counter()
    try:
        return Outcome(name, drafts=fn(), seconds=time.perf_counter() - start)
    except CopilotError as exc:
        return Outcome(name, error=exc.message, seconds=time.perf_counter() - start)
    except Exception as exc:  # a connector bug must become a note, never kill the watcher
        log.exception("%s gatherer failed", name)
        return Outcome(name, error=f"unexpected {type(exc).__name__}: {exc}", seconds=time.perf_counter() - start)


def gather(connectors: Connectors, cache: CatalogCache, ctx: GatherContext, pools: ConnectorPools) -> Iterator[Outcome]:
    """Yield each connector's outcome as it completes; late ones yield a timeout outcome.

    Each connector's task runs on that connector's own pool, so one that hangs (for this or an
    earlier incident) never delays the others."""
    budget = ctx.settings.watcher.gather_timeout.total_seconds()
    futures: dict[Future[Outcome], str] = {
        pools.submit(name, _run, name, fn): name for name, fn in _tasks(connectors, cache, ctx).items()
    }
    deadline = time.monotonic() + budget
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=max(0.0, deadline - time.monotonic()), return_when=FIRST_COMPLETED)
        for fut in done:
            yield fut.result()
        if not done and time.monotonic() >= deadline:
            break
    for fut in pending:
        fut.cancel()
        yield Outcome(futures[fut], error=f"no answer within {budget:g} s", seconds=budget)


def disabled_notes(connectors: Connectors, ctx: GatherContext) -> list[Draft]:
    """Notes saying which parts of the timeline cannot exist, and why."""
    return [
        Draft(
            kind=EventKind.note,
            key=f"connector/{name}",
            at=ctx.page_at,
            source=name,
            summary=f"{WHAT[name]} unavailable: {reason}",
        )
        for name, reason in connectors.disabled.items()
        if name in WHAT
    ]


_WINDOW_UPDATE = ("component", "signal", "query", "start", "end", "step_seconds", "points", "updated_at")


def write_windows(session: Session, incident_id: int, windows: list[WindowDraft]) -> None:
    """Upsert gathered metric windows with one executemany (a large system has thousands per page,
    and an ORM merge per window costs a SELECT and an INSERT each)."""
    if not windows:
        return
    now = utcnow()
    rows = [
        {
            "id": window_id(incident_id, w.component, w.signal),
            "incident_id": incident_id,
            "component": w.component,
            "signal": w.signal,
            "query": w.query,
            "start": w.start,
            "end": w.end,
            "step_seconds": w.step_seconds,
            "points": list(w.points),  # (t, v) tuples serialise as the same JSON arrays as lists
            "updated_at": now,
        }
        for w in windows
    ]
    upsert(session, MetricWindow, rows, key=["id"], update=_WINDOW_UPDATE)


CHANGE_KINDS = (EventKind.deploy, EventKind.config_change)


def record_change(session: Session, draft: Draft) -> None:
    """Deploys and config changes also go to the store-wide change history (not per incident), so
    "what changed on X lately" has one answer across incidents."""
    digest = hashlib.sha256(f"{draft.source}\x1f{draft.key}".encode()).hexdigest()
    row = {
        "id": f"ch_{digest[:24]}",
        "component": draft.component,
        "kind": str(draft.kind),
        "at": draft.at,
        "source": draft.source,
        "summary": draft.summary,
        "details": jsonable(draft.details),
    }
    upsert(session, Change, [row], key=["id"], update=[k for k in row if k != "id"])


def write_outcome(session: Session, ctx: GatherContext, outcome: Outcome) -> None:
    """Write one connector's drafts, or a visible note when it failed (or recovered)."""
    key = f"connector/{outcome.name}"
    if outcome.error is not None:
        log_event(
            session,
            incident_id=ctx.incident_id,
            kind=EventKind.connector_error,
            key=key,
            at=ctx.page_at,
            source=outcome.name,
            summary=f"{outcome.name} failed: {outcome.error} — the timeline has no {WHAT.get(outcome.name, 'data')} "
            "from it yet; retried on the next refresh",
            details={"error": outcome.error, "seconds": round(outcome.seconds, 3), "at": utcnow()},
        )
        return
    write_windows(session, ctx.incident_id, [d for d in outcome.drafts if isinstance(d, WindowDraft)])
    for draft in outcome.drafts:
        if isinstance(draft, WindowDraft):
            continue
        d = mark_after_page(draft, ctx.page_at)
        if d.kind in CHANGE_KINDS:
            record_change(session, d)
        log_event(
            session,
            incident_id=ctx.incident_id,
            kind=d.kind,
            key=d.key,
            at=d.at,
            source=d.source,
            summary=d.summary,
            details=d.details,
            component=d.component,
        )
    earlier = session.get(TimelineEvent, event_id(ctx.incident_id, str(EventKind.connector_error), key))
    if earlier is not None and not (failed := ConnectorErrorDetails.of(earlier)).recovered_at:
        log_event(
            session,
            incident_id=ctx.incident_id,
            kind=EventKind.connector_error,
            key=key,
            at=earlier.at,
            source=outcome.name,
            summary=f"{outcome.name} failed earlier ({failed.error}); recovered on refresh",
            details={**earlier.details, "recovered_at": utcnow()},
        )
