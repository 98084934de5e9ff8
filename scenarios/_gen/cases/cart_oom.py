"""Scenario cart-oom (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _gen import logs
from _gen.alerts import am_alert
from _gen.common import (
    ago,
    blip,
    error_alert,
    finish,
    harmless_deploy,
    latency_alert,
    probe_warning,
    setup,
)
from _gen.kevents import event
from _gen.render import Bundle


def cart_oom() -> Bundle:
    w = setup("cart-oom", datetime(2025, 11, 4, 9, 42, tzinfo=UTC))
    harmless_deploy(w, "recommendations", 49, "retrain schedule to 02:00")
    blip(w, "shipping", 41, lat=2.2, err=0.015)
    probe_warning(w, "search", 28)
    pods = w.pods_of("cart")
    kills = [ago(w, 4.2), ago(w, 2.6)]
    third_kill = w.page_at + timedelta(seconds=50)
    for pod, kill in zip(pods, [*kills, third_kill], strict=True):
        pod.mem_profile = "leak"
        pod.leak_period = timedelta(minutes=95 + 10 * pods.index(pod))
        pod.leak_from = kill - pod.leak_period
    for pod, kill in zip(pods[:2], kills, strict=True):
        pod.restarts = [kill]
        pod.down = [(kill - timedelta(seconds=20), kill + timedelta(seconds=35))]
        pod.last_term = {
            "reason": "OOMKilled",
            "exit_code": 137,
            "started": pod.created + timedelta(seconds=4),
            "finished": kill,
        }
        event(
            w,
            "Pod",
            pod.name,
            "Pulled",
            f'Container image "{pod.svc.image}" already present on machine',
            kill + timedelta(seconds=1),
            host=pod.node,
            field_path="spec.containers{cart}",
        )
        event(
            w,
            "Pod",
            pod.name,
            "Created",
            "Created container cart",
            kill + timedelta(seconds=1),
            host=pod.node,
            field_path="spec.containers{cart}",
        )
        event(
            w,
            "Pod",
            pod.name,
            "Started",
            "Started container cart",
            kill + timedelta(seconds=2),
            host=pod.node,
            field_path="spec.containers{cart}",
        )
        logs.background(w, pod, minutes=20, every=10, until=kill - timedelta(seconds=3), previous=True)
        for k in range(4):
            t = kill - timedelta(seconds=150 - 40 * k)
            logs.log(
                w,
                pod,
                t,
                logs.java(
                    t,
                    "WARN",
                    "c.s.cart.session.CartSessionCache",
                    f"session cache above soft limit: entries={412_000 + 23_000 * k} heapUsed={880 + 35 * k}MiB",
                    thread="cache-evictor-1",
                ),
                previous=True,
            )
        logs.startup(w, pod, kill + timedelta(seconds=3))
        logs.background(w, pod, since=kill + timedelta(seconds=12), every=10)
    third = pods[2]
    event(
        w,
        "Node",
        third.node,
        "OOMKilling",
        "Memory cgroup out of memory: Killed process 8102 (java) "
        "total-vm:4123112kB, anon-rss:1046980kB, file-rss:23120kB, shmem-rss:0kB, UID:1000 pgtables:2412kB "
        "oom_score_adj:936",
        third_kill,
        type="Warning",
        component="kernel-monitor",
        host=third.node,
    )
    for pod, kill in zip(pods[:2], kills, strict=True):
        event(
            w,
            "Node",
            pod.node,
            "OOMKilling",
            f"Memory cgroup out of memory: Killed process {8100 + pods.index(pod)} "
            "(java) total-vm:4123112kB, anon-rss:1046312kB, file-rss:23120kB, shmem-rss:0kB, UID:1000 "
            "pgtables:2412kB oom_score_adj:936",
            kill,
            type="Warning",
            component="kernel-monitor",
            host=pod.node,
        )
    logs.background(w, third, minutes=20, every=10)
    gc = ago(w, 1.5)
    logs.log(
        w,
        third,
        gc,
        logs.java(
            gc,
            "WARN",
            "c.s.cart.session.CartSessionCache",
            "session cache above soft limit: entries=498000 heapUsed=991MiB",
            thread="cache-evictor-1",
        ),
    )
    onset = ago(w, 4.5)
    w.episode("cart", ago(w, 20), ramp=900, lat=1.6)
    w.episode("cart", onset, ramp=60, lat=2.2, err=0.05, sigma_add=0.3)
    w.propagate("cart", onset, err=0.05, lat_add=0.03)
    w.cpu_demand["cart"] = 0.32
    finish(w)
    alerts = [
        error_alert(w, "cart", 7.4, w.page_at),
        latency_alert(w, "checkout", 1.31, ago(w, 1), severity="warning", receiver="checkout-slack"),
        am_alert(
            w.page_at,
            "CertificateExpiringSoon",
            "frontend",
            severity="warning",
            receiver="web-slack",
            summary="TLS certificate for shop.example.com expires in 13 days",
            description="The certificate served by the frontend ingress expires on 2025-11-17T08:00:00Z.",
            starts=w.page_at - timedelta(hours=31),
            extra={"host": "shop.example.com"},
            expr='probe_ssl_earliest_cert_expiry{instance="https://shop.example.com"} - time() < 14 * 86400',
        ),
    ]
    return Bundle(
        w,
        "cart's JVM working set grew all morning (session cache) until the kernel started killing "
        "containers at their 1Gi limit: two OOM kills in two minutes, errors and latency on cart, checkout "
        "and the storefront cart page. No deploy for four days.",
        "HighErrorRatio",
        {
            "component": "cart",
            "kind": "oom",
            "notes": "lastState terminated OOMKilled exit 137 on two cart pods at 09:37:48 and 09:39:24, memory "
            "climbing to the 1Gi limit on all three. Red herrings: recommendations deploy 49 min before, "
            "shipping blip 41 min before, a search readiness warning and a certificate warning on frontend. "
            "A third OOM kill at 09:42:50 is after the page (never served).",
        },
        alerts=alerts,
    )
