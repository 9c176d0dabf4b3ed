"""Field ownership (``metadata.managedFields``) and server-side apply of the twin's API server.

A reduced structured-merge-diff (sigs.k8s.io/structured-merge-diff v4/v6 ``fieldpath`` and
``merge``, as wired by k8s.io/apimachinery pkg/util/managedfields and k8s.io/apiserver
pkg/endpoints/handlers/fieldmanager), modelled at field-path granularity:

* a *field set* is a set of paths; a path is a tuple of FieldsV1 elements: ``f:<field>`` (map
  field), ``k:{"name":"x"}`` (element of a list with ``x-kubernetes-list-type: map``, keyed by
  its ``x-kubernetes-list-map-keys``), ``v:<json>`` (element of a ``set`` list). Atomic lists and
  scalars are leaves; a non-empty map is owned through its children. Built-in list types come
  from the OpenAPI of the emulated version (the same extensions SMD's typed schema is built from);
  CRD schemas without ``x-kubernetes-list-type`` lists are atomic (apiextensions defaulting);
* ``metadata.managedFields`` entries ``{manager, operation: Apply|Update, apiVersion, time,
  fieldsType: FieldsV1, fieldsV1[, subresource]}`` (k8s.io/apimachinery pkg/apis/meta/v1
  types.go ManagedFieldsEntry), FieldsV1 encoded as SMD's fieldpath serialisation (``.`` marks a
  member that also has children);
* apiVersion, kind and server-owned metadata are not tracked (managedfields/internal
  stripmeta.go), nor ``.status`` on the main resource of a kind with a status subresource
  (ResetFieldsStrategy);
* Update (create/PUT/merge/JSON/strategic patch): the manager (``fieldManager`` or the
  User-Agent prefix, handlers/rest.go prefixFromUserAgent) takes the fields whose value it
  changed from every other manager; removed fields leave every set (managedfields/internal
  structuredmerge.go Update);
* Apply: the applied configuration's set replaces the manager's previous Apply set; fields the
  manager owned before and no longer applies are removed from the object unless someone else
  owns them; a field in the configuration whose value differs from the live value and that
  another manager owns is a conflict (409, ``Apply failed with N conflict(s)``, causes of type
  ``FieldManagerConflict``, managedfields/internal/conflict.go) unless ``force=true``, which takes
  the ownership; equal values become shared ownership. An explicit ``null`` in the configuration
  removes the field (and nobody owns it afterwards);
* an entry whose set becomes empty is dropped; an entry's ``time`` moves only when its set
  changes, so a repeated identical apply or update is a no-op (same resourceVersion).

Not modelled: the "last-applied" upgrade path from client-side apply, per-version conversion of
field sets, granular maps (``x-kubernetes-map-type``), ownership of list elements by index.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Optional

from .store import now_iso

STRIPPED_META = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
)


class Conflict(Exception):
    def __init__(self, conflicts: list):
        super().__init__("apply conflict")
        self.conflicts = conflicts  # [(manager, path)]


# ------------------------------------------------------------------ schema access
class Schema:
    """List types and children from an OpenAPI node (built-in via BuiltinSchemas, or a CRD schema)."""

    def __init__(self, builtin=None):
        self.sm = builtin

    def child(self, node, key):
        if self.sm is not None:
            return self.sm.child(node, key)
        n = node if isinstance(node, dict) else {}
        raw = (n.get("properties") or {}).get(key)
        if raw is None and isinstance(n.get("additionalProperties"), dict):
            raw = n["additionalProperties"]
        return raw

    def resolve(self, node):
        return self.sm.resolve(node) if self.sm is not None else node

    def items(self, node):
        node = self.resolve(node)
        return node.get("items") if isinstance(node, dict) else None

    def list_type(self, node) -> tuple:
        raw = node if isinstance(node, dict) else {}
        lt = raw.get("x-kubernetes-list-type")
        if lt == "map":
            return "map", tuple(raw.get("x-kubernetes-list-map-keys") or ())
        if lt == "set":
            return "set", None
        if lt is None and self.sm is not None and raw.get("x-kubernetes-patch-merge-key"):
            return "map", (raw["x-kubernetes-patch-merge-key"],)
        return "atomic", None


def _key_json(elem: dict, keys: tuple) -> str:
    return json.dumps({k: elem[k] for k in keys if k in elem}, sort_keys=True, separators=(",", ":"))


def _value_json(v) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


# ------------------------------------------------------------------ field sets
def fieldset(obj: dict, root, sc: Schema, has_status: bool, sub: Optional[str] = None) -> set:
    """The field set of ``obj`` (top level: apiVersion/kind/stripped metadata excluded)."""
    out: set = set()
    for k, v in (obj or {}).items():
        if k in ("apiVersion", "kind"):
            continue
        if has_status and ((k == "status") != (sub == "status")):
            continue
        if k == "metadata" and isinstance(v, dict):
            node = sc.child(root, "metadata")
            for mk, mv in v.items():
                if mk in STRIPPED_META:
                    continue
                _walk(mv, sc.child(node, mk), sc, ("f:metadata", "f:" + mk), out)
            continue
        _walk(v, sc.child(root, k), sc, ("f:" + k,), out)
    return out


def _walk(v, node, sc: Schema, path: tuple, out: set) -> None:
    if v is None:
        return
    if isinstance(v, dict) and v:
        for k, sub in v.items():
            _walk(sub, sc.child(node, k), sc, path + ("f:" + k,), out)
        return
    if isinstance(v, list) and v:
        lt, keys = sc.list_type(sc.resolve(node))
        item = sc.items(node)
        if lt == "map":
            for elem in v:
                if not isinstance(elem, dict):
                    continue
                ep = path + ("k:" + _key_json(elem, keys),)
                out.add(ep)
                for k, sub in elem.items():
                    _walk(sub, sc.child(item, k), sc, ep + ("f:" + k,), out)
            return
        if lt == "set":
            for elem in v:
                out.add(path + ("v:" + _value_json(elem),))
            return
    out.add(path)


def to_fields_v1(paths: set) -> dict:
    tree: dict = {}
    for p in sorted(paths):
        node = tree
        for el in p:
            node = node.setdefault(el, {})
    for p in paths:
        node = tree
        for el in p:
            node = node[el]
        if node and "." not in node:
            node["."] = {}
    return tree


def from_fields_v1(d: dict, prefix: tuple = ()) -> set:
    out: set = set()
    for k, sub in (d or {}).items():
        if k == ".":
            out.add(prefix)
        elif not sub:
            out.add(prefix + (k,))
        else:
            out |= from_fields_v1(sub, prefix + (k,))
    return out


def path_string(p: tuple) -> str:
    """SMD fieldpath.Path.String: ``.spec.containers[name="web"].image``, ``.metadata.finalizers[="x"]``."""
    s = ""
    for el in p:
        kind, val = el[:1], el[2:]
        if kind == "f":
            s += "." + val
        elif kind == "k":
            s += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(val).items()) + "]"
        else:
            s += "[=" + val + "]"
    return s


_MISSING = object()


def value_at(obj: Any, p: tuple):
    cur = obj
    for el in p:
        kind, val = el[:1], el[2:]
        if kind == "f":
            if not isinstance(cur, dict) or val not in cur:
                return _MISSING
            cur = cur[val]
        elif kind == "k":
            want = json.loads(val)
            if not isinstance(cur, list):
                return _MISSING
            cur = next((e for e in cur if isinstance(e, dict) and all(e.get(k) == v for k, v in want.items())), _MISSING)
            if cur is _MISSING:
                return cur
        else:
            want = json.loads(val)
            return want if isinstance(cur, list) and want in cur else _MISSING
    return cur


def remove_path(obj: dict, p: tuple) -> None:
    parent = value_at(obj, p[:-1]) if len(p) > 1 else obj
    el = p[-1]
    kind, val = el[:1], el[2:]
    if kind == "f" and isinstance(parent, dict):
        parent.pop(val, None)
    elif kind == "k" and isinstance(parent, list):
        want = json.loads(val)
        parent[:] = [e for e in parent if not (isinstance(e, dict) and all(e.get(k) == v for k, v in want.items()))]
    elif kind == "v" and isinstance(parent, list):
        want = json.loads(val)
        parent[:] = [e for e in parent if e != want]


def _prune_empty(obj: dict, p: tuple, owned: set) -> None:
    """After a removal: drop parents left empty that nobody owns as a member."""
    for n in range(len(p) - 1, 1, -1):
        q = p[:n]
        v = value_at(obj, q)
        if v in ({}, []) and q not in owned:
            remove_path(obj, q)
        else:
            return


# ------------------------------------------------------------------ managedFields entries
def manager_from_user_agent(ua: Optional[str]) -> str:
    """handlers/rest.go prefixFromUserAgent: the part before the first '/', at most 128 chars."""
    return (ua or "unknown").split("/")[0][:128]


def _entries(meta: dict) -> list:
    return copy.deepcopy(meta.get("managedFields") or [])


def _ident(e: dict) -> tuple:
    return (e.get("manager"), e.get("operation"), e.get("subresource", ""))


def _sets(entries: list) -> list:
    return [(e, from_fields_v1(e.get("fieldsV1") or {})) for e in entries]


def _rebuild(pairs: list, api_version: str) -> list:
    out = []
    for e, fs in pairs:
        if not fs:
            continue
        new = from_fields_v1(e.get("fieldsV1") or {}) != fs
        e = dict(e)
        if new or "time" not in e:
            e["time"] = now_iso()
            e["apiVersion"] = api_version
        e["fieldsType"] = "FieldsV1"
        e["fieldsV1"] = to_fields_v1(fs)
        out.append(e)
    return out


def record_update(cur: Optional[dict], new: dict, manager: str, api_version: str, root, sc: Schema, has_status: bool, sub: Optional[str]) -> None:
    """Operation Update: set ``new['metadata']['managedFields']`` (in place)."""
    fs_new = fieldset(new, root, sc, has_status, sub)
    if cur is None:
        changed, removed, pairs = fs_new, set(), []
    else:
        fs_old = fieldset(cur, root, sc, has_status, sub)
        changed = {p for p in fs_new if p not in fs_old or value_at(cur, p) != value_at(new, p)}
        removed = fs_old - fs_new
        pairs = _sets(_entries(cur["metadata"]))
    ident = (manager, "Update", sub or "")
    if not changed and not removed:
        if cur is not None:
            new["metadata"]["managedFields"] = _entries(cur["metadata"])
            if not new["metadata"]["managedFields"]:
                new["metadata"].pop("managedFields")
        return
    pairs = [(e, fs - changed - removed) if _ident(e) != ident else (e, (fs | changed) - removed) for e, fs in pairs]
    if not any(_ident(e) == ident for e, _fs in pairs):
        e = {"manager": manager, "operation": "Update"}
        if sub:
            e["subresource"] = sub
        pairs.append((e, set(changed)))
    entries = _rebuild(pairs, api_version)
    if entries:
        new["metadata"]["managedFields"] = entries
    else:
        new["metadata"].pop("managedFields", None)


def _nulls(v, path: tuple, node, sc: Schema, out: list) -> Any:
    """Strip explicit nulls from an apply configuration; collect their paths (to delete)."""
    if isinstance(v, dict):
        res = {}
        for k, sub in v.items():
            p = path + ("f:" + k,)
            if sub is None:
                out.append(p)
                continue
            res[k] = _nulls(sub, p, sc.child(node, k), sc, out)
        return res
    return v


def apply(
    cur: dict, cfg: dict, manager: str, force: bool, api_version: str, root, sc: Schema, has_status: bool, sub: Optional[str], merge
) -> dict:
    """Server-side apply of ``cfg`` onto ``cur``; returns the new object (managedFields set).

    ``merge(live, cfg)`` merges a configuration into an object (maps merged, map-lists merged by
    key, set-lists unioned, atomic lists replaced). Raises Conflict."""
    null_paths: list = []
    cfg = _nulls(cfg, (), root, sc, null_paths)
    fs_cfg = fieldset(cfg, root, sc, has_status, sub)
    ident = (manager, "Apply", sub or "")
    pairs = _sets(_entries(cur.get("metadata") or {}))
    conflicts = []
    for e, fs in pairs:
        if _ident(e) == ident:
            continue
        for p in sorted(fs & fs_cfg):
            if value_at(cur, p) != value_at(cfg, p) and not p[-1].startswith(("k:", "v:")):
                conflicts.append((e, p))
    if conflicts and not force:
        raise Conflict(conflicts)
    taken = {p for _e, p in conflicts}
    prev = next((fs for e, fs in pairs if _ident(e) == ident), set())
    others = set().union(*[fs for e, fs in pairs if _ident(e) != ident]) if pairs else set()
    new = copy.deepcopy(cur)
    owned_after = (others - taken) | fs_cfg
    for p in sorted(prev - fs_cfg - others, key=len, reverse=True):
        remove_path(new, p)
        _prune_empty(new, p, owned_after)
    for p in null_paths:
        remove_path(new, p)
    new = merge(new, cfg)
    gone = set(null_paths)
    pairs = [(e, fs - taken - {q for q in fs if any(q[: len(g)] == g for g in gone)}) if _ident(e) != ident else (e, fs_cfg) for e, fs in pairs]
    if not any(_ident(e) == ident for e, _fs in pairs):
        e = {"manager": manager, "operation": "Apply"}
        if sub:
            e["subresource"] = sub
        pairs.append((e, set(fs_cfg)))
    entries = _rebuild(pairs, api_version)
    new.setdefault("metadata", {})
    if entries:
        new["metadata"]["managedFields"] = entries
    else:
        new["metadata"].pop("managedFields", None)
    return new


def conflict_error_parts(conflicts: list) -> tuple:
    """(message, causes) of managedfields/internal/conflict.go NewConflictError."""
    causes = [{"type": "FieldManagerConflict", "message": f'conflict with "{e["manager"]}"', "field": path_string(p)} for e, p in conflicts]

    def who(e):
        s = f'"{e["manager"]}"'
        if e.get("subresource"):
            s += f' with subresource "{e["subresource"]}"'
        if e.get("operation") == "Update":
            # printManager: "<manager> using <apiVersion> at <time RFC3339>" (no " at" without a time)
            s += f' using {e.get("apiVersion")}' + (f' at {e["time"]}' if e.get("time") else "")
        return s

    if len(conflicts) == 1:
        e, p = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {who(e)}: {path_string(p)}", causes
    by: dict = {}
    for e, p in conflicts:
        by.setdefault(who(e), []).append(path_string(p))
    lines = []
    for m in sorted(by):
        lines.append(f"conflicts with {m}:")
        lines += [f"- {p}" for p in by[m]]
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines), causes
