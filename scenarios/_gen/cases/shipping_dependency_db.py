"""Scenario shipping-dependency-db (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _gen import logs
from _gen.alerts import change_event, pagerduty
from _gen.common import (
    ago,
    blip,
    disk_alert,
    error_alert,
    finish,
    harmless_deploy,
    latency_alert,
    probe_warning,
    setup,
)
from _gen.render import Bundle


def shipping_dependency_db() -> Bundle:
    w = setup("shipping-dependency-db", datetime(2026, 3, 9, 16, 34, tzinfo=UTC))
    harmless_deploy(w, "shipping", 47, "carrier rate cache TTL 15m")
    blip(w, "search", 38, lat=2.0, err=0.01)
    probe_warning(w, "cart", 24)
    onset = ago(w, 4.0)
    w.episode("shipping-db", onset, ramp=60, lat=30.0, cpu=5.5)
    w.episode("shipping", onset + timedelta(seconds=20), ramp=60, err=0.42, lat_add=1.2, sigma_add=0.15)
    w.error_codes["shipping"] = {"500": 0.3, "504": 0.7}
    w.propagate(
        "shipping", onset + timedelta(seconds=20), err=0.42, lat_add=1.2, err_factor={"checkout": 0.45, "frontend": 0.6}
    )
    db = w.pods_of("shipping-db")[0]
    logs.background(w, db, minutes=40, every=20)
    t = onset
    n = 0
    while t < w.page_at:
        pid = 61200 + w.rng.randrange(300)
        if n % 3 == 0:
            line = logs.postgres(
                t,
                pid,
                "LOG",
                f"process {pid} still waiting for ShareLock on transaction 88123417 "
                f"after 1000.{w.rng.randrange(100, 999)} ms",
            )
            logs.log(w, db, t, line)
            logs.log(
                w,
                db,
                t,
                logs.postgres(
                    t,
                    pid,
                    "DETAIL",
                    "Process holding the lock: 60812. Wait queue: "
                    + ", ".join(str(61200 + k * 7) for k in range(6))
                    + ".",
                ),
            )
            logs.log(
                w,
                db,
                t,
                logs.postgres(
                    t,
                    pid,
                    "STATEMENT",
                    "UPDATE shipments SET status = 'label_created', updated_at = now() WHERE order_id = $1",
                ),
            )
        elif n % 3 == 1 and t > onset + timedelta(seconds=90):
            logs.log(w, db, t, logs.postgres(t, pid, "FATAL", "sorry, too many clients already"))
        else:
            logs.log(
                w,
                db,
                t,
                logs.postgres(
                    t,
                    pid,
                    "LOG",
                    f"duration: {w.rng.randrange(3000, 9000)}.{n:03d} ms  "
                    "execute <unnamed>: SELECT id, carrier, rate FROM carrier_rates WHERE "
                    "zone = $1 FOR UPDATE",
                ),
            )
        n += 1
        t += timedelta(seconds=3 + w.rng.random() * 5)
    for pod in w.pods_of("shipping"):
        logs.startup(w, pod, pod.created + timedelta(seconds=4))
        logs.background(w, pod, since=pod.created + timedelta(seconds=8), until=onset, every=15)
        t = onset + timedelta(seconds=25)
        while t < w.page_at:
            if w.rng.random() < 0.5:
                logs.log(
                    w,
                    pod,
                    t,
                    logs.go(
                        t,
                        "error",
                        "quote failed",
                        path="/v1/quotes",
                        status=504,
                        error="pgxpool: acquire conn shipping-db:5432: context deadline exceeded (waited 3000ms)",
                    ),
                )
            else:
                logs.log(w, pod, t, logs.request_line(w, pod, t, ms=round(800 + w.rng.random() * 2000, 1)))
            t += timedelta(seconds=2 + w.rng.random() * 4)
    finish(w)
    _inc, pd = pagerduty(
        w.page_at,
        number=5302,
        service="shipping",
        title="[FIRING:1] HighErrorRatio shipping (shop critical)",
        alert_key="HighErrorRatio/shop/shipping",
        details={
            "firing": "Labels:\n - alertname = HighErrorRatio\n - namespace = shop\n - service = shipping\n"
            "Annotations:\n - summary = shipping: more than 5% of requests fail\n",
            "num_firing": "1",
            "num_resolved": "0",
        },
        change_events=[
            change_event(
                ago(w, 47),
                "shipping",
                "Deploy shipping 3.4.1 to production",
                details={"version": "3.4.1", "commit": "5d0e2b1", "actor": "lena-h"},
            ),
            change_event(
                ago(w, 130),
                "catalog",
                "Deploy catalog 6.3.0 to production",
                details={"version": "6.3.0", "commit": "c11f9a0", "actor": "kenji-w"},
            ),
        ],
    )
    alerts = [
        latency_alert(w, "checkout", 1.9, ago(w, 1), severity="warning", receiver="checkout-slack"),
        error_alert(w, "shipping", 31.5, w.page_at, receiver="pagerduty-fulfilment"),
        disk_alert(w, "shop-db", hours=22),
    ]
    return Bundle(
        w,
        "shipping's database stalled at 16:30: a long transaction holds row locks on shipments, backends pile "
        "up waiting, connections run out. shipping (deployed 47 minutes earlier, healthy since) times out "
        "acquiring connections and pages through PagerDuty; checkout quotes slow down.",
        pd["incidents"][0]["id"],
        {
            "component": "shipping-db",
            "kind": "dependency_failure",
            "notes": "shipping-db: pg_stat_activity active backends at the limit, pg_locks_waiting up, CPU x5, "
            "postgres logs with lock waits and 'too many clients'. The page is on shipping, whose own "
            "deploy 47 minutes before is a red herring (healthy for 43 minutes). Other red herrings: search "
            "blip, cart readiness warning, a disk alert on the other database (shop-db).",
        },
        source="pagerduty",
        alerts=alerts,
        pagerduty=pd,
    )
