"""Kubernetes executors: rollback, scale, restart, delete a pod, over :class:`connectors.base.ClusterActions`.

Dry runs are the API server's own (``dryRun=All``). After a crash the Deployment, its
ReplicaSets or the pod are read back to tell whether the change landed. A missing object is
told by the error's ``http_status`` (404), never by its text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from connectors.base import RESTARTED_AT, ClusterActions
from incident.actions.executors import Executor, Outcome
from incident.config import Settings
from incident.errors import ConnectorError
from incident.models import Action
from incident.timeutil import parse_time


def _gone(exc: ConnectorError) -> bool:
    """The API server answered that the object does not exist."""
    return exc.http_status == 404


ACCEPTED = "the API server accepted it in a server-side dry run (nothing changed yet)"


class _Deployment(Executor[ClusterActions]):
    connector = "kubernetes"
    protocol = ClusterActions

    @staticmethod
    def where(action: Action) -> tuple[str, str]:
        return action.params["namespace"], action.params["deployment"]


class RolloutUndo(_Deployment):
    def dry_run(self, conn: ClusterActions, action: Action, settings: Settings) -> dict[str, Any]:
        ns, name = self.where(action)
        dry = conn.rollout_undo(ns, name, action.params.get("to_revision"), dry_run=True)
        if dry.get("from_revision") == dry.get("to_revision"):  # the live template is that revision's
            dry["changed"] = False
        return dry

    def lines(self, action: Action, dry: dict[str, Any]) -> list[str]:
        ns, name = self.where(action)
        if not dry.get("changed"):
            return [
                f"deployment {ns}/{name} already runs the pod template of revision {dry['to_revision']}:"
                " nothing to change"
            ]
        out = [
            f"deployment {ns}/{name}: revision {dry['from_revision']} -> {dry['to_revision']}"
            f" (pod template of ReplicaSet {dry.get('replicaset')})"
        ]
        for container, change in (dry.get("image_changes") or {}).items():
            out.append(f"image {container}: {change.get('from') or '(none)'} -> {change.get('to') or '(none)'}")
        if not dry.get("image_changes"):
            out.append("no image changes (other parts of the pod template differ)")
        out.append(f"{ACCEPTED}; the controller then rolls the pods to it")
        return out

    def noop(self, action: Action, dry: dict[str, Any]) -> dict[str, Any] | None:
        if dry.get("changed"):
            return None
        return {**dry, "message": f"already at revision {dry['to_revision']}"}

    def run(
        self, conn: ClusterActions, action: Action, settings: Settings, who: str, dry: dict[str, Any]
    ) -> dict[str, Any]:
        ns, name = self.where(action)
        result = conn.rollout_undo(ns, name, dry["to_revision"])
        now = f" (now revision {result['revision_after']})" if result.get("revision_after") else ""
        result["message"] = (
            f"rolled back deployment {ns}/{name} from revision {result['from_revision']}"
            f" to the template of revision {result['to_revision']}{now}"
        )
        return result

    def observe(self, conn: ClusterActions, action: Action) -> Outcome:
        ns, name = self.where(action)
        dry = action.dry_run or {}
        live = conn.read_deployment(ns, name).revision
        rs_name = dry.get("replicaset")
        target = None
        if rs_name:
            try:
                target = conn.read_replica_set(ns, rs_name).revision
            except ConnectorError:
                target = None
        if target is not None and target == live:
            return Outcome(
                "succeeded",
                f"deployment runs the template of revision {dry.get('to_revision')} (now revision {live})",
                {"revision_after": live},
            )
        if live == dry.get("from_revision"):
            return Outcome("failed", f"deployment is still at revision {live}: the rollback did not happen")
        return Outcome("unknown", f"deployment is at revision {live}, neither before nor the rollback's target")


class Scale(_Deployment):
    def dry_run(self, conn: ClusterActions, action: Action, settings: Settings) -> dict[str, Any]:
        ns, name = self.where(action)
        return conn.scale(ns, name, int(action.params["replicas"]), dry_run=True)

    def lines(self, action: Action, dry: dict[str, Any]) -> list[str]:
        ns, name = self.where(action)
        if dry["from_replicas"] == dry["to_replicas"]:
            return [f"deployment {ns}/{name} already has {dry['to_replicas']} replicas: nothing to change"]
        return [f"deployment {ns}/{name}: replicas {dry['from_replicas']} -> {dry['to_replicas']}", ACCEPTED]

    def noop(self, action: Action, dry: dict[str, Any]) -> dict[str, Any] | None:
        if dry["from_replicas"] != dry["to_replicas"]:
            return None
        return {**dry, "message": f"already at {dry['to_replicas']} replicas"}

    def run(
        self, conn: ClusterActions, action: Action, settings: Settings, who: str, dry: dict[str, Any]
    ) -> dict[str, Any]:
        ns, name = self.where(action)
        result = conn.scale(ns, name, int(action.params["replicas"]))
        result["message"] = (
            f"scaled deployment {ns}/{name} from {result['from_replicas']} to {result['to_replicas']} replicas"
        )
        return result

    def observe(self, conn: ClusterActions, action: Action) -> Outcome:
        ns, name = self.where(action)
        live = conn.read_deployment(ns, name).replicas
        wanted = int(action.params["replicas"])
        if live == wanted:
            return Outcome("succeeded", f"deployment has {live} replicas", {"to_replicas": live})
        if live == (action.dry_run or {}).get("from_replicas"):
            return Outcome("failed", f"deployment still has {live} replicas: the scale did not happen")
        return Outcome("unknown", f"deployment has {live} replicas, neither before nor {wanted}")


class Restart(_Deployment):
    def dry_run(self, conn: ClusterActions, action: Action, settings: Settings) -> dict[str, Any]:
        ns, name = self.where(action)
        current = conn.read_deployment(ns, name)
        result = conn.restart(ns, name, dry_run=True)
        result["replicas"] = current.replicas
        return result

    def lines(self, action: Action, dry: dict[str, Any]) -> list[str]:
        ns, name = self.where(action)
        return [
            f"deployment {ns}/{name}: pod template annotation {RESTARTED_AT} set to the time of execution",
            f"a new rollout replaces its {dry.get('replicas', '?')} pod(s) one by one, following its strategy",
            ACCEPTED,
        ]

    def run(
        self, conn: ClusterActions, action: Action, settings: Settings, who: str, dry: dict[str, Any]
    ) -> dict[str, Any]:
        ns, name = self.where(action)
        result = conn.restart(ns, name)
        result["message"] = f"restarted deployment {ns}/{name} ({RESTARTED_AT}={result['restarted_at']})"
        return result

    def observe(self, conn: ClusterActions, action: Action) -> Outcome:
        ns, name = self.where(action)
        stamp = conn.read_deployment(ns, name).restarted_at
        at = parse_time(stamp)
        since = action.executed_at
        if at is not None and since is not None and at >= since - timedelta(seconds=1):
            return Outcome("succeeded", f"restart annotation set at {stamp}", {"restarted_at": stamp})
        return Outcome(
            "failed", "no restart annotation from this execution on the pod template: the restart did not happen"
        )


class DeletePod(Executor[ClusterActions]):
    connector = "kubernetes"
    protocol = ClusterActions

    def dry_run(self, conn: ClusterActions, action: Action, settings: Settings) -> dict[str, Any]:
        ns, pod = action.params["namespace"], action.params["pod"]
        try:
            result = conn.delete_pod(ns, pod, dry_run=True)
        except ConnectorError as exc:
            if not _gone(exc):
                raise
            return {"namespace": ns, "pod": pod, "gone": True, "dry_run": True}
        result["owner"] = conn.read_pod(ns, pod).controller
        return result

    def lines(self, action: Action, dry: dict[str, Any]) -> list[str]:
        where = f"pod {dry['namespace']}/{dry['pod']}"
        if dry.get("gone"):
            return [f"{where} no longer exists: nothing to delete"]
        owner = dry.get("owner")
        then = f"{owner} creates a replacement" if owner else "it has no controller: nothing replaces it"
        return [f"{where} (uid {dry.get('uid')}) is deleted with its grace period; {then}", ACCEPTED]

    def noop(self, action: Action, dry: dict[str, Any]) -> dict[str, Any] | None:
        return {**dry, "message": "pod already gone"} if dry.get("gone") else None

    def run(
        self, conn: ClusterActions, action: Action, settings: Settings, who: str, dry: dict[str, Any]
    ) -> dict[str, Any]:
        ns, pod = action.params["namespace"], action.params["pod"]
        try:
            result = conn.delete_pod(ns, pod)
        except ConnectorError as exc:
            if not _gone(exc):
                raise
            return {"namespace": ns, "pod": pod, "gone": True, "message": "pod already gone"}
        result["message"] = f"deleted pod {ns}/{pod}"
        return result

    def observe(self, conn: ClusterActions, action: Action) -> Outcome:
        ns, pod = action.params["namespace"], action.params["pod"]
        try:
            live = conn.read_pod(ns, pod)
        except ConnectorError as exc:
            if _gone(exc):
                return Outcome("succeeded", "the pod is gone")
            raise
        if live.terminating:
            return Outcome("succeeded", "the pod is terminating")
        if live.uid != (action.dry_run or {}).get("uid"):
            return Outcome("succeeded", "the pod was replaced by a new one of the same name")
        return Outcome("failed", "the pod is still running: it was not deleted")
