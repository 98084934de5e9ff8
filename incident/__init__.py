"""incident-copilot: the headless core (store, config, watcher, timeline, analysis, CLI), and the
sandbox tools beside it (``incident.sandbox``, ``incident.tools``) that the core never imports.

Never imports the terminal UI; the import-linter contracts in pyproject.toml (run by
``tests/test_import_hygiene.py``) prove it. The layers: docs/architecture.md.
"""

__version__ = "0.1.0"
