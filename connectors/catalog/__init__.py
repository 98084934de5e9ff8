"""Component ownership: Backstage catalog entities from files or the Backstage API.

``build_catalog(cfg)`` gives the configured :class:`CatalogConnector`; its ``index()`` answers
who owns a component, what it depends on, and which component an alert's labels name.

Names are imported on first use: the settings read ``catalog.config`` without
loading the vendor client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.common.lazy import lazy_exports

if TYPE_CHECKING:
    from connectors.catalog.backstage import BackstageConnector, CatalogConnector, build_catalog
    from connectors.catalog.entities import ComponentIndex, parse_entities, parse_systems
    from connectors.catalog.files import CatalogFilesConnector

__all__ = [
    "BackstageConnector",
    "CatalogConnector",
    "CatalogFilesConnector",
    "ComponentIndex",
    "build_catalog",
    "parse_entities",
    "parse_systems",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "BackstageConnector": "backstage",
        "CatalogConnector": "backstage",
        "build_catalog": "backstage",
        "ComponentIndex": "entities",
        "parse_entities": "entities",
        "parse_systems": "entities",
        "CatalogFilesConnector": "files",
    },
)
