"""Scenario payments-crashloop-config (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _gen import logs
from _gen.alerts import am_alert, change_event, pagerduty
from _gen.common import (
    ago,
    blip,
    disk_alert,
    finish,
    harmless_deploy,
    probe_warning,
    setup,
)
from _gen.kevents import event
from _gen.render import Bundle


def payments_crashloop_config() -> Bundle:
    page = datetime(2025, 12, 2, 19, 18, tzinfo=UTC)
    edit = page - timedelta(minutes=6, seconds=10)
    config = {
        "LOG_LEVEL": "info",
        "HTTP_PORT": "8080",
        "PAYMENTS_GATEWAY_ENDPOINT": "https://api.gateway.example.net/v3",
        "PAYMENT_TIMEOUT_MS": "4000",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4317",
        "SPRING_CLOUD_KUBERNETES_RELOAD_ENABLED": "true",
    }
    w = setup(
        "payments-crashloop-config",
        page,
        configmaps={
            "payments": {
                "data": config,
                "edits": [("kubectl-edit", edit, ["PAYMENTS_GATEWAY_ENDPOINT", "PAYMENT_GATEWAY_URL"])],
                "applied": {
                    **{k: v for k, v in config.items() if k != "PAYMENTS_GATEWAY_ENDPOINT"},
                    "PAYMENT_GATEWAY_URL": "https://api.gateway.example.net/v2",
                },
            }
        },
    )
    harmless_deploy(w, "search", 50, "synonyms for winter catalogue")
    blip(w, "catalog", 39, lat=2.0, err=0.004)
    probe_warning(w, "inventory", 25, kind="Liveness")
    onset = ago(w, 4.6)
    for n, pod in enumerate(w.pods_of("payments")):
        first = onset + timedelta(seconds=9 * n)
        pod.restarts = [
            first + timedelta(seconds=s) for s in (0, 14, 41, 88, 174) if first + timedelta(seconds=s) < w.page_at
        ]
        pod.down = [(first - timedelta(seconds=2), w.page_at + timedelta(hours=1))]
        pod.status = "crashloop"
        last = pod.restarts[-1]
        pod.last_term = {
            "reason": "Error",
            "exit_code": 1,
            "started": last + timedelta(seconds=1),
            "finished": last + timedelta(seconds=7),
        }
        logs.background(w, pod, minutes=15, every=15, until=first - timedelta(seconds=3), previous=False)
        t = first - timedelta(seconds=3)
        logs.log(
            w,
            pod,
            t,
            logs.java(
                t,
                "INFO",
                "o.s.c.k.c.reload.ConfigReloadUtil",
                "Reloading using strategy: SHUTDOWN",
                thread="config-watcher",
            ),
        )
        logs.log(
            w,
            pod,
            t,
            logs.java(
                t,
                "INFO",
                "o.s.b.w.e.tomcat.GracefulShutdown",
                "Commencing graceful shutdown. Waiting for active requests to complete",
                thread="config-watcher",
            ),
        )
        t = last + timedelta(seconds=1)
        logs.log(
            w,
            pod,
            t,
            logs.java(
                t,
                "INFO",
                "c.s.payments.Application",
                "Starting Application v5.0.7 using Java 21.0.4 with PID 1",
                thread="main",
            ),
            previous=True,
        )
        t += timedelta(seconds=5)
        for line in (
            "Application run failed",
            "java.lang.IllegalStateException: missing required config PAYMENT_GATEWAY_URL",
            "\tat c.s.payments.gateway.GatewayProperties.validate(GatewayProperties.java:58)",
            "\tat c.s.payments.gateway.GatewayClientConfiguration.gatewayClient(GatewayClientConfiguration.java:31)",
        ):
            logs.log(
                w,
                pod,
                t,
                logs.java(t, "ERROR", "o.s.boot.SpringApplication", line, thread="main")
                if not line.startswith("\t")
                else line,
                previous=True,
            )
        event(
            w,
            "Pod",
            pod.name,
            "BackOff",
            f"Back-off restarting failed container payments in pod {pod.name}_shop({pod.uid})",
            pod.restarts[1] - timedelta(seconds=2),
            last=ago(w, 0.2),
            count=len(pod.restarts) + 3,
            type="Warning",
            host=pod.node,
            field_path="spec.containers{payments}",
        )
        event(
            w,
            "Pod",
            pod.name,
            "Pulled",
            f'Container image "{pod.svc.image}" already present on machine',
            first,
            last=last,
            count=len(pod.restarts),
            host=pod.node,
            field_path="spec.containers{payments}",
        )
    w.episode("payments", onset, ramp=20, err=0.6)
    w.propagate("payments", onset, err=0.95, lat_add=0.4, ramp=40)
    w.error_codes["checkout"] = {"500": 0.2, "503": 0.8}
    chk = w.pods_of("checkout")[0]
    logs.background(w, chk, minutes=15, every=8)
    t = onset + timedelta(seconds=6)
    while t < w.page_at:
        logs.log(
            w,
            chk,
            t,
            logs.go(
                t,
                "error",
                "payment authorization failed",
                error='Post "http://payments:8080/v1/authorizations": dial tcp 172.20.91.14:8080: '
                "connect: connection refused",
                status=503,
                path="/v1/orders",
            ),
        )
        t += timedelta(seconds=3 + w.rng.random() * 6)
    finish(w)
    _inc, pd = pagerduty(
        w.page_at,
        number=4817,
        service="checkout",
        title="[FIRING:1] HighErrorRatio checkout (shop critical)",
        alert_key="HighErrorRatio/shop/checkout",
        details={
            "firing": "Labels:\n - alertname = HighErrorRatio\n - namespace = shop\n - service = checkout\n"
            "Annotations:\n - summary = checkout: more than 5% of requests fail\n",
            "num_firing": "1",
            "num_resolved": "0",
        },
        change_events=[
            change_event(
                ago(w, 50),
                "search",
                "Deploy search 2.7.5 to production",
                details={"version": "2.7.5", "commit": "a91c3e7", "actor": "kenji-w"},
            ),
            change_event(
                ago(w, 190),
                "frontend",
                "Feature flag checkout.express_pay set to 25%",
                source="flagd",
                details={"flag": "checkout.express_pay", "rollout": "25%"},
            ),
        ],
    )
    alerts = [
        am_alert(
            w.page_at,
            "KubePodCrashLooping",
            "payments",
            severity="warning",
            receiver="payments-slack",
            summary="Pod is crash looping.",
            description=f"Pod shop/{w.pods_of('payments')[0].name} (payments) is in waiting state "
            '(reason: "CrashLoopBackOff").',
            starts=ago(w, 1.5),
            extra={"pod": w.pods_of("payments")[0].name, "container": "payments"},
            expr='max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1',
            runbook="https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping",
        ),
        disk_alert(w, "shop-db", hours=20),
    ]
    return Bundle(
        w,
        "Someone edited the payments ConfigMap at 19:11:50 and renamed PAYMENT_GATEWAY_URL; payments reloads "
        "on config changes, shut down, and now exits at start. Both pods are in CrashLoopBackOff, checkout "
        "cannot authorise payments and pages through PagerDuty.",
        pd["incidents"][0]["id"],
        {
            "component": "payments",
            "kind": "crashloop",
            "also_accept": ["config_change"],
            "notes": "payments-config managedFields: kubectl-edit at 19:11:50 touching PAYMENT_GATEWAY_URL; previous "
            "container logs: missing required config PAYMENT_GATEWAY_URL, exit code 1. The page is on "
            "checkout. Red herrings: search deploy 50 min before (also a PagerDuty change event), catalog "
            "blip, inventory liveness warning, a flag change 3 h before.",
        },
        source="pagerduty",
        alerts=alerts,
        pagerduty=pd,
    )
