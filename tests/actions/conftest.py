"""A real bad deploy (checkout revision 8, previous 7) diagnosed once by the watcher pipeline;
each test gets its own copy of that store and a fresh stand-in cluster."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.kubernetes.client import KubernetesConnector
from incident.config import Settings, load_settings
from incident.registry import Connectors
from incident.sandbox.kubernetes import KubernetesStandIn
from incident.sandbox.replay import replay_page
from incident.scenario import Scenario, load_scenario
from incident.store import Store
from tests.conftest import SCENARIOS

CHECKOUT = SCENARIOS / "checkout-bad-deploy"


@dataclass
class World:
    scenario: Scenario
    store: Store
    settings: Settings
    connectors: Connectors
    cluster: KubernetesStandIn
    incident_id: int
    db: Path

    def deployment(self, name: str = "checkout", namespace: str = "shop") -> dict[str, Any]:
        found = self.cluster.store.get("Deployment", namespace, name)
        assert found is not None
        return found

    def image(self, name: str = "checkout") -> str:
        return self.deployment(name)["spec"]["template"]["spec"]["containers"][0]["image"]

    def revision(self, name: str = "checkout") -> str:
        return self.deployment(name)["metadata"]["annotations"]["deployment.kubernetes.io/revision"]

    def patches(self) -> int:
        return sum(1 for method, _ in self.cluster.requests if method == "PATCH")

    def with_settings(self, **actions: Any) -> Settings:
        return settings_for(self.db, self.cluster, actions)


def settings_for(db: Path, cluster: KubernetesStandIn, actions: dict[str, Any] | None = None) -> Settings:
    overlay = {"store": {"url": f"sqlite:///{db}"}, "kubernetes": cluster.connector_config()}
    if actions:
        overlay["actions"] = actions
    return load_settings(overlays=[overlay], user_file=False)


@pytest.fixture(scope="session")
def diagnosed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The store after the watcher handled the checkout page (closed, so it can be copied)."""
    if not CHECKOUT.is_dir():
        pytest.skip("bundled scenario checkout-bad-deploy missing")
    tmp = tmp_path_factory.mktemp("diagnosed")
    incident_id = replay_page(load_scenario(CHECKOUT), tmp / "store.db", tmp / "sandbox")
    return tmp / "store.db", incident_id


@pytest.fixture
def world(diagnosed: tuple[Path, int], tmp_path: Path) -> Iterator[World]:
    source, incident_id = diagnosed
    db = tmp_path / "store.db"
    shutil.copy(source, db)
    wal = source.with_name(source.name + "-wal")
    if wal.exists():
        shutil.copy(wal, db.with_name(db.name + "-wal"))
    scenario = load_scenario(CHECKOUT)
    cluster = KubernetesStandIn(scenario).start()
    settings = settings_for(db, cluster)
    store = Store(settings.store.url)
    connectors = Connectors(kubernetes=KubernetesConnector(settings.kubernetes))
    try:
        yield World(scenario, store, settings, connectors, cluster, incident_id, db)
    finally:
        store.close()
        cluster.stop()
