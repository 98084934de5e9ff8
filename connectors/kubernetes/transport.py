"""Building a private ``ApiClient`` and turning every call's outcome into JSON or our errors.

The global default configuration of the ``kubernetes`` package is never read or written, so
several connectors (clusters) can live in one process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException, OpenApiException
from kubernetes.config.config_exception import ConfigException

from connectors.common.errors import ConnectorDataError, ConnectorError, ConnectorTimeout
from connectors.kubernetes.config import KubernetesConfig
from connectors.limits import (
    AnswerTooLarge,
    Clock,
    DeadlineExceeded,
    LimitError,
    Limits,
    read_limited,
    watch_pools,
    watched,
)

NAME = "kubernetes"
PAGE_SIZE = 500


def build_api_client(cfg: KubernetesConfig) -> k8s.ApiClient:
    """A fresh ApiClient from ``host``/``token``, the in-cluster service account, or a kubeconfig."""
    conf = k8s.Configuration()
    # Connection failures retry twice; a read that timed out is not repeated (the budget is spent).
    conf.retries = urllib3.Retry(total=2, read=0, status=0, backoff_factor=0.1, raise_on_status=False)
    try:
        if cfg.host:
            conf.host = cfg.host.rstrip("/")
            conf.verify_ssl = cfg.verify_tls
            if cfg.token is not None:
                conf.api_key = {"BearerToken": cfg.token.get_secret_value()}
                conf.api_key_prefix = {"BearerToken": "Bearer"}
            return k8s.ApiClient(conf)
        # the kubernetes package's config loaders carry no annotations
        if cfg.in_cluster:
            k8s_config.load_incluster_config(client_configuration=conf)  # type: ignore[no-untyped-call]
            return k8s.ApiClient(conf)
        path = cfg.kubeconfig or os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or None
        path = path or str(Path.home() / ".kube" / "config")
        client: k8s.ApiClient = k8s_config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=os.path.expanduser(path),
            context=cfg.context,
            persist_config=False,
            client_configuration=conf,
        )
        return client
    except (ConfigException, OSError, ValueError) as exc:
        raise ConnectorError(f"cannot configure the Kubernetes client: {exc}", connector=NAME) from exc


def _status_message(exc: ApiException) -> str:
    """The API's own message from a Status body, else the raw body (shortened)."""
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else exc.body
    if not body:
        return ""
    try:
        status = json.loads(body)
    except ValueError:
        return body.strip()[:200]
    if isinstance(status, dict) and status.get("message"):
        return str(status["message"])
    return body.strip()[:200]


def api_error(exc: ApiException, what: str) -> ConnectorError:
    if not exc.status:  # status 0: the client failed before an HTTP answer (TLS, bad content type)
        return ConnectorError(f"{what}: {exc.reason}", connector=NAME)
    message = _status_message(exc)
    text = f"{what}: HTTP {exc.status} {exc.reason or ''}".rstrip()
    if exc.status == 401:
        text += " (the token or credentials were refused)"
    elif exc.status == 403:
        text += " (the credentials lack permission)"
    return ConnectorError(text + (f": {message}" if message else ""), connector=NAME, http_status=exc.status)


def _transport_error(exc: Exception, what: str, host: str) -> ConnectorError:
    reason = exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason else exc
    if isinstance(reason, urllib3.exceptions.NewConnectionError):  # before timeouts: it subclasses one
        return ConnectorError(f"{what}: cannot connect to the API server at {host}", connector=NAME)
    if isinstance(reason, urllib3.exceptions.TimeoutError):
        return ConnectorTimeout(f"{what}: the API server at {host} did not answer in time", connector=NAME)
    return ConnectorError(f"{what}: request to {host} failed: {reason}", connector=NAME)


class Transport:
    """Calls generated API methods with ``_preload_content=False`` and decodes the answer."""

    def __init__(self, api: k8s.ApiClient, timeout: float, limits: Limits | None = None) -> None:
        self.api = api
        self.timeout = timeout
        self.limits = limits or Limits(deadline=2 * timeout, max_bytes=32 * 2**20)
        self.host = api.configuration.host
        watch_pools(api.rest_client.pool_manager)

    def raw(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bytes:
        """The answer's body, read as it streams in under the deadline and the size cap."""
        clock = Clock(self.limits)
        timeouts = (clock.cap(self.timeout), clock.cap(self.timeout))
        try:
            with watched(clock):  # cuts the call at the deadline in any phase, headers included
                response = fn(*args, _preload_content=False, _request_timeout=timeouts, **kwargs)
                try:
                    return read_limited(
                        lambda n: response.read1(n, decode_content=True), clock, response.headers.get("Content-Length")
                    )
                except LimitError:
                    response.close()  # the rest of the answer is never read: the connection cannot be reused
                    raise
                finally:
                    response.release_conn()
        except DeadlineExceeded as exc:
            raise ConnectorTimeout(f"{what}: {exc}", connector=NAME) from exc
        except AnswerTooLarge as exc:
            raise ConnectorError(f"{what}: {exc}", connector=NAME) from exc
        except ApiException as exc:
            raise api_error(exc, what) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise _transport_error(exc, what, self.host) from exc
        except TimeoutError as exc:
            raise ConnectorTimeout(f"{what}: timed out talking to {self.host}", connector=NAME) from exc
        except (OpenApiException, ValueError, TypeError) as exc:  # client-side validation of arguments
            raise ConnectorError(f"{what}: {exc}", connector=NAME) from exc

    def json(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
        data = self.raw(what, fn, *args, **kwargs)
        try:
            decoded = json.loads(data)
        except ValueError as exc:
            snippet = data[:80].decode("utf-8", "replace")
            raise ConnectorDataError(f"{what}: the answer is not JSON ({snippet!r})", connector=NAME) from exc
        if not isinstance(decoded, dict):
            raise ConnectorDataError(f"{what}: expected a JSON object, got {type(decoded).__name__}", connector=NAME)
        return decoded

    def items(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a list call, following ``metadata.continue`` pages of ``PAGE_SIZE``."""
        token: str | None = None
        while True:
            extra = {"_continue": token} if token else {}
            page = self.json(what, fn, *args, limit=PAGE_SIZE, **kwargs, **extra)
            items = page.get("items")
            if not isinstance(items, list):
                raise ConnectorDataError(f"{what}: list answer without 'items'", connector=NAME)
            yield from (item for item in items if isinstance(item, dict))
            token = (page.get("metadata") or {}).get("continue") or None
            if not token:
                return
