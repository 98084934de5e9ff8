"""Alertmanager silences and PagerDuty acknowledge, resolve and note.

Neither API has a server-side dry run: the dry run reads the current state (silences and firing
alerts, the PagerDuty incident) and says what would change. A silence carries the action id in
its comment, so after a crash it can be found again, and an identical active one is reused.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Any

from connectors.base import PagingTarget, SilenceTarget
from connectors.base import Silence as SilenceState
from incident.actions.executors import Executor, Outcome
from incident.config import Settings, parse_duration
from incident.models import Action


def _matchers(matchers: dict[str, str]) -> str:
    return ", ".join(f'{k}="{v}"' for k, v in sorted(matchers.items()))


def _hhmm(value: datetime | str | None) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "?"


class Silence(Executor[SilenceTarget]):
    connector = "alertmanager"
    protocol = SilenceTarget

    @staticmethod
    def _identical(conn: SilenceTarget, matchers: dict[str, str]) -> SilenceState | None:
        return next((s for s in conn.silences() if s.state == "active" and s.matchers == matchers), None)

    def dry_run(self, conn: SilenceTarget, action: Action, settings: Settings) -> dict[str, Any]:
        matchers = dict(action.params["matchers"])
        existing = self._identical(conn, matchers)
        firing = [a for a in conn.active_alerts() if all(a.labels.get(k) == v for k, v in matchers.items())]
        return {
            "matchers": matchers,
            "duration": action.params["duration"],
            "seconds": parse_duration(action.params["duration"]).total_seconds(),
            "comment": action.params["comment"],
            "existing": {"id": existing.id, "ends_at": existing.ends_at} if existing else None,
            "matching_alerts": sorted({a.name for a in firing}),
            "matching_count": len(firing),
        }

    def lines(self, action: Action, dry: dict[str, Any]) -> list[str]:
        if dry.get("existing"):
            existing = dry["existing"]
            return [
                f"an identical silence {existing['id']} is already active until {_hhmm(existing['ends_at'])}:"
                " it is reused, nothing new is created"
            ]
        names = ", ".join(dry["matching_alerts"]) or "none"
        return [
            f"new silence on matchers {_matchers(dry['matchers'])}",
            f"duration {dry['duration']}, from the moment it is executed",
            f"comment: {dry['comment']}",
            f"{dry['matching_count']} firing alert(s) match now and stop notifying: {names}",
        ]

    def noop(self, action: Action, dry: dict[str, Any]) -> dict[str, Any] | None:
        existing = dry.get("existing")
        if not existing:
            return None
        return {"silence_id": existing["id"], "reused": True, "message": f"reused active silence {existing['id']}"}

    def run(
        self, conn: SilenceTarget, action: Action, settings: Settings, who: str, dry: dict[str, Any]
    ) -> dict[str, Any]:
        matchers = dict(action.params["matchers"])
        existing = self._identical(conn, matchers)
        if existing is not None:
            return {"silence_id": existing.id, "reused": True, "message": f"reused active silence {existing.id}"}
        now = datetime.now(UTC)
        ends = now + parse_duration(action.params["duration"])
        silence_id = conn.create_silence(
            matchers=matchers,
            starts_at=now,
            ends_at=ends,
            created_by=who,
            comment=f"{action.params['comment']} [incident-copilot {action.id}]",
        )
        return {
            "silence_id": silence_id,
            "ends_at": ends.isoformat(),
            "message": f"silence {silence_id} on {_matchers(matchers)} until {_hhmm(ends)}",
        }

    def observe(self, conn: SilenceTarget, action: Action) -> Outcome:
        mine = [s for s in conn.silences() if action.id in s.comment and s.state != "expired"]
        if mine:
            return Outcome("succeeded", f"silence {mine[0].id} is {mine[0].state}", {"silence_id": mine[0].id})
        return Outcome("failed", "no silence from this action exists: it was not created")


class _Incident(Executor[PagingTarget]):
    """An action on one PagerDuty incident: its dry run is the incident as it is now."""

    connector = "pagerduty"
    protocol = PagingTarget

    def dry_run(self, conn: PagingTarget, action: Action, settings: Settings) -> dict[str, Any]:
        incident = conn.incident(action.params["incident_id"])
        return {
            "incident_id": incident.id,
            "number": incident.number,
            "title": incident.title,
            "status": incident.status,
            "as": settings.pagerduty.from_email,
        }

    @staticmethod
    def _name(dry: dict[str, Any]) -> str:
        number = f" #{dry['number']}" if dry.get("number") else ""
        return f"PagerDuty incident {dry['incident_id']}{number} ({dry['title']})"


class _Status(_Incident, ABC):
    wanted = ""
    done: tuple[str, ...] = ()

    @abstractmethod
    def change(self, conn: PagingTarget, incident_id: str) -> None:
        """The status change itself (acknowledge, resolve)."""

    def lines(self, action: Action, dry: dict[str, Any]) -> list[str]:
        if dry["status"] in self.done:
            return [f"{self._name(dry)} is already {dry['status']}: nothing to change"]
        return [
            f"{self._name(dry)}: {dry['status']} -> {self.wanted}",
            f"as {dry.get('as') or '(pagerduty.from_email unset)'}",
        ]

    def noop(self, action: Action, dry: dict[str, Any]) -> dict[str, Any] | None:
        if dry["status"] not in self.done:
            return None
        return {**dry, "message": f"already {dry['status']}"}

    def run(
        self, conn: PagingTarget, action: Action, settings: Settings, who: str, dry: dict[str, Any]
    ) -> dict[str, Any]:
        self.change(conn, action.params["incident_id"])
        return {**dry, "status": self.wanted, "message": f"{self.wanted} {self._name(dry)}"}

    def observe(self, conn: PagingTarget, action: Action) -> Outcome:
        status = conn.incident(action.params["incident_id"]).status
        if status in self.done:
            return Outcome("succeeded", f"the PagerDuty incident is {status}", {"status": status})
        return Outcome("failed", f"the PagerDuty incident is still {status}")


class Acknowledge(_Status):
    wanted, done = "acknowledged", ("acknowledged", "resolved")

    def change(self, conn: PagingTarget, incident_id: str) -> None:
        conn.acknowledge(incident_id)


class Resolve(_Status):
    wanted, done = "resolved", ("resolved",)

    def change(self, conn: PagingTarget, incident_id: str) -> None:
        conn.resolve(incident_id)


class Note(_Incident):
    def lines(self, action: Action, dry: dict[str, Any]) -> list[str]:
        return [
            f"add a note to {self._name(dry)} as {dry.get('as') or '(pagerduty.from_email unset)'}:",
            f"  {action.params['content']}",
        ]

    def run(
        self, conn: PagingTarget, action: Action, settings: Settings, who: str, dry: dict[str, Any]
    ) -> dict[str, Any]:
        conn.add_note(action.params["incident_id"], action.params["content"])
        return {**dry, "message": f"note added to {self._name(dry)}"}

    def observe(self, conn: PagingTarget, action: Action) -> Outcome:
        return Outcome(
            "unknown", "PagerDuty notes are not read back: check the incident's notes before adding it again"
        )


def expire(conn: SilenceTarget, silence_id: str) -> dict[str, Any]:
    conn.expire_silence(silence_id)
    return {"silence_id": silence_id, "message": f"silence {silence_id} expired"}
