"""Container start-up as the real images would do it: pull, parse flags, read the mounted config.

Facts come from tests/twin/schemas/data (extracted from the upstream sources at each version's tag
by tests/twin/schemas/extract.py); the wording of every refusal is the upstream one, with its
source named in tests/twin/schemas/check.py. Emulated (kubernetes/kubernetes at v1.31):

* Image pull (pkg/kubelet/images/image_manager.go): a tag the upstream project never released
  cannot be pulled -> waiting ``ErrImagePull`` (message ``Failed to pull image "<ref>": <runtime
  error>``, the runtime error in containerd's wording: ``rpc error: code = NotFound desc = failed
  to pull and unpack image "<ref>": failed to resolve reference "<ref>": <ref>: not found``), then
  ``ImagePullBackOff`` (``Back-off pulling image "<image>"``); ``<image>`` as the spec writes it,
  ``<ref>`` normalised (``docker.io/`` added).
* A container whose binary exits at start-up (pkg/kubelet/kuberuntime/kuberuntime_container.go,
  pkg/kubelet/container/sync_result.go): waiting ``CrashLoopBackOff`` with ``back-off <Go duration>
  restarting failed container=<name> pod=<pod>_<ns>(<uid>)``, ``lastState.terminated`` with
  ``reason: Error``, the exit code and the process's error text as ``message``, and a
  ``restartCount`` that grows with the kubelet's back-off (10 s doubling to 300 s,
  pkg/kubelet/kubelet.go backOffPeriod/MaxContainerBackOff) since the pod started.

Divergences: the real kubelet puts the error text in ``terminated.message`` only with
``terminationMessagePolicy: FallbackToLogsOnError`` (otherwise it is in ``kubectl logs
--previous``); the twin always puts it there so tests and the readiness report can read it.
An image of a known project at a version without extracted facts starts unchecked and the twin
records a ``StartupNotChecked`` Event on the pod (a twin-only Event, no kubelet emits it).
"""

from __future__ import annotations

import copy
import hashlib
import time
from typing import Optional

from ..schemas import check
from ..store import now_iso

BACKOFF_START, BACKOFF_MAX = 10, 300
# The projects whose released tags are known (tests/twin/schemas/data/image-tags.json) and the
# facts file family of each (None: tags checked, start-up not emulated).
FAMILIES = {
    "otel/opentelemetry-collector-contrib": "otelcol-contrib",
    "grafana/tempo": "tempo",
    "grafana/tempo-query": "tempo-query",
    "jaegertracing/jaeger-query": "jaeger",
    "jaegertracing/jaeger-collector": "jaeger",
}
_started: dict = {}  # (pod uid, container) -> monotonic time of the first failed start seen
_verdicts: dict = {}  # see _memo


def read_mounted_file(store, pod: dict, c: dict, path: str) -> Optional[str]:
    """Content of ``path`` inside container ``c`` when it is a mounted ConfigMap key, else None."""
    ns = pod["metadata"]["namespace"]
    best = None
    for vm in c.get("volumeMounts") or []:
        mp = vm.get("mountPath", "").rstrip("/")
        if (path.startswith(mp + "/") or (vm.get("subPath") and path == mp)) and (best is None or len(mp) > len(best[0])):
            best = (mp, vm)
    if not best:
        return None
    mp, vm = best
    rel = vm["subPath"] if vm.get("subPath") else path[len(mp) + 1:]
    vol = next((v for v in pod["spec"].get("volumes") or [] if v.get("name") == vm.get("name")), None)
    if not vol or not vol.get("configMap"):
        return None
    cm = store.find("v1", "ConfigMap", ns, vol["configMap"].get("name", "")) or {}
    data = cm.get("data") or {}
    for item in vol["configMap"].get("items") or []:
        if item.get("path") == rel:
            return data.get(item.get("key"))
    return data.get(rel)


def full_ref(image: str) -> str:
    """The reference containerd pulls: docker.io/ and library/ added the way the CRI does."""
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return image
    return "docker.io/" + (image if "/" in image else "library/" + image)


def pull_error(image: str) -> str:
    """kubelet's ErrImagePull message around containerd's NotFound for a tag that does not exist."""
    ref = full_ref(image)
    return (f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
            f'failed to resolve reference "{ref}": {ref}: not found')


def go_duration(seconds: int) -> str:
    """time.Duration.String() of whole seconds: 10s, 1m20s, 5m0s."""
    minutes, sec = divmod(int(seconds), 60)
    return f"{minutes}m{sec}s" if minutes else f"{sec}s"


def _arg_value(args: list, *names: str) -> list:
    """Values of Go/pflag style flags -n=v, --n=v, -n v, --n v (all occurrences)."""
    out = []
    for i, a in enumerate(args):
        for n in names:
            for p in (f"-{n}", f"--{n}"):
                if a.startswith(p + "="):
                    out.append(a[len(p) + 1:])
                elif a == p and i + 1 < len(args):
                    out.append(args[i + 1])
    return out


# ------------------------------------------------------------------ per image
def _collector(workloads, pod, c, version):
    facts = check.collector_facts(version)
    if facts is None:
        return None, f"no upstream facts for otelcol-contrib {version}"
    args = list(c.get("command") or [])[1:] + list(c.get("args") or [])
    bad = check.check_pflags(facts.get("flags") or {}, args)
    if bad:
        return {**bad, "message": "Error: " + bad["message"], "exitCode": 1}, None
    notes = []
    for src in _arg_value(args, "config"):
        path = src[len("file:"):] if src.startswith("file:") else src
        if ":" in path and not path.startswith("/"):
            notes.append(f"config source {src} not read")
            continue
        text = read_mounted_file(workloads.store, pod, c, path)
        if text is None:
            msg = (f"Error: failed to get config: cannot resolve the configuration: cannot retrieve the configuration: "
                   f"unable to read the file file:{path}: open {path}: no such file or directory")  # confmap/provider/fileprovider
            return {"message": msg, "exitCode": 1, "component": None, "key": None}, None
        err, unchecked = _memo(("otelcol", version, text), lambda: (check.check_collector(facts, text), check.unchecked_components(facts, text)))
        if err:
            return {**err, "exitCode": 1}, None
        if unchecked:
            notes.append("keys of " + ", ".join(unchecked) + " not checked (contrib source not extracted)")
    return None, "; ".join(notes) or None


def _tempo(workloads, pod, c, version):
    facts = check.tempo_facts(version)
    if facts is None:
        return None, f"no upstream facts for tempo {version}"
    from .tempo import expand_env

    args = list(c.get("args") or [])
    # cmd/tempo/main.go loadConfig: the config file is read and decoded before flag.Parse
    paths = _arg_value(args, "config.file")
    if paths:
        path = paths[-1]
        text = read_mounted_file(workloads.store, pod, c, path)
        if text is not None:
            if (_arg_value(args, "config.expand-env") or ["false"])[-1].lower() == "true":
                text = expand_env(text, workloads.container_env(pod, c))
            err = _memo(("tempo", version, text, path), lambda: check.check_tempo(facts, text, path))
            if err:
                return {**err, "exitCode": 1}, None
    bad = check.check_go_flags(facts["flags"], args)
    if bad:
        return {**bad, "exitCode": 2}, None
    return None, None


def _tempo_query(workloads, pod, c, version):
    facts = check.load(f"tempo-query-{version}.json")
    if facts is None:
        return None, f"no upstream facts for tempo-query {version}"
    bad = check.check_go_flags(facts["flags"], list(c.get("args") or []))
    if bad:
        return {**bad, "exitCode": 2}, None
    # viper.Unmarshal without ErrorUnused (cmd/tempo-query/main.go): unknown keys are ignored
    return None, None


def _jaeger(workloads, pod, c, version):
    facts = check.load(f"jaeger-{version}.json")
    if facts is None:
        return None, f"no upstream facts for jaeger {version}"
    bad = check.check_jaeger_storage(facts, workloads.container_env(pod, c))
    if bad:
        return {**bad, "exitCode": 1}, None
    return None, "flags and storage options not checked (only SPAN_STORAGE_TYPE)"


CHECKS = {"otelcol-contrib": _collector, "tempo": _tempo, "tempo-query": _tempo_query, "jaeger": _jaeger}


# ------------------------------------------------------------------ the kubelet's view
def container_start(workloads, pod: dict, c: dict, old: dict) -> Optional[dict]:
    """None when the container starts; else its container state (with ``lastState`` inside)."""
    image = c.get("image", "")
    repo, tag = check.parse_image(image)
    if repo not in FAMILIES:
        return None
    ref = full_ref(image)
    if tag and "@" not in image and check.released(repo, tag) is False:
        prev = ((old.get("state") or {}).get("waiting") or {}).get("reason")
        # kubelet names the image as the spec writes it; containerd names the normalised reference
        if prev in ("ErrImagePull", "ImagePullBackOff"):
            return {"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}}
        return {"waiting": {"reason": "ErrImagePull", "message": pull_error(image)}}
    family = FAMILIES[repo]
    if family is None or not tag:
        _note(workloads.store, pod, c, f"{image}: start-up (flags, configuration) not emulated for {repo}")
        return None
    crash, note = CHECKS[family](workloads, pod, c, tag)
    if note:
        _note(workloads.store, pod, c, f"{image}: {note}")
    if crash is None:
        _started.pop((pod["metadata"].get("uid"), c.get("name")), None)
        return None
    key = (pod["metadata"].get("uid"), c.get("name"))
    first = _started.setdefault(key, time.monotonic())
    restarts, backoff = _restarts(time.monotonic() - first)
    meta = pod["metadata"]
    started = (old.get("lastState") or {}).get("terminated", {}).get("startedAt") or now_iso()
    return {
        "waiting": {
            "reason": "CrashLoopBackOff",
            "message": f"back-off {go_duration(backoff)} restarting failed container={c.get('name')} pod={meta['name']}_{meta['namespace']}({meta.get('uid')})",
        },
        "lastState": {
            "terminated": {
                "exitCode": crash["exitCode"],
                "reason": "Error",
                "message": crash["message"],
                "startedAt": started,
                "finishedAt": started,
            }
        },
        "restartCount": restarts,
    }


def _memo(key: tuple, compute):
    """Start-up verdicts by configuration content: every reconcile pass asks again for every pod."""
    if key not in _verdicts:
        if len(_verdicts) > 256:
            _verdicts.clear()
        _verdicts[key] = compute()
    return copy.deepcopy(_verdicts[key])


def _restarts(elapsed: float) -> tuple:
    """Restarts done after ``elapsed`` seconds of crash-looping, and the current back-off."""
    n, t, d = 1, 0.0, BACKOFF_START
    while t + d <= elapsed:
        t += d
        n += 1
        d = min(d * 2, BACKOFF_MAX)
    return n, d


def _note(store, pod: dict, c: dict, message: str) -> None:
    meta = pod["metadata"]
    name = f"{meta['name']}.startup-{hashlib.sha256((c.get('name', '') + message).encode()).hexdigest()[:10]}"
    if store.find("v1", "Event", meta["namespace"], name) is not None:
        return
    store.upsert({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": meta["namespace"]},
        "involvedObject": {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta.get("uid"),
                           "apiVersion": "v1", "fieldPath": f"spec.containers{{{c.get('name')}}}"},
        "reason": "StartupNotChecked",
        "message": f"twin: {message}",
        "type": "Normal",
        "source": {"component": "twin"},
        "firstTimestamp": now_iso(),
        "lastTimestamp": now_iso(),
        "count": 1,
    })
