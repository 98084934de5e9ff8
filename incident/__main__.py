"""``python -m incident``: the core commands plus the sandbox tools, without the terminal UI.

A composition root like tui/cli.py: the only other place that registers the tool commands.
"""

from incident.cli import app, main
from incident.tools.cli import register

register(app)
main()
