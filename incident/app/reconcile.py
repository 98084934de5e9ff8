"""Settling actions a killed process (a TUI, a CLI, a watcher) left executing."""

from __future__ import annotations

import logging

from incident.config import Settings
from incident.registry import Connectors
from incident.store import Store

log = logging.getLogger(__name__)


def reconcile_actions(settings: Settings, store: Store, connectors: Connectors) -> None:
    """Actions a crashed process left mid-execution: re-read their targets, never re-execute."""
    from incident.actions import reconcile

    try:
        for action in reconcile(store, connectors=connectors, settings=settings):
            log.warning("reconciled action %s after a crash: %s", action.id, action.status)
    except Exception:
        log.exception("reconciling actions failed")
