"""Match runbooks to a hypothesis and its alerts, and render their steps for the engineer.

Specificity, most specific first: kind and a listed component > kind and an alert > kind >
alert or labels only. Each rendered step is a :class:`incident.runbooks.step.Step`; its stored
form goes into ``HypothesisDraft.steps`` (:func:`flatten_steps`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from incident.actions.params import Params
from incident.actions.types import REGISTRY
from incident.redact import redact
from incident.runbooks.model import Runbook, StepSpec
from incident.runbooks.params import KUBERNETES_READS
from incident.runbooks.render import render_value
from incident.runbooks.step import Step, StepAction

CATALOG_ID = "catalog"


@dataclass(frozen=True)
class MatchedRunbook:
    runbook_id: str
    title: str
    specificity: int
    """3 kind+component, 2 kind+alert, 1 kind, 0 alert/labels only; catalog links 4."""
    reasons: tuple[str, ...]
    steps: list[Step]
    body: str = ""
    path: str | None = None
    ready: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ready", all(s.ready for s in self.steps))


def _alert_hits(runbook: Runbook, alerts: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    m = runbook.matches
    if not (m.alerts or m.labels):
        return []
    return [
        a
        for a in alerts
        if (not m.alerts or a.get("alertname") in m.alerts) and all(a.get(k) == v for k, v in m.labels.items())
    ]


def _schema_problems(schema: type[Params], params: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    try:
        return schema.model_validate(params).model_dump(mode="json", exclude_none=True), []
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "params"
            msgs.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        return params, msgs


def render_step(runbook: Runbook, index: int, step: StepSpec, context: dict[str, Any]) -> Step:
    """Render one step; a missing variable or an invalid parameter marks it not ready."""
    missing: list[str] = []
    invalid: list[str] = []

    def render(value: Any) -> Any:
        out, m, e = render_value(value, context)
        missing.extend(x for x in m if x not in missing)
        invalid.extend(e)
        return out

    title = render(step.title) if step.title else None
    why = render(step.why) if step.why else None
    text, diagnostic, action = "", None, None
    if step.text is not None:
        text = render(step.text)
    elif step.diagnostic is not None and step.diagnostic.promql is not None:
        diagnostic = {"promql": render(step.diagnostic.promql)}
        text = title or "PromQL query"
    elif step.diagnostic is not None and step.diagnostic.kubernetes is not None:
        read = step.diagnostic.kubernetes
        args = render(read.args)
        if not missing:
            args, problems = _schema_problems(KUBERNETES_READS[read.read], args)
            invalid.extend(problems)
        diagnostic = {"kubernetes": {"read": read.read, **args}}
        scope = ", ".join(f"{k}={v}" for k, v in args.items())
        text = f"Read {read.read.replace('_', ' ')}" + (f" ({scope})" if scope else "")
    elif step.action is not None:
        params = render(step.action.params)
        if not missing:
            params, problems = _schema_problems(REGISTRY[step.action.type].schema, params)
            invalid.extend(problems)
        if isinstance(params, dict):  # free text (notes, comments) leaves the machine: no secrets in it
            params = {k: redact(v) if isinstance(v, str) else v for k, v in params.items()}
        action = StepAction(type=step.action.type, params=params)
        text = REGISTRY[step.action.type].step_text(params)
    return Step(
        runbook_id=runbook.id,
        title=title or (step.action.type if step.action else text),
        index=index,
        type=step.type,
        text=redact(text),
        why=redact(why) if why else None,
        diagnostic=diagnostic,
        action=action,
        ready=not missing and not invalid,
        missing=missing,
        invalid=invalid,
    )


def applies(step: StepSpec, context: dict[str, Any]) -> bool:
    """Whether ``step`` belongs on this incident: an action whose type cannot apply to it (a
    PagerDuty note on a page that did not come through PagerDuty) is left out, not shown unready."""
    return step.action is None or REGISTRY[step.action.type].applies(context) is None


def catalog_links(runbook_url: str | None, links: Iterable[dict[str, str]] = ()) -> list[dict[str, str]]:
    """Runbook links of a catalog component (``runbook_url`` first), deduplicated by URL."""
    out: list[dict[str, str]] = []
    if runbook_url:
        out.append({"url": runbook_url, "title": "Runbook"})
    for link in links:
        url = link.get("url")
        if url and all(url != o["url"] for o in out):
            out.append({"url": url, "title": link.get("title") or url})
    return out


def _link_steps(links: Sequence[dict[str, str]]) -> list[Step]:
    return [
        Step(
            runbook_id=CATALOG_ID,
            title=link.get("title") or link["url"],
            index=i,
            type="link",
            url=link["url"],
            text=link.get("title") or link["url"],
            why="linked from the service catalog",
            ready=True,
        )
        for i, link in enumerate(links)
    ]


def match_runbooks(
    runbooks: Iterable[Runbook],
    *,
    kind: str | None,
    component: str | None,
    alerts: Sequence[dict[str, Any]] = (),
    context: dict[str, Any] | None = None,
    links: Sequence[dict[str, str]] = (),
) -> list[MatchedRunbook]:
    """Runbooks that fit, most specific first, with rendered steps (those that apply, keeping their
    index in the runbook). ``alerts`` are label dicts; ``links`` (see :func:`catalog_links`) come
    first as a ``catalog`` entry of link steps."""
    given = {k: v for k, v in (context or {}).items() if v is not None}
    base: dict[str, Any] = {"component_label": "service", "alerts": [{"labels": dict(a)} for a in alerts], **given}
    for key, value in (("component", component), ("kind", kind), ("paged_component", component)):
        if value is not None:
            base.setdefault(key, value)
    base["hypothesis"] = {"kind": kind, "component": component, **given.get("hypothesis", {})}

    found: list[tuple[tuple[int, int, str], MatchedRunbook]] = []
    for rb in runbooks:
        if rb.components and component not in rb.components:
            continue
        kind_hit = kind is not None and kind in rb.matches.kinds
        hits = _alert_hits(rb, alerts)
        if not (kind_hit or hits):
            continue
        component_hit = bool(rb.components)
        tier = (3 if component_hit else 2 if hits else 1) if kind_hit else 0
        reasons = [f"kind {kind}"] if kind_hit else []
        reasons += [f"component {component}"] if component_hit else []
        reasons += [f"alert {hits[0].get('alertname', '(labels)')}"] if hits else []
        ctx = dict(base)
        if "alert" not in given and (hits or alerts):
            ctx["alert"] = {"labels": dict((hits or alerts)[0])}
        steps = [render_step(rb, i, step, ctx) for i, step in enumerate(rb.steps) if applies(step, ctx)]
        if not steps:  # nothing of it applies to this incident
            continue
        matched = MatchedRunbook(
            rb.id, rb.title, tier, tuple(reasons), steps, rb.body, str(rb.path) if rb.path else None
        )
        found.append(((-tier, -(component_hit + bool(hits)), rb.id), matched))
    ordered = [m for _, m in sorted(found, key=lambda pair: pair[0])]
    if links:
        title = f"Runbook links for {component}" if component else "Runbook links"
        ordered.insert(0, MatchedRunbook(CATALOG_ID, title, 4, ("catalog",), _link_steps(links)))
    return ordered


def flatten_steps(matched: Iterable[MatchedRunbook]) -> list[dict[str, Any]]:
    """Every matched step in order, in its stored form, for ``HypothesisDraft.steps``."""
    return [step.stored() for m in matched for step in m.steps]
