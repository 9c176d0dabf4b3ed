# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readiness checks: pure functions over the snapshot built by ``collect``.

Every check returns a dict ``id, title, component, severity, weight, passed,
evidence, fix``; a check function returns ``(passed, evidence)`` or
``(passed, evidence, fix)`` when the fix depends on what it found.  ``weight`` is the check's importance; ``score.py`` turns it
into points (danger counts double).  The Jaeger weights are chosen so that the
checks which pass on the before-state (running, OTLP, credentials, no broken
combination: danger 3 each; pinned images, query wired: warning 3 each) give
exactly 30 of 100 points, the user's own assessment.

Jaeger is checked in one of two modes (``storage_mode``; ``auto`` picks
``tempo`` when the Tempo StatefulSet/ConfigMap exists, else ``grpc-plugin``
when a Jaeger CR exists, else ``tempo``):
  - ``tempo``: StatefulSet ``tempo`` receives OTLP behind Service
    ``jaeger-collector``; Deployment ``jaeger-query`` reads it through a
    ``tempo-query`` sidecar.
  - ``grpc-plugin`` (operator mode): the Jaeger CR and what the operator made of it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse as p
from ansible_collections.talos_homelab.tracing.plugins.module_utils import support
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import sampling_checks

COMPONENTS = ("otel_collector", "jaeger", sampling_checks.COMPONENT, "storage")
COMPONENT_TITLES = dict(otel_collector="OpenTelemetry Collector", jaeger="Jaeger", storage="Storage",
                        **{sampling_checks.COMPONENT: sampling_checks.TITLE})
DANGER = "danger"
WARNING = "warning"

MIN_COLLECTOR_VERSION = (0, 104, 0)  # receivers default to localhost since 0.104: config must be explicit
CONTRIB_REPOS = ("otel/opentelemetry-collector-contrib", "otel/opentelemetry-collector-k8s")
# Jaeger removed the sidecar plugin model in 1.58 and the grpc-plugin type in 1.60 (docs/storage.md):
# from 1.58 on a grpc-plugin CR cannot work, from 1.60 on it crash-loops.
GRPC_PLUGIN_BROKEN = (1, 58, 0)
OPERATOR_DEFAULT_JAEGER = (1, 65, 0)  # what the last operator release deploys when no image is pinned
TEMPO_QUERY_REMOTE_STORAGE = (2, 6, 1)  # tempo-query serves Jaeger remote storage on 7777 since 2.6.1
NONEXISTENT_IMAGES = ("jaegertracing/jaeger-s3",)
PERSISTENT_OPERATOR_STORAGE = ("elasticsearch", "opensearch", "cassandra", "grpc-plugin", "grpc", "kafka")
STORAGE_SECRET_KEYS = ("S3_ENDPOINT", "S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
SOURCE_CLAIM_LABEL = "tracing.talos-homelab.io/source-claim"
SECRET_ENV_RE = p.CRED_NAME_RE


# ====================================================================== derived facts
class Facts(object):
    """What the checks share, derived once from the snapshot."""

    def __init__(self, snap):
        self.snap = snap
        self.params = snap.get("params") or {}
        self.otel_ns = self.params.get("otel_namespace", "opentelemetry")
        self.jaeger_ns = self.params.get("jaeger_namespace", "jaeger")
        self.retention_days = int(self.params.get("retention_days") or 7)
        self.otel = snap.get("otel") or {}
        self.jaeger = snap.get("jaeger") or {}
        self.storage = snap.get("storage") or {}
        self.services = snap.get("services") or {}
        self.otel_workload = p.otel_workload(self.otel)
        self.otel_cm, self.otel_config, self.otel_config_error = p.otel_config(self.otel)
        self.cr = self._pick_cr()
        self.tempo_sts = p.by_name(self.jaeger.get("statefulsets"), "tempo")
        self.tempo_cm = p.by_name(self.jaeger.get("configmaps"), "tempo")
        self.tempo_config, self.tempo_config_error = self._tempo_config()
        self.mode = self._mode()
        if self.mode == "tempo":
            self.receiver = self.tempo_sts
            self.receiver_label = "StatefulSet tempo"
            self.query = p.by_name(self.jaeger.get("deployments"), "jaeger-query")
            self.query_label = "Deployment jaeger-query"
            self.collector_service_name = "jaeger-collector"
            self.query_service_name = "jaeger-query"
        else:
            name = p.name_of(self.cr) or "jaeger"
            self.collector_service_name = "%s-collector" % name
            self.query_service_name = "%s-query" % name
            if self.strategy() == "allInOne":
                self.receiver = self.query = p.by_name(self.jaeger.get("deployments"), name)
                self.receiver_label = self.query_label = "Deployment %s (all-in-one)" % name
            else:
                self.receiver = p.by_name(self.jaeger.get("deployments"), "%s-collector" % name)
                self.query = p.by_name(self.jaeger.get("deployments"), "%s-query" % name)
                self.receiver_label = "Deployment %s-collector" % name
                self.query_label = "Deployment %s-query" % name

    def _pick_cr(self):
        crs = self.jaeger.get("crs") or []
        return p.by_name(crs, "jaeger") or (crs[0] if crs else None)

    def _tempo_config(self):
        if not self.tempo_cm:
            return None, "ConfigMap %s/tempo not found" % self.jaeger_ns
        data = self.tempo_cm.get("data") or {}
        if "tempo.yaml" not in data:
            return None, "ConfigMap %s/tempo has no key tempo.yaml" % self.jaeger_ns
        config, error = p.load_yaml(data["tempo.yaml"])
        return config, (("tempo.yaml is %s" % error) if error else None)

    def _mode(self):
        wanted = self.params.get("storage_mode") or "auto"
        if wanted in ("tempo", "grpc-plugin"):
            return wanted
        if self.tempo_sts or self.tempo_cm:
            return "tempo"
        if self.cr:
            return "grpc-plugin"
        return "tempo"

    # --- Jaeger CR helpers (operator mode)
    def cr_spec(self):
        return (self.cr or {}).get("spec") or {}

    def storage_type(self):
        return str((self.cr_spec().get("storage") or {}).get("type") or "memory")

    def strategy(self):
        strategy = str(self.cr_spec().get("strategy") or "allInOne")
        if strategy.lower() not in ("production", "streaming"):
            return "allInOne"
        if self.storage_type() in ("memory", "badger"):
            return "allInOne"
        return strategy

    # --- workloads of the Jaeger namespace
    def jaeger_workloads(self):
        return list(self.jaeger.get("deployments") or []) + list(self.jaeger.get("statefulsets") or [])

    def jaeger_service(self, name):
        return self.services.get("%s/%s" % (self.jaeger_ns, name))

    # --- storage helpers
    def lifecycle_days(self):
        """Expiration days of the enabled whole-bucket rules: ``[(id, days)]``."""
        out = []
        for rule in self.storage.get("lifecycle") or []:
            if rule.get("Status") != "Enabled":
                continue
            days = (rule.get("Expiration") or {}).get("Days")
            if not days:
                continue
            prefix = rule.get("Prefix")
            filt = rule.get("Filter")
            if filt is not None:
                if set(filt) - {"Prefix"}:
                    continue
                prefix = filt.get("Prefix", "")
            if prefix:
                continue
            out.append((rule.get("ID"), int(days)))
        return out

    def tempo_retention_hours(self):
        compaction = (((self.tempo_config or {}).get("compactor") or {}).get("compaction")) or {}
        value = compaction.get("block_retention")
        return value, p.duration_hours(value)


def _check(cid, component, title, severity, weight, fix):
    def wrap(func):
        func.meta = dict(id=cid, component=component, title=title, severity=severity, weight=weight, fix=fix)
        return func

    return wrap


def _fmt_list(items, limit=5):
    items = list(items)
    text = ", ".join(str(i) for i in items[:limit])
    if len(items) > limit:
        text += " (+%d more)" % (len(items) - limit)
    return text


# ====================================================================== OpenTelemetry Collector
@_check("otel_version", "otel_collector", "Collector version", "warning", 5,
        "run a pinned otel/opentelemetry-collector-contrib image >= 0.104.0 (role otel_collector, otel_collector_image).")
def check_otel_version(f):
    if not f.otel_workload:
        return False, "no collector workload %s/%s" % (f.otel_ns, f.params.get("otel_name"))
    images = [c.get("image") for c in p.containers(f.otel_workload, init=False)]
    image = images[0] if images else ""
    repo, tag, _digest = p.split_image(image)
    version = p.version_tuple(tag)
    if p.image_repo_name(image) not in CONTRIB_REPOS:
        return False, "%s is not the contrib distribution (hostmetrics/kubeletstats are contrib receivers)" % image
    if version is None:
        return False, "%s has no version tag" % image
    if version < MIN_COLLECTOR_VERSION:
        return False, "%s is older than %s" % (image, p.version_text(MIN_COLLECTOR_VERSION))
    return True, image


@_check("otel_daemonset", "otel_collector", "DaemonSet mode (one agent per node)", "danger", 5,
        "deploy the collector as a DaemonSet (role otel_collector).")
def check_otel_daemonset(f):
    name = f.params.get("otel_name")
    if f.otel.get("daemonset"):
        return True, "DaemonSet %s/%s" % (f.otel_ns, name)
    if f.otel.get("deployment"):
        return False, "Deployment %s/%s: no per-node agent for hostmetrics/kubeletstats" % (f.otel_ns, name)
    return False, "no DaemonSet %s/%s" % (f.otel_ns, name)


def _tolerates(tolerations, taint):
    for tol in tolerations or []:
        if tol.get("effect") and tol.get("effect") != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists":
            if not tol.get("key") or tol.get("key") == taint.get("key"):
                return True
        elif tol.get("key") == taint.get("key") and tol.get("value", "") == taint.get("value", ""):
            return True
    return False


def schedulable_nodes(f, workload):
    spec = p.pod_spec(workload)
    selector = spec.get("nodeSelector") or {}
    out = []
    for node in f.snap.get("nodes") or []:
        if not node.get("ready") or node.get("unschedulable"):
            continue
        if any(node.get("labels", {}).get(k) != v for k, v in selector.items()):
            continue
        blocking = [t for t in node.get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")]
        if any(not _tolerates(spec.get("tolerations"), t) for t in blocking):
            continue
        out.append(node["name"])
    return out


@_check("otel_ready", "otel_collector", "Ready pods = schedulable nodes", "danger", 8,
        "make the DaemonSet tolerate every node's taints and fix the failing pods (kubectl -n <ns> describe ds).")
def check_otel_ready(f):
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
            evidence += "; no ready pod on %s" % _fmt_list(missing)
    failing = failing_evidence(pods)
    if failing:
        evidence += "; " + failing
    return bool(nodes) and ready == len(nodes), evidence


# A crash-looping container's own error names the component and key it refused; values are hidden
# (a refused value can be a credential).
_VALUE_RE = re.compile(r"(value: )'[^']*'|`[^`]*`")


def failing_evidence(pods, limit=2):
    """``pod/container REASON (exit N, M restarts): message`` of pods whose containers do not run."""
    seen = []
    for pod in pods or []:
        for c in pod.get("failing") or []:
            text = _VALUE_RE.sub(lambda m: (m.group(1) or "") + "(hidden)", " ".join(str(c.get("message") or "").split()))
            exit_text = "" if c.get("exit_code") is None else "exit %s, " % c.get("exit_code")
            item = "%s/%s %s (%s%d restarts)%s" % (pod.get("name"), c.get("name"), c.get("reason"), exit_text,
                                                   int(c.get("restarts") or 0), ": " + text[-400:] if text else "")
            if item.split(" ", 1)[1] not in [s.split(" ", 1)[1] for s in seen]:
                seen.append(item)
    return "; ".join(seen[:limit])


def _otlp_bind(conf, proto):
    return ((((conf or {}).get("protocols") or {}).get(proto)) or {}).get("endpoint")


def _all_interfaces(endpoint, port):
    return str(endpoint) in ("0.0.0.0:%d" % port, ":%d" % port, "[::]:%d" % port)


@_check("otel_otlp_receivers", "otel_collector", "OTLP receivers on 0.0.0.0:4317/4318", "danger", 7,
        "set receivers.otlp.protocols.grpc.endpoint 0.0.0.0:4317 and http.endpoint 0.0.0.0:4318"
        " (they default to localhost since 0.104) and use otlp in the traces pipeline.")
def check_otel_otlp(f):
    if f.otel_config is None:
        return False, f.otel_config_error
    receivers = f.otel_config.get("receivers") or {}
    otlp = [r for r in receivers if p.type_of(r) == "otlp"]
    if not otlp:
        return False, "no otlp receiver"
    traces = [n for n in p.pipelines(f.otel_config) if p.type_of(n) == "traces"]
    for rid in otlp:
        grpc, http = _otlp_bind(receivers[rid], "grpc"), _otlp_bind(receivers[rid], "http")
        in_traces = any(rid in (p.pipelines(f.otel_config)[t] or {}).get("receivers", []) for t in traces)
        if _all_interfaces(grpc, 4317) and _all_interfaces(http, 4318) and in_traces:
            return True, "%s: grpc %s, http %s" % (rid, grpc, http)
    rid = otlp[0]
    return False, "%s: grpc %s, http %s%s" % (
        rid, _otlp_bind(receivers[rid], "grpc") or "default (localhost)", _otlp_bind(receivers[rid], "http") or "default (localhost)",
        "" if traces else "; no traces pipeline")


@_check("otel_node_metrics", "otel_collector", "hostmetrics and kubeletstats receivers", "warning", 10,
        "add hostmetrics (root_path /hostfs) and kubeletstats (auth_type serviceAccount) receivers to a metrics pipeline.")
def check_otel_node_metrics(f):
    if f.otel_config is None:
        return False, f.otel_config_error
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


@_check("otel_memory_limiter", "otel_collector", "memory_limiter first in every pipeline", "danger", 6,
        "put memory_limiter (check_interval 1s, limit_mib, spike_limit_mib) first in every pipeline's processors.")
def check_otel_memory_limiter(f):
    if f.otel_config is None:
        return False, f.otel_config_error
    pipes = p.pipelines(f.otel_config)
    if not pipes:
        return False, "no pipelines"
    bad = [n for n, pipe in sorted(pipes.items()) if p.type_of(((pipe or {}).get("processors") or ["-"])[0]) != "memory_limiter"]
    if bad:
        return False, "not first in %s" % ", ".join(bad)
    return True, "first in %s" % ", ".join(sorted(pipes))


@_check("otel_processors", "otel_collector", "batch and resource processors", "warning", 8,
        "add a batch processor and a resource processor (e.g. cluster attribute) to every pipeline.")
def check_otel_processors(f):
    if f.otel_config is None:
        return False, f.otel_config_error
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


@_check("otel_exporters", "otel_collector", "Exporter endpoints resolve to existing Service ports", "danger", 10,
        "point the trace exporter at jaeger-collector.jaeger:4317 (OTLP gRPC, tls insecure) (role otel_collector).")
def check_otel_exporters(f):
    if f.otel_config is None:
        return False, f.otel_config_error
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


@_check("otel_resources", "otel_collector", "Resource requests and limits set", "warning", 5,
        "set resources.requests (cpu, memory) and resources.limits.memory on the collector container, and GOMEMLIMIT.")
def check_otel_resources(f):
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


# ====================================================================== Jaeger
def _no_jaeger(f):
    return "no Jaeger in namespace %s (no tempo StatefulSet%s)" % (
        f.jaeger_ns, ", CRD jaegers.jaegertracing.io missing" if f.jaeger.get("crd_missing") else ", no Jaeger CR")


@_check("jaeger_running", "jaeger", "Jaeger running", "danger", 3,
        "check the pods and events in the Jaeger namespace (kubectl -n jaeger get pods,events).")
def check_jaeger_running(f):
    if f.mode == "tempo":
        if not f.tempo_sts and not f.query:
            return False, _no_jaeger(f)
        r, q = p.ready_replicas(f.receiver), p.ready_replicas(f.query)
        ev = "%s %d ready, %s %d ready" % (f.receiver_label, r, f.query_label, q)
        failing = failing_evidence(f.jaeger.get("pods"))
        return r >= 1 and q >= 1, ev + ("; " + failing if failing else "")
    if not f.cr:
        return False, _no_jaeger(f)
    phase = ((f.cr.get("status") or {}).get("phase")) or "(none)"
    return phase == "Running", "Jaeger %s/%s phase %s" % (f.jaeger_ns, p.name_of(f.cr), phase)


@_check("jaeger_strategy", "jaeger", "Production deployment strategy", "danger", 6,
        "deploy with role jaeger_production: receivers and query as separate, replicated workloads (strategy production).")
def check_jaeger_strategy(f):
    if f.mode == "tempo":
        leftovers = [p.name_of(c) for c in f.jaeger.get("crs") or []]
        if not f.tempo_sts or not f.query:
            return False, "tempo mode needs StatefulSet tempo and Deployment jaeger-query (found %s)" % (
                ", ".join(x for x in ("StatefulSet tempo" if f.tempo_sts else "", "Deployment jaeger-query" if f.query else "") if x) or "neither")
        if leftovers:
            return False, "Jaeger CR %s still deployed next to Tempo" % ", ".join(leftovers)
        return True, "tempo mode: StatefulSet tempo (receivers) + Deployment jaeger-query"
    if not f.cr:
        return False, _no_jaeger(f)
    declared = f.cr_spec().get("strategy") or "allInOne (default)"
    effective = f.strategy()
    if effective == "allInOne" and str(declared).lower() in ("production", "streaming"):
        return False, "strategy %s forced to allInOne by storage %s" % (declared, f.storage_type())
    return effective != "allInOne", "strategy %s" % (declared if effective != "allInOne" else "allInOne")


@_check("jaeger_storage", "jaeger", "Persistent trace storage", "danger", 8,
        "store traces in the Ceph bucket: Tempo with the S3 backend (storage_mode tempo) and credentials from Secret jaeger-storage.")
def check_jaeger_storage(f):
    if f.mode == "tempo":
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
    if not f.cr:
        return False, _no_jaeger(f)
    stype = f.storage_type()
    return stype in PERSISTENT_OPERATOR_STORAGE, "storage %s" % stype


def _replica_text(label, workload):
    if not workload:
        return "%s missing" % label
    return "%s %d ready (requested %d)" % (label, p.ready_replicas(workload), p.requested_replicas(workload))


@_check("jaeger_replicas", "jaeger", "HA: >= 2 ready receiver and query replicas", "danger", 5,
        "run 3 receiver replicas (tempo StatefulSet, or spec.collector.replicas: 3) and spec.query.replicas: 2.")
def check_jaeger_replicas(f):
    if f.mode != "tempo" and not f.cr:
        return False, _no_jaeger(f)
    if f.receiver is f.query:
        ev = _replica_text(f.receiver_label, f.receiver)
        return False, "single workload: %s" % ev if p.ready_replicas(f.receiver) > 1 else "single replica: %s" % ev
    ev = "%s; %s" % (_replica_text(f.receiver_label, f.receiver), _replica_text(f.query_label, f.query))
    return p.ready_replicas(f.receiver) >= 2 and p.ready_replicas(f.query) >= 2, ev


def _spread(f, label, workload):
    """``(ok, evidence, constrained, nodes)``: constrained when the pods carry a hostname spread rule."""
    if not workload:
        return False, "%s missing" % label, False, []
    constrained = p.has_hostname_spread(workload)
    nodes = schedulable_nodes(f, workload)
    pods = [x for x in p.pods_of(workload, f.jaeger.get("pods")) if x.get("ready")]
    placed = set(x.get("node") for x in pods if x.get("node"))
    if placed:
        return len(placed) >= 2, "%s on %d node(s)" % (label, len(placed)), constrained, nodes
    ok = constrained and p.requested_replicas(workload) >= 2
    return ok, "%s %s" % (label, "spreads on kubernetes.io/hostname" if ok else "has no spread over nodes"), constrained, nodes


SPREAD_FIX = ("add topologySpreadConstraints (topologyKey kubernetes.io/hostname) to the receiver and query pods.")


def _spread_fix(results):
    """What is actually missing, so the fix is not one already applied (issue 9 item 5)."""
    failing = [r for r in results if not r[0]]
    if not failing or any(not constrained for _ok, _ev, constrained, _n in failing):
        return SPREAD_FIX
    nodes = max(len(n) for _ok, _ev, _c, n in failing)
    if nodes < 2:
        return ("topologySpreadConstraints on kubernetes.io/hostname are already applied, but the cluster has %d schedulable"
                " node: add at least one more schedulable node (replicas on one node cannot spread), or accept the"
                " single failure domain." % nodes)
    return ("topologySpreadConstraints on kubernetes.io/hostname are already applied and the cluster has %d schedulable nodes,"
            " but the ready pods run on one node: make more nodes schedulable for these pods (taints, cordons, resources),"
            " or run fewer replicas than nodes so the scheduler can spread them." % nodes)


@_check("jaeger_spread", "jaeger", "Replicas spread over distinct nodes", "warning", 3, SPREAD_FIX)
def check_jaeger_spread(f):
    if f.mode != "tempo" and not f.cr:
        return False, _no_jaeger(f)
    results = [_spread(f, f.receiver_label, f.receiver)]
    if f.query is not f.receiver:
        results.append(_spread(f, f.query_label, f.query))
    ok = all(r[0] for r in results)
    return ok, "; ".join(r[1] for r in results), _spread_fix(results)


@_check("jaeger_retention", "jaeger", "Trace retention configured", "danger", 5,
        "keep traces for retention_days: Tempo compactor.compaction.block_retention (tempo mode) or a bucket lifecycle rule"
        " (grpc-plugin mode); memory storage has none.")
def check_jaeger_retention(f):
    want = f.retention_days
    if f.mode == "tempo":
        if f.tempo_config is None:
            return False, f.tempo_config_error
        raw, hours = f.tempo_retention_hours()
        if raw is None:
            return False, "compactor.compaction.block_retention not set (Tempo default 336h)"
        if hours is None:
            return False, "block_retention %r is not a duration" % raw
        return hours >= want * 24, "Tempo block_retention %s (%g days, expected >= %d)" % (raw, hours / 24.0, want)
    if not f.cr:
        return False, _no_jaeger(f)
    stype = f.storage_type()
    if stype in ("memory", "badger"):
        return False, "storage %s: no retention (traces live until restart or eviction)" % stype
    if stype == "grpc-plugin":
        days = f.lifecycle_days()
        ok = any(d == want for _i, d in days)
        return ok, "bucket lifecycle %s" % (", ".join("%s %dd" % x for x in days) or "absent")
    if stype in ("elasticsearch", "opensearch"):
        cleaner = (f.cr_spec().get("storage") or {}).get("esIndexCleaner") or {}
        ok = bool(cleaner.get("enabled")) and int(cleaner.get("numberOfDays") or 0) == want
        return ok, "esIndexCleaner enabled=%s numberOfDays=%s" % (cleaner.get("enabled"), cleaner.get("numberOfDays"))
    ttl = [k for k in _flatten((f.cr_spec().get("storage") or {}).get("options") or {}) if "ttl" in k.lower()]
    return bool(ttl), "storage %s, ttl options %s" % (stype, ", ".join(ttl) or "none")


def _flatten(data, prefix=""):
    out = {}
    for key, value in (data or {}).items():
        full = "%s.%s" % (prefix, key) if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, full))
        else:
            out[full] = value
    return out


def _service_evidence(svc, name):
    if svc is None:
        return "Service %s missing" % name
    return "Service %s ports %s" % (name, ", ".join(str(x) for x in p.service_ports(svc)))


@_check("jaeger_otlp", "jaeger", "OTLP enabled on jaeger-collector:4317/4318", "danger", 3,
        "expose 4317 (grpc-otlp) and 4318 (http-otlp) on Service jaeger-collector, selecting the receiver pods.")
def check_jaeger_otlp(f):
    name = f.collector_service_name
    svc = f.jaeger_service(name)
    ev = _service_evidence(svc, name)
    if svc is None:
        return False, ev
    ports = p.service_ports(svc)
    if 4317 not in ports or 4318 not in ports:
        return False, ev + " (4317/4318 missing)"
    if not f.receiver or not p.service_selects(svc, p.template_labels(f.receiver)):
        return False, ev + ", but it selects no %s pods" % f.receiver_label
    if f.mode == "tempo":
        receivers = ((f.tempo_config or {}).get("distributor") or {}).get("receivers") or {}
        if "otlp" not in receivers:
            return False, ev + ", but tempo.yaml distributor.receivers has no otlp"
    return True, ev + " -> %s" % f.receiver_label


@_check("jaeger_sampling", "jaeger", "Sampling configured", "warning", 5,
        "tempo mode: the tail-sampling tier (tracing_sampling: tail) or a probabilistic_sampler processor"
        " (sampling_percentage, hash_seed) in the collector's traces pipeline; operator mode: spec.sampling.options.")
def check_jaeger_sampling(f):
    if f.mode == "tempo":
        if f.otel_config is None:
            return False, "collector config unreadable: %s" % f.otel_config_error
        tail = sampling_checks.tier(f)
        if tail.lb:
            # which sampling runs, from the tier's rendered policies (component sampling judges the chain)
            baseline = [x for x in tail.policies or [] if x.get("type") == "probabilistic"
                        and 0 < float((x.get("probabilistic") or {}).get("sampling_percentage") or 0) <= 100]
            return bool(baseline), sampling_checks.sampling_summary(f)
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
                        proc, sampling_checks.pct_text(pct), conf.get("hash_seed"), name)
        return False, "no probabilistic_sampler in the collector's traces pipeline (100% of traces kept)"
    if not f.cr:
        return False, _no_jaeger(f)
    options = (f.cr_spec().get("sampling") or {}).get("options") or {}
    if not options:
        return False, "spec.sampling empty (operator default: 100% probabilistic)"
    default = options.get("default_strategy") or {}
    return True, "default_strategy %s %s" % (default.get("type", "?"), default.get("param", ""))


@_check("jaeger_credentials", "jaeger", "Credentials only via Secret", "danger", 3,
        "move keys to Secret jaeger-storage (jaeger_storage_secret) and reference it (envFrom / spec.storage.secretName).")
def check_jaeger_credentials(f):
    leaks = []
    if f.cr:
        for key, value in _flatten((f.cr_spec().get("storage") or {}).get("options") or {}).items():
            if p.CRED_NAME_RE.search(key) and value not in (None, "") and not str(value).startswith("${"):
                leaks.append("Jaeger CR spec.storage.options %s" % key)
        for env in f.cr_spec().get("env") or []:
            if SECRET_ENV_RE.search(env.get("name") or "") and "value" in env:
                leaks.append("Jaeger CR env %s" % env.get("name"))
    for wl in f.jaeger_workloads():
        for c in p.containers(wl):
            for env in c.get("env") or []:
                if SECRET_ENV_RE.search(env.get("name") or "") and env.get("value") not in (None, ""):
                    leaks.append("%s/%s env %s" % (p.name_of(wl), c.get("name"), env.get("name")))
    for cm in f.jaeger.get("configmaps") or []:
        for key, text in (cm.get("data") or {}).items():
            if SECRET_ENV_RE.search(key) and text:
                leaks.append("ConfigMap %s key %s" % (p.name_of(cm), key))
                continue
            if key.endswith((".yaml", ".yml", ".json")):
                data, _err = p.load_yaml(text)
                for path in p.literal_credentials(data) if isinstance(data, (dict, list)) else []:
                    leaks.append("ConfigMap %s %s: %s" % (p.name_of(cm), key, path))
    if leaks:
        return False, "literal credentials in %s" % _fmt_list(sorted(set(leaks)))
    return True, "no literal keys in the CR, env or ConfigMaps"


def _jaeger_images(f):
    images = []
    for wl in f.jaeger_workloads():
        for c in p.containers(wl):
            images.append(("%s/%s" % (p.name_of(wl), c.get("name")), c.get("image") or ""))
    spec = f.cr_spec()
    for path in ("allInOne", "collector", "query", "ingester", "agent"):
        image = (spec.get(path) or {}).get("image")
        if image:
            images.append(("Jaeger CR spec.%s.image" % path, image))
    plugin = ((spec.get("storage") or {}).get("grpcPlugin") or {}).get("image")
    if plugin:
        images.append(("Jaeger CR spec.storage.grpcPlugin.image", plugin))
    return images


@_check("jaeger_image_tags", "jaeger", "Images pinned (no latest)", "warning", 3,
        "pin every image to a released version tag (or digest).")
def check_jaeger_image_tags(f):
    images = _jaeger_images(f)
    if not images:
        return False, "no Jaeger images found"
    bad = []
    for where, image in images:
        _repo, tag, digest = p.split_image(image)
        if not digest and (not tag or tag == "latest"):
            bad.append("%s (%s)" % (image, where))
    if bad:
        return False, "unpinned: %s" % _fmt_list(bad)
    return True, _fmt_list(sorted(set(i for _w, i in images)), 4)


def _jaeger_version(f):
    for _where, image in _jaeger_images(f):
        name = p.image_repo_name(image)
        if name.startswith("jaegertracing/") and name not in NONEXISTENT_IMAGES and "operator" not in name:
            version = p.version_tuple(p.split_image(image)[1])
            if version:
                return version, image
    status_version = ((f.cr or {}).get("status") or {}).get("version")
    if p.version_tuple(status_version):
        return p.version_tuple(status_version), "status.version %s" % status_version
    return OPERATOR_DEFAULT_JAEGER, "operator default"


@_check("jaeger_known_broken", "jaeger", "No known-broken storage/version combination", "danger", 3,
        "use storage_mode tempo (Jaeger dropped plugins in 1.58 and grpc-plugin in 1.60; jaegertracing/jaeger-s3 does not exist).")
def check_jaeger_known_broken(f):
    broken = []
    for where, image in _jaeger_images(f):
        if p.image_repo_name(image) in NONEXISTENT_IMAGES:
            broken.append("%s: image %s does not exist" % (where, image))
        if "tempo-query" in p.image_repo_name(image):
            version = p.version_tuple(p.split_image(image)[1])
            if version and version < TEMPO_QUERY_REMOTE_STORAGE:
                broken.append("%s: tempo-query %s < 2.6.1 has no remote storage API on 7777" % (where, p.version_text(version)))
    if f.cr and f.storage_type() == "grpc-plugin":
        version, source = _jaeger_version(f)
        if version >= GRPC_PLUGIN_BROKEN:
            broken.append("storage grpc-plugin with Jaeger %s (%s): plugins removed in 1.58, the type in 1.60" % (
                p.version_text(version), source))
    if broken:
        return False, "; ".join(broken)
    if f.mode == "tempo":
        return True, "tempo mode with released images"
    return True, "storage %s with Jaeger %s" % (f.storage_type() if f.cr else "-", p.version_text(_jaeger_version(f)[0]))


WAL_PATH = "/var/tempo"  # where the role mounts Tempo's WAL and local blocks (vars/main.yml tempo.yaml)
WAL_FIX = ("run the site playbook (role jaeger_production): Tempo's WAL goes on volumeClaimTemplates claims"
           " (jaeger_production_tempo_wal_size, jaeger_production_tempo_wal_storage_class), the StatefulSet is replaced"
           " with its pods orphaned, then adopted.")


@_check("jaeger_wal_persistent", "jaeger", "Receiver WAL on persistent volumes (claims Bound)", "danger", 3, WAL_FIX)
def check_jaeger_wal_persistent(f):
    if f.mode != "tempo":
        if not f.cr:
            return False, _no_jaeger(f)
        stype = f.storage_type()
        if stype in PERSISTENT_OPERATOR_STORAGE:
            return True, "storage %s: the collectors write to the store, no local WAL" % stype
        return False, "storage %s keeps recent traces in the pod (no WAL volume): a restart loses them" % stype
    if not f.tempo_sts:
        return False, _no_jaeger(f)
    spec = f.tempo_sts.get("spec") or {}
    templates = dict((p.name_of(t), t) for t in spec.get("volumeClaimTemplates") or [])
    volumes = dict((v.get("name"), v) for v in ((spec.get("template") or {}).get("spec") or {}).get("volumes") or [])
    mount = None
    for c in p.containers(f.tempo_sts, init=False):
        for vm in c.get("volumeMounts") or []:
            if WAL_PATH == str(vm.get("mountPath", "")).rstrip("/") or WAL_PATH.startswith(str(vm.get("mountPath", "")).rstrip("/") + "/"):
                mount = vm.get("name")
    if mount is None:
        return False, "no volume is mounted at %s in StatefulSet tempo: the WAL is on the container's filesystem" % WAL_PATH
    if mount not in templates:
        kind = [k for k in (volumes.get(mount) or {}) if k != "name"]
        return False, "StatefulSet tempo mounts %s from volume %s (%s), not from a volumeClaimTemplate: a pod restart" \
                      " loses the traces not yet flushed" % (WAL_PATH, mount, ", ".join(kind) or "unknown")
    claims = dict((p.name_of(c), c) for c in f.jaeger.get("pvcs") or [])
    wanted = ["%s-tempo-%d" % (mount, i) for i in range(p.requested_replicas(f.tempo_sts))]
    states = []
    for name in wanted:
        claim = claims.get(name)
        states.append((name, ((claim or {}).get("status") or {}).get("phase") or ("missing" if claim is None else "Pending")))
    bad = ["%s %s" % s_ for s_ in states if s_[1] != "Bound"]
    ev = "StatefulSet tempo: %s on claims %s" % (WAL_PATH, _fmt_list("%s %s" % s_ for s_ in states))
    if bad:
        return False, ev, "make the claims bind: kubectl -n %s describe pvc %s (StorageClass, provisioner)." % (
            f.jaeger_ns, " ".join(n for n, _s in states if _s != "Bound"))
    return True, ev


@_check("jaeger_versions_supported", "jaeger", "Component versions within upstream support", "warning", 4,
        "run the defaults of role jaeger_production (Tempo 2.10.8, tempo-query 2.10.8, jaeger-query 1.68.0).")
def check_jaeger_versions_supported(f):
    if not f.params.get("today"):
        import datetime

        f.params["today"] = datetime.date.today().isoformat()
    today = str(f.params["today"])
    if f.mode != "tempo":
        version, source = _jaeger_version(f)
        return False, "Jaeger %s (%s) is Jaeger v1, past end of life 2025-12-31 (checked %s); only the tempo mode's" \
                      " jaeger-query 1.68.0 + tempo-query pairing is in the support table" % (p.version_text(version), source, today)
    texts, ok = [], True
    for where, image in _jaeger_images(f):
        name = p.image_repo_name(image)
        component = name.rsplit("/", 1)[-1]
        if component not in ("tempo", "tempo-query", "jaeger-query"):
            continue
        version = p.version_tuple(p.split_image(image)[1])
        if not version:
            ok = False
            texts.append("%s: %s has no version tag" % (where, image))
            continue
        supported, _row, text = support.status(component, tuple(version) + (0,) * (3 - len(version)), today)
        ok = ok and supported
        texts.append("%s: %s" % (where, text))
    if not texts:
        return False, "no Tempo or Jaeger Query images found"
    return ok, "; ".join(texts)


@_check("jaeger_grafana_datasource", "jaeger", "Grafana Tempo data source", "warning", 2,
        "run role jaeger_production with jaeger_production_grafana_datasource: true (ConfigMap tracing-tempo-datasource"
        " labelled for the Grafana sidecar).")
def check_jaeger_grafana_datasource(f):
    cm = f.jaeger.get("grafana_datasource")
    ns = f.params.get("grafana_namespace")
    if not cm:
        return False, "ConfigMap %s/tracing-tempo-datasource does not exist" % ns
    text = "\n".join(str(v) for v in (cm.get("data") or {}).values())
    url = "http://tempo.%s.svc.cluster.local:3200" % f.jaeger_ns
    if "type: tempo" not in text or url not in text:
        return False, "ConfigMap %s/tracing-tempo-datasource has no Tempo data source at %s" % (ns, url)
    return True, "ConfigMap %s/tracing-tempo-datasource: Tempo data source at %s (labels %s)" % (
        ns, url, _fmt_list("%s=%s" % kv for kv in sorted(((cm.get("metadata") or {}).get("labels") or {}).items())))


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


@_check("jaeger_query_wired", "jaeger", "Query reads the trace store", "warning", 3,
        "tempo mode: jaeger-query with SPAN_STORAGE_TYPE=grpc on localhost:7777 and a tempo-query sidecar reading tempo:3200.")
def check_jaeger_query_wired(f):
    if f.mode != "tempo":
        if not f.cr:
            return False, _no_jaeger(f)
        svc = f.jaeger_service(f.query_service_name)
        ok = svc is not None and 16686 in p.service_ports(svc) and f.query is not None
        return ok, "%s serves the CR's storage; %s" % (f.query_label, _service_evidence(svc, f.query_service_name))
    if not f.query:
        return False, "Deployment jaeger-query missing"
    tq = _container(f.query, lambda c: "tempo-query" in (c.get("image") or "") or c.get("name") == "tempo-query")
    jq = _container(f.query, lambda c: "jaeger-query" in (c.get("image") or "") or c.get("name") == "jaeger-query")
    if not tq or not jq:
        return False, "jaeger-query pod lacks the %s container" % ("tempo-query" if not tq else "jaeger-query")
    strings = _container_strings(jq)
    grpc = _env(jq, "SPAN_STORAGE_TYPE") == "grpc" or any("span-storage.type=grpc" in str(s) for s in strings)
    local = any(":7777" in str(s) for s in strings) or _env(jq, "GRPC_STORAGE_SERVER") is not None
    if not grpc or not local:
        return False, "jaeger-query is not on grpc remote storage localhost:7777 (SPAN_STORAGE_TYPE=%s)" % _env(jq, "SPAN_STORAGE_TYPE")
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
                return True, "jaeger-query -> localhost:7777 -> tempo-query -> Service %s:%d (tempo pods)" % (target["service"], port)
    return False, "tempo-query backend %s does not resolve to a Service of the tempo pods" % (_fmt_list(seen) or "not found")


@_check("jaeger_pdb", "jaeger", "PodDisruptionBudgets", "warning", 4,
        "add PodDisruptionBudgets: tempo minAvailable 2, jaeger-query minAvailable 1.")
def check_jaeger_pdb(f):
    if f.mode != "tempo" and not f.cr:
        return False, _no_jaeger(f)
    parts, ok = [], True
    seen = []
    for label, wl in ((f.receiver_label, f.receiver), (f.query_label, f.query)):
        if wl is None or any(wl is s for s in seen):
            if wl is None:
                ok = False
                parts.append("%s missing" % label)
            continue
        seen.append(wl)
        labels = p.template_labels(wl)
        pdbs = [x for x in f.jaeger.get("pdbs") or [] if p.selector_matches((x.get("spec") or {}).get("selector"), labels)]
        if pdbs:
            spec = pdbs[0].get("spec") or {}
            parts.append("%s: PDB %s (%s)" % (label, p.name_of(pdbs[0]), ", ".join(
                "%s %s" % (k, spec[k]) for k in ("minAvailable", "maxUnavailable") if k in spec)))
        else:
            ok = False
            parts.append("%s: no PDB" % label)
    return ok, "; ".join(parts)


# ====================================================================== Storage
@_check("storage_claim", "storage", "ObjectBucketClaim Bound", "danger", 10,
        "create the claim with role ceph_bucket (OBC jaeger/jaeger-traces, StorageClass rook-ceph-bucket).")
def check_storage_claim(f):
    ns, name = f.params.get("claim_namespace"), f.params.get("claim_name")
    if f.storage.get("crd_missing"):
        return False, "CRD objectbucketclaims.objectbucket.io missing (Rook object storage not installed)"
    claim = f.storage.get("claim")
    if not claim:
        return False, "ObjectBucketClaim %s/%s does not exist" % (ns, name)
    phase = (claim.get("status") or {}).get("phase") or "Pending"
    return phase == "Bound", "ObjectBucketClaim %s/%s %s (bucket %s)" % (ns, name, phase, f.storage.get("bucket") or "?")


@_check("storage_secret", "storage", "Storage Secret from the claim", "danger", 10,
        "write it with jaeger_storage_secret (claim_name jaeger-traces, namespace jaeger).")
def check_storage_secret(f):
    secret = f.jaeger.get("storage_secret")
    where = "Secret %s/jaeger-storage" % f.jaeger_ns
    if not secret:
        return False, "%s missing" % where
    missing = [k for k in STORAGE_SECRET_KEYS if k not in secret.get("keys", [])]
    source = (secret.get("labels") or {}).get(SOURCE_CLAIM_LABEL)
    if missing:
        return False, "%s lacks %s" % (where, ", ".join(missing))
    if source != f.params.get("claim_name"):
        return False, "%s source-claim label is %s, not %s" % (where, source, f.params.get("claim_name"))
    return True, "%s keys %s (source claim %s)" % (where, ", ".join(secret.get("keys", [])), source)


def _s3_not_checked(f):
    if f.storage.get("s3_error"):
        return f.storage["s3_error"]
    if not f.storage.get("claim"):
        return "not checked: no claim, so no credentials"
    if not f.storage.get("claim_secret_keys"):
        return "not checked: the claim's Secret is missing or the claim is not Bound"
    if not f.storage.get("endpoint_url"):
        return "not checked: no endpoint (BUCKET_HOST missing; pass s3_endpoint_url)"
    return "not checked"


@_check("storage_bucket", "storage", "Bucket exists", "danger", 10,
        "let Rook provision the bucket (claim Bound); pass s3_endpoint_url when the controller cannot reach BUCKET_HOST.")
def check_storage_bucket(f):
    if f.storage.get("bucket_exists") is None:
        return False, _s3_not_checked(f)
    where = "bucket %s on %s" % (f.storage.get("bucket"), f.storage.get("endpoint_url"))
    return bool(f.storage["bucket_exists"]), ("%s exists" if f.storage["bucket_exists"] else "%s does not exist") % where


@_check("storage_lifecycle", "storage", "Lifecycle retention", "danger", 10,
        "declare the rule with role ceph_bucket (rule jaeger-traces-retention): expiration = retention_days"
        " (grpc-plugin mode) or at least retention_days (tempo mode backstop).")
def check_storage_lifecycle(f):
    """grpc-plugin mode: the lifecycle IS the retention (days == retention_days).

    tempo mode: the lifecycle is a backstop behind Tempo's block_retention, so any
    whole-bucket rule of at least retention_days is right (its upper bound is
    checked by storage_store_retention).
    """
    want = f.retention_days
    if f.storage.get("lifecycle") is None:
        return False, _s3_not_checked(f) if f.storage.get("bucket_exists") is not False else "bucket missing"
    days = f.lifecycle_days()
    if not days:
        return False, "no enabled whole-bucket expiration rule (%d rules)" % len(f.storage["lifecycle"])
    listed = ", ".join("rule %s expires after %d days" % x for x in days)
    if f.mode == "tempo":
        return any(d >= want for _i, d in days), "%s (backstop, expected >= %d days)" % (listed, want)
    return any(d == want for _i, d in days), "%s (expected %d days)" % (listed, want)


@_check("storage_store_retention", "storage", "Tempo retention consistent with the bucket backstop", "danger", 10,
        "keep Tempo block_retention = retention_days (168h for 7) and set the bucket lifecycle to block_retention + 1 day"
        " (8 days), docs/storage.md section 4.")
def check_storage_store_retention(f):
    """The backstop must outlive every block Tempo still serves (docs/storage.md section 4).

    Passes when block_retention >= retention_days and the shortest whole-bucket
    expiration is longer than block_retention + compacted_block_retention (default 1h).
    """
    if f.tempo_config is None:
        return False, f.tempo_config_error
    raw, hours = f.tempo_retention_hours()
    if hours is None:
        return False, "block_retention %s" % ("not set" if raw is None else "%r unparsable" % raw)
    compacted_raw = ((((f.tempo_config or {}).get("compactor") or {}).get("compaction")) or {}).get("compacted_block_retention")
    compacted = p.duration_hours(compacted_raw) if compacted_raw is not None else 1.0
    days = [d for _i, d in f.lifecycle_days()]
    if not days:
        return False, "block_retention %s but no bucket lifecycle backstop" % raw
    backstop = min(days)
    if hours < f.retention_days * 24:
        return False, "block_retention %s is shorter than %d days" % (raw, f.retention_days)
    if backstop * 24 <= hours + (compacted or 0):
        return False, "lifecycle %d days <= block_retention %s + compacted_block_retention %s:" \
            " the bucket deletes blocks Tempo still serves" % (backstop, raw, compacted_raw or "1h")
    return True, "block_retention %s (%g days) < lifecycle %d days" % (raw, hours / 24.0, backstop)


ALL_CHECKS = [
    check_otel_version, check_otel_daemonset, check_otel_ready, check_otel_otlp, check_otel_node_metrics,
    check_otel_memory_limiter, check_otel_processors, check_otel_exporters, check_otel_resources,
    check_jaeger_running, check_jaeger_strategy, check_jaeger_storage, check_jaeger_replicas, check_jaeger_spread,
    check_jaeger_retention, check_jaeger_otlp, check_jaeger_sampling, check_jaeger_credentials, check_jaeger_image_tags,
    check_jaeger_known_broken, check_jaeger_query_wired, check_jaeger_pdb, check_jaeger_wal_persistent,
    check_jaeger_versions_supported, check_jaeger_grafana_datasource,
    check_storage_claim, check_storage_secret, check_storage_bucket, check_storage_lifecycle, check_storage_store_retention,
] + sampling_checks.CHECKS
TEMPO_ONLY = ("storage_store_retention",)


def run_checks(snapshot):
    """Run every applicable check; returns ``(facts, [check dict])``."""
    facts = Facts(snapshot)
    results = []
    for func in ALL_CHECKS:
        meta = dict(func.meta)
        if meta["id"] in TEMPO_ONLY and facts.mode != "tempo":
            continue
        if meta["id"] == "jaeger_grafana_datasource" and not facts.params.get("grafana_datasource"):
            continue  # only when the run enables the data source
        try:
            outcome = func(facts)
            passed, evidence = outcome[0], outcome[1]
            # A check may return a third element: the fix for what it found, instead of its static one.
            if len(outcome) > 2 and outcome[2]:
                meta["fix"] = outcome[2]
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            passed, evidence = False, "could not evaluate (%s: %s)" % (exc.__class__.__name__, exc)
        meta.update(passed=bool(passed), evidence=evidence)
        results.append(meta)
    return facts, results
