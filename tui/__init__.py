"""The Textual terminal UI. It talks to incident/ services only, never to vendor clients.

Build it with :func:`tui.app.make_app` (the CLI and the tests use the same factory).
"""
