# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reads of k8s_apply's wait (through the kubernetes.core API client the module already holds).

``reader(api_client)``: ``read(target)``, one GET of the live object (``None`` on 404).
``inspector(api_client)``: ``inspect(target, obj)``, the pods the workload's selector matches and the
namespace's Warning events (two list reads), put through ``diagnosis.diagnose``; only called while
a workload is not done, so a converged re-run reads nothing more.
"""

from __future__ import annotations

from typing import Any, Callable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.diagnosis import diagnose
from ansible_collections.talos_homelab.tracing.plugins.module_utils.k8s import api_path
from ansible_collections.talos_homelab.tracing.plugins.module_utils.rollout import KINDS

try:
    from kubernetes.client.exceptions import ApiException
except ImportError:  # the module reports the missing library
    class ApiException(Exception):  # pylint: disable=missing-class-docstring
        status = None

WORKLOADS = ("DaemonSet", "Deployment", "StatefulSet")


def _get(api_client, path, query=None):
    return api_client.call_api(path, "GET", query_params=list((query or {}).items()), header_params={"Accept": "application/json"},
                               response_type="object", auth_settings=["BearerToken"], _return_http_data_only=True,
                               _preload_content=True)


def reader(api_client: Any) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """``read(target)`` for rollout.wait_for: one GET of the live object, ``None`` when it does not exist."""

    def read(target):
        api_version, plural = KINDS[target["kind"]][:2]
        try:
            return _get(api_client, api_path(api_version, plural, target.get("namespace"), target["name"]))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    return read


def selector_text(obj: dict[str, Any]) -> str:
    """``a=b,c=d`` of the workload's ``spec.selector.matchLabels`` (``''`` without one)."""
    labels = (((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
    return ",".join("%s=%s" % (k, v) for k, v in sorted(labels.items()))


def inspector(api_client: Any) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None]:
    """``inspect(target, obj)`` for rollout.wait_for: the diagnosis of a workload that is not done."""

    def inspect(target, obj):
        if target["kind"] not in WORKLOADS or not selector_text(obj):
            return None
        ns = target.get("namespace")
        pods = _get(api_client, api_path("v1", "pods", ns), {"labelSelector": selector_text(obj)}).get("items") or []
        events = _get(api_client, api_path("v1", "events", ns), {"fieldSelector": "type=Warning"}).get("items") or []
        return diagnose(obj, pods, events)

    return inspect
