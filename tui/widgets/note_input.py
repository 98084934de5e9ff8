"""The note line: hidden until ``n``; enter adds the note to the timeline, esc puts it away."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class NoteInput(Input):
    BINDINGS = [Binding("escape", "close", "Cancel")]

    class Added(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, **kwargs: object) -> None:
        super().__init__(placeholder="note for the timeline (enter saves, esc cancels)", **kwargs)  # type: ignore[arg-type]

    def open(self) -> None:
        self.display = True
        self.focus()

    def action_close(self) -> None:
        self.value = ""
        self.display = False
        self.screen.focus_next()

    async def action_submit(self) -> None:
        text = self.value.strip()
        self.value = ""
        self.display = False
        if text:
            self.post_message(self.Added(text))
