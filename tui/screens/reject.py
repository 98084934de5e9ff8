"""Reject a proposed action, with an optional reason; dismisses with the reason, or None to cancel."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class RejectScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str) -> None:
        super().__init__()
        self.what = title

    def compose(self) -> ComposeResult:
        with Vertical(id="reject-body", classes="modal-body") as body:
            body.border_title = "Reject action"
            body.border_subtitle = "enter rejects · esc cancels"
            yield Static(self.what, id="reject-title")
            yield Input(placeholder="reason (optional)", id="reason")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = self.app.cursor_blink  # type: ignore[attr-defined]
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
