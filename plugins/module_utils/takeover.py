# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic: taking over Services another controller made, without a moment in which they do not exist (issue 23).

The Jaeger operator's Services ``jaeger-collector`` and ``jaeger-query`` carry the names of the user's contract and
an ownerReference to the Jaeger CR. ``plan(live_services, desired, owner_kind)`` splits the desired objects into
``apply`` (applied with the workloads, as before) and ``take_over``: the desired Services whose name a live Service
owned by ``owner_kind`` holds. Those are applied only once the new pods are ready, as a strategic merge patch that
replaces the labels, the selector and the ports whole (``$patch: replace``; a plain patch would keep the
operator's selector keys, which then select no pod) and drops the ownerReferences, so deleting the CR does not
garbage-collect them.
"""

from __future__ import annotations

from typing import Any


def _plain(value: Any) -> Any:
    """A plain copy (not copy.deepcopy: Ansible hands filters lazy containers that must be read item by item)."""
    if isinstance(value, dict):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def owned_by(obj: dict[str, Any], owner_kind: str) -> bool:
    return any(ref.get("kind") == owner_kind for ref in ((obj.get("metadata") or {}).get("ownerReferences") or []))


def takeover_manifest(desired: dict[str, Any]) -> dict[str, Any]:
    """``desired`` as a patch that replaces what another controller set (labels, selector, ports) and its owners."""
    out = _plain(desired)
    meta = out.setdefault("metadata", {})
    meta["labels"] = dict(meta.get("labels") or {}, **{"$patch": "replace"})
    meta["ownerReferences"] = None
    spec = out.setdefault("spec", {})
    if "selector" in spec:
        spec["selector"] = dict(spec["selector"] or {}, **{"$patch": "replace"})
    if "ports" in spec:
        spec["ports"] = list(spec["ports"] or []) + [{"$patch": "replace"}]
    return out


def plan(live: list[dict[str, Any]] | None, desired: list[dict[str, Any]], owner_kind: str = "Jaeger") -> dict[str, list]:
    """``{"apply": [...], "take_over": [...], "names": [...]}`` (see the module docstring)."""
    owned = set((o.get("metadata") or {}).get("name") for o in live or [] if o.get("kind", "Service") == "Service"
                and owned_by(o, owner_kind))
    keep, take = [], []
    for obj in desired or []:
        if obj.get("kind") == "Service" and (obj.get("metadata") or {}).get("name") in owned:
            take.append(takeover_manifest(obj))
        else:
            keep.append(_plain(obj))
    return {"apply": keep, "take_over": take, "names": [o["metadata"]["name"] for o in take]}
