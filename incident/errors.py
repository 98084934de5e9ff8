"""One error hierarchy for the whole copilot.

::

    CopilotError                 root: has a short ``title`` and a message
    ├── ConfigError              invalid or unreadable configuration
    ├── StoreError               database unreachable or migration failure
    ├── ScenarioError            a scenario directory that cannot be loaded
    ├── ConnectorError           an external system failed (vendor errors wrapped); ``http_status``
    │   ├── ConnectorTimeout     it did not answer in time
    │   └── ConnectorDataError   it answered with something we cannot read
    ├── WebhookError             a webhook we refuse (status code attached)
    └── SandboxError             a stand-in or local binary could not start

The root and the branches connectors raise live in the leaf :mod:`connectors.common.errors`
(connectors never import the core); the rest are the core's own.
The CLI prints any of these as one panel without a traceback.
"""

from __future__ import annotations

from connectors.common.errors import (  # home: connectors/common/errors.py
    ConnectorDataError,
    ConnectorError,
    ConnectorTimeout,
    CopilotError,
    WebhookError,
)

__all__ = [
    "ConfigError",
    "ConnectorDataError",
    "ConnectorError",
    "ConnectorTimeout",
    "CopilotError",
    "SandboxError",
    "ScenarioError",
    "StoreError",
    "WebhookError",
]


class ConfigError(CopilotError):
    title = "Invalid configuration"


class StoreError(CopilotError):
    title = "Store error"


class ScenarioError(CopilotError):
    title = "Cannot load scenario"


class SandboxError(CopilotError):
    title = "Sandbox error"
