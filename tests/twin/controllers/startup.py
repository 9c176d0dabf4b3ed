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

* The API access a running Collector's configuration needs, decided for the pod's ServiceAccount by
  the twin's RBAC evaluator (tests/twin/authz.py) - ``api_access``:
  - loadbalancing exporter, k8s resolver (opentelemetry-collector-contrib
    exporter/loadbalancingexporter/resolver_k8s.go): list/watch of the Service's core/v1 Endpoints in
    its namespace at v0.114.0, plus discovery.k8s.io EndpointSlices from the release that switched to
    them (PR #44079; issue #44494; plugins/module_utils/sampling.py ENDPOINTSLICES_FROM). A refused list
    leaves the informer unsynced: ``start`` waits in ``cache.WaitForCacheSync``, the Collector never
    reports Ready, so health_check answers 503 and the container runs but is not ready. The log line is
    client-go tools/cache/reflector.go ``list``'s ``failed to list *v1.Endpoints: <err>`` with the API
    server's refusal (k8s.io/apiserver pkg/endpoints/handlers/responsewriters/errors.go forbiddenMessage).
  - kubeletstats receiver with auth_type serviceAccount: ``get`` on ``nodes/stats`` (the kubelet's
    authorizer, pkg/kubelet/server/auth.go). Refused, the Collector still runs and is ready; every
    scrape fails with the receiver's ``kubelet request GET <url> failed - "403 Forbidden", response:
    "Forbidden (user=<sa>, verb=get, resource=nodes, subresource=stats)"``
    (receiver/kubeletstatsreceiver/internal/kubelet/client.go; kubelet server.go's Forbidden text).
  The log line becomes a twin-only ``ContainerLog`` Event on the pod (the twin serves no pod logs),
  and an unready container also gets the kubelet's ``Unhealthy`` Event (pkg/kubelet/prober/prober.go:
  ``Readiness probe failed: HTTP probe failed with statuscode: 503``, pkg/probe/http/http.go).

* otelcol-contrib at the release tools/go/otelcol builds (``tests/otelcol.py`` RELEASE, 0.159.0): the
  configuration is judged by the real Collector, ``otelcol-tracing validate --config`` with the
  container's environment (env, envFrom and the downward-API fieldRefs), instead of the extracted
  keys; a refusal crash-loops with the binary's own error text (cobra's ``Error: ...`` block; the
  log.Fatalf copy of it is left out). Every component is judged, contrib ones included, and their
  ``Validate()`` runs. Other versions (0.114.0) keep the extracted-keys check.

Divergences: the real kubelet puts the error text in ``terminated.message`` only with
``terminationMessagePolicy: FallbackToLogsOnError`` (otherwise it is in ``kubectl logs
--previous``); the twin always puts it there so tests and the readiness report can read it.
jaeger-query at a version with extracted flags (data/jaeger-query-<v>.json) refuses an unknown
flag as cobra/pflag do (``Error: unknown flag: --<flag>``, exit 1); the flags of a storage type the
extractor could not compute leave the arguments unchecked, with a ``StartupNotChecked`` Event.
An image of a known project at a version without extracted facts starts unchecked and the twin
records a ``StartupNotChecked`` Event on the pod (a twin-only Event, no kubelet emits it).
"""

from __future__ import annotations

import copy
import hashlib
import re
import time
from typing import Optional

from ... import otelcol
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


_mounted: dict[tuple, Optional[str]] = {}


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
    text = data.get(rel)
    for item in vol["configMap"].get("items") or []:
        if item.get("path") == rel:
            text = data.get(item.get("key"))
    # A running container keeps the configuration it read at start: the kubelet refreshes the mounted
    # files (kubernetes v1.34.4 pkg/volume/util/atomic_writer.go) but the binaries read them once at
    # start (opentelemetry-collector confmap/provider/fileprovider has no watch).  A container that
    # (re)starts reads the current content.
    key = (pod["metadata"].get("uid"), c.get("name"), path)
    running = any(cs.get("name") == c.get("name") and "running" in (cs.get("state") or {})
                  for cs in (pod.get("status") or {}).get("containerStatuses") or [])
    if running and key in _mounted:
        return _mounted[key]
    if len(_mounted) > 4096:
        _mounted.clear()
    _mounted[key] = text
    return text


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
def _field_ref(pod: dict, path: str) -> Optional[str]:
    """The value of a downward-API fieldRef the twin knows (pkg/fieldpath ExtractFieldPathAsString)."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    return {"spec.nodeName": spec.get("nodeName"), "spec.serviceAccountName": spec.get("serviceAccountName"),
            "metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
            "metadata.uid": meta.get("uid"), "status.podIP": status.get("podIP"),
            "status.hostIP": status.get("hostIP")}.get(path)


def _pod_env(workloads, pod: dict, c: dict) -> dict:
    env = workloads.container_env(pod, c)
    for e in c.get("env") or []:
        ref = ((e.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        if ref and _field_ref(pod, ref) is not None:
            env[e["name"]] = str(_field_ref(pod, ref))
    return env


def _binary_verdict(workloads, pod, c, text: str) -> Optional[dict]:
    """The real Collector's verdict on ``text`` (tests/otelcol.py validate), with the pod's environment.

    None when it accepts; else the crash: the binary's own error text, exit code 1 (log.Fatalf)."""
    env = _pod_env(workloads, pod, c)
    spec = pod.get("spec") or {}
    volumes = {v.get("name"): v for v in spec.get("volumes") or []}
    mounts = {vm["mountPath"]: volumes[vm.get("name")]["hostPath"]["path"] for vm in c.get("volumeMounts") or []
              if (volumes.get(vm.get("name")) or {}).get("hostPath") and vm.get("mountPath")}
    # kubelet mounts the ServiceAccount token unless the pod (or, unset there, its ServiceAccount) opts out
    automount = spec.get("automountServiceAccountToken")
    if automount is None:
        sa = workloads.store.find("v1", "ServiceAccount", pod["metadata"]["namespace"], spec.get("serviceAccountName") or "default")
        automount = (sa or {}).get("automountServiceAccountToken", True)
    sa_ns = pod["metadata"]["namespace"] if automount else None
    key = ("otelcol-binary", text, tuple(sorted(env.items())), tuple(sorted(mounts.items())), sa_ns)
    ok, message = _memo(key, lambda: otelcol.validate(text, env=env, mounts=mounts, service_account=sa_ns))
    if ok:
        return None
    component = re.search(r'error reading configuration for "([^"]+)"', message)
    key = re.search(r"has invalid keys: (\S+)", message)
    return {"message": message, "exitCode": 1, "component": component.group(1) if component else None,
            "key": key.group(1) if key else None}


def _collector(workloads, pod, c, version):
    # The release tools/go/otelcol builds is judged by the binary itself (issue 21): its `validate`
    # decodes every component's configuration (contrib ones included) and runs their Validate().
    binary = otelcol.available() if version == otelcol.RELEASE else None
    facts = check.collector_facts(version)
    if facts is None and binary is None:
        return None, f"no upstream facts for otelcol-contrib {version}"
    args = list(c.get("command") or [])[1:] + list(c.get("args") or [])
    bad = check.check_pflags((facts or {}).get("flags") or {}, args) if facts is not None else None
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
        if binary is not None:
            err, unchecked = _binary_verdict(workloads, pod, c, text), []
        else:
            err, unchecked = _memo(("otelcol", version, text), lambda: (check.check_collector(facts, text), check.unchecked_components(facts, text)))
        if err:
            return {**err, "exitCode": 1}, None
        refused = api_access(workloads.store, pod, text, version)
        if refused:
            return refused, None
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
    env = workloads.container_env(pod, c)
    bad = check.check_jaeger_storage(facts, env)  # main.go: the storage factory is built before flags are parsed
    if bad:
        return {**bad, "exitCode": 1}, None
    image_repo = check.parse_image(c.get("image", ""))[0]
    query = check.load(f"jaeger-query-{version}.json") if image_repo == "jaegertracing/jaeger-query" else None
    if query is None:
        return None, "flags and storage options not checked (only SPAN_STORAGE_TYPE)"
    args = list(c.get("command") or [])[1:] + list(c.get("args") or [])
    return check.check_jaeger_query_flags(query, env, args)


# ------------------------------------------------------------------ API access of a running Collector
ENDPOINTSLICES_FROM = (0, 140, 0)  # plugins/module_utils/sampling.py (the first release known to need them)


def _version(text: str) -> tuple:
    try:
        return tuple(int(x) for x in str(text).lstrip("v").split("-", maxsplit=1)[0].split(".")[:3])
    except ValueError:
        return (0, 0, 0)


def _forbidden(user: str, verb: str, group: str, resource: str, ns: str) -> str:
    # responsewriters/errors.go forbiddenMessage (a list has no name; namespaced: "in the namespace")
    return f'{resource} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{group}" in the namespace "{ns}"'


def api_access(store, pod: dict, text: str, version: str) -> Optional[dict]:
    """None when the pod's ServiceAccount may do what its configuration needs; else how it fails:
    ``{"unready": True, "log": ...}`` (resolver) or ``{"log": ...}`` (kubeletstats, still ready)."""
    import yaml

    from .. import authz

    # the real backend's store asks the real authorizers (a SubjectAccessReview); the emulator's, authz.py
    authorize = getattr(store, "authorize", None) or (lambda u, g, attrs: authz.authorize(store, u, g, attrs))
    try:
        conf = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return None
    if not isinstance(conf, dict):
        return None
    ns = pod["metadata"]["namespace"]
    sa = pod["spec"].get("serviceAccountName") or "default"
    user, groups = authz.service_account_user(ns, sa)
    pipelines = ((conf.get("service") or {}).get("pipelines") or {}).values()
    used = {x for pl in pipelines if isinstance(pl, dict) for k in ("receivers", "exporters") for x in pl.get(k) or []}
    for name, exp in (conf.get("exporters") or {}).items():
        # the type and its deprecated alias (load_balancing from 0.153.0, contrib #45339)
        if name.split("/")[0] not in ("loadbalancing", "load_balancing") or name not in used or not isinstance(exp, dict):
            continue
        k8s = ((exp.get("resolver") or {}).get("k8s"))
        if not isinstance(k8s, dict):
            continue
        svc = str(k8s.get("service") or "")
        svc_ns = svc.partition(".")[2]
        svc_ns = svc_ns.split(".")[0] or ns  # resolver_k8s.go: no namespace -> the Collector's own
        # Endpoints before the switch, EndpointSlices only after it (resolver_k8s.go at v0.159.0)
        needs = ([("discovery.k8s.io", "endpointslices", "*v1.EndpointSlice")] if _version(version) >= ENDPOINTSLICES_FROM
                 else [("", "endpoints", "*v1.Endpoints")])
        for group, resource, type_desc in needs:
            for verb in ("list", "watch"):
                ok, _reason = authorize(user, groups, {"verb": verb, "group": group, "resource": resource, "namespace": svc_ns})
                if not ok:
                    return {"unready": True, "log": f"failed to list {type_desc}: {_forbidden(user, 'list', group, resource, svc_ns)}",
                            "component": f"exporters::{name}", "key": "resolver.k8s"}
    for name, rec in (conf.get("receivers") or {}).items():
        if name.split("/")[0] not in ("kubeletstats", "kubelet_stats") or name not in used or not isinstance(rec, dict):
            continue
        if rec.get("auth_type") != "serviceAccount":
            continue
        ok, _reason = authorize(user, groups, {"verb": "get", "group": "", "resource": "nodes", "subresource": "stats"})
        if not ok:
            node = pod["spec"].get("nodeName") or "node"
            return {"log": f'kubelet request GET https://{node}:10250/stats/summary failed - "403 Forbidden", response: '
                           f'"Forbidden (user={user}, verb=get, resource=nodes, subresource=stats)"',
                    "component": f"receivers::{name}", "key": "auth_type"}
    return None


CHECKS = {"otelcol-contrib": _collector, "tempo": _tempo, "tempo-query": _tempo_query, "jaeger": _jaeger}


# ------------------------------------------------------------------ the kubelet's view
def container_start(workloads, pod: dict, c: dict, old: dict) -> Optional[dict]:
    """None when the container starts; else its container state (with ``lastState`` inside)."""
    image = c.get("image", "")
    repo, tag = check.parse_image(image)
    if repo not in FAMILIES:
        return None
    if tag and "@" not in image and check.released(repo, tag) is False:
        prev = ((old.get("state") or {}).get("waiting") or {}).get("reason")
        # kubelet names the image as the spec writes it; containerd names the normalised reference
        if prev in ("ErrImagePull", "ImagePullBackOff"):
            return {"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}}
        # the kubelet's Warning Event of reason Failed (pkg/kubelet/images/image_manager.go, events.FailedToPullImage)
        if workloads is not None:
            _note(workloads.store, pod, c, pull_error(image), reason="Failed", kind="Warning", component="kubelet", prefix="")
        return {"waiting": {"reason": "ErrImagePull", "message": pull_error(image)}}
    family = FAMILIES[repo]
    if family is None or not tag:
        _note(workloads.store, pod, c, f"{image}: start-up (flags, configuration) not emulated for {repo}")
        return None
    crash, note = CHECKS[family](workloads, pod, c, tag)
    if note:
        _note(workloads.store, pod, c, f"{image}: {note}")
    if crash is not None and "log" in crash:
        # running: the API access it lacks shows in its log (and, unready, in its readiness probe)
        _note(workloads.store, pod, c, crash["log"], reason="ContainerLog", kind="Warning", prefix="")
        _started.pop((pod["metadata"].get("uid"), c.get("name")), None)
        if not crash.get("unready"):
            return None
        _note(workloads.store, pod, c, "Readiness probe failed: HTTP probe failed with statuscode: 503", reason="Unhealthy",
              kind="Warning", component="kubelet", prefix="")
        return {"running": {"startedAt": (old.get("state") or {}).get("running", {}).get("startedAt") or now_iso()}}
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


def _note(store, pod: dict, c: dict, message: str, reason: str = "StartupNotChecked", kind: str = "Normal",
          component: str = "twin", prefix: str = "twin: ") -> None:
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
        "reason": reason,
        "message": f"{prefix}{message}",
        "type": kind,
        "source": {"component": component},
        "firstTimestamp": now_iso(),
        "lastTimestamp": now_iso(),
        "count": 1,
    })
