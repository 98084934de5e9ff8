"""Log lines for people (text) and for log shippers (one JSON object per line), secrets redacted.

Both formatters pass the message and any traceback through :func:`incident.redact.redact`, so a
credential in a URL or an error never reaches a log. Loggers add ``incident_id`` and ``component``
with ``extra=incident_fields(...)``; the JSON lines carry them as fields.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

from incident.redact import redact

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FIELDS = ("incident_id", "component")
"""Record attributes copied into a JSON line when a logger set them."""


def incident_fields(incident_id: int | None, component: str | None = None) -> dict[str, Any]:
    """``extra=`` for a log call about one incident."""
    return {"incident_id": incident_id, "component": component}


class RedactingFormatter(logging.Formatter):
    """The text format, with secrets redacted from the message and the traceback."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the incident's fields when known."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str)


def formatter(kind: LogFormat) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else RedactingFormatter()


def configure(kind: LogFormat, *, level: int, handler: logging.Handler | None = None) -> None:
    """Replace the root logger's handlers with one (stderr by default) in ``kind`` format."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = handler or logging.StreamHandler()
    handler.setFormatter(formatter(kind))
    root.addHandler(handler)
    root.setLevel(level)
