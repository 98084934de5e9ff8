"""Scenario payments-certificate-expired (see scenarios/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _gen import logs
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
from _gen.k8s import pod_ip
from _gen.kevents import event
from _gen.patches import mount
from _gen.render import Bundle

GATEWAY = "https://api.gateway.example.net/v3/authorizations"
STACK = (
    "javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_expired",
    "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:130)",
    "\tat java.base/sun.security.ssl.Alert.createSSLException(Alert.java:117)",
    "\tat java.base/sun.security.ssl.TransportContext.fatal(TransportContext.java:365)",
    "\tat java.base/sun.security.ssl.Alert$AlertConsumer.consume(Alert.java:287)",
    "\tat java.base/sun.security.ssl.TransportContext.dispatch(TransportContext.java:204)",
    "\tat java.base/sun.security.ssl.SSLTransport.decode(SSLTransport.java:172)",
    "\tat java.base/sun.security.ssl.SSLSocketImpl.decode(SSLSocketImpl.java:1506)",
    "\tat java.base/sun.security.ssl.SSLSocketImpl.readHandshakeRecord(SSLSocketImpl.java:1421)",
    "\tat java.base/sun.security.ssl.SSLSocketImpl.startHandshake(SSLSocketImpl.java:455)",
    "\tat org.apache.hc.client5.http.ssl.SSLConnectionSocketFactory.createLayeredSocket("
    "SSLConnectionSocketFactory.java:289)",
    "\tat c.s.payments.gateway.GatewayClient.authorize(GatewayClient.java:88)",
)


def payments_certificate_expired() -> Bundle:
    w = setup("payments-certificate-expired", datetime(2026, 4, 15, 18, 6, tzinfo=UTC))
    harmless_deploy(w, "inventory", 54, "stock sync batch size 500")
    blip(w, "search", 39, lat=2.6, err=0.008)
    probe_warning(w, "recommendations", 23)
    not_after = w.page_at - timedelta(minutes=6, seconds=13)
    expiry = "2026-04-15T17:59:47Z"
    onset = not_after + timedelta(seconds=6)
    mount(
        w,
        "payments",
        {"name": "gateway-mtls", "secret": {"secretName": "payments-gateway-mtls", "defaultMode": 420}},
        "/etc/payments/gateway-mtls",
        kinds=("Pod", "Deployment", "ReplicaSet"),
    )
    w.episode("payments", onset, ramp=100, err=0.93, lat=2.8, sigma_add=0.1)
    w.error_codes["payments"] = {"502": 1.0}
    w.propagate("payments", onset, err=0.93, lat_add=0.5, ramp=100, err_factor={"checkout": 0.72})
    w.error_codes["checkout"] = {"500": 0.1, "502": 0.9}
    for n, pod in enumerate(w.pods_of("payments")):
        logs.background(w, pod, minutes=25, every=7, until=onset + timedelta(seconds=40))
        for mins in (30, 15):
            t = not_after.replace(second=0) - timedelta(minutes=mins - 1, seconds=-n)
            left = int((not_after - t).total_seconds())
            logs.log(
                w,
                pod,
                t,
                logs.java(
                    t,
                    "WARN",
                    "c.s.p.gateway.ClientCertificateMonitor",
                    f"gateway client certificate CN=payments.shop.example.com (keystore "
                    f"/etc/payments/gateway-mtls/keystore.p12) expires in {left // 60}m {left % 60}s "
                    f"(notAfter {expiry})",
                    thread="scheduling-1",
                ),
            )
        t = not_after.replace(second=0) + timedelta(minutes=1, seconds=n)
        logs.log(
            w,
            pod,
            t,
            logs.java(
                t,
                "ERROR",
                "c.s.p.gateway.ClientCertificateMonitor",
                f"gateway client certificate has expired: CN=payments.shop.example.com, notAfter {expiry}",
                thread="scheduling-1",
            ),
        )
        t = onset + timedelta(seconds=3 + 4 * n)
        k = 0
        while t < w.page_at:
            share = min(1.0, (t - onset).total_seconds() / 100)
            if w.rng.random() < 0.93 * share:
                order = w.rng.randrange(700000, 799999)
                logs.log(
                    w,
                    pod,
                    t,
                    logs.java(
                        t,
                        "ERROR",
                        "c.s.payments.gateway.GatewayClient",
                        f"authorization failed for order {order} after 3 attempts: I/O error on POST request "
                        f'for "{GATEWAY}": Received fatal alert: certificate_expired',
                        thread=f"http-nio-8080-exec-{w.rng.randrange(1, 10)}",
                    ),
                )
                if k % 4 == 0:
                    for line in STACK:
                        logs.log(w, pod, t, line)
                k += 1
            else:
                logs.log(w, pod, t, logs.request_line(w, pod, t))
            t += timedelta(seconds=1.5 + w.rng.random() * 3)
    chk = w.pods_of("checkout")[1]
    logs.background(w, chk, minutes=15, every=8)
    t = onset + timedelta(seconds=20)
    while t < w.page_at:
        logs.log(
            w,
            chk,
            t,
            logs.go(
                t,
                "error",
                "payment authorization failed",
                error='payments: 502 Bad Gateway: {"error":"gateway_unavailable","detail":"payment gateway '
                'request failed"}',
                order_id=w.rng.randrange(700000, 799999),
                status=502,
                path="/v1/orders",
            ),
        )
        t += timedelta(seconds=2 + w.rng.random() * 5)
    rec = w.pods_of("recommendations")[0]
    event(
        w,
        "Pod",
        rec.name,
        "Unhealthy",
        f'Readiness probe failed: Get "http://{pod_ip(rec.name)}:8080/ready": context deadline exceeded '
        "(Client.Timeout exceeded while awaiting headers)",
        w.page_at + timedelta(seconds=34),
        type="Warning",
        host=rec.node,
        field_path="spec.containers{recommendations}",
    )
    finish(w)
    alerts = [
        error_alert(w, "checkout", 58.4, w.page_at),
        error_alert(w, "payments", 91.7, ago(w, 0.5), severity="warning", receiver="payments-slack"),
        disk_alert(w, "shop-db", hours=27),
    ]
    return Bundle(
        w,
        "payments authenticates to the external card gateway with a client certificate (mutual TLS) that was "
        "issued by hand a year ago and expired at 17:59:47. As pooled connections to the gateway recycle, "
        "every new handshake is rejected (TLS alert certificate_expired); payments answers 502 and checkout "
        "cannot place orders. Nothing was deployed or reconfigured.",
        "HighErrorRatio",
        {
            "component": "payments",
            "kind": "certificate",
            "notes": "payments logs: 'Received fatal alert: certificate_expired' (javax.net.ssl.SSLHandshakeException) "
            "on POST to the gateway, and its ClientCertificateMonitor warning at 17:30 and 17:45 and reporting "
            "the expiry at 18:00. No restarts, no rollout or ConfigMap change of payments. Page on checkout. "
            "Red herrings: inventory deploy 54 min before, search blip, recommendations readiness warning, "
            "old disk alert on shop-db. A recommendations event after the page is never served.",
        },
        alerts=alerts,
    )
