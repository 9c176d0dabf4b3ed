# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The end-to-end canary of ``tracing_readiness`` (option ``canary``; issue 22).

From the controller, with only the kubeconfig: a few synthetic traces (service name
``tracing-readiness-canary``, one of them with an error span) go to the agents' OTLP/HTTP port through
the API server's service proxy (``/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy/v1/traces``,
OTLP/HTTP JSON: opentelemetry-proto docs/specification.md "OTLP/HTTP", JSON encoding); the error trace
is then looked up through jaeger-query's HTTP API (``/api/traces/<id>``), also through the service
proxy. Found: the time it took. Missing: the hop that failed, read from the cluster (the Service the
agents export to, its ready endpoints, the backend's), with the fix. Nothing is written to the cluster
but these spans.
"""

from __future__ import annotations

import binascii
import os
import time
from typing import Any, Callable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse

SERVICE_NAME = "tracing-readiness-canary"
STATUS_ERROR = 2  # opentelemetry-proto trace.proto Status.StatusCode STATUS_CODE_ERROR
SPAN_KIND_SERVER = 2


def proxy_path(namespace: str, service: str, port: Any, rest: str) -> str:
    return "/api/v1/namespaces/%s/services/%s:%s/proxy/%s" % (namespace, service, port, rest.lstrip("/"))


def trace_ids(count: int, random: Callable[[int], bytes] = os.urandom) -> list[str]:
    return [binascii.hexlify(random(16)).decode() for _unused in range(count)]


def payload(ids: list[str], now_ns: int, error_id: str) -> dict[str, Any]:
    """OTLP/HTTP JSON: one span per trace; the span of ``error_id`` has status ERROR."""
    spans = []
    for n, tid in enumerate(ids):
        span = {"traceId": tid, "spanId": "%016x" % (n + 1), "name": "canary", "kind": SPAN_KIND_SERVER,
                "startTimeUnixNano": str(now_ns), "endTimeUnixNano": str(now_ns + 1000000),
                "attributes": [{"key": "tracing.canary", "value": {"boolValue": True}}]}
        if tid == error_id:
            span["status"] = {"code": STATUS_ERROR, "message": "synthetic error of the tracing_readiness canary"}
        spans.append(span)
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": SERVICE_NAME}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": SERVICE_NAME}, "spans": spans}]}]}


def _split_host(host: str, default_namespace: str) -> tuple[str, str]:
    """``svc`` / ``svc.ns`` / ``svc.ns.svc.cluster.local`` -> ``(namespace, svc)``."""
    parts = host.split(".")
    return (parts[1] if len(parts) > 1 else default_namespace), parts[0]


def ready_addresses(endpoints: dict[str, Any] | None) -> int:
    return sum(len(s.get("addresses") or []) for s in (endpoints or {}).get("subsets") or [])


def _hop(name: str, problem: str, fix: str) -> dict[str, Any]:
    return {"hop": name, "problem": problem, "fix": fix}


def diagnose(client: Any, params: dict[str, Any], agent_config: dict[str, Any] | None) -> dict[str, Any]:
    """Which hop lost the error trace, read from the cluster: the Service the agents send traces to,
    its ready endpoints, then the backend Service's (Tempo's distributor behind ``collector_service``)."""
    targets = [t for t in parse.exporter_targets(agent_config, params["otel_namespace"]) if t.get("in_cluster")]
    if not targets:
        return _hop("agents", "the agents' configuration exports traces to no in-cluster Service.",
                    "run the site playbook (role otel_collector) to point the agents at the sampler tier.")
    target = targets[0]
    ns, svc = _split_host(str(target["host"]), params["otel_namespace"])
    hop = "samplers" if svc == params["sampler_name"] else "Tempo"
    if client.get("v1", "services", svc, ns) is None:
        return _hop("agents", "the agents export traces to %s:%s, and Service %s/%s does not exist." % (
            target["host"], target["port"], ns, svc),
            "point the agents at the sampler Service (otel_collector_sampler_service/namespace) and re-run the site playbook.")
    if ready_addresses(client.get("v1", "endpoints", svc, ns)) == 0:
        return _hop(hop, "Service %s/%s, where the agents send traces, has no ready endpoints." % (ns, svc),
                    "kubectl -n %s get pods: scale the %s up or fix why its pods are not ready." % (ns, hop))
    backend_ns = params["jaeger_namespace"]
    if ready_addresses(client.get("v1", "endpoints", params["collector_service"], backend_ns)) == 0:
        return _hop("Tempo", "Service %s/%s (Tempo's distributor) has no ready endpoints." % (backend_ns, params["collector_service"]),
                    "kubectl -n %s get pods: fix why Tempo is not ready (role jaeger_production)." % backend_ns)
    return _hop("Tempo", "the agents and the samplers have ready endpoints, but the error trace never reached jaeger-query.",
                "check the samplers' exporter endpoint and Tempo's ingestion (kubectl -n %s logs statefulset/%s)."
                % (backend_ns, params["tempo_name"]))


def run_canary(client: Any, params: dict[str, Any], agent_config: dict[str, Any] | None, timeout: float,
               sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
               random: Callable[[int], bytes] = os.urandom) -> dict[str, Any]:
    """Send, look up, and on a miss diagnose. Returns ``{passed, error_trace_id, seconds, hop, problem, fix}``."""
    ids = trace_ids(3, random)
    error_id = ids[0]
    out: dict[str, Any] = {"passed": False, "error_trace_id": error_id, "trace_ids": ids, "seconds": None,
                           "hop": None, "problem": None, "fix": None, "service_name": SERVICE_NAME}
    send = proxy_path(params["otel_namespace"], params["otel_name"], params["otel_otlp_http_port"], "v1/traces")
    try:
        client.request("POST", send, body=payload(ids, time.time_ns(), error_id), action="send the canary's traces to the agents")
    except TracingError as err:
        out.update(_hop("agents", "the agents did not take the canary's spans: %s" % err.problem,
                        "kubectl -n %s get pods,endpoints %s: the agents must be ready." % (params["otel_namespace"], params["otel_name"])))
        return out
    started = clock()
    query = proxy_path(params["jaeger_namespace"], params["query_name"], params["query_port"], "api/traces/%s" % error_id)
    while True:
        try:
            found = client.request("GET", query, action="look the canary's error trace up in jaeger-query")
            if (found or {}).get("data"):
                out.update(passed=True, seconds=round(clock() - started, 1))
                return out
        except TracingError as err:
            if getattr(err, "status", None) != 404:  # jaeger-query answers 404 for a trace it does not hold (yet)
                out.update(_hop("query", "jaeger-query did not answer: %s" % err.problem,
                                "kubectl -n %s get pods,endpoints %s: jaeger-query must have a ready pod." % (
                                    params["jaeger_namespace"], params["query_name"])))
                return out
        if clock() - started >= timeout:
            break
        sleep(2)
    out.update(diagnose(client, params, agent_config))
    out["problem"] = "the error trace %s did not appear in jaeger-query within %ss: %s" % (error_id, timeout, out["problem"])
    return out
