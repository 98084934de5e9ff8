"""Container log lines in each service's own format, and background chatter for a pod."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from _gen.model import Pod, World
from _gen.world import ts_ms

PATHS = {
    "frontend": ["/", "/product/{id}", "/api/cart", "/api/search", "/api/recommendations", "/api/checkout"],
    "checkout": ["/v1/orders", "/v1/orders/quote"],
    "cart": ["/v1/carts/{id}", "/v1/carts/{id}/items"],
    "payments": ["/v1/authorizations", "/v1/captures"],
    "catalog": ["/v1/products/{id}", "/v1/products", "/v1/prices"],
    "search": ["/v1/search"],
    "inventory": ["/v1/stock/{id}", "/v1/reservations"],
    "shipping": ["/v1/quotes", "/v1/labels"],
    "recommendations": ["/v1/recommendations"],
}


def go(at: datetime, level: str, msg: str, **fields: object) -> str:
    return json.dumps({"ts": ts_ms(at), "level": level, "msg": msg, **fields}, separators=(",", ":"))


def java(at: datetime, level: str, logger: str, msg: str, thread: str = "http-nio-8080-exec-4") -> str:
    stamp = at.strftime("%Y-%m-%d %H:%M:%S.") + f"{at.microsecond // 1000:03d}"
    return f"{stamp} {level:>5} 1 --- [{thread:>20}] {logger:<40} : {msg}"


def python(at: datetime, level: str, logger: str, msg: str) -> str:
    return f"{ts_ms(at)} {level:<7} [{logger}] {msg}"


def postgres(at: datetime, pid: int, level: str, msg: str) -> str:
    stamp = at.strftime("%Y-%m-%d %H:%M:%S.") + f"{at.microsecond // 1000:03d} UTC"
    return f"{stamp} [{pid}] {level}:  {msg}"


def redis(at: datetime, msg: str) -> str:
    return f"1:M {at.strftime('%d %b %Y %H:%M:%S.')}{at.microsecond // 1000:03d} * {msg}"


def request_line(w: World, pod: Pod, at: datetime, status: int = 200, ms: float | None = None) -> str:
    svc = pod.svc
    path = w.rng.choice(PATHS.get(pod.service, ["/"])).replace("{id}", str(w.rng.randrange(10000, 99999)))
    ms = ms if ms is not None else round(svc.latency * 1000 * (0.5 + w.rng.random() * 1.2), 1)
    method = (
        "POST" if any(k in path for k in ("orders", "authorizations", "items", "reservations", "labels")) else "GET"
    )
    trace = f"{w.rng.getrandbits(64):016x}"
    if svc.lang == "go":
        return go(
            at, "info", "request completed", method=method, path=path, status=status, duration_ms=ms, trace_id=trace
        )
    if svc.lang == "java":
        return java(
            at, "INFO", f"c.s.{pod.service}.web.AccessLog", f"{method} {path} -> {status} in {ms}ms trace={trace}"
        )
    return python(at, "INFO", f"{pod.service}.access", f'"{method} {path}" {status} {ms}ms trace={trace}')


def background(
    w: World,
    pod: Pod,
    *,
    minutes: int = 25,
    every: float = 20.0,
    until: datetime | None = None,
    since: datetime | None = None,
    previous: bool = False,
) -> None:
    """Healthy chatter from ``since`` (default: ``minutes`` before the page) to ``until``."""
    end = min(until or w.page_at, w.page_at)
    t = max(since or (end - timedelta(minutes=minutes)), pod.created + timedelta(seconds=6))
    svc = pod.svc
    while t < end:
        if svc.lang == "postgres":
            if w.rng.random() < 0.3:
                line = postgres(
                    t,
                    60000 + w.rng.randrange(999),
                    "LOG",
                    f"checkpoint complete: wrote {w.rng.randrange(40, 900)} buffers; write={w.rng.random() * 30:.3f} s",
                )
            else:
                line = postgres(
                    t,
                    60000 + w.rng.randrange(999),
                    "LOG",
                    "automatic vacuum of table "
                    f'"{pod.service.replace("-", "_")}.public.{w.rng.choice(["orders", "stock", "rates"])}"'
                    f": index scans: 0",
                )
            every_now = every * 6
        elif svc.lang == "redis":
            line = redis(t, f"{w.rng.randrange(100, 900)} changes in 300 seconds. Saving...")
            every_now = every * 10
        else:
            line = request_line(w, pod, t)
            every_now = every
        log(w, pod, t, line, previous=previous)
        t += timedelta(seconds=every_now * (0.5 + w.rng.random()))


def log(w: World, pod: Pod, at: datetime, line: str, *, previous: bool = False) -> None:
    if at > w.page_at:  # logs are read at the page: later lines do not exist yet
        return
    w.logs.setdefault((pod.name, previous), []).append((at, line))


def startup(w: World, pod: Pod, at: datetime, *, previous: bool = False) -> None:
    svc = pod.svc
    version = pod.revision.version if pod.revision else svc.version
    if svc.lang == "go":
        log(w, pod, at, go(at, "info", "starting", service=pod.service, version=version), previous=previous)
        log(
            w,
            pod,
            at + timedelta(milliseconds=420),
            go(at, "info", "listening", addr=f":{svc.port}"),
            previous=previous,
        )
    elif svc.lang == "java":
        log(
            w,
            pod,
            at,
            java(
                at,
                "INFO",
                f"c.s.{pod.service}.Application",
                f"Starting Application v{version} using Java 21.0.4 with PID 1",
                thread="main",
            ),
            previous=previous,
        )
        log(
            w,
            pod,
            at + timedelta(seconds=6),
            java(
                at + timedelta(seconds=6),
                "INFO",
                "o.s.b.w.embedded.tomcat.TomcatWebServer",
                f"Tomcat started on port {svc.port} (http)",
                thread="main",
            ),
            previous=previous,
        )
    else:
        log(
            w,
            pod,
            at,
            python(at, "INFO", "uvicorn.error", f"Started server process [1] ({pod.service} {version})"),
            previous=previous,
        )
        log(
            w,
            pod,
            at + timedelta(seconds=2),
            python(at + timedelta(seconds=2), "INFO", "uvicorn.error", f"Uvicorn running on http://0.0.0.0:{svc.port}"),
            previous=previous,
        )
