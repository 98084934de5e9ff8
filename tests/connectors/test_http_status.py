"""Every connector reports the HTTP status an API answered with on :class:`ConnectorError`, and the
actions layer classifies failures by that status, never by the message text (issue 11, point 3)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from connectors.alertmanager.client import AlertmanagerConnector
from connectors.alertmanager.config import AlertmanagerConfig
from connectors.base import ClusterActions, ClusterSource, DeploymentState, PodState, ReplicaSetState
from connectors.catalog.backstage import BackstageConnector
from connectors.catalog.config import CatalogConfig
from connectors.common.errors import ConnectorError, ConnectorTimeout
from connectors.kubernetes.client import KubernetesConnector
from connectors.kubernetes.config import KubernetesConfig
from connectors.pagerduty.client import PagerDutyConnector
from connectors.pagerduty.config import PagerDutyConfig
from connectors.prometheus.client import PrometheusConnector
from connectors.prometheus.config import PrometheusConfig
from incident.actions.executors import plain_error
from incident.actions.k8s import DeletePod, Restart, RolloutUndo, Scale
from incident.models import Action
from incident.sandbox.http import Response, StandInServer
from incident.sandbox.kubernetes import KubernetesStandIn
from tests.connectors import k8s_objects as k

# ---------------------------------------------------------------- connectors carry the status


def answering(status: int, body: Any = None) -> StandInServer:
    """A server that answers every GET with ``status``."""
    server = StandInServer()
    server.route("GET", "/.*", lambda _: Response(status, body if body is not None else {"error": "nope"}))
    return server


def raised(call: Any) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("status", [404, 409, 503])
def test_alertmanager_error_carries_the_status(status: int) -> None:
    with answering(status) as server:
        client = AlertmanagerConnector(AlertmanagerConfig(url=server.url))
        assert raised(client.active_alerts).http_status == status


@pytest.mark.parametrize("status", [401, 404])
def test_pagerduty_error_carries_the_status(status: int) -> None:
    with answering(status) as server:
        config = PagerDutyConfig.model_validate({"api_token": "t", "base_url": server.url, "timeout": "2s"})
        client = PagerDutyConnector(config, backoff_seconds=0.01)
        assert raised(lambda: client.incident("PX1")).http_status == status


@pytest.mark.parametrize("status", [403, 500])
def test_backstage_error_carries_the_status(status: int) -> None:
    with answering(status) as server:
        client = BackstageConnector(CatalogConfig(backstage_url=server.url))
        assert raised(client.components).http_status == status


def test_prometheus_error_carries_the_status_shared_by_every_signal() -> None:
    body = {"status": "error", "errorType": "bad_data", "error": "parse error"}
    with answering(400, body) as server:
        client = PrometheusConnector(PrometheusConfig(url=server.url), component_label="service")
        now = datetime.now(UTC)
        error = raised(
            lambda: client.query_signals(
                {"a": "up", "b": "up"}, start=now - timedelta(minutes=5), end=now, step_seconds=60
            )
        )
        assert error.http_status == 400 and "bad_data" in error.message


@pytest.fixture
def cluster() -> Iterator[KubernetesConnector]:
    objects = [
        k.deployment("checkout", image="registry.example/checkout:1", revision=3, replicas=2),
        k.pod("checkout-a"),
    ]
    with KubernetesStandIn(objects=objects, page_at=k.PAGE) as server:
        connector = KubernetesConnector(KubernetesConfig(host=server.url))
        yield connector
        connector.close()


def test_kubernetes_missing_object_is_404_and_reads_are_typed(cluster: KubernetesConnector) -> None:
    assert isinstance(cluster, ClusterActions) and isinstance(cluster, ClusterSource)
    assert raised(lambda: cluster.read_pod("shop", "nope")).http_status == 404
    assert raised(lambda: cluster.delete_pod("shop", "nope", dry_run=True)).http_status == 404
    assert raised(lambda: cluster.read_deployment("shop", "nope")).http_status == 404
    live = cluster.read_deployment("shop", "checkout")
    assert (live.name, live.revision, live.replicas, live.restarted_at) == ("checkout", 3, 2, None)
    pod = cluster.read_pod("shop", "checkout-a")
    assert pod.uid and not pod.terminating


def test_no_answer_has_no_status() -> None:
    with socket.socket() as sock:  # nothing listens on the port once the socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = KubernetesConnector(KubernetesConfig.model_validate({"host": f"http://127.0.0.1:{port}", "timeout": "1s"}))
    assert raised(lambda: client.read_pod("shop", "a")).http_status is None


# ---------------------------------------------------------------- the actions layer reads the status


def action(target: str = "pod shop/a", **params: Any) -> Action:
    return cast(Action, SimpleNamespace(target=target, type="kubernetes.delete_pod", params=params, dry_run=None))


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (404, "was not found"),
        (401, "not permitted"),
        (403, "not permitted"),
        (409, "changed by someone else"),
        (422, "refused as invalid"),
        (400, "refused as invalid"),
        (500, None),
        (None, None),
    ],
)
def test_plain_error_follows_the_status(status: int | None, words: str | None) -> None:
    exc = ConnectorError("patch deployment: upstream said no", connector="kubernetes", http_status=status)
    text = plain_error(exc, action())
    assert text.endswith(exc.message)
    assert (words in text) if words else text == exc.message


def test_plain_error_ignores_a_status_written_in_the_text() -> None:
    exc = ConnectorError("read pod: HTTP 404 Not Found (per a proxy's page)", connector="kubernetes", http_status=502)
    assert plain_error(exc, action()) == exc.message
    assert plain_error(ConnectorTimeout("no answer within 30s"), action()) == "no answer within 30s"


@dataclass
class FakeCluster:
    """:class:`ClusterActions` whose pod reads and deletes fail with ``error`` when set."""

    error: ConnectorError | None = None
    pod: PodState = field(default_factory=lambda: PodState("shop", "a", "uid-1", False, "ReplicaSet rs-1"))
    deployment: DeploymentState = field(default_factory=lambda: DeploymentState("shop", "web", 4, 3))
    calls: list[str] = field(default_factory=list)

    def _maybe_fail(self, call: str) -> None:
        self.calls.append(call)
        if self.error is not None:
            raise self.error

    def read_deployment(self, namespace: str, name: str) -> DeploymentState:
        self.calls.append("read_deployment")
        return self.deployment

    def read_replica_set(self, namespace: str, name: str) -> ReplicaSetState:
        self.calls.append("read_replica_set")
        return ReplicaSetState(namespace, name, 3)

    def read_pod(self, namespace: str, name: str) -> PodState:
        self._maybe_fail("read_pod")
        return self.pod

    def rollout_undo(
        self, namespace: str, deployment: str, to_revision: int | None = None, dry_run: bool = False
    ) -> dict[str, Any]:
        raise AssertionError("not used")

    def scale(self, namespace: str, deployment: str, replicas: int, dry_run: bool = False) -> dict[str, Any]:
        raise AssertionError("not used")

    def restart(self, namespace: str, deployment: str, dry_run: bool = False) -> dict[str, Any]:
        raise AssertionError("not used")

    def delete_pod(self, namespace: str, pod: str, dry_run: bool = False) -> dict[str, Any]:
        self._maybe_fail("delete_pod")
        return {"namespace": namespace, "pod": pod, "uid": "uid-1", "dry_run": dry_run}


def test_fake_cluster_is_a_cluster_actions() -> None:
    assert isinstance(FakeCluster(), ClusterActions)


def test_a_pod_that_answers_404_is_gone_whatever_the_text() -> None:
    gone = FakeCluster(error=ConnectorError("read pod shop/a: it vanished", connector="kubernetes", http_status=404))
    assert DeletePod().observe(gone, action(namespace="shop", pod="a")).status == "succeeded"
    dry = DeletePod().dry_run(gone, action(namespace="shop", pod="a"), cast(Any, None))
    assert dry["gone"] and gone.calls == ["read_pod", "delete_pod"]
    assert DeletePod().run(gone, action(namespace="shop", pod="a"), cast(Any, None), "me", dry)["gone"]


def test_an_error_whose_text_says_404_without_the_status_is_raised() -> None:
    proxy = FakeCluster(error=ConnectorError("read pod: HTTP 404 from a proxy", connector="kubernetes"))
    with pytest.raises(ConnectorError):
        DeletePod().observe(proxy, action(namespace="shop", pod="a"))
    with pytest.raises(ConnectorError):
        DeletePod().dry_run(proxy, action(namespace="shop", pod="a"), cast(Any, None))


def test_delete_dry_run_names_the_controller_from_the_typed_read() -> None:
    dry = DeletePod().dry_run(FakeCluster(), action(namespace="shop", pod="a"), cast(Any, None))
    assert dry["owner"] == "ReplicaSet rs-1" and not dry.get("gone")


def test_observe_reads_typed_state() -> None:
    cluster = FakeCluster(deployment=DeploymentState("shop", "web", 4, 3, restarted_at="2026-01-10T14:06:00Z"))
    undo = cast(Any, SimpleNamespace(params={"namespace": "shop", "deployment": "web"}, dry_run={}))
    undo.dry_run = {"replicaset": "web-rs", "from_revision": 4, "to_revision": 3}
    assert RolloutUndo().observe(cluster, undo).status == "failed"  # still at revision 4
    cluster.deployment = DeploymentState("shop", "web", 5, 3)
    assert RolloutUndo().observe(cluster, undo).status == "unknown"  # rs-web holds revision 3, the live one is 5
    scale = cast(Any, SimpleNamespace(params={"namespace": "shop", "deployment": "web", "replicas": 3}, dry_run={}))
    assert Scale().observe(cluster, scale).status == "succeeded"
    restarted = cast(
        Any,
        SimpleNamespace(
            params={"namespace": "shop", "deployment": "web"},
            executed_at=datetime(2026, 1, 10, 14, 5, 30, tzinfo=UTC),
        ),
    )
    cluster.deployment = DeploymentState("shop", "web", 5, 3, restarted_at="2026-01-10T14:06:00Z")
    assert Restart().observe(cluster, restarted).status == "succeeded"
    cluster.deployment = DeploymentState("shop", "web", 5, 3, restarted_at="2026-01-10T14:00:00Z")
    assert Restart().observe(cluster, restarted).status == "failed"
