"""Component ownership: Backstage catalog entities from files or the Backstage API.

``build_catalog(cfg)`` gives the configured :class:`CatalogConnector`; its ``index()`` answers
who owns a component, what it depends on, and which component an alert's labels name.

Names are imported on first use: the settings read ``catalog.config`` without
loading the vendor client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.catalog.backstage import BackstageConnector, CatalogConnector, build_catalog
    from connectors.catalog.entities import ComponentIndex, parse_entities, parse_systems
    from connectors.catalog.files import CatalogFilesConnector

_HOMES = {
    "BackstageConnector": "backstage",
    "CatalogConnector": "backstage",
    "build_catalog": "backstage",
    "ComponentIndex": "entities",
    "parse_entities": "entities",
    "parse_systems": "entities",
    "CatalogFilesConnector": "files",
}

__all__ = [
    "BackstageConnector",
    "CatalogConnector",
    "CatalogFilesConnector",
    "ComponentIndex",
    "build_catalog",
    "parse_entities",
    "parse_systems",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
