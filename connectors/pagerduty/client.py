"""PagerDuty REST API v2 connector: open incidents, their alerts and log entries, change events,
and the three actions an on-call engineer takes (acknowledge, resolve, add a note).

Built on the official ``pagerduty`` client, which paginates (``limit``/``offset``/``more``) and
retries 429s itself. Its default is to retry 429 forever; we cap it, so a rate-limited PagerDuty
delays a gathering by seconds instead of hanging it. The client backs off exponentially
(``sleep_timer`` doubling per attempt) and does not read ``Retry-After``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx2
import pagerduty

from connectors.base import AlertRecord, ChangeRecord, CheckResult, LogEntry, PagerDutyIncident
from connectors.common.errors import ConnectorDataError, ConnectorError, ConnectorTimeout
from connectors.limits import Limits, limited_transport
from connectors.pagerduty.config import PagerDutyConfig
from connectors.pagerduty.mapping import SOURCE, format_time, to_alert, to_change, to_incident, to_log_entry

NAME = SOURCE
OPEN_STATUSES = ("triggered", "acknowledged")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
T = TypeVar("T")


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Client(pagerduty.RestApiV2Client):
    """The official client, also accepting plain ``http://`` on loopback (the sandbox stand-in).

    The vendor's ``url`` setter insists on ``https://``; everything else is the vendor's.
    """

    _url: str  # set by the constructor (the vendor declares the class default None)
    timeout: float  # type: ignore[assignment]  # httpx takes a float; the vendor's default is an int

    @property
    def url(self) -> str:
        return self._url

    @url.setter
    def url(self, value: str) -> None:
        if value.startswith("http://") and _is_loopback(value):
            self._url = value
        else:
            pagerduty.ApiClient.url.fset(self, value)  # type: ignore[attr-defined]


def _error_text(response: Any) -> str:
    try:
        error = response.json().get("error") or {}
        parts = [str(error.get("message") or "")] + [str(e) for e in error.get("errors") or []]
        text = "; ".join(p for p in parts if p)
    except (ValueError, AttributeError):
        text = ""
    return text or pagerduty.truncate_text(response.text.strip())


class PagerDutyConnector:
    """:class:`PagingSource` and :class:`PagingActions` over PagerDuty REST API v2."""

    name = NAME

    def __init__(self, cfg: PagerDutyConfig, *, backoff_seconds: float = 0.5, max_retries: int = 3) -> None:
        self.cfg = cfg
        self._client: _Client | None = None
        self._unusable = "no api_token configured"
        token = cfg.api_token.get_secret_value() if cfg.api_token is not None else ""
        if not token:
            return
        try:
            client = _Client(
                token,
                default_from=cfg.from_email,
                base_url=cfg.base_url,
                transport=limited_transport(httpx2, Limits.of(cfg)),
            )
        except pagerduty.UrlError as exc:
            self._unusable = f"base_url {cfg.base_url!r}: {exc}"
            return
        client.timeout = cfg.timeout.total_seconds()
        client.retry = {429: max_retries, 502: max_retries, 503: max_retries, 504: max_retries}
        client.sleep_timer = backoff_seconds
        client.max_network_attempts = 1
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # ------------------------------------------------------------------ plumbing

    def _call(self, what: str, fn: Callable[[_Client], T]) -> T:
        """Run ``fn`` against the client; every failure leaves as a ConnectorError."""
        if self._client is None:
            raise ConnectorError(self._unusable, connector=NAME)
        try:
            return fn(self._client)
        except pagerduty.HttpError as exc:
            response = exc.response
            if response is None:  # the vendor raises it with a response; be safe if it does not
                raise ConnectorError(f"{what}: {exc.msg}", connector=NAME) from exc
            if response.is_success:  # 2xx but not the JSON shape the client expects
                raise ConnectorDataError(f"{what}: {exc.msg}", connector=NAME) from exc
            if response.status_code == 401:
                message = "401 unauthorized: the api_token is invalid or deactivated"
                raise ConnectorError(f"{what}: {message}", connector=NAME, http_status=401) from exc
            message = f"HTTP {response.status_code}: {_error_text(response)}"
            raise ConnectorError(f"{what}: {message}", connector=NAME, http_status=response.status_code) from exc
        except pagerduty.Error as exc:
            cause = exc.__cause__
            if isinstance(cause, httpx2.TimeoutException):
                raise ConnectorTimeout(
                    f"{what}: no answer within {self.cfg.timeout.total_seconds():g}s", connector=NAME
                ) from exc
            reason = f"{type(cause).__name__}: {cause}" if cause else str(exc)
            raise ConnectorError(f"{what}: cannot reach {self.cfg.base_url}: {reason}", connector=NAME) from exc
        except (pagerduty.UrlError, httpx2.HTTPError) as exc:
            raise ConnectorError(f"{what}: {type(exc).__name__}: {exc}", connector=NAME) from exc
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConnectorDataError(f"{what}: unexpected data: {type(exc).__name__}: {exc}", connector=NAME) from exc

    @staticmethod
    def _path(incident_id: str, suffix: str = "") -> str:
        if not _ID.match(incident_id):
            raise ConnectorError(f"invalid incident id {incident_id[:80]!r}", connector=NAME)
        return f"/incidents/{incident_id}{suffix}"

    def _need_from(self) -> None:
        if not self.cfg.from_email:
            raise ConnectorError("pagerduty.from_email must be set to act on incidents", connector=NAME)

    # ------------------------------------------------------------------ PagingSource

    def check(self) -> CheckResult:
        try:
            abilities = self._call("GET /abilities", lambda c: c.rget("/abilities"))
        except ConnectorError as exc:
            return CheckResult(NAME, False, exc.message.removeprefix(f"{NAME}: "))
        if not isinstance(abilities, list):
            return CheckResult(NAME, False, "GET /abilities: unexpected response shape")
        return CheckResult(NAME, True, f"{self.cfg.base_url}: token accepted")

    def open_incidents(self) -> list[PagerDutyIncident]:
        params: dict[str, Any] = {"statuses": list(OPEN_STATUSES), "date_range": "all"}
        if self.cfg.service_ids:
            params["service_ids"] = list(self.cfg.service_ids)
        return self._call("GET /incidents", lambda c: [to_incident(i) for i in c.iter_all("/incidents", params=params)])

    def incident(self, incident_id: str) -> PagerDutyIncident:
        path = self._path(incident_id)
        return self._call(f"GET {path}", lambda c: to_incident(c.rget(path)))

    def incident_alerts(self, incident_id: str) -> list[AlertRecord]:
        path = self._path(incident_id, "/alerts")
        return self._call(f"GET {path}", lambda c: [to_alert(a, incident_id) for a in c.iter_all(path)])

    def log_entries(self, incident_id: str, *, until: datetime) -> list[LogEntry]:
        path = self._path(incident_id, "/log_entries")
        params = {"until": format_time(until)}
        entries = self._call(f"GET {path}", lambda c: [to_log_entry(e) for e in c.iter_all(path, params=params)])
        return sorted((e for e in entries if e.at <= until), key=lambda e: (e.at, e.id))

    def change_events(self, *, since: datetime, until: datetime) -> list[ChangeRecord]:
        params = {"since": format_time(since), "until": format_time(until)}
        changes = self._call(
            "GET /change_events",
            lambda c: [to_change(e) for e in c.iter_all("/change_events", params=params)],
        )
        return sorted((ch for ch in changes if since <= ch.at <= until), key=lambda ch: (ch.at, ch.id))

    # ------------------------------------------------------------------ PagingActions

    def acknowledge(self, incident_id: str) -> None:
        self._set_status(incident_id, "acknowledged")

    def resolve(self, incident_id: str) -> None:
        self._set_status(incident_id, "resolved")

    def _set_status(self, incident_id: str, status: str) -> None:
        """Idempotent: nothing is sent when the incident is already there (or resolved)."""
        self._need_from()
        current = self.incident(incident_id)
        if current.status in (status, "resolved"):
            return
        path = self._path(incident_id)

        def put(client: _Client) -> None:
            try:
                client.rput(path, json={"type": "incident_reference", "status": status})
            except pagerduty.HttpError as exc:  # resolved by someone else since we looked
                answer = exc.response
                if answer is None or answer.status_code != 400 or "already resolved" not in answer.text.lower():
                    raise

        self._call(f"PUT {path} status={status}", put)

    def add_note(self, incident_id: str, content: str) -> None:
        self._need_from()
        if not content.strip():
            raise ConnectorError("a note needs some content", connector=NAME)
        path = self._path(incident_id, "/notes")
        self._call(f"POST {path}", lambda c: c.rpost(path, json={"content": content}))
