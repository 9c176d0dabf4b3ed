"""The controllers' store interface over a real API server: an informer-backed adapter.

The twin's simulated controllers (controllers/: Rook, Jaeger operator, Tempo readiness, the node
agent's pod status) and cluster.py's bootstrap were written against ``store.Store``'s small
interface: ``find``, ``list_kind``, ``upsert``, ``set_status``, ``delete_kind``, ``revision``,
``wait_for_change``, ``registry.by_kind``.  ``KubeStore`` gives the same over HTTPS:

* one list+watch thread per watched kind, as a client-go informer does (k8s.io/client-go
  tools/cache/reflector.go at v0.34.4: list, then watch from the list's resourceVersion with
  bookmarks; relist on a 410 ``Expired`` ERROR event or a broken stream), into a local cache;
* ``revision``: a counter bumped on every event, so ``wait_for_change`` wakes the controllers;
* writes: POST (create), PUT (replace, with the cached resourceVersion), PUT ``/status`` (the
  status subresource), DELETE.  A write is skipped when nothing differs (``spec`` compared as a
  subset, since the API server adds defaults), so an idle cluster moves no resourceVersion;
* ``authorize``: a SubjectAccessReview, so startup.api_access asks the real RBAC authorizer.

It authenticates with the twin's own client certificate (not the kubeconfig user's).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from typing import Any, Optional

import urllib3

from .kube_discovery import Registry, Resource, same_content, subset
from .store import ApiError

log = logging.getLogger("twin.kube_store")

WATCHED = (
    ("v1", "Pod"), ("v1", "Node"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Service"), ("v1", "ServiceAccount"),
    ("v1", "PersistentVolumeClaim"), ("v1", "PersistentVolume"), ("v1", "Namespace"), ("v1", "Event"),
    ("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "DaemonSet"), ("apps/v1", "StatefulSet"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("objectbucket.io/v1alpha1", "ObjectBucketClaim"), ("objectbucket.io/v1alpha1", "ObjectBucket"),
    ("jaegertracing.io/v1", "Jaeger"), ("ceph.rook.io/v1", "CephObjectStore"),
)


class KubeStore:
    """The store interface over ``server`` with the client certificate ``cert``/``key``."""

    def __init__(self, server: str, ca: str, cert: str, key: str, watched=WATCHED) -> None:
        self.server = server
        self.http = urllib3.PoolManager(maxsize=48, cert_reqs="CERT_REQUIRED", ca_certs=ca, cert_file=cert, key_file=key)
        self.registry = Registry(self)
        self.revision = 0
        self.changed = threading.Condition()
        self._cache: dict[tuple[str, str], dict[tuple, dict]] = {}
        self._synced: dict[tuple[str, str], threading.Event] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.watched = tuple(watched)
        self._sar: dict[str, tuple[float, tuple[bool, str]]] = {}

    # ------------------------------------------------------------------ HTTP
    def request(self, method: str, path: str, body: Any = None, timeout: float = 30.0,
                content_type: str = "application/json") -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        r = self.http.request(method, self.server + path, body=data, headers={"Content-Type": content_type},
                              timeout=timeout, retries=False)
        try:
            return r.status, json.loads(r.data or b"{}")
        except ValueError:
            return r.status, {"message": r.data.decode(errors="replace")}

    def _call(self, method: str, path: str, body: Any = None) -> dict:
        code, out = self.request(method, path, body)
        if code >= 400:
            raise ApiError(code, out.get("reason", ""), out.get("message", str(out)), out.get("details"))
        return out

    def _rt(self, api_version: str, kind: str, wait: float = 15.0) -> Resource:
        """The served kind; waits ``wait`` s for it (a CRD just created is served once Established)."""
        deadline = time.monotonic() + wait
        while True:
            rt = self.registry.by_kind(api_version, kind)
            if rt is not None:
                return rt
            if time.monotonic() > deadline:
                raise ApiError(404, "NotFound", f"no kind {kind} in {api_version}")
            time.sleep(0.5)

    # ------------------------------------------------------------------ informers
    def start(self, timeout: float = 60.0) -> "KubeStore":
        for gvk in self.watched:
            self._synced[gvk] = threading.Event()
            t = threading.Thread(target=self._informer, args=gvk, name=f"informer-{gvk[1]}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def wait_synced(self, kinds=None, timeout: float = 60.0) -> None:
        """Wait for the first list of ``kinds`` (default: the built-in ones; CRDs may not exist yet)."""
        deadline = time.monotonic() + timeout
        builtin = [g for g in self.watched if g[0] in ("v1", "apps/v1", "storage.k8s.io/v1")]
        for gvk in kinds or builtin:
            if not self._synced[gvk].wait(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"informer of {gvk} not synced in {timeout} s")

    def stop(self) -> None:
        self._stop.set()
        self.http.clear()

    def _bump(self) -> None:
        with self.changed:
            self.revision += 1
            self.changed.notify_all()

    @staticmethod
    def _key(obj: dict) -> tuple:
        return (obj["metadata"].get("namespace"), obj["metadata"]["name"])

    def _informer(self, api_version: str, kind: str) -> None:
        gvk = (api_version, kind)
        while not self._stop.is_set():
            rt = self.registry.by_kind(api_version, kind)
            if rt is None:  # a CRD not created yet: ask again
                self._stop.wait(1.0)
                continue
            try:
                lst = self._call("GET", rt.path())
                items = {}
                for o in lst.get("items") or []:
                    o.setdefault("apiVersion", api_version)
                    o.setdefault("kind", kind)
                    items[self._key(o)] = o
                self._cache[gvk] = items
                self._bump()
                self._synced[gvk].set()
                self._watch(rt, gvk, lst["metadata"]["resourceVersion"])
            except Exception as e:  # noqa: BLE001 - relist after any failure, like the reflector
                if not self._stop.is_set():
                    log.info("informer %s: %s; relisting", kind, e)
                    self._stop.wait(1.0)

    def _watch(self, rt: Resource, gvk: tuple, rv: str) -> None:
        while not self._stop.is_set():
            url = f"{self.server}{rt.path()}?watch=1&allowWatchBookmarks=true&timeoutSeconds=240&resourceVersion={rv}"
            r = self.http.request("GET", url, preload_content=False, timeout=urllib3.Timeout(connect=10, read=300), retries=False)
            try:
                if r.status != 200:
                    raise RuntimeError(f"watch answered {r.status}")
                buf = b""
                for chunk in r.stream(8192):
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        if line.strip():
                            rv = self._event(gvk, json.loads(line), rv)
                    if self._stop.is_set():
                        return
            finally:
                r.release_conn()

    def _event(self, gvk: tuple, ev: dict, rv: str) -> str:
        obj = ev.get("object") or {}
        if ev.get("type") == "ERROR":
            raise RuntimeError(f"watch ERROR {obj.get('code')} {obj.get('message')}")
        new_rv = (obj.get("metadata") or {}).get("resourceVersion") or rv
        if ev.get("type") == "BOOKMARK":
            return new_rv
        obj.setdefault("apiVersion", gvk[0])
        obj.setdefault("kind", gvk[1])
        cache = self._cache.setdefault(gvk, {})
        if ev.get("type") == "DELETED":
            cache.pop(self._key(obj), None)
        else:
            cache[self._key(obj)] = obj
        self._bump()
        return new_rv

    # ------------------------------------------------------------------ reads
    def find(self, api_version: str, kind: str, ns: Optional[str], name: str) -> Optional[dict]:
        gvk = (api_version, kind)
        if gvk in self._cache:
            obj = self._cache[gvk].get((ns, name) if self._namespaced(gvk) else (None, name))
            return copy.deepcopy(obj) if obj is not None else None
        rt = self.registry.by_kind(api_version, kind)
        if rt is None:
            return None
        code, out = self.request("GET", rt.path(ns, name))
        if code == 404:
            return None
        if code >= 400:
            raise ApiError(code, out.get("reason", ""), out.get("message", ""))
        return out

    def _namespaced(self, gvk: tuple) -> bool:
        rt = self.registry.by_kind(*gvk)
        return bool(rt and rt.namespaced)

    def list_kind(self, api_version: str, kind: str, ns: Optional[str] = None, label_selector: Optional[str] = None) -> list[dict]:
        gvk = (api_version, kind)
        if gvk in self._cache and not label_selector:
            items = [o for (ons, _name), o in sorted(self._cache[gvk].items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
                     if ns is None or ons == ns]
            return copy.deepcopy(items)
        rt = self.registry.by_kind(api_version, kind)
        if rt is None:
            return []
        query = f"?labelSelector={label_selector}" if label_selector else ""
        out = self._call("GET", rt.path(ns) + query)
        for o in out.get("items") or []:
            o.setdefault("apiVersion", api_version)
            o.setdefault("kind", kind)
        return out.get("items") or []

    # ------------------------------------------------------------------ writes
    def _remember(self, obj: dict) -> dict:
        gvk = (obj.get("apiVersion"), obj.get("kind"))
        if gvk in self._cache:
            cur = self._cache[gvk].get(self._key(obj))
            if cur is None or int(cur["metadata"].get("resourceVersion", 0)) <= int(obj["metadata"]["resourceVersion"]):
                self._cache[gvk][self._key(obj)] = obj
        return copy.deepcopy(obj)

    def upsert(self, obj: dict) -> dict:
        """Create or replace (by apiVersion/kind/namespace/name); no request when nothing differs."""
        rt = self._rt(obj["apiVersion"], obj["kind"])
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace") if rt.namespaced else None
        cur = self.find(obj["apiVersion"], obj["kind"], ns, meta["name"])
        if cur is None:
            body = {k: v for k, v in obj.items() if k != "status"}
            created = self._call("POST", rt.path(ns), body)
            if obj.get("status") and rt.has_status:
                created["status"] = obj["status"]
                created = self._call("PUT", rt.path(ns, meta["name"], "status"), created)
            return self._remember(created)
        if same_content(obj, cur):
            return cur
        body = copy.deepcopy(obj)
        body["metadata"] = {**cur["metadata"], **meta}
        if rt.has_status:
            body["status"] = cur.get("status")
        return self._remember(self._call("PUT", rt.path(ns, meta["name"]), body))

    def create(self, rt: Resource, ns: Optional[str], obj: dict) -> dict:
        """POST: a create of an existing object answers 409 AlreadyExists (ApiError)."""
        return self._remember(self._call("POST", rt.path(ns if rt.namespaced else None), obj))

    def replace(self, rt: Resource, ns: Optional[str], name: str, obj: dict, check_rv: bool = True) -> dict:
        """PUT with the object's resourceVersion: a write since that version answers 409 Conflict."""
        body = copy.deepcopy(obj)
        if not check_rv:
            body["metadata"].pop("resourceVersion", None)
        return self._remember(self._call("PUT", rt.path(ns if rt.namespaced else None, name), body))

    def set_status(self, api_version: str, kind: str, ns: Optional[str], name: str, status: dict) -> Optional[dict]:
        """Write ``.status`` through the status subresource when it differs; ``None`` if the object is gone."""
        rt = self._rt(api_version, kind)
        cur = self.find(api_version, kind, ns, name)
        if cur is None:
            return None
        if subset(status, cur.get("status") or {}) and subset(cur.get("status") or {}, status):
            return cur
        cur["status"] = status
        try:
            return self._remember(self._call("PUT", rt.path(ns, name, "status" if rt.has_status else ""), cur))
        except ApiError as e:
            if e.code in (404, 409):  # gone, or changed under us: the next pass sees the new object
                return None
            raise

    def delete_kind(self, api_version: str, kind: str, ns: Optional[str], name: str) -> bool:
        rt = self.registry.by_kind(api_version, kind)
        if rt is None:
            return False
        code, _out = self.request("DELETE", rt.path(ns, name))
        return code < 300

    def wait_for_change(self, since: int, timeout: float) -> int:
        with self.changed:
            if self.revision == since:
                self.changed.wait(timeout)
            return self.revision

    # ------------------------------------------------------------------ authorisation
    def authorize(self, user: str, groups: list[str], attrs: dict) -> tuple[bool, str]:
        """A SubjectAccessReview (authorization.k8s.io/v1) answered by the real authorizers; answers are
        kept 2 s (the readiness hooks ask on every pass)."""
        key = json.dumps([user, groups, attrs], sort_keys=True)
        hit = self._sar.get(key)
        if hit and time.monotonic() - hit[0] < 2.0:
            return hit[1]
        ra = {k: attrs[k] for k in ("verb", "group", "resource", "subresource", "namespace", "name") if attrs.get(k)}
        ra.setdefault("group", "")
        out = self._call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
            "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "spec": {"user": user, "groups": list(groups), "resourceAttributes": ra}})
        st = out.get("status") or {}
        self._sar[key] = (time.monotonic(), (bool(st.get("allowed")), st.get("reason", "")))
        return self._sar[key][1]
