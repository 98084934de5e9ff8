"""Reading a model's reply: the JSON object in it, validated against a pydantic model."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)

M = TypeVar("M", bound=BaseModel)


def extract_json(text: str) -> Any:
    """The JSON object in a model's reply (bare, or in a code fence); ValueError when there is none."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start, end = candidate.find("{"), candidate.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object found")
    try:
        return json.loads(candidate[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc}") from None


def shape_error(exc: ValidationError) -> ValueError:
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
    return ValueError(f"wrong shape: {problems}")


def parse_model(model: type[M], text: str) -> M:
    """The JSON object in a model's reply validated as ``model``; ValueError says what is wrong."""
    try:
        return model.model_validate(extract_json(text))
    except ValidationError as exc:
        raise shape_error(exc) from None
