"""Helpers of kube_store.KubeStore: content comparison (write only when something differs) and the
kinds the API server serves (its discovery documents, /api/v1 and /apis/<group>/<version>)."""

from __future__ import annotations

import threading
import time
from typing import Any, Optional


def subset(want: Any, cur: Any) -> bool:
    """True when every field of ``want`` is in ``cur`` with the same value (lists: same length)."""
    if isinstance(want, dict):
        return isinstance(cur, dict) and all(subset(v, cur.get(k)) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(cur, list) and len(want) == len(cur) and all(subset(w, c) for w, c in zip(want, cur))
    return want == cur


def same_content(want: dict, cur: dict) -> bool:
    """``want`` would change nothing in ``cur``: metadata labels/annotations/ownerReferences/finalizers
    and top-level fields equal, ``spec`` a subset (server-side defaults), status ignored."""
    meta, cmeta = want.get("metadata") or {}, cur.get("metadata") or {}
    for k in ("labels", "annotations", "ownerReferences", "finalizers"):
        if k in meta and (meta[k] or {}) != (cmeta.get(k) or {}):
            return False
    for k, v in want.items():
        if k in ("apiVersion", "kind", "metadata", "status"):
            continue
        if not (subset(v, cur.get(k)) if k == "spec" else cur.get(k) == v):
            return False
    return True


class Resource:
    """One served kind (from discovery)."""

    def __init__(self, api_version: str, kind: str, plural: str, namespaced: bool, status: bool) -> None:
        self.api_version, self.kind, self.plural, self.namespaced, self.has_status = api_version, kind, plural, namespaced, status

    def path(self, ns: Optional[str] = None, name: Optional[str] = None, sub: str = "") -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        out = base + (f"/namespaces/{ns}" if self.namespaced and ns else "") + f"/{self.plural}"
        return out + (f"/{name}" if name else "") + (f"/{sub}" if sub else "")


class Registry:
    """``by_kind`` from the API server's discovery; unknown group-versions are asked again after 2 s."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._gv: dict[str, tuple[float, dict[str, Resource]]] = {}
        self._lock = threading.Lock()

    def by_kind(self, api_version: str, kind: str) -> Optional[Resource]:
        with self._lock:
            seen = self._gv.get(api_version)
            if seen is None or (kind not in seen[1] and time.monotonic() - seen[0] > 2):
                seen = (time.monotonic(), self._discover(api_version))
                self._gv[api_version] = seen
        return seen[1].get(kind)

    def _discover(self, api_version: str) -> dict[str, Resource]:
        code, body = self.store.request("GET", "/api/v1" if api_version == "v1" else f"/apis/{api_version}")
        if code != 200:
            return {}
        names = {r["name"] for r in body.get("resources", [])}
        return {r["kind"]: Resource(api_version, r["kind"], r["name"], r["namespaced"], r["name"] + "/status" in names)
                for r in body.get("resources", []) if "/" not in r["name"]}
