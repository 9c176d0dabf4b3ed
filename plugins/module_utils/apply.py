# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the k8s_apply module: plan, select, retry, redact, report.

``apply_objects()`` runs the whole apply of a list of manifests given two callables that talk to
the API server (``plan(definition)``: a server-side dry run, ``write(definition)``: the real
write; both return a kubernetes.core ``perform_action`` result). It has no API code of its own, so
it is unit-tested with fakes; the module wires it to kubernetes.core's ``K8sService``.

1. Plan every object (list order) with a server-side dry run, except those inside (or being) a
   namespace the caller found missing: a dry run there answers 404, so they count as changed.
   A failing plan fails before anything is written.
2. Unless in check mode, write only the objects whose plan says changed, in list order.

Each call is retried on its own by the collection's one retry policy (module_utils/retry.py: a
transient answer only, bounded exponential backoff, a 429's Retry-After honoured). Every other
failure stops the run at once with the object it concerns.
"""

from __future__ import annotations

import base64
import copy
import time
from typing import Any, Callable, Iterable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.retry import call_with_retry, transient_status

REDACTED = "<redacted>"


class ApplyError(Exception):
    """A failure of one object's plan or write, with what had been written before it."""

    def __init__(self, msg, object_id, step, attempts, written):
        super(ApplyError, self).__init__(msg)
        self.msg = msg
        self.object_id = object_id
        self.step = step
        self.attempts = attempts
        self.written = written


class UnconfirmedCreate(Exception):
    """A create the API server did not confirm: kubernetes.core answers a 409 to a POST with an empty result.

    kubernetes.core ``K8sService.create`` catches ``ConflictError`` (meant for ProjectRequests), warns and
    returns ``{}``: the object may not exist at all. It counts as a 409 here, so the create is retried;
    the retry reads the object first and patches it when it does exist (a real AlreadyExists).
    """

    status = 409

    def __init__(self, oid):
        super(UnconfirmedCreate, self).__init__("the API server answered 409 Conflict to the create of %s" % oid)


def confirmed(obj: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """``result`` of a write, or ``UnconfirmedCreate`` raised for a create that returned no object."""
    if result.get("method") == "create" and not result.get("result"):
        raise UnconfirmedCreate(object_id(obj))
    return result


# ------------------------------------------------------------------ identities
def object_id(obj: dict[str, Any]) -> str:
    """``Kind/name`` or ``Kind/namespace/name``, as in messages and ``changed_objects``."""
    meta = obj.get("metadata") or {}
    if meta.get("namespace"):
        return "%s/%s/%s" % (obj.get("kind"), meta["namespace"], meta.get("name"))
    return "%s/%s" % (obj.get("kind"), meta.get("name"))


def in_new_namespace(obj: dict[str, Any], new_namespaces: Iterable[str]) -> bool:
    """True for a Namespace listed in ``new_namespaces`` and for every object inside one."""
    meta = obj.get("metadata") or {}
    if obj.get("kind") == "Namespace" and meta.get("name") in new_namespaces:
        return True
    return bool(meta.get("namespace")) and meta.get("namespace") in new_namespaces


def validate_objects(objects: list[Any]) -> list[str]:
    """Problems of the manifests (before any request): a list of messages, empty when fine."""
    problems = []
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            problems.append("objects[%d] is a %s, not a manifest (a mapping)." % (index, type(obj).__name__))
            continue
        missing = [k for k in ("apiVersion", "kind") if not obj.get(k)]
        if not (obj.get("metadata") or {}).get("name"):
            missing.append("metadata.name")
        if missing:
            problems.append("objects[%d] (%s) lacks %s." % (index, obj.get("kind") or "?", ", ".join(missing)))
    return problems


# ------------------------------------------------------------------ secrets
def secret_values(obj: dict[str, Any] | None) -> set[str]:
    """The values of a Secret manifest (as given and base64-decoded), for the module's no_log list."""
    out = set()
    if (obj or {}).get("kind") != "Secret":
        return out
    for key in ("data", "stringData"):
        for value in ((obj.get(key) or {}).values()):
            if not isinstance(value, str) or not value:
                continue
            out.add(value)
            if key == "data":
                try:
                    out.add(base64.b64decode(value).decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    pass
    return set(v for v in out if v)


def redact(obj: Any, kind: str | None = None) -> Any:
    """A copy of ``obj`` whose Secret values (data, stringData) read ``<redacted>``; other kinds unchanged."""
    if not isinstance(obj, dict):
        return obj
    if (kind or obj.get("kind")) != "Secret":
        return obj
    out = copy.deepcopy(obj)
    for key in ("data", "stringData"):
        if isinstance(out.get(key), dict):
            out[key] = dict((k, REDACTED) for k in out[key])
    return out


# ------------------------------------------------------------------ diffs
def object_diff(obj: dict[str, Any], plan_result: dict[str, Any]) -> dict[str, Any]:
    """The callback-printable diff of one object: ``{before, after, before_header, after_header}``.

    kubernetes.core returns a diff for updates only; a create shows the whole object as added.
    """
    oid = object_id(obj)
    kind = obj.get("kind")
    diff = plan_result.get("diff")
    if diff:
        before, after = diff.get("before") or {}, diff.get("after") or {}
    else:
        before, after = {}, plan_result.get("result") or obj
    return {
        "before_header": "%s (cluster)" % oid,
        "after_header": "%s (manifest)" % oid,
        "before": redact(before, kind) if before else "",
        "after": redact(after, kind),
    }


# ------------------------------------------------------------------ the run
def apply_objects(objects: list[dict[str, Any]], plan: Callable[[dict[str, Any]], dict[str, Any]], write: Callable[[dict[str, Any]], dict[str, Any]],
                  new_namespaces: Iterable[str] = (), check_mode: bool = False, retries: int = 8, delay: float = 2,
                  want_diff: bool = False, sleep: Callable[[float], Any] = time.sleep) -> dict[str, Any]:
    """Plan all, then write what differs. Returns the module's result (without ``invocation``).

    Raises ``ApplyError`` on a non-transient (or too persistent) failure.
    """
    new_namespaces = list(new_namespaces or [])
    planned = []  # per object: (plan result or None for a new-namespace object, attempts)
    written = []
    for obj in objects:
        if in_new_namespace(obj, new_namespaces):
            planned.append((None, 0))
            continue
        try:
            result, attempts = call_with_retry(lambda o=obj: plan(copy.deepcopy(o)), retries, delay, sleep)
        except Exception as exc:  # reported with the object it concerns
            raise ApplyError(_failure(obj, "plan (server-side dry run)", exc), object_id(obj), "plan",
                             getattr(exc, "attempts", 1), written)
        planned.append((result, attempts))

    per_object = []
    warnings = []
    for obj, (plan_result, plan_attempts) in zip(objects, planned):
        warnings.extend("%s: %s" % (object_id(obj), w) for w in (plan_result or {}).get("warnings") or [])
        changed = True if plan_result is None else bool(plan_result.get("changed"))
        entry = {"id": object_id(obj), "changed": changed, "planned": plan_result is not None,
                 "method": (plan_result or {}).get("method", "create"), "attempts": plan_attempts}
        returned = plan_result.get("result") if plan_result else None
        if changed and not check_mode:
            try:
                write_result, attempts = call_with_retry(lambda o=obj: confirmed(o, write(copy.deepcopy(o))), retries, delay, sleep)
            except Exception as exc:  # reported with the object it concerns
                raise ApplyError(_failure(obj, "write", exc), object_id(obj), "write",
                                 getattr(exc, "attempts", 1), written)
            entry["attempts"] += attempts
            warnings.extend("%s: %s" % (object_id(obj), w) for w in write_result.get("warnings") or [])
            returned = write_result.get("result") or returned
            written.append(entry["id"])
        entry["object"] = redact(returned or obj, obj.get("kind"))
        if want_diff and changed:
            entry["diff"] = object_diff(obj, plan_result or {})
        per_object.append(entry)

    out = {
        "changed": any(e["changed"] for e in per_object),
        "changed_objects": [e["id"] for e in per_object if e["changed"]],
        "objects": [e.pop("object") for e in per_object],
        "results": per_object,
    }
    if want_diff:
        out["diff"] = [e.pop("diff") for e in per_object if "diff" in e]
    unplanned = [e["id"] for e in per_object if not e["planned"]]
    if check_mode and unplanned:
        warnings.insert(0, "Check mode: namespace %s does not exist yet, so a server-side dry run of the objects inside it would"
                        " return 404. This run would create %s." % (", ".join(new_namespaces), ", ".join(unplanned)))
    if warnings:
        out["warnings"] = warnings
    return out


def _failure(obj, step, exc):
    attempts = getattr(exc, "attempts", 1)
    tried = " (after %d attempts)" % attempts if attempts > 1 else ""
    status = transient_status(exc)
    fix = ("The API server kept answering %d: check its health and re-run; the apply is idempotent." % status
           if status else "Correct the manifest or the cluster access named in the message, then re-run.")
    return "Failed to %s %s%s: %s %s" % (step, object_id(obj), tried, exc, fix)
