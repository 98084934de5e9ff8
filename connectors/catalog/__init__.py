"""Component ownership: Backstage catalog entities from files or the Backstage API.

``build_catalog(cfg)`` gives the configured :class:`CatalogConnector`, which reads components and
groups; who owns a component, what it depends on and which component an alert's labels name is
answered by the core (:mod:`incident.catalog`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.common.lazy import lazy_exports

if TYPE_CHECKING:
    from connectors.catalog.backstage import BackstageConnector as BackstageConnector
    from connectors.catalog.backstage import CatalogConnector as CatalogConnector
    from connectors.catalog.backstage import build_catalog as build_catalog
    from connectors.catalog.entities import parse_entities as parse_entities
    from connectors.catalog.entities import parse_systems as parse_systems
    from connectors.catalog.files import CatalogFilesConnector as CatalogFilesConnector

__getattr__ = lazy_exports(
    __name__,
    {
        "backstage": ["BackstageConnector", "CatalogConnector", "build_catalog"],
        "entities": ["parse_entities", "parse_systems"],
        "files": ["CatalogFilesConnector"],
    },
)
