"""Pods (and the shared metadata helpers) as the API server serves them, rendered from a :class:`World`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from _gen.model import Pod, Revision, World
from _gen.world import NAMESPACE, NODES, SYSTEM, Service, digest, hexid, make_uid, ts

PROGRESS_DEADLINE = 600
EPOCH = datetime(2024, 3, 4, 10, 12, 40, tzinfo=UTC)
"""When the shop namespace was first deployed."""


def cpu_qty(cores: float) -> str:
    return str(int(cores)) if cores == int(cores) else f"{round(cores * 1000)}m"


def mem_qty(size: int) -> str:
    mi = size // (1024 * 1024)
    return f"{mi // 1024}Gi" if mi % 1024 == 0 else f"{mi}Mi"


def labels_of(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": SYSTEM}


def node_ip(node: str) -> str:
    return node.split(".")[0].removeprefix("ip-").replace("-", ".")


def pod_ip(name: str) -> str:
    d = digest("ip", name)
    return f"10.244.{d[0] % 6}.{2 + d[1] % 250}"


def container_spec(svc: Service, image: str, env: dict[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": svc.name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [
            {"name": "http" if svc.kind == "Component" else svc.lang, "containerPort": svc.port, "protocol": "TCP"}
        ],
        "resources": {
            "limits": {"cpu": cpu_qty(svc.cpu_limit), "memory": mem_qty(svc.mem_limit)},
            "requests": {"cpu": cpu_qty(svc.cpu_request), "memory": mem_qty(svc.mem_request)},
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if svc.kind == "Component":
        spec["env"] = [{"name": k, "value": v} for k, v in env.items()]
        spec["envFrom"] = [{"configMapRef": {"name": f"{svc.name}-config"}}]
        probe = {"port": "http", "scheme": "HTTP"}
        spec["livenessProbe"] = {
            "httpGet": {"path": "/healthz", **probe},
            "initialDelaySeconds": 10,
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        }
        spec["readinessProbe"] = {
            "httpGet": {"path": "/ready", **probe},
            "timeoutSeconds": 1,
            "periodSeconds": 5,
            "successThreshold": 1,
            "failureThreshold": 3,
        }
    return spec


def template(svc: Service, rev: Revision | None) -> dict[str, Any]:
    image = f"{svc.image.rsplit(':', 1)[0]}:{rev.version}" if rev else svc.image
    meta: dict[str, Any] = {"labels": labels_of(svc.name)}
    if rev:
        meta["labels"] = {**meta["labels"], "pod-template-hash": rev.hash}
        if rev.restarted_at:
            meta["annotations"] = {"kubectl.kubernetes.io/restartedAt": ts(rev.restarted_at)}
    return {
        "metadata": meta,
        "spec": {
            "containers": [container_spec(svc, image, rev.env if rev else {})],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": svc.name,
            "serviceAccount": svc.name,
            "schedulerName": "default-scheduler",
            "securityContext": {},
        },
    }


def object_meta(kind_key: str, name: str, created: datetime, **extra: Any) -> dict[str, Any]:
    rv = str(int.from_bytes(digest("rv", kind_key, name)[:3], "big") + 10_000_000)
    return {
        "name": name,
        "namespace": NAMESPACE,
        "uid": make_uid(kind_key, name),
        "resourceVersion": rv,
        "creationTimestamp": ts(created),
        **extra,
    }


def condition(
    ctype: str, status: str, at: datetime, reason: str | None = None, message: str | None = None, probe: bool = True
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ctype, "status": status}
    if probe:
        out["lastProbeTime"] = None
    out["lastTransitionTime"] = ts(at)
    if reason:
        out["reason"] = reason
    if message:
        out["message"] = message
    return out


def container_id(pod: str, n: int) -> str:
    return "containerd://" + hexid(64, "cid", pod, n)


def pod_object(w: World, pod: Pod) -> dict[str, Any]:
    svc = pod.svc
    rev = pod.revision
    image = f"{svc.image.rsplit(':', 1)[0]}:{rev.version}" if rev else svc.image
    if rev:
        meta = object_meta(
            "pod",
            pod.name,
            pod.created,
            generateName=f"{rev.name}-",
            labels={**labels_of(svc.name), "pod-template-hash": rev.hash},
        )
        meta["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": rev.name,
                "uid": rev.uid,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    else:
        meta = object_meta(
            "pod",
            pod.name,
            pod.created,
            generateName=f"{svc.name}-",
            labels={
                **labels_of(svc.name),
                "statefulset.kubernetes.io/pod-name": pod.name,
                "apps.kubernetes.io/pod-index": "0",
            },
        )
        meta["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "name": svc.name,
                "uid": make_uid("sts", svc.name),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    spec = template(svc, rev)["spec"]
    spec["containers"][0]["image"] = image
    spec["tolerations"] = [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {
            "key": "node.kubernetes.io/unreachable",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": 300,
        },
    ]
    spec["priority"] = 0
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    if pod.status != "unschedulable":
        spec["nodeName"] = pod.node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": pod_status(w, pod, image)}


def pod_status(w: World, pod: Pod, image: str) -> dict[str, Any]:
    at = w.page_at
    created = pod.created
    sched = created + timedelta(seconds=1)
    qos = "Burstable"
    if pod.status == "unschedulable":
        msg = w.unschedulable_message
        return {
            "phase": "Pending",
            "qosClass": qos,
            "conditions": [condition("PodScheduled", "False", sched, "Unschedulable", msg)],
        }
    ready = pod.serving(at)
    restarts = [r for r in pod.restarts if r <= at]
    started = restarts[-1] if restarts else created + timedelta(seconds=4)
    name = pod.service
    cs: dict[str, Any] = {"name": name, "image": image, "restartCount": pod.restart_count(at), "ready": ready}
    if pod.status == "image_pull":
        cs.update(
            state={"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}},
            lastState={},
            imageID="",
            started=False,
        )
    elif pod.status == "crashloop":
        backoff = min(300, 10 * 2 ** max(0, len(restarts) - 1))
        back = f"{backoff // 60}m{backoff % 60}s" if backoff >= 60 else f"{backoff}s"
        cs.update(
            state={
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off {back} restarting failed container={name} "
                    f"pod={pod.name}_{NAMESPACE}({pod.uid})",
                }
            },
            started=False,
        )
    else:
        cs.update(state={"running": {"startedAt": ts(started)}}, started=True)
    if pod.last_term and pod.status != "image_pull":
        lt = pod.last_term
        cs["lastState"] = {
            "terminated": {
                "exitCode": lt["exit_code"],
                "reason": lt["reason"],
                "startedAt": ts(lt["started"]),
                "finishedAt": ts(lt["finished"]),
                "containerID": container_id(pod.name, len(restarts) - 1),
            }
        }
    elif "lastState" not in cs:
        cs["lastState"] = {}
    if pod.status != "image_pull":
        cs["imageID"] = f"{image.rsplit(':', 1)[0]}@sha256:{hexid(64, 'img', image)}"
        cs["containerID"] = container_id(pod.name, len(restarts))
    not_ready_since = max([started, *[b for a, b in pod.down if a <= at]], default=started)
    if not ready:
        not_ready_since = max([created, *[a for a, b in pod.down if a <= at], *restarts])
    ready_cond = (
        ("True", None, None) if ready else ("False", "ContainersNotReady", f"containers with unready status: [{name}]")
    )
    conditions = [
        condition("PodReadyToStartContainers", "True", sched, probe=True),
        condition("Initialized", "True", created),
        condition(
            "Ready",
            ready_cond[0],
            not_ready_since if not ready else started + timedelta(seconds=12),
            ready_cond[1],
            ready_cond[2],
        ),
        condition(
            "ContainersReady",
            ready_cond[0],
            not_ready_since if not ready else started + timedelta(seconds=12),
            ready_cond[1],
            ready_cond[2],
        ),
        condition("PodScheduled", "True", sched),
    ]
    phase = "Pending" if pod.status == "image_pull" else "Running"
    ip = pod_ip(pod.name)
    return {
        "phase": phase,
        "conditions": conditions,
        "hostIP": node_ip(pod.node or NODES[0]),
        "hostIPs": [{"ip": node_ip(pod.node or NODES[0])}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": ts(sched),
        "containerStatuses": [cs],
        "qosClass": qos,
    }
