"""A small shop namespace for the gathering tests: Services (one headless, one created after
the page), a StatefulSet, pods with IPs on two nodes, a caller whose env names its dependencies."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.connectors import k8s_objects as k

Obj = dict[str, Any]
DATABASE_URL = "postgres://user:secret@orders-db.shop.svc:5432/x"
CHECKOUT_ENV = [
    {"name": "DATABASE_URL", "value": DATABASE_URL},
    {"name": "CART_ADDR", "value": "cart:8080"},
    {"name": "MODE", "value": "web"},  # a word that is also a Service name, under a name that holds no address
    {"name": "PAYMENTS_HOST", "value": "legacy-gw"},
]


def with_ip(pod: Obj, ip: str, *, owner: tuple[str, str] | None = None, labels: dict[str, str] | None = None) -> Obj:
    pod["status"]["podIP"] = ip
    pod["status"]["podIPs"] = [{"ip": ip}]
    if owner:
        pod["metadata"]["ownerReferences"][0].update(kind=owner[0], name=owner[1])
        pod["metadata"]["labels"].pop("pod-template-hash", None)
    if labels:
        pod["metadata"]["labels"].update(labels)
    return pod


def service(
    name: str,
    selector: dict[str, str],
    *,
    cluster_ip: str | None = None,
    labels: dict[str, str] | None = None,
    created: Any = None,
) -> Obj:
    ip = cluster_ip or "None"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "creationTimestamp": k.ts(created or k.ago(9000)),
            "labels": labels or {},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": ip,
            "clusterIPs": [ip],
            "selector": selector,
            "ports": [{"name": "tcp", "port": 5432, "targetPort": 5432, "protocol": "TCP"}],
        },
    }


def statefulset(name: str) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {
            "name": name,
            "namespace": "shop",
            "creationTimestamp": k.ts(k.ago(9000)),
            "labels": {"app.kubernetes.io/name": name},
        },
        "spec": {
            "replicas": 1,
            "serviceName": name,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": k.template(name, f"registry.example/{name}:16", env=[{"name": "PGDATA", "value": "/data"}]),
        },
    }


def crashing(name: str, *, app: str, label_key: str = "app.kubernetes.io/name") -> Obj:
    status = k.container_status(
        "app",
        "registry.example/x:1",
        ready=False,
        restarts=40,
        state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
        last={"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": k.ts(k.ago(3))}},
    )
    return k.pod(name, app=app, label_key=label_key, status=status, ready=False, replicaset=f"{app}-7d9f8c6b5")


def shop() -> list[Obj]:
    restarted = k.container_status(
        "app",
        "registry.example/checkout:2",
        restarts=2,
        state={"running": {"startedAt": k.ts(k.PAGE + timedelta(minutes=3))}},  # restarted during the replay
        last={"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": k.ts(k.ago(1))}},
    )
    return [
        k.deployment("checkout", image="registry.example/checkout:2", revision=2, env=CHECKOUT_ENV),
        k.replicaset("checkout", "5c7d8f9b6d", image="registry.example/checkout:1", revision=1, created=k.ago(3000)),
        k.replicaset(
            "checkout",
            "6d8e9fac7e",
            image="registry.example/checkout:2",
            revision=2,
            created=k.ago(10),
            replicas=2,
            env=CHECKOUT_ENV,
        ),
        with_ip(k.pod("checkout-1", replicaset="checkout-6d8e9fac7e"), "10.0.0.11"),
        with_ip(k.pod("checkout-2", replicaset="checkout-6d8e9fac7e", status=restarted, node="node-2"), "10.0.0.12"),
        statefulset("orders-db"),
        with_ip(k.pod("orders-db-0", app="orders-db", node="node-2"), "10.0.1.5", owner=("StatefulSet", "orders-db")),
        service("orders-db", {"app.kubernetes.io/name": "orders-db"}),  # headless
        k.deployment("cart", app="cart", image="registry.example/cart:3", revision=1),
        with_ip(crashing("cart-1", app="cart", label_key="app"), "10.0.2.7"),
        service("cart", {"app": "cart"}, cluster_ip="172.20.0.10"),
        with_ip(k.pod("frontend-1", app="frontend"), "10.0.3.3", labels={"tier": "web"}),
        service("web", {"tier": "web"}, cluster_ip="172.20.0.20"),  # named by the pods its selector matches
        service("legacy-gw", {"tier": "gw"}, cluster_ip="172.20.0.30", labels={"app.kubernetes.io/name": "payments"}),
        service(
            "search",
            {"app.kubernetes.io/name": "search"},
            cluster_ip="172.20.0.40",
            created=k.PAGE + timedelta(hours=1),
        ),
        with_ip(k.pod("checkout-9", created=k.PAGE + timedelta(minutes=5)), "10.0.0.99"),
        k.node("node-1"),
        k.node("node-2"),
    ]
