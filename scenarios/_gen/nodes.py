"""The cluster's Nodes (healthy unless a scenario overrides a condition)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from _gen.k8s import EPOCH, node_ip, object_meta
from _gen.model import World
from _gen.world import NODES, hexid, make_uid, ts


def node_objects(w: World) -> list[dict[str, Any]]:
    out = []
    for i, name in enumerate(NODES):
        zone = "eu-west-1" + "abc"[i % 3]
        meta = object_meta("node", name, EPOCH + timedelta(days=200 + i * 3, hours=i))
        meta.pop("namespace")
        meta["labels"] = {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": "m6i.xlarge",
            "topology.kubernetes.io/zone": zone,
            "topology.kubernetes.io/region": "eu-west-1",
            "eks.amazonaws.com/nodegroup": "shop-general",
        }
        since = datetime.fromisoformat(meta["creationTimestamp"].replace("Z", "+00:00")) + timedelta(seconds=40)
        healthy = {
            "MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
        }
        conditions = []
        for ctype, (status, reason, message) in healthy.items():
            changed = since
            over = w.node_overrides.get(name, {}).get(ctype)
            if over:
                status, reason, message, changed = over
            conditions.append(
                {
                    "type": ctype,
                    "status": status,
                    "lastHeartbeatTime": ts(w.page_at - timedelta(seconds=7 + i * 5)),
                    "lastTransitionTime": ts(changed),
                    "reason": reason,
                    "message": message,
                }
            )
        ip = node_ip(name)
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": meta,
                "spec": {"providerID": f"aws:///{zone}/i-0{hexid(16, 'ec2', name)}"},
                "status": {
                    "capacity": {"cpu": "4", "memory": "16064752Ki", "pods": "58", "ephemeral-storage": "83873772Ki"},
                    "allocatable": {
                        "cpu": "3920m",
                        "memory": "15047920Ki",
                        "pods": "58",
                        "ephemeral-storage": "76224326324",
                    },
                    "conditions": conditions,
                    "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                    "nodeInfo": {
                        "kubeletVersion": "v1.30.4-eks-a737599",
                        "kubeProxyVersion": "v1.30.4-eks-a737599",
                        "containerRuntimeVersion": "containerd://1.7.22",
                        "operatingSystem": "linux",
                        "architecture": "amd64",
                        "osImage": "Amazon Linux 2023.5.20240916",
                        "kernelVersion": "6.1.109-118.189.amzn2023.x86_64",
                        "machineID": hexid(32, "mid", name),
                        "systemUUID": make_uid("sys", name),
                        "bootID": make_uid("boot", name),
                    },
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                },
            }
        )
    return out
