"""A stand-in Kubernetes API server serving a scenario's objects, logs and our actions' mutations.

It speaks the parts of the API the connector (and ``kubectl get``) use: discovery, list/get of
core and apps resources with label/field selectors (Endpoints derived from Services and pods
when a scenario stores none, as the endpoints controller keeps them) and ``limit``/``continue`` paging, pod logs,
Deployment PATCH (merge, strategic merge, JSON patch) with the controller's rollout bookkeeping,
the scale subresource and pod DELETE, all honouring ``dryRun=All``. Nothing created after the
page time is served. Errors are ``kind: Status`` bodies, as from a real API server.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from incident.sandbox.http import Request, Response, StandInServer
from incident.sandbox.kubernetes_rollout import apply_patch, reconcile
from incident.sandbox.kubernetes_state import (
    API_GROUPS,
    CIDRS,
    RESOURCES,
    VERSION,
    ObjectStore,
    Resource,
    StatusError,
    endpoints,
    list_body,
    not_found,
    resource_list,
    stamped_after,
)
from incident.scenario import Scenario
from incident.timeutil import rfc3339

Obj = dict[str, Any]
LogKey = tuple[str, str, str, bool]
_PREFIX = r"(?P<prefix>/api/v1|/apis/apps/v1)"
_NAME = r"[^/]+"


class KubernetesStandIn(StandInServer):
    name = "kubernetes"

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        objects: list[Obj] | None = None,
        logs: dict[LogKey, str | Path] | None = None,
        page_at: datetime | None = None,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host, port)
        self.scenario = scenario
        self.page_at = page_at or (scenario.page_at if scenario else None)
        self.token = token
        self.on_rollout: list[Callable[[Obj], None]] = []
        """Called with the Deployment after each completed rollout (template change)."""
        self.store = ObjectStore()
        self.logs: dict[LogKey, str | Path] = dict(logs or {})
        self._lock = threading.RLock()
        self._started = time.monotonic()
        self.load((scenario.kubernetes if scenario else []) + list(objects or []))
        self._routes()

    # ------------------------------------------------------------------ state

    def now(self) -> datetime:
        """The stand-in's clock: the page time plus the time since start (wall clock without one)."""
        if self.page_at is None:
            return datetime.now(UTC)
        return self.page_at + timedelta(seconds=time.monotonic() - self._started)

    def load(self, objects: list[Obj]) -> None:
        """Add objects (scenario files, tests); those stamped after the page time are dropped."""
        with self._lock:
            for raw in objects:
                if not isinstance(raw, dict) or not raw.get("kind"):
                    continue
                if self.page_at is not None and stamped_after(raw, self.page_at):
                    continue
                obj = copy.deepcopy(raw)
                if obj["kind"] == "Secret":  # never hold secret values, not even in the sandbox
                    obj.pop("data", None)
                    obj.pop("stringData", None)
                self.store.put(obj)
            for ns in self.store.namespaces() - set(self.store.objects.get("Namespace", {}).get("", {})):
                ns_obj = {"kind": "Namespace", "metadata": {"name": ns}, "status": {"phase": "Active"}}
                self.store.put(ns_obj)

    def connector_config(self) -> dict[str, Any]:
        """The ``[kubernetes]`` config section that points the connector at this stand-in."""
        section: dict[str, Any] = {"host": self.url, "verify_tls": False}
        if self.token is not None:
            section["token"] = self.token
        return section

    def read_log(self, key: LogKey) -> str | None:
        value = self.logs.get(key)
        if isinstance(value, Path):
            return value.read_text(errors="replace")
        if value is not None:
            return value
        return self.scenario.read_log(*key) if self.scenario else None

    # ------------------------------------------------------------------ plumbing

    def dispatch(self, request: Request) -> Response:
        if self.token is not None and request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(401, StatusError(401, "Unauthorized", "Unauthorized").body())
        response = super().dispatch(request)
        if response.status >= 400 and isinstance(response.body, dict) and "error" in response.body:
            reason = {404: "NotFound", 405: "MethodNotAllowed"}.get(response.status, "InternalError")
            response.body = StatusError(response.status, reason, str(response.body["error"])).body()
        return response

    def _on(self, method: str, pattern: str, handler: Callable[[Request], Any]) -> None:
        def locked(request: Request) -> Any:
            with self._lock:
                try:
                    return handler(request)
                except StatusError as exc:
                    return Response(exc.code, exc.body())

        self.route(method, pattern, locked)

    def _routes(self) -> None:
        ns = rf"{_PREFIX}/namespaces/(?P<ns>{_NAME})"
        self._on("GET", "/version/?", lambda r: VERSION)
        self._on("GET", "/api", lambda r: {"kind": "APIVersions", "versions": ["v1"], **CIDRS})
        self._on("GET", "/apis", lambda r: API_GROUPS)
        self._on("GET", r"(?P<prefix>/api/v1|/apis/apps/v1)", lambda r: resource_list(r.params["prefix"]))
        self._on("GET", rf"{_PREFIX}/(?P<plural>[a-z]+)", self._list)
        self._on("GET", rf"{_PREFIX}/(?P<plural>nodes|namespaces)/(?P<name>{_NAME})", self._get)
        self._on("GET", rf"{ns}/(?P<plural>[a-z]+)", self._list)
        self._on("GET", rf"{ns}/(?P<plural>[a-z]+)/(?P<name>{_NAME})", self._get)
        self._on("GET", rf"{ns}/pods/(?P<name>{_NAME})/log", self._log)
        self._on("DELETE", rf"{ns}/pods/(?P<name>{_NAME})", self._delete_pod)
        self._on("PATCH", rf"{ns}/deployments/(?P<name>{_NAME})", self._patch_deployment)
        self._on("GET", rf"{ns}/deployments/(?P<name>{_NAME})/scale", self._get_scale)
        self._on("PATCH", rf"{ns}/deployments/(?P<name>{_NAME})/scale", self._patch_scale)

    @staticmethod
    def _resource(request: Request) -> Resource:
        prefix, plural = request.params["prefix"], request.params.get("plural", "")
        resource = RESOURCES.get(plural)
        group_version = "v1" if prefix == "/api/v1" else prefix[len("/apis/") :]
        if resource is None or resource.group_version != group_version:
            raise StatusError(404, "NotFound", "the server could not find the requested resource")
        if request.params.get("ns") is not None and not resource.namespaced:
            raise StatusError(404, "NotFound", "the server could not find the requested resource")
        return resource

    def _object(self, kind: str, namespace: str, name: str, plural: str, group: str = "") -> Obj:
        if kind == "Endpoints":
            found = {o["metadata"]["name"]: o for o in endpoints(self.store, namespace)}
            if name in found:
                return found[name]
        obj = self.store.get(kind, namespace, name)
        if obj is None:
            raise not_found(plural, name, group)
        return obj

    @staticmethod
    def _dry_run(request: Request) -> bool:
        values = request.args("dryRun")
        if any(v != "All" for v in values):
            raise StatusError(400, "BadRequest", f"dryRun must be All, got {values}")
        return bool(values)

    # ------------------------------------------------------------------ reads

    def _list(self, request: Request) -> Response:
        resource = self._resource(request)
        limit = request.arg("limit")
        try:
            size = int(limit) if limit else None
        except ValueError as exc:
            raise StatusError(400, "BadRequest", f"invalid limit {limit!r}") from exc
        namespace = request.params.get("ns")
        objects = (
            endpoints(self.store, namespace)
            if resource.kind == "Endpoints"
            else self.store.iter(resource.kind, namespace)
        )
        body = list_body(
            resource,
            objects,
            self.store.version,
            label_selector=request.arg("labelSelector"),
            field_selector=request.arg("fieldSelector"),
            limit=size,
            continue_token=request.arg("continue"),
        )
        return Response(200, json.dumps(body).encode())  # encoded under the lock: items share the store's values

    def _get(self, request: Request) -> Obj:
        resource = self._resource(request)
        group = "" if resource.group_version == "v1" else resource.group_version.split("/")[0]
        obj = self._object(
            resource.kind,
            request.params.get("ns") or "",
            request.params["name"],
            request.params["plural"],
            group,
        )
        return copy.deepcopy(obj)

    def _log(self, request: Request) -> Response:
        namespace, name = request.params["ns"], request.params["name"]
        pod = self._object("Pod", namespace, name, "pods")
        spec, status = pod.get("spec") or {}, pod.get("status") or {}
        names = [c.get("name") for c in spec.get("containers") or []]
        all_names = names + [c.get("name") for c in spec.get("initContainers") or []]
        container = request.arg("container")
        if not container:
            if len(names) != 1:
                raise StatusError(
                    400,
                    "BadRequest",
                    f"a container name must be specified for pod {name}, choose one of: {names}",
                )
            container = names[0]
        if container not in all_names:
            raise StatusError(400, "BadRequest", f"container {container} is not valid for pod {name}")
        previous = request.arg("previous", "false") == "true"
        text = self.read_log((namespace, name, container, previous))
        if text is None and previous:
            message = f'previous terminated container "{container}" in pod "{name}" not found'
            raise StatusError(400, "BadRequest", message)
        if text is None:
            statuses = (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
            state = next((s.get("state") or {} for s in statuses if s.get("name") == container), {})
            if waiting := state.get("waiting"):
                reason = waiting.get("reason") or "ContainerCreating"
                message = f'container "{container}" in pod "{name}" is waiting to start: {reason}'
                raise StatusError(400, "BadRequest", message)
            text = ""
        if tail := request.arg("tailLines"):
            text = "".join(text.splitlines(keepends=True)[-int(tail) :]) if int(tail) > 0 else ""
        data = text.encode()
        if limit := request.arg("limitBytes"):
            data = data[: int(limit)]
        return Response(200, data, content_type="text/plain")

    # ------------------------------------------------------------------ writes

    def _delete_pod(self, request: Request) -> Obj:
        namespace, name = request.params["ns"], request.params["name"]
        pod = copy.deepcopy(self._object("Pod", namespace, name, "pods"))
        pod["metadata"]["deletionTimestamp"] = rfc3339(self.now())
        pod["metadata"]["deletionGracePeriodSeconds"] = 30
        if not self._dry_run(request):
            self.store.remove("Pod", namespace, name)
        return pod

    def _patched_deployment(self, request: Request, patch: Any, content_type: str) -> Obj:
        namespace, name = request.params["ns"], request.params["name"]
        before = self._object("Deployment", namespace, name, "deployments", "apps")
        after = apply_patch(copy.deepcopy(before), patch, content_type)
        if not isinstance(after, dict) or not isinstance(after.get("metadata"), dict):
            raise StatusError(422, "Invalid", f'Deployment.apps "{name}" is invalid: metadata is required')
        after.update(kind="Deployment", apiVersion="apps/v1")
        after["metadata"].update(name=name, namespace=namespace, uid=before["metadata"].get("uid"))
        if self._dry_run(request):
            if after.get("spec") != before.get("spec"):
                after["metadata"]["generation"] = int(before["metadata"].get("generation") or 1) + 1
            return after
        reconcile(self.store, before, after, self.now())
        stored = copy.deepcopy(self.store.put(after))
        if after.get("spec") != before.get("spec"):
            for listener in self.on_rollout:
                listener(copy.deepcopy(stored))
        return stored

    def _patch_deployment(self, request: Request) -> Obj:
        return self._patched_deployment(request, _body(request), request.headers.get("content-type", ""))

    def _scale(self, deployment: Obj) -> Obj:
        md, spec = deployment["metadata"], deployment.get("spec") or {}
        labels = (spec.get("selector") or {}).get("matchLabels") or {}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {k: md.get(k) for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")},
            "spec": {"replicas": int(spec.get("replicas", 1))},
            "status": {
                "replicas": int((deployment.get("status") or {}).get("replicas") or 0),
                "selector": ",".join(f"{k}={v}" for k, v in labels.items()),
            },
        }

    def _get_scale(self, request: Request) -> Obj:
        return self._scale(
            self._object("Deployment", request.params["ns"], request.params["name"], "deployments", "apps")
        )

    def _patch_scale(self, request: Request) -> Obj:
        current = self._get_scale(request)
        scale = apply_patch(current, _body(request), request.headers.get("content-type", ""))
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise StatusError(422, "Invalid", f'Scale.autoscaling "{request.params["name"]}" is invalid: spec.replicas')
        deployment = self._patched_deployment(request, {"spec": {"replicas": replicas}}, "application/merge-patch+json")
        return self._scale(deployment)


def _body(request: Request) -> Any:
    try:
        return request.json()
    except ValueError as exc:
        raise StatusError(400, "BadRequest", f"the body of the request is not valid JSON: {exc}") from exc
