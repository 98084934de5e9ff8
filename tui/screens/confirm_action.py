"""Confirm an action after seeing exactly what it will change (its dry run).

Dismisses True to execute, False to cancel. Nothing is approved or executed here: the caller
does that after the answer, and only when the preview allowed it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, LoadingIndicator, Static

from incident.app import commands
from incident.app.commands import PreviewView
from tui.messages import PreviewReady
from tui.widgets.format import tone

if TYPE_CHECKING:
    from tui.app import IncidentApp


class ConfirmActionScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "confirm", "Execute"),
        Binding("escape", "cancel", "Cancel"),
        Binding("n", "cancel", "Cancel", show=False),
    ]

    def __init__(self, action_id: str) -> None:
        super().__init__()
        self.target_action_id = action_id
        self.preview: PreviewView | None = None

    @property
    def copilot(self) -> IncidentApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-body", classes="modal-body") as body:
            body.border_title = "Approve and execute?"
            body.border_subtitle = "y executes · esc cancels"
            yield Static(id="confirm-target")
            with VerticalScroll(id="confirm-lines"):
                yield LoadingIndicator()
                yield Static(id="confirm-preview")
            with Horizontal(id="confirm-buttons"):
                yield Button("Execute \\[y]", id="confirm-button", variant="error", disabled=True, compact=True)
                yield Button("Cancel \\[esc]", id="cancel-button", compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel-button").focus()
        self.load_preview()

    @work(thread=True, exclusive=True, exit_on_error=False, group="preview")
    def load_preview(self) -> None:
        app = self.copilot
        view = commands.preview(
            app.store, self.target_action_id, connectors=app.get_connectors(), settings=app.settings
        )
        self.post_message(PreviewReady(view))

    def on_preview_ready(self, message: PreviewReady) -> None:
        p = self.preview = message.preview
        self.query_one(LoadingIndicator).display = False
        a = p.action
        target = Text(a.title, style="bold")
        target.append(f"\n{a.type} on {a.target or '-'}")
        if a.namespace:
            target.append(f" · namespace {a.namespace}")
        self.query_one("#confirm-target", Static).update(target)
        body = Text("What will change:\n", style="bold")
        for line in p.lines:
            body.append(f"  {line}\n", style="")
        if p.error:
            body.append(f"\nDry run failed: {p.error}\n", style=f"bold {tone(self.app, 'error')}")
        if not p.allowed:
            body.append(f"\nNot allowed: {p.reason or 'blocked by [actions] config'}\n", style=tone(self.app, "error"))
        self.query_one("#confirm-preview", Static).update(body)
        ok = self.can_execute
        button = self.query_one("#confirm-button", Button)
        button.disabled = not ok
        if ok:
            button.focus()

    @property
    def can_execute(self) -> bool:
        return self.preview is not None and self.preview.allowed and self.preview.error is None

    def action_confirm(self) -> None:
        if self.can_execute:
            self.dismiss(True)
        elif self.preview is not None:
            self.notify("This action cannot be executed (see above).", severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm-button")
    def _confirm(self) -> None:
        self.action_confirm()

    @on(Button.Pressed, "#cancel-button")
    def _cancel(self) -> None:
        self.dismiss(False)
