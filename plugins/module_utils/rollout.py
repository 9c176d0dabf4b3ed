# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic of the waits: when is an object done, and the poll loop around one read callable.

The roles wait with the ``wait`` option of the k8s_apply module (one task: apply, then wait). The
conditions follow ``kubectl rollout status`` (k8s.io/kubectl pkg/polymorphichelpers/rollout_status.go):

* DaemonSet: ``observedGeneration >= generation``, ``desiredNumberScheduled > 0`` and
  ``updatedNumberScheduled``, ``numberReady`` and ``numberAvailable`` equal to it;
* Deployment: ``observedGeneration >= generation``; ``updatedReplicas``, ``readyReplicas`` and
  ``availableReplicas`` equal to the desired replicas and no old replica left (``replicas``);
* StatefulSet: ``observedGeneration >= generation``; ``updatedReplicas``, ``readyReplicas`` and
  ``availableReplicas`` equal to the desired replicas;
* ObjectBucketClaim: ``status.phase`` Bound (lib-bucket-provisioner); Jaeger CR: ``status.phase``
  Running (the Jaeger operator sets no conditions).

The desired replicas are the target's ``replicas`` when given, else ``spec.replicas`` (default 1).
Status fields the API server omits (Go ``omitempty``) read as 0.

``wait_for()`` polls: the first look at an object may be the object the apply just returned (a dry
run or a write answers with the live status), so a converged re-run waits without any read. A
missing object fails at once (it will not roll out); a transient read error is polled again; the
timeout fails with the last status. Every failure is a ``WaitError`` with a message that reads
"Failed to <action> ...: ... Fix: ...".
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Iterable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.apply import object_id
from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import OBC_API_VERSION, OBC_KIND, OBC_PLURAL
from ansible_collections.talos_homelab.tracing.plugins.module_utils.diagnosis import carry_pull_errors, fatal, summary

# kind -> (apiVersion, plural, the action of a failure message)
KINDS = {
    "DaemonSet": ("apps/v1", "daemonsets", "roll out"),
    "Deployment": ("apps/v1", "deployments", "roll out"),
    "StatefulSet": ("apps/v1", "statefulsets", "roll out"),
    OBC_KIND: (OBC_API_VERSION, OBC_PLURAL, "bind"),
    "Jaeger": ("jaegertracing.io/v1", "jaegers", "see Running"),
}
DEFAULT_FIX = {
    "missing": "re-run and look at the apply step's output for the create that did not happen (a refused or lost create),"
               " or create it.",
    "timeout": "look at the pods (kubectl -n <namespace> get pods; kubectl describe / logs): an image pull error, a refused"
               " configuration or not enough nodes keep a rollout from finishing.",
    "stuck": "correct the value the pods refuse (above) and re-run.",
    "back": "To go back meanwhile: kubectl -n <namespace> rollout undo <kind>/<name> returns the pods to the previous revision.",
}


class WaitError(Exception):
    """A wait that cannot succeed (missing object, non-transient error) or ran out of time."""

    def __init__(self, msg, target, reason, status=None):
        super(WaitError, self).__init__(msg)
        self.msg = msg
        self.target = target
        self.reason = reason
        self.status = status


def target_id(target: dict[str, Any]) -> str:
    """``Kind namespace/name`` (``Kind name`` when cluster-scoped), as in the failure messages."""
    ns = target.get("namespace")
    return "%s %s/%s" % (target["kind"], ns, target["name"]) if ns else "%s %s" % (target["kind"], target["name"])


def object_key(kind: str, namespace: str | None, name: str) -> tuple[str, str, str]:
    return (kind, namespace or "", name)


def first_looks(objects: list[dict[str, Any]], written: Iterable[str] = ()) -> dict[tuple[str, str, str], dict[str, Any]]:
    """``{object_key: object}`` of what the apply returned unchanged (live status included), for ``wait_for(first=...)``.

    A written object's answer shows the status from before its controller saw the change (a Jaeger CR's
    phase does not even say which generation it is about): it is read again instead.
    """
    out = {}
    for obj in objects or []:
        meta = (obj or {}).get("metadata") or {}
        if obj.get("kind") in KINDS and meta.get("name") and "status" in obj and object_id(obj) not in written:
            out[object_key(obj["kind"], meta.get("namespace"), meta["name"])] = obj
    return out


def _is_custom(api_version):
    """True for the API group of a custom resource (dotted, not a Kubernetes ``*.k8s.io`` group)."""
    text = str(api_version or "")
    group = text.split("/", 1)[0] if "/" in text else ""
    return "." in group and not group.endswith("k8s.io")


def operator_made(targets: list[dict[str, Any]], objects: list[dict[str, Any]], written: Iterable[str]) -> set[tuple[str, str, str]]:
    """Keys of the targets the apply did not send when it wrote a custom resource (an operator makes them)."""
    applied = set(object_key(o.get("kind"), (o.get("metadata") or {}).get("namespace"), (o.get("metadata") or {}).get("name"))
                  for o in objects or [])
    custom = [o for o in objects or [] if _is_custom(o.get("apiVersion"))]
    wrote_custom = any(object_id(o) in written for o in custom)
    if not wrote_custom:
        return set()
    keys = set(object_key(t["kind"], t.get("namespace"), t["name"]) for t in targets or [])
    return keys - applied


def validate_targets(targets: list[Any]) -> list[str]:
    """Problems of the ``wait`` option (before any request): a list of messages, empty when fine."""
    problems = []
    for index, target in enumerate(targets or []):
        if not isinstance(target, dict) or target.get("kind") not in KINDS or not target.get("name"):
            problems.append("wait[%d] needs a kind among %s and a name (got %s)." % (
                index, ", ".join(sorted(KINDS)), json.dumps(target, sort_keys=True, default=str)))
            continue
        replicas = target.get("replicas")
        if replicas is not None and (isinstance(replicas, bool) or not str(replicas).isdigit()):
            problems.append("wait[%d].replicas must be a whole number (got %s)." % (index, json.dumps(replicas, default=str)))
    return problems


def _num(status, key):
    value = (status or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def desired_replicas(obj: dict[str, Any], target: dict[str, Any]) -> int:
    if target.get("replicas") is not None:
        return int(target["replicas"])
    spec = obj.get("spec") or {}
    return int(spec["replicas"]) if spec.get("replicas") is not None else 1


def is_done(obj: dict[str, Any] | None, target: dict[str, Any]) -> tuple[bool, str]:
    """``(done, why not)`` for the live object ``obj`` of ``target`` (see the module docstring)."""
    kind = target["kind"]
    status = obj.get("status") or {}
    if kind == OBC_KIND:
        phase = status.get("phase") or ""
        return phase == "Bound", "phase '%s' (Bound expected)" % (phase or "unset")
    if kind == "Jaeger":
        phase = status.get("phase") or ""
        return phase == "Running", "phase '%s' (Running expected)" % (phase or "unset")
    generation = (obj.get("metadata") or {}).get("generation") or 0
    if _num(status, "observedGeneration") < generation:
        return False, "the controller has not seen generation %s yet" % generation
    if kind == "DaemonSet":
        desired = _num(status, "desiredNumberScheduled")
        counts = dict((k, _num(status, k)) for k in ("updatedNumberScheduled", "numberReady", "numberAvailable"))
        if desired == 0:
            return False, "no node is scheduled to run it yet"
    else:
        desired = desired_replicas(obj, target)
        counts = dict((k, _num(status, k)) for k in ("updatedReplicas", "readyReplicas", "availableReplicas"))
        if kind == "Deployment" and _num(status, "replicas") > counts["updatedReplicas"]:
            return False, "%d old replicas are pending termination" % (_num(status, "replicas") - counts["updatedReplicas"])
    short = [k for k, v in counts.items() if v != desired]
    if short:
        return False, "%s of %d desired" % (", ".join("%s %d" % (k, counts[k]) for k in sorted(short)), desired)
    return True, ""


def _back(target, fix):
    return (fix.get("back") or "").replace("<namespace>", str(target.get("namespace") or "")).replace(
        "<kind>", target["kind"].lower()).replace("<name>", target["name"])


def _message(target, reason, timeout, fix, status=None, why=None, error=None, diag=None, waited=0):
    action = KINDS[target["kind"]][2]
    cause = (" The cluster says: %s" % summary(diag)) if diag else ""
    if reason == "stuck":
        return ("Failed to %s %s: stopped after %d s of the %d s allowed, because waiting cannot help (%s).%s %s Fix: %s"
                % (action, target_id(target), waited, timeout, ", ".join(fatal(diag)), cause, _back(target, fix), fix["stuck"]))
    if reason == "missing":
        return ("Failed to %s %s: it does not exist, so it cannot %s (stopped at once instead of polling for %d s). Fix: %s"
                % (action, target_id(target), action, timeout, fix))
    if reason == "error":
        return "Failed to %s %s: reading it failed: %s Fix: %s" % (action, target_id(target), error, fix)
    return "Failed to %s %s within %d s: %s; status %s.%s%s Fix: %s" % (
        action, target_id(target), timeout, why, json.dumps(status or {}, sort_keys=True), cause,
        (" " + _back(target, fix)) if diag else "", fix["timeout"])


def _inspect(inspect, target, obj, is_transient):
    """The diagnosis, or ``None`` without ``inspect`` or when its reads failed transiently."""
    if inspect is None:
        return None
    try:
        return inspect(target, obj)
    except Exception as exc:  # classified: a transient read only costs this poll's diagnosis
        if is_transient is not None and is_transient(exc):
            return None
        raise


def wait_for(targets: list[dict[str, Any]], read: Callable[[dict[str, Any]], dict[str, Any] | None], first: dict | None = None, timeout: float = 300,
             delay: float = 5, fix: dict[str, str] | None = None, is_transient: Callable[[BaseException], bool] | None = None,
             may_appear: Iterable = (), clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], Any] = time.sleep,
             inspect: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None] | None = None) -> list[dict[str, Any]]:
    """Wait until every target is done, in list order. Returns one result per target.

    ``read(target)`` returns the live object or ``None`` when it does not exist; ``first`` maps
    ``object_key(kind, namespace, name)`` to an object to look at before the first read.
    ``is_transient(exc)`` says whether a read error is polled again (else it fails at once).
    ``may_appear``: keys of targets an operator makes from an object the apply just wrote (the Jaeger
    CR's Deployments); one that does not exist yet is polled until the timeout instead of failing at once.
    ``timeout`` (seconds) bounds the whole wait. ``inspect(target, obj)`` returns the diagnosis of a
    workload that is not done (module_utils/diagnosis.py): the wait stops at once when the same
    containers are in a reason that waiting cannot clear (CrashLoopBackOff, ImagePullBackOff) on two
    polls in a row, and every failure message carries what the cluster says. Raises ``WaitError``.
    """
    fix = dict(DEFAULT_FIX, **dict((k, v) for k, v in (fix or {}).items() if v))
    first = dict(first or {})
    start = clock()
    deadline = start + timeout
    results = []
    for target in targets or []:
        key = object_key(target["kind"], target.get("namespace"), target["name"])
        obj = first.pop(key, None)
        reads = 0
        diag, stuck = None, []
        while True:
            if obj is None:
                reads += 1
                try:
                    obj = read(target)
                except Exception as exc:  # classified: transient errors are polled again
                    if is_transient is None or not is_transient(exc):
                        raise WaitError(_message(target, "error", timeout, fix["timeout"], error=exc), target, "error")
                    obj, why = False, "the last read failed: %s" % exc
                else:
                    if obj is None and key not in may_appear:
                        raise WaitError(_message(target, "missing", timeout, fix["missing"]), target, "missing")
                    if obj is None:
                        obj, why = False, "it does not exist yet"
            if obj:
                done, why = is_done(obj, target)
                if done:
                    break
                look, was_stuck = _inspect(inspect, target, obj, is_transient), stuck
                diag = carry_pull_errors(diag, look) if look else diag
                stuck = fatal(look) if look else []
                if stuck and stuck == was_stuck:
                    raise WaitError(_message(target, "stuck", timeout, fix, diag=diag, waited=clock() - start),
                                    target, "stuck", obj.get("status") or {})
            if clock() + delay > deadline:
                status = (obj or {}).get("status") or {}
                raise WaitError(_message(target, "timeout", timeout, fix, status=status, why=why, diag=diag),
                                target, "timeout", status)
            sleep(delay)
            obj = None
        results.append({"id": target_id(target), "reads": reads, "status": obj.get("status") or {}})
    return results
