"""One page of a scenario handled by the watcher into a store: the starting point tests and
benchmarks share when they need a diagnosed incident to act on."""

from __future__ import annotations

from pathlib import Path

from incident import service
from incident.config import load_settings
from incident.models import Incident
from incident.registry import build_connectors
from incident.sandbox.runner import Sandbox
from incident.scenario import Scenario
from incident.store import Store
from incident.watcher import Watcher


def replay_page(scenario: Scenario, db: Path, workdir: Path, *, binaries: bool = False) -> int:
    """Run the scenario's sandbox, let one watcher cycle handle its page into the SQLite file ``db``
    (closed afterwards, so it can be copied), and return the paged incident's id."""
    with Sandbox(scenario, workdir, binaries=binaries) as box:
        settings = load_settings(overlays=[box.config(store_url=f"sqlite:///{db}")], user_file=False)
        store = Store(settings.store.url)
        watcher = Watcher(settings, store, build_connectors(settings))
        try:
            watcher.run_once()
        finally:
            watcher.stop()
        try:
            with store.session() as session:
                incident = service.find_by_page(session, source="alertmanager", alert=scenario.spec.page.alert)
                if not isinstance(incident, Incident):
                    raise LookupError(f"the watcher opened no incident for {scenario.spec.page.alert}")
                return incident.id
        finally:
            store.close()
