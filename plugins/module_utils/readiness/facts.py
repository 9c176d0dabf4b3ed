# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the readiness checks share: the facts derived once from the snapshot built by ``collect``.

Jaeger is checked in one of two modes (``storage_mode``; ``auto`` picks ``tempo`` when the Tempo
StatefulSet/ConfigMap exists, else ``grpc-plugin`` when a Jaeger CR exists, else ``tempo``):
  - ``tempo``: StatefulSet ``tempo`` receives OTLP behind Service ``jaeger-collector``; Deployment
    ``jaeger-query`` reads it through a ``tempo-query`` sidecar (checks_tempo.py).
  - ``grpc-plugin`` (operator mode): the Jaeger CR and what the operator made of it
    (checks_jaeger_operator.py).
The registry (registry.py) picks each check's implementation for the mode, once.

The names and ports of the objects come from the module's parameters (``NAMES``: their defaults are
the roles', from constants.py); a snapshot without them gets the defaults.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Tuple, Union

from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse as p
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import versions as v

TEMPO = "tempo"
OPERATOR = "grpc-plugin"
MODES = (TEMPO, OPERATOR)

# The module parameters that name the objects the checks look for, with their defaults.
NAMES = dict(
    otel_otlp_grpc_port=C.OTLP_GRPC_PORT,
    otel_otlp_http_port=C.OTLP_HTTP_PORT,
    jaeger_name=C.JAEGER_NAME,
    tempo_name=C.TEMPO_NAME,
    query_name=C.JAEGER_QUERY_NAME,
    query_port=C.JAEGER_QUERY_PORT,
    collector_service=C.JAEGER_COLLECTOR_SERVICE,
    collector_otlp_grpc_port=C.OTLP_GRPC_PORT,
    collector_otlp_http_port=C.OTLP_HTTP_PORT,
    storage_secret_name=C.STORAGE_SECRET_NAME,
    sampler_name=C.SAMPLER_NAME,
    sampler_namespace=None,  # None: the Jaeger namespace (as in the site playbook)
    sampler_port=C.SAMPLER_PORT,
)


# What a check function returns: (passed, evidence), or (passed, evidence, fix) when the fix depends on what it found.
Outcome = Union[Tuple[bool, str], Tuple[bool, str, str]]


def names_of(params: dict[str, Any]) -> dict[str, Any]:
    """The object names and ports of ``params`` (a snapshot's), defaults filled in."""
    out = dict((k, params.get(k) if params.get(k) is not None else v) for k, v in NAMES.items())
    out["otel_namespace"] = params.get("otel_namespace", C.OTEL_NAMESPACE)
    out["otel_name"] = params.get("otel_name")
    out["jaeger_namespace"] = params.get("jaeger_namespace", C.JAEGER_NAMESPACE)
    out["sampler_namespace"] = out["sampler_namespace"] or out["jaeger_namespace"]
    out["claim_name"] = params.get("claim_name") or C.CLAIM_NAME
    out["claim_namespace"] = params.get("claim_namespace") or out["jaeger_namespace"]
    # fixed by role jaeger_production (vars/main.yml), named here for the texts
    out["tempo_http_port"] = C.TEMPO_HTTP_PORT
    out["grafana_datasource_configmap"] = C.GRAFANA_DATASOURCE_CONFIGMAP
    return out


def _tempo_workloads(f):
    name = f.names["query_name"]
    f.receiver = f.tempo_sts
    f.receiver_label = "StatefulSet %s" % f.names["tempo_name"]
    f.query = p.by_name(f.jaeger.get("deployments"), name)
    f.query_label = "Deployment %s" % name
    f.collector_service_name = f.names["collector_service"]
    f.query_service_name = name


def _operator_workloads(f):
    name = p.name_of(f.cr) or f.names["jaeger_name"]
    f.collector_service_name = "%s-collector" % name
    f.query_service_name = "%s-query" % name
    if f.strategy() == "allInOne":
        f.receiver = f.query = p.by_name(f.jaeger.get("deployments"), name)
        f.receiver_label = f.query_label = "Deployment %s (all-in-one)" % name
    else:
        f.receiver = p.by_name(f.jaeger.get("deployments"), "%s-collector" % name)
        f.query = p.by_name(f.jaeger.get("deployments"), "%s-query" % name)
        f.receiver_label = "Deployment %s-collector" % name
        f.query_label = "Deployment %s-query" % name


WORKLOADS = {TEMPO: _tempo_workloads, OPERATOR: _operator_workloads}


class Facts(object):
    """What the checks share, derived once from the snapshot."""

    def __init__(self, snap):
        self.snap = snap
        self.params = snap.get("params") or {}
        self.names = names_of(self.params)
        self.otel_ns = self.names["otel_namespace"]
        self.jaeger_ns = self.names["jaeger_namespace"]
        self.retention_days = int(self.params.get("retention_days") or C.RETENTION_DAYS)
        self.otel = snap.get("otel") or {}
        self.jaeger = snap.get("jaeger") or {}
        self.storage = snap.get("storage") or {}
        self.services = snap.get("services") or {}
        self.otel_workload = p.otel_workload(self.otel)
        self.otel_cm, self.otel_config, self.otel_config_error = p.otel_config(self.otel)
        self.cr = self._pick_cr()
        tempo = self.names["tempo_name"]
        self.tempo_sts = p.by_name(self.jaeger.get("statefulsets"), tempo)
        self.tempo_cm = p.by_name(self.jaeger.get("configmaps"), tempo)
        self.tempo_config, self.tempo_config_error = self._tempo_config()
        self.mode = self._mode()
        WORKLOADS[self.mode](self)

    def _pick_cr(self):
        crs = self.jaeger.get("crs") or []
        return p.by_name(crs, self.names["jaeger_name"]) or (crs[0] if crs else None)

    def _tempo_config(self):
        where = "ConfigMap %s/%s" % (self.jaeger_ns, self.names["tempo_name"])
        if not self.tempo_cm:
            return None, "%s not found" % where
        data = self.tempo_cm.get("data") or {}
        if "tempo.yaml" not in data:
            return None, "%s has no key tempo.yaml" % where
        config, error = p.load_yaml(data["tempo.yaml"])
        return config, (("tempo.yaml is %s" % error) if error else None)

    def _mode(self):
        wanted = self.params.get("storage_mode") or "auto"
        if wanted in MODES:
            return wanted
        if self.tempo_sts or self.tempo_cm:
            return TEMPO
        if self.cr:
            return OPERATOR
        return TEMPO

    # --- Jaeger CR helpers (operator mode)
    def cr_spec(self) -> dict[str, Any]:
        return (self.cr or {}).get("spec") or {}

    def storage_type(self) -> str | None:
        return str((self.cr_spec().get("storage") or {}).get("type") or "memory")

    def strategy(self) -> dict[str, Any] | None:
        strategy = str(self.cr_spec().get("strategy") or "allInOne")
        if strategy.lower() not in ("production", "streaming"):
            return "allInOne"
        if self.storage_type() in ("memory", "badger"):
            return "allInOne"
        return strategy

    # --- workloads of the Jaeger namespace
    def jaeger_workloads(self) -> list[dict[str, Any]]:
        return list(self.jaeger.get("deployments") or []) + list(self.jaeger.get("statefulsets") or [])

    def jaeger_service(self, name: str) -> dict[str, Any] | None:
        return self.services.get("%s/%s" % (self.jaeger_ns, name))

    # --- storage helpers
    def lifecycle_days(self) -> int | None:
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

    def tempo_compaction(self) -> dict[str, Any]:
        return (((self.tempo_config or {}).get("compactor") or {}).get("compaction")) or {}

    def tempo_retention_hours(self) -> float | None:
        value = self.tempo_compaction().get("block_retention")
        return value, v.duration_hours(value)


# ====================================================================== helpers of several components
def fmt_list(items: Iterable[Any], limit: int = 5) -> str:
    items = list(items)
    text = ", ".join(str(i) for i in items[:limit])
    if len(items) > limit:
        text += " (+%d more)" % (len(items) - limit)
    return text


def no_jaeger(f: Facts) -> str:
    return "no Jaeger in namespace %s (no %s StatefulSet%s)" % (
        f.jaeger_ns, f.names["tempo_name"], ", CRD jaegers.jaegertracing.io missing" if f.jaeger.get("crd_missing") else ", no Jaeger CR")


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


def schedulable_nodes(f: Facts, workload: dict[str, Any] | None) -> list[Any]:
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


# A crash-looping container's own error names the component and key it refused; values are hidden
# (a refused value can be a credential).
_VALUE_RE = re.compile(r"(value: )'[^']*'|`[^`]*`")


def failing_evidence(pods: list[dict[str, Any]], limit: int = 2) -> str:
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


def service_evidence(svc: dict[str, Any] | None, name: str) -> str:
    if svc is None:
        return "Service %s missing" % name
    return "Service %s ports %s" % (name, ", ".join(str(x) for x in p.service_ports(svc)))


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    out = {}
    for key, value in (data or {}).items():
        full = "%s.%s" % (prefix, key) if prefix else str(key)
        if isinstance(value, dict):
            out.update(flatten(value, full))
        else:
            out[full] = value
    return out
