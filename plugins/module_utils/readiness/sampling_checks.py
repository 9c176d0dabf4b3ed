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
(collect.py ``collect_sampling``); the chain itself is in sampling_tier.py, the ids, weights and
fixes in registry.py. The sampler the agents must reach is the module's ``sampler_namespace``/
``sampler_name``/``sampler_port``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling as model
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse as p
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.sampling_tier import sampling_summary, tier
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.checks_otel import collector_version
from ansible_collections.talos_homelab.tracing.plugins.module_utils.images import tag_version

if TYPE_CHECKING:  # annotations only
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import Facts, Outcome


def check_sampling_tail(f: Facts) -> Outcome:
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


def check_sampling_routing(f: Facts) -> Outcome:
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
    want = (f.names["sampler_namespace"], f.names["sampler_name"], f.names["sampler_port"])
    if (t.target.get("namespace"), t.target.get("service"), t.target.get("port")) != want:
        return False, "%s routes to %s, not to the sampler tier %s/%s port %s" % ((t.lb[0][1], t.target.get("endpoint")) + want)
    return True, "%s routing_key traceID -> %s" % (", ".join(sorted(set(e for _n, e, _c in t.lb))), t.target.get("endpoint"))


def check_sampling_no_head(f: Facts) -> Outcome:
    t = tier(f)
    if f.otel_config is None:
        return False, "collector config unreadable: %s" % f.otel_config_error
    if t.head:
        return False, "; ".join("%s in agents' pipeline %s" % (proc, pipe) for pipe, proc in t.head)
    if not t.lb:
        return False, "no tail tier behind the agents"
    return True, "agents' traces pipelines: %s" % "; ".join(
        "%s: %s" % (n, ", ".join(pl.get("processors") or [])) for n, pl in sorted(t.traces.items()))


def check_sampling_resolver(f: Facts) -> Outcome:
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


def check_sampling_rbac(f: Facts) -> Outcome:
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
    version = tag_version(images[0] if images else "")
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


def check_sampling_pipeline(f: Facts) -> Outcome:
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


def check_sampling_replicas(f: Facts) -> Outcome:
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


def check_sampling_pdb(f: Facts) -> Outcome:
    t = tier(f)
    if t.workload is None:
        return False, "no sampler Deployment"
    labels = p.template_labels(t.workload)
    pdbs = [x for x in t.data.get("pdbs") or [] if p.selector_matches((x.get("spec") or {}).get("selector"), labels)]
    if not pdbs:
        return False, "Deployment %s: no PDB" % p.name_of(t.workload)
    spec = pdbs[0].get("spec") or {}
    return True, "PDB %s (%s)" % (p.name_of(pdbs[0]), ", ".join("%s %s" % (k, spec[k]) for k in ("minAvailable", "maxUnavailable") if k in spec))


def check_sampling_version(f: Facts) -> Outcome:
    t = tier(f)
    if t.workload is None:
        return False, "no sampler Deployment"
    return collector_version(t.workload, "samplers")
