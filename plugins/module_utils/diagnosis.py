# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic: why a workload does not roll out, read from its pods and events (issue 23).

``diagnose(workload, pods, events)`` returns what the cluster says: for each pod that is not ready,
each container's waiting reason and message (CrashLoopBackOff, ImagePullBackOff / ErrImagePull,
CreateContainerConfigError), its last termination (exit code and message: with
``terminationMessagePolicy: FallbackToLogsOnError`` the process's last log lines), the workload's
FailedCreate events (Pod Security refusals, quota) and how many pods run which revision.
``offending(text)`` picks the key, flag or image a refusal names. ``fatal(diagnosis)`` says whether
waiting longer cannot help (a container in CrashLoopBackOff or ImagePullBackOff), ``summary()`` makes
the sentence of the failure message. No I/O here: rollout.wait_for calls it with what it read.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

# Reasons that do not clear by waiting: the kubelet backs off and retries the same thing.
FATAL_REASONS = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName")
# Labels that say which revision a pod runs (DaemonSet/StatefulSet, Deployment).
REVISION_LABELS = ("controller-revision-hash", "pod-template-hash")
# What a refusal names, in the words of the binaries (mapstructure, pflag, yaml.UnmarshalStrict, kubelet).
_OFFENDING = [
    (re.compile(r"has invalid keys: ([^\s,]+(?:, [^\s,]+)*)"), "key"),
    (re.compile(r"unknown flag: (--?[A-Za-z0-9_.\-]+)"), "flag"),
    (re.compile(r"field ([A-Za-z0-9_.\-]+) not found in type"), "key"),
    (re.compile(r"unknown (?:type|component)[^\"]*\"([^\"]+)\""), "component"),
    (re.compile(r"Failed to pull image \"([^\"]+)\""), "image"),
    (re.compile(r"couldn't find key ([A-Za-z0-9_.\-]+) in (Secret|ConfigMap) ([A-Za-z0-9_./\-]+)"), "key"),
    (re.compile(r"(?:secret|configmap) \"([^\"]+)\" not found"), "object"),
]
MAX_TEXT = 600


def _clip(text: Any) -> str:
    text = str(text or "").strip()
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."


def offending(text: Any) -> str:
    """``key 'x'`` / ``flag '--x'`` / ``image 'x'`` the text names, else ``''``."""
    for pattern, what in _OFFENDING:
        match = pattern.search(str(text or ""))
        if match:
            return "%s '%s'" % (what, match.group(1))
    return ""


def _ready(pod: dict[str, Any]) -> bool:
    conds = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def _revision(pod: dict[str, Any]) -> str:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    for key in REVISION_LABELS:
        if labels.get(key):
            return str(labels[key])
    return "unknown"


def container_problems(pod: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per container of ``pod`` that is not ready: reason, message, last termination."""
    status = pod.get("status") or {}
    out = []
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        if cs.get("ready"):
            continue
        state = cs.get("state") or {}
        waiting, running, terminated = state.get("waiting"), state.get("running"), state.get("terminated")
        last = (cs.get("lastState") or {}).get("terminated") or terminated or {}
        if terminated and terminated.get("reason") == "Completed":
            continue
        reason = (waiting or {}).get("reason") or ("Running, not ready (readiness probe failing)" if running is not None else "")
        out.append({"container": cs.get("name") or "", "reason": reason, "message": _clip((waiting or {}).get("message")),
                    "exit_code": last.get("exitCode"), "last_message": _clip(last.get("message")),
                    "restarts": cs.get("restartCount") or 0, "image": cs.get("image") or ""})
    if not out and status.get("phase") == "Pending":
        for cond in status.get("conditions") or []:
            if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
                out.append({"container": "", "reason": cond.get("reason") or "Unschedulable", "message": _clip(cond.get("message")),
                            "exit_code": None, "last_message": "", "restarts": 0, "image": ""})
    return out


def diagnose(workload: dict[str, Any], pods: Iterable[dict[str, Any]], events: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """What the cluster says about ``workload``'s rollout (pods: those its selector matches)."""
    pods = [p for p in pods or [] if not (p.get("metadata") or {}).get("deletionTimestamp")]
    revisions: dict[str, int] = {}
    not_ready = []
    for pod in sorted(pods, key=lambda p: (p.get("metadata") or {}).get("name") or ""):
        rev = _revision(pod)
        revisions[rev] = revisions.get(rev, 0) + 1
        if not _ready(pod):
            not_ready.append({"pod": (pod.get("metadata") or {}).get("name") or "", "revision": rev,
                              "containers": container_problems(pod)})
    name = (workload.get("metadata") or {}).get("name") or ""
    pod_names = set(p["pod"] for p in not_ready)
    failed_create, pod_events = [], {}
    for ev in events or []:
        obj, text = ev.get("involvedObject") or {}, _clip(ev.get("message"))
        if not text:
            continue
        if ev.get("reason") == "FailedCreate" and (not name or obj.get("name") == name or str(obj.get("name")).startswith(name + "-")):
            if text not in failed_create:
                failed_create.append(text)
        elif obj.get("kind") == "Pod" and obj.get("name") in pod_names:
            # the kubelet's Warning events of a pod that is not ready: the pull error (Failed), probes (Unhealthy)
            pod_events.setdefault(obj["name"], [])
            if (ev.get("reason"), text) not in pod_events[obj["name"]]:
                pod_events[obj["name"]].append((ev.get("reason") or "", text))
    for pod in not_ready:
        pod["events"] = pod_events.get(pod["pod"], [])
        pulls = [t for r, t in pod["events"] if r == "Failed" and "pull" in t.lower()]
        for c in pod["containers"]:
            if pulls and c["reason"] in ("ImagePullBackOff", "ErrImagePull") and pulls[-1] != c["message"]:
                c["pull_error"] = pulls[-1]
    status = workload.get("status") or {}
    current = status.get("updateRevision") or status.get("currentRevision") or ""
    return {"pods": len(pods), "not_ready": not_ready, "failed_create": failed_create, "revisions": revisions,
            "current_revision": current}


def carry_pull_errors(previous: dict[str, Any] | None, diag: dict[str, Any]) -> dict[str, Any]:
    """``diag`` with the pull error an earlier look saw (ErrImagePull's message: the registry's answer) kept on each
    container now in ImagePullBackOff, whose own message only says "Back-off pulling image"."""
    seen = {}
    for pod in (previous or {}).get("not_ready") or []:
        for c in pod["containers"]:
            text = c.get("pull_error") or (c["message"] if c["reason"] == "ErrImagePull" else "")
            if text:
                seen[(pod["pod"], c["container"])] = text
    for pod in diag.get("not_ready") or []:
        for c in pod["containers"]:
            if c["reason"] in ("ImagePullBackOff", "ErrImagePull") and (pod["pod"], c["container"]) in seen:
                c.setdefault("pull_error", seen[(pod["pod"], c["container"])])
    return diag


def fatal(diag: dict[str, Any]) -> list[str]:
    """``pod/container: reason`` of every container whose reason does not clear by waiting."""
    return ["%s/%s: %s" % (p["pod"], c["container"], c["reason"])
            for p in diag.get("not_ready") or [] for c in p["containers"] if c["reason"] in FATAL_REASONS]


def _container_text(pod: dict[str, Any], c: dict[str, Any]) -> str:
    text = "pod %s%s: %s" % (pod["pod"], (" container %s" % c["container"]) if c["container"] else "", c["reason"] or "not ready")
    if c["message"]:
        text += " (%s)" % c["message"]
    if c.get("pull_error") and c["reason"] == "ImagePullBackOff":
        text += "; the pull failed with: %s" % c["pull_error"]
    if c["last_message"] or c["exit_code"] not in (None, 0):
        text += "; last termination (exit %s): %s" % (c["exit_code"], c["last_message"] or "no message")
    return text


def summary(diag: dict[str, Any], limit: int = 3) -> str:
    """The sentences of a failure message: the pods that are not ready and why, FailedCreate, revisions."""
    parts = []
    not_ready = diag.get("not_ready") or []
    if not_ready:
        parts.append("%d of %d pods not ready" % (len(not_ready), diag.get("pods") or 0))
        shown, seen = [], set()
        for pod in not_ready:
            for c in pod["containers"] or [{"container": "", "reason": "", "message": "", "exit_code": None, "last_message": ""}]:
                key = (c["container"], c["reason"], c["last_message"] or c["message"])
                if key in seen or len(shown) >= limit:
                    continue
                seen.add(key)
                shown.append(_container_text(pod, c))
            for reason, text in pod.get("events") or []:
                if reason not in ("Failed", "BackOff") and ("event", reason, text) not in seen and len(shown) < limit + 2:
                    seen.add(("event", reason, text))
                    shown.append("event %s: %s" % (reason, text))
        parts.append("; ".join(shown))
        names = [offending(c["last_message"]) or offending(c["message"]) or offending(c.get("pull_error"))
                 for p in not_ready for c in p["containers"]]
        named = sorted(set(n for n in names if n))
        if named:
            parts.append("the refusal names %s" % ", ".join(named))
    elif diag.get("pods") == 0:
        parts.append("no pod exists")
    if diag.get("failed_create"):
        parts.append("FailedCreate: %s" % " | ".join(diag["failed_create"][:limit]))
    revs = diag.get("revisions") or {}
    if revs:
        parts.append("pods by revision: %s" % ", ".join("%s %d" % (rev, n) for rev, n in sorted(revs.items())))
    return ". ".join(p for p in parts if p) + ("." if parts else "")
