"""Simulated cluster controllers of the twin.

They run in one thread: ``rev = store.wait_for_change(rev, 0.2)`` then reconcile everything.
They write only through ``store.upsert`` / ``store.set_status`` / ``store.delete_kind`` and only
when something differs, so an idle cluster does not move any resourceVersion (kubernetes.core
and the collection's idempotence tests depend on that).

Order of one pass: Jaeger operator -> Rook provisioner -> workloads (ReplicaSets, Pods, status).
Pod readiness is decided by the workloads controller from the kubelet's own rules (missing
Secret/ConfigMap => CreateContainerConfigError) plus *readiness hooks* that emulate what a
container does at start-up (Jaeger >= 1.60 rejecting grpc-plugin, Tempo checking its S3
bucket, tempo-query needing its backend Service).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import traceback
from typing import Callable, Optional

log = logging.getLogger("twin.controllers")


# ---------------------------------------------------------------- shared helpers
def stable_hash(obj, n: int = 10) -> str:
    """Deterministic short hash (the role of pod-template-hash / controller-revision-hash)."""
    raw = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    h = hashlib.sha256(raw).hexdigest()
    # kube uses a "safe encoding" alphabet without vowels; keep it lower-case alnum here
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    num = int(h, 16)
    out = ""
    while len(out) < n:
        num, r = divmod(num, len(alphabet))
        out += alphabet[r]
    return out


def owner_ref(obj: dict, controller: bool = True, block: bool = True) -> dict:
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": block,
    }


def owned_by(obj: dict, owner: dict) -> bool:
    uid = owner["metadata"].get("uid")
    return any(r.get("uid") == uid for r in obj.get("metadata", {}).get("ownerReferences") or [])


def merge_condition(existing: list, cond: dict, now: str) -> dict:
    """Keep lastTransitionTime/lastUpdateTime when status/reason did not change (no churn)."""
    for c in existing or []:
        if c.get("type") == cond["type"]:
            if c.get("status") == cond["status"] and c.get("reason") == cond.get("reason") and c.get("message") == cond.get("message"):
                return c
            out = dict(cond)
            out["lastTransitionTime"] = c.get("lastTransitionTime", now) if c.get("status") == cond["status"] else now
            if "lastUpdateTime" in c or cond.get("_update"):
                out["lastUpdateTime"] = now
            out.pop("_update", None)
            return out
    out = dict(cond)
    out.pop("_update", None)
    out.setdefault("lastTransitionTime", now)
    return out


def spec_differs(cur: Optional[dict], want: dict) -> bool:
    """True when an upsert of ``want`` would change ``cur`` (compares spec-ish content + labels)."""
    if cur is None:
        return True
    for k, v in want.items():
        if k in ("apiVersion", "kind", "status"):
            continue
        if k == "metadata":
            for mk in ("labels", "annotations", "ownerReferences", "finalizers"):
                if mk in v and (cur.get("metadata", {}).get(mk) or {}) != (v[mk] or {}):
                    return True
            continue
        if cur.get(k) != v:
            return True
    return False


def ensure(store, want: dict) -> dict:
    """Upsert ``want`` only when it differs from what is stored; returns the stored object."""
    meta = want["metadata"]
    cur = store.find(want["apiVersion"], want["kind"], meta.get("namespace"), meta["name"])
    if spec_differs(cur, want):
        return store.upsert(want)
    return cur


class Hooks:
    """Readiness hooks: callables ``(store, pod, container) -> None | (reason, message, kind)``.

    ``kind`` is ``"waiting"`` (container not started: e.g. CrashLoopBackOff) or ``"unready"``
    (running but its readiness probe fails)."""

    def __init__(self) -> None:
        self.container_hooks: list[Callable] = []


class Controllers:
    def __init__(self, store, s3=None, rook_version: str = "1.17", jaeger_operator: bool = True, resync: float = 5.0,
                 real: bool = False) -> None:
        """``real``: the store is kube_store.KubeStore over the real control plane, whose controller-manager
        and scheduler run the workloads: only the kubelets' pod status (controlplane/nodeagent.py
        PodStatusAgent) and the block-volume provisioner (provisioner.py) run here then."""
        from . import jaeger, rook, tempo, workloads

        self.store = store
        self.hooks = Hooks()
        self.jaeger = jaeger.JaegerOperator(store, self.hooks, enabled=jaeger_operator)
        self.rook = rook.RookProvisioner(store, s3, rook_version=rook_version)
        self.tempo = tempo.TempoReadiness(store, s3, self.hooks)
        self.parts: list = []
        if real:
            from ..controlplane.nodeagent import PodStatusAgent
            from .provisioner import BlockProvisioner

            self.workloads = PodStatusAgent(store, self.hooks)
            self.parts = [BlockProvisioner(store)]
        else:
            self.workloads = workloads.Workloads(store, self.hooks)
        self.resync = resync
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.passes = 0
        self.errors: list[str] = []

    def reconcile_all(self) -> None:
        for part in (self.jaeger, self.rook, *self.parts, self.workloads, self.jaeger):
            try:
                part.reconcile()
            except Exception:  # noqa: BLE001 - a controller bug must not kill the loop
                msg = traceback.format_exc()
                self.errors.append(msg)
                del self.errors[:-20]
                log.error("controller %s failed:\n%s", type(part).__name__, msg)
        self.passes += 1

    def settle(self, max_passes: int = 10) -> None:
        """Reconcile until nothing changes (used by unit tests, synchronously)."""
        for _unused in range(max_passes):
            rev = self.store.revision
            self.reconcile_all()
            if self.store.revision == rev:
                return

    def _loop(self) -> None:
        rev = -1
        last = 0.0
        while not self._stop.is_set():
            new = self.store.wait_for_change(rev, 0.2)
            if new == rev and time.monotonic() - last < self.resync:
                continue
            rev = new
            last = time.monotonic()
            self.reconcile_all()

    def start(self) -> "Controllers":
        self._thread = threading.Thread(target=self._loop, name="twin-controllers", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
