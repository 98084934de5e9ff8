"""Faults below the application: datastores, the network, nodes, volumes and certificates."""

from __future__ import annotations

from datetime import datetime, timedelta

from _gen.world import ts

from _synth import logs
from _synth.actions import probe_event, restart
from _synth.fault import Fault, spread
from _synth.kube import event
from _synth.model import World

STORE_MODES = {
    "postgres": ("too_many", "timeout", "refused"),
    "mysql": ("too_many", "timeout", "refused"),
    "redis": ("readonly", "timeout", "refused"),
    "kafka": ("timeout", "refused"),
    "rabbitmq": ("timeout", "refused"),
}


def _own(w: World, name: str, since: datetime, text: str, *, level: str = "ERROR", every: float = 20.0) -> None:
    pod = w.pods_of(name)[0]
    t = since
    while t < w.page_at:
        logs.log(w, pod, t, logs.line(pod, t, level, text))
        t += timedelta(seconds=every * (0.6 + 0.8 * w.rng.random()))


def dependency_failure(w: World, f: Fault) -> None:
    store = w.svc(f.cause)
    f.mode = w.rng.choice(STORE_MODES[store.tech])
    pod = w.pods_of(f.cause)[0]
    w.cpu_demand[f.cause] = store.cpu
    if f.mode == "too_many":
        w.episode(f.cause, f.onset - timedelta(seconds=60), ramp=120, lat=14.0, cpu=4.0)
        _own(
            w,
            f.cause,
            f.onset,
            "FATAL:  remaining connection slots are reserved for non-replication superuser connections"
            if store.tech == "postgres"
            else "Aborted connection: Too many connections",
        )
        what = "runs out of connections (long-running queries hold them)"
    elif f.mode == "timeout":
        w.episode(f.cause, f.onset - timedelta(seconds=60), ramp=120, lat=8.0, cpu=4.5)
        _own(
            w,
            f.cause,
            f.onset,
            "slow operation: took 4870ms (lock wait)"
            if store.tech != "redis"
            else "Slow log: KEYS * took 4.2s, blocking the event loop",
            level="WARNING",
        )
        what = "stalls on a long lock wait / blocking command; clients time out"
    elif f.mode == "readonly":
        _own(
            w,
            f.cause,
            f.onset,
            "MASTER MODE disabled: connected to new master; this instance is now a replica (failover)",
            level="WARNING",
            every=120,
        )
        what = "was demoted to a read-only replica by a failover; writes fail with READONLY"
    else:
        kills = [f.onset + timedelta(seconds=5)]
        restart(w, pod, kills, "Error", 137)
        pod.down = [(f.onset, w.page_at + timedelta(hours=1))]
        probe_event(
            w,
            pod,
            "Readiness",
            f.onset + timedelta(seconds=10),
            "dial tcp: connect: connection refused",
            count=int((w.page_at - f.onset).total_seconds() // 10),
            last=w.page_at - timedelta(seconds=5),
        )
        _own(
            w,
            f.cause,
            f.onset + timedelta(seconds=8),
            "starting crash recovery: replaying log segments",
            level="INFO",
            every=60,
        )
        what = "went down and is still recovering; connections are refused"
    spread(w, f)
    f.description = f"{f.cause} ({store.tech}) {what} from {ts(f.onset)}; its callers fail."
    f.notes = "Callers log failures naming the datastore; the datastore's own logs and metrics show it."


def network(w: World, f: Fault) -> None:
    svc = w.svc(f.cause)
    deps = svc.deps or [f.cause]
    dep = w.rng.choice(deps)
    if w.rng.random() < 0.5 and svc.deps:
        at = f.onset - timedelta(seconds=w.rng.randrange(60, 240))
        for pod in w.pods_of(f.cause):
            if pod.status == "running":
                logs.caller_errors(w, pod, dep, "dns", f.onset, every=12)
        f.description = (
            f"{f.cause} can no longer resolve {w.topo.host(dep)} (DNS over UDP blocked by an egress "
            f"policy synced at {ts(at)}); {dep} itself is healthy."
        )
        f.notes = "Name-resolution failures in the cause's logs only; the named dependency is healthy."
        f.also_accept = ["config_change"]
    else:
        for pod in w.pods_of(f.cause):
            if pod.status != "running":
                continue
            t = f.onset
            while t < w.page_at:
                logs.log(
                    w,
                    pod,
                    t,
                    logs.line(
                        pod,
                        t,
                        "WARN",
                        f"read tcp {w.topo.host(dep)}:{w.svc(dep).port}: i/o timeout; retrying",
                        "client",
                        attempt=w.rng.randrange(1, 4),
                    ),
                )
                t += timedelta(seconds=20 * (0.6 + 0.8 * w.rng.random()))
        f.description = (
            f"Packet loss on {f.cause}'s network path from {ts(f.onset)}: calls retransmit and time out; "
            "CPU stays flat."
        )
        f.notes = "Latency and timeouts at the cause without CPU, memory or dependency trouble."
    spread(w, f, sigma_add=0.25)


def node_failure(w: World, f: Fault) -> None:
    node = f.node or w.rng.choice(w.topo.nodes)
    f.node = node
    notready = f.onset - timedelta(seconds=40)
    heartbeat = notready - timedelta(seconds=40)
    w.node_conditions[node] = {
        ctype: ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.", notready)
        for ctype in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")
    }
    w.node_taints[node] = [
        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": ts(notready)},
        {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": ts(notready)},
    ]
    event(
        w,
        "Node",
        node,
        "NodeNotReady",
        f"Node {node} status is now: NodeNotReady",
        notready,
        component="node-controller",
    )
    lost = [p for p in w.pods if p.node == node and p.alive(notready)]
    for pod in lost:
        pod.down = [(notready, w.page_at + timedelta(hours=1))]
        pod.scrape_until = heartbeat
        event(
            w,
            "Pod",
            pod.name,
            "NodeNotReady",
            "Node is not ready",
            notready + timedelta(seconds=1),
            type="Warning",
            component="node-controller",
        )
    svc = w.svc(f.cause)
    remaining = len([p for p in w.pods_of(f.cause) if p not in lost])
    w.episode(f.cause, f.onset, ramp=60, lat=1.0 + svc.replicas / max(remaining, 1) * 0.8)
    spread(w, f)
    f.description = (
        f"Node {node} stopped posting status at {ts(heartbeat)} (Ready=Unknown); {f.cause}'s pods on it "
        "went NotReady and the rest carry its traffic."
    )
    f.notes = f"Pods of {len({p.service for p in lost})} services ran on the node; the paged path loses {f.cause}."


def storage(w: World, f: Fault) -> None:
    store = w.svc(f.cause)
    capacity = w.rng.choice((50, 100, 200)) * 1024**3
    full_at = f.onset
    start = w.start - timedelta(hours=6)
    rate = capacity * 0.95 * 0.25 / (full_at - start).total_seconds()

    def used(t: datetime) -> float:
        return capacity * 0.95 - max(0.0, (full_at - t).total_seconds()) * rate

    w.volumes[f.cause] = (capacity, used)
    text = {
        "postgres": 'ERROR:  could not extend file "base/16384/24712": No space left on device',
        "mysql": "[ERROR] [MY-012639] [InnoDB] Write to file ./ibdata1 failed: No space left on device",
        "redis": "Background saving error: write error on temp file: No space left on device",
        "kafka": "Error while appending records: java.io.IOException: No space left on device",
        "rabbitmq": "disk free space insufficient; publishers blocked (disk_free_limit)",
    }[store.tech]
    _own(w, f.cause, f.onset, text, every=15)
    f.mode = "disk_full"
    f.also_accept = ["dependency_failure"]
    spread(w, f)
    f.description = (
        f"{f.cause}'s {capacity // 1024**3} GiB volume fills up at {ts(f.onset)}: writes fail with "
        "'No space left on device'; reads keep working."
    )
    f.notes = "Volume stats at 0 bytes available; the datastore and its callers log the full disk."


def certificate(w: World, f: Fault) -> None:
    expiry = f.onset - timedelta(seconds=w.rng.randrange(10, 90))
    if w.rng.random() < 0.5 or not w.topo.callers(f.cause):
        gateway = w.rng.choice(("gateway.partner-bank.com", "api.card-network.net", "sso.identity-provider.io"))
        for pod in w.pods_of(f.cause):
            if pod.status != "running":
                continue
            t = expiry - timedelta(minutes=10)
            logs.log(
                w, pod, t, logs.line(pod, t, "WARN", f"client certificate for {gateway} expires at {ts(expiry)}", "tls")
            )
            t = f.onset
            while t < w.page_at:
                logs.log(
                    w,
                    pod,
                    t,
                    logs.line(
                        pod,
                        t,
                        "ERROR",
                        f"TLS handshake with {gateway}:443 failed: remote error: tls: expired certificate",
                        "tls",
                    ),
                )
                t += timedelta(seconds=15 * (0.6 + 0.8 * w.rng.random()))
        f.description = (
            f"{f.cause}'s mutual-TLS client certificate for {gateway} expired at {ts(expiry)}; "
            "handshakes fail as pooled connections recycle."
        )
    else:
        f.mode = "tls_expired"
        f.description = (
            f"The serving certificate of {f.cause} expired at {ts(expiry)}; callers fail the TLS "
            "handshake (x509: certificate has expired). Only the callers log it."
        )
    f.notes = "No deploy or config change; TLS errors name the cause's host."
    spread(w, f)
