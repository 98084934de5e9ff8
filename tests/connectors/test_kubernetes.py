"""The Kubernetes connector, driven through the official client against the stand-in API server."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest

from connectors.base import ClusterSource
from connectors.kubernetes import KubernetesConnector
from incident.config import KubernetesConfig
from incident.errors import ConnectorDataError, ConnectorError, ConnectorTimeout
from incident.sandbox.http import Response, StandInServer
from incident.sandbox.kubernetes import KubernetesStandIn
from incident.scenario import load_scenario
from tests.connectors import k8s_objects as k

IMG = "registry.example/checkout:"


def world() -> list[dict]:
    crash = k.container_status(
        "app",
        IMG + "1.4.2",
        ready=False,
        restarts=7,
        state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}},
        last={"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": k.ts(k.ago(1))}},
    )
    oom = k.container_status(
        "app",
        IMG + "1.4.2",
        ready=False,
        restarts=3,
        state={"running": {"startedAt": k.ts(k.ago(0.5))}},
        last={"terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": k.ts(k.ago(1))}},
    )
    pull = k.container_status(
        "app",
        IMG + "9.9.9",
        ready=False,
        state={"waiting": {"reason": "ImagePullBackOff", "message": "not found"}},
    )
    unschedulable = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient memory.",
            "lastTransitionTime": k.ts(k.ago(4)),
        }
    ]
    init_ok = [k.container_status("migrate", "registry.example/migrate:2", state={"terminated": {"exitCode": 0}})]
    env = [
        {"name": "MODE", "value": "fast"},
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "checkout-db", "key": "password"}}},
    ]
    volumes = [{"name": "cfg", "configMap": {"name": "checkout-config"}}]
    return [
        k.pod("checkout-1", status=crash, ready=False),
        k.pod(
            "checkout-2",
            status=oom,
            ready=False,
            init_containers=[{"name": "migrate", "image": "registry.example/migrate:2"}],
            init_statuses=init_ok,
        ),
        k.pod("checkout-3", status=pull, ready=False, image=IMG + "9.9.9"),
        k.pod("checkout-4", phase="Pending", node=None, conditions=unschedulable),
        k.pod("checkout-legacy", label_key="app"),
        k.pod("checkout-future", created=k.PAGE + timedelta(minutes=5)),
        k.pod("payments-1", app="payments", replicaset="payments-6b5d7c8f9a"),
        k.deployment("checkout", image=IMG + "1.4.2", revision=3, env=env, volumes=volumes),
        k.replicaset("checkout", "7f6d5c4b3a", image=IMG + "1.4.0", revision=1, created=k.ago(3 * 24 * 60)),
        k.replicaset(
            "checkout",
            "6c5b4a3d2f",
            image=IMG + "1.4.1",
            revision=2,
            created=k.ago(24 * 60),
            cause="release 1.4.1",
        ),
        k.replicaset(
            "checkout",
            "5c7d8f9b6d",
            image=IMG + "1.4.2",
            revision=3,
            created=k.ago(3),
            replicas=3,
            env=env,
            volumes=volumes,
            cause="release 1.4.2",
        ),
        k.replicaset("checkout", "4b3c2d1f0g", image=IMG + "1.5.0", revision=4, created=k.PAGE + timedelta(hours=1)),
        k.deployment("payments", app="payments", image="registry.example/payments:2.0", revision=1),
        k.event("crash", k.ago(2), count=12),
        k.event("normal", k.ago(2), type_="Normal", reason="Pulled", message="Successfully pulled image"),
        k.event("old", k.ago(120), reason="FailedScheduling"),
        k.event("future", k.PAGE + timedelta(minutes=1)),
        k.node("node-1"),
        k.node("node-2", ready=False, taints=[{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]),
        k.config_object("ConfigMap", "checkout-config", created=k.ago(600), written=k.ago(10)),
        k.config_object("ConfigMap", "quiet-config", app=None, created=k.ago(600), written=None),
        k.config_object("Secret", "checkout-db", created=k.ago(20), written=None),
    ]


LOGS = {
    ("shop", "checkout-1", "app", False): "".join(f"line {i}\n" for i in range(1, 301)),
    ("shop", "checkout-1", "app", True): "panic: missing DATABASE_URL\n",
}


@pytest.fixture
def server() -> Iterator[KubernetesStandIn]:
    with KubernetesStandIn(objects=world(), logs=dict(LOGS), page_at=k.PAGE) as stand_in:
        yield stand_in  # type: ignore[misc]


@pytest.fixture
def conn(server: KubernetesStandIn) -> Iterator[KubernetesConnector]:
    connector = KubernetesConnector(KubernetesConfig(host=server.url, log_tail_lines=50, log_limit_bytes=4096))
    yield connector
    connector.close()


def test_check_and_protocol(conn: KubernetesConnector) -> None:
    assert isinstance(conn, ClusterSource)
    result = conn.check()
    assert result.ok and "v1.30.0" in result.detail


def test_pod_states_map_every_failure_shape(conn: KubernetesConnector) -> None:
    pods = {p.name: p for p in conn.pods("checkout")}
    assert set(pods) == {"checkout-1", "checkout-2", "checkout-3", "checkout-4", "checkout-legacy"}
    crash = pods["checkout-1"].containers[0]
    assert (crash.state, crash.reason, crash.restart_count) == ("waiting", "CrashLoopBackOff", 7)
    assert (crash.last_state, crash.last_reason, crash.last_exit_code) == ("terminated", "Error", 1)
    assert crash.last_finished_at == k.ago(1)
    assert crash.limits == {"memory": "256Mi", "cpu": "500m"} and crash.requests == {"memory": "128Mi"}
    oom = pods["checkout-2"]
    init, app = oom.containers
    assert init.init and init.name == "migrate" and init.state == "terminated" and init.exit_code == 0
    assert (app.last_reason, app.last_exit_code) == ("OOMKilled", 137) and oom.restarts == 3
    assert pods["checkout-3"].containers[0].reason == "ImagePullBackOff"
    pending = pods["checkout-4"]
    assert pending.phase == "Pending" and pending.node is None and not pending.ready
    assert (
        pending.conditions[0]["reason"] == "Unschedulable" and "Insufficient memory" in pending.conditions[0]["message"]
    )
    assert pods["checkout-1"].owner == "ReplicaSet/checkout-5c7d8f9b6d" and pods["checkout-1"].node == "node-1"
    assert pods["checkout-legacy"].component == "checkout" and pods["checkout-legacy"].ready
    assert conn.pods("checkout", namespace="other") == []


def test_deployment_history_newest_first_until_page(conn: KubernetesConnector) -> None:
    (dep,) = conn.deployments("checkout", until=k.PAGE)
    assert dep.revision == 3 and dep.images == {"app": IMG + "1.4.2"} and dep.ready_replicas == 2
    assert [r.revision for r in dep.revisions] == [3, 2, 1]  # revision 4 was created after the page
    newest, previous = dep.revisions[0], dep.revisions[1]
    assert newest.images["app"] != previous.images["app"] and previous.images["app"] == IMG + "1.4.1"
    assert newest.template_hash == "5c7d8f9b6d" and newest.change_cause == "release 1.4.2"
    assert newest.config_refs == ("ConfigMap/checkout-config", "Secret/checkout-db")
    assert newest.env == {"app/MODE": "fast", "app/DB_PASSWORD": "secret:checkout-db/password"}
    assert dep.conditions[0]["reason"] == "MinimumReplicasUnavailable"
    earlier = conn.deployments("checkout", until=k.ago(60))[0]
    assert [r.revision for r in earlier.revisions] == [2, 1]


def test_events_window_warning_filter_and_pages(server: KubernetesStandIn) -> None:
    many = [k.event(f"bulk-{i:04d}", k.ago(30) + timedelta(seconds=i)) for i in range(1100)]
    server.load(many)
    conn = KubernetesConnector(KubernetesConfig(host=server.url))
    events = conn.events(namespace="shop", since=k.ago(40), until=k.PAGE)
    names = {e.uid for e in events}
    assert len(events) == 1101 and "uid-ev-crash" in names and "uid-ev-normal" not in names
    assert "uid-ev-old" not in names and "uid-ev-future" not in names
    pages = [p for m, p in server.requests if p == "/api/v1/namespaces/shop/events"]
    assert len(pages) == 3  # 500 + 500 + 104 warnings
    crash = next(e for e in events if e.uid == "uid-ev-crash")
    assert (crash.count, crash.object_name, crash.source, crash.last_at) == (
        12,
        "checkout-1",
        "kubelet",
        k.ago(2),
    )
    everything = conn.events(namespace=None, since=k.ago(5), until=k.PAGE, warning_only=False)
    assert {e.reason for e in everything} == {"BackOff", "Pulled"}


def test_objects_after_page_are_not_served(server: KubernetesStandIn) -> None:
    with urllib.request.urlopen(server.url + "/api/v1/namespaces/shop/pods?labelSelector=app.kubernetes.io/name") as r:
        body = json.load(r)
    assert body["kind"] == "PodList" and body["apiVersion"] == "v1"
    assert "checkout-future" not in {p["metadata"]["name"] for p in body["items"]}
    with urllib.request.urlopen(server.url + "/api/v1/events?fieldSelector=involvedObject.name%3Dcheckout-1") as r:
        assert "future" not in {e["metadata"]["name"] for e in json.load(r)["items"]}


def test_selectors_on_lists(server: KubernetesStandIn) -> None:
    def names(query: str) -> set[str]:
        with urllib.request.urlopen(f"{server.url}/api/v1/pods?{query}") as r:
            return {p["metadata"]["name"] for p in json.load(r)["items"]}

    assert names("labelSelector=app.kubernetes.io/name+in+(payments,nope)") == {"payments-1"}
    assert names("labelSelector=app") == {"checkout-legacy"}
    assert "checkout-legacy" in names("labelSelector=!app.kubernetes.io/name")
    assert "payments-1" not in names("labelSelector=app.kubernetes.io/name!=payments")
    assert names("fieldSelector=metadata.name%3Dcheckout-2") == {"checkout-2"}


def test_logs_current_previous_tail_limit(conn: KubernetesConnector, server: KubernetesStandIn) -> None:
    current = conn.logs("shop", "checkout-1", "app")
    assert current.text.splitlines() == [f"line {i}" for i in range(251, 301)] and not current.truncated
    previous = conn.logs("shop", "checkout-1", "app", previous=True)
    assert previous.previous and previous.text == "panic: missing DATABASE_URL\n"
    assert conn.logs("shop", "checkout-2", "app", previous=True).text == ""  # no previous log recorded
    assert conn.logs("shop", "checkout-3", "app").text == ""  # waiting to start: no log yet
    small = KubernetesConnector(KubernetesConfig(host=server.url, log_limit_bytes=100))
    cut = small.logs("shop", "checkout-1", "app")
    assert len(cut.text.encode()) == 100 and cut.truncated


def test_config_changes_in_window(conn: KubernetesConnector, server: KubernetesStandIn) -> None:
    changes = conn.config_changes(namespace="shop", since=k.ago(30), until=k.PAGE)
    assert [(c.details["object_kind"], c.details["name"]) for c in changes] == [
        ("Secret", "checkout-db"),
        ("ConfigMap", "checkout-config"),
    ]
    cm = changes[1]
    assert cm.kind == "config_change" and cm.source == "kubernetes" and cm.component == "checkout"
    assert cm.at == k.ago(10) and cm.details["manager"] == "argocd-controller" and cm.details["operation"] == "Apply"
    assert conn.config_changes(namespace=None, since=k.ago(5), until=k.PAGE) == []
    with urllib.request.urlopen(server.url + "/api/v1/namespaces/shop/secrets/checkout-db") as r:
        assert "data" not in json.load(r)


def test_nodes(conn: KubernetesConnector) -> None:
    one, two = conn.nodes()
    assert one.ready and not one.unschedulable and one.allocatable["memory"] == "15Gi"
    assert not two.ready and two.unschedulable and two.taints == ("node.kubernetes.io/unreachable:NoExecute",)
    assert {c["type"]: c["reason"] for c in two.conditions}["Ready"] == "NodeStatusUnknown"


def test_rollout_undo_dry_run_then_real(conn: KubernetesConnector) -> None:
    plan = conn.rollout_undo("shop", "checkout", dry_run=True)
    assert (plan["from_revision"], plan["to_revision"]) == (3, 2)
    assert plan["image_changes"] == {"app": {"from": IMG + "1.4.2", "to": IMG + "1.4.1"}}
    unchanged = conn.deployments("checkout", until=k.PAGE + timedelta(days=1))[0]
    assert unchanged.images["app"] == IMG + "1.4.2" and unchanged.revision == 3
    done = conn.rollout_undo("shop", "checkout")
    # revision 4 exists only after the page, so the stand-in never had it: the rollback is revision 4
    assert done["images_after"] == {"app": IMG + "1.4.1"} and done["revision_after"] == 4
    after = conn.deployments("checkout", until=k.PAGE + timedelta(days=1))[0]
    assert after.images["app"] == IMG + "1.4.1" and after.revision == 4
    top, current = after.revisions[0], after.revisions[1]
    assert (top.revision, top.replicaset, top.replicas) == (4, "checkout-6c5b4a3d2f", 3)
    assert (current.revision, current.replicas) == (3, 0)
    assert [r.revision for r in after.revisions] == [4, 3, 1]  # the reused ReplicaSet was renumbered
    assert top.env == {}  # the 1.4.1 template had no env: the merge patch removed it
    with pytest.raises(ConnectorError, match="no revision 9"):
        conn.rollout_undo("shop", "checkout", to_revision=9)


def test_scale_restart_delete(conn: KubernetesConnector) -> None:
    assert conn.scale("shop", "checkout", 5, dry_run=True) == {
        "namespace": "shop",
        "deployment": "checkout",
        "from_replicas": 3,
        "to_replicas": 5,
        "dry_run": True,
    }
    assert conn.deployments("checkout", until=k.PAGE)[0].replicas == 3
    assert conn.scale("shop", "checkout", 5)["to_replicas"] == 5
    assert conn.deployments("checkout", until=k.PAGE)[0].replicas == 5
    dry = conn.restart("shop", "checkout", dry_run=True)
    assert conn.deployments("checkout", until=k.PAGE + timedelta(hours=1))[0].revision == 3 and dry["dry_run"]
    conn.restart("shop", "checkout")
    dep = conn.deployments("checkout", until=k.PAGE + timedelta(hours=1))[0]
    assert dep.revision == 4 and dep.revisions[0].images == {"app": IMG + "1.4.2"}
    assert dep.revisions[0].replicaset != "checkout-5c7d8f9b6d" and dep.revisions[0].replicas == 5
    # the restart rolled the pods: five Ready pods of the new ReplicaSet replaced the old ones
    pods = conn.pods("checkout")
    assert len(pods) == 5 and all(p.ready and p.owner == f"ReplicaSet/{dep.revisions[0].replicaset}" for p in pods)
    victim = pods[0]
    assert conn.delete_pod("shop", victim.name, dry_run=True)["dry_run"]
    assert victim.name in {p.name for p in conn.pods("checkout")}
    conn.delete_pod("shop", victim.name)
    assert victim.name not in {p.name for p in conn.pods("checkout")}
    with pytest.raises(ConnectorError, match=rf'HTTP 404 Not Found: pods "{victim.name}" not found'):
        conn.delete_pod("shop", victim.name)


def test_dead_server_and_timeout() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = KubernetesConnector(KubernetesConfig(host=f"http://127.0.0.1:{port}"))
    assert not dead.check().ok
    with pytest.raises(ConnectorError, match="cannot connect to the API server"):
        dead.nodes()
    slow = StandInServer()
    slow.route("GET", "/api/v1/nodes", lambda r: time.sleep(1.5) or {"items": []})
    with slow:
        conn = KubernetesConnector(KubernetesConfig(host=slow.url, timeout="0.3s"))
        with pytest.raises(ConnectorTimeout):
            conn.nodes()


def test_garbage_answer_is_a_data_error() -> None:
    garbage = StandInServer()
    garbage.route("GET", "/api/v1/nodes", lambda r: Response(200, b"<html>proxy error</html>"))
    garbage.route("GET", "/api/v1/namespaces/shop/events", lambda r: Response(200, [1, 2]))
    with garbage:
        conn = KubernetesConnector(KubernetesConfig(host=garbage.url))
        with pytest.raises(ConnectorDataError, match="not JSON"):
            conn.nodes()
        with pytest.raises(ConnectorDataError, match="expected a JSON object"):
            conn.events(namespace="shop", since=k.ago(5), until=k.PAGE)


def test_bearer_token_enforced() -> None:
    with KubernetesStandIn(objects=[k.node("node-1")], token="s3cret") as server:
        anonymous = KubernetesConnector(KubernetesConfig(host=server.url))
        with pytest.raises(ConnectorError, match="HTTP 401.*refused"):
            anonymous.nodes()
        wrong = KubernetesConnector(KubernetesConfig(host=server.url, token="nope"))
        assert not wrong.check().ok
        good = KubernetesConnector(KubernetesConfig(**server.connector_config()))
        assert [n.name for n in good.nodes()] == ["node-1"]


def test_scenario_directory_and_scale_of_state(tmp_path) -> None:
    (tmp_path / "kubernetes").mkdir()
    (tmp_path / "logs" / "shop" / "checkout-1").mkdir(parents=True)
    (tmp_path / "scenario.yaml").write_text("name: k8s-test\npage:\n  at: 2026-01-10T14:05:00Z\n")
    pods = [k.pod(f"checkout-{i}") for i in range(2000)]
    events = [
        k.event(f"e-{i}", k.ago(50) + timedelta(seconds=i % 3000), obj=f"checkout-{i % 2000}") for i in range(10000)
    ]
    (tmp_path / "kubernetes" / "pods.json").write_text(
        json.dumps({"kind": "PodList", "apiVersion": "v1", "items": pods})
    )
    (tmp_path / "kubernetes" / "events.json").write_text(json.dumps({"kind": "EventList", "items": events}))
    (tmp_path / "logs" / "shop" / "checkout-1" / "app.previous.log").write_text("boom\n")
    started = time.monotonic()
    with KubernetesStandIn(load_scenario(tmp_path)) as server:
        conn = KubernetesConnector(KubernetesConfig(host=server.url, namespaces=["shop"]))
        assert len(conn.pods("checkout")) == 2000
        assert len(conn.events(namespace=None, since=k.ago(60), until=k.PAGE)) == 10000
        assert conn.logs("shop", "checkout-1", "app", previous=True).text == "boom\n"
    assert time.monotonic() - started < 15


def test_kubeconfig_context_and_token(tmp_path) -> None:
    with KubernetesStandIn(objects=[k.node("node-1")], token="s3cret") as server:
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "sandbox", "cluster": {"server": server.url}},
                {"name": "elsewhere", "cluster": {"server": "http://127.0.0.1:9"}},
            ],
            "users": [{"name": "oncall", "user": {"token": "s3cret"}}],
            "contexts": [
                {"name": "sandbox", "context": {"cluster": "sandbox", "user": "oncall"}},
                {"name": "prod", "context": {"cluster": "elsewhere", "user": "oncall"}},
            ],
            "current-context": "prod",
        }
        path = tmp_path / "kubeconfig"
        path.write_text(json.dumps(kubeconfig))
        conn = KubernetesConnector(KubernetesConfig(kubeconfig=str(path), context="sandbox"))
        assert [n.name for n in conn.nodes()] == ["node-1"]
        with pytest.raises(ConnectorError, match="cannot configure"):
            KubernetesConnector(KubernetesConfig(kubeconfig=str(path), context="missing"))


def test_an_event_that_began_before_the_window_end_and_repeated_after_it_is_kept(server: KubernetesStandIn) -> None:
    """Regression: an aggregated event was dropped when its lastTimestamp fell a few seconds after the
    window's end, although it had been repeating since well before (probe failures before a page)."""
    repeating = k.event("probe", k.PAGE, reason="Unhealthy", count=12)
    repeating["firstTimestamp"] = repeating["metadata"]["creationTimestamp"] = k.ts(k.ago(3))
    server.load([repeating])
    conn = KubernetesConnector(KubernetesConfig(host=server.url))
    events = conn.events(namespace="shop", since=k.ago(40), until=k.PAGE - timedelta(seconds=8))
    assert "uid-ev-probe" in {e.uid for e in events}
