"""The cluster's Nodes: healthy unless a fault or confounder set a condition or a taint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from _gen.k8s import EPOCH, node_ip
from _gen.world import hexid, make_uid, ts

from _synth.model import World

HEALTHY = {
    "MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
}


def node_objects(w: World) -> list[dict[str, Any]]:
    out = []
    region = w.topo.nodes[0].split(".")[1]
    for i, name in enumerate(w.topo.nodes):
        zone = region + "abc"[i % 3]
        created = EPOCH + timedelta(days=150 + i * 3, hours=i)
        conditions = []
        for ctype, healthy in HEALTHY.items():
            status, reason, message = healthy
            changed = created + timedelta(seconds=40)
            if over := w.node_conditions.get(name, {}).get(ctype):
                status, reason, message, changed = over
            conditions.append(
                {
                    "type": ctype,
                    "status": status,
                    "lastHeartbeatTime": ts(w.page_at - timedelta(seconds=7 + i * 3)),
                    "lastTransitionTime": ts(changed),
                    "reason": reason,
                    "message": message,
                }
            )
        spec: dict[str, Any] = {"providerID": f"aws:///{zone}/i-0{hexid(16, 'ec2', w.name, name)}"}
        if name in w.node_taints:
            spec["taints"] = w.node_taints[name]
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "uid": make_uid(w.name, "node", name),
                    "resourceVersion": str(20_000_000 + i),
                    "creationTimestamp": ts(created),
                    "labels": {
                        "kubernetes.io/hostname": name,
                        "kubernetes.io/os": "linux",
                        "node.kubernetes.io/instance-type": "m6i.xlarge",
                        "topology.kubernetes.io/zone": zone,
                        "topology.kubernetes.io/region": region,
                    },
                },
                "spec": spec,
                "status": {
                    "capacity": {"cpu": "4", "memory": "16064752Ki", "pods": "58"},
                    "allocatable": {"cpu": "3920m", "memory": "15047920Ki", "pods": "58"},
                    "conditions": conditions,
                    "addresses": [
                        {"type": "InternalIP", "address": node_ip(name)},
                        {"type": "Hostname", "address": name},
                    ],
                    "nodeInfo": {
                        "kubeletVersion": "v1.30.4-eks-a737599",
                        "containerRuntimeVersion": "containerd://1.7.22",
                        "osImage": "Amazon Linux 2023.5.20240916",
                        "architecture": "amd64",
                    },
                },
            }
        )
    return out
