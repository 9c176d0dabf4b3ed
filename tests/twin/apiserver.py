"""HTTP Kubernetes API emulator of the twin (standard library + kubernetes-validate + PyYAML).

``TwinAPIServer(store, ("127.0.0.1", 0))`` serves the object store of ``store.py`` over plain HTTP
(no TLS, any bearer token accepted) to the real ``kubernetes`` client and ``kubernetes.core``.
``serve(store)`` starts one in a daemon thread.

Emulated behaviour and its upstream source:

* discovery ``/version``, ``/api``, ``/api/v1``, ``/apis``, ``/apis/<g>``, ``/apis/<g>/<v>``
  (k8s.io/apiserver pkg/endpoints/discovery; APIResourceList with ``<plural>/status`` entries as
  pkg/endpoints/installer.go registers them); CRD resources appear/disappear with the CRD
  (apiextensions-apiserver pkg/apiserver/customresource_discovery_controller.go);
  ``/openapi/v2`` and ``/openapi/v3`` answer 404 (clients fall back, kubectl does the same);
* REST paths and verbs of pkg/endpoints/installer.go: collections and items, cluster-scoped and
  namespaced, cluster-wide lists of namespaced resources, ``/status`` subresources;
* lists are ``<Kind>List`` with ``metadata.resourceVersion`` (pkg/registry/generic/registry/store.go List);
* PATCH by content type (k8s.io/apiserver pkg/endpoints/handlers/patch.go):
  ``application/json-patch+json`` RFC 6902 (github.com/evanphx/json-patch), ``merge-patch+json``
  RFC 7386, ``strategic-merge-patch+json`` (k8s.io/apimachinery pkg/util/strategicpatch, merge
  keys and strategies read from the OpenAPI ``x-kubernetes-patch-*`` extensions, 415 for custom
  resources as in patch.go), ``apply-patch+yaml`` server-side apply with managedFields and
  per-manager field ownership, 409 apply conflicts unless ``force`` (``fieldmanager.py``);
  ``fieldManager`` is required, creates the object when missing (k8s.io/apiserver
  pkg/endpoints/handlers/patch.go applyPatcher); every write records managedFields;
* DELETE propagation policies Foreground/Background/Orphan and preconditions (store.py);
  authorization.k8s.io/v1 access reviews answered by ``authz.py``;
* the fault model injects only answers a real server can give for the request (``Faults`` and
  ``_Handler._injected_fault``);
* PUT with optimistic concurrency, no-op writes, generation, finalizers, namespace content
  deletion and owner GC are implemented by ``store.py``;
* ``?dryRun=All`` (also DeleteOptions.dryRun) runs the whole write path including validation and
  persists nothing (KEP-576, pkg/endpoints/handlers/rest.go dryrun checks);
* errors are ``Status`` objects (k8s.io/apimachinery pkg/api/errors);
* validation: see ``validation.py`` (422 ``Invalid`` with causes, unknown fields pruned with a
  ``Warning: 299`` header, or rejected with ``fieldValidation=Strict``);
* a few update rules of pkg/apis/*/validation: immutable workload selectors
  (apps/validation ValidateDeploymentUpdate/ValidateDaemonSetUpdate/ValidateStatefulSetUpdate),
  StatefulSet spec updates limited to replicas/template/updateStrategy/... , immutable
  ConfigMap/Secret (core/validation ValidateConfigMapUpdate/ValidateSecretUpdate), StorageClass
  parameters/provisioner (storage/validation ValidateStorageClassUpdate), Service clusterIP;
  Secret ``data`` must be base64 (encoding/json []byte decoding -> 400);
* Service defaulting and clusterIP allocation (pkg/apis/core/v1/defaults.go SetDefaults_Service,
  SetDefaults_ServicePort; pkg/registry/core/service/ipallocator) -- the only defaulting done.

Instrumentation (not part of Kubernetes): counters and fault injection, plus admin endpoints
``GET /_twin/stats``, ``POST /_twin/stats/reset``, ``POST /_twin/faults``, ``DELETE /_twin/faults``,
``GET /_twin/log``; admin requests are neither counted nor faulted.

Counter semantics: ``reads`` = GET requests on resources (get + list; discovery counted apart in
``discovery``); ``writes`` = write requests (POST/PUT/PATCH/DELETE) that PERSISTED a change.
A write that changed nothing (the no-op PATCH kubernetes.core sends on every re-run) counts in
``noop_writes``, a dry-run write in ``dry_run_writes``, a rejected one in ``failed_writes``; none of
these is in ``writes``; ``write_requests`` counts them all. So "zero writes" means "nothing was
persisted", which is what the acceptance criteria (idempotent re-run, ``--check``) ask.
"""

from __future__ import annotations

import base64
import binascii
import collections
import copy
import http.server
import ipaddress
import json
import random
import threading
import time
import urllib.parse
from typing import Any, Optional

from . import authz, fieldmanager, validation
from .store import CRD_TYPE, ApiError, ResourceType, Store

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None

# The emulated Kubernetes: v1.33, the default of Talos 1.10 (Talos 1.8-1.11 ship 1.31-1.34).
# Field set of k8s.io/apimachinery pkg/version/types.go Info at v0.33.0 (the emulation and
# min-compatibility fields are new in 1.33: min compatibility is the previous minor). The
# gitCommit/buildDate/goVersion values are shaped like a release build but NOT checked against
# the v1.33.0 tag (clients do not interpret them). validation.SCHEMA_VERSION is the same minor.
KUBE_VERSION = {
    "major": "1",
    "minor": "33",
    "emulationMajor": "1",
    "emulationMinor": "33",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "32",
    "gitVersion": "v1.33.0",
    "gitCommit": "60a317eadfcb839692a68eab88b2096f4d708f4f",
    "gitTreeState": "clean",
    "buildDate": "2025-04-23T13:01:34Z",
    "goVersion": "go1.24.2",
    "compiler": "gc",
    "platform": "linux/amd64",
}

STATUS_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def status_error(code: int, message: str, reason: Optional[str] = None, details: Optional[dict] = None) -> ApiError:
    return ApiError(code, reason or STATUS_REASONS.get(code, "Unknown"), message, details)


class _TooManyRequests(ApiError):
    """A 429 of the priority-and-fairness filter: answered as plain text, not as a Status."""

    def __init__(self):
        super().__init__(429, "TooManyRequests", "Too many requests, please try again later.")


def _fault_answer(code: int) -> Optional[ApiError]:
    """The answer a real kube-apiserver gives with ``code`` to any request (source of each):
    429 pkg/server/filters/priority-and-fairness.go tooManyRequests; 500 apierrors.NewInternalError
    (a storage error, as registry/store.go passes etcd failures through); 503 pkg/server/filters/
    waitgroup.go ("apiserver is shutting down", Retry-After: 1); 504 pkg/server/filters/timeout.go
    apierrors.NewTimeoutError(..., 0) (retryAfterSeconds 0 is omitted)."""
    if code == 429:
        return _TooManyRequests()
    if code == 500:
        return ApiError(500, "InternalError", "Internal error occurred: etcdserver: leader changed", {"causes": [{"message": "etcdserver: leader changed"}]})
    if code == 503:
        return ApiError(503, "ServiceUnavailable", "apiserver is shutting down")
    if code == 504:
        return ApiError(504, "Timeout", "Timeout: request did not complete within the allotted timeout", {})
    return None


# ================================================================== instrumentation
class Stats:
    """Request counters (thread-safe). See the module docstring for what counts as a write."""

    def __init__(self, log_size: int = 5000) -> None:
        self._lock = threading.Lock()
        self._log: collections.deque = collections.deque(maxlen=log_size)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._c = collections.Counter()
            self._by_verb = collections.Counter()
            self._by_resource = collections.Counter()
            self._log.clear()

    def record(self, entry: dict) -> None:
        with self._lock:
            self._c["requests"] += 1
            kind = entry.get("class")
            if kind:
                self._c[kind] += 1
            if kind in ("writes", "noop_writes", "dry_run_writes", "failed_writes"):
                self._c["write_requests"] += 1
            verb = entry.get("verb")
            if verb and kind not in ("faulted",):
                self._by_verb[verb] += 1
            res = entry.get("resource")
            if res and kind not in ("faulted",):
                self._by_resource[res] += 1
            self._log.append(entry)

    def snapshot(self) -> dict:
        with self._lock:
            out = {
                k: self._c.get(k, 0)
                for k in (
                    "requests",
                    "reads",
                    "writes",
                    "noop_writes",
                    "dry_run_writes",
                    "failed_writes",
                    "write_requests",
                    "failed_reads",
                    "discovery",
                    "faulted",
                )
            }
            out["by_verb"] = dict(self._by_verb)
            out["by_resource"] = dict(self._by_resource)
            return out

    def log(self, limit: Optional[int] = None) -> list:
        with self._lock:
            entries = list(self._log)
        return entries[-limit:] if limit else entries


class Faults:
    """Fault injection: with probability ``rate`` draw a code from ``codes``; optional latency.

    The handler turns the drawn code into an answer a real API server can give to that very
    request (``_Handler._injected_fault``): a 409 that no real server could answer (create of a
    missing object, read, write without a resourceVersion precondition) is not injected."""

    def __init__(self, seed: Optional[int] = None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.off()

    def set(
        self,
        rate: float,
        codes=(500,),
        latency_ms: float = 0,
        *,
        verbs: Optional[list] = None,
        discovery: bool = False,
    ) -> None:
        """``verbs`` limits faults to some verbs (e.g. ["patch"]); discovery is spared unless asked."""
        codes = [int(c) for c in (codes or [500])]
        with self._lock:
            self.rate = max(0.0, min(1.0, float(rate)))
            self.codes = codes
            self.latency_ms = max(0.0, float(latency_ms or 0))
            self.verbs = list(verbs) if verbs else None
            self.discovery = bool(discovery)

    def off(self) -> None:
        with self._lock:
            self.rate, self.codes, self.latency_ms, self.verbs, self.discovery = 0.0, [], 0.0, None, False

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "rate": self.rate,
                "codes": list(self.codes),
                "latency_ms": self.latency_ms,
                "verbs": self.verbs,
                "discovery": self.discovery,
            }

    def decide(self, verb: Optional[str], is_discovery: bool) -> tuple[float, Optional[int]]:
        """Return (latency seconds, fault code or None) for one request."""
        with self._lock:
            if is_discovery and not self.discovery:
                return 0.0, None
            latency = self.latency_ms / 1000.0
            if self.verbs is not None and verb not in self.verbs:
                return latency, None
            if self.rate > 0 and self.codes and self._rng.random() < self.rate:
                return latency, self._rng.choice(self.codes)
            return latency, None


# ================================================================== patches
def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (k8s uses github.com/evanphx/json-patch MergePatch)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = json_merge_patch(out.get(k), v)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise status_error(422, f"the server rejected our request due to an error in our request: invalid JSON pointer {path!r}", "Invalid")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _container(doc, parts, path):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise status_error(422, f"the server rejected our request due to an error in our request: path {path!r} does not exist", "Invalid")
    return cur


def _get_at(doc, path):
    parts = _pointer(path)
    if not parts:
        return doc
    c = _container(doc, parts, path)
    last = parts[-1]
    if isinstance(c, dict) and last in c:
        return c[last]
    if isinstance(c, list) and last.isdigit() and int(last) < len(c):
        return c[int(last)]
    raise status_error(422, f"the server rejected our request due to an error in our request: path {path!r} does not exist", "Invalid")


def _remove_at(doc, path):
    parts = _pointer(path)
    c = _container(doc, parts, path)
    last = parts[-1]
    if isinstance(c, dict) and last in c:
        return c.pop(last)
    if isinstance(c, list) and last.isdigit() and int(last) < len(c):
        return c.pop(int(last))
    raise status_error(422, f"the server rejected our request due to an error in our request: unable to remove nonexistent key {path!r}", "Invalid")


def _add_at(doc, path, value, replace=False):
    parts = _pointer(path)
    if not parts:
        return value
    c = _container(doc, parts, path)
    last = parts[-1]
    if isinstance(c, dict):
        if replace and last not in c:
            raise status_error(
                422,
                f"the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key {path!r}",
                "Invalid",
            )
        c[last] = value
    elif isinstance(c, list):
        if last == "-" and not replace:
            c.append(value)
        elif last.isdigit() and int(last) <= len(c) - (1 if replace else 0):
            if replace:
                c[int(last)] = value
            else:
                c.insert(int(last), value)
        else:
            raise status_error(422, f"the server rejected our request due to an error in our request: index out of range in {path!r}", "Invalid")
    else:
        raise status_error(422, f"the server rejected our request due to an error in our request: path {path!r} does not exist", "Invalid")
    return doc


def json_patch(doc: Any, ops: list) -> Any:
    """RFC 6902 JSON patch: add, remove, replace, move, copy, test."""
    if not isinstance(ops, list):
        raise status_error(400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise status_error(422, "the server rejected our request due to an error in our request: missing op", "Invalid")
        kind, path = op["op"], op.get("path", "")
        if kind == "add":
            doc = _add_at(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove_at(doc, path)
        elif kind == "replace":
            doc = _add_at(doc, path, copy.deepcopy(op.get("value")), replace=True)
        elif kind == "move":
            v = _remove_at(doc, op["from"])
            doc = _add_at(doc, path, v)
        elif kind == "copy":
            doc = _add_at(doc, path, copy.deepcopy(_get_at(doc, op["from"])))
        elif kind == "test":
            if _get_at(doc, path) != op.get("value"):
                raise status_error(422, f"the server rejected our request due to an error in our request: testing value {path} failed", "Invalid")
        else:
            raise status_error(422, f"the server rejected our request due to an error in our request: unexpected op {kind!r}", "Invalid")
    return doc


# ---- strategic merge patch (k8s.io/apimachinery pkg/util/strategicpatch/patch.go)
class _BuiltinMeta:
    """Patch metadata from the OpenAPI schema (strategicpatch PatchMetaFromOpenAPI)."""

    def __init__(self, sm: validation.BuiltinSchemas):
        self.sm = sm

    def field(self, node, key):
        raw = self.sm.child(node, key)
        if not isinstance(raw, dict):
            return None, "", None
        strategy = raw.get("x-kubernetes-patch-strategy", "")
        merge_key = raw.get("x-kubernetes-patch-merge-key")
        return raw, strategy, merge_key

    def items(self, node):
        return self.sm.items(node)


class _ApplyMeta:
    """List merge metadata for (simplified) server-side apply: x-kubernetes-list-type/map-keys."""

    def __init__(self, sm: Optional[validation.BuiltinSchemas]):
        self.sm = sm

    def _resolve(self, node):
        return self.sm.resolve(node) if self.sm else node

    def field(self, node, key):
        if self.sm:
            raw = self.sm.child(node, key)
        else:
            n = node if isinstance(node, dict) else {}
            raw = (n.get("properties") or {}).get(key)
            if raw is None and isinstance(n.get("additionalProperties"), dict):
                raw = n["additionalProperties"]
        if not isinstance(raw, dict):
            return None, "", None
        lt = raw.get("x-kubernetes-list-type")
        if lt == "map":
            return raw, "merge", tuple(raw.get("x-kubernetes-list-map-keys") or ())
        if lt == "set":
            return raw, "merge", None
        return raw, "", None

    def items(self, node):
        if self.sm:
            return self.sm.items(node)
        return node.get("items") if isinstance(node, dict) else None


def _key_of(elem, merge_key):
    if not isinstance(elem, dict):
        return None
    if isinstance(merge_key, tuple):
        return tuple(elem.get(k) for k in merge_key)
    return elem.get(merge_key)


def _strip_directives(value):
    if isinstance(value, dict):
        return {
            k: _strip_directives(v)
            for k, v in value.items()
            if not (k.startswith("$") or k.startswith("$setElementOrder/") or k.startswith("$deleteFromPrimitiveList/"))
        }
    if isinstance(value, list):
        return [_strip_directives(v) for v in value if not (isinstance(v, dict) and v.get("$patch") == "delete")]
    return value


def strategic_merge(original: Any, patch: Any, node, meta) -> Any:
    """Merge ``patch`` into ``original`` with the strategic merge rules.

    Maps merge recursively; ``null`` deletes; lists whose field has patch strategy ``merge``
    merge by the merge key (or as a set for primitives), other lists are replaced;
    ``$patch: replace|delete|merge``, ``$retainKeys``, ``$deleteFromPrimitiveList/<f>`` and
    ``$setElementOrder/<f>`` (ignored: order is kept as stored) directives.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return _strip_directives({k: v for k, v in patch.items() if k != "$patch"})
    out = copy.deepcopy(original) if isinstance(original, dict) else {}
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k in ("$patch", "$retainKeys") or k.startswith("$setElementOrder/"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(out.get(field), list) and isinstance(v, list):
                out[field] = [x for x in out[field] if x not in v]
            continue
        if v is None:
            out.pop(k, None)
            continue
        child, strategy, merge_key = meta.field(node, k)
        cur = out.get(k)
        if isinstance(v, dict):
            merged = strategic_merge(cur if isinstance(cur, dict) else None, v, child, meta)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        elif isinstance(v, list):
            if "merge" in (strategy or "").split(",") and isinstance(cur, list):
                out[k] = _merge_list(cur, v, merge_key, meta.items(child), meta)
            else:
                out[k] = _strip_directives(v)
        else:
            out[k] = copy.deepcopy(v)
    if isinstance(retain, list):
        for k in list(out):
            if k not in retain:
                out.pop(k)
    return out


def _merge_list(cur: list, patch: list, merge_key, item_node, meta) -> list:
    if not merge_key:
        # primitive list with strategy merge: union, stored order first (strategicpatch mergeSlice)
        out = copy.deepcopy(cur)
        for x in patch:
            if isinstance(x, dict) and "$patch" in x:
                continue
            if x not in out:
                out.append(copy.deepcopy(x))
        return out
    for x in patch:
        if isinstance(x, dict) and x.get("$patch") == "replace":
            return _strip_directives([y for y in patch if not (isinstance(y, dict) and "$patch" in y)])
    out = copy.deepcopy(cur)
    for x in patch:
        if not isinstance(x, dict):
            out.append(copy.deepcopy(x))
            continue
        key = _key_of(x, merge_key)
        idx = next((i for i, y in enumerate(out) if _key_of(y, merge_key) == key), None)
        if x.get("$patch") == "delete":
            out = [y for y in out if _key_of(y, merge_key) != key]
            continue
        if idx is None:
            out.append(strategic_merge(None, x, item_node, meta))
        else:
            out[idx] = strategic_merge(out[idx], x, item_node, meta)
    return out


# ================================================================== defaulting / update rules
_SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


def _default_service(obj: dict, cur: Optional[dict], used_ips: set) -> None:
    """SetDefaults_Service / SetDefaults_ServicePort and clusterIP allocation (ipallocator)."""
    spec = obj.setdefault("spec", {}) or {}
    obj["spec"] = spec
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
        cur_spec = (cur or {}).get("spec") or {}
        if not spec.get("clusterIP") and cur_spec.get("clusterIP"):
            # PUT/patch without clusterIP keeps the allocated one (service REST PrepareForUpdate)
            spec["clusterIP"] = cur_spec["clusterIP"]
            spec.setdefault("clusterIPs", cur_spec.get("clusterIPs") or [cur_spec["clusterIP"]])
        if not spec.get("clusterIP"):
            hosts = _SERVICE_CIDR.num_addresses
            while True:
                ip = str(_SERVICE_CIDR[random.randrange(10, hosts - 1)])
                if ip not in used_ips:
                    break
            spec["clusterIP"] = ip
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        if spec["clusterIP"] != "None":
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
    for p in spec.get("ports") or []:
        if isinstance(p, dict):
            p.setdefault("protocol", "TCP")
            if "targetPort" not in p and "port" in p:
                p["targetPort"] = p["port"]
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
        for i, p in enumerate(spec.get("ports") or []):
            if isinstance(p, dict) and "nodePort" not in p:
                p["nodePort"] = 30000 + (hash((obj["metadata"].get("name"), i)) % 2767)


def _default_statefulset(obj: dict) -> None:
    """pkg/apis/apps/v1/defaults.go SetDefaults_StatefulSet (kubernetes.core's StatefulSet wait
    reads spec.updateStrategy.type, which a real server always fills)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("revisionHistoryLimit", 10)
    us = spec.setdefault("updateStrategy", {})
    if isinstance(us, dict):
        us.setdefault("type", "RollingUpdate")
        if us["type"] == "RollingUpdate":
            us.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})


_STS_MUTABLE = {"replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds"}


def update_errors(rt: ResourceType, cur: dict, new: dict) -> list[validation.FieldError]:
    """Immutable-field rules of pkg/apis/*/validation Validate*Update."""
    errs = []
    FE = validation.FieldError
    if rt.group == "apps" and rt.kind in ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet"):
        if (cur.get("spec") or {}).get("selector") != (new.get("spec") or {}).get("selector"):
            errs.append(
                FE("spec.selector", "FieldValueInvalid", f"Invalid value: {json.dumps((new.get('spec') or {}).get('selector'))}: field is immutable")
            )
        if rt.kind == "StatefulSet":
            a = {k: v for k, v in (cur.get("spec") or {}).items() if k not in _STS_MUTABLE}
            b = {k: v for k, v in (new.get("spec") or {}).items() if k not in _STS_MUTABLE}
            if a != b and not errs:
                errs.append(
                    FE(
                        "spec",
                        "FieldValueForbidden",
                        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                        "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                    )
                )
    if rt.group == "" and rt.kind in ("ConfigMap", "Secret") and cur.get("immutable"):
        if cur.get("data") != new.get("data") or cur.get("binaryData") != new.get("binaryData"):
            errs.append(FE("data", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set"))
        if not new.get("immutable"):
            errs.append(FE("immutable", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set"))
    if rt.group == "storage.k8s.io" and rt.kind == "StorageClass":
        for f in ("parameters", "provisioner", "reclaimPolicy", "volumeBindingMode"):
            if f in cur and cur.get(f) != new.get(f):
                errs.append(FE(f, "FieldValueForbidden", f"Forbidden: updates to {f} are forbidden."))
    if rt.group == "" and rt.kind == "Service":
        a, b = (cur.get("spec") or {}).get("clusterIP"), (new.get("spec") or {}).get("clusterIP")
        if a and b and a != b:
            errs.append(FE("spec.clusterIPs[0]", "FieldValueInvalid", f'Invalid value: []string{{"{b}"}}: may not change once set'))
    if rt.key == CRD_TYPE.key:
        if (cur.get("spec") or {}).get("group") != (new.get("spec") or {}).get("group"):
            errs.append(FE("spec.group", "FieldValueInvalid", "Invalid value: field is immutable"))
    return errs


# ================================================================== discovery
def _resource_entries(rts: list[ResourceType]) -> list[dict]:
    out = []
    for rt in sorted(rts, key=lambda r: r.plural):
        e = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": list(rt.verbs),
        }
        if rt.short_names:
            e["shortNames"] = list(rt.short_names)
        if not rt.builtin:
            e["categories"] = ["all"]
        out.append(e)
        if rt.has_status:
            out.append(
                {"name": f"{rt.plural}/status", "singularName": "", "namespaced": rt.namespaced, "kind": rt.kind, "verbs": ["get", "patch", "update"]}
            )
    return out


_VERSION_ORDER = ("v1", "v2", "v1beta2", "v1beta1", "v2beta2", "v2beta1", "v1alpha1")


def _version_rank(v: str) -> tuple:
    # k8s.io/apimachinery pkg/version CompareKubeAwareVersionStrings (simplified)
    return (_VERSION_ORDER.index(v) if v in _VERSION_ORDER else len(_VERSION_ORDER), v)


# ================================================================== the server
class TwinAPIServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, store: Store, server_address=("127.0.0.1", 0)):
        self.store = store
        self.stats = Stats()
        self.faults = Faults()
        super().__init__(server_address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def serve(store: Store, host: str = "127.0.0.1", port: int = 0) -> TwinAPIServer:
    """Start a TwinAPIServer in a daemon thread and return it (``.url``, ``.stop()``)."""
    srv = TwinAPIServer(store, (host, port))
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, name=f"twin-apiserver-{srv.server_address[1]}", daemon=True)
    t.start()
    srv.thread = t
    return srv


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out without the 40 ms delayed-ACK stall
    wbufsize = 64 * 1024  # headers + body in one segment; flushed by handle_one_request
    server: TwinAPIServer

    def log_message(self, fmt, *args):  # keep test output quiet; requests go to the request log
        pass

    # ---- plumbing
    def _send(self, code: int, body: Any, headers: Optional[dict] = None) -> None:
        data = json.dumps(body).encode() if not isinstance(body, (bytes, str)) else (body.encode() if isinstance(body, str) else body)
        self.send_response(code)
        self.send_header("Content-Type", "application/json" if not isinstance(body, str) else "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body_bytes(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # ---- entry
    def _dispatch(self, method: str) -> None:
        t0 = time.monotonic()
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        raw = self._body_bytes()
        if path.startswith("/_twin"):
            return self._admin(method, path, query, raw)
        ctx = {"verb": None, "resource": None, "class": None, "dry_run": False, "warnings": []}
        try:
            target = self._route(path)
            ctx["verb"] = self._verb(method, target, query)
            if target[0] == "resource":
                rt = target[1]
                ctx["resource"] = rt.plural if not rt.group else f"{rt.plural}.{rt.group}"
            is_disc = target[0] != "resource"
            latency, fault = self.server.faults.decide(ctx["verb"], is_disc)
            if latency:
                time.sleep(latency)
            if fault:
                injected = self._injected_fault(fault, method, target, query, raw)
                if injected is not None:
                    ctx["class"] = "faulted"
                    raise injected
            if is_disc:
                ctx["class"] = "discovery"
                code, body = self._discovery(target)
            else:
                code, body = self._resource(method, target, query, raw, ctx)
            headers = {}
            if ctx["warnings"]:
                headers["Warning"] = ", ".join('299 - "%s"' % w.replace('"', '\\"') for w in ctx["warnings"][:20])
            self._send(code, body, headers)
            status = code
        except _TooManyRequests:
            # k8s.io/apiserver pkg/server/filters/priority-and-fairness.go tooManyRequests (also used by
            # maxinflight.go): Retry-After header and a plain-text body written with http.Error
            self._send(429, "Too many requests, please try again later.\n", {"Retry-After": "1", "X-Content-Type-Options": "nosniff"})
            status = 429
        except ApiError as e:
            headers = {"Retry-After": "1"} if e.code == 429 else {}
            if ctx["class"] is None:
                ctx["class"] = "failed_writes" if method in ("POST", "PUT", "PATCH", "DELETE") else "failed_reads"
            if ctx["warnings"]:
                headers["Warning"] = ", ".join('299 - "%s"' % w.replace('"', '\\"') for w in ctx["warnings"][:20])
            self._send(e.code, e.status(), headers)
            status = e.code
        except Exception as e:  # a bug in the twin: report it like the apiserver reports panics
            ctx["class"] = ctx["class"] or ("failed_writes" if method != "GET" else "failed_reads")
            self._send(500, status_error(500, f"twin internal error: {type(e).__name__}: {e}").status())
            status = 500
        self.server.stats.record(
            {
                "time": time.time(),
                "method": method,
                "path": path,
                "query": parsed.query,
                "verb": ctx["verb"],
                "resource": ctx["resource"],
                "class": ctx["class"],
                "dry_run": ctx["dry_run"],
                "code": status,
                "ms": round((time.monotonic() - t0) * 1000, 2),
            }
        )

    # ---- fault model: only answers a real API server can give for this request
    def _injected_fault(self, code: int, method: str, target, query: dict, raw: bytes) -> Optional[ApiError]:
        """Turn a drawn fault code into the answer a real server could give to THIS request, or
        None when it could not (the request is then served normally and not counted as faulted).

        409 is request-specific (k8s.io/apimachinery pkg/api/errors): ``AlreadyExists`` on create
        only when the object exists -- and then the real create path answers it anyway, so a
        drawn 409 on create is never injected; ``Conflict`` on update/patch only when the request
        carries a resourceVersion precondition, answered as if a concurrent writer had bumped it
        (the stored resourceVersion really moves, so a retry with the same stale version fails
        again, like registry/store.go GuaranteedUpdate with OptimisticLockErrorMsg); on delete
        only with DeleteOptions.preconditions.resourceVersion (storage Preconditions.Check). PATCH
        without a resourceVersion is retried inside the server (handlers/patch.go) and never
        answers 409 for a concurrent write; reads never answer 409."""
        if code != 409:
            return _fault_answer(code) or status_error(code, f"injected fault {code} (twin fault injection)")
        if target[0] != "resource":
            return None
        _unused, rt, ns, name, _sub = target
        verb = self._verb(method, target, query)
        if verb not in ("update", "patch", "delete") or not name:
            return None
        try:
            body = json.loads(raw) if raw and method != "PATCH" else (self._parse_body(raw, self.headers.get("Content-Type") or "") if raw else None)
        except ApiError:
            return None
        if not isinstance(body, dict):
            return None
        if verb == "delete":
            rv = (body.get("preconditions") or {}).get("resourceVersion")
        else:
            rv = (body.get("metadata") or {}).get("resourceVersion")
        if not rv:
            return None
        if self.server.store.touch(rt, ns, name) is None:
            return None  # the object is gone: the real answer would be 404, served normally
        what = rt.plural if not rt.group else f"{rt.plural}.{rt.group}"
        if verb == "delete":
            cur = self.server.store.get(rt, ns, name)["metadata"]["resourceVersion"]
            msg = f"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {cur}"
        else:
            msg = "the object has been modified; please apply your changes to the latest version and try again"
        return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {what} "{name}": {msg}', {"name": name, "group": rt.group, "kind": rt.plural})

    # ---- admin endpoints (instrumentation; not counted, never faulted)
    def _admin(self, method: str, path: str, query: dict, raw: bytes) -> None:
        srv = self.server
        if path == "/_twin/stats" and method == "GET":
            return self._send(200, srv.stats.snapshot())
        if path == "/_twin/stats/reset" and method == "POST":
            srv.stats.reset()
            return self._send(200, srv.stats.snapshot())
        if path == "/_twin/faults":
            if method == "GET":
                return self._send(200, srv.faults.snapshot())
            if method == "DELETE":
                srv.faults.off()
                return self._send(200, srv.faults.snapshot())
            if method == "POST":
                try:
                    cfg = json.loads(raw or b"{}")
                    srv.faults.set(
                        cfg.get("rate", 0),
                        cfg.get("codes") or [500],
                        cfg.get("latency_ms", 0),
                        verbs=cfg.get("verbs"),
                        discovery=cfg.get("discovery", False),
                    )
                except (ValueError, TypeError, AttributeError) as e:
                    return self._send(400, status_error(400, f"bad faults config: {e}").status())
                return self._send(200, srv.faults.snapshot())
        if path == "/_twin/log" and method == "GET":
            limit = int(query.get("limit") or 0) or None
            return self._send(200, {"items": srv.stats.log(limit)})
        return self._send(404, status_error(404, "unknown twin admin endpoint").status())

    # ---- routing
    def _route(self, path: str):
        if path in ("/version", "/version/"):
            return ("version",)
        if path in ("/healthz", "/readyz", "/livez"):
            return ("health",)
        if path.startswith("/openapi"):
            raise status_error(404, "the server could not find the requested resource")
        parts = [urllib.parse.unquote(p) for p in path.split("/") if p]
        if not parts:
            return ("root",)
        if parts[0] == "api":
            if len(parts) == 1:
                return ("api",)
            group, version, rest = "", parts[1], parts[2:]
        elif parts[0] == "apis":
            if len(parts) == 1:
                return ("apis",)
            if len(parts) == 2:
                return ("group", parts[1])
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise status_error(404, "the server could not find the requested resource")
        reg = self.server.store.registry
        if not rest:
            if not reg.resources(group, version):
                raise status_error(404, "the server could not find the requested resource")
            return ("resources", group, version)
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            ns, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise status_error(404, "the server could not find the requested resource")
        rt = reg.by_path(group, version, rest[0])
        if rt is None or (ns is not None and not rt.namespaced):
            raise status_error(404, "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and not (sub == "status" and rt.has_status):
            raise status_error(404, "the server could not find the requested resource")
        if rt.namespaced and name is not None and ns is None:
            raise status_error(404, "the server could not find the requested resource")
        return ("resource", rt, ns, name, sub)

    @staticmethod
    def _verb(method: str, target, query) -> Optional[str]:
        if target[0] != "resource":
            return "discovery"
        name = target[3]
        if method == "GET":
            if query.get("watch") in ("1", "true"):
                return "watch"
            return "get" if name else "list"
        if method == "POST":
            return "create"
        if method == "PUT":
            return "update"
        if method == "PATCH":
            return "patch"
        if method == "DELETE":
            return "delete" if name else "deletecollection"
        return method.lower()

    # ---- discovery
    def _discovery(self, target):
        reg = self.server.store.registry
        kind = target[0]
        if kind == "version":
            return 200, KUBE_VERSION
        if kind == "health":
            return 200, "ok"
        if kind == "root":
            paths = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"]
            for g, vs in sorted(reg.groups().items()):
                if g:
                    paths += [f"/apis/{g}"] + [f"/apis/{g}/{v}" for v in vs]
            return 200, {"paths": paths}
        if kind == "api":
            host, port = self.server.server_address[:2]
            return 200, {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": f"{host}:{port}"}],
            }
        if kind == "apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [self._group(g, vs) for g, vs in sorted(reg.groups().items()) if g]}
        if kind == "group":
            vs = reg.groups().get(target[1])
            if not vs:
                raise status_error(404, "the server could not find the requested resource")
            return 200, {"kind": "APIGroup", "apiVersion": "v1", **self._group(target[1], vs)}
        if kind == "resources":
            g, v = target[1], target[2]
            return 200, {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": f"{g}/{v}" if g else v,
                "resources": _resource_entries(reg.resources(g, v)),
            }
        raise status_error(404, "the server could not find the requested resource")

    @staticmethod
    def _group(g: str, vs: list) -> dict:
        ordered = sorted(vs, key=_version_rank)
        return {
            "name": g,
            "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in ordered],
            "preferredVersion": {"groupVersion": f"{g}/{ordered[0]}", "version": ordered[0]},
        }

    # ---- resources
    def _parse_body(self, raw: bytes, content_type: str = "application/json"):
        if not raw:
            raise status_error(400, "the body of the request was empty")
        try:
            if "yaml" in content_type:
                if yaml is None:
                    raise ValueError("PyYAML missing")
                return yaml.safe_load(raw.decode())
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise status_error(400, f"error decoding request body: {e}")
        except Exception as e:  # yaml errors
            raise status_error(400, f"error decoding YAML: {e}")

    def _dry_run(self, query: dict, ctx: dict, body: Optional[dict] = None) -> bool:
        v = query.get("dryRun")
        if v is None and isinstance(body, dict) and body.get("kind") == "DeleteOptions":
            dr = body.get("dryRun") or []
            v = dr[0] if dr else None
        if v is None or v == "":
            return False
        if v != "All":
            raise status_error(400, f'Invalid dryRun value: {v!r}: supported values: "All"')
        ctx["dry_run"] = True
        return True

    def _resource(self, method, target, query, raw, ctx):
        if method == "GET":
            return self._resource_locked(method, target, query, raw, ctx)
        # A write reads, merges, validates and stores under the store's (re-entrant) lock, so a
        # controller thread cannot slip in between: the upstream patch handler gets the same
        # effect by retrying GuaranteedUpdate on conflicts (k8s.io/apiserver handlers/patch.go).
        with self.server.store.lock:
            return self._resource_locked(method, target, query, raw, ctx)

    def _resource_locked(self, method, target, query, raw, ctx):
        _unused, rt, ns, name, sub = target
        store = self.server.store
        verb = ctx["verb"]
        if verb == "watch":
            raise status_error(405, "watch is not supported by the twin (see twin-spec: not needed)", "MethodNotAllowed")
        if rt.group == "authorization.k8s.io":
            if method != "POST" or name:
                raise status_error(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")
            return self._access_review(rt, ns, self._parse_body(raw), ctx)
        if method == "GET":
            if name:
                obj = store.get(rt, ns, name)
                ctx["class"] = "reads"
                return 200, obj
            items, rv = store.list(rt, ns, query.get("labelSelector"), query.get("fieldSelector"))
            ctx["class"] = "reads"
            return 200, {"apiVersion": rt.api_version, "kind": f"{rt.kind}List", "metadata": {"resourceVersion": rv}, "items": items}
        if method == "POST":
            if name:
                raise status_error(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")
            if rt.namespaced and ns is None:
                raise status_error(
                    405, "the server does not allow this method on the requested resource (create needs a namespace path)", "MethodNotAllowed"
                )
            body = self._parse_body(raw)
            dry = self._dry_run(query, ctx)
            return self._create(rt, ns, body, query, ctx, dry)
        if method == "PUT":
            if not name:
                raise status_error(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")
            body = self._parse_body(raw)
            dry = self._dry_run(query, ctx)
            return self._update(rt, ns, name, sub, body, query, ctx, dry)
        if method == "PATCH":
            if not name:
                raise status_error(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")
            dry = self._dry_run(query, ctx)
            return self._patch(rt, ns, name, sub, raw, query, ctx, dry)
        if method == "DELETE":
            body = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise status_error(400, "error decoding DeleteOptions")
            dry = self._dry_run(query, ctx, body)
            if sub:
                raise status_error(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")
            policy, pre = self._delete_options(rt, query, body, ctx)
            if not name:
                return self._delete_collection(rt, ns, query, ctx, dry, policy)
            before = store.get(rt, ns, name)
            out = store.delete(rt, ns, name, dry_run=dry, propagation=policy, preconditions=pre)
            if dry:
                ctx["class"] = "dry_run_writes"
            elif before["metadata"].get("deletionTimestamp"):
                ctx["class"] = "noop_writes"
            else:
                ctx["class"] = "writes"
            return 200, out
        raise status_error(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")

    def _delete_options(self, rt, query: dict, body: Optional[dict], ctx: dict) -> tuple:
        """propagationPolicy / orphanDependents / preconditions of DeleteOptions, from the query or
        the body (k8s.io/apimachinery pkg/apis/meta/v1 types.go DeleteOptions; validation in
        k8s.io/apiserver pkg/registry/rest/delete.go BeforeDelete and apimachinery
        pkg/api/validation ValidateDeleteOptions)."""
        body = body if isinstance(body, dict) else {}
        policy = query.get("propagationPolicy") or body.get("propagationPolicy")
        orphan = query.get("orphanDependents", body.get("orphanDependents"))
        if isinstance(orphan, str):
            orphan = orphan.lower() in ("1", "t", "true")
        if policy is not None and orphan is not None:
            raise status_error(
                422,
                'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Invalid value: "'
                + policy
                + '": orphanDependents and deletionPropagation cannot be both set',
                "Invalid",
            )
        if policy is None and orphan is not None:
            policy = "Orphan" if orphan else "Background"
        if policy is not None and policy not in ("Foreground", "Background", "Orphan"):
            raise status_error(
                422,
                f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "{policy}": '
                'supported values: "Foreground", "Background", "Orphan", "nil"',
                "Invalid",
            )
        if policy is None and (rt.group, rt.version, rt.kind) == ("batch", "v1", "Job"):
            # pkg/registry/batch/job/storage/storage.go deleteOptionWarnings
            ctx["warnings"].append(
                "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them "
                "or set propagationPolicy=Orphan to suppress this warning"
            )
        return policy, body.get("preconditions") or None

    def _access_review(self, rt, ns, body, ctx):
        """authorization.k8s.io/v1 reviews (pkg/registry/authorization/*/rest.go Create): never
        stored, answered 201 with the request and its status, decided by authz.authorize."""
        self._check_type(rt, body)
        spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
        errs = authz.review_errors(rt.kind, spec)
        if rt.kind == "LocalSubjectAccessReview":
            ra_ns = (spec.get("resourceAttributes") or {}).get("namespace")
            if ra_ns is not None and ra_ns != ns:
                errs.append(("spec.resourceAttributes.namespace", "FieldValueInvalid", f'Invalid value: "{ra_ns}": must match metadata.namespace'))
        if errs:
            raise ApiError(
                422,
                "Invalid",
                f'{rt.kind}.authorization.k8s.io "" is invalid: ' + ", ".join(f"{f}: {m}" for f, _r, m in errs),
                {"group": rt.group, "kind": rt.kind, "causes": [{"reason": r, "message": m, "field": f} for f, r, m in errs]},
            )
        if rt.kind == "SelfSubjectAccessReview":
            user, groups = self._requester()
        else:
            user, groups = spec.get("user", ""), list(spec.get("groups") or [])
        attrs = authz.review_attrs(spec)
        if rt.kind == "LocalSubjectAccessReview":
            attrs["namespace"] = ns
        allowed, reason = authz.authorize(self.server.store, user, groups, attrs)
        out = copy.deepcopy(body)
        out["apiVersion"], out["kind"] = rt.api_version, rt.kind
        out.setdefault("metadata", {})
        if rt.namespaced:
            out["metadata"]["namespace"] = ns
        status = {"allowed": allowed}
        if reason:
            status["reason"] = reason
        out["status"] = status
        ctx["class"] = "reads"
        return 201, out

    def _requester(self) -> tuple:
        """Who is asking: the ``Impersonate-User``/``Impersonate-Group`` headers when sent
        (k8s.io/apiserver pkg/endpoints/filters/impersonation.go; the impersonation permission
        itself is not checked), otherwise the twin's kubeconfig user, an admin in system:masters
        (the Talos admin kubeconfig certificate, O=system:masters)."""
        user = self.headers.get("Impersonate-User")
        if user:
            groups = self.headers.get_all("Impersonate-Group") or []
            if user.startswith("system:serviceaccount:"):
                parts = user.split(":")
                if len(parts) == 4:
                    groups = list(groups) + authz.service_account_user(parts[2], parts[3])[1][:2]
            return user, list(groups) + ["system:authenticated"]
        return "admin", ["system:masters", "system:authenticated"]

    def _delete_collection(self, rt, ns, query, ctx, dry, policy=None):
        store = self.server.store
        if rt.namespaced and ns is None:
            raise status_error(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")
        items, rv = store.list(rt, ns, query.get("labelSelector"), query.get("fieldSelector"))
        out = []
        for it in items:
            try:
                out.append(store.delete(rt, ns, it["metadata"]["name"], dry_run=dry, propagation=policy))
            except ApiError:
                pass
        ctx["class"] = "dry_run_writes" if dry else ("writes" if out else "noop_writes")
        return 200, {"apiVersion": rt.api_version, "kind": f"{rt.kind}List", "metadata": {"resourceVersion": rv}, "items": out}

    # -- write helpers
    @staticmethod
    def _strict(query) -> bool:
        return query.get("fieldValidation") == "Strict"

    def _check_type(self, rt: ResourceType, obj: Any) -> None:
        if not isinstance(obj, dict):
            raise status_error(400, f"the body of the request must be a JSON object, got {type(obj).__name__}")
        av, kind = obj.get("apiVersion"), obj.get("kind")
        if av is not None and av != rt.api_version:
            raise status_error(400, f"the API version in the data ({av}) does not match the expected API version ({rt.api_version})")
        if kind is not None and kind != rt.kind:
            raise status_error(400, f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
        if obj.get("metadata") is not None and not isinstance(obj.get("metadata"), dict):
            raise status_error(400, "metadata must be an object")

    def _prepare(
        self, rt: ResourceType, obj: dict, query: dict, ctx: dict, cur: Optional[dict], ns: Optional[str], sub: Optional[str] = None
    ) -> dict:
        """Normalise, default, prune and validate an object about to be stored; raise 400/422."""
        obj = copy.deepcopy(obj)
        if rt.has_status and sub != "status" and rt.kind != "Namespace":
            # the main resource never writes .status when a status subresource exists
            # (registry strategy PrepareForCreate/PrepareForUpdate), so it is not validated there
            obj.pop("status", None)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        meta = obj.setdefault("metadata", {})
        # Go's encoding/json drops empty omitempty maps/slices of ObjectMeta on the way to etcd
        for k in ("labels", "annotations", "finalizers", "ownerReferences"):
            if k in meta and not meta[k]:
                del meta[k]
        strict = self._strict(query)
        # explicit nulls mean "unset": Go's encoding/json leaves a struct field untouched for null
        # (built-ins), apiextensions-apiserver pkg/apiserver/schema/defaulting/prunenulls.go drops
        # nulls of non-nullable CR fields
        if rt.builtin:
            validation.drop_nulls(obj)
        else:
            validation.drop_nulls_cr(rt.schema, obj)
        # Secret stringData -> data (store does it too; done here so validation sees the result)
        if rt.group == "" and rt.kind == "Secret":
            data = obj.get("data") or {}
            for k, v in data.items():
                if not isinstance(v, str):
                    raise status_error(400, f'Secret in version "v1" cannot be handled as a Secret: data[{k}]: expected string')
                try:
                    base64.b64decode(v, validate=True)
                except (binascii.Error, ValueError):
                    raise status_error(400, f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data in data[{k}]')
        # pruning of unknown fields (fieldValidation=Warn default, Strict -> 400)
        if rt.builtin:
            dropped = validation.prune_builtin(obj)
        else:
            dropped = validation.prune_cr(rt.schema, obj)
        if dropped:
            if strict:
                raise status_error(400, "strict decoding error: " + ", ".join(f'unknown field "{d}"' for d in dropped))
            ctx["warnings"] += [f'unknown field "{d}"' for d in dropped]
        if (rt.group, rt.kind) == ("apps", "StatefulSet"):
            _default_statefulset(obj)
        if rt.group == "" and rt.kind == "Service":
            used = {((o.get("spec") or {}).get("clusterIP")) for o in self.server.store.list(rt)[0]}
            _default_service(obj, cur, used)
        errs = validation.validate_metadata(rt.group, rt.kind, meta, rt.namespaced)
        if rt.builtin:
            errs += validation.BUILTIN.validate(obj)
            if rt.key == CRD_TYPE.key:
                errs += _crd_errors(obj)
        else:
            errs += validation.validate_cr(rt.schema, obj)
        if cur is not None:
            errs += update_errors(rt, cur, obj)
        if errs:
            group_kind = rt.kind if not rt.group else f"{rt.kind}.{rt.group}"
            name = meta.get("name") or meta.get("generateName") or ""
            raise ApiError(
                422,
                "Invalid",
                f'{group_kind} "{name}" is invalid: ' + ", ".join(str(e) for e in errs),
                {"name": name, "group": rt.group, "kind": rt.kind, "causes": [e.cause() for e in errs]},
            )
        return obj

    def _create(self, rt, ns, body, query, ctx, dry):
        self._check_type(rt, body)
        meta = body.setdefault("metadata", {})
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != ns:
                raise status_error(400, "the namespace of the provided object does not match the namespace sent on the request")
        obj = self._prepare(rt, body, query, ctx, None, ns)
        self._track(rt, None, obj, query)
        out = self.server.store.create(rt, ns, obj, dry_run=dry)
        ctx["class"] = "dry_run_writes" if dry else "writes"
        return 201, out

    # -- field ownership (fieldmanager.py)
    def _manager(self, query) -> str:
        return query.get("fieldManager") or fieldmanager.manager_from_user_agent(self.headers.get("User-Agent"))

    @staticmethod
    def _schema_of(rt):
        if rt.builtin:
            return validation.BUILTIN.root(rt.api_version, rt.kind), fieldmanager.Schema(validation.BUILTIN)
        return rt.schema or {}, fieldmanager.Schema(None)

    def _track(self, rt, cur, obj, query, sub=None) -> None:
        """Operation Update bookkeeping of managedFields on create/PUT/non-apply PATCH."""
        root, sc = self._schema_of(rt)
        obj.setdefault("metadata", {}).pop("managedFields", None)
        if cur is not None and cur.get("metadata", {}).get("managedFields"):
            obj["metadata"]["managedFields"] = copy.deepcopy(cur["metadata"]["managedFields"])
        fieldmanager.record_update(cur, obj, self._manager(query), rt.api_version, root, sc, rt.has_status, sub)

    def _update(self, rt, ns, name, sub, body, query, ctx, dry):
        self._check_type(rt, body)
        store = self.server.store
        meta = body.setdefault("metadata", {})
        if meta.get("name") not in (None, name):
            raise status_error(400, "the name of the object does not match the name on the URL")
        if rt.namespaced and meta.get("namespace") not in (None, ns):
            raise status_error(400, "the namespace of the provided object does not match the namespace sent on the request")
        cur = store.get(rt, ns, name)
        meta["name"] = name
        if sub == "status":
            # /status takes only .status from the body (strategy PrepareForUpdate of *StatusStrategy)
            candidate = copy.deepcopy(cur)
            candidate["status"] = body.get("status")
            if body.get("metadata", {}).get("resourceVersion"):
                candidate["metadata"]["resourceVersion"] = body["metadata"]["resourceVersion"]
            obj = self._prepare(rt, candidate, query, ctx, cur, ns, sub)
        else:
            obj = self._prepare(rt, body, query, ctx, cur, ns)
        return self._replace(rt, ns, name, sub, obj, cur, ctx, dry, check_rv=True, query=query)

    def _replace(self, rt, ns, name, sub, obj, cur, ctx, dry, check_rv=True, query=None, track=True):
        if track:
            self._track(rt, cur, obj, query or {}, sub)
        out = self.server.store.replace(rt, ns, name, obj, dry_run=dry, subresource=sub, check_rv=check_rv)
        if dry:
            ctx["class"] = "dry_run_writes"
        elif out["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            ctx["class"] = "noop_writes"
        else:
            ctx["class"] = "writes"
        return 200, out

    def _patch(self, rt, ns, name, sub, raw, query, ctx, dry):
        store = self.server.store
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        supported = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
        if rt.builtin:
            supported.insert(2, "application/strategic-merge-patch+json")
        if ctype not in supported:
            # k8s.io/apiserver pkg/endpoints/handlers/patch.go: strategic merge is refused for CRs
            raise status_error(
                415,
                f"the body of the request was in an unknown format - accepted media types include: {', '.join(supported)}",
                "UnsupportedMediaType",
            )
        patch = self._parse_body(raw, ctype)
        if ctype == "application/apply-patch+yaml":
            return self._apply(rt, ns, name, sub, patch, query, ctx, dry)
        cur = store.get(rt, ns, name)
        base = copy.deepcopy(cur)
        if ctype == "application/json-patch+json":
            new = json_patch(base, patch)
        elif ctype == "application/merge-patch+json":
            if not isinstance(patch, dict):
                raise status_error(400, "merge patch body must be a JSON object")
            new = json_merge_patch(base, patch)
        else:
            if not isinstance(patch, dict):
                raise status_error(400, "strategic merge patch body must be a JSON object")
            root = validation.BUILTIN.root(rt.api_version, rt.kind)
            new = strategic_merge(base, patch, root, _BuiltinMeta(validation.BUILTIN))
        if not isinstance(new, dict):
            raise status_error(422, "the server rejected our request due to an error in our request: patch result is not an object", "Invalid")
        self._check_type(rt, new)
        new_meta = new.setdefault("metadata", {})
        if new_meta.get("name") != name:
            raise status_error(400, "the name of the object does not match the name on the URL")
        if sub == "status":
            candidate = copy.deepcopy(cur)
            candidate["status"] = new.get("status")
            candidate["metadata"]["resourceVersion"] = new_meta.get("resourceVersion")
            new = candidate
        obj = self._prepare(rt, new, query, ctx, cur, ns, sub)
        return self._replace(rt, ns, name, sub, obj, cur, ctx, dry, query=query)

    def _apply(self, rt, ns, name, sub, cfg, query, ctx, dry):
        """Server-side apply with field ownership (fieldmanager.py; handlers/patch.go applyPatcher)."""
        store = self.server.store
        manager = query.get("fieldManager")
        if not manager:
            raise status_error(400, "PATCH requests with apply content type require fieldManager to be set")
        # Go strconv.ParseBool spellings (the Python client sends "True")
        force = query.get("force")
        if force not in (None, "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"):
            raise status_error(400, "force must be a boolean")
        force = force in ("1", "t", "T", "TRUE", "true", "True")
        self._check_type(rt, cfg)
        if not cfg.get("apiVersion") or not cfg.get("kind"):
            raise status_error(400, "apply configuration must set apiVersion and kind")
        meta = cfg.setdefault("metadata", {})
        if meta.get("name") not in (None, name):
            raise status_error(400, "the name of the object does not match the name on the URL")
        meta["name"] = name
        meta.pop("managedFields", None)
        root, sc = self._schema_of(rt)
        sm = validation.BUILTIN if rt.builtin else None

        def merge(live, c):
            return strategic_merge(live, c, root, _ApplyMeta(sm))

        try:
            cur = store.get(rt, ns, name)
        except ApiError as e:
            if e.code != 404 or sub:
                raise
            if rt.namespaced:
                meta["namespace"] = ns
            empty = {"apiVersion": rt.api_version, "kind": rt.kind, "metadata": {}}
            new = fieldmanager.apply(empty, cfg, manager, force, rt.api_version, root, sc, rt.has_status, None, merge)
            new["metadata"].update({k: v for k, v in meta.items() if k in ("name", "namespace", "generateName")})
            obj = self._prepare(rt, new, query, ctx, None, ns)
            out = store.create(rt, ns, obj, dry_run=dry)
            ctx["class"] = "dry_run_writes" if dry else "writes"
            return 201, out
        try:
            new = fieldmanager.apply(cur, cfg, manager, force, rt.api_version, root, sc, rt.has_status, sub, merge)
        except fieldmanager.Conflict as c:
            message, causes = fieldmanager.conflict_error_parts(c.conflicts)
            raise ApiError(409, "Conflict", message, {"causes": causes})
        new["metadata"]["resourceVersion"] = cfg["metadata"].get("resourceVersion") or cur["metadata"]["resourceVersion"]
        if sub == "status":
            candidate = copy.deepcopy(cur)
            candidate["status"] = new.get("status")
            candidate["metadata"]["managedFields"] = new["metadata"].get("managedFields")
            new = candidate
        obj = self._prepare(rt, new, query, ctx, cur, ns, sub)
        return self._replace(rt, ns, name, sub, obj, cur, ctx, dry, query=query, track=False)


def _crd_errors(crd: dict) -> list[validation.FieldError]:
    """A few of apiextensions-apiserver pkg/apis/apiextensions/validation ValidateCustomResourceDefinition."""
    FE = validation.FieldError
    errs = []
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    name = (crd.get("metadata") or {}).get("name")
    if names.get("plural") and spec.get("group") and name != f"{names['plural']}.{spec['group']}":
        errs.append(FE("metadata.name", "FieldValueInvalid", f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group'))
    versions = spec.get("versions") or []
    if versions and sum(1 for v in versions if v.get("storage")) != 1:
        errs.append(FE("spec.versions", "FieldValueInvalid", "Invalid value: must have exactly one version marked as storage version"))
    if spec.get("scope") not in (None, "Namespaced", "Cluster"):
        errs.append(
            FE("spec.scope", "FieldValueNotSupported", f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", "Namespaced"')
        )
    for i, v in enumerate(versions):
        if not ((v.get("schema") or {}).get("openAPIV3Schema")):
            errs.append(FE(f"spec.versions[{i}].schema.openAPIV3Schema", "FieldValueRequired", "Required value: schemas are required"))
    return errs
