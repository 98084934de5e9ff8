"""The topology event gathered from a stand-in cluster through the real client: every address
form of a Service, StatefulSet pod DNS names, clusterIPs and pod IPs, env references that never
store a value, pods per node, and nothing created after the page."""

from __future__ import annotations

import json

from pytest import MonkeyPatch
from sqlalchemy import MetaData, select

from connectors.base import PodInfo, ServiceInfo
from connectors.kubernetes import KubernetesConnector
from incident.config import Settings
from incident.gathering import Outcome, scan, topology, write_outcome
from incident.gathering.kubernetes import gather_kubernetes
from incident.gathering.scan import gather_scan
from incident.gathering.topology import ClusterView
from incident.models import EventKind, Incident
from incident.store import Store
from incident.timeline import timeline
from tests.connectors import k8s_objects as k
from tests.gathering.conftest import context


def _topology(conn: KubernetesConnector, settings: Settings) -> dict:
    (draft,) = [d for d in gather_scan(conn, context(settings)) if d.kind == EventKind.topology]
    assert draft.key == "topology/shop" and draft.at == k.PAGE
    return draft.details


def test_services_endpoints_and_workloads_listed(conn: KubernetesConnector) -> None:
    services = {s.name: s for s in conn.services(namespace="shop")}
    assert set(services) == {"orders-db", "cart", "web", "legacy-gw"}  # search was created after the page
    assert services["orders-db"].cluster_ips == () and services["cart"].cluster_ips == ("172.20.0.10",)
    endpoints = {e.name: e for e in conn.endpoints(namespace="shop")}
    (cart,) = endpoints["cart"].addresses
    assert (cart.ip, cart.pod, cart.ready) == ("10.0.2.7", "cart-1", False)  # crash-looping: not ready
    assert [a.ip for a in endpoints["orders-db"].addresses] == ["10.0.1.5"] and endpoints["legacy-gw"].addresses == ()
    workloads = {(w.kind, w.name): w for w in conn.workloads(namespace="shop")}
    assert workloads[("StatefulSet", "orders-db")].service_name == "orders-db"
    assert workloads[("Deployment", "checkout")].env_values["app/CART_ADDR"] == "cart:8080"
    pods = {p.name: p for p in conn.all_pods(namespace="shop")}
    assert pods["orders-db-0"].ip == "10.0.1.5" and "checkout-9" not in pods
    assert len(conn.all_pods(namespace="shop", limit=2)) == 2
    batch = conn.pods_of(["checkout", "cart", "nope"], namespace="shop")
    assert batch == {c: conn.pods(c, namespace="shop") for c in ("checkout", "cart", "nope")}
    assert [p.name for p in batch["cart"]] == ["cart-1"]  # labelled app=cart, not app.kubernetes.io/name


def test_addresses_name_their_components(conn: KubernetesConnector, settings: Settings) -> None:
    addresses = _topology(conn, settings)["addresses"]
    for form in ("orders-db", "orders-db.shop", "orders-db.shop.svc", "orders-db.shop.svc.cluster.local"):
        assert addresses[form] == "orders-db"
    assert addresses["orders-db-0.orders-db.shop.svc.cluster.local"] == "orders-db"
    assert addresses["orders-db-0.orders-db"] == "orders-db"
    assert addresses["10.0.1.5"] == "orders-db" and addresses["10.0.0.11"] == "checkout"
    assert addresses["cart.shop.svc.cluster.local"] == "cart" and addresses["172.20.0.10"] == "cart"
    assert addresses["web.shop.svc"] == "frontend" and addresses["172.20.0.20"] == "frontend"
    assert addresses["legacy-gw"] == "payments"  # no pod matches: the Service's own labels name it
    assert addresses["checkout"] == "checkout"  # the Deployment's name
    assert "search" not in addresses and "172.20.0.40" not in addresses and "10.0.0.99" not in addresses


def test_env_references_resolve_without_keeping_values(conn: KubernetesConnector, settings: Settings) -> None:
    details = _topology(conn, settings)
    assert details["env_refs"] == {"checkout": ["orders-db", "cart", "payments"]}  # MODE=web is not an address
    assert details["nodes"] == {"node-1": ["cart", "checkout", "frontend"], "node-2": ["checkout", "orders-db"]}


def test_password_appears_nowhere_in_the_store(conn: KubernetesConnector, settings: Settings, store: Store) -> None:
    with store.session() as s:
        incident = Incident(dedup_key="x", source="alertmanager", title="t", component="checkout", page_at=k.PAGE)
        s.add(incident)
        s.flush()
        ctx = context(settings, incident.id)
        for _ in range(2):  # a refresh updates the same events
            write_outcome(s, ctx, Outcome("kubernetes", drafts=list(gather_kubernetes(conn, ctx))))
    with store.session() as s:
        events = timeline(s, ctx.incident_id)
        assert [e.kind for e in events].count("topology") == 1
        assert {"topology", "deploy", "pod_state"} <= {e.kind for e in events}
        (deploy,) = [e for e in events if e.kind == "deploy"]
        assert deploy.details["diff"]["env"]["app/DATABASE_URL"] == {
            "from": None,
            "to": "postgres://user:[REDACTED]@orders-db.shop.svc:5432/x",
        }
        meta = MetaData()
        meta.reflect(bind=s.get_bind())
        everything = "\n".join(
            json.dumps([[str(v) for v in row] for row in s.execute(select(table))]) for table in meta.sorted_tables
        )
    assert "user:[REDACTED]@" in everything and "secret" not in everything


def _pod(name: str, component: str, ip: str, ns: str = "shop") -> PodInfo:
    return PodInfo(ns, name, component, "Running", True, k.ago(60), node="node-1", ip=ip, labels={"app": component})


def test_address_cap_keeps_the_related_components_first(settings: Settings, monkeypatch: MonkeyPatch) -> None:
    monkeypatch.setattr(topology, "MAX_ADDRESSES", 10)
    view = ClusterView(pods=[_pod(f"c{i:02d}-0", f"c{i:02d}", f"10.0.0.{i}") for i in range(40)])
    draft = topology.topology_draft(view, context(settings, related=("c39", "c38")), ("c39", "c38"))
    addresses = draft.details["addresses"]
    assert len(addresses) == 10 and addresses["10.0.0.39"] == "c39" and addresses["10.0.0.38"] == "c38"
    assert draft.details["dropped_addresses"] == {"over_cap": 30, "ambiguous": 0}


def test_an_address_two_components_claim_resolves_in_the_incident_namespace(settings: Settings) -> None:
    view = ClusterView(
        pods=[_pod("db-0", "orders-db", "10.0.0.1"), _pod("db-0", "ledger-db", "10.0.9.1", ns="finance")],
        services=[
            ServiceInfo("shop", "db", ("172.20.0.1",), {"app": "orders-db"}),
            ServiceInfo("finance", "db", ("172.20.9.1",), {"app": "ledger-db"}),
        ],
    )
    keys = settings.kubernetes.component_label_keys
    in_shop = topology.address_book(view, keys, "shop")
    assert in_shop.resolve("db", "shop") == "orders-db" and in_shop.resolve("db.finance", "shop") == "ledger-db"
    anywhere = topology.address_book(view, keys, None)
    assert "db" not in anywhere.resolved and anywhere.ambiguous == 1  # across namespaces: no guess
    # a relative name resolves in the namespace of the pod that uses it
    assert anywhere.resolve("db", "shop") == "orders-db" and anywhere.resolve("db", "finance") == "ledger-db"


def test_a_capped_pod_scan_says_it_is_partial(
    conn: KubernetesConnector, settings: Settings, monkeypatch: MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "MAX_SCAN_PODS", 2)  # the list stops after checkout-1 and checkout-2
    (topo,) = [d for d in gather_scan(conn, context(settings)) if d.kind == EventKind.topology]
    assert topo.details["partial"] == "the first 2 pods only" and topo.summary.endswith("(the first 2 pods only)")
    assert topo.details["nodes"] == {"node-1": ["checkout"], "node-2": ["checkout"]}
