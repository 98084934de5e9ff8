"""incident-copilot: the headless core (store, config, watcher, timeline, sandbox, CLI).

Never imports the terminal UI; ``tests/test_import_hygiene.py`` proves it.
"""

__version__ = "0.1.0"
