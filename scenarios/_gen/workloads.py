"""Deployments, ReplicaSets, StatefulSets and Services as the API server serves them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from _gen.k8s import EPOCH, PROGRESS_DEADLINE, condition, labels_of, object_meta, pod_object, template
from _gen.model import Revision, World
from _gen.world import BY_NAME, SERVICES, Service, digest, hexid, make_uid


def replicaset_object(w: World, rev: Revision) -> dict[str, Any]:
    svc = BY_NAME[rev.service]
    pods = [p for p in w.pods_of(rev.service) if p.revision is rev and p.created <= w.page_at]
    ready = sum(1 for p in pods if p.serving(w.page_at))
    meta = object_meta(
        "rs",
        rev.name,
        rev.created,
        generation=2 if rev.replicas == 0 else 1,
        labels={**labels_of(svc.name), "pod-template-hash": rev.hash},
    )
    meta["annotations"] = {
        "deployment.kubernetes.io/desired-replicas": str(w.desired.get(svc.name, svc.replicas)),
        "deployment.kubernetes.io/max-replicas": str(w.desired.get(svc.name, svc.replicas) + 1),
        "deployment.kubernetes.io/revision": str(rev.revision),
        "kubernetes.io/change-cause": rev.change_cause,
    }
    meta["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": svc.name,
            "uid": make_uid("deploy", svc.name),
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    status: dict[str, Any] = {"replicas": len(pods), "observedGeneration": meta["generation"]}
    if pods:
        status.update(fullyLabeledReplicas=len(pods), readyReplicas=ready, availableReplicas=ready)
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta,
        "spec": {
            "replicas": rev.replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": svc.name, "pod-template-hash": rev.hash}},
            "template": template(svc, rev),
        },
        "status": status,
    }


def deployment_object(w: World, svc: Service) -> dict[str, Any]:
    revs = w.revisions[svc.name]
    cur = revs[-1]
    desired = w.desired.get(svc.name, svc.replicas)
    pods = [p for p in w.pods_of(svc.name) if p.created <= w.page_at]
    ready = sum(1 for p in pods if p.serving(w.page_at))
    updated = sum(1 for p in pods if p.revision is cur)
    meta = object_meta(
        "deploy",
        svc.name,
        revs[0].created - timedelta(days=90),
        generation=cur.revision + 3,
        labels=labels_of(svc.name),
    )
    meta["annotations"] = {
        "deployment.kubernetes.io/revision": str(cur.revision),
        "kubernetes.io/change-cause": cur.change_cause,
    }
    min_avail = desired - max(1, desired // 4)
    if ready >= min_avail:
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
    elif (w.page_at - cur.created).total_seconds() > PROGRESS_DEADLINE:
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
    status: dict[str, Any] = {
        "observedGeneration": meta["generation"],
        "replicas": len(pods),
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": [avail, prog],
    }
    if len(pods) - ready > 0:
        status["unavailableReplicas"] = len(pods) - ready
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": desired,
            "selector": {"matchLabels": {"app.kubernetes.io/name": svc.name}},
            "template": template(svc, cur),
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": PROGRESS_DEADLINE,
        },
        "status": status,
    }


def statefulset_object(w: World, svc: Service) -> dict[str, Any]:
    pod = w.pods_of(svc.name)[0]
    meta = object_meta("sts", svc.name, pod.created - timedelta(days=30), generation=4, labels=labels_of(svc.name))
    ready = 1 if pod.serving(w.page_at) else 0
    rev = f"{svc.name}-{hexid(10, 'sts', svc.name)}"
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta,
        "spec": {
            "replicas": 1,
            "serviceName": svc.name,
            "selector": {"matchLabels": {"app.kubernetes.io/name": svc.name}},
            "template": template(svc, None),
            "podManagementPolicy": "OrderedReady",
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        },
        "status": {
            "observedGeneration": 4,
            "replicas": 1,
            "readyReplicas": ready,
            "currentReplicas": 1,
            "updatedReplicas": 1,
            "availableReplicas": ready,
            "currentRevision": rev,
            "updateRevision": rev,
            "collisionCount": 0,
        },
    }


def cluster_ip(name: str) -> str:
    d = digest("clusterip", name)
    return f"172.20.{d[0]}.{d[1] % 250 + 2}"


def service_object(svc: Service) -> dict[str, Any]:
    meta = object_meta("svc", svc.name, EPOCH, labels=labels_of(svc.name))
    ip = cluster_ip(svc.name)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {
            "type": "ClusterIP",
            "clusterIP": ip,
            "clusterIPs": [ip],
            "selector": {"app.kubernetes.io/name": svc.name},
            "ports": [
                {
                    "name": "http" if svc.kind == "Component" else svc.lang,
                    "port": svc.port,
                    "targetPort": svc.port,
                    "protocol": "TCP",
                }
            ],
            "sessionAffinity": "None",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
        },
        "status": {"loadBalancer": {}},
    }


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
