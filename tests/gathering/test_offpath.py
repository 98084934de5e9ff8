"""The namespace-wide scan: unhealthy pods of components outside the gathered set are recorded
(capped, one component at a time), healthy ones and the gathered set's pods are not."""

from __future__ import annotations

from connectors.base import ContainerState, PodInfo
from connectors.kubernetes import KubernetesConnector
from incident.config import KubernetesConfig, Settings
from incident.errors import ConnectorError
from incident.gathering.kubernetes import gather_kubernetes
from incident.gathering.offpath import off_path_drafts, workload_of
from incident.gathering.scan import gather_scan
from incident.models import EventKind
from incident.sandbox.kubernetes import KubernetesStandIn
from tests.connectors import k8s_objects as k
from tests.gathering.conftest import context


def pod(name: str, component: str | None, *, healthy: bool = False, owner: str | None = None) -> PodInfo:
    state = ContainerState("app", "img", ready=healthy, restart_count=0 if healthy else 9, state="running")
    return PodInfo(
        "shop", name, component, "Running", healthy, k.ago(600), node="node-1", owner=owner, containers=(state,)
    )


def test_gathering_records_unhealthy_pods_off_the_gathered_set(conn: KubernetesConnector, settings: Settings) -> None:
    drafts = gather_scan(conn, context(settings))
    wide = [d for d in drafts if d.kind == EventKind.pod_state and d.details.get("wide_scan")]
    assert [(d.component, d.details["pod"]) for d in wide] == [("cart", "cart-1")]
    assert "CrashLoopBackOff" in wide[0].summary and wide[0].at == k.ago(3)
    assert not any(d.key == "pods/cart" for d in gather_kubernetes(conn, context(settings)))  # not gathered
    inside = gather_scan(conn, context(settings, related=("checkout", "cart")))
    assert not any(d.kind == EventKind.pod_state for d in inside)  # cart is gathered; frontend-1 is healthy


def test_cap_one_component_at_a_time_and_a_note_for_the_rest(settings: Settings) -> None:
    pods = [pod(f"{c}-{i}", c) for c in ("cart", "search", "ads") for i in range(10)]
    pods += [pod("quiet-1", "quiet", healthy=True)]
    drafts = off_path_drafts(pods, context(settings))
    recorded = [d for d in drafts if d.kind == EventKind.pod_state]
    assert len(recorded) == 20
    assert [d.component for d in recorded[:6]] == ["ads", "cart", "search"] * 2
    (note,) = [d for d in drafts if d.kind == EventKind.note]
    assert note.summary.startswith("10 more unhealthy pods") and note.details["components"] == ["ads", "cart", "search"]
    assert off_path_drafts([pod("quiet-1", "quiet", healthy=True)], context(settings)) == []


def test_unlabelled_pods_are_named_by_their_workload() -> None:
    labelled = pod("x", None, owner="ReplicaSet/legacy-api-6d8e9fac7e")
    assert workload_of(labelled) == "legacy-api-6d8e9fac7e"  # no template hash label: the owner as is
    hashed = PodInfo(**{**labelled.__dict__, "labels": {"pod-template-hash": "6d8e9fac7e"}})
    assert workload_of(hashed) == "legacy-api"
    assert workload_of(pod("db-0", None, owner="StatefulSet/db")) == "db"
    assert workload_of(pod("bare", None)) is None


class NoClusterWideList(KubernetesConnector):
    def all_pods(self, *, namespace: str | None = None, limit: int | None = None) -> list[PodInfo]:
        raise ConnectorError("list pods in namespace shop: HTTP 403 Forbidden", connector="kubernetes")


def test_a_failed_scan_is_a_note_and_the_rest_stands(server: KubernetesStandIn, settings: Settings) -> None:
    conn = NoClusterWideList(KubernetesConfig(host=server.url))
    drafts = {d.key: d for d in gather_kubernetes(conn, context(settings))}
    assert drafts["pods/checkout"].details["total"] == 2 and "pod/shop/checkout-2" in drafts
    assert "HTTP 403" in drafts["kubernetes/scan"].summary
    assert not any(d.kind == EventKind.topology or d.details.get("wide_scan") for d in drafts.values())
    with_scan = gather_kubernetes(KubernetesConnector(KubernetesConfig(host=server.url)), context(settings))
    assert {"topology/shop", "pod/shop/cart-1"} <= {d.key for d in with_scan}
