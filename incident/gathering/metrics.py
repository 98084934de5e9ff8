"""Metrics: query every configured signal for every component and write its change points."""

from __future__ import annotations

from connectors.base import MetricsSource, PartialMetrics
from incident.changepoints import describe, detect, format_value, signal_label
from incident.gathering.drafts import Draft, GatherContext, WindowDraft
from incident.models import EventKind
from incident.timeline import window_id


def gather_metrics(source: MetricsSource, ctx: GatherContext) -> list[Draft | WindowDraft]:
    cfg = ctx.settings.metrics
    signals = cfg.effective_signals()
    start = ctx.since(cfg.lookback)
    series = source.query_signals(signals, start=start, end=ctx.window_end, step_seconds=cfg.step.total_seconds())
    standard = not cfg.signals
    onset_after = (ctx.page_at - cfg.onset_window).timestamp()
    step = cfg.step.total_seconds()
    drafts: list[Draft | WindowDraft] = [
        WindowDraft(s.component, s.signal, s.query, start, ctx.window_end, step, s.points) for s in series
    ]
    components = sorted({s.component for s in series})
    for s in series:
        change = detect(s.component, s.signal, s.points, onset_after=onset_after)
        if change is None:
            continue
        drafts.append(
            Draft(
                kind=EventKind.metric_change,
                key=f"metric/{s.component}/{s.signal}",
                at=change.onset,
                source="prometheus",
                summary=describe(change, standard_units=standard),
                component=s.component,
                details={
                    "signal": s.signal,
                    "label": signal_label(s.signal),
                    "before": change.before,
                    "after": change.after,
                    "before_text": format_value(s.signal, change.before, standard_units=standard),
                    "after_text": format_value(s.signal, change.after, standard_units=standard),
                    "direction": change.direction,
                    "score": change.score,
                    "onset": change.onset,
                    "window": {"start": start, "end": ctx.window_end, "step": cfg.step.total_seconds()},
                    "query": s.query,
                    "paged_component": s.component == ctx.component,
                    "window_id": window_id(ctx.incident_id, s.component, s.signal),
                },
            )
        )
    errors = source.last_errors if isinstance(source, PartialMetrics) else {}
    if errors:
        drafts.append(
            Draft(
                kind=EventKind.connector_error,
                key="connector/prometheus/signals",
                at=ctx.page_at,
                source="prometheus",
                summary="some signals could not be queried: "
                + "; ".join(f"{name}: {err}" for name, err in sorted(errors.items())),
                details={"errors": errors},
            )
        )
    if not series:
        drafts.append(
            Draft(
                kind=EventKind.note,
                key="metrics/empty",
                at=ctx.page_at,
                source="prometheus",
                summary=f"no metric series for the configured signals ({', '.join(sorted(signals))}) "
                f"with label '{cfg.component_label}'",
            )
        )
    elif ctx.component and ctx.component not in components:
        drafts.append(
            Draft(
                kind=EventKind.note,
                key=f"metrics/missing/{ctx.component}",
                at=ctx.page_at,
                source="prometheus",
                summary=f"no metric series for {ctx.component} ({len(components)} other components have some)",
                component=ctx.component,
            )
        )
    return drafts
