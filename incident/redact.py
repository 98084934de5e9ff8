"""Redact secrets and tokens from text before it is stored as evidence or sent to an LLM."""

from __future__ import annotations

import re

MASK = "[REDACTED]"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), MASK),
    (re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9\-._~+/]{12,}=*"), rf"\1 {MASK}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MASK),
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"), MASK),
    (re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{20,})"), MASK),
    (re.compile(r"(?i)(://[^/\s:@]+:)[^@\s/]+@"), rf"\1{MASK}@"),
    (
        re.compile(
            r"(?i)\b([\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|credentials?)[\w.-]*)"
            r"(\"?\s*[:=]\s*\"?)([^\s\"',;&]+)"
        ),
        rf"\1\2{MASK}",
    ),
]


def redact(text: str) -> str:
    """Mask anything that looks like a credential; the rest of the line stays readable."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
