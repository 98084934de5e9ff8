"""The TUI's screens: the incident list and view, and the modal screens they open."""
