"""A stand-in cluster of :mod:`tests.gathering.world`, the real connector against it, a context."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.kubernetes import KubernetesConnector
from incident.config import KubernetesConfig, Settings, load_settings
from incident.gathering.drafts import GatherContext
from incident.sandbox.kubernetes import KubernetesStandIn
from tests.connectors import k8s_objects as k
from tests.gathering.world import shop


@pytest.fixture
def server() -> Iterator[KubernetesStandIn]:
    with KubernetesStandIn(objects=shop(), page_at=k.PAGE) as stand_in:
        yield stand_in  # type: ignore[misc]


@pytest.fixture
def conn(server: KubernetesStandIn) -> Iterator[KubernetesConnector]:
    connector = KubernetesConnector(KubernetesConfig(host=server.url))
    yield connector
    connector.close()


@pytest.fixture
def settings(server: KubernetesStandIn) -> Settings:
    return load_settings(overlays=[{"kubernetes": server.connector_config()}], user_file=False)


def context(settings: Settings, incident_id: int = 1, related: tuple[str, ...] = ()) -> GatherContext:
    return GatherContext(
        incident_id=incident_id,
        component="checkout",
        namespace="shop",
        page_at=k.PAGE,
        window_end=k.PAGE,
        settings=settings,
        related=related or ("checkout", "orders-db", "payments"),
    )
