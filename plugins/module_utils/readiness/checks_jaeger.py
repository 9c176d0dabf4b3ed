# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness checks of Jaeger that read both modes alike (component ``jaeger``): HA, spread, PDBs,
credentials, images, and the helpers the mode-specific checks share (checks_tempo.py,
checks_jaeger_operator.py). The registry (registry.py) holds their ids, weights and fixes.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse as p
from ansible_collections.talos_homelab.tracing.plugins.module_utils import images as img
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import versions as v
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import (
    Facts,
    Outcome,
    flatten,
    fmt_list,
    schedulable_nodes,
    service_evidence,
)

OPERATOR_DEFAULT_JAEGER = (1, 65, 0)  # what the last operator release deploys when no image is pinned
# Jaeger removed the sidecar plugin model in 1.58 and the grpc-plugin type in 1.60 (docs/storage.md):
# from 1.58 on a grpc-plugin CR cannot work, from 1.60 on it crash-loops.
GRPC_PLUGIN_BROKEN = (1, 58, 0)
TEMPO_QUERY_REMOTE_STORAGE = (2, 6, 1)  # tempo-query serves Jaeger remote storage on 7777 since 2.6.1
NONEXISTENT_IMAGES = ("jaegertracing/jaeger-s3",)
SECRET_ENV_RE = p.CRED_NAME_RE
SPREAD_FIX = ("add topologySpreadConstraints (topologyKey kubernetes.io/hostname) to the receiver and query pods.")


def _replica_text(label, workload):
    if not workload:
        return "%s missing" % label
    return "%s %d ready (requested %d)" % (label, p.ready_replicas(workload), p.requested_replicas(workload))


def check_jaeger_replicas(f: Facts) -> Outcome:
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


def check_jaeger_spread(f: Facts) -> Outcome:
    results = [_spread(f, f.receiver_label, f.receiver)]
    if f.query is not f.receiver:
        results.append(_spread(f, f.query_label, f.query))
    ok = all(r[0] for r in results)
    return ok, "; ".join(r[1] for r in results), _spread_fix(results)


def otlp_service(f: Facts) -> Any:
    """``(problem, evidence)`` of the receivers' OTLP Service; ``problem`` is None when it is right."""
    name = f.collector_service_name
    svc = f.jaeger_service(name)
    ev = service_evidence(svc, name)
    if svc is None:
        return ev, ev
    ports = p.service_ports(svc)
    grpc, http = f.names["collector_otlp_grpc_port"], f.names["collector_otlp_http_port"]
    if grpc not in ports or http not in ports:
        return ev + " (%s/%s missing)" % (grpc, http), ev
    if not f.receiver or not p.service_selects(svc, p.template_labels(f.receiver)):
        return ev + ", but it selects no %s pods" % f.receiver_label, ev
    return None, ev


def check_jaeger_otlp(f: Facts) -> Outcome:
    problem, ev = otlp_service(f)
    if problem:
        return False, problem
    return True, ev + " -> %s" % f.receiver_label


def check_jaeger_credentials(f: Facts) -> Outcome:
    leaks = []
    if f.cr:
        for key, value in flatten((f.cr_spec().get("storage") or {}).get("options") or {}).items():
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
        return False, "literal credentials in %s" % fmt_list(sorted(set(leaks)))
    return True, "no literal keys in the CR, env or ConfigMaps"


def jaeger_images(f: Facts) -> Any:
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


def check_jaeger_image_tags(f: Facts) -> Outcome:
    images = jaeger_images(f)
    if not images:
        return False, "no Jaeger images found"
    bad = []
    for where, image in images:
        _repo, tag, digest = img.split_image(image)
        if not digest and (not tag or tag == "latest"):
            bad.append("%s (%s)" % (image, where))
    if bad:
        return False, "unpinned: %s" % fmt_list(bad)
    return True, fmt_list(sorted(set(i for _w, i in images)), 4)


def jaeger_version(f: Facts) -> Any:
    for _where, image in jaeger_images(f):
        name = img.image_repo_name(image)
        if name.startswith("jaegertracing/") and name not in NONEXISTENT_IMAGES and "operator" not in name:
            version = img.version_tuple(img.split_image(image)[1])
            if version:
                return version, image
    status_version = ((f.cr or {}).get("status") or {}).get("version")
    if img.version_tuple(status_version):
        return img.version_tuple(status_version), "status.version %s" % status_version
    return OPERATOR_DEFAULT_JAEGER, "operator default"


def broken_combinations(f: Facts) -> list[Any]:
    """Known-broken images and storage/version pairs, in either mode."""
    broken = []
    for where, image in jaeger_images(f):
        if img.image_repo_name(image) in NONEXISTENT_IMAGES:
            broken.append("%s: image %s does not exist" % (where, image))
        if "tempo-query" in img.image_repo_name(image):
            version = img.version_tuple(img.split_image(image)[1])
            if version and version < TEMPO_QUERY_REMOTE_STORAGE:
                broken.append("%s: tempo-query %s < 2.6.1 has no remote storage API on 7777" % (where, v.version_text(version)))
    if f.cr and f.storage_type() == "grpc-plugin":
        version, source = jaeger_version(f)
        if version >= GRPC_PLUGIN_BROKEN:
            broken.append("storage grpc-plugin with Jaeger %s (%s): plugins removed in 1.58, the type in 1.60" % (
                v.version_text(version), source))
    return broken


def today(f: Facts) -> str:
    if not f.params.get("today"):
        import datetime

        f.params["today"] = datetime.date.today().isoformat()
    return str(f.params["today"])


def check_jaeger_grafana_datasource(f: Facts) -> Outcome:
    cm = f.jaeger.get("grafana_datasource")
    ns = f.params.get("grafana_namespace")
    name = f.names["grafana_datasource_configmap"]
    if not cm:
        return False, "ConfigMap %s/%s does not exist" % (ns, name)
    text = "\n".join(str(x) for x in (cm.get("data") or {}).values())
    url = "http://%s.%s.svc.cluster.local:%d" % (f.names["tempo_name"], f.jaeger_ns, f.names["tempo_http_port"])
    if "type: tempo" not in text or url not in text:
        return False, "ConfigMap %s/%s has no Tempo data source at %s" % (ns, name, url)
    return True, "ConfigMap %s/%s: Tempo data source at %s (labels %s)" % (
        ns, name, url, fmt_list("%s=%s" % kv for kv in sorted(((cm.get("metadata") or {}).get("labels") or {}).items())))


def check_jaeger_pdb(f: Facts) -> Outcome:
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
