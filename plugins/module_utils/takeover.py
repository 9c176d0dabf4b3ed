# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic: taking over Services another controller made, without a moment in which they do not exist (issue 23).

The Jaeger operator's Services ``jaeger-collector`` and ``jaeger-query`` carry the names of the user's contract and
an ownerReference to the Jaeger CR. ``plan(live_services, desired, owner_kind)`` splits the desired objects into
``apply`` (applied with the workloads, as before) and ``take_over``: the desired Services whose name a live Service
owned by ``owner_kind`` holds (or its operator's label: a run that stopped after the CR was deleted). Those are
applied only once the new pods are ready, as a JSON merge patch (k8s_apply ``merge_type: [merge]``) that sets the
labels and the selector to exactly ours (the operator's other keys null: a strategic merge would keep them, and
then select no pod), replaces the ports whole and drops the ownerReferences. No ``$patch`` directives: the
kubernetes.core client falls back to a JSON merge patch, where a directive would be a literal key.
"""

from __future__ import annotations

from typing import Any

# The value of app.kubernetes.io/managed-by that an owner kind's operator sets.
OPERATORS = {"Jaeger": "jaeger-operator"}


def _plain(value: Any) -> Any:
    """A plain copy (not copy.deepcopy: Ansible hands filters lazy containers that must be read item by item)."""
    if isinstance(value, dict):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def owned_by(obj: dict[str, Any], owner_kind: str) -> bool:
    return any(ref.get("kind") == owner_kind for ref in ((obj.get("metadata") or {}).get("ownerReferences") or []))


def foreign(obj: dict[str, Any], owner_kind: str) -> bool:
    """Owned by ``owner_kind``, or left by its operator (its managed-by label) when a run stopped after the owner went."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return owned_by(obj, owner_kind) or labels.get("app.kubernetes.io/managed-by") == OPERATORS.get(owner_kind)


def _without(desired: dict[str, Any] | None, live: dict[str, Any] | None) -> dict[str, Any]:
    """``desired`` plus ``None`` for every key only ``live`` has (a JSON merge patch deletes those)."""
    out = dict((k, None) for k in (live or {}) if k not in (desired or {}))
    out.update(desired or {})
    return out


def takeover_manifest(desired: dict[str, Any], live: dict[str, Any] | None = None) -> dict[str, Any]:
    """``desired`` as a JSON merge patch over ``live``: labels and selector exactly ours (the other keys set to null),
    ports ours (a merge patch replaces lists whole), no ownerReferences."""
    out = _plain(desired)
    live = live or {}
    meta = out.setdefault("metadata", {})
    meta["labels"] = _without(meta.get("labels"), (live.get("metadata") or {}).get("labels"))
    meta["ownerReferences"] = None
    spec = out.setdefault("spec", {})
    if "selector" in spec:
        spec["selector"] = _without(spec.get("selector"), (live.get("spec") or {}).get("selector"))
    return out


def plan(live: list[dict[str, Any]] | None, desired: list[dict[str, Any]], owner_kind: str = "Jaeger") -> dict[str, list]:
    """``{"apply": [...], "take_over": [...], "names": [...]}`` (see the module docstring)."""
    owned = dict(((o.get("metadata") or {}).get("name"), o) for o in live or [] if o.get("kind", "Service") == "Service"
                 and foreign(o, owner_kind))
    keep, take = [], []
    for obj in desired or []:
        name = (obj.get("metadata") or {}).get("name")
        if obj.get("kind") == "Service" and name in owned:
            take.append(takeover_manifest(obj, owned[name]))
        else:
            keep.append(_plain(obj))
    return {"apply": keep, "take_over": take, "names": [o["metadata"]["name"] for o in take]}
