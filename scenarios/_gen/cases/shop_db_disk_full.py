"""Scenario shop-db-disk-full (see scenarios/README.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from _gen import logs
from _gen.alerts import am_alert, change_event, pagerduty
from _gen.common import (
    ago,
    blip,
    error_alert,
    finish,
    harmless_deploy,
    probe_warning,
    setup,
)
from _gen.config import signals_toml
from _gen.kevents import event
from _gen.model import Volume, World
from _gen.patches import GI, pvc
from _gen.render import Bundle

DISK_FULL = "No space left on device"


def _filling(full_at: datetime, capacity: int, gib_per_hour: float) -> Callable[[datetime], float]:
    """Bytes used: a steady climb that stops at the 95% that non-root processes may use."""
    limit = capacity * 0.95

    def used(t: datetime) -> float:
        if t < full_at:
            return limit - gib_per_hour * GI * (full_at - t).total_seconds() / 3600
        slack = (int(t.timestamp()) // 30 * 2654435761) % 2048
        return limit - slack * 1024

    return used


def _steady(capacity: int, share: float) -> Callable[[datetime], float]:
    return lambda t: capacity * share + (int(t.timestamp()) % 86400) * 1400


def _pg_errors(w: World, onset: datetime) -> None:
    db = w.pods_of("shop-db")[0]
    logs.background(w, db, minutes=40, every=20, until=onset)
    statements = [
        ("2619512.7", "INSERT INTO order_audit (order_id, event, payload, created_at) VALUES ($1, $2, $3, now())"),
        ("1849226", "INSERT INTO stock_reservations (order_id, sku, qty, expires_at) VALUES ($1, $2, $3, $4)"),
        ("1849226", "INSERT INTO stock_reservations (order_id, sku, qty, expires_at) VALUES ($1, $2, $3, $4)"),
        (
            "1702231",
            "INSERT INTO orders (id, customer_id, total_cents, currency, status, created_at) VALUES "
            "($1, $2, $3, $4, 'pending', now())",
        ),
    ]
    t = onset
    n = 0
    while t < w.page_at:
        pid = 61800 + w.rng.randrange(400)
        if n % 9 == 4:
            logs.log(
                w,
                db,
                t,
                logs.postgres(
                    t,
                    pid,
                    "ERROR",
                    f'could not write to file "base/pgsql_tmp/pgsql_tmp{pid}.{w.rng.randrange(1, 9)}": {DISK_FULL}',
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
                    "SELECT p.id, p.name, pr.amount FROM products p "
                    "JOIN prices pr ON pr.product_id = p.id WHERE "
                    "p.category_id = $1 ORDER BY pr.amount, p.name",
                ),
            )
        elif n % 17 == 8:
            logs.log(
                w, db, t, logs.postgres(t, pid, "ERROR", f'could not extend file "base/16384/2619512.7": {DISK_FULL}')
            )
            logs.log(w, db, t, logs.postgres(t, pid, "HINT", "Check free disk space."))
            logs.log(
                w, db, t, logs.postgres(t, pid, "CONTEXT", 'automatic vacuum of table "shop_db.public.order_audit"')
            )
        else:
            rel, stmt = w.rng.choice(statements)
            logs.log(w, db, t, logs.postgres(t, pid, "ERROR", f'could not extend file "base/16384/{rel}": {DISK_FULL}'))
            logs.log(w, db, t, logs.postgres(t, pid, "HINT", "Check free disk space."))
            logs.log(w, db, t, logs.postgres(t, pid, "STATEMENT", stmt))
        n += 1
        t += timedelta(seconds=1 + w.rng.random() * 3)


def _caller_errors(w: World, service: str, onset: datetime, share: float, msg: str, path: str, rel: str) -> None:
    pod = w.pods_of(service)[0]
    logs.background(w, pod, minutes=15, every=6, until=onset)
    t = onset + timedelta(seconds=2)
    while t < w.page_at:
        if w.rng.random() < share:
            logs.log(
                w,
                pod,
                t,
                logs.go(
                    t,
                    "error",
                    msg,
                    path=path,
                    status=500,
                    error=f'ERROR: could not extend file "base/16384/{rel}": {DISK_FULL} (SQLSTATE 53100)',
                ),
            )
        else:
            logs.log(w, pod, t, logs.request_line(w, pod, t))
        t += timedelta(seconds=1.5 + w.rng.random() * 3)


def shop_db_disk_full() -> Bundle:
    w = setup("shop-db-disk-full", datetime(2026, 2, 2, 22, 19, tzinfo=UTC))
    harmless_deploy(w, "frontend", 46, "new footer links")
    blip(w, "search", 41, lat=2.2, err=0.01)
    probe_warning(w, "payments", 28, kind="Liveness")
    onset = ago(w, 5.5)
    for name, size, used in (
        ("shop-db", 100, _filling(onset, 100 * GI, 0.52)),
        ("shipping-db", 50, _steady(50 * GI, 0.41)),
        ("cart-redis", 10, _steady(10 * GI, 0.23)),
    ):
        pod = w.pods_of(name)[0]
        pvc(w, name, size, pod.node or "")
        w.volumes.append(Volume(f"data-{name}-0", name, size * GI, used))
    w.propagate(
        "shop-db",
        onset,
        err=0.5,
        lat_add=0.01,
        ramp=45,
        err_factor={"inventory": 1.0, "checkout": 0.5, "catalog": 0.08},
    )
    w.episode("shop-db", onset, ramp=60, cpu=0.85)
    _pg_errors(w, onset)
    _caller_errors(w, "inventory", onset, 0.5, "reserve stock failed", "/v1/reservations", "1849226")
    _caller_errors(w, "checkout", onset, 0.4, "failed to create order", "/v1/orders", "2619512.7")
    cat = w.pods_of("catalog")[1]
    logs.background(w, cat, minutes=15, every=3)
    t = onset + timedelta(seconds=20)
    while t < w.page_at:
        logs.log(
            w,
            cat,
            t,
            logs.go(
                t,
                "error",
                "list products failed",
                path="/v1/products",
                status=500,
                error=f'ERROR: could not write to file "base/pgsql_tmp/pgsql_tmp{61800 + w.rng.randrange(400)}.3": '
                f"{DISK_FULL} (SQLSTATE 53100)",
            ),
        )
        t += timedelta(seconds=12 + w.rng.random() * 20)
    event(
        w,
        "PersistentVolumeClaim",
        "data-shop-db-0",
        "ExternalExpanding",
        "waiting for an external controller to expand this PVC",
        w.page_at + timedelta(minutes=6),
        component="volume_expand",
    )
    finish(w)
    _inc, pd = pagerduty(
        w.page_at,
        number=6021,
        service="inventory",
        title="[FIRING:1] HighErrorRatio inventory (shop critical)",
        alert_key="HighErrorRatio/shop/inventory",
        details={
            "firing": "Labels:\n - alertname = HighErrorRatio\n - namespace = shop\n - service = inventory\n"
            "Annotations:\n - summary = inventory: more than 5% of requests fail\n",
            "num_firing": "1",
            "num_resolved": "0",
        },
        change_events=[
            change_event(
                ago(w, 46),
                "frontend",
                "Deploy frontend 4.12.1 to production",
                details={"version": "4.12.1", "commit": "e40b7d2", "actor": "mia-l"},
            ),
            change_event(
                ago(w, 170),
                "catalog",
                "Deploy catalog 6.3.0 to production",
                details={"version": "6.3.0", "commit": "c11f9a0", "actor": "kenji-w"},
            ),
        ],
    )
    alerts = [
        error_alert(w, "inventory", 46.3, w.page_at, receiver="pagerduty-fulfilment"),
        error_alert(w, "checkout", 39.8, ago(w, 0.5)),
        am_alert(
            w.page_at,
            "KubePersistentVolumeFillingUp",
            "shop-db",
            summary="PersistentVolume is filling up.",
            description="The PersistentVolume claimed by data-shop-db-0 in namespace shop is only 0.003% free.",
            starts=w.page_at - timedelta(hours=31, minutes=12),
            severity="warning",
            receiver="platform-slack",
            extra={"persistentvolumeclaim": "data-shop-db-0"},
            expr='kubelet_volume_stats_available_bytes{namespace="shop"} / kubelet_volume_stats_capacity_bytes < 0.15',
            runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepersistentvolumefillingup",
        ),
    ]
    return Bundle(
        w,
        "shop-db's 100 GiB data volume has been filling for weeks (the order_audit table has no retention) "
        "and ran out of space at 22:13:30. PostgreSQL keeps serving reads, but inserts that need a new page "
        "fail with 'could not extend file ... No space left on device'; inventory reservations and checkout "
        "orders fail, and catalog's sorted listings fail on temp files. The disk warning had been firing "
        "in Slack for 31 hours.",
        pd["incidents"][0]["id"],
        {
            "component": "shop-db",
            "kind": "storage",
            "notes": "kubelet_volume_stats_available_bytes of data-shop-db-0 reaches ~0 (used at the 95% a non-root "
            "process may use); postgres logs 'could not extend file ... No space left on device' (SQLSTATE "
            "53100 in inventory, checkout and catalog logs). No restarts, no deploy or config change on the "
            "database. Page (PagerDuty) on inventory. Red herrings: frontend deploy 46 min before (also a "
            "PagerDuty change event), search blip, payments liveness warning. A PVC expansion event after the "
            "page is never served.",
        },
        source="pagerduty",
        alerts=alerts,
        pagerduty=pd,
        config_toml=signals_toml(
            "Default signals plus volume usage (kubelet volume stats), the share the alert rules watch.",
            volume_used="max by (service) (1 - kubelet_volume_stats_available_bytes / "
            "kubelet_volume_stats_capacity_bytes)",
        ),
    )
