"""The Backstage catalog REST API over httpx, and the catalog that combines it with local files.

Entities are read from ``/api/catalog/entities/by-query`` (cursor pagination, Backstage >= 1.9);
a server without it (404) is read from the older ``/api/catalog/entities`` with offset/limit.
Filter semantics are Backstage's: within one ``filter`` parameter, repeated keys are OR-ed.
"""

from __future__ import annotations

from typing import Any

import httpx

from connectors.base import CheckResult, ComponentInfo, GroupInfo
from connectors.catalog.config import CatalogConfig
from connectors.catalog.entities import parse_entities
from connectors.catalog.files import CatalogFilesConnector
from connectors.common.errors import ConnectorDataError, ConnectorError, ConnectorTimeout
from connectors.limits import LimitError, Limits, is_deadline, limited_transport

NAME = "backstage"
ENTITY_FILTER = "kind=component,kind=resource,kind=group,kind=user"
_MAX_PAGES = 1000


def _api_base(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith("/api/catalog") else base + "/api/catalog"


class BackstageConnector:
    """Components and groups from a Backstage catalog backend."""

    name = NAME

    def __init__(self, cfg: CatalogConfig, *, page_size: int = 500) -> None:
        if not cfg.backstage_url:
            raise ConnectorError("catalog.backstage_url is not set", connector=NAME)
        headers = {"Accept": "application/json"}
        if cfg.backstage_token is not None:
            headers["Authorization"] = f"Bearer {cfg.backstage_token.get_secret_value()}"
        self.url = cfg.backstage_url
        self.page_size = page_size
        self._client = httpx.Client(
            base_url=_api_base(cfg.backstage_url),
            headers=headers,
            timeout=cfg.timeout.total_seconds(),
            transport=limited_transport(httpx, Limits.of(cfg)),
        )
        self._by_query: bool | None = None
        """None until the first request tells whether the server has /entities/by-query."""
        self.problems: list[str] = []

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: list[tuple[str, str | int]], *, allow_404: bool = False) -> Any:
        try:
            response = self._client.get(path, params=tuple(params))
        except LimitError as exc:
            cls = ConnectorTimeout if is_deadline(exc) else ConnectorError
            raise cls(f"{self.url}: {exc}", connector=NAME) from exc
        except httpx.TimeoutException as exc:
            raise ConnectorTimeout(f"no answer from {self.url} in time", connector=NAME) from exc
        except httpx.HTTPError as exc:
            raise ConnectorError(f"cannot reach {self.url}: {exc}", connector=NAME) from exc
        if response.status_code == 404 and allow_404:
            return None
        if response.status_code in (401, 403):
            raise ConnectorError(
                f"HTTP {response.status_code} from {path}: check catalog.backstage_token",
                connector=NAME,
                http_status=response.status_code,
            )
        if response.status_code >= 400:
            raise ConnectorError(
                f"HTTP {response.status_code} from {path}: {_error_text(response)}",
                connector=NAME,
                http_status=response.status_code,
            )
        try:
            return response.json()
        except ValueError as exc:
            kind = response.headers.get("content-type", "no content type")
            snippet = " ".join(response.text[:80].split())
            raise ConnectorDataError(f"expected JSON from {path}, got {kind}: {snippet!r}", connector=NAME) from exc

    def _query_page(self, params: list[tuple[str, str | int]]) -> tuple[list[Any], int | None, str | None]:
        """One /by-query page: (items, totalItems, nextCursor); None items when the route is missing."""
        body = self._get("/entities/by-query", params, allow_404=self._by_query is None)
        if body is None:
            self._by_query = False
            return [], None, None
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise ConnectorDataError(
                f"/entities/by-query answered {type(body).__name__} without an 'items' list", connector=NAME
            )
        self._by_query = True
        cursor = body.get("pageInfo", {}).get("nextCursor") if isinstance(body.get("pageInfo"), dict) else None
        total = body.get("totalItems")
        return body["items"], total if isinstance(total, int) else None, cursor or None

    def _legacy_page(self, params: list[tuple[str, str | int]]) -> list[Any]:
        body = self._get("/entities", params)
        if not isinstance(body, list):
            raise ConnectorDataError(f"/entities answered {type(body).__name__}, expected a list", connector=NAME)
        return body

    def entities(self, filter_: str = ENTITY_FILTER) -> list[dict[str, Any]]:
        """Every entity matching ``filter_``, all pages."""
        items: list[Any] = []
        if self._by_query is not False:
            page, _, cursor = self._query_page([("filter", filter_), ("limit", self.page_size)])
            items.extend(page)
            seen: set[str] = set()
            while cursor and cursor not in seen and len(seen) < _MAX_PAGES:
                seen.add(cursor)
                page, _, cursor = self._query_page([("cursor", cursor), ("limit", self.page_size)])
                items.extend(page)
        if self._by_query is False:
            for number in range(_MAX_PAGES):
                offset = number * self.page_size
                page = self._legacy_page([("filter", filter_), ("offset", offset), ("limit", self.page_size)])
                items.extend(page)
                if len(page) < self.page_size:
                    break
        return [item for item in items if isinstance(item, dict)]

    def snapshot(self) -> tuple[list[ComponentInfo], list[GroupInfo]]:
        """Components and groups from one read of the catalog."""
        components, groups, self.problems = parse_entities(self.entities(), source=NAME)
        return components, groups

    def components(self) -> list[ComponentInfo]:
        return self.snapshot()[0]

    def groups(self) -> list[GroupInfo]:
        return self.snapshot()[1]

    def check(self) -> CheckResult:
        items: list[Any] = []
        total: int | None = None
        try:
            if self._by_query is not False:
                items, total, _ = self._query_page([("filter", "kind=component"), ("limit", 1)])
            if self._by_query is False:
                items = self._legacy_page([("filter", "kind=component"), ("limit", 1)])
        except ConnectorError as exc:
            return CheckResult(NAME, False, str(exc))
        api = "by-query" if self._by_query else "entities"
        count = f"{total} components" if total is not None else f"{'some' if items else 'no'} components"
        return CheckResult(NAME, True, f"{self.url} reachable ({api} API), {count}")


def _error_text(response: httpx.Response) -> str:
    """Backstage errors are ``{"error": {"name", "message"}}``; anything else is shown briefly."""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text[:120].split()) or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"{error.get('name', 'Error')}: {error.get('message', '')}".strip()
    return str(error or body)[:120]


Part = CatalogFilesConnector | BackstageConnector


class CatalogConnector:
    """Catalog files and Backstage as one catalog: files first, Backstage wins on a shared name.

    When one part fails the other still answers (its error is kept in :attr:`problems`);
    only when every part fails does a read raise.
    """

    name = "catalog"

    def __init__(
        self,
        *,
        files: CatalogFilesConnector | None = None,
        backstage: BackstageConnector | None = None,
    ) -> None:
        self.parts: list[Part] = [p for p in (files, backstage) if p is not None]
        if not self.parts:
            raise ConnectorError("neither catalog.dirs nor catalog.backstage_url is set", connector=self.name)
        self.problems: list[str] = []

    def snapshot(self) -> tuple[list[ComponentInfo], list[GroupInfo]]:
        components: dict[str, ComponentInfo] = {}
        groups: dict[str, GroupInfo] = {}
        problems: list[str] = []
        errors: list[ConnectorError] = []
        for part in self.parts:
            try:
                comps, grps = part.snapshot()
            except ConnectorError as exc:
                errors.append(exc)
                problems.append(str(exc))
                continue
            problems.extend(f"{part.name}: {p}" for p in part.problems)
            components.update((c.name, c) for c in comps)
            groups.update((g.name, g) for g in grps)
        self.problems = problems
        if len(errors) == len(self.parts):
            raise errors[-1]
        return list(components.values()), list(groups.values())

    def components(self) -> list[ComponentInfo]:
        return self.snapshot()[0]

    def groups(self) -> list[GroupInfo]:
        return self.snapshot()[1]

    def check(self) -> CheckResult:
        results = [part.check() for part in self.parts]
        detail = "; ".join(f"{r.name}: {r.detail}" for r in results)
        return CheckResult(self.name, all(r.ok for r in results), detail)


def build_catalog(cfg: CatalogConfig, *, page_size: int = 500) -> CatalogConnector | None:
    """The configured catalog, or None when neither directories nor a Backstage URL are set."""
    if not cfg.dirs and not cfg.backstage_url:
        return None
    return CatalogConnector(
        files=CatalogFilesConnector(cfg.dirs) if cfg.dirs else None,
        backstage=BackstageConnector(cfg, page_size=page_size) if cfg.backstage_url else None,
    )
