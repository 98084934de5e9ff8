"""Pods and rollout history, from the timeline's pod_state and deploy events."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label

from incident.app.queries import EventRow
from tui.widgets import MOVE_KEYS


def _changes(details: dict[str, Any]) -> str:
    images = (details.get("diff") or {}).get("images") or {}
    return ", ".join(f"{c}: {d.get('from', '?')} -> {d.get('to', '?')}" for c, d in images.items())


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
            d = e.details
            rev = f"{d.get('previous_revision', '?')} -> {d.get('revision', '?')}" if d.get("revision") else "-"
            name = f"{d.get('namespace', '')}/{d.get('deployment', e.component or '')}".strip("/")
            cause = d.get("change_cause") or ""
            rollouts.add_row(f"{e.at:%m-%d %H:%M}", name, rev, Text(f"{_changes(d)} {cause}".strip()), key=e.id)
        pods = self.query_one("#pods", DataTable)
        pods.clear()
        latest: dict[str | None, EventRow] = {}
        for e in (e for e in events if e.kind == "pod_state"):
            latest[e.component] = e
        # the incident's component first, then the rest by name
        order = sorted(latest, key=lambda c: (c != component, c or ""))
        for comp in order:
            e = latest[comp]
            d = e.details
            ready = f"{d.get('ready', '?')}/{d.get('total', '?')}" if "total" in d else "-"
            state = e.summary.split(": ", 1)[-1]
            pods.add_row(comp or "-", ready, Text(" ".join(state.split())), key=e.id)
