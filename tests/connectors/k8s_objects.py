"""Small builders of realistic Kubernetes objects (as the API serves them) for the tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

PAGE = datetime.fromisoformat("2026-01-10T14:05:00+00:00")
Obj = dict[str, Any]


def ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(minutes: float) -> datetime:
    return PAGE - timedelta(minutes=minutes)


def container_status(
    name: str,
    image: str,
    *,
    state: Obj | None = None,
    last: Obj | None = None,
    restarts: int = 0,
    ready: bool = True,
) -> Obj:
    return {
        "name": name,
        "image": image,
        "imageID": "",
        "ready": ready,
        "started": ready,
        "restartCount": restarts,
        "state": state or {"running": {"startedAt": ts(ago(30))}},
        "lastState": last or {},
    }


def pod(
    name: str,
    *,
    ns: str = "shop",
    app: str = "checkout",
    label_key: str = "app.kubernetes.io/name",
    created: datetime | None = None,
    phase: str = "Running",
    image: str = "registry.example/checkout:1.4.2",
    status: Obj | None = None,
    ready: bool = True,
    conditions: list[Obj] | None = None,
    replicaset: str = "checkout-5c7d8f9b6d",
    node: str | None = "node-1",
    init_containers: list[Obj] | None = None,
    init_statuses: list[Obj] | None = None,
) -> Obj:
    spec: Obj = {
        "containers": [
            {
                "name": "app",
                "image": image,
                "resources": {"limits": {"memory": "256Mi", "cpu": "500m"}, "requests": {"memory": "128Mi"}},
            }
        ]
    }
    if node:
        spec["nodeName"] = node
    if init_containers:
        spec["initContainers"] = init_containers
    conds = conditions or [
        {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": ts(ago(20))},
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": ts(ago(31))},
    ]
    pod_status: Obj = {"phase": phase, "conditions": conds}
    if phase != "Pending" or status is not None:
        pod_status["containerStatuses"] = [status or container_status("app", image, ready=ready)]
    if init_statuses:
        pod_status["initContainerStatuses"] = init_statuses
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": f"uid-pod-{name}",
            "creationTimestamp": ts(created or ago(31)),
            "labels": {label_key: app, "pod-template-hash": replicaset.rsplit("-", 1)[-1]},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": replicaset,
                    "uid": "x",
                    "controller": True,
                }
            ],
        },
        "spec": spec,
        "status": pod_status,
    }


def template(app: str, image: str, *, env: list[Obj] | None = None, volumes: list[Obj] | None = None) -> Obj:
    container: Obj = {"name": "app", "image": image}
    if env:
        container["env"] = env
    spec: Obj = {"containers": [container]}
    if volumes:
        spec["volumes"] = volumes
    return {"metadata": {"labels": {"app.kubernetes.io/name": app}}, "spec": spec}


def deployment(
    name: str,
    *,
    ns: str = "shop",
    app: str = "checkout",
    image: str,
    revision: int,
    replicas: int = 3,
    **tpl: Any,
) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": f"uid-deploy-{name}",
            "generation": revision,
            "creationTimestamp": ts(ago(24 * 60)),
            "labels": {"app.kubernetes.io/name": app},
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
            "template": template(app, image, **tpl),
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": replicas - 1,
            "updatedReplicas": replicas,
            "availableReplicas": replicas - 1,
            "conditions": [
                {
                    "type": "Available",
                    "status": "False",
                    "reason": "MinimumReplicasUnavailable",
                    "lastTransitionTime": ts(ago(2)),
                }
            ],
        },
    }


def replicaset(
    dep: str,
    hash_: str,
    *,
    ns: str = "shop",
    app: str = "checkout",
    image: str,
    revision: int,
    created: datetime,
    replicas: int = 0,
    cause: str | None = None,
    **tpl: Any,
) -> Obj:
    tmpl = template(app, image, **tpl)
    tmpl["metadata"]["labels"]["pod-template-hash"] = hash_
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    if cause:
        annotations["kubernetes.io/change-cause"] = cause
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{dep}-{hash_}",
            "namespace": ns,
            "uid": f"uid-rs-{dep}-{hash_}",
            "creationTimestamp": ts(created),
            "labels": {"app.kubernetes.io/name": app, "pod-template-hash": hash_},
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": dep,
                    "uid": f"uid-deploy-{dep}",
                    "controller": True,
                }
            ],
        },
        "spec": {"replicas": replicas, "template": tmpl},
        "status": {"replicas": replicas},
    }


def event(
    name: str,
    at: datetime,
    *,
    ns: str = "shop",
    type_: str = "Warning",
    reason: str = "BackOff",
    message: str = "Back-off restarting failed container",
    obj: str = "checkout-1",
    count: int = 1,
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-ev-{name}", "creationTimestamp": ts(at)},
        "involvedObject": {"kind": "Pod", "namespace": ns, "name": obj},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": ts(at - timedelta(minutes=1)),
        "lastTimestamp": ts(at),
        "source": {"component": "kubelet", "host": "node-1"},
    }


def node(name: str, *, ready: bool = True, pressure: bool = False, taints: list[Obj] | None = None) -> Obj:
    pressure_status = "True" if pressure else "False"
    ready_condition = {
        "type": "Ready",
        "status": "True" if ready else "Unknown",
        "reason": "KubeletReady" if ready else "NodeStatusUnknown",
        "message": "" if ready else "Kubelet stopped posting node status.",
        "lastTransitionTime": ts(ago(10)),
    }
    conditions = [
        {"type": "MemoryPressure", "status": pressure_status, "reason": "KubeletHasSufficientMemory"},
        ready_condition,
    ]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "uid": f"uid-node-{name}", "creationTimestamp": ts(ago(9000))},
        "spec": {"taints": taints or [], "unschedulable": not ready},
        "status": {
            "conditions": conditions,
            "allocatable": {"cpu": "3920m", "memory": "15Gi", "pods": "110"},
        },
    }


def config_object(
    kind: str,
    name: str,
    *,
    ns: str = "shop",
    app: str | None = "checkout",
    created: datetime,
    written: datetime | None,
) -> Obj:
    md: Obj = {"name": name, "namespace": ns, "uid": f"uid-{kind}-{name}", "creationTimestamp": ts(created)}
    if app:
        md["labels"] = {"app": app}
    md["managedFields"] = [{"manager": "kubectl-create", "operation": "Update", "time": ts(created)}]
    if written:
        md["managedFields"].append({"manager": "argocd-controller", "operation": "Apply", "time": ts(written)})
    obj: Obj = {"apiVersion": "v1", "kind": kind, "metadata": md, "data": {"key": "c2VjcmV0LXZhbHVl"}}
    if kind == "Secret":
        obj["type"] = "Opaque"
    return obj
