"""Pods, workloads, Services, Endpoints and ConfigMaps of one case as the API server serves them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from _gen.k8s import EPOCH, condition, container_id, cpu_qty, mem_qty, node_ip, pod_ip
from _gen.model import Revision
from _gen.workloads import cluster_ip
from _gen.world import digest, hexid, make_uid, ts

from _synth.model import Pod, World
from _synth.topology import Svc

Obj = dict[str, Any]
PROGRESS_DEADLINE = 600
KEYS = {
    "Pod": "pod",
    "ReplicaSet": "rs",
    "Deployment": "deploy",
    "StatefulSet": "sts",
    "Node": "node",
    "ConfigMap": "cm",
}


def meta(w: World, kind_key: str, name: str, created: datetime, **extra: Any) -> Obj:
    rv = str(int.from_bytes(digest("rv", w.name, kind_key, name)[:3], "big") + 10_000_000)
    return {
        "name": name,
        "namespace": w.ns,
        "uid": make_uid(w.name, kind_key, name),
        "resourceVersion": rv,
        "creationTimestamp": ts(created),
        **extra,
    }


def labels_of(w: World, service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": w.ns}


def image_of(w: World, svc: Svc, version: str) -> str:
    if svc.is_store:
        return f"docker.io/library/{svc.tech}:{version}"
    return f"{w.topo.registry}/{svc.name}:{version}"


def container(w: World, svc: Svc, version: str, env: dict[str, str]) -> Obj:
    spec: Obj = {
        "name": svc.name,
        "image": image_of(w, svc, version),
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http" if not svc.is_store else svc.tech, "containerPort": svc.port, "protocol": "TCP"}],
        "resources": {
            "limits": {"cpu": cpu_qty(svc.cpu_limit), "memory": mem_qty(svc.mem_limit)},
            "requests": {"cpu": cpu_qty(svc.cpu_request), "memory": mem_qty(svc.mem_request)},
        },
    }
    if not svc.is_store:
        spec["env"] = [{"name": k, "value": v} for k, v in sorted(env.items())]
        spec["envFrom"] = [{"configMapRef": {"name": f"{svc.name}-config"}}]
        spec["livenessProbe"] = {
            "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "failureThreshold": 3,
        }
        spec["readinessProbe"] = {
            "httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP"},
            "periodSeconds": 5,
            "failureThreshold": 3,
        }
    return spec


def template(w: World, svc: Svc, rev: Revision | None) -> Obj:
    labels = labels_of(w, svc.name)
    if rev:
        labels["pod-template-hash"] = rev.hash
    return {
        "metadata": {"labels": labels},
        "spec": {
            "containers": [container(w, svc, rev.version if rev else svc.version, rev.env if rev else {})],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "serviceAccountName": svc.name,
            "dnsPolicy": "ClusterFirst",
        },
    }


def pod_object(w: World, pod: Pod) -> Obj:
    svc, rev = pod.svc, pod.revision
    labels = labels_of(w, svc.name)
    if rev:
        labels["pod-template-hash"] = rev.hash
        owner = {"kind": "ReplicaSet", "name": rev.name, "uid": make_uid(w.name, "rs", rev.name)}
    else:
        labels["statefulset.kubernetes.io/pod-name"] = pod.name
        owner = {"kind": "StatefulSet", "name": svc.name, "uid": make_uid(w.name, "sts", svc.name)}
    md = meta(w, "pod", pod.name, pod.created, labels=labels, generateName=pod.name.rsplit("-", 1)[0] + "-")
    md["ownerReferences"] = [{"apiVersion": "apps/v1", "controller": True, "blockOwnerDeletion": True, **owner}]
    spec = template(w, svc, rev)["spec"]
    if pod.status != "unschedulable":
        spec["nodeName"] = pod.node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec, "status": pod_status(w, pod)}


def pod_status(w: World, pod: Pod) -> Obj:
    at, created = w.page_at, pod.created
    sched = created + timedelta(seconds=1)
    if pod.status == "unschedulable":
        return {
            "phase": "Pending",
            "qosClass": "Burstable",
            "conditions": [condition("PodScheduled", "False", sched, "Unschedulable", w.unschedulable_message)],
        }
    version = pod.revision.version if pod.revision else pod.svc.version
    image = image_of(w, pod.svc, version)
    ready = pod.serving(at)
    restarts = [r for r in pod.restarts if r <= at]
    started = restarts[-1] if restarts else created + timedelta(seconds=4)
    name = pod.service
    cs: Obj = {"name": name, "image": image, "restartCount": pod.restart_count(at), "ready": ready, "lastState": {}}
    if pod.status == "image_pull":
        reason = "ImagePullBackOff" if len(pod.name) % 2 else "ErrImagePull"
        cs.update(state={"waiting": {"reason": reason, "message": f'Back-off pulling image "{image}"'}}, started=False)
        cs["imageID"] = ""
    else:
        if pod.status == "crashloop":
            backoff = min(300, 10 * 2 ** max(0, len(restarts) - 1))
            back = f"{backoff // 60}m{backoff % 60}s" if backoff >= 60 else f"{backoff}s"
            uid = make_uid(w.name, "pod", pod.name)
            message = f"back-off {back} restarting failed container={name} pod={pod.name}_{w.ns}({uid})"
            cs.update(state={"waiting": {"reason": "CrashLoopBackOff", "message": message}}, started=False)
        else:
            cs.update(state={"running": {"startedAt": ts(started)}}, started=True)
        cs["imageID"] = f"{image.rsplit(':', 1)[0]}@sha256:{hexid(64, 'img', image)}"
        cs["containerID"] = container_id(pod.name, len(restarts))
        if pod.last_term:
            lt = pod.last_term
            cs["lastState"] = {
                "terminated": {
                    "exitCode": lt["exit_code"],
                    "reason": lt["reason"],
                    "startedAt": ts(lt["started"]),
                    "finishedAt": ts(lt["finished"]),
                    "containerID": container_id(pod.name, max(0, len(restarts) - 1)),
                }
            }
    if ready:
        since = started + timedelta(seconds=12)
        ready_c = condition("Ready", "True", since)
        cready = condition("ContainersReady", "True", since)
    else:
        since = max([created, *[a for a, _ in pod.down if a <= at], *restarts])
        msg = f"containers with unready status: [{name}]"
        ready_c = condition("Ready", "False", since, "ContainersNotReady", msg)
        cready = condition("ContainersReady", "False", since, "ContainersNotReady", msg)
    ip = pod_ip(w.name + pod.name)
    host = node_ip(pod.node or w.topo.nodes[0])
    return {
        "phase": "Pending" if pod.status == "image_pull" else "Running",
        "conditions": [
            condition("Initialized", "True", created),
            ready_c,
            cready,
            condition("PodScheduled", "True", sched),
        ],
        "hostIP": host,
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": ts(sched),
        "containerStatuses": [cs],
        "qosClass": "Burstable",
    }


def replicaset_object(w: World, rev: Revision) -> Obj:
    svc = w.svc(rev.service)
    pods = [p for p in w.pods_of(rev.service) if p.revision is rev and p.created <= w.page_at]
    ready = sum(1 for p in pods if p.serving(w.page_at))
    desired = w.desired.get(svc.name, svc.replicas)
    md = meta(w, "rs", rev.name, rev.created, labels={**labels_of(w, svc.name), "pod-template-hash": rev.hash})
    md["generation"] = 2 if rev.replicas == 0 else 1
    md["annotations"] = {
        "deployment.kubernetes.io/desired-replicas": str(desired),
        "deployment.kubernetes.io/max-replicas": str(desired + 1),
        "deployment.kubernetes.io/revision": str(rev.revision),
        "kubernetes.io/change-cause": rev.change_cause,
    }
    md["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": svc.name,
            "uid": make_uid(w.name, "deploy", svc.name),
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    status: Obj = {"replicas": len(pods), "observedGeneration": md["generation"]}
    if pods:
        status.update(fullyLabeledReplicas=len(pods), readyReplicas=ready, availableReplicas=ready)
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": md,
        "spec": {
            "replicas": rev.replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": svc.name, "pod-template-hash": rev.hash}},
            "template": template(w, svc, rev),
        },
        "status": status,
    }


def deployment_object(w: World, svc: Svc) -> Obj:
    revs = w.revisions[svc.name]
    cur = revs[-1]
    desired = w.desired.get(svc.name, svc.replicas)
    pods = [p for p in w.pods_of(svc.name) if p.created <= w.page_at]
    ready = sum(1 for p in pods if p.serving(w.page_at))
    updated = sum(1 for p in pods if p.revision is cur)
    md = meta(w, "deploy", svc.name, revs[0].created - timedelta(days=60), labels=labels_of(w, svc.name))
    md["generation"] = cur.revision + 2
    md["annotations"] = {
        "deployment.kubernetes.io/revision": str(cur.revision),
        "kubernetes.io/change-cause": cur.change_cause,
    }
    if ready >= desired - max(1, desired // 4) and ready > 0:
        avail = condition(
            "Available",
            "True",
            cur.created,
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            probe=False,
        )
    else:
        avail = condition(
            "Available",
            "False",
            w.page_at - timedelta(minutes=2),
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            probe=False,
        )
    if updated >= desired and ready >= desired:
        prog = condition(
            "Progressing",
            "True",
            cur.created,
            "NewReplicaSetAvailable",
            f'ReplicaSet "{cur.name}" has successfully progressed.',
            probe=False,
        )
    elif (w.page_at - cur.created).total_seconds() > PROGRESS_DEADLINE and cur.created > w.start:
        prog = condition(
            "Progressing",
            "False",
            cur.created + timedelta(seconds=PROGRESS_DEADLINE),
            "ProgressDeadlineExceeded",
            f'ReplicaSet "{cur.name}" has timed out progressing.',
            probe=False,
        )
    else:
        prog = condition(
            "Progressing",
            "True",
            cur.created,
            "ReplicaSetUpdated",
            f'ReplicaSet "{cur.name}" is progressing.',
            probe=False,
        )
    for c in (avail, prog):
        c["lastUpdateTime"] = c["lastTransitionTime"]
    status: Obj = {
        "observedGeneration": md["generation"],
        "replicas": len(pods),
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": [avail, prog],
    }
    if len(pods) > ready:
        status["unavailableReplicas"] = len(pods) - ready
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": md,
        "spec": {
            "replicas": desired,
            "selector": {"matchLabels": {"app.kubernetes.io/name": svc.name}},
            "template": template(w, svc, cur),
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": PROGRESS_DEADLINE,
        },
        "status": status,
    }


def statefulset_object(w: World, svc: Svc) -> Obj:
    pod = w.pods_of(svc.name)[0]
    md = meta(w, "sts", svc.name, pod.created - timedelta(days=30), labels=labels_of(w, svc.name), generation=3)
    ready = 1 if pod.serving(w.page_at) else 0
    rev = f"{svc.name}-{hexid(10, 'sts', w.name, svc.name)}"
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": md,
        "spec": {
            "replicas": 1,
            "serviceName": svc.name,
            "selector": {"matchLabels": {"app.kubernetes.io/name": svc.name}},
            "template": template(w, svc, None),
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "100Gi"}}},
                }
            ],
        },
        "status": {
            "observedGeneration": 3,
            "replicas": 1,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "currentReplicas": 1,
            "updatedReplicas": 1,
            "currentRevision": rev,
            "updateRevision": rev,
        },
    }


def service_object(w: World, svc: Svc) -> Obj:
    ip = cluster_ip(w.name + svc.name)
    port = {
        "name": "http" if not svc.is_store else svc.tech,
        "port": svc.port,
        "targetPort": svc.port,
        "protocol": "TCP",
    }
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(w, "svc", svc.name, EPOCH, labels=labels_of(w, svc.name)),
        "spec": {
            "type": "ClusterIP",
            "clusterIP": ip,
            "clusterIPs": [ip],
            "selector": {"app.kubernetes.io/name": svc.name},
            "ports": [port],
            "sessionAffinity": "None",
        },
        "status": {"loadBalancer": {}},
    }


def endpoints_object(w: World, svc: Svc) -> Obj:
    ready: list[Obj] = []
    not_ready: list[Obj] = []
    for pod in w.pods_of(svc.name):
        if pod.created > w.page_at or pod.status == "unschedulable":
            continue
        addr = {
            "ip": pod_ip(w.name + pod.name),
            "nodeName": pod.node,
            "targetRef": {"kind": "Pod", "namespace": w.ns, "name": pod.name, "uid": make_uid(w.name, "pod", pod.name)},
        }
        (ready if pod.serving(w.page_at) else not_ready).append(addr)
    subset: Obj = {"ports": [{"name": "http" if not svc.is_store else svc.tech, "port": svc.port, "protocol": "TCP"}]}
    if ready:
        subset["addresses"] = ready
    if not_ready:
        subset["notReadyAddresses"] = not_ready
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": meta(w, "ep", svc.name, EPOCH, labels=labels_of(w, svc.name)),
        "subsets": [subset] if ready or not_ready else [],
    }


def configmap_objects(w: World) -> list[Obj]:
    """``<service>-config`` for every app, with managedFields naming who set which keys and when."""
    out = []
    for svc in w.topo.apps():
        name = f"{svc.name}-config"
        spec = w.configmaps.get(name, {})
        created = w.revisions[svc.name][0].created - timedelta(days=3)
        data = spec.get("data") or default_config(w, svc)
        applied = spec.get("applied") or data
        edits: list[tuple[str, datetime, list[str]]] = spec.get("edits", [])
        md = meta(w, "cm", name, created, labels={"app.kubernetes.io/name": svc.name})
        last = {"apiVersion": "v1", "kind": "ConfigMap", "data": applied, "metadata": {"name": name, "namespace": w.ns}}
        md["annotations"] = {
            "kubectl.kubernetes.io/last-applied-configuration": json.dumps(last, sort_keys=True, separators=(",", ":"))
        }
        edited = {k for _, _, keys in edits for k in keys}
        managed = [
            {
                "manager": "argocd-controller",
                "operation": "Update",
                "apiVersion": "v1",
                "time": ts(created),
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {f"f:{k}": {} for k in sorted(applied) if k in data and k not in edited}},
            }
        ]
        for manager, at, keys in edits:
            managed.append(
                {
                    "manager": manager,
                    "operation": "Update",
                    "apiVersion": "v1",
                    "time": ts(at),
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {f"f:{k}": {} for k in sorted(keys) if k in data}},
                }
            )
        md["managedFields"] = managed
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": data})
    return out


def default_config(w: World, svc: Svc) -> dict[str, str]:
    data = {"LOG_LEVEL": "info", "HTTP_PORT": str(svc.port), "UPSTREAM_TIMEOUT_MS": "2000"}
    for dep in svc.deps:
        d = w.svc(dep)
        key = dep.upper().replace("-", "_")
        data[f"{key}_{'URL' if not d.is_store else 'ADDR'}"] = (
            f"http://{w.topo.host(dep)}:{d.port}" if not d.is_store else f"{w.topo.host(dep)}:{d.port}"
        )
    return data


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
    field_path: str | None = None,
) -> None:
    """An Event (kept an hour by the API server: older ones are not written)."""
    last = last or at
    if last < w.page_at - timedelta(hours=1):
        return
    api = "apps/v1" if kind in ("Deployment", "ReplicaSet", "StatefulSet") else "v1"
    involved: Obj = {"kind": kind, "name": name, "uid": make_uid(w.name, KEYS.get(kind, kind), name), "apiVersion": api}
    if kind != "Node":
        involved["namespace"] = w.ns
    if field_path:
        involved["fieldPath"] = field_path
    ev_name = f"{name}.{hexid(16, 'ev', w.name, name, reason, at.isoformat(), message)}"
    md = meta(w, "event", ev_name, at)
    if kind == "Node":
        md["namespace"] = "default"
    source = {"component": component, **({"host": host} if host else {})}
    w.events.append(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": md,
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": ts(at),
            "lastTimestamp": ts(last),
            "count": count,
            "type": type,
            "reportingComponent": component,
            "reportingInstance": host or "",
        }
    )
