"""The closed vocabulary of hypothesis kinds (docs/SCENARIOS.md), shared by the analyzer,
the agent, runbooks and scoring. New kinds may be added; these names never change meaning."""

from __future__ import annotations

from typing import Literal, get_args

Kind = Literal[
    "deploy_regression",
    "config_change",
    "crashloop",
    "oom",
    "image_pull",
    "unschedulable",
    "probe_failure",
    "resource_saturation",
    "dependency_failure",
    "network",
    "traffic_surge",
    "node_failure",
    "storage",
    "certificate",
    "code_error",
    "unknown",
]

KINDS: tuple[str, ...] = get_args(Kind)

MEANING: dict[str, str] = {
    "deploy_regression": "a rollout or release shortly before onset caused it",
    "config_change": "a ConfigMap, Secret, flag or config change caused it",
    "crashloop": "the process exits on start (bad env, missing config, failing dependency at boot)",
    "oom": "containers killed for exceeding their memory limit",
    "image_pull": "the image cannot be pulled (bad tag, registry, auth)",
    "unschedulable": "pods cannot be placed (resources, quota, taints, affinity)",
    "probe_failure": "readiness or liveness probes failing",
    "resource_saturation": "CPU contention or throttling, memory or disk pressure without OOM",
    "dependency_failure": "a dependency of the paged component is failing",
    "network": "latency, packet loss, DNS, network policy",
    "traffic_surge": "load above normal drives the symptom",
    "node_failure": "a node NotReady or under pressure",
    "storage": "volume full, PVC pending, I/O errors",
    "certificate": "TLS certificate expired or invalid",
    "code_error": "application errors or wrong results with no change or infra cause",
    "unknown": "evidence points nowhere yet",
}
