# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collect the snapshot that the readiness checks read.

The number of Kubernetes API requests is constant whatever the size of the
cluster: one request per kind and namespace (lists with label selectors), one
GET per named object, and one GET per distinct in-cluster host named by the
collector's exporters (a property of the configuration, not of the node
count).  Nodes and pods are trimmed to the fields the checks read.

A kind whose CRD is missing (404 on the list) is recorded as evidence
(``*_crd_missing``), never raised.  Secret values never enter the snapshot:
only key names, labels and annotations do; the claim's credentials are used
for the S3 requests and dropped.

Snapshot layout (all keys always present)::

    params:   the module parameters the checks need
    nodes:    [{name, labels, ready, unschedulable, taints}]
    otel:     {daemonset, deployment, pods: [trimmed], configmaps: [...]}
    services: {"<ns>/<name>": Service or None}  (all Services of the Jaeger
              namespace, plus the exporter targets)
    jaeger:   {crd_missing, crs, deployments, statefulsets, services,
               configmaps, pods: [trimmed], pdbs, storage_secret}
    storage:  {crd_missing, claim, claim_secret_keys, claim_configmap,
               bucket, endpoint_url, s3_checked, bucket_exists, lifecycle, s3_error}
    errors:   ["<kind>: <message>"] for reads the RBAC refused (403)
"""

from __future__ import annotations

from typing import Any, Callable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.k8s import api_path
from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse
from ansible_collections.talos_homelab.tracing.plugins.module_utils.s3_claim import endpoint_from_configmap
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import NAMES
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.trim import (
    secret_summary as _secret_summary,
    selector_string as _selector_string,
    trim_node as _trim_node,
    trim_pod as _trim_pod,
)

JAEGER_API = "jaegertracing.io/v1"
OBC_API = C.OBC_API_VERSION


class _Reader(object):
    """Reads through ``K8sClient``; 404 on a list means "kind not served"."""

    def __init__(self, client, errors):
        self.client = client
        self.errors = errors

    def list(self, api_version: str, plural: str, namespace: str | None = None, label_selector: str | None = None) -> list[dict[str, Any]]:
        """Return ``(items, served)``."""
        query = {"labelSelector": label_selector} if label_selector else None
        try:
            body = self.client.request(
                "GET", api_path(api_version, plural, namespace), query=query, action="list %s" % plural
            )
        except TracingError as err:
            status = getattr(err, "status", None)
            if status == 404:
                return [], False
            if status == 403:
                self.errors.append("%s: %s" % (plural, err.problem))
                return [], True
            raise
        return list((body or {}).get("items") or []), True

    def get(self, api_version: str, plural: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        try:
            return self.client.get(api_version, plural, name, namespace, action="read %s %s" % (plural, name))
        except TracingError as err:
            if getattr(err, "status", None) == 403:
                self.errors.append("%s/%s: %s" % (plural, name, err.problem))
                return None
            raise


def _today():
    import datetime

    return datetime.date.today().isoformat()


def collect(client: Any, params: dict[str, Any], s3_factory: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
    """Build the snapshot. ``client`` is a ``K8sClient``; ``s3_factory(params)`` returns an S3Client."""
    otel_ns = params["otel_namespace"]
    otel_name = params["otel_name"]
    jaeger_ns = params["jaeger_namespace"]
    claim_name = params["claim_name"]
    claim_ns = params.get("claim_namespace") or jaeger_ns
    errors = []
    reader = _Reader(client, errors)
    snap = dict(
        params=dict(
            otel_namespace=otel_ns,
            otel_name=otel_name,
            jaeger_namespace=jaeger_ns,
            storage_mode=params.get("storage_mode") or "auto",
            claim_name=claim_name,
            claim_namespace=claim_ns,
            retention_days=params.get("retention_days") or C.RETENTION_DAYS,
            grafana_datasource=bool(params.get("grafana_datasource")),
            grafana_namespace=params.get("grafana_namespace") or C.GRAFANA_NAMESPACE,
            today=params.get("today") or _today(),
        ),
        errors=errors,
    )
    # the names and ports of the objects (facts.py NAMES), as the module passed them
    snap["params"].update((k, params[k]) for k in NAMES if params.get(k) is not None)

    # --- nodes (one list, trimmed)
    nodes, _served = reader.list("v1", "nodes")
    snap["nodes"] = [_trim_node(n) for n in nodes]

    # --- OpenTelemetry Collector
    ds = reader.get("apps/v1", "daemonsets", otel_name, otel_ns)
    deploy = None if ds else reader.get("apps/v1", "deployments", otel_name, otel_ns)
    workload = ds or deploy
    match = ((((workload or {}).get("spec") or {}).get("selector") or {}).get("matchLabels")) or {
        "app.kubernetes.io/name": otel_name
    }
    pods, _served = reader.list("v1", "pods", otel_ns, _selector_string(match))
    cms, _served = reader.list("v1", "configmaps", otel_ns)
    snap["otel"] = dict(daemonset=ds, deployment=deploy, pods=[_trim_pod(p) for p in pods], configmaps=cms)

    # --- Jaeger namespace: one list per kind
    jaeger = {}
    crs, served = reader.list(JAEGER_API, "jaegers", jaeger_ns)
    jaeger["crd_missing"] = not served
    jaeger["crs"] = crs
    for key, api, plural in (
        ("deployments", "apps/v1", "deployments"),
        ("statefulsets", "apps/v1", "statefulsets"),
        ("services", "v1", "services"),
        ("configmaps", "v1", "configmaps"),
        ("pdbs", "policy/v1", "poddisruptionbudgets"),
        ("pvcs", "v1", "persistentvolumeclaims"),
    ):
        jaeger[key], _served = reader.list(api, plural, jaeger_ns)
    pods, _served = reader.list("v1", "pods", jaeger_ns)
    jaeger["pods"] = [_trim_pod(p) for p in pods]
    jaeger["storage_secret"] = _secret_summary(reader.get("v1", "secrets", params.get("storage_secret_name") or C.STORAGE_SECRET_NAME, jaeger_ns))
    if snap["params"]["grafana_datasource"]:
        jaeger["grafana_datasource"] = reader.get("v1", "configmaps", C.GRAFANA_DATASOURCE_CONFIGMAP, snap["params"]["grafana_namespace"])
    snap["jaeger"] = jaeger

    # --- Services: the Jaeger namespace's, plus every in-cluster exporter target
    services = {}
    for svc in jaeger["services"]:
        services["%s/%s" % (jaeger_ns, (svc.get("metadata") or {}).get("name"))] = svc
    config = parse.otel_config(snap["otel"])[1]
    wanted = []
    for target in parse.exporter_targets(config, otel_ns):
        if target.get("in_cluster"):
            key = "%s/%s" % (target["namespace"], target["service"])
            if key not in services and key not in wanted:
                wanted.append(key)
    for key in wanted[: parse.MAX_EXPORTER_LOOKUPS]:
        ns, name = key.split("/", 1)
        services[key] = reader.get("v1", "services", name, ns)
    snap["services"] = services
    snap["sampling"] = collect_sampling(reader, config, otel_ns, jaeger_ns, jaeger)

    # --- Storage: the claim, its Secret (keys only) and ConfigMap, then S3
    storage = dict(
        crd_missing=False, claim=None, claim_secret_keys=None, claim_configmap=None, bucket=None,
        endpoint_url=None, s3_checked=False, bucket_exists=None, lifecycle=None, s3_error=None,
    )
    claims, served = reader.list(OBC_API, "objectbucketclaims", claim_ns)
    storage["crd_missing"] = not served
    for claim in claims:
        if (claim.get("metadata") or {}).get("name") == claim_name:
            storage["claim"] = claim
    creds = None
    if storage["claim"] and ((storage["claim"].get("status") or {}).get("phase") == "Bound"):
        secret = reader.get("v1", "secrets", claim_name, claim_ns)
        configmap = reader.get("v1", "configmaps", claim_name, claim_ns)
        if secret is not None:
            storage["claim_secret_keys"] = _secret_summary(secret)["keys"]
            creds = parse.decode_secret(secret)
        if configmap is not None:
            storage["claim_configmap"] = dict(configmap.get("data") or {})
    cm_data = storage["claim_configmap"] or {}
    storage["bucket"] = cm_data.get("BUCKET_NAME") or ((storage["claim"] or {}).get("spec") or {}).get("bucketName")
    storage["endpoint_url"] = params.get("s3_endpoint_url") or endpoint_from_configmap(cm_data)
    if creds and storage["bucket"] and storage["endpoint_url"] and s3_factory is not None:
        _read_bucket(storage, creds, cm_data, params, s3_factory)
    creds = None
    snap["storage"] = storage
    return snap


def collect_sampling(reader: Any, config: dict[str, Any] | None, otel_ns: str, jaeger_ns: str, jaeger: dict[str, Any]) -> dict[str, Any]:
    """The tail tier the agents' loadbalancing exporter resolves (readiness/sampling_checks.py): its Service,
    the Deployments, pods, PDBs, ConfigMaps and RBAC of its namespace (the Jaeger namespace's lists reused),
    and the Services the samplers export to. ``{}`` when the agents have no loadbalancing exporter."""
    endpoint = None
    for exp in ((config or {}).get("exporters") or {}).items():
        if parse.type_of(exp[0]) == "loadbalancing" and isinstance(exp[1], dict):
            endpoint = parse.loadbalancing_endpoint(exp[1])
            break
    target = parse.parse_endpoint(endpoint, otel_ns) if endpoint else {}
    if not target.get("in_cluster"):
        return {}
    ns, name = target["namespace"], target["service"]
    out = dict(namespace=ns, service=reader.get("v1", "services", name, ns))
    if ns == jaeger_ns:
        out.update(deployments=jaeger["deployments"], pdbs=jaeger["pdbs"], configmaps=jaeger["configmaps"],
                   pods=jaeger["pods"])
    else:
        out["deployments"], _served = reader.list("apps/v1", "deployments", ns)
        out["pdbs"], _served = reader.list("policy/v1", "poddisruptionbudgets", ns)
        out["configmaps"], _served = reader.list("v1", "configmaps", ns)
        pods, _served = reader.list("v1", "pods", ns)
        out["pods"] = [_trim_pod(p) for p in pods]
    out["roles"], _served = reader.list("rbac.authorization.k8s.io/v1", "roles", ns)
    out["rolebindings"], _served = reader.list("rbac.authorization.k8s.io/v1", "rolebindings", ns)
    cluster_roles = []
    for rb in out["rolebindings"]:
        ref = rb.get("roleRef") or {}
        if ref.get("kind") == "ClusterRole" and ref.get("name") and len(cluster_roles) < parse.MAX_EXPORTER_LOOKUPS:
            role = reader.get("rbac.authorization.k8s.io/v1", "clusterroles", ref["name"])
            if role is not None:
                cluster_roles.append(role)
    out["clusterroles"] = cluster_roles
    # where the samplers send: the Services of their exporters' endpoints
    services = {}
    svc = out["service"]
    for wl in out["deployments"]:
        if svc is None or not parse.service_selects(svc, parse.template_labels(wl)):
            continue
        conf = parse.otel_config(dict(deployment=wl, configmaps=out["configmaps"]))[1]
        for t in parse.exporter_targets(conf, ns)[: parse.MAX_EXPORTER_LOOKUPS]:
            key = "%s/%s" % (t.get("namespace"), t.get("service"))
            if t.get("in_cluster") and key not in services:
                services[key] = reader.get("v1", "services", t["service"], t["namespace"])
        break
    out["services"] = services
    return out


def _read_bucket(storage, creds, cm_data, params, s3_factory):
    storage["s3_checked"] = True
    try:
        s3 = s3_factory(
            dict(
                endpoint_url=storage["endpoint_url"],
                access_key=creds.get("AWS_ACCESS_KEY_ID"),
                secret_key=creds.get("AWS_SECRET_ACCESS_KEY"),
                region=cm_data.get("BUCKET_REGION") or "us-east-1",
                s3_validate_certs=params.get("s3_validate_certs", True),
            )
        )
        storage["bucket_exists"] = bool(s3.head_bucket(storage["bucket"]))
        if storage["bucket_exists"]:
            storage["lifecycle"] = list(s3.get_lifecycle(storage["bucket"]) or [])
    except TracingError as err:
        storage["s3_error"] = err.message
