"""Pods and rollout history, from the timeline's pod_state and deploy events."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from incident.app.queries import EventRow
from incident.details import Details, PodStateDetails, RolloutDetails
from tui.widgets import MOVE_KEYS


def _changes(rollout: RolloutDetails) -> str:
    images = rollout.diff.get("images") or {}
    return ", ".join(f"{c}: {d.get('from', '?')} -> {d.get('to', '?')}" for c, d in images.items())


def _stored(details: Details, name: str) -> object:
    """A field as it was stored (``None`` too), ``?`` when the event did not carry it."""
    return getattr(details, name) if name in details.model_fields_set else "?"


class PodsTable(DataTable[Any]):
    BINDINGS = MOVE_KEYS


class PodsPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Label("Rollouts", classes="section")
        yield PodsTable(id="rollouts", cursor_type="row")
        yield Label("Pods", classes="section")
        yield PodsTable(id="pods", cursor_type="row")

    def on_mount(self) -> None:
        rollouts = self.query_one("#rollouts", DataTable)
        for label in ("time", "deployment", "revision", "change"):
            rollouts.add_column(label, key=label)
        pods = self.query_one("#pods", DataTable)
        for label in ("component", "ready", "state"):
            pods.add_column(label, key=label)

    shown: tuple[object, ...] = ()

    def show(self, events: list[EventRow], component: str | None) -> None:
        mine = tuple((e.id, e.summary, e.at) for e in events if e.kind in ("deploy", "pod_state"))
        if mine == self.shown:
            return
        self.shown = mine
        rollouts = self.query_one("#rollouts", DataTable)
        rollouts.clear()
        for e in (e for e in events if e.kind == "deploy"):
            r = RolloutDetails.of(e)
            rev = f"{_stored(r, 'previous_revision')} -> {r.revision}" if r.revision else "-"
            deployment = r.deployment if "deployment" in r.model_fields_set else e.component or ""
            name = f"{r.namespace if 'namespace' in r.model_fields_set else ''}/{deployment}".strip("/")
            cause = r.change_cause or ""
            rollouts.add_row(f"{e.at:%m-%d %H:%M}", name, rev, Text(f"{_changes(r)} {cause}".strip()), key=e.id)
        pods = self.query_one("#pods", DataTable)
        pods.clear()
        latest: dict[str | None, EventRow] = {}
        for e in (e for e in events if e.kind == "pod_state"):
            latest[e.component] = e
        # the incident's component first, then the rest by name
        order = sorted(latest, key=lambda c: (c != component, c or ""))
        for comp in order:
            e = latest[comp]
            p = PodStateDetails.of(e)
            ready = f"{_stored(p, 'ready')}/{p.total}" if "total" in p.model_fields_set else "-"
            state = e.summary.split(": ", 1)[-1]
            pods.add_row(comp or "-", ready, Text(" ".join(state.split())), key=e.id)
