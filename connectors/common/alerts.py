"""Alert identity and the quarantine record, shared by the alert connectors and the core.

``fingerprint`` is Alertmanager's label-set hash; ``rejected`` turns an alert that cannot be stored
faithfully into a :class:`RejectedAlert` (raw text every store accepts, fingerprint when readable).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from connectors.base import RejectedAlert

_FNV64_OFFSET = 14695981039346656037
_FNV64_PRIME = 1099511628211
_MASK64 = (1 << 64) - 1
_SEPARATOR = 0xFF
"""prometheus/common ``model.SeparatorByte``: cannot occur in UTF-8, so it separates names from values."""

MAX_LABEL = 255
"""Longest label name or value (and fingerprint) an alert may carry: label values become component,
namespace and other identifier columns, which every supported store holds at 255 characters."""


def fingerprint(labels: Mapping[str, str]) -> str:
    """The fingerprint Alertmanager gives a label set (prometheus/common ``LabelSet.Fingerprint``):
    FNV-64a over the label names in sorted order, each name and value followed by 0xff, as 16 hex digits.

    Sorting str by code point is the same order as Go's sort of their UTF-8 bytes. A label with an
    empty value is no label (Alertmanager drops it when an alert is posted).
    """
    h = _FNV64_OFFSET
    for name in sorted(name for name, value in labels.items() if value):
        for part in (name, labels[name]):
            for byte in part.encode("utf-8"):
                h = ((h ^ byte) * _FNV64_PRIME) & _MASK64
            h = ((h ^ _SEPARATOR) * _FNV64_PRIME) & _MASK64
    return f"{h:016x}"


def check_text(value: str, where: str) -> str:
    """``value`` if every store takes it as is: no NUL (PostgreSQL refuses it) and no lone surrogate
    (valid JSON, but not encodable as UTF-8); ValueError naming the field otherwise."""
    if "\x00" in value:
        raise ValueError(f"{where}: contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{where}: contains a lone surrogate (not valid Unicode text)") from None
    return value


def str_map(value: Any, where: str) -> dict[str, str]:
    """A label or annotation object as ``str -> str``; ValueError naming the bad entry."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where}: not an object")
    out: dict[str, str] = {}
    for key, item in value.items():
        name = check_text(str(key), f"{where} key")
        if not isinstance(item, str | int | float | bool):  # a nested value is no label
            raise ValueError(f"{where}.{name}: not a string")
        out[name] = check_text(str(item), f"{where}.{name}")
    return out


def rejected(raw: Any, reason: str) -> RejectedAlert:
    """A :class:`RejectedAlert` whose raw text every store accepts: ``ensure_ascii`` escapes lone
    surrogates and NUL, so the text keeps them visibly."""
    try:
        text = json.dumps(raw, ensure_ascii=True, sort_keys=True, default=repr)
    except (RecursionError, ValueError, TypeError):
        text = json.dumps({"unserialisable": type(raw).__name__})
    known: str | None = None
    if isinstance(raw, dict):
        given = raw.get("fingerprint")
        if isinstance(given, str) and given:
            known = json.dumps(given, ensure_ascii=True)[1:-1][:MAX_LABEL]  # NUL and surrogates escaped
        else:
            try:
                known = fingerprint(str_map(raw.get("labels"), "labels"))
            except ValueError:
                known = None
    return RejectedAlert(reason=reason, raw=text, fingerprint=known)
