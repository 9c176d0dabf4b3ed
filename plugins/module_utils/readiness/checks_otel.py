# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness checks of the OpenTelemetry Collector agents (component ``otel_collector``).

Each check is a pure function of the ``Facts`` (facts.py) returning ``(passed, evidence)`` or
``(passed, evidence, fix)``; its id, title, weight and fix are in registry.py. The checks of the agents'
configuration run only when it was read (registry ``needs_otel_config``).
"""

from __future__ import annotations


from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import profiles
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse as p
from ansible_collections.talos_homelab.tracing.plugins.module_utils import images as img
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import versions as v
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import (
    Facts,
    Outcome,
    failing_evidence,
    fmt_list,
    schedulable_nodes,
)

MIN_COLLECTOR_VERSION = (0, 104, 0)  # receivers default to localhost since 0.104: config must be explicit
CONTRIB_REPOS = ("otel/opentelemetry-collector-contrib", "otel/opentelemetry-collector-k8s")


def collector_version(workload: dict | None, what: str) -> Outcome:
    """``(passed, evidence)`` of a Collector workload's image against the releases the collection has a
    configuration profile for (otel_config/profiles.py): the contrib distribution, a version tag, one of them."""
    refs = [c.get("image") for c in p.containers(workload, init=False)]
    image = refs[0] if refs else ""
    version = img.version_tuple(img.split_image(image)[1])
    supported = ", ".join(profiles.supported_releases())
    if img.image_repo_name(image) not in CONTRIB_REPOS:
        return False, "%s %s is not the contrib distribution (hostmetrics/kubeletstats are contrib receivers)" % (what, image)
    if version is None:
        return False, "%s %s has no version tag (supported: %s)" % (what, image, supported)
    if version < MIN_COLLECTOR_VERSION:
        return False, "%s %s is older than %s (supported: %s)" % (what, image, v.version_text(MIN_COLLECTOR_VERSION), supported)
    if not profiles.has_profile(version):
        return False, "%s %s: %s has no configuration profile (supported: %s)" % (what, image, v.version_text(version), supported)
    return True, "%s %s: %s, supported (%s)" % (what, image, v.version_text(version), supported)


def check_otel_version(f: Facts) -> Outcome:
    if not f.otel_workload:
        return False, "no collector workload %s/%s" % (f.otel_ns, f.params.get("otel_name"))
    return collector_version(f.otel_workload, "agents")


def check_otel_daemonset(f: Facts) -> Outcome:
    name = f.params.get("otel_name")
    if f.otel.get("daemonset"):
        return True, "DaemonSet %s/%s" % (f.otel_ns, name)
    if f.otel.get("deployment"):
        return False, "Deployment %s/%s: no per-node agent for hostmetrics/kubeletstats" % (f.otel_ns, name)
    return False, "no DaemonSet %s/%s" % (f.otel_ns, name)


def check_otel_ready(f: Facts) -> Outcome:
    ds = f.otel.get("daemonset")
    if not ds:
        return False, "no DaemonSet, so no agent per node"
    nodes = schedulable_nodes(f, ds)
    ready = int((ds.get("status") or {}).get("numberReady") or 0)
    evidence = "%d ready pods / %d schedulable nodes" % (ready, len(nodes))
    pods = f.otel.get("pods") or []
    if pods and any(pod.get("node") for pod in pods):
        covered = set(pod.get("node") for pod in pods if pod.get("ready"))
        missing = [n for n in nodes if n not in covered]
        if missing:
            evidence += "; no ready pod on %s" % fmt_list(missing)
    failing = failing_evidence(pods)
    if failing:
        evidence += "; " + failing
    return bool(nodes) and ready == len(nodes), evidence


def _otlp_bind(conf, proto):
    return ((((conf or {}).get("protocols") or {}).get(proto)) or {}).get("endpoint")


def _all_interfaces(endpoint, port):
    return str(endpoint) in ("0.0.0.0:%d" % port, ":%d" % port, "[::]:%d" % port)


def check_otel_otlp(f: Facts) -> Outcome:
    receivers = f.otel_config.get("receivers") or {}
    otlp = [r for r in receivers if p.type_of(r) == "otlp"]
    if not otlp:
        return False, "no otlp receiver"
    traces = [n for n in p.pipelines(f.otel_config) if p.type_of(n) == "traces"]
    for rid in otlp:
        grpc, http = _otlp_bind(receivers[rid], "grpc"), _otlp_bind(receivers[rid], "http")
        in_traces = any(rid in (p.pipelines(f.otel_config)[t] or {}).get("receivers", []) for t in traces)
        if _all_interfaces(grpc, f.names["otel_otlp_grpc_port"]) and _all_interfaces(http, f.names["otel_otlp_http_port"]) and in_traces:
            return True, "%s: grpc %s, http %s" % (rid, grpc, http)
    rid = otlp[0]
    return False, "%s: grpc %s, http %s%s" % (
        rid, _otlp_bind(receivers[rid], "grpc") or "default (localhost)", _otlp_bind(receivers[rid], "http") or "default (localhost)",
        "" if traces else "; no traces pipeline")


def check_otel_node_metrics(f: Facts) -> Outcome:
    used = set()
    for name, pipe in p.pipelines(f.otel_config).items():
        if p.type_of(name) == "metrics":
            used.update(p.type_of(r) for r in (pipe or {}).get("receivers") or [])
    defined = set(p.type_of(r) for r in (f.otel_config.get("receivers") or {}))
    missing = [r for r in ("hostmetrics", "kubeletstats") if r not in used]
    if missing:
        return False, "missing from the metrics pipelines: %s%s" % (
            ", ".join(missing), " (defined but unused)" if set(missing) <= defined else "")
    return True, "hostmetrics, kubeletstats in metrics pipeline"


def check_otel_memory_limiter(f: Facts) -> Outcome:
    pipes = p.pipelines(f.otel_config)
    if not pipes:
        return False, "no pipelines"
    bad = [n for n, pipe in sorted(pipes.items()) if p.type_of(((pipe or {}).get("processors") or ["-"])[0]) != "memory_limiter"]
    if bad:
        return False, "not first in %s" % ", ".join(bad)
    return True, "first in %s" % ", ".join(sorted(pipes))


def check_otel_processors(f: Facts) -> Outcome:
    pipes = p.pipelines(f.otel_config)
    if not pipes:
        return False, "no pipelines"
    problems = []
    for name, pipe in sorted(pipes.items()):
        types = set(p.type_of(x) for x in (pipe or {}).get("processors") or [])
        missing = [x for x in ("batch", "resource") if x not in types]
        if missing:
            problems.append("%s lacks %s" % (name, "+".join(missing)))
    if problems:
        return False, "; ".join(problems)
    return True, "batch and resource in %s" % ", ".join(sorted(pipes))


def check_otel_exporters(f: Facts) -> Outcome:
    targets = p.exporter_targets(f.otel_config, f.otel_ns)
    if not targets:
        return False, "no exporter with an endpoint in any pipeline"
    good, bad = [], []
    for t in targets:
        label = "%s -> %s" % (t["exporter"], t["endpoint"])
        if not t.get("in_cluster"):
            good.append("%s (outside the cluster, not verified)" % label)
            continue
        key = "%s/%s" % (t["namespace"], t["service"])
        svc = f.services.get(key)
        if svc is None:
            bad.append("%s: Service %s does not exist" % (label, key))
        elif t["port"] not in p.service_ports(svc):
            bad.append("%s: Service %s has no port %s (ports %s)" % (
                label, key, t["port"], ", ".join(str(x) for x in p.service_ports(svc)) or "none"))
        else:
            good.append("%s: Service %s port %s" % (label, key, t["port"]))
    if bad:
        return False, "; ".join(bad)
    return True, "; ".join(good)


def _resources_missing(container):
    res = container.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    missing = ["requests.%s" % k for k in ("cpu", "memory") if not req.get(k)]
    missing += ["limits.memory"] if not lim.get("memory") else []
    return missing


def check_otel_resources(f: Facts) -> Outcome:
    if not f.otel_workload:
        return False, "no collector workload"
    problems = []
    for c in p.containers(f.otel_workload, init=False):
        missing = _resources_missing(c)
        if missing:
            problems.append("%s: no %s" % (c.get("name"), ", ".join(missing)))
    if problems:
        return False, "; ".join(problems)
    c = p.containers(f.otel_workload, init=False)[0]
    res = c.get("resources") or {}
    return True, "requests %s, limits %s" % (
        "/".join(str(v) for _k, v in sorted((res.get("requests") or {}).items())),
        "/".join(str(v) for _k, v in sorted((res.get("limits") or {}).items())))
