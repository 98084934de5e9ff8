"""Container log lines in each technology's own format: chatter, start-up, and errors naming a dependency."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from _gen import logs as gen
from _gen.world import ts_ms

from _synth.model import Pod, World

VERBS = ("GET", "GET", "GET", "POST", "PUT")


def log(w: World, pod: Pod, at: datetime, line: str, *, previous: bool = False) -> None:
    if at > w.page_at:  # logs are read at the page: later lines do not exist yet
        return
    w.logs.setdefault((pod.name, previous), []).append((at, line))


def line(pod: Pod, at: datetime, level: str, msg: str, logger: str = "app", **fields: object) -> str:
    """One line in ``pod``'s format; ``fields`` become JSON keys or ``key=value`` text."""
    lang = pod.svc.lang
    if lang in ("go", "node"):
        key = "msg" if lang == "go" else "message"
        return json.dumps({"ts": ts_ms(at), "level": level.lower(), key: msg, **fields}, separators=(",", ":"))
    text = msg + "".join(f" {k}={v}" for k, v in fields.items())
    if lang == "java":
        return gen.java(at, {"WARNING": "WARN"}.get(level.upper(), level.upper()), f"c.e.{pod.service}.{logger}", text)
    if lang == "python":
        return gen.python(at, level.upper(), f"{pod.service}.{logger}", text)
    if lang == "postgres":
        return gen.postgres(at, 60000 + len(msg) * 7 % 999, {"INFO": "LOG"}.get(level.upper(), level.upper()), text)
    if lang == "redis":
        return gen.redis(at, text)
    if lang == "mysql":
        stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond:06d}Z"
        return f"{stamp} 0 [{'Warning' if level.upper() != 'INFO' else 'Note'}] [MY-010000] [Server] {text}"
    stamp = at.strftime("%Y-%m-%d %H:%M:%S,") + f"{at.microsecond // 1000:03d}"
    return f"[{stamp}] {level.upper()} {text} ({pod.svc.tech})"


def request_line(w: World, pod: Pod, at: datetime, status: int = 200, ms: float | None = None) -> str:
    ms = ms if ms is not None else round(pod.svc.latency * 1000 * (0.5 + w.rng.random() * 1.2), 1)
    path = f"/v1/{pod.service.split('-')[0]}/{w.rng.randrange(1000, 99999)}"
    method = w.rng.choice(VERBS)
    level = "INFO" if status < 500 else "ERROR"
    return line(pod, at, level, "request completed", "access", method=method, path=path, status=status, duration_ms=ms)


def _store_chatter(w: World, pod: Pod, at: datetime) -> str:
    tech = pod.svc.tech
    if tech == "postgres":
        return line(pod, at, "LOG", f"checkpoint complete: wrote {w.rng.randrange(40, 900)} buffers")
    if tech == "mysql":
        return line(pod, at, "INFO", f"InnoDB: page_cleaner: {w.rng.randrange(1000, 4000)}ms intended loop")
    if tech == "redis":
        return line(pod, at, "INFO", f"{w.rng.randrange(100, 900)} changes in 300 seconds. Saving...")
    return line(pod, at, "INFO", f"Rolled new log segment at offset {w.rng.randrange(10**6, 10**8)}")


def background(
    w: World,
    pod: Pod,
    *,
    minutes: float = 15,
    count: int = 10,
    since: datetime | None = None,
    until: datetime | None = None,
    previous: bool = False,
) -> None:
    """About ``count`` healthy lines spread from ``since`` (default ``minutes`` before the end) to ``until``."""
    end = min(until or w.page_at, w.page_at)
    t = max(since or end - timedelta(minutes=minutes), pod.created + timedelta(seconds=6))
    every = max(5.0, (end - t).total_seconds() / max(count, 1))
    while t < end:
        text = _store_chatter(w, pod, t) if pod.svc.is_store else request_line(w, pod, t)
        log(w, pod, t, text, previous=previous)
        t += timedelta(seconds=every * (0.5 + w.rng.random()))


def startup(w: World, pod: Pod, at: datetime, *, previous: bool = False) -> None:
    version = pod.revision.version if pod.revision else pod.svc.version
    log(w, pod, at, line(pod, at, "INFO", f"starting {pod.service} {version}", "main"), previous=previous)
    later = at + timedelta(seconds=2)
    log(w, pod, later, line(pod, later, "INFO", f"listening on :{pod.svc.port}", "main"), previous=previous)


def dep_failure(w: World, dep: str, mode: str) -> str:
    """The error a client logs when ``dep`` fails in ``mode``, naming it by DNS name, host:port or IP."""
    svc = w.svc(dep)
    host = w.topo.host(dep)
    addr = f"{host}:{svc.port}"
    tech = svc.tech
    if mode == "refused":
        if tech in ("postgres", "mysql"):
            return f'connection to server at "{host}", port {svc.port} failed: Connection refused'
        return f"dial tcp {addr}: connect: connection refused"
    if mode == "timeout":
        if tech == "redis":
            return f"redis: connection pool timeout (addr={addr})"
        if tech in ("postgres", "mysql"):
            return f"timeout acquiring connection from pool after 5000ms (db={addr})"
        if tech in ("kafka", "rabbitmq"):
            return f"publish to {addr} timed out after 10000ms"
        return f'Get "http://{addr}/v1/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)'
    if mode == "too_many":
        if tech == "mysql":
            return f"Error 1040 (08004): Too many connections (addr={addr})"
        return f'FATAL: sorry, too many clients already (host "{host}")'
    if mode == "readonly":
        return f"READONLY You can't write against a read only replica. (addr={addr})"
    if mode == "dns":
        return f"dial tcp: lookup {host} on 172.20.0.10:53: read udp: i/o timeout"
    if mode == "tls_expired":
        return (
            f'Post "https://{host}:8443/v1/": tls: failed to verify certificate: x509: certificate has expired '
            f"or is not yet valid: current time {ts_ms(w.page_at)[:19]}Z is after the certificate's NotAfter"
        )
    if mode == "disk_full":
        return f"ERROR: could not extend file: No space left on device (SQLSTATE 53100, db={addr})"
    return f'upstream {addr} answered 503 Service Unavailable for "POST /v1/{dep.split("-")[0]}"'


def caller_errors(
    w: World, pod: Pod, dep: str, mode: str, since: datetime, *, every: float = 20.0, level: str = "ERROR"
) -> None:
    """``pod`` logs failures of its calls to ``dep`` from ``since`` to the page."""
    t = since
    while t < w.page_at:
        log(
            w,
            pod,
            t,
            line(pod, t, level, dep_failure(w, dep, mode), "client", trace_id=f"{w.rng.getrandbits(48):012x}"),
        )
        t += timedelta(seconds=every * (0.6 + 0.8 * w.rng.random()))
