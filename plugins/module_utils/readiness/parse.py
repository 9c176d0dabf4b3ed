# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers that read the snapshot: configs, endpoints, images, selectors."""

from __future__ import annotations

import base64
import re
from typing import Any, Iterable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.profiles import canonical_type

try:
    import yaml

    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    HAS_YAML = False

MAX_EXPORTER_LOOKUPS = 10
HOSTNAME_KEY = "kubernetes.io/hostname"
ENDPOINT_EXPORTER_TYPES = ("otlp", "otlphttp", "otlp_http", "jaeger", "jaeger_thrift", "zipkin", "prometheusremotewrite", "loki")


# ------------------------------------------------------------------ generic
def name_of(obj: dict[str, Any] | None) -> str | None:
    return ((obj or {}).get("metadata") or {}).get("name")


def by_name(items: Iterable[dict[str, Any]] | None, name: str | None) -> dict[str, Any] | None:
    for item in items or []:
        if name_of(item) == name:
            return item
    return None


def decode_secret(secret: dict[str, Any] | None) -> dict[str, str]:
    out = {}
    for key, value in ((secret or {}).get("data") or {}).items():
        try:
            out[key] = base64.b64decode(value or "").decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            out[key] = ""
    out.update((secret or {}).get("stringData") or {})
    return out


def load_yaml(text: str | None) -> tuple[Any, str | None]:
    """Parse YAML text; returns ``(data, error)``."""
    if not HAS_YAML:
        return None, "PyYAML is not installed"
    try:
        return yaml.safe_load(text or "") or {}, None
    except yaml.YAMLError as exc:
        return None, "not valid YAML (%s)" % str(exc).splitlines()[0]


def type_of(component_id: Any) -> str:
    """``otlp/jaeger`` -> ``otlp``; a release's new name as its deprecated alias, the 0.114.0 name
    (``load_balancing/x`` -> ``loadbalancing``, ``otlp_grpc`` -> ``otlp``: otel_config/profiles.py)."""
    return canonical_type(str(component_id).split("/", 1)[0])


# ------------------------------------------------------------------ workloads
def pod_spec(workload: dict[str, Any] | None) -> dict[str, Any]:
    return ((((workload or {}).get("spec") or {}).get("template") or {}).get("spec")) or {}


def template_labels(workload: dict[str, Any] | None) -> dict[str, str]:
    return ((((workload or {}).get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def containers(workload: dict[str, Any] | None, init: bool = True) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    out = list(spec.get("containers") or [])
    if init:
        out += list(spec.get("initContainers") or [])
    return out


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) against labels; empty selector matches nothing."""
    if not selector:
        return False
    match_labels = selector.get("matchLabels") or {}
    exprs = selector.get("matchExpressions") or []
    if not match_labels and not exprs:
        return False
    for key, value in match_labels.items():
        if labels.get(key) != value:
            return False
    for expr in exprs:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def service_selects(service: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A Service's plain selector map against pod template labels."""
    selector = ((service or {}).get("spec") or {}).get("selector") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def service_ports(service: dict[str, Any] | None) -> list[Any]:
    return [p.get("port") for p in ((service or {}).get("spec") or {}).get("ports") or []]


def ready_replicas(workload: dict[str, Any] | None) -> int:
    status = (workload or {}).get("status") or {}
    return int(status.get("readyReplicas") or 0)


def requested_replicas(workload: dict[str, Any] | None) -> int:
    spec = (workload or {}).get("spec") or {}
    value = spec.get("replicas")
    return 1 if value is None else int(value)


def has_hostname_spread(workload: dict[str, Any] | None) -> bool:
    spec = pod_spec(workload)
    for tsc in spec.get("topologySpreadConstraints") or []:
        if tsc.get("topologyKey") == HOSTNAME_KEY:
            return True
    anti = (spec.get("affinity") or {}).get("podAntiAffinity") or {}
    for term in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []:
        if term.get("topologyKey") == HOSTNAME_KEY:
            return True
    for term in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
        if (term.get("podAffinityTerm") or {}).get("topologyKey") == HOSTNAME_KEY:
            return True
    return False


def pods_of(workload: dict[str, Any] | None, pods: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    selector = ((workload or {}).get("spec") or {}).get("selector") or {}
    return [p for p in pods or [] if selector_matches(selector, p.get("labels") or {})]


# ------------------------------------------------------------------ endpoints
def parse_endpoint(endpoint: Any, default_namespace: str | None) -> dict[str, Any] | None:
    """Where an exporter endpoint points.

    Returns a dict ``endpoint, host, port, in_cluster`` and, for in-cluster names
    (``svc``, ``svc.ns``, ``svc.ns.svc[.cluster.local]``), ``service`` and ``namespace``.
    """
    text = str(endpoint or "").strip()
    scheme = None
    rest = text
    if "://" in rest:
        scheme, rest = rest.split("://", 1)
    hostport = rest.split("/", 1)[0]
    out = dict(endpoint=text, host=None, port=None, in_cluster=False)
    if not hostport or hostport.startswith("[") or "${" in hostport:
        return out
    host, port = hostport, None
    if ":" in hostport:
        host, port_text = hostport.rsplit(":", 1)
        port = int(port_text) if port_text.isdigit() else None
    if port is None and scheme:
        port = 443 if scheme == "https" else 80
    out.update(host=host, port=port)
    if re.match(r"^\d+\.\d+\.\d+\.\d+$", host) or host in ("localhost",):
        return out
    labels = host.split(".")
    if len(labels) == 1:
        out.update(in_cluster=True, service=labels[0], namespace=default_namespace)
    elif len(labels) == 2 or (len(labels) >= 3 and labels[2] == "svc"):
        out.update(in_cluster=True, service=labels[0], namespace=labels[1])
    return out


HOSTPORT_RE = re.compile(r"(?:[a-z]+://)?([a-z0-9][a-z0-9.-]*):(\d{2,5})\b", re.I)


def hostports(text: Any) -> list[tuple[str, int]]:
    return [(h, int(p)) for h, p in HOSTPORT_RE.findall(str(text or ""))]


# ------------------------------------------------------------------ OpenTelemetry Collector
def otel_workload(otel: dict[str, Any] | None) -> dict[str, Any] | None:
    return (otel or {}).get("daemonset") or (otel or {}).get("deployment")


def otel_config(otel: dict[str, Any] | None) -> tuple[dict[str, Any] | None, str | None]:
    """Find and parse the collector's config. Returns ``(configmap_name, config_or_None, error)``."""
    workload = otel_workload(otel)
    names = []
    for vol in pod_spec(workload).get("volumes") or []:
        cm = vol.get("configMap") or {}
        if cm.get("name"):
            names.append(cm["name"])
    names.append("otel-collector-config")
    for name in names:
        cm = by_name((otel or {}).get("configmaps"), name)
        if not cm:
            continue
        data = cm.get("data") or {}
        keys = [k for k in ("config.yaml", "relay", "collector.yaml", "config.yml") if k in data]
        keys += sorted(k for k in data if k.endswith((".yaml", ".yml")) and k not in keys)
        for key in keys:
            config, error = load_yaml(data[key])
            if config is not None and isinstance(config, dict) and ("receivers" in config or "service" in config):
                return name, config, None
            if error:
                return name, None, "%s key %s is %s" % (name, key, error)
    return None, None, "no collector ConfigMap found (looked for %s)" % ", ".join(sorted(set(names)))


def pipelines(config: dict[str, Any] | None) -> dict[str, Any]:
    return (((config or {}).get("service") or {}).get("pipelines")) or {}


def loadbalancing_endpoint(conf: dict[str, Any] | None) -> dict[str, Any] | None:
    """``host:port`` a loadbalancing exporter resolves (exporter/loadbalancingexporter README: the k8s
    resolver's ``service`` with its first of ``ports`` (default 4317), the dns resolver's ``hostname``
    and ``port`` (default 4317)); ``None`` for the static resolver or none."""
    resolver = (conf or {}).get("resolver") or {}
    k8s, dns = resolver.get("k8s"), resolver.get("dns")
    if isinstance(k8s, dict) and k8s.get("service"):  # k8s takes precedence (README)
        ports = k8s.get("ports") or [4317]
        return "%s:%s" % (k8s["service"], ports[0])
    if isinstance(dns, dict) and dns.get("hostname"):
        return "%s:%s" % (dns["hostname"], dns.get("port") or 4317)
    return None


def exporter_targets(config: dict[str, Any] | None, default_namespace: str | None) -> list[dict[str, Any]]:
    """Endpoints of the exporters used in a pipeline: ``[{exporter, endpoint, host, port, in_cluster, ...}]``."""
    used = []
    for pipe in pipelines(config).values():
        for exp in (pipe or {}).get("exporters") or []:
            if exp not in used:
                used.append(exp)
    exporters = (config or {}).get("exporters") or {}
    out = []
    for exp in used:
        conf = exporters.get(exp) or {}
        if isinstance(conf, dict) and type_of(exp) == "loadbalancing" and "endpoint" not in conf:
            conf = dict(endpoint=loadbalancing_endpoint(conf))
        if not isinstance(conf, dict) or not conf.get("endpoint"):
            continue
        target = parse_endpoint(conf.get("endpoint"), default_namespace)
        target["exporter"] = exp
        out.append(target)
    return out


# ------------------------------------------------------------------ credentials
CRED_NAME_RE = re.compile(r"(secret|password|passwd|access[_.-]?key|accesskey|token|credential)", re.I)


def literal_credentials(data: Any, path: str = "") -> list[str]:
    """Paths in nested data whose key looks like a credential and whose value is a literal (not ``${...}``)."""
    found = []
    if isinstance(data, dict):
        for key, value in data.items():
            sub = "%s.%s" % (path, key) if path else str(key)
            if isinstance(value, (dict, list)):
                found += literal_credentials(value, sub)
            elif CRED_NAME_RE.search(str(key)) and value not in (None, "", False) and not str(value).strip().startswith("${"):
                if not str(key).lower().endswith(("secretname", "secret_name", "secretref", "file", "path")):
                    found.append(sub)
    elif isinstance(data, list):
        for idx, value in enumerate(data):
            found += literal_credentials(value, "%s[%d]" % (path, idx))
    return found
