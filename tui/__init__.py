"""The Textual terminal UI (issue 4). Talks to ``incident`` services only."""
