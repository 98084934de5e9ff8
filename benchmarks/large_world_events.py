"""Events and container logs of the large benchmark world (see :mod:`benchmarks.large_world`)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.large_world_model import NAMESPACE, NODES, PRESSURED_NODE, Obj, Service, digest, ts, uid

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
    name = f"{obj}.{digest('ev', obj, reason, at).hex()[:16]}"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": NAMESPACE, "uid": uid("ev", name), "creationTimestamp": ts(at)},
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
