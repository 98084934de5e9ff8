"""Write side of the Kubernetes connector: rollback, scale, restart, delete a pod.

Each method takes ``dry_run``, sent as the API's server-side ``dryRun=All``: the server validates
and answers with the would-be object without storing it. Approval and audit happen in the caller.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from kubernetes import client as k8s

from connectors.base import RESTARTED_AT, DeploymentState, PodState, ReplicaSetState
from connectors.common.errors import ConnectorError
from connectors.common.timeutil import rfc3339
from connectors.kubernetes import mapping
from connectors.kubernetes.transport import NAME, Transport

MERGE_PATCH = "application/merge-patch+json"


def merge_diff(current: Any, target: Any) -> Any:
    """An RFC 7386 merge patch that turns ``current`` into ``target`` (removed keys become null)."""
    if not isinstance(current, dict) or not isinstance(target, dict):
        return copy.deepcopy(target)
    patch: dict[str, Any] = {key: None for key in current if key not in target}
    for key, value in target.items():
        if key not in current:
            patch[key] = copy.deepcopy(value)
        elif current[key] != value:
            patch[key] = merge_diff(current[key], value)
    return patch


def _revision(obj: dict[str, Any]) -> int | None:
    value = str((mapping.meta(obj).get("annotations") or {}).get(mapping.REVISION) or "")
    return int(value) if value.isdigit() else None


class KubernetesActions:
    """:class:`connectors.base.ClusterActions`, mixed into :class:`connectors.kubernetes.client.KubernetesConnector`."""

    http: Transport
    apps: k8s.AppsV1Api
    core: k8s.CoreV1Api

    @staticmethod
    def _dry(dry_run: bool) -> dict[str, str]:
        return {"dry_run": "All"} if dry_run else {}

    def read_deployment(self, namespace: str, name: str) -> DeploymentState:
        read = self.apps.read_namespaced_deployment
        dep = self.http.json(f"read deployment {namespace}/{name}", read, name, namespace)
        template = (dep.get("spec") or {}).get("template") or {}
        stamp = (mapping.meta(template).get("annotations") or {}).get(RESTARTED_AT)
        return DeploymentState(
            namespace=namespace,
            name=name,
            revision=_revision(dep),
            replicas=int((dep.get("spec") or {}).get("replicas") or 0),
            restarted_at=str(stamp) if stamp else None,
        )

    def read_replica_set(self, namespace: str, name: str) -> ReplicaSetState:
        read = self.apps.read_namespaced_replica_set
        rs = self.http.json(f"read replicaset {namespace}/{name}", read, name, namespace)
        return ReplicaSetState(namespace=namespace, name=name, revision=_revision(rs))

    def read_pod(self, namespace: str, name: str) -> PodState:
        pod = self.http.json(f"read pod {namespace}/{name}", self.core.read_namespaced_pod, name, namespace)
        md = mapping.meta(pod)
        owners = md.get("ownerReferences") or []
        return PodState(
            namespace=namespace,
            name=name,
            uid=md.get("uid"),
            terminating=bool(md.get("deletionTimestamp")),
            controller=next((f"{o.get('kind')} {o.get('name')}" for o in owners if o.get("controller")), None),
        )

    def rollout_undo(
        self, namespace: str, deployment: str, to_revision: int | None = None, dry_run: bool = False
    ) -> dict[str, Any]:
        """Like ``kubectl rollout undo``: put the pod template of an earlier revision back."""
        where = f"deployment {namespace}/{deployment}"
        dep = self.http.json(f"read {where}", self.apps.read_namespaced_deployment, deployment, namespace)
        replicasets = self.http.items(
            f"list replicasets in {namespace}", self.apps.list_namespaced_replica_set, namespace
        )
        history = {mapping.revision_of(rs).revision: rs for rs in replicasets if mapping.owned_by(rs, dep)}
        history.pop(0, None)
        annotations = mapping.meta(dep).get("annotations") or {}
        current = int(annotations.get(mapping.REVISION) or max(history, default=0))
        if to_revision is None:
            older = [r for r in history if r != current]
            if not older:
                raise ConnectorError(f"{where} has no previous revision to roll back to", connector=NAME)
            to_revision = max(older)
        if to_revision not in history:
            known = ", ".join(str(r) for r in sorted(history)) or "none"
            raise ConnectorError(f"{where} has no revision {to_revision} (known: {known})", connector=NAME)
        rs = history[to_revision]
        target = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
        (target.get("metadata") or {}).get("labels", {}).pop(mapping.TEMPLATE_HASH, None)
        live = (dep.get("spec") or {}).get("template") or {}
        before, after = mapping.template_images(live), mapping.template_images(target)
        result: dict[str, Any] = {
            "namespace": namespace,
            "deployment": deployment,
            "from_revision": current,
            "to_revision": to_revision,
            "replicaset": mapping.meta(rs).get("name"),
            "image_changes": {
                c: {"from": before.get(c), "to": after.get(c)}
                for c in sorted(set(before) | set(after))
                if before.get(c) != after.get(c)
            },
            "dry_run": dry_run,
            "changed": live != target,
        }
        if live == target:
            return result  # kubectl: "skipped rollback (current template already matches revision N)"
        body: dict[str, Any] = {"spec": {"template": merge_diff(live, target)}}
        cause = (mapping.meta(rs).get("annotations") or {}).get(mapping.CHANGE_CAUSE)
        if cause:
            body["metadata"] = {"annotations": {mapping.CHANGE_CAUSE: cause}}
        answer = self.http.json(
            f"roll back {where}",
            self.apps.patch_namespaced_deployment,
            deployment,
            namespace,
            body,
            _content_type=MERGE_PATCH,
            **self._dry(dry_run),
        )
        result["revision_after"] = mapping.revision_of(answer).revision or None
        result["images_after"] = mapping.template_images((answer.get("spec") or {}).get("template") or {})
        return result

    def scale(self, namespace: str, deployment: str, replicas: int, dry_run: bool = False) -> dict[str, Any]:
        where = f"deployment {namespace}/{deployment}"
        if replicas < 0:
            raise ConnectorError(f"cannot scale {where} to {replicas} replicas", connector=NAME)
        now = self.http.json(
            f"read scale of {where}", self.apps.read_namespaced_deployment_scale, deployment, namespace
        )
        answer = self.http.json(
            f"scale {where}",
            self.apps.patch_namespaced_deployment_scale,
            deployment,
            namespace,
            {"spec": {"replicas": replicas}},
            _content_type=MERGE_PATCH,
            **self._dry(dry_run),
        )
        return {
            "namespace": namespace,
            "deployment": deployment,
            "from_replicas": int((now.get("spec") or {}).get("replicas") or 0),
            "to_replicas": int((answer.get("spec") or {}).get("replicas") or 0),
            "dry_run": dry_run,
        }

    def restart(self, namespace: str, deployment: str, dry_run: bool = False) -> dict[str, Any]:
        """Like ``kubectl rollout restart``: a new template annotation makes the controller roll."""
        at = rfc3339(datetime.now(UTC))
        body = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}}
        answer = self.http.json(
            f"restart deployment {namespace}/{deployment}",
            self.apps.patch_namespaced_deployment,
            deployment,
            namespace,
            body,
            **self._dry(dry_run),
        )
        return {
            "namespace": namespace,
            "deployment": deployment,
            "restarted_at": at,
            "generation": mapping.meta(answer).get("generation"),
            "dry_run": dry_run,
        }

    def delete_pod(self, namespace: str, pod: str, dry_run: bool = False) -> dict[str, Any]:
        answer = self.http.json(
            f"delete pod {namespace}/{pod}",
            self.core.delete_namespaced_pod,
            pod,
            namespace,
            **self._dry(dry_run),
        )
        return {
            "namespace": namespace,
            "pod": pod,
            "uid": mapping.meta(answer).get("uid"),
            "dry_run": dry_run,
        }
