"""Developer tools that drive the core against the local sandbox: ``incident sandbox up``,
``incident demo`` and ``incident eval``.

This package and :mod:`incident.sandbox` are tools, not dependencies: the core (every other
module of ``incident``) never imports them. The composition roots (``tui/cli.py`` for the
``incident`` command, ``incident/__main__.py`` for ``python -m incident``) register the tool
commands on the core's Typer app with :func:`incident.tools.cli.register`. The import-linter
contracts in pyproject.toml keep it so.
"""
