"""Widgets of the incident screens; each shows one part of an incident and posts messages."""

from __future__ import annotations

from textual.binding import Binding, BindingType

MOVE_KEYS: list[BindingType] = [
    Binding("j", "cursor_down", "Move", key_display="j/k"),
    Binding("k", "cursor_up", "Up", show=False),
]
"""j/k next to the arrows on every list (the footer shows them once, as "j/k Move")."""
