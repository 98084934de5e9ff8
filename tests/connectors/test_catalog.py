"""Catalog connector: entity parsing, label resolution, files, and Backstage over HTTP."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import yaml

from connectors.catalog import (
    BackstageConnector,
    CatalogConnector,
    CatalogFilesConnector,
    build_catalog,
    parse_entities,
    parse_systems,
)
from incident.catalog import ComponentIndex
from incident.config import CatalogConfig
from incident.errors import ConnectorDataError, ConnectorError
from incident.sandbox.backstage import BackstageStandIn
from incident.sandbox.http import Response, StandInServer
from incident.scenario import load_scenario

CATALOG = """
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: shop, description: The shop}
spec: {owner: group:default/team-platform}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-cart}
spec:
  type: team
  parent: group:default/engineering
  profile: {displayName: Cart Team, email: cart@example.com}
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-platform}
spec: {type: team, children: [], members: [carol]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jane}
spec: {memberOf: [group:default/team-cart, team-platform]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bob}
spec: {memberOf: [team-cart]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  description: Checkout service
  annotations:
    pagerduty.com/service-id: PCHK123
    backstage.io/kubernetes-id: checkout-svc
    backstage.io/kubernetes-namespace: shop
  links:
    - {url: https://grafana.example.com/d/checkout, title: Dashboard, type: dashboard}
    - {url: https://wiki.example.com/runbooks/checkout, title: On-call Runbook}
spec:
  type: service
  lifecycle: production
  owner: group:default/team-cart
  system: system:default/shop
  dependsOn:
    - component:default/cartservice
    - component:payments
    - resource:default/orders-db
    - resource:cache
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: cartservice
  annotations: {example.com/runbook-url: https://runbooks.example.com/cart}
spec: {type: service, lifecycle: production, owner: team-cart, dependsOn: [resource:cache]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: payments}
spec: {type: service, lifecycle: production, owner: user:default/jane}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: orders-db}
spec: {type: database, owner: group:team-platform}
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: cache}
spec: {type: redis, owner: team-platform}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: checkout-api}
spec: {type: openapi, owner: team-cart}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {description: nameless}
spec: {owner: team-cart}
"""

CALIBRATION = (
    Path(__file__).resolve().parents[2].parent
    / "shared/calibration/nezha-2022-08-22/nezha-ob-2022-08-22-05-cartservice-network-delay/catalog"
)


def docs() -> list[dict]:
    return [d for d in yaml.safe_load_all(CATALOG) if d]


def test_parse_realistic_catalog() -> None:
    components, groups, problems = parse_entities(docs(), source="catalog/shop.yaml")
    by_name = {c.name: c for c in components}
    assert set(by_name) == {"checkout", "cartservice", "payments", "orders-db", "cache"}
    checkout = by_name["checkout"]
    assert checkout.owner == "team-cart"
    assert checkout.system == "shop"
    assert checkout.depends_on == ("cartservice", "payments", "orders-db", "cache")
    assert checkout.pagerduty_service == "PCHK123"
    assert checkout.kubernetes_id == "checkout-svc"
    assert checkout.namespace == "shop"
    assert checkout.runbook_url == "https://wiki.example.com/runbooks/checkout"
    assert checkout.links[0] == {
        "title": "Dashboard",
        "url": "https://grafana.example.com/d/checkout",
        "type": "dashboard",
    }
    assert (checkout.lifecycle, checkout.type, checkout.description) == (
        "production",
        "service",
        "Checkout service",
    )
    assert checkout.source == "catalog/shop.yaml"
    assert by_name["cartservice"].runbook_url == "https://runbooks.example.com/cart"
    assert by_name["payments"].owner == "user:jane"
    assert by_name["orders-db"].kind == "Resource" and by_name["orders-db"].owner == "team-platform"

    team = {g.name: g for g in groups}
    assert team["team-cart"].display_name == "Cart Team"
    assert team["team-cart"].email == "cart@example.com"
    assert set(team["team-cart"].members) == {"jane", "bob"}
    assert team["team-cart"].details["parent"] == "engineering"
    assert set(team["team-platform"].members) == {"carol", "jane"}

    assert problems == ["catalog/shop.yaml: entity #12 (Component) has no metadata.name"]
    assert parse_systems(docs()) == {"shop": {"owner": "team-platform", "description": "The shop"}}


def test_index_graph_and_label_resolution() -> None:
    components, groups, _ = parse_entities(docs(), source="test")
    index = ComponentIndex(components, groups)
    assert index.owner_of("checkout") == "team-cart"
    assert index.group("team-cart").email == "cart@example.com"
    assert index.dependencies("checkout")[:2] == ["cartservice", "payments"]
    assert index.dependents("cache") == ["cartservice", "checkout"]
    assert index.dependents("checkout") == []
    assert index.owner_of("nope") is None

    keys = ["service", "app_kubernetes_io_name", "app"]
    assert index.resolve({"service": "checkout"}, keys) == "checkout"
    # Prometheus-sanitised key found from the dotted config key, and vice versa.
    assert index.resolve({"app_kubernetes_io_name": "payments"}, ["app.kubernetes.io/name"]) == "payments"
    assert index.resolve({"app.kubernetes.io/name": "payments"}, keys) == "payments"
    # kubernetes-id, then case-insensitive.
    assert index.resolve({"app": "checkout-svc"}, keys) == "checkout"
    assert index.resolve({"service": "CartService"}, keys) == "cartservice"
    # An unknown first key value falls through to the next key.
    assert index.resolve({"service": "ingress", "app": "payments"}, keys) == "payments"
    assert index.resolve({"service": "ingress", "job": "node"}, keys) is None
    assert index.resolve({"job": "checkout"}, keys) is None


def test_files_connector_reports_broken_file_and_keeps_good_ones(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "catalog-info.yaml").write_text(CATALOG)
    (tmp_path / "broken.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\n  bad: [unclosed\nspec: {}\n"
    )
    (tmp_path / "deploy.yaml").write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
    (tmp_path / "extra.yml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: zed}\nspec: {memberOf: [team-cart]}\n"
    )
    files = CatalogFilesConnector([str(tmp_path)])
    names = {c.name for c in files.components()}
    assert names == {"checkout", "cartservice", "payments", "orders-db", "cache"}
    broken = [p for p in files.problems if "broken.yaml" in p]
    assert len(broken) == 1 and "broken.yaml:6:" in broken[0]
    # A user in another file still joins its group.
    assert "zed" in {g.name: g for g in files.groups()}["team-cart"].members
    result = files.check()
    assert result.ok and "5 components" in result.detail and "problems" in result.detail

    (tmp_path / "broken.yaml").write_text("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: x}\n")
    assert "x" in {c.name for c in files.components()}


def test_files_connector_missing_dir_and_all_broken(tmp_path: Path) -> None:
    result = CatalogFilesConnector([str(tmp_path / "nope")]).check()
    assert not result.ok and "does not exist" in result.detail
    (tmp_path / "a.yaml").write_text("kind: [\n")
    with pytest.raises(ConnectorDataError, match="a.yaml:2"):
        CatalogFilesConnector([str(tmp_path)]).components()


def many_components(count: int) -> list[dict]:
    return [
        {
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {"name": f"svc-{i:03d}"},
            "spec": {"type": "service", "owner": "team-a", "lifecycle": "production"},
        }
        for i in range(count)
    ] + [{"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "team-a"}, "spec": {}}]


@pytest.mark.parametrize("legacy", [False, True])
def test_backstage_paginates_all_components(legacy: bool) -> None:
    with BackstageStandIn(entities=many_components(250), token="s3cret", legacy=legacy) as server:
        cfg = CatalogConfig(backstage_url=server.url, backstage_token="s3cret")
        connector = BackstageConnector(cfg, page_size=100)
        components = connector.components()
        assert len(components) == 250
        assert len({c.name for c in components}) == 250
        assert components[0].owner == "team-a" and components[0].source == "backstage"
        assert [g.name for g in connector.groups()] == ["team-a"]
        check = connector.check()
        assert check.ok, check.detail
        paths = [p for _, p in server.requests]
        if legacy:
            assert "/api/catalog/entities" in paths
        else:
            assert paths.count("/api/catalog/entities/by-query") >= 3
            assert "250 components" in check.detail


def test_stand_in_filters_and_by_name() -> None:
    with BackstageStandIn(entities=docs()) as server:
        base = server.url + "/api/catalog"
        got = httpx.get(base + "/entities", params={"filter": "kind=group,kind=user"}).json()
        assert sorted(e["metadata"]["name"] for e in got) == ["bob", "jane", "team-cart", "team-platform"]
        got = httpx.get(
            base + "/entities", params=[("filter", "kind=resource,spec.type=redis"), ("filter", "kind=api")]
        )
        assert sorted(e["metadata"]["name"] for e in got.json()) == ["cache", "checkout-api"]
        entity = httpx.get(base + "/entities/by-name/component/default/checkout").json()
        assert entity["metadata"]["namespace"] == "default" and entity["metadata"]["uid"]
        assert httpx.get(base + "/entities/by-name/component/default/nope").status_code == 404


def test_backstage_token_enforced() -> None:
    with BackstageStandIn(entities=docs(), token="right") as server:
        wrong = BackstageConnector(CatalogConfig(backstage_url=server.url, backstage_token="wrong"))
        with pytest.raises(ConnectorError, match="401") as info:
            wrong.components()
        assert "wrong" not in str(info.value)
        result = wrong.check()
        assert not result.ok and "backstage_token" in result.detail
        missing = BackstageConnector(CatalogConfig(backstage_url=server.url))
        with pytest.raises(ConnectorError, match="401"):
            missing.components()


def test_backstage_html_answer_is_a_data_error() -> None:
    server = StandInServer()
    server.route("GET", r"/api/catalog/.*", lambda _: Response(200, "<html>login</html>", content_type="text/html"))
    with server:
        connector = BackstageConnector(CatalogConfig(backstage_url=server.url))
        with pytest.raises(ConnectorDataError, match="expected JSON"):
            connector.components()
    shaped = StandInServer()
    shaped.route("GET", r"/api/catalog/entities/by-query", lambda _: {"entities": []})
    with shaped, pytest.raises(ConnectorDataError, match="items"):
        BackstageConnector(CatalogConfig(backstage_url=shaped.url)).components()


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_backstage_dead_server_is_a_connector_error() -> None:
    connector = BackstageConnector(CatalogConfig(backstage_url=f"http://127.0.0.1:{free_port()}", timeout="2s"))
    with pytest.raises(ConnectorError, match="cannot reach"):
        connector.components()
    assert not connector.check().ok


def test_combined_catalog_backstage_overrides_files(tmp_path: Path) -> None:
    (tmp_path / "catalog-info.yaml").write_text(CATALOG)
    override = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "checkout"},
        "spec": {"owner": "group:default/team-new", "type": "service"},
    }
    assert build_catalog(CatalogConfig()) is None
    with BackstageStandIn(entities=[override]) as server:
        catalog = build_catalog(CatalogConfig(dirs=[str(tmp_path)], backstage_url=server.url))
        assert catalog is not None
        index = ComponentIndex(*catalog.snapshot())
        assert index.owner_of("checkout") == "team-new"
        assert index.owner_of("cartservice") == "team-cart"
        assert index.resolve({"app": "CHECKOUT"}, CatalogConfig().alert_label_keys) == "checkout"
        assert catalog.check().ok
    # Backstage unreachable: files still answer, the failure is a visible problem.
    degraded = CatalogConnector(
        files=CatalogFilesConnector([str(tmp_path)]),
        backstage=BackstageConnector(CatalogConfig(backstage_url=f"http://127.0.0.1:{free_port()}")),
    )
    assert ComponentIndex(*degraded.snapshot()).owner_of("checkout") == "team-cart"
    assert any(p.startswith("backstage: cannot reach") for p in degraded.problems)
    assert not degraded.check().ok


@pytest.mark.skipif(not CALIBRATION.is_dir(), reason="shared calibration data not present")
def test_real_calibration_catalog() -> None:
    files = CatalogFilesConnector([str(CALIBRATION)])
    index = ComponentIndex(files.components(), files.groups())
    assert len(index) == 10
    assert files.problems == []
    assert index.owner_of("cartservice") == "team-cart"
    assert "cartservice" in index.dependencies("checkoutservice")
    assert index.dependents("cartservice") == ["checkoutservice", "frontend"]
    assert index.resolve({"service": "cartservice"}, CatalogConfig().alert_label_keys) == "cartservice"
    # The same scenario served by the stand-in gives the same catalog.
    with BackstageStandIn(load_scenario(CALIBRATION.parent)) as server:
        served = BackstageConnector(CatalogConfig(backstage_url=server.url)).components()
    assert sorted(served, key=lambda c: c.name) == sorted(
        (replace(c, source="backstage") for c in index.components), key=lambda c: c.name
    )
