"""Render a :class:`World` as OpenMetrics text that ``promtool tsdb create-blocks-from openmetrics`` accepts.

Standard names (HTTP instrumentation, cAdvisor, kube-state-metrics, postgres_exporter), each
series labelled ``service``. Counters are monotonic except where a container restarts, where
they reset to zero as real process counters do. Within a family every series is written
contiguously in time order; families are never interleaved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from _gen.model import Pod, World
from _gen.world import BY_NAME, NAMESPACE, SERVICES

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LE = tuple(f"{b:g}" if b < 1 else f"{b:.1f}" for b in BUCKETS) + ("+Inf",)


@dataclass
class Family:
    name: str
    type: str
    help: str
    series: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    """Label text -> samples; ``name`` is the sample name (with _total, _bucket, ...)."""

    def add(self, sample: str, labels: dict[str, str], t: int, value: str) -> None:
        text = ",".join(f'{k}="{v}"' for k, v in labels.items())
        self.series.setdefault(f"{sample}{{{text}}}", []).append((t, value))


@dataclass
class ServiceState:
    rps: float
    latency: float
    sigma: float
    err: float
    cpu: float


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _diurnal(t: datetime) -> float:
    hour = t.hour + t.minute / 60.0
    return 1.0 + 0.3 * math.sin(2 * math.pi * (hour - 10.0) / 24.0)


class MetricsRenderer:
    def __init__(self, world: World) -> None:
        self.w = world
        self.times = [
            world.start + timedelta(seconds=k * world.step)
            for k in range(int((world.page_at - world.start).total_seconds()) // world.step + 1)
        ]
        self.states = {s.name: self._service_states(s.name) for s in SERVICES}

    def _service_states(self, name: str) -> list[ServiceState]:
        svc = BY_NAME[name]
        rng = self.w.rng
        walk_rps = walk_lat = 0.0
        out = []
        for t in self.times:
            walk_rps = 0.9 * walk_rps + rng.gauss(0, 0.02)
            walk_lat = 0.85 * walk_lat + rng.gauss(0, 0.03)
            rps, lat, lat_add, sigma, err, cpu = svc.rps * _diurnal(t) * (1 + walk_rps), 1.0, 0.0, 0.0, 0.0, 1.0
            for ep in self.w.episodes[name]:
                i = ep.intensity(t)
                rps *= 1 + (ep.rps - 1) * i
                lat *= 1 + (ep.lat - 1) * i
                lat_add += ep.lat_add * i
                sigma += ep.sigma_add * i
                err += ep.err * i
                cpu *= 1 + (ep.cpu - 1) * i
            base_err = svc.err * math.exp(rng.gauss(0, 0.35))
            out.append(
                ServiceState(
                    rps=max(rps, 0.0),
                    latency=svc.latency * lat * math.exp(walk_lat) + lat_add,
                    sigma=svc.sigma + sigma,
                    err=min(1.0, base_err + err),
                    cpu=cpu,
                )
            )
        return out

    # ------------------------------------------------------------------ per pod
    def _mem(self, pod: Pod, t: datetime, wobble: float) -> float:
        svc = pod.svc
        if pod.mem_profile != "leak":
            return svc.mem * (1 + wobble)
        starts = [r for r in pod.restarts if r <= t]
        seg_start = starts[-1] if starts else (pod.leak_from or pod.created)
        frac = min(1.0, max(0.0, (t - seg_start) / pod.leak_period))
        return svc.mem + (svc.mem_limit * 0.995 - svc.mem) * frac**1.25 + svc.mem * wobble * 0.3

    def _pod(self, pod: Pod, fams: dict[str, Family]) -> None:
        w, svc = self.w, pod.svc
        rng = w.rng
        base = {"namespace": NAMESPACE, "service": pod.service, "pod": pod.name}
        cont = {**base, "container": pod.service}
        codes = ["200", *w.error_codes[pod.service]]
        req = dict.fromkeys(codes, 0.0)
        buckets = [0.0] * len(LE)
        dsum = cpu_s = throttled = periods = 0.0
        if pod.created < w.start:  # counters accumulated before the window
            up = (w.start - pod.created).total_seconds()
            if pod.restarts and pod.restarts[0] < w.start:
                up = (w.start - max(r for r in pod.restarts if r < w.start)).total_seconds()
            up = min(up, 86400.0 * 3)
            st = self.states[pod.service][0]
            n = st.rps / max(svc.replicas, 1) * up
            req["200"] = float(int(n * (1 - svc.err)))
            for code in codes[1:]:
                req[code] = float(int(n * svc.err / len(codes[1:])))
            cdf = [_phi((math.log(b) - math.log(svc.latency)) / svc.sigma) for b in BUCKETS] + [1.0]
            buckets = [sum(req.values()) * c for c in cdf]
            dsum = sum(req.values()) * svc.latency * math.exp(svc.sigma**2 / 2)
            cpu_s = svc.cpu * up * 0.8
            periods = up * 10 * 0.9
            throttled = periods * 0.01
        wobble = 0.0
        prev = None
        serving_now = (
            [[p for p in w.pods if p.service == pod.service and p.serving(t)] for t in self.times]
            if svc.kind == "Component"
            else []
        )
        for k, t in enumerate(self.times):
            if not pod.alive(t) or (pod.scrape_until is not None and t >= pod.scrape_until):
                continue
            if prev is not None and any(prev < r <= t for r in pod.restarts):
                req = dict.fromkeys(codes, 0.0)
                buckets = [0.0] * len(LE)
                dsum = cpu_s = throttled = periods = 0.0
            dt = w.step if prev is not None else 0
            prev = t
            st = self.states[pod.service][k]
            wobble = 0.92 * wobble + rng.gauss(0, 0.006)
            load = 1.0
            if svc.kind == "Component":
                peers = serving_now[k]
                if pod.serving(t):
                    total_w = sum(p.weight for p in peers)
                    n = st.rps * dt * pod.weight / total_w
                    errs = n * st.err
                    req["200"] += n - errs
                    for code, part in w.error_codes[pod.service].items():
                        req[code] += errs * part
                    mu = math.log(max(st.latency, 1e-4))
                    for i, b in enumerate(BUCKETS):
                        buckets[i] += n * _phi((math.log(b) - mu) / st.sigma)
                    buckets[-1] += n
                    dsum += n * st.latency * math.exp(st.sigma**2 / 2)
                    load = (st.rps / svc.rps) * (svc.replicas / max(len(peers), 1)) if svc.rps else 1.0
                else:
                    load = 0.15
                lbl = {**base}
                for code in codes:
                    fams["http_requests"].add(
                        "http_requests_total", {**lbl, "code": code}, int(t.timestamp()), str(round(req[code]))
                    )
                for le, v in zip(LE, buckets, strict=True):
                    fams["http_request_duration_seconds"].add(
                        "http_request_duration_seconds_bucket", {**lbl, "le": le}, int(t.timestamp()), str(round(v))
                    )
                fams["http_request_duration_seconds"].add(
                    "http_request_duration_seconds_sum", lbl, int(t.timestamp()), f"{dsum:.3f}"
                )
                fams["http_request_duration_seconds"].add(
                    "http_request_duration_seconds_count", lbl, int(t.timestamp()), str(round(buckets[-1]))
                )
            demand = w.cpu_demand.get(pod.service, svc.cpu) * load * st.cpu * (1 + rng.gauss(0, 0.04))
            demand = max(demand, 0.005)
            used = min(demand, svc.cpu_limit * (0.97 + rng.random() * 0.02))
            ratio = demand / svc.cpu_limit
            thr = 0.01 + (min(0.85, ((ratio - 0.55) / 0.45) ** 2 * 0.7) if ratio > 0.55 else 0.0)
            cpu_s += used * dt
            p = dt * 10 * min(1.0, 0.5 + ratio)
            periods += p
            throttled += p * min(thr, 0.95)
            ts = int(t.timestamp())
            fams["container_cpu_usage_seconds"].add("container_cpu_usage_seconds_total", cont, ts, f"{cpu_s:.3f}")
            fams["container_cpu_cfs_periods"].add("container_cpu_cfs_periods_total", cont, ts, str(round(periods)))
            fams["container_cpu_cfs_throttled_periods"].add(
                "container_cpu_cfs_throttled_periods_total", cont, ts, str(round(throttled))
            )
            fams["container_memory_working_set_bytes"].add(
                "container_memory_working_set_bytes", cont, ts, str(int(self._mem(pod, t, wobble)))
            )
            fams["container_spec_memory_limit_bytes"].add(
                "container_spec_memory_limit_bytes", cont, ts, str(svc.mem_limit)
            )

    def _restarts(self, fams: dict[str, Family]) -> None:
        for pod in self.w.pods:
            if pod.status == "unschedulable":
                continue
            labels = {"namespace": NAMESPACE, "service": pod.service, "pod": pod.name, "container": pod.service}
            for t in self.times:
                if pod.created <= t and (pod.ended is None or t < pod.ended):
                    fams["kube_pod_container_status_restarts"].add(
                        "kube_pod_container_status_restarts_total",
                        labels,
                        int(t.timestamp()),
                        str(pod.restart_count(t)),
                    )

    def _deployments(self, fams: dict[str, Family]) -> None:
        for svc in SERVICES:
            if svc.kind != "Component":
                continue
            labels = {"namespace": NAMESPACE, "service": svc.name, "deployment": svc.name}
            for t in self.times:
                ready = sum(1 for p in self.w.pods if p.service == svc.name and p.serving(t))
                fams["kube_deployment_status_replicas_available"].add(
                    "kube_deployment_status_replicas_available", labels, int(t.timestamp()), str(ready)
                )

    def _postgres(self, fams: dict[str, Family]) -> None:
        rng = self.w.rng
        for svc in SERVICES:
            if svc.lang != "postgres":
                continue
            base = {"namespace": NAMESPACE, "service": svc.name, "datname": svc.name.replace("-", "_")}
            for t in self.times:
                ts = int(t.timestamp())
                lat = 1.0
                for ep in self.w.episodes[svc.name]:
                    lat *= 1 + (ep.lat - 1) * ep.intensity(t)
                active = min(97.0, (4 + rng.random() * 3) * lat)
                waiting = max(0.0, active - 8) * 0.8 if lat > 2 else float(rng.random() < 0.05)
                idle_tx = 1 + (active / 6 if lat > 2 else rng.random())
                idle = max(0.0, 40 - active - idle_tx + rng.randrange(0, 4))
                for state, v in (("active", active), ("idle", idle), ("idle in transaction", idle_tx)):
                    fams["pg_stat_activity_count"].add(
                        "pg_stat_activity_count", {**base, "state": state}, ts, str(int(v))
                    )
                fams["pg_locks_waiting"].add("pg_locks_waiting", base, ts, str(int(waiting)))
                fams["pg_settings_max_connections"].add(
                    "pg_settings_max_connections", {"namespace": NAMESPACE, "service": svc.name}, ts, "100"
                )

    def _volumes(self, fams: dict[str, Family]) -> None:
        for vol in self.w.volumes:
            labels = {"namespace": NAMESPACE, "service": vol.service, "persistentvolumeclaim": vol.claim}
            reserved = vol.capacity * 0.05
            for t in self.times:
                ts = int(t.timestamp())
                used = min(vol.used(t), vol.capacity - reserved)
                free = max(vol.capacity - reserved - used, 0.0)
                fams["kubelet_volume_stats_capacity_bytes"].add(
                    "kubelet_volume_stats_capacity_bytes", labels, ts, str(vol.capacity)
                )
                fams["kubelet_volume_stats_available_bytes"].add(
                    "kubelet_volume_stats_available_bytes", labels, ts, str(int(free))
                )
                fams["kubelet_volume_stats_used_bytes"].add(
                    "kubelet_volume_stats_used_bytes", labels, ts, str(int(used))
                )

    def render(self) -> str:
        specs = [
            ("http_requests", "counter", "HTTP requests served, by status code."),
            ("http_request_duration_seconds", "histogram", "HTTP request latency."),
            ("container_cpu_usage_seconds", "counter", "Cumulative CPU time consumed by the container."),
            ("container_cpu_cfs_periods", "counter", "Elapsed CFS enforcement periods."),
            ("container_cpu_cfs_throttled_periods", "counter", "Throttled CFS enforcement periods."),
            ("container_memory_working_set_bytes", "gauge", "Current working set of the container."),
            ("container_spec_memory_limit_bytes", "gauge", "Memory limit of the container."),
            ("kube_pod_container_status_restarts", "counter", "Restarts of the container."),
            ("kube_deployment_status_replicas_available", "gauge", "Available replicas per deployment."),
            ("pg_stat_activity_count", "gauge", "PostgreSQL backends by state."),
            ("pg_locks_waiting", "gauge", "PostgreSQL backends waiting for a lock."),
            ("pg_settings_max_connections", "gauge", "PostgreSQL max_connections."),
            ("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume."),
            ("kubelet_volume_stats_available_bytes", "gauge", "Number of available bytes in the volume."),
            ("kubelet_volume_stats_used_bytes", "gauge", "Number of used bytes in the volume."),
        ]
        fams = {name: Family(name, typ, text) for name, typ, text in specs}
        for pod in self.w.pods:
            self._pod(pod, fams)
        self._restarts(fams)
        self._deployments(fams)
        self._postgres(fams)
        self._volumes(fams)
        lines: list[str] = []
        for fam in fams.values():
            if not fam.series:
                continue
            lines.append(f"# HELP {fam.name} {fam.help}")
            lines.append(f"# TYPE {fam.name} {fam.type}")
            for key, samples in fam.series.items():
                lines.extend(f"{key} {v} {t}" for t, v in samples)
        lines.append("# EOF")
        return "\n".join(lines) + "\n"
