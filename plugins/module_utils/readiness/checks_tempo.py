# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jaeger checks in storage mode ``tempo`` (component ``jaeger``): StatefulSet ``tempo`` receives OTLP
behind Service ``jaeger-collector``; Deployment ``jaeger-query`` reads it through a ``tempo-query``
sidecar (the names are the module's parameters, facts.py ``NAMES``). registry.py runs them in
tempo mode only; checks_jaeger_operator.py holds the same checks for a Jaeger CR.
"""

from __future__ import annotations


from ansible_collections.talos_homelab.tracing.plugins.module_utils import support
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import checks_jaeger as common
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse as p
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import sampling_tier
from ansible_collections.talos_homelab.tracing.plugins.module_utils import images as img
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import (
    Facts,
    Outcome,
    failing_evidence,
    fmt_list,
    no_jaeger,
)

WAL_PATH = "/var/tempo"  # where the role mounts Tempo's WAL and local blocks (vars/main.yml tempo.yaml)
SUPPORTED_COMPONENTS = ("tempo", "tempo-query", "jaeger-query")


def check_tempo_running(f: Facts) -> Outcome:
    if not f.tempo_sts and not f.query:
        return False, no_jaeger(f)
    r, q = p.ready_replicas(f.receiver), p.ready_replicas(f.query)
    ev = "%s %d ready, %s %d ready" % (f.receiver_label, r, f.query_label, q)
    failing = failing_evidence(f.jaeger.get("pods"))
    return r >= 1 and q >= 1, ev + ("; " + failing if failing else "")


def check_tempo_strategy(f: Facts) -> Outcome:
    leftovers = [p.name_of(c) for c in f.jaeger.get("crs") or []]
    if not f.tempo_sts or not f.query:
        return False, "tempo mode needs %s and %s (found %s)" % (f.receiver_label, f.query_label, ", ".join(
            x for x in (f.receiver_label if f.tempo_sts else "", f.query_label if f.query else "") if x) or "neither")
    if leftovers:
        return False, "Jaeger CR %s still deployed next to Tempo" % ", ".join(leftovers)
    return True, "tempo mode: %s (receivers) + %s" % (f.receiver_label, f.query_label)


def check_tempo_storage(f: Facts) -> Outcome:
    if f.tempo_config is None:
        return False, f.tempo_config_error
    trace = ((f.tempo_config.get("storage") or {}).get("trace")) or {}
    backend = trace.get("backend") or "(none)"
    bucket = (trace.get("s3") or {}).get("bucket")
    env_secrets = set()
    for c in p.containers(f.tempo_sts, init=False):
        for src in c.get("envFrom") or []:
            if (src.get("secretRef") or {}).get("name"):
                env_secrets.add(src["secretRef"]["name"])
        for env in c.get("env") or []:
            ref = ((env.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name")
            if ref:
                env_secrets.add(ref)
    ev = "Tempo backend %s, bucket %s, credentials from Secret %s" % (
        backend, bucket or "(none)", ", ".join(sorted(env_secrets)) or "(none)")
    return backend == "s3" and bool(bucket) and bool(env_secrets), ev


def check_tempo_retention(f: Facts) -> Outcome:
    want = f.retention_days
    if f.tempo_config is None:
        return False, f.tempo_config_error
    raw, hours = f.tempo_retention_hours()
    if raw is None:
        return False, "compactor.compaction.block_retention not set (Tempo default 336h)"
    if hours is None:
        return False, "block_retention %r is not a duration" % raw
    return hours >= want * 24, "Tempo block_retention %s (%g days, expected >= %d)" % (raw, hours / 24.0, want)


def check_tempo_otlp(f: Facts) -> Outcome:
    problem, ev = common.otlp_service(f)
    if problem:
        return False, problem
    receivers = ((f.tempo_config or {}).get("distributor") or {}).get("receivers") or {}
    if "otlp" not in receivers:
        return False, ev + ", but tempo.yaml distributor.receivers has no otlp"
    return True, ev + " -> %s" % f.receiver_label


def check_tempo_sampling(f: Facts) -> Outcome:
    if f.otel_config is None:
        return False, "collector config unreadable: %s" % f.otel_config_error
    tail = sampling_tier.tier(f)
    if tail.lb:
        # which sampling runs, from the tier's rendered policies (component sampling judges the chain)
        baseline = [x for x in tail.policies or [] if x.get("type") == "probabilistic"
                    and 0 < float((x.get("probabilistic") or {}).get("sampling_percentage") or 0) <= 100]
        return bool(baseline), sampling_tier.sampling_summary(f)
    procs = f.otel_config.get("processors") or {}
    for name, pipe in sorted(p.pipelines(f.otel_config).items()):
        if p.type_of(name) != "traces":
            continue
        for proc in (pipe or {}).get("processors") or []:
            if p.type_of(proc) == "probabilistic_sampler":
                conf = procs.get(proc) or {}
                pct = conf.get("sampling_percentage")
                ok = pct is not None and 0 < float(pct) <= 100
                return ok, "head sampling runs: %s %s%% on the agents (hash_seed %s, pipeline %s; error traces kept only at that rate)" % (
                    proc, sampling_tier.pct_text(pct), conf.get("hash_seed"), name)
    return False, "no probabilistic_sampler in the collector's traces pipeline (100% of traces kept)"


def check_tempo_known_broken(f: Facts) -> Outcome:
    broken = common.broken_combinations(f)
    if broken:
        return False, "; ".join(broken)
    return True, "tempo mode with released images"


def check_tempo_wal_persistent(f: Facts) -> Outcome:
    if not f.tempo_sts:
        return False, no_jaeger(f)
    sts = f.receiver_label
    spec = f.tempo_sts.get("spec") or {}
    templates = dict((p.name_of(t), t) for t in spec.get("volumeClaimTemplates") or [])
    volumes = dict((x.get("name"), x) for x in ((spec.get("template") or {}).get("spec") or {}).get("volumes") or [])
    mount = None
    for c in p.containers(f.tempo_sts, init=False):
        for vm in c.get("volumeMounts") or []:
            if WAL_PATH == str(vm.get("mountPath", "")).rstrip("/") or WAL_PATH.startswith(str(vm.get("mountPath", "")).rstrip("/") + "/"):
                mount = vm.get("name")
    if mount is None:
        return False, "no volume is mounted at %s in %s: the WAL is on the container's filesystem" % (WAL_PATH, sts)
    if mount not in templates:
        kind = [k for k in (volumes.get(mount) or {}) if k != "name"]
        return False, "%s mounts %s from volume %s (%s), not from a volumeClaimTemplate: a pod restart" \
                      " loses the traces not yet flushed" % (sts, WAL_PATH, mount, ", ".join(kind) or "unknown")
    claims = dict((p.name_of(c), c) for c in f.jaeger.get("pvcs") or [])
    wanted = ["%s-%s-%d" % (mount, p.name_of(f.tempo_sts), i) for i in range(p.requested_replicas(f.tempo_sts))]
    states = []
    for name in wanted:
        claim = claims.get(name)
        states.append((name, ((claim or {}).get("status") or {}).get("phase") or ("missing" if claim is None else "Pending")))
    bad = ["%s %s" % s_ for s_ in states if s_[1] != "Bound"]
    ev = "%s: %s on claims %s" % (sts, WAL_PATH, fmt_list("%s %s" % s_ for s_ in states))
    if bad:
        return False, ev, "make the claims bind: kubectl -n %s describe pvc %s (StorageClass, provisioner)." % (
            f.jaeger_ns, " ".join(n for n, _s in states if _s != "Bound"))
    return True, ev


def check_tempo_versions_supported(f: Facts) -> Outcome:
    when = common.today(f)
    texts, ok = [], True
    for where, image in common.jaeger_images(f):
        name = img.image_repo_name(image)
        component = name.rsplit("/", 1)[-1]
        if component not in SUPPORTED_COMPONENTS:
            continue
        version = img.version_tuple(img.split_image(image)[1])
        if not version:
            ok = False
            texts.append("%s: %s has no version tag" % (where, image))
            continue
        supported, _row, text = support.status(component, tuple(version) + (0,) * (3 - len(version)), when)
        ok = ok and supported
        texts.append("%s: %s" % (where, text))
    if not texts:
        return False, "no Tempo or Jaeger Query images found"
    return ok, "; ".join(texts)


def _container(workload, predicate):
    for c in p.containers(workload, init=False):
        if predicate(c):
            return c
    return None


def _container_strings(c):
    out = list(c.get("args") or []) + list(c.get("command") or [])
    out += [e.get("value") for e in c.get("env") or [] if e.get("value")]
    return out


def _env(c, name):
    for env in c.get("env") or []:
        if env.get("name") == name:
            return env.get("value")
    return None


def _mounted_configmap_text(f, workload):
    """Texts of the ConfigMap keys mounted into the pod (only the listed ``items`` when given).

    A YAML text with a ``backend`` key (tempo-query's config) is reduced to that value.
    """
    texts = []
    for vol in p.pod_spec(workload).get("volumes") or []:
        source = vol.get("configMap") or {}
        cm = p.by_name(f.jaeger.get("configmaps"), source.get("name")) if source.get("name") else None
        if not cm:
            continue
        data = cm.get("data") or {}
        keys = [i.get("key") for i in source.get("items") or []] or sorted(data)
        for key in keys:
            text = data.get(key) or ""
            parsed, _err = p.load_yaml(text)
            if isinstance(parsed, dict) and parsed.get("backend"):
                text = str(parsed["backend"])
            texts.append(text)
    return texts


def check_tempo_query_wired(f: Facts) -> Outcome:
    query = f.names["query_name"]
    if not f.query:
        return False, "%s missing" % f.query_label
    tq = _container(f.query, lambda c: "tempo-query" in (c.get("image") or "") or c.get("name") == "tempo-query")
    jq = _container(f.query, lambda c: "jaeger-query" in (c.get("image") or "") or c.get("name") == "jaeger-query")
    if not tq or not jq:
        return False, "%s pod lacks the %s container" % (query, "tempo-query" if not tq else "jaeger-query")
    strings = _container_strings(jq)
    grpc = _env(jq, "SPAN_STORAGE_TYPE") == "grpc" or any("span-storage.type=grpc" in str(s) for s in strings)
    local = any(":7777" in str(s) for s in strings) or _env(jq, "GRPC_STORAGE_SERVER") is not None
    if not grpc or not local:
        return False, "%s is not on grpc remote storage localhost:7777 (SPAN_STORAGE_TYPE=%s)" % (query, _env(jq, "SPAN_STORAGE_TYPE"))
    texts = [str(s) for s in _container_strings(tq)] + _mounted_configmap_text(f, f.query)
    seen = []
    for text in texts:
        for host, port in p.hostports(text):
            target = p.parse_endpoint("%s:%d" % (host, port), f.jaeger_ns)
            if not target.get("in_cluster") or target["namespace"] != f.jaeger_ns:
                continue
            svc = f.jaeger_service(target["service"])
            seen.append("%s:%d" % (host, port))
            if svc is not None and port in p.service_ports(svc) and f.tempo_sts is not None and p.service_selects(
                    svc, p.template_labels(f.tempo_sts)):
                return True, "%s -> localhost:7777 -> tempo-query -> Service %s:%d (%s pods)" % (
                    query, target["service"], port, f.names["tempo_name"])
    return False, "tempo-query backend %s does not resolve to a Service of the %s pods" % (
        fmt_list(seen) or "not found", f.names["tempo_name"])
