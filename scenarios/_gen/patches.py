"""Scenario-specific additions to rendered objects: mounted ConfigMaps, PersistentVolumeClaims, status fixes.

Each helper registers a patch on :attr:`World.patches`; ``render.write`` applies every patch to every
object it writes, so scenarios that do not use them render exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from _gen.k8s import labels_of, object_meta
from _gen.model import World
from _gen.world import BY_NAME, make_uid, ts

Obj = dict[str, Any]
GI = 1024**3


def _pod_specs(obj: Obj, service: str, kinds: tuple[str, ...]) -> list[Obj]:
    """The pod specs of ``obj`` (a Pod's own, a workload's template) when it belongs to ``service``."""
    if obj.get("kind") not in kinds or obj["metadata"].get("labels", {}).get("app.kubernetes.io/name") != service:
        return []
    if obj["kind"] == "Pod":
        return [obj["spec"]]
    return [obj["spec"]["template"]["spec"]]


def mount(w: World, service: str, volume: Obj, mount_path: str, *, kinds: tuple[str, ...] | None = None) -> None:
    """Add ``volume`` (a pod ``volumes`` entry) to ``service``'s pods and templates, mounted read-only."""
    kinds = kinds or ("Pod", "Deployment", "ReplicaSet", "StatefulSet")

    def patch(obj: Obj) -> None:
        for spec in _pod_specs(obj, service, kinds):
            spec.setdefault("volumes", []).append(volume)
            spec["containers"][0].setdefault("volumeMounts", []).append(
                {"name": volume["name"], "mountPath": mount_path, "readOnly": "persistentVolumeClaim" not in volume}
            )

    w.patches.append(patch)


def pvc(w: World, service: str, size_gi: int, node: str) -> Obj:
    """The ``data-<service>-0`` claim of a StatefulSet, bound to an EBS volume; also mounted at /data."""
    claim = f"data-{service}-0"
    created = next(p.created for p in w.pods if p.service == service)
    meta = object_meta("pvc", claim, created, labels=labels_of(service))
    meta["annotations"] = {
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
        "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
        "volume.kubernetes.io/selected-node": node,
        "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
    }
    meta["finalizers"] = ["kubernetes.io/pvc-protection"]
    obj = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta,
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{size_gi}Gi"}},
            "storageClassName": "gp3",
            "volumeMode": "Filesystem",
            "volumeName": f"pvc-{make_uid('pv', claim)}",
        },
        "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": f"{size_gi}Gi"}},
    }
    w.objects.append(obj)
    path = {"postgres": "/var/lib/postgresql/data", "redis": "/data"}.get(BY_NAME[service].lang, "/data")
    mount(w, service, {"name": "data", "persistentVolumeClaim": {"claimName": claim}}, path, kinds=("Pod",))

    def template(obj: Obj) -> None:
        if obj.get("kind") == "StatefulSet" and obj["metadata"]["name"] == service:
            obj["spec"]["template"]["spec"]["containers"][0].setdefault("volumeMounts", []).append(
                {"name": "data", "mountPath": path}
            )
            obj["spec"]["volumeClaimTemplates"] = [
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": f"{size_gi}Gi"}},
                        "storageClassName": "gp3",
                        "volumeMode": "Filesystem",
                    },
                    "status": {"phase": "Pending"},
                }
            ]
            obj["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Retain", "whenScaled": "Retain"}

    w.patches.append(template)
    return obj


def on(w: World, kind: str, name: str, fn: Callable[[Obj], None]) -> None:
    """Run ``fn`` on the rendered object ``kind``/``name`` only."""

    def patch(obj: Obj) -> None:
        if obj.get("kind") == kind and obj["metadata"]["name"] == name:
            fn(obj)

    w.patches.append(patch)


def set_condition(conditions: list[Obj], ctype: str, status: str, at: datetime | None, **fields: str | None) -> None:
    """Replace one condition's status (and transition time), dropping reason/message unless given."""
    for cond in conditions:
        if cond["type"] != ctype:
            continue
        cond["status"] = status
        for key in ("reason", "message"):
            cond.pop(key, None)
        if at is not None:
            cond["lastTransitionTime"] = ts(at)
            if "lastUpdateTime" in cond:
                cond["lastUpdateTime"] = ts(at)
        for key, value in fields.items():
            if value is not None:
                cond[key] = value


def steady_deployment(w: World, service: str, unavailable_since: datetime | None) -> None:
    """A Deployment whose rollout finished long ago but lost ready pods (not a stuck rollout).

    Progressing stays ``NewReplicaSetAvailable``; Available turns False at ``unavailable_since``.
    """
    cur = w.current(service)

    def fix(obj: Obj) -> None:
        conds = obj["status"]["conditions"]
        set_condition(
            conds,
            "Progressing",
            "True",
            cur.created,
            reason="NewReplicaSetAvailable",
            message=f'ReplicaSet "{cur.name}" has successfully progressed.',
        )
        if unavailable_since is not None:
            set_condition(
                conds,
                "Available",
                "False",
                unavailable_since,
                reason="MinimumReplicasUnavailable",
                message="Deployment does not have minimum availability.",
            )

    on(w, "Deployment", service, fix)
