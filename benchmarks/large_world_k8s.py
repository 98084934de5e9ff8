"""Kubernetes objects and logs of the large benchmark world (see :mod:`benchmarks.large_world`).

Objects have the shape and roughly the size the API serves (full pod specs with probes and
resources, container statuses, managedFields), so listing and decoding them costs what it costs
against a real cluster.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NAMESPACE = "prod"
REGISTRY = "registry.example.com"
NODES = tuple(f"ip-10-0-{a}-{b}.ec2.internal" for a in range(1, 4) for b in (11, 23, 37, 52, 68, 74, 89, 95))
PRESSURED_NODE = NODES[5]
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
Obj = dict[str, Any]


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()


def _suffix(n: int, *parts: object) -> str:
    return "".join(_SAFE[b % len(_SAFE)] for b in _digest(*parts)[:n])


def _uid(*parts: object) -> str:
    return str(uuid.UUID(bytes=_digest("uid", *parts)[:16], version=4))


def ts(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Service:
    index: int
    name: str
    domain: str
    replicas: int
    revisions: int
    rollout: datetime
    """Creation time of the current ReplicaSet."""
    fault: str | None
    onset: datetime | None
    rps: float
    latency: float
    cpu: float
    mem: float
    deps: tuple[str, ...]

    @property
    def revision(self) -> int:
        return 5 + self.index % 40

    def rs_name(self, revision: int) -> str:
        return f"{self.name}-{_suffix(10, self.name, revision)}"

    def image(self, revision: int) -> str:
        return f"{REGISTRY}/{self.domain}/{self.name}:1.{revision}.{self.index % 7}"

    def created(self, revision: int) -> datetime:
        back = self.revision - revision
        return self.rollout - timedelta(days=3 * back, hours=self.index % 5 * back)

    def pod_names(self, revision: int) -> list[str]:
        return [f"{self.rs_name(revision)}-{_suffix(5, self.name, revision, j)}" for j in range(self.replicas)]

    def pod_series(self, since: datetime) -> Iterator[tuple[str, random.Random, datetime, datetime | None]]:
        """(pod, rng, alive from, alive until) of every pod with metrics after ``since``: the current
        ones, and the previous revision's when the rollout happened after ``since``."""
        for pod in self.pod_names(self.revision):
            yield pod, random.Random(pod), self.rollout, None
        if self.rollout > since:
            for pod in self.pod_names(self.revision - 1):
                yield pod, random.Random(pod), since, self.rollout + timedelta(minutes=1)

    def pod_labels(self, pod: str) -> str:
        return f'namespace="{NAMESPACE}",service="{self.name}",pod="{pod}"'

    def labels(self) -> dict[str, str]:
        return {"app.kubernetes.io/name": self.name, "app.kubernetes.io/part-of": self.domain}


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
                    "uid": _uid("pod", name),
                    "generateName": f"{rs}-",
                    "creationTimestamp": ts(created),
                    "labels": template["metadata"]["labels"],
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "ReplicaSet",
                            "name": rs,
                            "uid": _uid("rs", rs),
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
                            "imageID": f"{REGISTRY}/{s.name}@sha256:" + _digest("img", s.name, s.revision).hex(),
                            "ready": ready,
                            "started": ready,
                            "restartCount": restarts,
                            "state": state,
                            "lastState": last,
                            "containerID": "containerd://" + _digest("c", name).hex(),
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
            "uid": _uid("deploy", s.name),
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
                    "uid": _uid("rs", name),
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
                            "uid": _uid("deploy", s.name),
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
            "uid": _uid("cm", s.name),
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
                    "uid": _uid("node", name),
                    "creationTimestamp": ts(boot),
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "node.kubernetes.io/instance-type": "m6i.2xlarge",
                        "topology.kubernetes.io/zone": f"eu-west-1{'abc'[i % 3]}",
                    },
                },
                "spec": {"providerID": f"aws:///eu-west-1a/i-{_digest('i', name).hex()[:17]}"},
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


_NORMAL = (
    ("Pulled", 'Container image "{image}" already present on machine'),
    ("Created", "Created container {c}"),
    ("Started", "Started container {c}"),
    ("Killing", "Stopping container {c}"),
)
_WARNING = (
    ("Unhealthy", 'Readiness probe failed: Get "http://{ip}:8080/ready": context deadline exceeded'),
    ("Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 503"),
    ("BackOff", "Back-off restarting failed container {c} in pod {pod}"),
    (
        "FailedMount",
        'MountVolume.SetUp failed for volume "kube-api-access" : object "prod"/"kube-root-ca.crt" not registered',
    ),
)


def _event(kind: str, obj: str, reason: str, message: str, etype: str, at: datetime, count: int, node: str) -> Obj:
    name = f"{obj}.{_digest('ev', obj, reason, at).hex()[:16]}"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": NAMESPACE, "uid": _uid("ev", name), "creationTimestamp": ts(at)},
        "involvedObject": {
            "kind": kind,
            "namespace": NAMESPACE if kind != "Node" else "",
            "name": obj,
            "apiVersion": "apps/v1" if kind in ("Deployment", "ReplicaSet") else "v1",
        },
        "reason": reason,
        "message": message,
        "type": etype,
        "count": count,
        "source": {"component": "kubelet", "host": node},
        "firstTimestamp": ts(at - timedelta(minutes=count - 1)),
        "lastTimestamp": ts(at),
        "eventTime": None,
        "reportingComponent": "kubelet",
        "reportingInstance": node,
    }


def events(svcs: list[Service], page_at: datetime) -> list[Obj]:
    """Five events per pod over the 100 minutes before the page (a quarter Warning, more on faulty
    services), a rollout event per service, and memory-pressure warnings on one node."""
    out: list[Obj] = []
    for s in svcs:
        rng = random.Random(f"events-{s.index}")
        warn_share = 0.6 if s.fault else 0.25
        for j, pod in enumerate(s.pod_names(s.revision)):
            node = NODES[(s.index * 7 + j) % len(NODES)]
            for _ in range(5):
                at = page_at - timedelta(seconds=rng.randrange(5, 6000))
                warning = rng.random() < warn_share
                reason, text = rng.choice(_WARNING if warning else _NORMAL)
                if warning and s.fault == "crashloop" and j < 2:
                    reason, text = _WARNING[2]
                message = text.format(image=s.image(s.revision), c=s.name, pod=pod, ip=f"10.1.{s.index % 250}.{j}")
                out.append(
                    _event(
                        "Pod",
                        pod,
                        reason,
                        message,
                        "Warning" if warning else "Normal",
                        at,
                        rng.randrange(1, 30) if warning else 1,
                        node,
                    )
                )
        at = max(s.rollout, page_at - timedelta(minutes=95))
        out.append(
            _event(
                "Deployment",
                s.name,
                "ScalingReplicaSet",
                f"Scaled up replica set {s.rs_name(s.revision)} to {s.replicas}",
                "Normal",
                at,
                1,
                "",
            )
        )
    for k in range(40):
        at = page_at - timedelta(minutes=25) + timedelta(seconds=30 * k)
        out.append(
            _event(
                "Node",
                PRESSURED_NODE,
                "EvictionThresholdMet",
                "Attempting to reclaim memory",
                "Warning",
                at,
                1,
                PRESSURED_NODE,
            )
        )
    out.sort(key=lambda e: e["lastTimestamp"])
    return out


def logs(svcs: list[Service], root: Path, page_at: datetime) -> int:
    """Current and previous container logs of the unhealthy pods; return the number of files."""
    count = 0
    for s in svcs:
        if s.fault not in ("crashloop", "oom") or s.onset is None:
            continue
        for pod in s.pod_names(s.revision)[:2]:
            folder = root / NAMESPACE / pod
            folder.mkdir(parents=True, exist_ok=True)
            for previous in (False, True):
                start = s.onset if previous else s.onset + timedelta(minutes=6)
                lines = [
                    f'{ts(start + timedelta(seconds=k))} level=info msg="handled request" path=/api/v1/items '
                    f"status=200 duration_ms={12 + k % 40}"
                    for k in range(180)
                ]
                lines.append(
                    f'{ts(start + timedelta(seconds=181))} level=error msg="upstream '
                    f'{s.deps[0] if s.deps else "db"} unavailable: connection refused"'
                )
                if s.fault == "crashloop":
                    lines.append(
                        f'{ts(start + timedelta(seconds=182))} level=fatal msg="cannot load config: '
                        'missing key PAYMENT_GATEWAY_URL"'
                    )
                else:
                    lines.append(f'{ts(start + timedelta(seconds=182))} level=warn msg="heap 97% of limit"')
                name = f"{s.name}.previous.log" if previous else f"{s.name}.log"
                (folder / name).write_text("\n".join(lines) + "\n")
                count += 1
    return count
