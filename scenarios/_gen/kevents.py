"""Events, Nodes, ConfigMaps and HPAs, plus rollouts that leave the events a real one would."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from _gen.k8s import EPOCH, object_meta
from _gen.model import Pod, Revision, World
from _gen.world import BY_NAME, NAMESPACE, SERVICES, hexid, make_uid, ts

EVENT_TTL = timedelta(hours=1)
"""The API server keeps events for an hour: older ones are not generated."""


def event(
    w: World,
    kind: str,
    name: str,
    reason: str,
    message: str,
    at: datetime,
    *,
    last: datetime | None = None,
    count: int = 1,
    type: str = "Normal",
    component: str = "kubelet",
    host: str | None = None,
    api_version: str = "v1",
    field_path: str | None = None,
) -> None:
    last = last or at
    if last < w.page_at - EVENT_TTL:
        return
    key = {
        "Pod": "pod",
        "ReplicaSet": "rs",
        "Deployment": "deploy",
        "StatefulSet": "sts",
        "HorizontalPodAutoscaler": "hpa",
        "Node": "node",
        "ConfigMap": "cm",
        "PersistentVolumeClaim": "pvc",
    }.get(kind, kind)
    involved: dict[str, Any] = {
        "kind": kind,
        "namespace": NAMESPACE,
        "name": name,
        "uid": make_uid(key, name),
        "apiVersion": api_version,
    }
    if kind == "Node":
        involved.pop("namespace")
    if field_path:
        involved["fieldPath"] = field_path
    ev_name = f"{name}.{hexid(16, 'ev', name, reason, at.isoformat(), message)}"
    meta = object_meta("event", ev_name, at)
    source: dict[str, str] = {"component": component}
    if host:
        source["host"] = host
    w.events.append(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": meta,
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": ts(at),
            "lastTimestamp": ts(last),
            "count": count,
            "type": type,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
    )


def pod_started_events(w: World, pod: Pod, image: str, pulled: bool = True) -> None:
    c = pod.service
    fp = f"spec.containers{{{c}}}"
    event(
        w,
        "Pod",
        pod.name,
        "Scheduled",
        f"Successfully assigned {NAMESPACE}/{pod.name} to {pod.node}",
        pod.created + timedelta(seconds=1),
        component="default-scheduler",
    )
    event(
        w,
        "Pod",
        pod.name,
        "Pulling",
        f'Pulling image "{image}"',
        pod.created + timedelta(seconds=2),
        host=pod.node,
        field_path=fp,
    )
    if pulled:
        event(
            w,
            "Pod",
            pod.name,
            "Pulled",
            f'Successfully pulled image "{image}" in 2.318s (2.318s including waiting)',
            pod.created + timedelta(seconds=4),
            host=pod.node,
            field_path=fp,
        )
        event(
            w,
            "Pod",
            pod.name,
            "Created",
            f"Created container {c}",
            pod.created + timedelta(seconds=4),
            host=pod.node,
            field_path=fp,
        )
        event(
            w,
            "Pod",
            pod.name,
            "Started",
            f"Started container {c}",
            pod.created + timedelta(seconds=5),
            host=pod.node,
            field_path=fp,
        )


def rollout(w: World, service: str, at: datetime, version: str, cause: str, **kw: Any) -> Revision:
    """:meth:`World.rollout` plus the Deployment, ReplicaSet and Pod events it leaves."""
    old = w.current(service)
    old_pods = [p for p in w.pods_of(service, alive_at=at) if p.revision is old]
    rev = w.rollout(service, at, version, cause, **kw)
    image = f"{BY_NAME[service].image.rsplit(':', 1)[0]}:{version}"
    new_pods = [p for p in w.pods if p.revision is rev]
    for i, pod in enumerate(new_pods):
        event(
            w,
            "Deployment",
            service,
            "ScalingReplicaSet",
            f"Scaled up replica set {rev.name} to {i + 1}",
            pod.created - timedelta(seconds=1),
            component="deployment-controller",
            api_version="apps/v1",
        )
        event(
            w,
            "ReplicaSet",
            rev.name,
            "SuccessfulCreate",
            f"Created pod: {pod.name}",
            pod.created,
            component="replicaset-controller",
            api_version="apps/v1",
        )
        if pod.status in ("running", "crashloop"):
            pod_started_events(w, pod, image)
    remaining = len(old_pods)
    for pod in old_pods:
        if pod.ended is None:
            continue
        remaining -= 1
        event(
            w,
            "Deployment",
            service,
            "ScalingReplicaSet",
            f"Scaled down replica set {old.name} to {remaining} from {remaining + 1}",
            pod.ended - timedelta(seconds=1),
            component="deployment-controller",
            api_version="apps/v1",
        )
        event(
            w,
            "ReplicaSet",
            old.name,
            "SuccessfulDelete",
            f"Deleted pod: {pod.name}",
            pod.ended,
            component="replicaset-controller",
            api_version="apps/v1",
        )
        event(
            w,
            "Pod",
            pod.name,
            "Killing",
            f"Stopping container {service}",
            pod.ended,
            host=pod.node,
            field_path=f"spec.containers{{{service}}}",
        )
    return rev


def configmap(
    w: World,
    service: str,
    data: dict[str, str],
    created: datetime,
    edits: list[tuple[str, datetime, list[str]]] | None = None,
    applied: dict[str, str] | None = None,
    *,
    name: str | None = None,
) -> dict[str, Any]:
    """A ConfigMap (default name ``<service>-config``) whose managedFields record who last set which keys.

    ``edits`` are (manager, time, keys set) after the GitOps apply of ``applied`` (default: ``data``);
    keys the apply set that ``data`` no longer has were removed by those edits, and the
    last-applied-configuration annotation still shows them, as ``kubectl edit`` leaves it.
    """
    name = name or f"{service}-config"
    applied = dict(applied if applied is not None else data)
    edited = {k for _, _, keys in edits or [] for k in keys}
    meta = object_meta("cm", name, created, labels={"app.kubernetes.io/name": service})
    last = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "data": dict(sorted(applied.items())),
        "metadata": {"labels": {"app.kubernetes.io/name": service}, "name": name, "namespace": NAMESPACE},
    }
    meta["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(last, separators=(",", ":"))}
    owned = sorted(k for k in applied if k in data and k not in edited)
    managed = [
        {
            "manager": "argocd-controller",
            "operation": "Update",
            "apiVersion": "v1",
            "time": ts(created),
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:data": {f"f:{k}": {} for k in owned},
                "f:metadata": {
                    "f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}},
                    "f:labels": {".": {}, "f:app.kubernetes.io/name": {}},
                },
            },
        }
    ]
    for manager, at, keys in edits or []:
        present = sorted(k for k in keys if k in data)
        managed.append(
            {
                "manager": manager,
                "operation": "Update",
                "apiVersion": "v1",
                "time": ts(at),
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {f"f:{k}": {} for k in present}},
            }
        )
    meta["managedFields"] = managed
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": dict(sorted(data.items()))}
    w.objects.append(obj)
    return obj


def default_configmaps(w: World, overrides: dict[str, dict[str, Any]] | None = None) -> None:
    for svc in SERVICES:
        if svc.kind != "Component":
            continue
        spec = (overrides or {}).get(svc.name, {})
        data = spec.get("data") or {
            "LOG_LEVEL": "info",
            "HTTP_PORT": str(svc.port),
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4317",
            "UPSTREAM_TIMEOUT_MS": "2000",
        }
        configmap(
            w,
            svc.name,
            data,
            w.revisions[svc.name][0].created - timedelta(days=3),
            spec.get("edits"),
            spec.get("applied"),
        )


def hpa(
    w: World,
    service: str,
    min_r: int,
    max_r: int,
    current: int,
    desired: int,
    cpu_now: int,
    last_scale: datetime | None = None,
) -> None:
    meta = object_meta("hpa", service, EPOCH + timedelta(days=30), labels={"app.kubernetes.io/name": service})
    status: dict[str, Any] = {
        "currentReplicas": current,
        "desiredReplicas": desired,
        "currentMetrics": [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageUtilization": cpu_now, "averageValue": f"{cpu_now * 5}m"},
                },
            }
        ],
        "conditions": [
            {
                "type": "AbleToScale",
                "status": "True",
                "lastTransitionTime": ts(EPOCH + timedelta(days=30)),
                "reason": "ReadyForNewScale",
                "message": "recommended size matches current size",
            },
            {
                "type": "ScalingActive",
                "status": "True",
                "lastTransitionTime": ts(EPOCH + timedelta(days=30)),
                "reason": "ValidMetricFound",
                "message": "the HPA was able to successfully calculate a replica count from cpu resource "
                "utilization (percentage of request)",
            },
            {
                "type": "ScalingLimited",
                "status": "True" if desired >= max_r else "False",
                "lastTransitionTime": ts(last_scale or EPOCH + timedelta(days=30)),
                "reason": "TooManyReplicas" if desired >= max_r else "DesiredWithinRange",
                "message": "the desired replica count is more than the maximum replica count"
                if desired >= max_r
                else "the desired count is within the acceptable range",
            },
        ],
    }
    if last_scale:
        status["lastScaleTime"] = ts(last_scale)
    w.objects.append(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta,
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service},
                "minReplicas": min_r,
                "maxReplicas": max_r,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                    }
                ],
            },
            "status": status,
        }
    )
