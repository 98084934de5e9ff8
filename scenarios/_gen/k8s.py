"""Kubernetes objects as the API server serves them, rendered from a :class:`World`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from _gen.model import Pod, Revision, World
from _gen.world import BY_NAME, NAMESPACE, NODES, SERVICES, SYSTEM, Service, digest, hexid, make_uid, ts

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
        "ports": [{"name": "http" if svc.kind == "Component" else svc.lang, "containerPort": svc.port,
                   "protocol": "TCP"}],
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
        spec["livenessProbe"] = {"httpGet": {"path": "/healthz", **probe}, "initialDelaySeconds": 10,
                                 "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                                 "failureThreshold": 3}
        spec["readinessProbe"] = {"httpGet": {"path": "/ready", **probe}, "timeoutSeconds": 1,
                                  "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 3}
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


def _meta(kind_key: str, name: str, created: datetime, **extra: Any) -> dict[str, Any]:
    rv = str(int.from_bytes(digest("rv", kind_key, name)[:3], "big") + 10_000_000)
    return {"name": name, "namespace": NAMESPACE, "uid": make_uid(kind_key, name), "resourceVersion": rv,
            "creationTimestamp": ts(created), **extra}


def _cond(ctype: str, status: str, at: datetime, reason: str | None = None, message: str | None = None,
          probe: bool = True) -> dict[str, Any]:
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
        meta = _meta("pod", pod.name, pod.created, generateName=f"{rev.name}-",
                     labels={**labels_of(svc.name), "pod-template-hash": rev.hash})
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rev.name,
                                    "uid": rev.uid, "controller": True, "blockOwnerDeletion": True}]
    else:
        meta = _meta("pod", pod.name, pod.created, generateName=f"{svc.name}-",
                     labels={**labels_of(svc.name), "statefulset.kubernetes.io/pod-name": pod.name,
                             "apps.kubernetes.io/pod-index": "0"})
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": svc.name,
                                    "uid": make_uid("sts", svc.name), "controller": True,
                                    "blockOwnerDeletion": True}]
    spec = template(svc, rev)["spec"]
    spec["containers"][0]["image"] = image
    spec["tolerations"] = [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
    ]
    spec["priority"] = 0
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    if pod.status != "unschedulable":
        spec["nodeName"] = pod.node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": pod_status(w, pod, image)}


def pod_status(w: World, pod: Pod, image: str) -> dict[str, Any]:
    at = w.page_at
    created = pod.created
    sched = created + timedelta(seconds=1)
    qos = "Burstable"
    if pod.status == "unschedulable":
        msg = w.unschedulable_message
        return {"phase": "Pending", "qosClass": qos,
                "conditions": [_cond("PodScheduled", "False", sched, "Unschedulable", msg)]}
    ready = pod.serving(at)
    restarts = [r for r in pod.restarts if r <= at]
    started = restarts[-1] if restarts else created + timedelta(seconds=4)
    name = pod.service
    cs: dict[str, Any] = {"name": name, "image": image, "restartCount": pod.restart_count(at), "ready": ready}
    if pod.status == "image_pull":
        cs.update(state={"waiting": {"reason": "ImagePullBackOff",
                                     "message": f'Back-off pulling image "{image}"'}},
                  lastState={}, imageID="", started=False)
    elif pod.status == "crashloop":
        backoff = min(300, 10 * 2 ** max(0, len(restarts) - 1))
        back = f"{backoff // 60}m{backoff % 60}s" if backoff >= 60 else f"{backoff}s"
        cs.update(state={"waiting": {"reason": "CrashLoopBackOff",
                                     "message": f"back-off {back} restarting failed container={name} "
                                                f"pod={pod.name}_{NAMESPACE}({pod.uid})"}},
                  started=False)
    else:
        cs.update(state={"running": {"startedAt": ts(started)}}, started=True)
    if pod.last_term and pod.status != "image_pull":
        lt = pod.last_term
        cs["lastState"] = {"terminated": {"exitCode": lt["exit_code"], "reason": lt["reason"],
                                          "startedAt": ts(lt["started"]), "finishedAt": ts(lt["finished"]),
                                          "containerID": container_id(pod.name, len(restarts) - 1)}}
    elif "lastState" not in cs:
        cs["lastState"] = {}
    if pod.status != "image_pull":
        cs["imageID"] = f"{image.rsplit(':', 1)[0]}@sha256:{hexid(64, 'img', image)}"
        cs["containerID"] = container_id(pod.name, len(restarts))
    not_ready_since = max([started, *[b for a, b in pod.down if a <= at]], default=started)
    if not ready:
        not_ready_since = max([created, *[a for a, b in pod.down if a <= at], *restarts])
    ready_cond = ("True", None, None) if ready else (
        "False", "ContainersNotReady", f"containers with unready status: [{name}]")
    conditions = [
        _cond("PodReadyToStartContainers", "True" if pod.status != "image_pull" else "True", sched, probe=True),
        _cond("Initialized", "True", created),
        _cond("Ready", ready_cond[0], not_ready_since if not ready else started + timedelta(seconds=12),
              ready_cond[1], ready_cond[2]),
        _cond("ContainersReady", ready_cond[0], not_ready_since if not ready else started + timedelta(seconds=12),
              ready_cond[1], ready_cond[2]),
        _cond("PodScheduled", "True", sched),
    ]
    phase = "Pending" if pod.status == "image_pull" else "Running"
    ip = pod_ip(pod.name)
    return {"phase": phase, "conditions": conditions, "hostIP": node_ip(pod.node or NODES[0]),
            "hostIPs": [{"ip": node_ip(pod.node or NODES[0])}], "podIP": ip, "podIPs": [{"ip": ip}],
            "startTime": ts(sched), "containerStatuses": [cs], "qosClass": qos}


def replicaset_object(w: World, rev: Revision) -> dict[str, Any]:
    svc = BY_NAME[rev.service]
    pods = [p for p in w.pods_of(rev.service) if p.revision is rev and p.created <= w.page_at]
    ready = sum(1 for p in pods if p.serving(w.page_at))
    meta = _meta("rs", rev.name, rev.created, generation=2 if rev.replicas == 0 else 1,
                 labels={**labels_of(svc.name), "pod-template-hash": rev.hash})
    meta["annotations"] = {
        "deployment.kubernetes.io/desired-replicas": str(w.desired.get(svc.name, svc.replicas)),
        "deployment.kubernetes.io/max-replicas": str(w.desired.get(svc.name, svc.replicas) + 1),
        "deployment.kubernetes.io/revision": str(rev.revision),
        "kubernetes.io/change-cause": rev.change_cause,
    }
    meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": svc.name,
                                "uid": make_uid("deploy", svc.name), "controller": True,
                                "blockOwnerDeletion": True}]
    status: dict[str, Any] = {"replicas": len(pods), "observedGeneration": meta["generation"]}
    if pods:
        status.update(fullyLabeledReplicas=len(pods), readyReplicas=ready, availableReplicas=ready)
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta,
            "spec": {"replicas": rev.replicas,
                     "selector": {"matchLabels": {"app.kubernetes.io/name": svc.name, "pod-template-hash": rev.hash}},
                     "template": template(svc, rev)},
            "status": status}


def deployment_object(w: World, svc: Service) -> dict[str, Any]:
    revs = w.revisions[svc.name]
    cur = revs[-1]
    desired = w.desired.get(svc.name, svc.replicas)
    pods = [p for p in w.pods_of(svc.name) if p.created <= w.page_at]
    ready = sum(1 for p in pods if p.serving(w.page_at))
    updated = sum(1 for p in pods if p.revision is cur)
    meta = _meta("deploy", svc.name, revs[0].created - timedelta(days=90), generation=cur.revision + 3,
                 labels=labels_of(svc.name))
    meta["annotations"] = {"deployment.kubernetes.io/revision": str(cur.revision),
                           "kubernetes.io/change-cause": cur.change_cause}
    min_avail = desired - max(1, desired // 4)
    if ready >= min_avail:
        avail = _cond("Available", "True", cur.created, "MinimumReplicasAvailable",
                      "Deployment has minimum availability.", probe=False)
    else:
        avail = _cond("Available", "False", w.page_at - timedelta(minutes=2), "MinimumReplicasUnavailable",
                      "Deployment does not have minimum availability.", probe=False)
    if updated >= desired and ready >= desired:
        prog = _cond("Progressing", "True", cur.created, "NewReplicaSetAvailable",
                     f'ReplicaSet "{cur.name}" has successfully progressed.', probe=False)
    elif (w.page_at - cur.created).total_seconds() > PROGRESS_DEADLINE:
        prog = _cond("Progressing", "False", cur.created + timedelta(seconds=PROGRESS_DEADLINE),
                     "ProgressDeadlineExceeded", f'ReplicaSet "{cur.name}" has timed out progressing.',
                     probe=False)
    else:
        prog = _cond("Progressing", "True", cur.created, "ReplicaSetUpdated",
                     f'ReplicaSet "{cur.name}" is progressing.', probe=False)
    for c in (avail, prog):
        c["lastUpdateTime"] = c["lastTransitionTime"]
    status: dict[str, Any] = {"observedGeneration": meta["generation"], "replicas": len(pods),
                              "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": ready,
                              "conditions": [avail, prog]}
    if len(pods) - ready > 0:
        status["unavailableReplicas"] = len(pods) - ready
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": desired, "selector": {"matchLabels": {"app.kubernetes.io/name": svc.name}},
                     "template": template(svc, cur),
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%",
                                                                             "maxSurge": "25%"}},
                     "revisionHistoryLimit": 10, "progressDeadlineSeconds": PROGRESS_DEADLINE},
            "status": status}


def statefulset_object(w: World, svc: Service) -> dict[str, Any]:
    pod = w.pods_of(svc.name)[0]
    meta = _meta("sts", svc.name, pod.created - timedelta(days=30), generation=4, labels=labels_of(svc.name))
    ready = 1 if pod.serving(w.page_at) else 0
    rev = f"{svc.name}-{hexid(10, 'sts', svc.name)}"
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": meta,
            "spec": {"replicas": 1, "serviceName": svc.name,
                     "selector": {"matchLabels": {"app.kubernetes.io/name": svc.name}},
                     "template": template(svc, None), "podManagementPolicy": "OrderedReady",
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}},
            "status": {"observedGeneration": 4, "replicas": 1, "readyReplicas": ready, "currentReplicas": 1,
                       "updatedReplicas": 1, "availableReplicas": ready, "currentRevision": rev,
                       "updateRevision": rev, "collisionCount": 0}}


def service_object(svc: Service) -> dict[str, Any]:
    meta = _meta("svc", svc.name, EPOCH, labels=labels_of(svc.name))
    d = digest("clusterip", svc.name)
    ip = f"172.20.{d[0]}.{d[1] % 250 + 2}"
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
            "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip],
                     "selector": {"app.kubernetes.io/name": svc.name},
                     "ports": [{"name": "http" if svc.kind == "Component" else svc.lang, "port": svc.port,
                                "targetPort": svc.port, "protocol": "TCP"}],
                     "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "internalTrafficPolicy": "Cluster"},
            "status": {"loadBalancer": {}}}


def all_objects(w: World) -> dict[str, list[dict[str, Any]]]:
    """File name -> objects; pods and events created after the page are included (the sandbox filters)."""
    pods = [pod_object(w, p) for p in w.pods if p.ended is None or p.ended > w.page_at]
    deployments = [deployment_object(w, s) for s in SERVICES if s.kind == "Component"]
    rsets = [replicaset_object(w, r) for s in SERVICES if s.kind == "Component" for r in w.revisions[s.name]]
    sts = [statefulset_object(w, s) for s in SERVICES if s.kind == "Resource"]
    events = sorted(w.events, key=lambda e: (e["lastTimestamp"], e["metadata"]["name"]))
    return {
        "deployments.json": deployments,
        "replicasets.json": rsets,
        "statefulsets.json": sts,
        "pods.json": pods,
        "services.json": [service_object(s) for s in SERVICES],
        "events.json": events,
        "other.json": list(w.objects),
    }
