"""Patch semantics and the Deployment controller's rollout bookkeeping, for the stand-in.

Three patch types: JSON merge patch (RFC 7386), strategic merge patch (merge plus lists merged by
``name``, enough for pod templates), and JSON patch (add/replace/remove). After a Deployment
changes, :func:`reconcile` does synchronously what the controller does asynchronously: a new pod
template gets a new ReplicaSet (or an old one with the same template is reused and its revision
bumped, as on ``kubectl rollout undo``) and replica counts move to it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from incident.sandbox.kubernetes_state import ObjectStore, StatusError
from incident.timeutil import rfc3339

Obj = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
HASH_LABEL = "pod-template-hash"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):  # $retainKeys, $setElementOrder/...: ordering hints only
            continue
        if value is None:
            out.pop(key, None)
        elif isinstance(value, list) and _keyed(value) and _keyed(out.get(key)):
            merged = {item["name"]: item for item in out[key]}
            for item in value:
                if item.get("$patch") == "delete":
                    merged.pop(item["name"], None)
                else:
                    merged[item["name"]] = strategic_merge_patch(merged.get(item["name"]), item)
            out[key] = list(merged.values())
        else:
            out[key] = strategic_merge_patch(out.get(key), value)
    return out


def _keyed(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "name" in i for i in value)


def json_patch(target: Obj, operations: Any) -> Obj:
    if not isinstance(operations, list):
        raise StatusError(400, "BadRequest", "json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in str(op.get("path", "")).split("/")[1:]]
        if not parts:
            raise StatusError(422, "Invalid", f"json patch path {op.get('path')!r} is not supported")
        parent: Any = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        kind = op.get("op")
        if kind in ("add", "replace") and isinstance(parent, list):
            index = len(parent) if last == "-" else int(last)
            if kind == "add":
                parent.insert(index, op.get("value"))
            else:
                parent[index] = op.get("value")
        elif kind in ("add", "replace"):
            parent[last] = op.get("value")
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            elif parent.pop(last, None) is None:
                raise StatusError(422, "Invalid", f"json patch: nothing to remove at {op.get('path')}")
        else:
            raise StatusError(422, "Invalid", f"json patch op {kind!r} is not supported")
    return doc


def apply_patch(target: Obj, body: Any, content_type: str) -> Obj:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json-patch+json":
        return json_patch(target, body)
    if not isinstance(body, dict):
        raise StatusError(400, "BadRequest", "patch body must be a JSON object")
    if ctype == "application/merge-patch+json":
        merged: Obj = merge_patch(target, body)  # a dict patched by a dict stays a dict
        return merged
    if ctype == "application/strategic-merge-patch+json":
        strategic: Obj = strategic_merge_patch(target, body)
        return strategic
    raise StatusError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {ctype}")


# ---------------------------------------------------------------------------------- controller


def _template_key(template: Obj) -> str:
    clean = copy.deepcopy(template or {})
    (clean.get("metadata") or {}).get("labels", {}).pop(HASH_LABEL, None)
    return json.dumps(clean, sort_keys=True)


def template_hash(template: Obj) -> str:
    digest = hashlib.sha256(_template_key(template).encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:10])


def _revision(obj: Obj) -> int:
    try:
        return int(((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION, 0))
    except (TypeError, ValueError):
        return 0


def owned_replicasets(store: ObjectStore, deployment: Obj) -> list[Obj]:
    md = deployment["metadata"]
    return [
        rs
        for rs in store.iter("ReplicaSet", md["namespace"])
        if any(
            ref.get("kind") == "Deployment" and (ref.get("uid") == md.get("uid") or ref.get("name") == md["name"])
            for ref in (rs.get("metadata") or {}).get("ownerReferences") or []
        )
    ]


def _new_replicaset(deployment: Obj, template: Obj, revision: int, now: datetime) -> Obj:
    md = deployment["metadata"]
    hash_ = template_hash(template)
    template = copy.deepcopy(template)
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = hash_
    selector = copy.deepcopy((deployment.get("spec") or {}).get("selector") or {})
    selector.setdefault("matchLabels", {})[HASH_LABEL] = hash_
    annotations = {REVISION: str(revision)}
    if cause := (md.get("annotations") or {}).get(CHANGE_CAUSE):
        annotations[CHANGE_CAUSE] = cause
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{md['name']}-{hash_}",
            "namespace": md["namespace"],
            "uid": str(uuid.uuid4()),
            "creationTimestamp": rfc3339(now),
            "labels": dict(template["metadata"]["labels"]),
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": md["name"],
                    "uid": md.get("uid"),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"replicas": 0, "selector": selector, "template": template},
        "status": {"replicas": 0},
    }


def _set_replicas(rs: Obj, replicas: int) -> None:
    rs.setdefault("spec", {})["replicas"] = replicas
    rs["status"] = {
        **(rs.get("status") or {}),
        "replicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "fullyLabeledReplicas": replicas,
    }


def _ready_pod(rs: Obj, index: int, now: datetime) -> Obj:
    """A Running, Ready pod of ``rs``'s template, as the kubelet would report it once started."""
    template = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
    md = rs["metadata"]
    suffix = hashlib.sha256(f"{md['name']}/{index}/{now.isoformat()}".encode()).hexdigest()[:5]
    spec = template.get("spec") or {}
    stamp = rfc3339(now)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{md['name']}-{suffix}",
            "namespace": md["namespace"],
            "uid": str(uuid.uuid4()),
            "creationTimestamp": stamp,
            "labels": dict((template.get("metadata") or {}).get("labels") or {}),
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": md["name"],
                    "uid": md.get("uid"),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": spec,
        "status": {
            "phase": "Running",
            "startTime": stamp,
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": stamp}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": [
                {
                    "name": c.get("name"),
                    "image": c.get("image"),
                    "imageID": "",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": stamp}},
                }
                for c in spec.get("containers") or []
            ],
        },
    }


def replace_pods(store: ObjectStore, owned: list[Obj], active: Obj, replicas: int, now: datetime) -> None:
    """The controller's rollout, finished at once: pods of other revisions go, ``replicas`` Ready
    pods of the active one run. The stand-in has no kubelet, so started pods report Ready."""
    names = {rs["metadata"]["name"] for rs in owned}
    namespace = active["metadata"]["namespace"]
    mine = [
        pod
        for pod in store.iter("Pod", namespace)
        if any(
            ref.get("kind") == "ReplicaSet" and ref.get("name") in names
            for ref in (pod.get("metadata") or {}).get("ownerReferences") or []
        )
    ]
    current = [
        p
        for p in mine
        if any(r.get("name") == active["metadata"]["name"] for r in p["metadata"].get("ownerReferences") or [])
        and (p.get("status") or {}).get("phase") == "Running"
        and all(c.get("ready") for c in (p.get("status") or {}).get("containerStatuses") or [])
    ]
    keep = current[:replicas]
    for pod in mine:
        if pod not in keep:
            store.remove("Pod", namespace, pod["metadata"]["name"])
    for index in range(len(keep), replicas):
        store.put(_ready_pod(active, index, now))


def reconcile(store: ObjectStore, before: Obj, after: Obj, now: datetime) -> None:
    """Apply the controller's reaction to ``before`` -> ``after`` (``after`` is stored by the caller)."""
    spec = after.get("spec") or {}
    if spec != (before.get("spec") or {}):
        after["metadata"]["generation"] = int(before["metadata"].get("generation") or 1) + 1
    owned = owned_replicasets(store, after)
    replicas = int(spec.get("replicas", 1))
    key = _template_key(spec.get("template") or {})
    active = next((rs for rs in owned if _template_key((rs.get("spec") or {}).get("template") or {}) == key), None)
    current = _revision(after)
    if active is not None and current == 0:  # an unannotated Deployment adopts its ReplicaSet's number
        current = _revision(active)
        after["metadata"].setdefault("annotations", {})[REVISION] = str(current)
    if active is None or _revision(active) != current:
        revision = max([_revision(rs) for rs in owned] + [current]) + 1
        if active is None:
            active = _new_replicaset(after, spec.get("template") or {}, revision, now)
        else:  # rollback to an existing template: the controller renumbers that ReplicaSet
            active["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
        after["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
    for rs in owned:
        if rs is not active:
            _set_replicas(rs, 0)
            store.put(rs)
    _set_replicas(active, replicas)
    store.put(active)
    if spec != (before.get("spec") or {}):
        replace_pods(store, owned + ([active] if active not in owned else []), active, replicas, now)
    status = dict(after.get("status") or {})
    status.update(
        observedGeneration=after["metadata"].get("generation", 1),
        replicas=replicas,
        updatedReplicas=replicas,
        readyReplicas=replicas,
        availableReplicas=replicas,
    )
    status.pop("unavailableReplicas", None)
    progressing = {
        "type": "Progressing",
        "status": "True",
        "reason": "NewReplicaSetAvailable",
        "message": f'ReplicaSet "{active["metadata"]["name"]}" has successfully progressed.',
        "lastUpdateTime": rfc3339(now),
        "lastTransitionTime": rfc3339(now),
    }
    available = {
        "type": "Available",
        "status": "True",
        "reason": "MinimumReplicasAvailable",
        "message": "Deployment has minimum availability.",
        "lastUpdateTime": rfc3339(now),
        "lastTransitionTime": rfc3339(now),
    }
    status["conditions"] = [available, progressing]
    after["status"] = status
