"""The application layer: what the watcher, the CLI, the TUI and any other front end do with an
incident, over the core packages.

- :mod:`incident.app.finalise`: ranked hypotheses -> the incident's record (analyzer and agent);
- :mod:`incident.app.queries`: read models (frozen records, safe to hand between threads);
- :mod:`incident.app.commands`: what a person does (notes, status, pins, verdicts, actions, postmortem).
- :mod:`incident.app.intake`: polls and webhook payloads -> incidents (retries, quarantine);
- :mod:`incident.app.pipeline`: gather -> write -> diagnose for one incident, and crash recovery;
- :mod:`incident.app.reconcile`: settling actions a killed process left executing.

Front ends reach the store only through these modules. Nothing is imported here, so importing
one module does not load the others.
"""
