"""Kubernetes objects of the large benchmark world (see :mod:`benchmarks.large_world`).

Objects have the shape and roughly the size the API serves (full pod specs with probes and
resources, container statuses, managedFields), so listing and decoding them costs what it costs
against a real cluster.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from benchmarks.large_world_model import NAMESPACE, NODES, PRESSURED_NODE, REGISTRY, Obj, Service, digest, ts, uid


def _template(s: Service, revision: int) -> Obj:
    container = {
        "name": s.name,
        "image": s.image(revision),
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "GOMAXPROCS", "value": "2"}],
        "envFrom": [{"configMapRef": {"name": f"{s.name}-config"}}],
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "250m", "memory": "512Mi"}},
        "livenessProbe": {
            "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
            "periodSeconds": 10,
            "timeoutSeconds": 1,
            "successThreshold": 1,
            "failureThreshold": 3,
        },
        "readinessProbe": {
            "httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP"},
            "periodSeconds": 5,
            "timeoutSeconds": 1,
            "successThreshold": 1,
            "failureThreshold": 3,
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    return {
        "metadata": {"labels": {**s.labels(), "pod-template-hash": s.rs_name(revision).rsplit("-", 1)[1]}},
        "spec": {
            "containers": [container],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": s.name,
            "schedulerName": "default-scheduler",
            "securityContext": {},
        },
    }


def _cond(kind: str, status: bool, at: datetime) -> Obj:
    return {"type": kind, "status": "True" if status else "False", "lastProbeTime": None, "lastTransitionTime": ts(at)}


def pods(s: Service) -> list[Obj]:
    out = []
    rs = s.rs_name(s.revision)
    for j, name in enumerate(s.pod_names(s.revision)):
        created = s.rollout + timedelta(seconds=5 + 7 * j)
        template = _template(s, s.revision)
        state: Obj = {"running": {"startedAt": ts(created + timedelta(seconds=3))}}
        last: Obj = {}
        restarts, ready = 0, True
        if j < 2 and s.fault == "crashloop" and s.onset:
            state = {
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off 5m0s restarting failed container={s.name} pod={name}",
                }
            }
            last = {
                "terminated": {
                    "exitCode": 1,
                    "reason": "Error",
                    "startedAt": ts(s.onset),
                    "finishedAt": ts(s.onset + timedelta(minutes=1)),
                }
            }
            restarts, ready = 7, False
        elif j < 2 and s.fault == "oom" and s.onset:
            state = {"running": {"startedAt": ts(s.onset + timedelta(minutes=6))}}
            last = {
                "terminated": {
                    "exitCode": 137,
                    "reason": "OOMKilled",
                    "startedAt": ts(created),
                    "finishedAt": ts(s.onset + timedelta(minutes=6)),
                }
            }
            restarts = 3
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": name,
                    "namespace": NAMESPACE,
                    "uid": uid("pod", name),
                    "generateName": f"{rs}-",
                    "creationTimestamp": ts(created),
                    "labels": template["metadata"]["labels"],
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "ReplicaSet",
                            "name": rs,
                            "uid": uid("rs", rs),
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "spec": {**template["spec"], "nodeName": NODES[(s.index * 7 + j) % len(NODES)]},
                "status": {
                    "phase": "Running",
                    "hostIP": f"10.0.0.{j + 1}",
                    "podIP": f"10.1.{s.index % 250}.{j + 10}",
                    "startTime": ts(created),
                    "qosClass": "Burstable",
                    "conditions": [
                        _cond("Initialized", True, created),
                        _cond("Ready", ready, created),
                        _cond("ContainersReady", ready, created),
                        _cond("PodScheduled", True, created),
                    ],
                    "containerStatuses": [
                        {
                            "name": s.name,
                            "image": s.image(s.revision),
                            "imageID": f"{REGISTRY}/{s.name}@sha256:" + digest("img", s.name, s.revision).hex(),
                            "ready": ready,
                            "started": ready,
                            "restartCount": restarts,
                            "state": state,
                            "lastState": last,
                            "containerID": "containerd://" + digest("c", name).hex(),
                        }
                    ],
                },
            }
        )
    return out


def deployment(s: Service) -> Obj:
    ready = s.replicas - (2 if s.fault == "crashloop" else 0)
    rs = s.rs_name(s.revision)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": s.name,
            "namespace": NAMESPACE,
            "uid": uid("deploy", s.name),
            "labels": s.labels(),
            "creationTimestamp": ts(s.created(s.revision - 3)),
            "generation": s.revision + 2,
            "annotations": {
                "deployment.kubernetes.io/revision": str(s.revision),
                "kubernetes.io/change-cause": f"deploy {s.image(s.revision).rsplit(':', 1)[1]}",
            },
        },
        "spec": {
            "replicas": s.replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": s.name}},
            "template": _template(s, s.revision),
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        },
        "status": {
            "observedGeneration": s.revision + 2,
            "replicas": s.replicas,
            "updatedReplicas": s.replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "reason": "MinimumReplicasAvailable",
                    "lastTransitionTime": ts(s.rollout),
                    "lastUpdateTime": ts(s.rollout),
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable",
                    "message": f'ReplicaSet "{rs}" has successfully progressed.',
                    "lastTransitionTime": ts(s.rollout),
                    "lastUpdateTime": ts(s.rollout),
                },
            ],
        },
    }


def replicasets(s: Service) -> list[Obj]:
    out = []
    for rev in range(s.revision - s.revisions + 1, s.revision + 1):
        name, current = s.rs_name(rev), rev == s.revision
        replicas = s.replicas if current else 0
        template = _template(s, rev)
        out.append(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": name,
                    "namespace": NAMESPACE,
                    "uid": uid("rs", name),
                    "creationTimestamp": ts(s.created(rev)),
                    "labels": template["metadata"]["labels"],
                    "annotations": {
                        "deployment.kubernetes.io/revision": str(rev),
                        "deployment.kubernetes.io/desired-replicas": str(s.replicas),
                        "kubernetes.io/change-cause": f"deploy {s.image(rev).rsplit(':', 1)[1]}",
                    },
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": s.name,
                            "uid": uid("deploy", s.name),
                            "controller": True,
                            "blockOwnerDeletion": True,
                        }
                    ],
                },
                "spec": {
                    "replicas": replicas,
                    "template": template,
                    "selector": {"matchLabels": template["metadata"]["labels"]},
                },
                "status": {"replicas": replicas, "readyReplicas": replicas, "observedGeneration": 1},
            }
        )
    return out


def configmap(s: Service, page_at: datetime) -> Obj:
    written = page_at - timedelta(minutes=10 + s.index % 50) if s.index % 17 == 0 else s.rollout - timedelta(days=1)
    data = {"HTTP_PORT": "8080", "UPSTREAM_TIMEOUT_MS": str(500 + s.index), "FEATURE_FLAGS": "search-v2,fast-cart"}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{s.name}-config",
            "namespace": NAMESPACE,
            "uid": uid("cm", s.name),
            "creationTimestamp": ts(s.created(s.revision - 3)),
            "labels": {"app.kubernetes.io/name": s.name},
            "managedFields": [
                {
                    "manager": "argocd-controller",
                    "operation": "Apply",
                    "apiVersion": "v1",
                    "time": ts(written),
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:data": {f"f:{k}": {} for k in data}},
                }
            ],
        },
        "data": data,
    }


def nodes(page_at: datetime) -> list[Obj]:
    out = []
    for i, name in enumerate(NODES):
        boot = page_at - timedelta(days=30 + i)
        pressure = name == PRESSURED_NODE
        conds = [
            ("MemoryPressure", pressure, "KubeletHasInsufficientMemory" if pressure else "KubeletHasSufficientMemory"),
            ("DiskPressure", False, "KubeletHasNoDiskPressure"),
            ("PIDPressure", False, "KubeletHasSufficientPID"),
            ("Ready", True, "KubeletReady"),
        ]
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "uid": uid("node", name),
                    "creationTimestamp": ts(boot),
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "node.kubernetes.io/instance-type": "m6i.2xlarge",
                        "topology.kubernetes.io/zone": f"eu-west-1{'abc'[i % 3]}",
                    },
                },
                "spec": {"providerID": f"aws:///eu-west-1a/i-{digest('i', name).hex()[:17]}"},
                "status": {
                    "allocatable": {"cpu": "7910m", "memory": "31000000Ki", "pods": "110"},
                    "capacity": {"cpu": "8", "memory": "32500000Ki", "pods": "110"},
                    "conditions": [
                        {
                            "type": t,
                            "status": "True" if st else "False",
                            "reason": r,
                            "lastHeartbeatTime": ts(page_at - timedelta(seconds=20)),
                            "lastTransitionTime": ts(page_at - timedelta(minutes=25) if pressure and st else boot),
                        }
                        for t, st, r in conds
                    ],
                    "nodeInfo": {
                        "kubeletVersion": "v1.30.4",
                        "containerRuntimeVersion": "containerd://1.7.22",
                        "osImage": "Amazon Linux 2023",
                        "architecture": "amd64",
                        "operatingSystem": "linux",
                    },
                },
            }
        )
    return out
