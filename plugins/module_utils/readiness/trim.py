# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trim API objects to what the readiness checks read (pure): nodes, pods, Secrets (key names only)."""

from __future__ import annotations

from typing import Any


def trim_node(node: dict[str, Any]) -> dict[str, Any]:
    meta = node.get("metadata") or {}
    spec = node.get("spec") or {}
    conditions = (node.get("status") or {}).get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return dict(
        name=meta.get("name"),
        labels=meta.get("labels") or {},
        ready=ready,
        unschedulable=bool(spec.get("unschedulable")),
        taints=spec.get("taints") or [],
    )


def trim_pod(pod: dict[str, Any]) -> dict[str, Any]:
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    conditions = status.get("conditions") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
    return dict(
        name=meta.get("name"),
        labels=meta.get("labels") or {},
        node=(pod.get("spec") or {}).get("nodeName"),
        phase=status.get("phase"),
        ready=ready,
        failing=failing_containers(status),
    )


def failing_containers(status: dict[str, Any] | None) -> list[str]:
    """Containers that do not run: waiting reason, restarts and the last exit's message (trimmed)."""
    out = []
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting")
        if not waiting:
            continue
        last = ((cs.get("lastState") or {}).get("terminated")) or {}
        out.append(dict(
            name=cs.get("name"),
            reason=waiting.get("reason"),
            message=last.get("message") or waiting.get("message") or "",
            exit_code=last.get("exitCode"),
            restarts=cs.get("restartCount") or 0,
        ))
    return out


def selector_string(match_labels: dict[str, str] | None) -> str:
    return ",".join("%s=%s" % (k, v) for k, v in sorted((match_labels or {}).items()))


def secret_summary(secret: dict[str, Any] | None) -> dict[str, Any] | None:
    if not secret:
        return None
    meta = secret.get("metadata") or {}
    keys = set((secret.get("data") or {}).keys()) | set((secret.get("stringData") or {}).keys())
    return dict(
        name=meta.get("name"),
        keys=sorted(keys),
        labels=meta.get("labels") or {},
        annotations=meta.get("annotations") or {},
    )
