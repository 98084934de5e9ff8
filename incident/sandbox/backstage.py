"""A stand-in Backstage catalog backend serving a scenario's catalog entities.

It speaks the read side of ``/api/catalog``: ``/entities`` (filter, offset, limit; a plain list),
``/entities/by-query`` (filter, limit, opaque cursor; ``{items, totalItems, pageInfo}``) and
``/entities/by-name/{kind}/{namespace}/{name}``. Filters follow Backstage: within one ``filter``
parameter, conditions on different keys are AND-ed and repeated keys OR-ed; several ``filter``
parameters are OR-ed; values match case-insensitively.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from typing import Any

from incident.sandbox.http import Request, Response, StandInServer
from incident.scenario import Scenario

DEFAULT_LIMIT = 20
"""Backstage's page size for /by-query when no limit is given."""


def _error(status: int, name: str, message: str, request: Request) -> Response:
    body = {
        "error": {"name": name, "message": message},
        "request": {"method": request.method, "url": request.path},
        "response": {"statusCode": status},
    }
    return Response(status, body)


def normalise_entity(entity: dict[str, Any]) -> dict[str, Any]:
    """A copy with what the real catalog adds: namespace ``default``, a stable uid and an etag."""
    out = copy.deepcopy(entity)
    metadata = out.setdefault("metadata", {})
    metadata.setdefault("namespace", "default")
    ref = f"{out.get('kind', '')}:{metadata['namespace']}/{metadata.get('name', '')}".lower()
    metadata.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, "backstage:" + ref)))
    digest = hashlib.sha1(json.dumps(entity, sort_keys=True, default=str).encode()).hexdigest()
    metadata.setdefault("etag", digest[:40])
    return out


def _lookup(entity: dict[str, Any], path: str) -> list[str] | None:
    """Values at a dotted path (lists fan out); None when absent. Annotation keys may hold dots."""
    node: Any = entity
    parts = path.split(".")
    while parts:
        if not isinstance(node, dict):
            return None
        for size in range(len(parts), 0, -1):
            key = ".".join(parts[:size])
            if key in node:
                node, parts = node[key], parts[size:]
                break
        else:
            return None
    if node is None:
        return None
    values = node if isinstance(node, list) else [node]
    return [str(v).lower() for v in values]


def parse_filter(text: str) -> dict[str, set[str] | None]:
    """``kind=component,kind=group,spec.type`` -> {"kind": {"component", "group"}, "spec.type": None}."""
    conditions: dict[str, set[str] | None] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep:
            conditions.setdefault(key, None)
            continue
        values = conditions.get(key) or set()
        values.add(value.strip().lower())
        conditions[key] = values
    return conditions


def matches(entity: dict[str, Any], filters: list[str]) -> bool:
    if not filters:
        return True
    for text in filters:
        ok = True
        for key, wanted in parse_filter(text).items():
            found = _lookup(entity, key)
            if found is None or (wanted is not None and not wanted.intersection(found)):
                ok = False
                break
        if ok:
            return True
    return False


def _encode_cursor(offset: int, filters: list[str]) -> str:
    raw = json.dumps({"offset": offset, "filter": filters}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[int, list[str]]:
    data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    return int(data["offset"]), [str(f) for f in data.get("filter", [])]


def _int_arg(request: Request, name: str, default: int | None) -> int | None:
    value = request.arg(name)
    if value is None or value == "":
        return default
    number = int(value)
    if number < 0:
        raise ValueError(f"{name} must be >= 0")
    return number


class BackstageStandIn(StandInServer):
    """Serves ``scenario.catalog`` (plus ``entities``); requires ``Bearer <token>`` when a token is set.

    ``legacy=True`` leaves out ``/entities/by-query``, like Backstage before 1.9.
    """

    name = "backstage"

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        entities: list[dict[str, Any]] | None = None,
        token: str | None = None,
        legacy: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        docs = list(scenario.catalog if scenario else []) + list(entities or [])
        self.entities = [normalise_entity(d) for d in docs if isinstance(d, dict)]
        self.token = token
        self.route("GET", r"/api/catalog/entities", self._guard(self._entities))
        if not legacy:
            self.route("GET", r"/api/catalog/entities/by-query", self._guard(self._by_query))
        self.route(
            "GET",
            r"/api/catalog/entities/by-name/(?P<kind>[^/]+)/(?P<namespace>[^/]+)/(?P<name>[^/]+)",
            self._guard(self._by_name),
        )

    def _guard(self, handler: Any) -> Any:
        def guarded(request: Request) -> Any:
            if self.token is not None and request.headers.get("authorization") != f"Bearer {self.token}":
                return _error(401, "AuthenticationError", "Missing or invalid credentials", request)
            try:
                return handler(request)
            except (ValueError, KeyError, TypeError) as exc:
                return _error(400, "InputError", f"Invalid query: {exc}", request)

        return guarded

    def _filtered(self, filters: list[str]) -> list[dict[str, Any]]:
        return [e for e in self.entities if matches(e, filters)]

    def _entities(self, request: Request) -> Any:
        found = self._filtered(request.args("filter"))
        offset = _int_arg(request, "offset", 0) or 0
        limit = _int_arg(request, "limit", None)
        return found[offset : None if limit is None else offset + limit]

    def _by_query(self, request: Request) -> Any:
        cursor = request.arg("cursor")
        if cursor:
            try:
                offset, filters = _decode_cursor(cursor)
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError("malformed cursor") from exc
        else:
            offset, filters = 0, request.args("filter")
        limit = _int_arg(request, "limit", DEFAULT_LIMIT) or DEFAULT_LIMIT
        found = self._filtered(filters)
        page_info: dict[str, str] = {}
        if offset + limit < len(found):
            page_info["nextCursor"] = _encode_cursor(offset + limit, filters)
        if offset > 0:
            page_info["prevCursor"] = _encode_cursor(max(0, offset - limit), filters)
        return {"items": found[offset : offset + limit], "totalItems": len(found), "pageInfo": page_info}

    def _by_name(self, request: Request) -> Any:
        kind, namespace, name = (request.params[k].lower() for k in ("kind", "namespace", "name"))
        for entity in self.entities:
            metadata = entity.get("metadata", {})
            if (
                str(entity.get("kind", "")).lower() == kind
                and str(metadata.get("namespace", "")).lower() == namespace
                and str(metadata.get("name", "")).lower() == name
            ):
                return entity
        return _error(404, "NotFoundError", f"No entity named '{name}' found, with kind '{kind}'", request)
