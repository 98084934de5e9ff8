"""One error hierarchy for the whole copilot.

::

    CopilotError                 root: has a short ``title`` and a message
    ├── ConfigError              invalid or unreadable configuration
    ├── StoreError               database unreachable or migration failure
    ├── ScenarioError            a scenario directory that cannot be loaded
    ├── ConnectorError           an external system failed (vendor errors wrapped)
    │   ├── ConnectorTimeout     it did not answer in time
    │   └── ConnectorDataError   it answered with something we cannot read
    ├── WebhookError             a webhook we refuse (status code attached)
    └── SandboxError             a stand-in or local binary could not start

The CLI prints any of these as one panel without a traceback.
"""

from __future__ import annotations


class CopilotError(Exception):
    """Root of every error the copilot raises on purpose."""

    title = "incident-copilot error"

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title


class ConfigError(CopilotError):
    title = "Invalid configuration"


class StoreError(CopilotError):
    title = "Store error"


class ScenarioError(CopilotError):
    title = "Cannot load scenario"


class ConnectorError(CopilotError):
    title = "Connector error"

    def __init__(self, message: str, *, connector: str = "", title: str | None = None) -> None:
        super().__init__(f"{connector}: {message}" if connector else message, title=title)
        self.connector = connector


class ConnectorTimeout(ConnectorError):
    title = "Connector timed out"


class ConnectorDataError(ConnectorError):
    title = "Connector returned unreadable data"


class WebhookError(CopilotError):
    title = "Webhook rejected"

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class SandboxError(CopilotError):
    title = "Sandbox error"
