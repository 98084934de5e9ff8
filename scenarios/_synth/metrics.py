"""OpenMetrics text for one case, in the bundled scenarios' metric names (``service`` label on every series).

Same conventions as :mod:`_gen.metrics`: counters reset when a container restarts, every series is
contiguous and in time order, families never interleave, ``# EOF`` last (promtool backfill accepts it).
Fewer histogram buckets than the bundled set, and no ``_sum``/``_count`` or CFS series, keep a
60-service case under 1 MB.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from _gen.metrics import Family

from _synth.model import Pod, World

BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LE = tuple(f"{b:g}" if b < 1 else f"{b:.1f}" for b in BUCKETS) + ("+Inf",)
SPECS = (
    ("http_requests", "counter", "HTTP requests served, by status code."),
    ("http_request_duration_seconds", "histogram", "HTTP request latency."),
    ("container_cpu_usage_seconds", "counter", "Cumulative CPU time consumed by the container."),
    ("container_memory_working_set_bytes", "gauge", "Current working set of the container."),
    ("container_spec_memory_limit_bytes", "gauge", "Memory limit of the container."),
    ("kube_pod_container_status_restarts", "counter", "Restarts of the container."),
    ("pg_stat_activity_count", "gauge", "Database backends by state."),
    ("pg_settings_max_connections", "gauge", "Database max_connections."),
    ("kubelet_volume_stats_capacity_bytes", "gauge", "Capacity in bytes of the volume."),
    ("kubelet_volume_stats_available_bytes", "gauge", "Number of available bytes in the volume."),
)


@dataclass
class State:
    rps: float
    latency: float
    sigma: float
    err: float
    cpu: float


def phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def diurnal(t: datetime) -> float:
    return 1.0 + 0.25 * math.sin(2 * math.pi * (t.hour + t.minute / 60.0 - 10.0) / 24.0)


class Renderer:
    def __init__(self, w: World) -> None:
        self.w = w
        count = int((w.page_at - w.start).total_seconds()) // w.step + 1
        self.times = [w.start + timedelta(seconds=k * w.step) for k in range(count)]
        self.states = {name: self._states(name) for name in w.topo.services}
        self.codes = {name: str(w.rng.choice((500, 500, 502, 503))) for name in w.topo.services}

    def _states(self, name: str) -> list[State]:
        svc, rng = self.w.svc(name), self.w.rng
        walk_rps = walk_lat = 0.0
        out = []
        for t in self.times:
            walk_rps = 0.9 * walk_rps + rng.gauss(0, 0.02)
            walk_lat = 0.85 * walk_lat + rng.gauss(0, 0.03)
            rps, lat, lat_add, sigma, err, cpu = svc.rps * diurnal(t) * (1 + walk_rps), 1.0, 0.0, 0.0, 0.0, 1.0
            for ep in self.w.episodes[name]:
                i = ep.intensity(t)
                rps *= 1 + (ep.rps - 1) * i
                lat *= 1 + (ep.lat - 1) * i
                lat_add += ep.lat_add * i
                sigma += ep.sigma_add * i
                err += ep.err * i
                cpu *= 1 + (ep.cpu - 1) * i
            out.append(
                State(
                    rps=max(rps, 0.0),
                    latency=svc.latency * lat * math.exp(walk_lat) + lat_add,
                    sigma=svc.sigma + sigma,
                    err=min(1.0, svc.err * math.exp(rng.gauss(0, 0.3)) + err),
                    cpu=cpu,
                )
            )
        return out

    def _mem(self, pod: Pod, t: datetime, wobble: float) -> float:
        svc = pod.svc
        if pod.mem_profile != "leak":
            return svc.mem * (1 + wobble)
        starts = [r for r in pod.restarts if r <= t]
        seg = starts[-1] if starts else (pod.leak_from or pod.created)
        frac = min(1.0, max(0.0, (t - seg) / pod.leak_period))
        return svc.mem + (svc.mem_limit * 0.995 - svc.mem) * frac**1.3 + svc.mem * wobble * 0.3

    def _pod(self, pod: Pod, fams: dict[str, Family], serving: list[list[Pod]]) -> None:
        w, svc, rng = self.w, pod.svc, self.w.rng
        base = {"namespace": w.ns, "service": pod.service, "pod": pod.name}
        cont = {**base, "container": pod.service}
        codes = ["200", self.codes[pod.service]]
        req = dict.fromkeys(codes, 0.0)
        buckets = [0.0] * len(LE)
        cpu_s = 0.0
        if pod.created < w.start:  # counters accumulated before the window
            up = min((w.start - pod.created).total_seconds(), 86400.0 * 2)
            earlier = [r for r in pod.restarts if r < w.start]
            if earlier:
                up = (w.start - earlier[-1]).total_seconds()
            n = svc.rps / max(svc.replicas, 1) * up if not svc.is_store else 0.0
            req["200"], req[codes[1]] = float(int(n * (1 - svc.err))), float(int(n * svc.err))
            buckets = [n * phi((math.log(b) - math.log(svc.latency)) / svc.sigma) for b in BUCKETS] + [n]
            cpu_s = svc.cpu * up * 0.8
        wobble = 0.0
        prev: datetime | None = None
        for k, t in enumerate(self.times):
            if not pod.alive(t) or (pod.scrape_until is not None and t >= pod.scrape_until):
                continue
            if prev is not None and any(prev < r <= t for r in pod.restarts):
                req = dict.fromkeys(codes, 0.0)
                buckets = [0.0] * len(LE)
                cpu_s = 0.0
            dt = w.step if prev is not None else 0
            prev = t
            st = self.states[pod.service][k]
            wobble = 0.92 * wobble + rng.gauss(0, 0.006)
            ts = int(t.timestamp())
            load = 1.0
            if not svc.is_store:
                peers = serving[k]
                if pod.serving(t):
                    n = st.rps * dt * pod.weight / sum(p.weight for p in peers)
                    req["200"] += n * (1 - st.err)
                    req[codes[1]] += n * st.err
                    mu = math.log(max(st.latency, 1e-4))
                    for i, b in enumerate(BUCKETS):
                        buckets[i] += n * phi((math.log(b) - mu) / st.sigma)
                    buckets[-1] += n
                    load = (st.rps / svc.rps) * (svc.replicas / max(len(peers), 1))
                else:
                    load = 0.15
                for code in codes:
                    fams["http_requests"].add("http_requests_total", {**base, "code": code}, ts, str(round(req[code])))
                hist = fams["http_request_duration_seconds"]
                for le, v in zip(LE, buckets, strict=True):
                    hist.add("http_request_duration_seconds_bucket", {**base, "le": le}, ts, str(round(v)))
            demand = max(0.005, w.cpu_demand.get(pod.service, svc.cpu) * load * st.cpu * (1 + rng.gauss(0, 0.04)))
            used = min(demand, svc.cpu_limit * (0.97 + rng.random() * 0.02))
            cpu_s += used * dt
            fams["container_cpu_usage_seconds"].add("container_cpu_usage_seconds_total", cont, ts, f"{cpu_s:.2f}")
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
            labels = {"namespace": self.w.ns, "service": pod.service, "pod": pod.name, "container": pod.service}
            for t in self.times:
                if pod.created <= t and (pod.ended is None or t < pod.ended):
                    fams["kube_pod_container_status_restarts"].add(
                        "kube_pod_container_status_restarts_total",
                        labels,
                        int(t.timestamp()),
                        str(pod.restart_count(t)),
                    )

    def _stores(self, fams: dict[str, Family]) -> None:
        w, rng = self.w, self.w.rng
        for svc in w.topo.stores():
            ts_list = [int(t.timestamp()) for t in self.times]
            if svc.tech in ("postgres", "mysql"):
                base = {"namespace": w.ns, "service": svc.name}
                for state in ("active", "idle"):
                    for k, t in enumerate(self.times):
                        stress = 1.0
                        for ep in w.episodes[svc.name]:
                            stress *= 1 + (ep.lat - 1) * ep.intensity(t)
                        active = min(97.0, (4 + rng.random() * 3) * stress)
                        value = active if state == "active" else max(0.0, 40 - active + rng.randrange(0, 4))
                        fams["pg_stat_activity_count"].add(
                            "pg_stat_activity_count", {**base, "state": state}, ts_list[k], str(int(value))
                        )
                for ts in ts_list:
                    fams["pg_settings_max_connections"].add("pg_settings_max_connections", base, ts, "100")
            claim = f"data-{svc.name}-0"
            labels = {"namespace": w.ns, "service": svc.name, "persistentvolumeclaim": claim}
            fill = 0.3 + 0.4 * (zlib.crc32(f"{w.name}/{svc.name}".encode()) % 1000) / 1000
            capacity, used = w.volumes.get(svc.name, (100 * 1024**3, lambda _t, f=fill: 100 * 1024**3 * f))
            for ts in ts_list:
                fams["kubelet_volume_stats_capacity_bytes"].add(
                    "kubelet_volume_stats_capacity_bytes", labels, ts, str(capacity)
                )
            for k, t in enumerate(self.times):
                free = max(capacity * 0.95 - used(t), 0.0)
                fams["kubelet_volume_stats_available_bytes"].add(
                    "kubelet_volume_stats_available_bytes", labels, ts_list[k], str(int(free))
                )

    def render(self) -> str:
        fams = {name: Family(name, typ, text) for name, typ, text in SPECS}
        by_service: dict[str, list[Pod]] = {}
        for pod in self.w.pods:
            by_service.setdefault(pod.service, []).append(pod)
        for pods in by_service.values():
            serving = [[p for p in pods if p.serving(t)] for t in self.times]
            for pod in pods:
                self._pod(pod, fams, serving)
        self._restarts(fams)
        self._stores(fams)
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
