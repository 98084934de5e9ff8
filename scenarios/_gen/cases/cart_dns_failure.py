"""Scenario cart-dns-failure (see scenarios/README.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from _gen import logs
from _gen.common import (
    ago,
    blip,
    error_alert,
    finish,
    harmless_deploy,
    latency_alert,
    old_alert,
    setup,
)
from _gen.k8s import object_meta, pod_ip
from _gen.kevents import event
from _gen.model import World
from _gen.render import Bundle
from _gen.world import NAMESPACE, ts

REDIS = "cart-redis.shop.svc.cluster.local"
STACK = (
    "redis.clients.jedis.exceptions.JedisConnectionException: Failed to create socket.",
    "\tat redis.clients.jedis.DefaultJedisSocketFactory.createSocket(DefaultJedisSocketFactory.java:110)",
    "\tat redis.clients.jedis.Connection.connect(Connection.java:201)",
    "\tat redis.clients.jedis.JedisFactory.makeObject(JedisFactory.java:158)",
    "\tat org.apache.commons.pool2.impl.GenericObjectPool.create(GenericObjectPool.java:571)",
    "\tat c.s.cart.store.RedisCartStore.load(RedisCartStore.java:64)",
    f"Caused by: java.net.UnknownHostException: {REDIS}: Temporary failure in name resolution",
    "\tat java.base/java.net.Inet6AddressImpl.lookupAllHostAddr(Native Method)",
    "\tat java.base/java.net.InetAddress$PlatformResolver.lookupByName(InetAddress.java:1211)",
    "\tat java.base/java.net.InetAddress.getAddressesFromNameService(InetAddress.java:1828)",
    "\tat java.base/java.net.InetAddress.getAllByName0(InetAddress.java:1139)",
)


def _policy(w: World, at: datetime) -> None:
    """The egress policy Argo CD synced: Redis and the collector allowed, DNS over TCP only (UDP forgotten)."""
    spec: dict[str, Any] = {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "cart"}},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "ports": [{"protocol": "TCP", "port": 6379}],
                "to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "cart-redis"}}}],
            },
            {
                "ports": [{"protocol": "TCP", "port": 53}],
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
            },
            {
                "ports": [{"protocol": "TCP", "port": 4317}],
                "to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "otel-collector"}}}],
            },
        ],
    }
    labels = {"app.kubernetes.io/name": "cart", "argocd.argoproj.io/instance": "shop-cart"}
    meta = object_meta("netpol", "cart-egress", at, generation=1, labels=labels)
    last = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"labels": labels, "name": "cart-egress", "namespace": NAMESPACE},
        "spec": spec,
    }
    meta["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(last, separators=(",", ":"))}
    meta["managedFields"] = [
        {
            "manager": "argocd-controller",
            "operation": "Update",
            "apiVersion": "networking.k8s.io/v1",
            "time": ts(at),
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {
                    "f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}},
                    "f:labels": {".": {}, "f:app.kubernetes.io/name": {}, "f:argocd.argoproj.io/instance": {}},
                },
                "f:spec": {"f:egress": {}, "f:podSelector": {}, "f:policyTypes": {}},
            },
        }
    ]
    w.objects.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta, "spec": spec})


def cart_dns_failure() -> Bundle:
    w = setup("cart-dns-failure", datetime(2025, 10, 29, 15, 52, tzinfo=UTC))
    harmless_deploy(w, "search", 47, "stemming for Dutch")
    blip(w, "recommendations", 38, lat=2.1, err=0.006)
    synced = ago(w, 6.6)
    _policy(w, synced)
    onset = synced + timedelta(seconds=35)
    w.episode("cart", onset, ramp=70, err=0.31, lat=6.0, sigma_add=0.6)
    w.error_codes["cart"] = {"500": 0.3, "503": 0.7}
    w.propagate("cart", onset, err=0.31, lat_add=0.3, ramp=70)
    w.episode("cart-redis", onset, ramp=70, cpu=0.7)
    for n, pod in enumerate(w.pods_of("cart")):
        logs.background(w, pod, minutes=15, every=6, until=onset)
        t = onset + timedelta(seconds=2 + 5 * n)
        k = 0
        while t < w.page_at:
            roll = w.rng.random()
            if roll < 0.35:
                cart = w.rng.randrange(10000, 99999)
                logs.log(
                    w,
                    pod,
                    t,
                    logs.java(
                        t,
                        "ERROR",
                        "c.s.cart.store.RedisCartStore",
                        f"GET cart:{cart} failed: redis.clients.jedis.exceptions.JedisConnectionException: "
                        "Failed to create socket.",
                        thread=f"http-nio-8080-exec-{w.rng.randrange(1, 40)}",
                    ),
                )
                if k % 3 == 0:
                    for line in STACK:
                        logs.log(w, pod, t, line)
                k += 1
            elif roll < 0.45:
                logs.log(
                    w,
                    pod,
                    t,
                    logs.java(
                        t,
                        "WARN",
                        "c.s.cart.web.CartController",
                        "request /v1/carts/{id} failed after 2000ms: redis.clients.jedis.exceptions."
                        "JedisExhaustedPoolException: Could not get a resource from the pool",
                        thread=f"http-nio-8080-exec-{w.rng.randrange(1, 40)}",
                    ),
                )
            elif roll < 0.5:
                logs.log(
                    w,
                    pod,
                    t,
                    logs.java(
                        t,
                        "WARN",
                        "i.o.exporter.internal.grpc.GrpcExporter",
                        "Failed to export spans. The request could not be executed. Full error message: "
                        "otel-collector: Temporary failure in name resolution",
                        thread="BatchSpanProcessor_WorkerThread-1",
                    ),
                )
            else:
                logs.log(w, pod, t, logs.request_line(w, pod, t, ms=round(3 + w.rng.random() * 30, 1)))
            t += timedelta(seconds=1 + w.rng.random() * 3)
    chk = w.pods_of("checkout")[2]
    logs.background(w, chk, minutes=15, every=8)
    t = onset + timedelta(seconds=30)
    while t < w.page_at:
        logs.log(
            w,
            chk,
            t,
            logs.go(
                t,
                "error",
                "load cart failed",
                error=f'GET "http://cart:8080/v1/carts/{w.rng.randrange(10000, 99999)}": 503 Service Unavailable',
                path="/v1/orders",
                status=502,
                duration_ms=w.rng.randrange(1900, 2300),
            ),
        )
        t += timedelta(seconds=5 + w.rng.random() * 10)
    cat = w.pods_of("catalog")[0]
    at = ago(w, 24)
    event(
        w,
        "Pod",
        cat.name,
        "Unhealthy",
        f'Liveness probe failed: Get "http://{pod_ip(cat.name)}:8080/healthz": context deadline exceeded '
        "(Client.Timeout exceeded while awaiting headers)",
        at,
        last=at + timedelta(seconds=10),
        count=2,
        type="Warning",
        host=cat.node,
        field_path="spec.containers{catalog}",
    )
    late = w.pods_of("cart")[1]
    event(
        w,
        "Pod",
        late.name,
        "Unhealthy",
        f'Readiness probe failed: Get "http://{pod_ip(late.name)}:8080/ready": context deadline exceeded '
        "(Client.Timeout exceeded while awaiting headers)",
        w.page_at + timedelta(seconds=46),
        type="Warning",
        host=late.node,
        field_path="spec.containers{cart}",
    )
    finish(w)
    alerts = [
        error_alert(w, "cart", 30.2, w.page_at),
        latency_alert(w, "checkout", 2.3, ago(w, 1), severity="warning", receiver="checkout-slack"),
        old_alert(
            w,
            "CPUThrottlingHigh",
            "frontend",
            "Processes experience elevated CPU throttling.",
            20,
            "sum(increase(container_cpu_cfs_throttled_periods_total[5m])) by (container, pod, namespace) "
            "/ sum(increase(container_cpu_cfs_periods_total[5m])) by (container, pod, namespace) > 0.25",
        ),
    ]
    return Bundle(
        w,
        "At 15:45:24 Argo CD synced a new NetworkPolicy, cart-egress, that allows cart to reach Redis and the "
        "collector but lets DNS through over TCP only. cart's resolver queries over UDP, so once its cached "
        "address for cart-redis expires, every new Redis connection waits on DNS and fails with 'Temporary "
        "failure in name resolution'; the pool runs dry, cart answers 503s slowly and checkout times out. "
        "Redis itself is healthy.",
        "HighErrorRatio",
        {
            "component": "cart",
            "kind": "network",
            "also_accept": ["config_change"],
            "notes": "cart logs: UnknownHostException cart-redis.shop.svc.cluster.local: Temporary failure in name "
            "resolution (Jedis 'Failed to create socket', pool exhausted) and the OTel exporter failing to "
            "resolve otel-collector; only cart is affected, cart-redis is up. NetworkPolicy cart-egress "
            "(created 15:45:24 by argocd-controller, in kubernetes/other.json; not served by the sandbox) "
            "allows port 53 over TCP only. Red herrings: search deploy 47 min before, recommendations blip, "
            "catalog liveness warning, a day-old CPUThrottlingHigh on frontend. A cart readiness timeout after "
            "the page is never served.",
        },
        alerts=alerts,
    )
