"""Component ownership: Backstage catalog entities from files or the Backstage API.

``build_catalog(cfg)`` gives the configured :class:`CatalogConnector`; its ``index()`` answers
who owns a component, what it depends on, and which component an alert's labels name.
"""

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
