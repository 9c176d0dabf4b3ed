# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness checks of the sampling chain agents -> tail samplers -> Tempo (component ``sampling``).

"10% baseline, 100% errors" holds only when every span of a trace reaches one sampler (the agents'
loadbalancing exporter, routing_key traceID, resolving the sampler pods), nothing drops traces
before it (no head sampler on the agents), the samplers' tail_sampling policies keep error traces
and the baseline (decided with module_utils/sampling.py on synthetic traces, against the rendered
configuration), the resolver may read the endpoints (RBAC in the sampler namespace), and the
samplers are ready, spread and protected by a PodDisruptionBudget. A stack without error-keeping
fails ``sampling_tail`` (danger), so it cannot score 100. The snapshot part is ``snap["sampling"]``
(collect.py ``collect_sampling``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling as model
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse as p

COMPONENT = "sampling"
TITLE = "Sampling (agents -> tail samplers -> Tempo)"
HEAD_PROCESSORS = ("probabilistic_sampler", "tail_sampling")
TAIL_FIX = ("set tracing_sampling: tail (the default) and run the site playbook: the agents export with the"
            " loadbalancing exporter (routing_key traceID) to role tail_sampler's replicas.")


def _check(cid, title, severity, weight, fix):
    def wrap(func):
        func.meta = dict(id=cid, component=COMPONENT, title=title, severity=severity, weight=weight, fix=fix)
        return func

    return wrap


class Tier(object):
    """The chain as found in the snapshot (derived once per Facts)."""

    def __init__(self, f):
        self.f = f
        self.data = f.snap.get("sampling") or {}
        conf = f.otel_config or {}
        self.traces = dict((n, pl or {}) for n, pl in p.pipelines(conf).items() if p.type_of(n) == "traces")
        exporters = conf.get("exporters") or {}
        self.lb = []  # (pipeline, exporter id, conf)
        self.head = []  # (pipeline, processor id)
        for name, pipe in sorted(self.traces.items()):
            for exp in pipe.get("exporters") or []:
                if p.type_of(exp) == "loadbalancing":
                    self.lb.append((name, exp, exporters.get(exp) or {}))
            for proc in pipe.get("processors") or []:
                if p.type_of(proc) in HEAD_PROCESSORS:
                    self.head.append((name, proc))
        self.target = None
        if self.lb:
            endpoint = p.loadbalancing_endpoint(self.lb[0][2])
            if endpoint:
                self.target = p.parse_endpoint(endpoint, f.otel_ns)
        self.service = self.data.get("service")
        self.workload = None
        if self.service is not None:
            for wl in self.data.get("deployments") or []:
                if p.service_selects(self.service, p.template_labels(wl)):
                    self.workload = wl
                    break
        self.pods = p.pods_of(self.workload, self.data.get("pods") or []) if self.workload else []
        self.config, self.config_error = None, "no sampler workload"
        if self.workload is not None:
            _name, self.config, self.config_error = p.otel_config(dict(deployment=self.workload, configmaps=self.data.get("configmaps")))
        self.policies = None
        if self.config is not None:
            for name, proc in sorted((self.config.get("processors") or {}).items()):
                if p.type_of(name) == "tail_sampling":
                    self.policies = (proc or {}).get("policies") or []
                    break

    def label(self):
        if not self.target:
            return "no sampler tier"
        return "%s/%s" % (self.target.get("namespace"), self.target.get("service"))


def tier(f):
    if getattr(f, "_sampling_tier", None) is None:
        f._sampling_tier = Tier(f)
    return f._sampling_tier


def pct_text(value):
    """10, 10.0 and "10" all read 10; a value that is not a number is shown as it is."""
    try:
        return "%g" % float(value)
    except (TypeError, ValueError):
        return str(value)


def _head_text(f):
    procs = (f.otel_config or {}).get("processors") or {}
    for _pipe, proc in tier(f).head:
        if p.type_of(proc) == "probabilistic_sampler":
            return "head sampling runs: %s %s%% on the agents (error traces kept only at that rate)" % (
                proc, pct_text((procs.get(proc) or {}).get("sampling_percentage")))
    return None


def sampling_summary(f):
    """Which sampling runs, in one phrase (also used by the jaeger_sampling check)."""
    t = tier(f)
    if f.otel_config is None:
        return "collector config unreadable: %s" % f.otel_config_error
    if t.lb and t.policies is not None:
        try:
            keeps, baseline = model.keeps_errors_and_baseline(t.policies)
        except (TypeError, ValueError) as exc:
            return "tail sampling on %s: policies not understood (%s)" % (t.label(), exc)
        return "tail sampling runs on %s: %s, baseline %s" % (
            t.label(), "every error trace kept" if keeps else "error traces NOT kept",
            ("%g%%" % baseline) if baseline is not None else "none")
    head = _head_text(f)
    if head:
        return head
    if t.lb:
        return "agents route to %s, but no tail_sampling policies were found there (%s)" % (t.label(), t.config_error)
    return "no sampling: every trace is kept"


@_check("sampling_tail", "Tail sampling keeps every error trace and a baseline", "danger", 8, TAIL_FIX)
def check_sampling_tail(f):
    t = tier(f)
    text = sampling_summary(f)
    if not (t.lb and t.policies is not None):
        return False, text
    try:
        keeps, baseline = model.keeps_errors_and_baseline(t.policies)
    except (TypeError, ValueError):
        return False, text
    if not keeps:
        return False, text, ("add a status_code policy (status_codes [ERROR]) to the sampler's tail_sampling policies"
                             " (role tail_sampler renders keep-errors).")
    if baseline is None or not 0 < baseline <= 100:
        return False, text, "add a probabilistic baseline policy (tail_sampler_baseline_percentage)."
    return True, text


@_check("sampling_routing", "Agents route traces by trace ID to the samplers", "danger", 5, TAIL_FIX)
def check_sampling_routing(f):
    t = tier(f)
    if f.otel_config is None:
        return False, "collector config unreadable: %s" % f.otel_config_error
    if not t.traces:
        return False, "no traces pipeline on the agents"
    without = [n for n in sorted(t.traces) if n not in [x[0] for x in t.lb]]
    if without:
        return False, "traces pipeline %s exports %s (no loadbalancing exporter)" % (
            ", ".join(without), ", ".join(t.traces[without[0]].get("exporters") or []) or "nothing")
    bad = [exp for _n, exp, conf in t.lb if (conf.get("routing_key") or "traceID") != "traceID"]
    if bad:
        return False, "%s routes by %s, not traceID" % (bad[0], [c for _n, e, c in t.lb if e == bad[0]][0].get("routing_key"))
    if t.target is None:
        return False, "%s has no k8s or dns resolver (static backends cannot follow the sampler pods)" % t.lb[0][1]
    return True, "%s routing_key traceID -> %s" % (", ".join(sorted(set(e for _n, e, _c in t.lb))), t.target.get("endpoint"))


@_check("sampling_no_head", "No head sampler before the tail tier", "danger", 5,
        "remove probabilistic_sampler from the agents' traces pipeline (otel_collector_sampling: tail): a head sampler"
        " drops 90% of the error traces before any tail decision.")
def check_sampling_no_head(f):
    t = tier(f)
    if f.otel_config is None:
        return False, "collector config unreadable: %s" % f.otel_config_error
    if t.head:
        return False, "; ".join("%s in agents' pipeline %s" % (proc, pipe) for pipe, proc in t.head)
    if not t.lb:
        return False, "no tail tier behind the agents"
    return True, "agents' traces pipelines: %s" % "; ".join(
        "%s: %s" % (n, ", ".join(pl.get("processors") or [])) for n, pl in sorted(t.traces.items()))


@_check("sampling_resolver", "Exporter resolves the sampler pods", "danger", 5,
        "deploy the sampler tier (role tail_sampler) and point otel_collector_sampler_service/_namespace/_port at its Service.")
def check_sampling_resolver(f):
    t = tier(f)
    if t.target is None:
        return False, "no loadbalancing resolver on the agents"
    key = t.label()
    if t.service is None:
        return False, "Service %s does not exist" % key
    if t.target.get("port") not in p.service_ports(t.service):
        return False, "Service %s has no port %s" % (key, t.target.get("port"))
    if t.workload is None:
        return False, "Service %s selects no Deployment" % key
    ports = [cp.get("containerPort") for c in p.containers(t.workload, init=False) for cp in c.get("ports") or []]
    # the k8s resolver sends to <pod IP>:<port> itself, not through the Service's targetPort
    if ports and t.target.get("port") not in ports:
        return False, "sampler pods listen on %s, the resolver sends to %s" % (ports, t.target.get("port"))
    ready = [x for x in t.pods if x.get("ready")]
    if not ready:
        return False, "Service %s: no ready sampler pod to resolve" % key
    return True, "Service %s -> %d ready pods of Deployment %s, port %s" % (key, len(ready), p.name_of(t.workload), t.target.get("port"))


def _rule_allows(rule, group, resource, verb):
    return (any(g in ("*", group) for g in rule.get("apiGroups") or [])
            and any(r in ("*", resource) for r in rule.get("resources") or [])
            and any(v in ("*", verb) for v in rule.get("verbs") or [])
            and not rule.get("resourceNames"))


def _granted(data, ns, sa_ns, sa, group, resource, verb):
    """A RoleBinding of ``ns`` gives ServiceAccount sa_ns/sa ``verb`` on ``resource``: the binding's name, else None."""
    roles = dict((("Role", p.name_of(r)), r) for r in data.get("roles") or [])
    roles.update(dict((("ClusterRole", p.name_of(r)), r) for r in data.get("clusterroles") or []))
    for rb in data.get("rolebindings") or []:
        ref = rb.get("roleRef") or {}
        role = roles.get((ref.get("kind"), ref.get("name")))
        if role is None:
            continue
        if not any(s.get("kind") == "ServiceAccount" and s.get("name") == sa and (s.get("namespace") or ns) == sa_ns
                   for s in rb.get("subjects") or []):
            continue
        if any(_rule_allows(rule, group, resource, verb) for rule in role.get("rules") or []):
            return p.name_of(rb)
    return None


@_check("sampling_rbac", "Resolver RBAC in the sampler namespace", "danger", 5,
        "grant the agents' ServiceAccount get/list/watch on endpoints (and discovery.k8s.io endpointslices from"
        " otelcol-contrib 0.140) with a Role and RoleBinding in the sampler namespace (role otel_collector,"
        " otel_collector_sampling: tail).")
def check_sampling_rbac(f):
    t = tier(f)
    if not t.lb:
        return False, "no loadbalancing exporter on the agents"
    resolver = (t.lb[0][2].get("resolver") or {})
    if not isinstance(resolver.get("k8s"), dict):
        return (True, "dns resolver: no API access needed") if isinstance(resolver.get("dns"), dict) else (
            False, "no k8s or dns resolver")
    ns = t.target.get("namespace") if t.target else None
    sa = p.pod_spec(f.otel_workload).get("serviceAccountName") or "default"
    images = [c.get("image") for c in p.containers(f.otel_workload, init=False)]
    version = model.image_version(images[0] if images else "")
    missing, via = [], []
    for rule in model.resolver_rules(version):
        group, resource = rule["apiGroups"][0], rule["resources"][0]
        for verb in ("list", "watch"):
            binding = _granted(t.data, ns, f.otel_ns, sa, group, resource, verb)
            if binding is None:
                missing.append("%s %s%s" % (verb, resource, (" (%s)" % group) if group else ""))
            elif binding not in via:
                via.append(binding)
    who = "ServiceAccount %s/%s in namespace %s" % (f.otel_ns, sa, ns)
    if missing:
        return False, "%s may not %s (RoleBindings of %s; the resolver never syncs, the agents stay unready)" % (
            who, ", ".join(missing), ns), (
            "grant %s with a Role and RoleBinding in namespace %s (role otel_collector, otel_collector_sampling: tail)" % (
                "; ".join("%s %s" % ("/".join(r["verbs"]), r["resources"][0]) for r in model.resolver_rules(version)), ns))
    return True, "%s may list/watch %s (RoleBinding %s)" % (
        who, " and ".join(r["resources"][0] for r in model.resolver_rules(version)), ", ".join(via))


@_check("sampling_pipeline", "Sampler pipeline: memory_limiter first, batch after tail_sampling, OTLP to Tempo", "danger", 4,
        "use role tail_sampler's configuration (memory_limiter, tail_sampling, batch; otlp exporter to jaeger-collector.jaeger:4317).")
def check_sampling_pipeline(f):
    t = tier(f)
    if t.config is None:
        return False, "sampler configuration: %s" % t.config_error
    traces = [(n, pl or {}) for n, pl in sorted(p.pipelines(t.config).items()) if p.type_of(n) == "traces"]
    if not traces:
        return False, "no traces pipeline in the sampler"
    problems = []
    for name, pipe in traces:
        procs = [p.type_of(x) for x in pipe.get("processors") or []]
        if not procs or procs[0] != "memory_limiter":
            problems.append("%s: memory_limiter not first" % name)
        if "tail_sampling" not in procs:
            problems.append("%s: no tail_sampling" % name)
        elif "batch" not in procs[procs.index("tail_sampling"):]:
            problems.append("%s: no batch after tail_sampling" % name)
    targets = p.exporter_targets(t.config, t.target.get("namespace") if t.target else f.jaeger_ns)
    services = t.data.get("services") or {}
    good = []
    for target in targets:
        if not target.get("in_cluster"):
            good.append(target["endpoint"])
            continue
        svc = services.get("%s/%s" % (target["namespace"], target["service"]))
        if svc is None or target["port"] not in p.service_ports(svc):
            problems.append("exporter %s -> %s: no such Service port" % (target["exporter"], target["endpoint"]))
        else:
            good.append("%s -> %s" % (target["exporter"], target["endpoint"]))
    if not targets:
        problems.append("no exporter endpoint")
    if problems:
        return False, "; ".join(problems)
    return True, "%s; %s" % ("; ".join("%s: %s" % (n, ", ".join(pl.get("processors") or [])) for n, pl in traces), ", ".join(good))


@_check("sampling_replicas", "Sampler replicas ready and spread over nodes", "warning", 4,
        "run 3 sampler replicas with a topologySpreadConstraint on kubernetes.io/hostname (role tail_sampler).")
def check_sampling_replicas(f):
    t = tier(f)
    if t.workload is None:
        return False, "no sampler Deployment"
    want, ready = p.requested_replicas(t.workload), p.ready_replicas(t.workload)
    nodes = sorted(set(x.get("node") for x in t.pods if x.get("ready") and x.get("node")))
    text = "Deployment %s: %s/%s ready on %d nodes" % (p.name_of(t.workload), ready, want, len(nodes))
    if want < 2 or ready < want:
        return False, text
    if not p.has_hostname_spread(t.workload) and len(nodes) < min(want, len(f.snap.get("nodes") or [])):
        return False, text + " (no hostname spread)"
    return True, text


@_check("sampling_pdb", "Sampler PodDisruptionBudget", "warning", 3,
        "add a PodDisruptionBudget (maxUnavailable 1) for the sampler pods (role tail_sampler).")
def check_sampling_pdb(f):
    t = tier(f)
    if t.workload is None:
        return False, "no sampler Deployment"
    labels = p.template_labels(t.workload)
    pdbs = [x for x in t.data.get("pdbs") or [] if p.selector_matches((x.get("spec") or {}).get("selector"), labels)]
    if not pdbs:
        return False, "Deployment %s: no PDB" % p.name_of(t.workload)
    spec = pdbs[0].get("spec") or {}
    return True, "PDB %s (%s)" % (p.name_of(pdbs[0]), ", ".join("%s %s" % (k, spec[k]) for k in ("minAvailable", "maxUnavailable") if k in spec))


CHECKS = [check_sampling_tail, check_sampling_routing, check_sampling_no_head, check_sampling_resolver, check_sampling_rbac,
          check_sampling_pipeline, check_sampling_replicas, check_sampling_pdb]
