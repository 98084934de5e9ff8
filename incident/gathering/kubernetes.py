"""Kubernetes: pod state, Warning events, rollouts, node conditions, config changes, log excerpts."""

from __future__ import annotations

import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from connectors.base import ClusterBatches, ClusterSource, ContainerLog, DeploymentInfo, KubeEvent, PodInfo, Revision
from incident.errors import ConnectorError
from incident.gathering.drafts import Draft, GatherContext
from incident.gathering.pods import pod_drafts, pod_problem
from incident.gathering.scan import gather_scan
from incident.models import EventKind
from incident.redact import MASK, redact

MAX_LOG_PODS = 3
MAX_SAMPLED_LOGS = 8
"""Healthy-looking components (nearest to the page first) whose running pod's log is sampled."""
MAX_EVENTS = 150
DECISIVE = re.compile(
    r"(?i)\b(error|exception|fatal|panic|fail(ed|ure)?|refused|timed? ?out|killed|oom|denied|"
    r"unavailable|cannot|can't|unable|missing|invalid|traceback|x509|certificate|no such host|exit(ed)?)\b"
)


SECRET_NAME = re.compile(r"(?i)(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|credential)")
Change = dict[str, str | None]


def _safe_env(key: str, value: str | None) -> str | None:
    """An env value as it may be stored: masked whole under a secret-like name, else redacted."""
    if value is None:
        return None
    return MASK if SECRET_NAME.search(key.rsplit("/", 1)[-1]) else redact(value)


def _revision_diff(old: Revision | None, new: Revision) -> dict[str, Any]:
    images: dict[str, Change] = {
        name: {"from": (old.images.get(name) if old else None), "to": image}
        for name, image in new.images.items()
        if not old or old.images.get(name) != image
    }
    env: dict[str, Change] = {}
    if old:
        for key in sorted(set(old.env) | set(new.env)):
            if old.env.get(key) != new.env.get(key):
                env[key] = {"from": _safe_env(key, old.env.get(key)), "to": _safe_env(key, new.env.get(key))}
    refs = sorted(set(new.config_refs) ^ set(old.config_refs)) if old else []
    return {"images": images, "env": env, "config_refs": refs}


def deploy_drafts(dep: DeploymentInfo, ctx: GatherContext) -> list[Draft]:
    since = ctx.since(ctx.settings.watcher.deploy_lookback)
    history = sorted(dep.revisions, key=lambda r: r.revision)
    drafts = []
    for i, rev in enumerate(history):
        if rev.created_at is None or not (since <= rev.created_at <= ctx.window_end):
            continue
        previous = history[i - 1] if i > 0 else None
        diff = _revision_diff(previous, rev)
        images: dict[str, Change] = diff["images"]
        image_text = ", ".join(f"{d['from'] or 'new'} -> {d['to']}" for d in images.values())
        is_config = not images and bool(diff["env"] or diff["config_refs"])
        what = image_text or ("config: " + ", ".join([*diff["env"], *diff["config_refs"]]))
        drafts.append(
            Draft(
                kind=EventKind.config_change if is_config else EventKind.deploy,
                key=f"rollout/{dep.namespace}/{dep.name}/{rev.replicaset}",
                at=rev.created_at,
                source="kubernetes",
                component=dep.component,
                summary=f"{dep.name} rolled out revision {rev.revision}"
                + (f" from {previous.revision}" if previous else "")
                + (f" ({what})" if what else "")
                + (f"; change-cause: {rev.change_cause}" if rev.change_cause else ""),
                details={
                    "namespace": dep.namespace,
                    "deployment": dep.name,
                    "revision": rev.revision,
                    "previous_revision": previous.revision if previous else None,
                    "replicaset": rev.replicaset,
                    "change_cause": rev.change_cause,
                    "diff": diff,
                    "images": rev.images,
                    "current_revision": dep.revision,
                },
            )
        )
    cond = {c.get("type"): c for c in dep.conditions}
    progressing = cond.get("Progressing", {})
    if progressing.get("status") == "False" or dep.ready_replicas < dep.replicas:
        drafts.append(
            Draft(
                kind=EventKind.pod_state,
                key=f"deployment/{dep.namespace}/{dep.name}",
                at=ctx.window_end,
                source="kubernetes",
                component=dep.component,
                summary=f"deployment {dep.name}: {dep.ready_replicas}/{dep.replicas} ready, "
                f"{dep.updated_replicas} updated"
                + (f"; {progressing.get('reason')}" if progressing.get("reason") else ""),
                details={
                    "namespace": dep.namespace,
                    "deployment": dep.name,
                    "replicas": dep.replicas,
                    "ready": dep.ready_replicas,
                    "updated": dep.updated_replicas,
                    "conditions": list(dep.conditions),
                },
            )
        )
    return drafts


def event_drafts(events: list[KubeEvent], related_names: tuple[str, ...], ctx: GatherContext) -> list[Draft]:
    """Warning events on objects of the related components (by name prefix) and on nodes."""
    groups: dict[tuple[str, str, str, str], list[KubeEvent]] = defaultdict(list)
    for ev in events:
        if ev.object_kind == "Node" or ev.object_name.startswith(related_names):
            groups[(ev.namespace, ev.object_kind, ev.object_name, ev.reason)].append(ev)
    drafts = []
    for (ns, kind, name, reason), evs in groups.items():
        firsts = [t for e in evs if (t := e.first_at or e.last_at) is not None]
        lasts = [t for e in evs if (t := e.last_at or e.first_at) is not None]
        first, last = min(firsts, default=ctx.page_at), max(lasts, default=ctx.page_at)
        count = sum(max(e.count, 1) for e in evs)
        component = next((n for n in related_names if name.startswith(n)), None)
        drafts.append(
            Draft(
                kind=EventKind.k8s_event,
                key=f"k8sevent/{ns}/{kind}/{name}/{reason}",
                at=first,
                source="kubernetes",
                component=component,
                summary=f"{evs[-1].type} {reason} on {kind.lower()}/{name}: {redact(evs[-1].message)[:300]}"
                + (f" (x{count})" if count > 1 else ""),
                details={
                    "namespace": ns,
                    "object_kind": kind,
                    "object_name": name,
                    "reason": reason,
                    "type": evs[-1].type,
                    "message": redact(evs[-1].message),
                    "count": count,
                    "first_at": first,
                    "last_at": last,
                },
            )
        )
    drafts.sort(key=lambda d: d.at, reverse=True)
    return drafts[:MAX_EVENTS]


def decisive_lines(text: str, *, limit: int = 12, matched_only: bool = False) -> list[str]:
    """The lines an engineer would look at first: errors, plus the last lines before exit
    (only the error lines with ``matched_only``)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    picked = [ln for ln in lines if DECISIVE.search(ln)][-limit:]
    if matched_only:
        return [redact(ln)[:500] for ln in picked]
    for ln in lines[-3:]:
        if ln not in picked:
            picked.append(ln)
    return [redact(ln)[:500] for ln in picked]


def _log_draft(
    comp: str,
    pod: PodInfo,
    container: str,
    previous: bool,
    lines: list[str],
    log: ContainerLog,
    ctx: GatherContext,
    at: datetime | None,
    sampled: bool,
) -> Draft:
    which = "previous" if previous else ("sampled" if sampled else "current")
    return Draft(
        kind=EventKind.log_excerpt,
        key=f"log/{pod.namespace}/{pod.name}/{container}/{previous}",
        at=at or ctx.page_at,
        source="kubernetes",
        component=comp,
        summary=f"{which} log of {pod.name}/{container}: {lines[-1][:200]}",
        details={
            "namespace": pod.namespace,
            "pod": pod.name,
            "container": container,
            "previous": previous,
            "sampled": sampled,
            "lines": lines,
            "truncated": log.truncated,
        },
    )


def log_drafts(source: ClusterSource, pods_by_component: dict[str, list[PodInfo]], ctx: GatherContext) -> list[Draft]:
    """Decisive lines from unhealthy pods' logs (previous instance after a crash), and, for a
    component whose pods all look healthy, from one running pod: a service failing its requests
    (expired certificate, DNS, full disk) often looks healthy to Kubernetes."""
    drafts = []
    unhealthy = [(comp, p) for comp, pods in pods_by_component.items() for p in pods if pod_problem(p)]
    for comp, pod in unhealthy[:MAX_LOG_PODS]:
        for c in pod.containers:
            if c.restart_count == 0 and c.state == "running" and c.ready:
                continue
            previous = c.last_state == "terminated"
            if c.state == "waiting" and c.reason in ("ImagePullBackOff", "ErrImagePull") and not previous:
                continue
            log = source.logs(pod.namespace, pod.name, c.name, previous=previous)
            lines = decisive_lines(log.text)
            if lines:
                drafts.append(_log_draft(comp, pod, c.name, previous, lines, log, ctx, c.last_finished_at, False))
    troubled = {comp for comp, _ in unhealthy}
    healthy = [comp for comp in pods_by_component if comp not in troubled][:MAX_SAMPLED_LOGS]
    for comp in healthy:
        pods = pods_by_component[comp]
        running = next((p for p in pods if p.phase == "Running" and any(not c.init for c in p.containers)), None)
        if running is None:
            continue
        container = next(c for c in running.containers if not c.init)
        log = source.logs(running.namespace, running.name, container.name, previous=False)
        lines = decisive_lines(log.text, matched_only=True)
        if lines:
            drafts.append(_log_draft(comp, running, container.name, False, lines, log, ctx, None, True))
    return drafts


def gather_kubernetes(source: ClusterSource, ctx: GatherContext) -> list[Draft]:
    """The related components' state, events, rollouts and logs, with the namespace-wide scan
    (topology, off-path pods) running beside it so their waits on the API server overlap."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kubernetes-scan") as pool:
        scan = pool.submit(gather_scan, source, ctx)
        drafts = gather_related(source, ctx)
        try:
            drafts.extend(scan.result())
        except ConnectorError as exc:  # e.g. no permission to list every pod: the rest stands
            drafts.append(
                Draft(
                    kind=EventKind.note,
                    key="kubernetes/scan",
                    at=ctx.page_at,
                    source="kubernetes",
                    summary=f"namespace scan failed: {exc.message} — no topology or off-path pod states",
                )
            )
    return drafts


def gather_related(source: ClusterSource, ctx: GatherContext) -> list[Draft]:
    cfg = ctx.settings.watcher
    components = ctx.related or ((ctx.component,) if ctx.component else ())
    drafts: list[Draft] = []
    names: list[str] = []
    if isinstance(source, ClusterBatches):  # optional: one list per label key or namespace for all components
        pods_by_component = source.pods_of(components, namespace=ctx.namespace)
        deps_by_component = source.deployments_of(components, namespace=ctx.namespace, until=ctx.window_end)
    else:
        pods_by_component = {c: source.pods(c, namespace=ctx.namespace) for c in components}
        deps_by_component = {
            c: source.deployments(c, namespace=ctx.namespace, until=ctx.window_end) for c in components
        }
    for comp in components:
        pods, deps = pods_by_component[comp], deps_by_component[comp]
        if pods or deps:
            drafts.extend(pod_drafts(comp, pods, ctx))
        for dep in deps:
            drafts.extend(deploy_drafts(dep, ctx))
            names.append(dep.name)
        names.extend(p.name for p in pods)
        names.append(comp)
    if ctx.component and not any(d.key == f"pods/{ctx.component}" for d in drafts):
        drafts.append(
            Draft(
                kind=EventKind.note,
                key=f"kubernetes/missing/{ctx.component}",
                at=ctx.page_at,
                source="kubernetes",
                component=ctx.component,
                summary=f"no pods or deployments found for {ctx.component}"
                + (f" in namespace {ctx.namespace}" if ctx.namespace else ""),
            )
        )
    events = source.events(namespace=ctx.namespace, since=ctx.since(cfg.event_lookback), until=ctx.window_end)
    drafts.extend(event_drafts(events, tuple(dict.fromkeys(names)), ctx))
    for node in source.nodes():
        for cond in node.conditions:
            bad = (cond.get("type") == "Ready" and cond.get("status") != "True") or (
                cond.get("type") != "Ready" and cond.get("status") == "True"
            )
            if bad:
                at = cond.get("last_transition")
                drafts.append(
                    Draft(
                        kind=EventKind.node_state,
                        key=f"node/{node.name}/{cond.get('type')}",
                        at=datetime.fromisoformat(at) if isinstance(at, str) else ctx.page_at,
                        source="kubernetes",
                        summary=f"node {node.name}: {cond.get('type')}={cond.get('status')}"
                        + (f" ({cond.get('reason')})" if cond.get("reason") else ""),
                        details={"node": node.name, **cond},
                    )
                )
    for change in source.config_changes(
        namespace=ctx.namespace, since=ctx.since(cfg.deploy_lookback), until=ctx.window_end
    ):
        drafts.append(
            Draft(
                kind=EventKind.config_change,
                key=f"config/{change.id}",
                at=change.at,
                source=change.source,
                summary=change.summary,
                component=change.component,
                details=change.details,
            )
        )
    drafts.extend(log_drafts(source, pods_by_component, ctx))
    return drafts
