"""Alertmanager API v2 over httpx: active alerts, status, and silences (the one action it offers)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.alertmanager.config import AlertmanagerConfig
from connectors.alertmanager.webhook import alert_record, parse_end, rejected
from connectors.base import AlertPoll as AlertPoll  # re-exported; home: connectors/base.py
from connectors.base import AlertRecord, CheckResult
from connectors.base import Silence as Silence  # re-exported; home: connectors/base.py
from connectors.base import Suppression as Suppression  # re-exported; home: connectors/base.py
from connectors.base import poll_of as poll_of  # re-exported; home: connectors/base.py
from connectors.common.errors import ConnectorDataError, ConnectorError, ConnectorTimeout
from connectors.limits import Limits, limited_transport

log = logging.getLogger(__name__)

NAME = "alertmanager"
_ACTIVE_STATES = ("active", "unprocessed", "suppressed")
"""``unprocessed``: posted but not yet through the dispatcher; ``suppressed``: silenced or
inhibited. All three are still firing."""


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware UTC time")
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ids(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _matcher_value(matcher: dict[str, Any]) -> str:
    value = str(matcher.get("value", ""))
    equal = matcher.get("isEqual", True)
    if matcher.get("isRegex"):
        return ("=~" if equal else "!~") + value
    return value if equal else "!=" + value


class AlertmanagerConnector:
    """Reads alerts and manages silences through ``/api/v2``."""

    name = NAME

    def __init__(self, cfg: AlertmanagerConfig) -> None:
        self.cfg = cfg
        headers = {"Accept": "application/json"}
        if cfg.bearer_token is not None:
            headers["Authorization"] = f"Bearer {cfg.bearer_token.get_secret_value()}"
        self._http = httpx.Client(
            base_url=(cfg.url or "").rstrip("/"),
            headers=headers,
            timeout=cfg.timeout.total_seconds(),
            verify=cfg.verify_tls,
            transport=limited_transport(httpx, Limits.of(cfg), verify=cfg.verify_tls),
        )

    # ------------------------------------------------------------------ transport

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self.cfg.url:
            raise ConnectorError("alertmanager.url is not set", connector=NAME)
        what = f"{method} {path}"
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ConnectorTimeout(
                f"{what}: timed out after {self.cfg.timeout.total_seconds():g}s", connector=NAME
            ) from exc
        except httpx.HTTPError as exc:
            raise ConnectorError(f"{what}: {type(exc).__name__}: {exc}", connector=NAME) from exc

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        what = f"{method} {path}"
        if response.status_code >= 400:
            raise ConnectorError(
                f"{what}: HTTP {response.status_code}: {response.text[:200]}",
                connector=NAME,
                http_status=response.status_code,
            )
        try:
            return response.json()
        except ValueError as exc:
            snippet = response.text[:80].replace("\n", " ")
            raise ConnectorDataError(f"{what}: answer is not JSON ({snippet!r})", connector=NAME) from exc

    # ------------------------------------------------------------------ reads

    def check(self) -> CheckResult:
        if not self.cfg.url:
            return CheckResult(NAME, False, "alertmanager.url is not set")
        try:
            status = self._json("GET", "/api/v2/status")
            if not isinstance(status, dict) or "versionInfo" not in status:
                raise ConnectorDataError("GET /api/v2/status: not an Alertmanager status", connector=NAME)
        except ConnectorError as exc:
            return CheckResult(NAME, False, exc.message.removeprefix(f"{NAME}: "))
        version = (status.get("versionInfo") or {}).get("version", "?")
        cluster = (status.get("cluster") or {}).get("status", "?")
        try:  # the poll the watcher makes, not only the status page: a failing poll is not ok
            poll = self.poll()
        except ConnectorError as exc:
            return CheckResult(NAME, False, f"Alertmanager {version} answers, but polling alerts fails: {exc.message}")
        counts = f"{len(poll.alerts)} active alert(s), {len(poll.suppression)} silenced or inhibited"
        if poll.rejected:
            counts += f", {len(poll.rejected)} invalid (quarantined when polled)"
        return CheckResult(NAME, True, f"Alertmanager {version} (cluster {cluster}); {counts}")

    def active_alerts(self) -> list[AlertRecord]:
        """Every still-firing alert, silenced and inhibited included (see :meth:`poll`)."""
        return self.poll().alerts

    def poll(self) -> AlertPoll:
        """Read all active alerts, unfiltered: a silence or an inhibition mutes notifications, it
        does not end the alert. Each alert is validated alone; an invalid one is returned in
        ``rejected`` and the others are read. Silences are looked up only when one mutes an alert."""
        data = self._json("GET", "/api/v2/alerts", params={"active": "true"})
        if not isinstance(data, list):
            raise ConnectorDataError("GET /api/v2/alerts: expected a list of alerts", connector=NAME)
        poll = AlertPoll()
        muted: dict[str, tuple[list[str], list[str]]] = {}
        for index, raw in enumerate(data):
            where = f"alerts[{index}]"
            if not isinstance(raw, dict):
                poll.rejected.append(rejected(raw, f"{where}: not an object"))
                continue
            if self.cfg.receiver and self.cfg.receiver not in self._receivers(raw):
                continue
            given = raw.get("status")
            status: dict[str, Any] = given if isinstance(given, dict) else {}
            if status.get("state", "active") not in _ACTIVE_STATES:
                continue
            try:
                record = alert_record(raw, status="firing", where=where)
            except ValueError as exc:
                poll.rejected.append(rejected(raw, str(exc)))
                continue
            poll.alerts.append(record)
            silenced, inhibited = _ids(status.get("silencedBy")), _ids(status.get("inhibitedBy"))
            if silenced or inhibited:
                muted[record.fingerprint] = (silenced, inhibited)
        if muted:
            known = self._silences_by_id() if any(s for s, _ in muted.values()) else {}
            for fp, (silenced, inhibited) in muted.items():
                poll.suppression[fp] = Suppression(
                    silenced_by=tuple(known.get(i) or Silence(i, "", {}, None, None) for i in silenced),
                    inhibited_by=tuple(inhibited),
                )
        return poll

    def _silences_by_id(self) -> dict[str, Silence]:
        """The silences by id; empty when they cannot be read (the ids alone still show)."""
        try:
            return {s.id: s for s in self.silences()}
        except ConnectorError as exc:
            log.warning("cannot read silences: %s", exc.message)
            return {}

    @staticmethod
    def _receivers(raw: dict[str, Any]) -> set[str]:
        return {str(r.get("name")) for r in raw.get("receivers") or [] if isinstance(r, dict)}

    def silences(self) -> list[Silence]:
        data = self._json("GET", "/api/v2/silences")
        if not isinstance(data, list):
            raise ConnectorDataError("GET /api/v2/silences: expected a list", connector=NAME)
        out: list[Silence] = []
        try:
            for raw in data:
                out.append(
                    Silence(
                        id=str(raw["id"]),
                        state=str((raw.get("status") or {}).get("state", "")),
                        matchers={str(m["name"]): _matcher_value(m) for m in raw.get("matchers") or []},
                        starts_at=parse_end(raw.get("startsAt")),
                        ends_at=parse_end(raw.get("endsAt")),
                        created_by=str(raw.get("createdBy") or ""),
                        comment=str(raw.get("comment") or ""),
                        raw=raw,
                    )
                )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConnectorDataError(f"GET /api/v2/silences: unreadable silence ({exc})", connector=NAME) from exc
        return out

    # ------------------------------------------------------------------ actions

    def create_silence(
        self,
        *,
        matchers: dict[str, str],
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
    ) -> str:
        if not matchers:
            raise ConnectorError("a silence needs at least one matcher", connector=NAME)
        body = {
            "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
            "startsAt": _iso(starts_at),
            "endsAt": _iso(ends_at),
            "createdBy": created_by,
            "comment": comment,
        }
        data = self._json("POST", "/api/v2/silences", json=body)
        if not isinstance(data, dict) or not data.get("silenceID"):
            raise ConnectorDataError("POST /api/v2/silences: no silenceID in the answer", connector=NAME)
        return str(data["silenceID"])

    def expire_silence(self, silence_id: str) -> None:
        """Expire a silence; one that is already expired or unknown counts as done."""
        response = self._request("DELETE", f"/api/v2/silence/{silence_id}")
        if response.status_code < 300 or response.status_code == 404:
            return
        if "already expired" in response.text or "not found" in response.text:
            return  # Alertmanager 0.25 answers 500 for an unknown silence id
        raise ConnectorError(
            f"DELETE /api/v2/silence/{silence_id}: HTTP {response.status_code}: {response.text[:200]}",
            connector=NAME,
            http_status=response.status_code,
        )

    def close(self) -> None:
        self._http.close()
