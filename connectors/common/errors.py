"""The root of the copilot's error tree and the errors a connector raises.

::

    CopilotError                 root: has a short ``title`` and a message
    ├── ConnectorError           an external system failed (vendor errors wrapped); ``http_status``
    │   ├── ConnectorTimeout     it did not answer in time
    │   └── ConnectorDataError   it answered with something we cannot read
    └── WebhookError             a webhook we refuse (status code attached)

The core adds its own branches (configuration, store, scenarios, sandbox) under the same root.
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


class ConnectorError(CopilotError):
    """An external system failed. ``http_status`` is the status it answered with, when it answered
    at all (None for connection failures, timeouts and refusals made before any request)."""

    title = "Connector error"

    def __init__(
        self, message: str, *, connector: str = "", http_status: int | None = None, title: str | None = None
    ) -> None:
        super().__init__(f"{connector}: {message}" if connector else message, title=title)
        self.connector = connector
        self.http_status = http_status


class ConnectorTimeout(ConnectorError):
    title = "Connector timed out"


class ConnectorDataError(ConnectorError):
    title = "Connector returned unreadable data"


class WebhookError(CopilotError):
    title = "Webhook rejected"

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
