"""Scenario checkout-config-flag (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _gen import logs
from _gen.alerts import am_alert
from _gen.common import (
    ago,
    blip,
    disk_alert,
    error_alert,
    finish,
    harmless_deploy,
    probe_warning,
    setup,
)
from _gen.kevents import configmap, event
from _gen.patches import mount
from _gen.render import Bundle

FLAGS = """\
# checkout feature flags, watched by the service (fsnotify) and applied without a restart.
promotions.stacking: false
orders.split_shipments: false
payments.retry_budget: 2
quote.cache_ttl_seconds: 30
tax.v2_rollout_percent: {tax}
"""


def checkout_config_flag() -> Bundle:
    w = setup("checkout-config-flag", datetime(2026, 4, 7, 11, 24, tzinfo=UTC))
    harmless_deploy(w, "shipping", 53, "carrier cut-off times for Easter")
    blip(w, "inventory", 37, lat=2.2, err=0.01)
    probe_warning(w, "cart", 19)
    edit = ago(w, 6.3)
    configmap(
        w,
        "checkout",
        {"flags.yaml": FLAGS.format(tax=40)},
        w.revisions["checkout"][0].created - timedelta(days=11),
        [("kubectl-patch", edit, ["flags.yaml"])],
        {"flags.yaml": FLAGS.format(tax=0)},
        name="checkout-flags",
    )
    mount(
        w,
        "checkout",
        {"name": "flags", "configMap": {"name": "checkout-flags", "defaultMode": 420}},
        "/etc/checkout/flags",
        kinds=("Pod", "Deployment", "ReplicaSet"),
    )
    pods = w.pods_of("checkout")
    reloads = [edit + timedelta(seconds=s) for s in (64, 83, 111)]
    onset = reloads[0]
    w.episode("checkout", onset, ramp=50, err=0.37, lat=1.15)
    w.propagate("checkout", onset, err=0.37, lat_add=0.03)
    for pod, reload in zip(pods, reloads, strict=True):
        logs.background(w, pod, minutes=25, every=10, until=reload)
        logs.log(
            w,
            pod,
            reload,
            logs.go(
                reload,
                "info",
                "feature flags reloaded",
                file="/etc/checkout/flags/flags.yaml",
                changed=["tax.v2_rollout_percent"],
                checksum=f"sha256:{w.rng.getrandbits(64):016x}",
            ),
        )
        t = reload + timedelta(seconds=1 + w.rng.random() * 3)
        while t < w.page_at:
            if w.rng.random() < 0.4:
                logs.log(
                    w,
                    pod,
                    t,
                    logs.go(
                        t,
                        "error",
                        "failed to quote tax",
                        provider="tax-v2",
                        error="tax-v2 quote: POST https://tax-v2.internal.shop.example.com/v2/quotes: "
                        '401 Unauthorized: {"error":"invalid_client","error_description":"unknown API key"}',
                        order_id=w.rng.randrange(900000, 999999),
                        path="/v1/orders",
                        status=500,
                    ),
                )
            else:
                logs.log(w, pod, t, logs.request_line(w, pod, t))
            t += timedelta(seconds=2 + w.rng.random() * 4)
    front = w.pods_of("frontend")[2]
    logs.background(w, front, minutes=15, every=6)
    t = onset + timedelta(seconds=25)
    while t < w.page_at:
        logs.log(
            w,
            front,
            t,
            logs.go(
                t, "warn", "upstream error", upstream="checkout", path="/api/checkout", upstream_status=500, status=502
            ),
        )
        t += timedelta(seconds=10 + w.rng.random() * 25)
    event(
        w,
        "HorizontalPodAutoscaler",
        "frontend",
        "SuccessfulRescale",
        "New size: 5; reason: cpu resource utilization (percentage of request) above target",
        w.page_at + timedelta(seconds=75),
        component="horizontal-pod-autoscaler",
        api_version="autoscaling/v2",
    )
    finish(w)
    alerts = [
        error_alert(w, "checkout", 36.9, w.page_at),
        am_alert(
            w.page_at,
            "SLOErrorBudgetBurn",
            "checkout",
            severity="warning",
            receiver="checkout-slack",
            summary="checkout is burning its 30-day error budget 21x too fast",
            description="checkout order placement SLO (99.5%): 1h burn rate 6.2, 5m burn rate 71.3.",
            starts=ago(w, 2),
            expr='slo:sli_error:ratio_rate5m{service="checkout"} > (14.4 * 0.005)',
        ),
        disk_alert(w, "shipping-db", hours=40),
    ]
    return Bundle(
        w,
        "At 11:17:42 someone ran kubectl patch on the checkout-flags ConfigMap and set tax.v2_rollout_percent "
        "from 0 to 40. checkout watches its mounted flags file; once the kubelet synced the volume (about a "
        "minute later) each pod reloaded the flags without restarting, and 40% of orders went to the tax v2 "
        "provider, for which checkout has no API key. Those orders fail with 500s.",
        "HighErrorRatio",
        {
            "component": "checkout",
            "kind": "config_change",
            "notes": "checkout-flags managedFields: kubectl-patch at 11:17:42 owns flags.yaml (last-applied from Argo "
            "CD still shows tax.v2_rollout_percent: 0); checkout logs 'feature flags reloaded' at 11:18:46-11:19:33, "
            "then 'failed to quote tax' (tax-v2 401). No restarts, no rollout of checkout. Red herrings: shipping "
            "deploy 53 min before, inventory blip 37 min before, cart readiness warning, old disk alert on "
            "shipping-db. A frontend HPA event after the page is never served.",
        },
        alerts=alerts,
    )
