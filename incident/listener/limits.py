"""Limits applied to a webhook request before anything in it is parsed."""

from __future__ import annotations

import asyncio
import re

from starlette.requests import ClientDisconnect, Request

from incident.errors import WebhookError

JSON_TYPES = ("application/json",)

_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
"""A JSON string (skipped whole, brackets inside do not count) or a bracket."""


def check_content_type(request: Request) -> None:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in JSON_TYPES:
        raise WebhookError(f"content type {media or '(none)'!r} is not application/json", status=415)


async def read_body(request: Request, *, limit: int, timeout: float) -> bytes:
    """The body, refused (413) as soon as Content-Length or the bytes received exceed ``limit``,
    and (408) when it has not all arrived within ``timeout`` seconds in total."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise WebhookError("Content-Length is not a number")
        if int(declared) > limit:
            raise WebhookError(f"body of {int(declared)} bytes is larger than the limit of {limit}", status=413)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise WebhookError(f"body larger than the limit of {limit} bytes", status=413)
                chunks.append(chunk)
    except TimeoutError:
        raise WebhookError(f"body not received within {timeout:g} s", status=408) from None
    except ClientDisconnect:  # nobody to answer; refused like any incomplete body, without a traceback
        raise WebhookError("client disconnected before sending the whole body") from None
    return b"".join(chunks)


def check_json_depth(body: bytes, limit: int) -> None:
    """Refuse (400) nesting deeper than ``limit`` before the parser recurses into it.

    Scans brackets outside strings and stops at the first level beyond the limit, so a
    million-deep body costs ``limit`` steps. Malformed JSON is left for the parser to refuse.
    """
    depth = 0
    for match in _TOKEN.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                raise WebhookError(f"JSON nested deeper than {limit} levels")
        elif token in (b"]", b"}"):
            depth -= 1
