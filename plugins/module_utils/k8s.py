# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's only Kubernetes client.

Every read and write of the collection's modules goes through ``K8sClient``:
paths are built directly (no discovery round-trips, so the request count of a
module is constant), errors become ``TracingError`` with a fix, and writes
honour check mode in one place: in check mode they are sent with
``dryRun=All`` (the API server computes the result and persists nothing), or,
when ``dry_run_writes`` is false, not sent at all.
"""

from __future__ import annotations

import os
import time
from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.retry import READS, RetryPolicy, is_transient

try:
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError as Urllib3HTTPError

    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by K8sClient()
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = exc

    class ApiException(Exception):  # pylint: disable=missing-class-docstring
        pass

    class Urllib3HTTPError(Exception):  # pylint: disable=missing-class-docstring
        pass

_ENV = dict(
    kubeconfig="K8S_AUTH_KUBECONFIG",
    context="K8S_AUTH_CONTEXT",
    host="K8S_AUTH_HOST",
    api_key="K8S_AUTH_API_KEY",
    validate_certs="K8S_AUTH_VERIFY_SSL",
    ca_cert="K8S_AUTH_SSL_CA_CERT",
)


def api_path(api_version: str, plural: str, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
    """Build the REST path of a resource, e.g. ``/apis/apps/v1/namespaces/x/daemonsets/y``."""
    base = "/api/%s" % api_version if "/" not in api_version else "/apis/%s" % api_version
    if namespace:
        base += "/namespaces/%s" % namespace
    base += "/%s" % plural
    if name:
        base += "/%s" % name
    if subresource:
        base += "/%s" % subresource
    return base


def _param(params, key):
    value = params.get(key)
    if value is None and key in _ENV:
        value = os.environ.get(_ENV[key])
        if key == "validate_certs" and value is not None:
            value = value.lower() in ("1", "true", "yes", "on")
    return value


def resolve_kubeconfig(params: dict[str, Any]) -> str | None:
    """Return the kubeconfig path that will be used, or ``None`` when host/api_key are given."""
    path = _param(params, "kubeconfig")
    if not path and _param(params, "host"):
        return None
    if not path:
        env = os.environ.get("KUBECONFIG")
        path = env.split(os.pathsep)[0] if env else os.path.expanduser("~/.kube/config")
    return os.path.expanduser(path)


def _transient_api_answer(exc: BaseException) -> bool:
    """A GET answered with a status worth retrying (network failures are not retried: the cluster is down)."""
    return isinstance(exc, ApiException) and is_transient(exc)


class K8sClient(object):
    """Thin wrapper over ``kubernetes.client.ApiClient``.

    ``check_mode`` turns every write into a server-side dry run.
    """

    def __init__(self, params: dict[str, Any], check_mode: bool = False, dry_run_writes: bool = True) -> None:
        self.dry_run_writes = dry_run_writes
        self.skipped_writes = 0
        if not HAS_KUBERNETES:
            raise TracingError(
                "load the kubernetes client",
                "the Python package 'kubernetes' is not installed (%s)." % KUBERNETES_IMPORT_ERROR,
                "pip install kubernetes on the host that runs the module.",
            )
        self.check_mode = check_mode
        self.sleep = time.sleep
        self.timeout = params.get("request_timeout") or 30
        self.requests = 0
        configuration = k8s_client.Configuration()
        path = resolve_kubeconfig(params)
        if path is not None:
            if not os.path.exists(path):
                raise TracingError(
                    "load the kubeconfig",
                    "no kubeconfig file at %s." % path,
                    "pass kubeconfig=<path> (or set K8S_AUTH_KUBECONFIG / KUBECONFIG) to the kubeconfig of your Talos cluster,"
                    " e.g. the file written by 'talosctl kubeconfig'.",
                )
            try:
                k8s_config.load_kube_config(
                    config_file=path, context=_param(params, "context"), client_configuration=configuration, persist_config=False
                )
            except Exception as exc:  # config errors come in many types
                raise TracingError(
                    "load the kubeconfig",
                    "%s is not a usable kubeconfig (%s)." % (path, exc),
                    "check the file and the context name (kubectl config get-contexts).",
                )
        host = _param(params, "host")
        if host:
            configuration.host = host
        api_key = _param(params, "api_key")
        if api_key:
            configuration.api_key = {"authorization": "Bearer %s" % api_key}
        validate = _param(params, "validate_certs")
        if validate is not None:
            configuration.verify_ssl = bool(validate)
        ca_cert = _param(params, "ca_cert")
        if ca_cert:
            configuration.ssl_ca_cert = ca_cert
        configuration.retries = False
        self.host = configuration.host
        self.api = k8s_client.ApiClient(configuration)

    # ------------------------------------------------------------------ core
    # A GET changes nothing, so a bounded retry on a transient answer (throttling, server errors) cannot
    # duplicate or lose anything; 409 never answers a real GET, but a flaky proxy or the twin's fault
    # injection may send it. The policy is the collection's one (module_utils/retry.py READS). Writes are
    # not retried here: a module that writes retries its whole read-compare-write (retry.WRITES).
    READ_POLICY = READS

    def request(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None, content_type: str | None = None,
                action: str | None = None) -> Any:
        """One REST call (a GET is retried on a transient answer). Returns the decoded JSON body or raises ``TracingError``."""
        policy = self.READ_POLICY if method == "GET" else RetryPolicy(retries=0, delay=0)
        try:
            return policy.call(lambda: self._send(method, path, body, query, content_type), sleep=self.sleep,
                               retryable=_transient_api_answer)[0]
        except ApiException as exc:
            raise self._api_error(exc, method, path, action)
        except (Urllib3HTTPError, OSError) as exc:
            raise TracingError(
                action or "reach the Kubernetes API",
                "the API server at %s is unreachable (%s)." % (self.host, exc.__class__.__name__),
                "check that the cluster is up and that the kubeconfig's server address and context are right"
                " (kubectl cluster-info).",
            )

    def _send(self, method, path, body, query, content_type):
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        self.requests += 1
        return self.api.call_api(
            path,
            method,
            query_params=list((query or {}).items()),
            header_params=headers,
            body=body,
            response_type="object",
            auth_settings=["BearerToken"],
            _return_http_data_only=True,
            _preload_content=True,
            _request_timeout=self.timeout,
        )

    def _api_error(self, exc, method, path, action):
        reason = exc.reason
        message = ""
        try:
            import json

            status = json.loads(exc.body or "{}")
            message = status.get("message") or ""
            reason = status.get("reason") or reason
        except ValueError:
            pass
        fixes = {
            401: "check the credentials in the kubeconfig (token or client certificate).",
            403: "grant the user of the kubeconfig the RBAC permission for %s %s." % (method, path),
            404: "create it first, or check its name and namespace.",
            409: "re-run: another writer changed the object in the meantime.",
            422: "correct the object's fields named in the message.",
            429: "re-run later: the API server is throttling requests.",
        }
        attempts = getattr(exc, "attempts", 1)
        tried = " (%d attempts)" % attempts if attempts > 1 else ""
        err = TracingError(
            action or "%s %s" % (method, path),
            "the API server answered %s %s%s%s" % (exc.status, reason, tried, (": %s" % message) if message else "."),
            fixes.get(exc.status, "check the API server's health and retry."),
        )
        err.status = exc.status
        err.reason = reason
        return err

    # ------------------------------------------------------------------ reads
    def get(self, api_version: str, plural: str, name: str, namespace: str | None = None, action: str | None = None) -> dict[str, Any] | None:
        """Return the object, or ``None`` when it does not exist."""
        try:
            return self.request("GET", api_path(api_version, plural, namespace, name), action=action)
        except TracingError as err:
            if getattr(err, "status", None) == 404:
                return None
            raise

    def list(self, api_version: str, plural: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None, action: str | None = None) -> list[dict[str, Any]]:
        """Return the items of a list (one request), ``[]`` when the resource type is not served."""
        query = {}
        if label_selector:
            query["labelSelector"] = label_selector
        if field_selector:
            query["fieldSelector"] = field_selector
        try:
            return self.request("GET", api_path(api_version, plural, namespace), query=query, action=action).get("items") or []
        except TracingError as err:
            if getattr(err, "status", None) == 404:
                return []
            raise

    # ------------------------------------------------------------------ writes
    def _write_query(self):
        return {"dryRun": "All"} if self.check_mode else {}

    def _skip_write(self):
        """True (and counted) when check mode is on and writes are not sent as dry runs."""
        if self.check_mode and not self.dry_run_writes:
            self.skipped_writes += 1
            return True
        return False

    def create(self, obj: dict[str, Any], plural: str, action: str | None = None) -> Any:
        if self._skip_write():
            return obj
        meta = obj.get("metadata", {})
        return self.request(
            "POST", api_path(obj["apiVersion"], plural, meta.get("namespace")), body=obj, query=self._write_query(), action=action
        )

    def replace(self, obj: dict[str, Any], plural: str, action: str | None = None) -> Any:
        if self._skip_write():
            return obj
        meta = obj.get("metadata", {})
        return self.request(
            "PUT", api_path(obj["apiVersion"], plural, meta.get("namespace"), meta["name"]), body=obj, query=self._write_query(), action=action
        )

    def merge_patch(self, api_version: str, plural: str, name: str, patch: dict[str, Any], namespace: str | None = None,
                    action: str | None = None) -> Any:
        if self._skip_write():
            return None
        return self.request(
            "PATCH",
            api_path(api_version, plural, namespace, name),
            body=patch,
            query=self._write_query(),
            content_type="application/merge-patch+json",
            action=action,
        )

    def delete(self, api_version: str, plural: str, name: str, namespace: str | None = None, action: str | None = None) -> Any:
        if self._skip_write():
            return None
        try:
            return self.request("DELETE", api_path(api_version, plural, namespace, name), query=self._write_query(), action=action)
        except TracingError as err:
            if getattr(err, "status", None) == 404:
                return None
            raise
