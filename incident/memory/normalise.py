"""Log lines to templates: the same failure reads the same in every incident.

Variable parts become ``<*>`` (timestamps, numbers, hex ids, UUIDs, IPs, quoted values) and pod
names lose their hash suffixes, while the words that say what failed, and the exception class,
stay. ``java.lang.IllegalStateException: missing required config X`` at 19:16 in pod
``payments-9ffn7xgtvh-tfscp`` and at 03:02 in ``payments-7c4d9b8f6d-x2x9q`` give one template.
"""

from __future__ import annotations

import json
import re

from incident.gathering.kubernetes import DECISIVE

WILD = "<*>"
MAX_TEMPLATE = 160

_TS = (
    r"\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}|\s?UTC)?"
    r"|\d{2}:\d{2}:\d{2}(?:[.,]\d+)?"
)
_TIMESTAMP = re.compile(rf"\b(?:{_TS})\b")
_PREFIX = re.compile(
    rf"^\[?(?:{_TS})\]?\s*"  # a leading timestamp, then a pid ("[60793]", "1") as PostgreSQL and Spring write
    r"|^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+\s+\S+:\d+\]\s*"  # klog: "E0113 14:03:01.123 1 file.go:138]"
)
_PID = re.compile(r"^(?:\[\d+\]|\d+)\s+")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b")
_POD = re.compile(r"\b([a-z][a-z0-9-]*?)-(?=[a-z]*\d)[a-z0-9]{6,10}(?:-[a-z0-9]{5})?(?![a-z0-9-])")
"""``checkout-pp7tcdnjg2-zzrfw`` (pod) and ``checkout-pp7tcdnjg2`` (ReplicaSet): a hash with a digit."""
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b")
_QUOTED = re.compile(r'"[^"\n]*"')
_NUMBER = re.compile(r"(?<![\w<])[-+]?\d+(?:[.,]\d+)*")
_EXCEPTION = re.compile(r"\b(?:[a-z_$][\w$]*\.)+([A-Z][\w$]*(?:Exception|Error|Fault))\b")
_LEVEL = re.compile(r"^\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT)\]?[:\s]+", re.I)
_STACK_FRAME = re.compile(r"^(?:at\s|File\s\"|\.\.\.\s\d+\smore|goroutine\s\d+)")
_JSON_MESSAGE = ("msg", "message", "event")
_JSON_ERROR = ("error", "err", "exception", "exc", "reason")


def _json_text(line: str) -> str | None:
    """``msg: error`` of a structured (JSON) log line; None when the line is not one."""
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    parts = [str(data[k]) for k in (*_JSON_MESSAGE, *_JSON_ERROR) if isinstance(data.get(k), str | int | float)]
    return ": ".join(dict.fromkeys(parts)) or None


def template(line: str) -> str | None:
    """The template of one log line, or None when nothing is left that says what happened
    (a stack frame, a bare number, an empty line)."""
    text = line.strip()
    if not text or _STACK_FRAME.match(text):
        return None
    structured = _json_text(text)
    if structured is not None:
        text = structured
    else:
        text = _PID.sub("", _PREFIX.sub("", text)).strip()
        if " : " in text:  # logback / Spring Boot: "LEVEL pid --- [thread] logger : message"
            text = text.split(" : ", 1)[1]
        text = _LEVEL.sub("", text.strip())
    text = _EXCEPTION.sub(r"\1", text)
    for pattern in (_TIMESTAMP, _UUID, _IP, _QUOTED):
        text = pattern.sub(WILD, text)
    text = _HEX.sub(WILD, _POD.sub(r"\1-" + WILD, text))  # pods first: their hashes can look like hex
    text = _NUMBER.sub(WILD, text)
    text = re.sub(r"\s+", " ", text).strip(" :-|")
    if not re.search(r"[A-Za-z]{3}", text.replace(WILD, "")):
        return None
    return text[:MAX_TEMPLATE]


def error_templates(lines: list[str]) -> list[str]:
    """Templates of the lines that say something failed (the gatherer's DECISIVE words), in order,
    without repeats: the rest of a log excerpt (access logs, context) is noise for matching."""
    out: dict[str, None] = {}
    for line in lines:
        if not DECISIVE.search(line):
            continue
        found = template(line)
        if found:
            out[found] = None
    return list(out)
