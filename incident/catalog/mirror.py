"""Mirroring the catalog into the store (components and groups tables), for readers without a
catalog connector at hand: analysis, memory, the agent, the CLI and the TUI."""

from __future__ import annotations

from sqlalchemy.orm import Session

from incident import service
from incident.catalog.cache import CatalogCache
from incident.catalog.notes import recheck_component_note
from incident.models import Component, Group, utcnow
from incident.upsert import upsert

_COMPONENT_UPDATE = (
    "owner",
    "system",
    "lifecycle",
    "type",
    "pagerduty_service",
    "runbook_url",
    "links",
    "depends_on",
    "source",
    "updated_at",
)


def write_catalog(session: Session, cache: CatalogCache) -> None:
    """Mirror the catalog into the store in one upsert per table (watchers race otherwise)."""
    now = utcnow()
    components = [
        {
            "name": c.name,
            "owner": c.owner,
            "system": c.system,
            "lifecycle": c.lifecycle,
            "type": c.type,
            "pagerduty_service": c.pagerduty_service,
            "runbook_url": c.runbook_url,
            "links": list(c.links),
            "depends_on": list(c.depends_on),
            "source": c.source,
            "updated_at": now,
        }
        for c in cache.components.values()
    ]
    upsert(session, Component, components, key=["name"], update=_COMPONENT_UPDATE)
    groups = [
        {
            "name": g.name,
            "display_name": g.display_name,
            "email": g.email,
            "details": {"members": list(g.members)},
            "updated_at": now,
        }
        for g in cache.groups.values()
    ]
    upsert(session, Group, groups, key=["name"], update=["display_name", "email", "details", "updated_at"])


class CatalogMirror:
    """Writes the cache into the store when it changed since this process last wrote it."""

    def __init__(self, cache: CatalogCache) -> None:
        self.cache = cache
        self._synced: int | None = None

    def write(self, session: Session) -> None:
        write_catalog(session, self.cache)

    def sync(self, session: Session, incident_id: int) -> None:
        """Mirror the catalog into the store (when it changed), set the incident's owner and drop an
        intake note calling its component unknown when the catalog knows it."""
        fingerprint = hash(repr((self.cache.components, self.cache.groups)))
        if fingerprint != self._synced:
            self.write(session)
            self._synced = fingerprint
        incident = service.get(session, incident_id=incident_id)
        if incident is not None and incident.component in self.cache.components:
            incident.owner = self.cache.components[incident.component].owner
            if self.cache.loaded:
                recheck_component_note(session, incident, self.cache.components)
