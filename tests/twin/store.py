"""In-memory object store of the twin's Kubernetes API.

This is the single source of truth shared by the HTTP API layer (``apiserver.py``)
and the simulated controllers (``controllers/``).  It owns the rules that the
upstream kube-apiserver applies to every stored object, each named with its
upstream source so divergences can be found:

* metadata bookkeeping: uid, resourceVersion, creationTimestamp, generation
  (k8s.io/apiserver pkg/registry/generic/registry/store.go, BeforeCreate/BeforeUpdate);
* ``generation`` moves only when non-metadata, non-status content changes
  (pkg/registry/*/strategy.go PrepareForUpdate);
* a write that changes nothing returns the stored object untouched (same
  resourceVersion): etcd3 store GuaranteedUpdate short-circuits identical objects;
* ``.status`` is ignored on the main resource when a status subresource exists,
  and only ``.status`` is taken on ``/status`` (strategy PrepareForUpdate);
* optimistic concurrency: a PUT carrying a stale resourceVersion is a 409 Conflict;
* finalizers: DELETE sets deletionTimestamp; removing the last finalizer deletes;
* namespace deletion removes its content; ownerReference garbage collection
  (pkg/controller/garbagecollector), done synchronously here;
* Secret ``stringData`` is merged into base64 ``data`` (pkg/apis/core/v1/conversion.go);
* ``generateName`` (k8s.io/apiserver pkg/storage/names);
* dry-run computes the result and persists nothing (KEP-576).

Divergences (known gaps): no server-side defaulting, no asynchronous namespace
termination, no watch.  Internal writes by controllers do not go through the
HTTP layer, so they are neither counted nor subject to fault injection.
"""

from __future__ import annotations

import base64
import copy
import datetime
import itertools
import random
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

DEFAULT_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


class ApiError(Exception):
    """An error the API returns as a ``Status`` object."""

    def __init__(self, code: int, reason: str, message: str, details: Optional[dict] = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}

    def status(self) -> dict:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


def not_found(rt: "ResourceType", name: str) -> ApiError:
    what = rt.plural if not rt.group else f"{rt.plural}.{rt.group}"
    return ApiError(404, "NotFound", f'{what} "{name}" not found', {"name": name, "group": rt.group, "kind": rt.plural})


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple = ()
    has_status: bool = False
    builtin: bool = True
    schema: Optional[dict] = field(default=None, compare=False, hash=False)
    verbs: tuple = DEFAULT_VERBS

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def key(self) -> tuple:
        return (self.group, self.version, self.plural)


def _rt(api_version: str, kind: str, plural: str, namespaced: bool = True, short=(), status=False) -> ResourceType:
    group, _unused, version = api_version.rpartition("/")
    return ResourceType(group, version, kind, plural, namespaced, tuple(short), status)


# Built-in kinds served by the twin (subset of k8s 1.33 discovery that the
# collection, kubernetes.core and the simulations use).
BUILTIN_TYPES = [
    _rt("v1", "Namespace", "namespaces", False, ("ns",), True),
    _rt("v1", "Node", "nodes", False, ("no",), True),
    _rt("v1", "Pod", "pods", True, ("po",), True),
    _rt("v1", "Service", "services", True, ("svc",), True),
    _rt("v1", "Endpoints", "endpoints", True, ("ep",)),
    _rt("v1", "ConfigMap", "configmaps", True, ("cm",)),
    _rt("v1", "Secret", "secrets", True),
    _rt("v1", "ServiceAccount", "serviceaccounts", True, ("sa",)),
    _rt("v1", "Event", "events", True, ("ev",)),
    _rt("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",), True),
    _rt("v1", "PersistentVolume", "persistentvolumes", False, ("pv",), True),
    _rt("apps/v1", "Deployment", "deployments", True, ("deploy",), True),
    _rt("apps/v1", "DaemonSet", "daemonsets", True, ("ds",), True),
    _rt("apps/v1", "StatefulSet", "statefulsets", True, ("sts",), True),
    _rt("apps/v1", "ReplicaSet", "replicasets", True, ("rs",), True),
    _rt("apps/v1", "ControllerRevision", "controllerrevisions", True),
    _rt("batch/v1", "Job", "jobs", True, (), True),
    _rt("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",), True),
    _rt("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    _rt("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _rt("rbac.authorization.k8s.io/v1", "Role", "roles", True),
    _rt("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True),
    _rt("storage.k8s.io/v1", "StorageClass", "storageclasses", False, ("sc",)),
    _rt("networking.k8s.io/v1", "Ingress", "ingresses", True, ("ing",), True),
    _rt("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    _rt("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("hpa",), True),
    _rt("coordination.k8s.io/v1", "Lease", "leases", True),
    # access reviews are create-only virtual resources (pkg/registry/authorization/*/rest.go)
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False, verbs=("create",)),
    ResourceType("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", False, verbs=("create",)),
    ResourceType("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", True, verbs=("create",)),
    _rt("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False, ("crd",), True),
]

CRD_TYPE = BUILTIN_TYPES[-1]


class Registry:
    """Which resource types exist; CRDs register and unregister at run time."""

    def __init__(self) -> None:
        self._types: dict[tuple, ResourceType] = {rt.key: rt for rt in BUILTIN_TYPES}

    def all(self) -> list[ResourceType]:
        return list(self._types.values())

    def by_path(self, group: str, version: str, plural: str) -> Optional[ResourceType]:
        return self._types.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> Optional[ResourceType]:
        group, _unused, version = api_version.rpartition("/")
        for rt in self._types.values():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None

    def groups(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for rt in self._types.values():
            versions = out.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        return out

    def resources(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self._types.values() if rt.group == group and rt.version == version]

    @staticmethod
    def types_of_crd(crd: dict) -> list[ResourceType]:
        spec = crd.get("spec", {})
        names = spec.get("names", {})
        out = []
        for v in spec.get("versions", []):
            if not v.get("served", True):
                continue
            schema = (v.get("schema") or {}).get("openAPIV3Schema")
            out.append(
                ResourceType(
                    group=spec["group"],
                    version=v["name"],
                    kind=names["kind"],
                    plural=names["plural"],
                    namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                    short_names=tuple(names.get("shortNames", ())),
                    has_status="status" in (v.get("subresources") or {}),
                    builtin=False,
                    schema=schema,
                )
            )
        return out

    def add_crd(self, crd: dict) -> None:
        for rt in self.types_of_crd(crd):
            self._types[rt.key] = rt

    def remove_crd(self, crd: dict) -> None:
        for rt in self.types_of_crd(crd):
            self._types.pop(rt.key, None)


# ---------------------------------------------------------------- selectors
_REQ_RE = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9_./-]+)\s*"
    r"(?:(?P<op>==|=|!=)\s*(?P<val>[A-Za-z0-9_.-]*)|\s+(?P<setop>in|notin)\s*\((?P<set>[^)]*)\))?\s*$"
)


def _split_selector(text: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def parse_label_selector(text: Optional[str]) -> Callable[[dict], bool]:
    """Label selector grammar of k8s.io/apimachinery pkg/labels/selector.go."""
    if not text:
        return lambda labels: True
    reqs = []
    for part in _split_selector(text):
        m = _REQ_RE.match(part)
        if not m:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: {part!r}")
        key, neg = m.group("key"), bool(m.group("neg"))
        if m.group("op"):
            op, val = m.group("op"), m.group("val")
            if op in ("=", "=="):
                reqs.append(lambda lb, k=key, v=val: lb.get(k) == v)
            else:
                reqs.append(lambda lb, k=key, v=val: lb.get(k) != v)
        elif m.group("setop"):
            values = {v.strip() for v in m.group("set").split(",") if v.strip()}
            if m.group("setop") == "in":
                reqs.append(lambda lb, k=key, vs=values: k in lb and lb[k] in vs)
            else:
                reqs.append(lambda lb, k=key, vs=values: lb.get(k) not in vs)
        elif neg:
            reqs.append(lambda lb, k=key: k not in lb)
        else:
            reqs.append(lambda lb, k=key: k in lb)
    return lambda labels: all(r(labels or {}) for r in reqs)


def _field_value(obj: dict, path: str):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def parse_field_selector(text: Optional[str]) -> Callable[[dict], bool]:
    """Field selectors: ``=``, ``==``, ``!=`` on any dotted path (metadata.name, spec.nodeName...)."""
    if not text:
        return lambda obj: True
    reqs = []
    for part in text.split(","):
        m = re.match(r"^\s*([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if not m:
            raise ApiError(400, "BadRequest", f"invalid field selector: {part!r}")
        path, op, val = m.groups()
        if op == "!=":
            reqs.append(lambda o, p=path, v=val: str(_field_value(o, p) or "") != v)
        else:
            reqs.append(lambda o, p=path, v=val: str(_field_value(o, p) or "") == v)
    return lambda obj: all(r(obj) for r in reqs)


# ---------------------------------------------------------------- helpers
def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _content(obj: dict) -> dict:
    """The part of an object whose change moves ``generation``."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


# managedFields is compared: an apply that only changes ownership is a real write (fieldmanager.py)
_VOLATILE_META = ("resourceVersion",)


def _comparable(obj: dict) -> dict:
    o = copy.deepcopy(obj)
    o.pop("apiVersion", None)
    o.pop("kind", None)
    meta = o.get("metadata", {})
    for k in _VOLATILE_META:
        meta.pop(k, None)
    return o


def _normalise_secret(obj: dict) -> None:
    if obj.get("kind") == "Secret" and "stringData" in obj:
        data = obj.setdefault("data", {}) or {}
        for k, v in (obj.pop("stringData") or {}).items():
            data[k] = base64.b64encode(str(v).encode()).decode()
        obj["data"] = data


def _etcd_key(item) -> str:
    """Sort key of a list: the etcd key ``/registry/<resource>/[<namespace>/]<name>`` compared
    byte-wise, which is the order etcd3 range reads return (k8s.io/apiserver
    pkg/storage/etcd3/store.go GetList over a key prefix). So namespace ``a-b`` sorts before ``a``
    ('-' < '/'), unlike a (namespace, name) tuple sort."""
    (_g, _p, ns, name), _obj = item
    return (f"{ns}/{name}" if ns is not None else name).encode()


GC_POLICIES = ("Foreground", "Background", "Orphan")

# The status a freshly created object is returned with: registry PrepareForCreate resets status
# to the zero struct, and encoding/json writes its fields without ``omitempty`` (k8s.io/api
# apps/v1 types.go StatefulSetStatus replicas/availableReplicas, DaemonSetStatus
# currentNumberScheduled/numberMisscheduled/desiredNumberScheduled/numberReady,
# ReplicaSetStatus replicas; DeploymentStatus and batch/v1 JobStatus have only omitempty fields).
ZERO_STATUS = {
    ("apps", "StatefulSet"): {"replicas": 0, "availableReplicas": 0},
    ("apps", "DaemonSet"): {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0},
    ("apps", "ReplicaSet"): {"replicas": 0},
    ("apps", "Deployment"): {},
    ("batch", "Job"): {},
}


def _default_job(job: dict) -> None:
    """Create-time rules of a batch/v1 Job: the generated selector and labels of
    pkg/registry/batch/job/strategy.go PrepareForCreate/generateSelector (unless
    spec.manualSelector) and the defaults of pkg/apis/batch/v1/defaults.go SetDefaults_Job."""
    spec = job.setdefault("spec", {})
    uid = job["metadata"]["uid"]
    labels = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": job["metadata"]["name"],
        "controller-uid": uid,
        "job-name": job["metadata"]["name"],
    }
    if not spec.get("manualSelector"):
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        tmeta = spec.setdefault("template", {}).setdefault("metadata", {})
        tmeta["labels"] = {**(tmeta.get("labels") or {}), **labels}
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", spec["parallelism"] if spec.get("completionMode") == "Indexed" else 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")


class Store:
    """Thread-safe object store. Every public method deep-copies in and out."""

    def __init__(self, registry: Optional[Registry] = None) -> None:
        self.registry = registry or Registry()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self._objs: dict[tuple, dict] = {}
        self._rv = itertools.count(1000)
        self.revision = 0  # bumps on every committed change; controllers wait on it

    # ------------------------------------------------------------ reads
    @staticmethod
    def _k(rt: ResourceType, ns: Optional[str], name: str) -> tuple:
        return (rt.group, rt.plural, ns if rt.namespaced else None, name)

    def get(self, rt: ResourceType, ns: Optional[str], name: str) -> dict:
        with self.lock:
            obj = self._objs.get(self._k(rt, ns, name))
            if obj is None:
                raise not_found(rt, name)
            return self._out(rt, obj)

    def find(self, api_version: str, kind: str, ns: Optional[str], name: str) -> Optional[dict]:
        """Convenience for controllers: get by apiVersion/kind, ``None`` when absent."""
        rt = self.registry.by_kind(api_version, kind)
        if rt is None:
            return None
        try:
            return self.get(rt, ns, name)
        except ApiError:
            return None

    def list(
        self,
        rt: ResourceType,
        ns: Optional[str] = None,
        label_selector: Optional[str] = None,
        field_selector: Optional[str] = None,
    ) -> tuple[list[dict], str]:
        lsel = parse_label_selector(label_selector)
        fsel = parse_field_selector(field_selector)
        with self.lock:
            items = [
                self._out(rt, o)
                for (g, p, n, _unused), o in sorted(self._objs.items(), key=_etcd_key)
                if g == rt.group
                and p == rt.plural
                and (ns is None or n == ns)
                and lsel(o.get("metadata", {}).get("labels", {}))
                and fsel(o)
            ]
            return items, str(self._current_rv())

    def list_kind(self, api_version: str, kind: str, ns: Optional[str] = None, label_selector: Optional[str] = None) -> list[dict]:
        rt = self.registry.by_kind(api_version, kind)
        return [] if rt is None else self.list(rt, ns, label_selector)[0]

    def _current_rv(self) -> int:
        return self.revision + 1000

    def _out(self, rt: ResourceType, obj: dict) -> dict:
        o = copy.deepcopy(obj)
        o["apiVersion"] = rt.api_version
        o["kind"] = rt.kind
        return o

    # ------------------------------------------------------------ writes
    def _check_namespace(self, rt: ResourceType, ns: Optional[str]) -> None:
        if rt.namespaced:
            if not ns:
                raise ApiError(400, "BadRequest", "the namespace of the object must be set")
            if self._k(self.registry.by_path("", "v1", "namespaces"), None, ns) not in self._objs:
                raise ApiError(404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"})

    def create(self, rt: ResourceType, ns: Optional[str], obj: dict, dry_run: bool = False) -> dict:
        obj = copy.deepcopy(obj)
        with self.lock:
            meta = obj.setdefault("metadata", {})
            if rt.namespaced:
                ns = ns or meta.get("namespace")
                meta["namespace"] = ns
            else:
                meta.pop("namespace", None)
                ns = None
            self._check_namespace(rt, ns)
            if not meta.get("name"):
                if meta.get("generateName"):
                    # k8s.io/apiserver pkg/storage/names/generate.go: base cut to 58 chars + 5 chars of
                    # apimachinery pkg/util/rand alphanums (no vowels, no 0/1/3)
                    suffix = "".join(random.choices("bcdfghjklmnpqrstvwxz2456789", k=5))
                    meta["name"] = meta["generateName"][:58] + suffix
                else:
                    raise ApiError(422, "Invalid", f"{rt.kind} is invalid: metadata.name: Required value: name or generateName is required")
            key = self._k(rt, ns, meta["name"])
            if key in self._objs:
                what = rt.plural if not rt.group else f"{rt.plural}.{rt.group}"
                raise ApiError(409, "AlreadyExists", f'{what} "{meta["name"]}" already exists', {"name": meta["name"], "kind": rt.plural})
            _normalise_secret(obj)
            if rt.has_status and rt.kind not in ("Namespace",):
                obj.pop("status", None)
                zero = ZERO_STATUS.get((rt.group, rt.kind))
                if zero is not None:
                    obj["status"] = copy.deepcopy(zero)
            if rt.kind == "Namespace":
                obj["status"] = {"phase": "Active"}
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_iso()
            if (rt.group, rt.kind) == ("batch", "Job"):
                _default_job(obj)
            meta["generation"] = 1
            meta.pop("resourceVersion", None)
            meta.pop("deletionTimestamp", None)
            obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
            if dry_run:
                meta["resourceVersion"] = str(self._current_rv())
                return self._out(rt, obj)
            self._commit(rt, key, obj)
            if rt is CRD_TYPE or rt.key == CRD_TYPE.key:
                self.registry.add_crd(obj)
                self._set_crd_established(key)
            return self._out(rt, self._objs[key])

    def _set_crd_established(self, key: tuple) -> None:
        crd = self._objs[key]
        crd["status"] = {
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "lastTransitionTime": now_iso()},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "lastTransitionTime": now_iso()},
            ],
            "acceptedNames": crd["spec"]["names"],
            "storedVersions": [v["name"] for v in crd["spec"]["versions"] if v.get("storage")],
        }

    def replace(
        self,
        rt: ResourceType,
        ns: Optional[str],
        name: str,
        obj: dict,
        dry_run: bool = False,
        subresource: Optional[str] = None,
        check_rv: bool = True,
    ) -> dict:
        """Full replace (PUT semantics). Patches are computed by the caller and land here."""
        obj = copy.deepcopy(obj)
        with self.lock:
            ns = ns if rt.namespaced else None
            key = self._k(rt, ns, name)
            cur = self._objs.get(key)
            if cur is None:
                raise not_found(rt, name)
            meta = obj.setdefault("metadata", {})
            given_rv = meta.get("resourceVersion")
            if check_rv and given_rv and given_rv != cur["metadata"]["resourceVersion"]:
                raise ApiError(
                    409,
                    "Conflict",
                    f'Operation cannot be fulfilled on {rt.plural} "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again",
                    {"name": name, "kind": rt.plural},
                )
            if meta.get("name", name) != name:
                raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
            _normalise_secret(obj)
            new = copy.deepcopy(cur) if subresource == "status" else obj
            if subresource == "status":
                new["status"] = obj.get("status")
                if new["status"] is None:
                    new.pop("status")
            else:
                # immutable / server-owned metadata
                for k in ("uid", "creationTimestamp", "generation", "deletionTimestamp", "namespace"):
                    if k in cur["metadata"]:
                        meta[k] = cur["metadata"][k]
                    else:
                        meta.pop(k, None)
                if rt.has_status:
                    if "status" in cur:
                        new["status"] = copy.deepcopy(cur["status"])
                    else:
                        new.pop("status", None)
            new["apiVersion"], new["kind"] = rt.api_version, rt.kind
            new["metadata"]["resourceVersion"] = cur["metadata"]["resourceVersion"]
            if _comparable(new) == _comparable(cur):
                return self._out(rt, cur)  # no-op write: stored object unchanged
            if _content(new) != _content(cur):
                new["metadata"]["generation"] = cur["metadata"].get("generation", 1) + 1
            if dry_run:
                return self._out(rt, new)
            if cur["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
                self._remove(rt, key)
                return self._out(rt, new)
            self._commit(rt, key, new)
            if rt.key == CRD_TYPE.key:
                self.registry.add_crd(new)
            return self._out(rt, self._objs[key])

    @staticmethod
    def default_gc_policy(rt: ResourceType) -> str:
        """DefaultGarbageCollectionPolicy of the registry strategies: batch/v1 Jobs orphan their pods
        (pkg/registry/batch/job/strategy.go), everything else the twin serves deletes in the
        background (k8s.io/apiserver pkg/registry/rest/delete.go)."""
        return "Orphan" if (rt.group, rt.version, rt.kind) == ("batch", "v1", "Job") else "Background"

    def delete(
        self,
        rt: ResourceType,
        ns: Optional[str],
        name: str,
        dry_run: bool = False,
        propagation: Optional[str] = None,
        preconditions: Optional[dict] = None,
    ) -> dict:
        """DELETE with the garbage-collection propagation policies of the API conventions
        (https://kubernetes.io/docs/concepts/architecture/garbage-collection/, k8s.io/apiserver
        pkg/registry/generic/registry/store.go Delete/updateForGracefulDeletionAndFinalizers,
        pkg/controller/garbagecollector): ``Orphan`` adds the ``orphan`` finalizer, which the
        collector handles by removing the owner's ownerReferences from the dependents;
        ``Foreground`` adds ``foregroundDeletion``: the owner stays (deletionTimestamp set) until
        its dependents are gone; ``Background`` deletes the owner at once and the collector
        deletes the dependents. The collector runs synchronously here, so the response carries
        the owner as the registry returned it and a following GET already sees the end state."""
        with self.lock:
            ns = ns if rt.namespaced else None
            key = self._k(rt, ns, name)
            cur = self._objs.get(key)
            if cur is None:
                raise not_found(rt, name)
            pre = preconditions or {}
            for field_name, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                want = pre.get(field_name)
                if want and want != cur["metadata"].get(field_name):
                    # k8s.io/apiserver pkg/storage/interfaces.go Preconditions.Check -> 409 Conflict
                    what = rt.plural if not rt.group else f"{rt.plural}.{rt.group}"
                    raise ApiError(
                        409,
                        "Conflict",
                        f'Operation cannot be fulfilled on {what} "{name}": Precondition failed: {label} in precondition: {want}, '
                        f"{label} in object meta: {cur['metadata'].get(field_name)}",
                        {"name": name, "group": rt.group, "kind": rt.plural},
                    )
            policy = propagation or self.default_gc_policy(rt)
            if dry_run:
                return self._out(rt, cur)
            if cur["metadata"].get("deletionTimestamp"):
                return self._out(rt, cur)
            uid = cur["metadata"].get("uid")
            if policy == "Orphan":
                self._orphan_dependents(uid)
            elif policy == "Foreground":
                marked = copy.deepcopy(cur)
                marked["metadata"]["deletionTimestamp"] = now_iso()
                marked["metadata"]["finalizers"] = list(marked["metadata"].get("finalizers") or []) + ["foregroundDeletion"]
                self._commit(rt, key, marked)
                answer = self._out(rt, marked)
                self._delete_dependents_foreground(uid)
                left = copy.deepcopy(self._objs[key])
                left["metadata"]["finalizers"] = [f for f in left["metadata"]["finalizers"] if f != "foregroundDeletion"]
                if left["metadata"]["finalizers"]:
                    self._commit(rt, key, left)
                else:
                    self._remove(rt, key)
                return answer
            if cur["metadata"].get("finalizers"):
                cur["metadata"]["deletionTimestamp"] = now_iso()
                self._commit(rt, key, cur)
                return self._out(rt, cur)
            return self._remove(rt, key)

    def _dependents(self, uid: str) -> list[tuple]:
        return [k for k, o in self._objs.items() if any(r.get("uid") == uid for r in o.get("metadata", {}).get("ownerReferences") or [])]

    def _orphan_dependents(self, uid: str) -> None:
        """garbagecollector.go orphanDependents: drop the owner's references from its dependents."""
        for k in self._dependents(uid):
            o = copy.deepcopy(self._objs[k])
            refs = [r for r in o["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
            if refs:
                o["metadata"]["ownerReferences"] = refs
            else:
                o["metadata"].pop("ownerReferences", None)
            self._commit(self._rt_of_key(k), k, o)

    def _delete_dependents_foreground(self, uid: str) -> None:
        """Foreground: dependents are deleted (foreground again, recursively) before the owner."""
        for k in self._dependents(uid):
            if k not in self._objs:
                continue
            o = self._objs[k]
            refs = o["metadata"].get("ownerReferences") or []
            if any(r.get("uid") != uid for r in refs):
                # another owner still holds it: only this reference goes (attemptToDeleteItem)
                o = copy.deepcopy(o)
                o["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                self._commit(self._rt_of_key(k), k, o)
                continue
            self._delete_dependents_foreground(o["metadata"].get("uid"))
            if o["metadata"].get("finalizers"):
                o = copy.deepcopy(o)
                o["metadata"].setdefault("deletionTimestamp", now_iso())
                self._commit(self._rt_of_key(k), k, o)
            else:
                self._remove(self._rt_of_key(k), k)

    def _rt_of_key(self, key: tuple) -> ResourceType:
        for rt in self.registry.all():
            if rt.group == key[0] and rt.plural == key[1]:
                return rt
        raise KeyError(key)

    def _remove(self, rt: ResourceType, key: tuple) -> dict:
        cur = self._objs.pop(key)
        uid = cur["metadata"].get("uid")
        if rt.key == CRD_TYPE.key:
            self.registry.remove_crd(cur)
            names = cur["spec"]["names"]
            for k in [k for k in self._objs if k[0] == cur["spec"]["group"] and k[1] == names["plural"]]:
                self._objs.pop(k)
        if rt.kind == "Namespace" and rt.group == "":
            for k in [k for k in self._objs if k[2] == key[3]]:
                self._objs.pop(k)
        self._collect_garbage({uid})
        self._bump()
        return self._out(rt, cur)

    def _collect_garbage(self, gone_uids: set) -> None:
        """Background deletion: a dependent whose owners are all gone is deleted (pkg/controller/
        garbagecollector attemptToDeleteItem); one with finalizers gets its deletionTimestamp."""
        while gone_uids:
            nxt = set()
            for k, o in list(self._objs.items()):
                refs = o.get("metadata", {}).get("ownerReferences") or []
                if refs and all(r.get("uid") in gone_uids for r in refs):
                    if o["metadata"].get("finalizers"):
                        if not o["metadata"].get("deletionTimestamp"):
                            o["metadata"]["deletionTimestamp"] = now_iso()
                        continue
                    self._objs.pop(k)
                    nxt.add(o["metadata"].get("uid"))
            gone_uids = nxt

    def touch(self, rt: ResourceType, ns: Optional[str], name: str) -> Optional[str]:
        """Move an object's resourceVersion without changing it: what a concurrent writer does,
        used by the fault model's 409 on updates (see apiserver.Faults). Returns the new rv."""
        with self.lock:
            key = self._k(rt, ns if rt.namespaced else None, name)
            cur = self._objs.get(key)
            if cur is None:
                return None
            self._commit(rt, key, copy.deepcopy(cur))
            return self._objs[key]["metadata"]["resourceVersion"]

    def _commit(self, rt: ResourceType, key: tuple, obj: dict) -> None:
        self._bump()
        obj["metadata"]["resourceVersion"] = str(self._current_rv())
        obj.pop("apiVersion", None)
        obj.pop("kind", None)
        self._objs[key] = obj

    def _bump(self) -> None:
        self.revision += 1
        self.changed.notify_all()

    # ------------------------------------------------------------ controller helpers
    def upsert(self, obj: dict) -> dict:
        """Create or replace (by apiVersion/kind/namespace/name), for controllers. No-op when equal."""
        rt = self.registry.by_kind(obj["apiVersion"], obj["kind"])
        if rt is None:
            raise ApiError(404, "NotFound", f"no kind {obj['kind']} in {obj['apiVersion']}")
        meta = obj.get("metadata", {})
        with self.lock:
            try:
                cur = self.get(rt, meta.get("namespace"), meta["name"])
            except ApiError:
                return self.create(rt, meta.get("namespace"), obj)
            merged = copy.deepcopy(obj)
            merged["metadata"] = {**cur["metadata"], **meta}
            return self.replace(rt, meta.get("namespace"), meta["name"], merged, check_rv=False)

    def set_status(self, api_version: str, kind: str, ns: Optional[str], name: str, status: dict) -> Optional[dict]:
        """Write ``.status`` of an object if it differs; no-op otherwise. ``None`` if the object is gone."""
        rt = self.registry.by_kind(api_version, kind)
        with self.lock:
            try:
                cur = self.get(rt, ns, name)
            except ApiError:
                return None
            if cur.get("status") == status:
                return cur
            cur["status"] = status
            return self.replace(rt, ns, name, cur, subresource="status" if rt.has_status else None, check_rv=False)

    def delete_kind(self, api_version: str, kind: str, ns: Optional[str], name: str) -> bool:
        rt = self.registry.by_kind(api_version, kind)
        try:
            self.delete(rt, ns, name)
            return True
        except (ApiError, TypeError):
            return False

    def wait_for_change(self, since: int, timeout: float) -> int:
        with self.changed:
            if self.revision == since:
                self.changed.wait(timeout)
            return self.revision

    def iter_all(self) -> Iterable[dict]:
        with self.lock:
            return [copy.deepcopy(o) for o in self._objs.values()]
