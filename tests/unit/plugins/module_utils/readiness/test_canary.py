# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readiness canary (module_utils/readiness/canary.py): what it sends, and which hop it names, read
from a fake cluster. The real path (service proxy, real Collectors) is tests/integration/test_traces_canary.py."""

from __future__ import annotations

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import canary
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.run import readiness_argument_spec

PARAMS = {k: v.get("default") for k, v in readiness_argument_spec().items()}
TAIL = {"exporters": {"loadbalancing": {"resolver": {"k8s": {"service": "otel-sampler.jaeger", "ports": [4317]}}}},
        "service": {"pipelines": {"traces": {"exporters": ["loadbalancing"]}}}}
READY = {"subsets": [{"addresses": [{"ip": "10.0.0.5"}]}]}


class Cluster:
    """Services and Endpoints by (namespace, name); a query that finds the trace after ``appears`` polls."""

    def __init__(self, services=(), endpoints=None, appears=None, send_error=None, query_error=None):
        self.services = set(services)
        self.endpoints = endpoints or {}
        self.appears, self.polls, self.sent = appears, 0, []
        self.send_error, self.query_error = send_error, query_error

    def request(self, method, path, body=None, action=None, **_kw):
        if method == "POST":
            if self.send_error:
                raise self.send_error
            self.sent.append((path, body))
            return {}
        if self.query_error:
            raise self.query_error
        self.polls += 1
        if self.appears is not None and self.polls >= self.appears:
            return {"data": [{"traceID": path.rsplit("/", 1)[1]}]}
        err = TracingError(action, "the API server answered 404 Not Found.")
        err.status = 404
        raise err

    def get(self, api_version, plural, name, namespace=None, action=None):
        if plural == "services":
            return {"metadata": {"name": name}} if (namespace, name) in self.services else None
        return self.endpoints.get((namespace, name))


def run(cluster, config=None, timeout=10):
    clock = iter(range(0, 1000, 2))
    ids = iter(range(1, 100))
    return canary.run_canary(cluster, PARAMS, TAIL if config is None else config, timeout, sleep=lambda _s: None, clock=lambda: next(clock),
                             random=lambda n: bytes([next(ids)] * n))


def test_found_sends_one_error_span_through_the_agents_service_proxy():
    cluster = Cluster(appears=3)
    out = run(cluster)
    assert out["passed"] and out["seconds"] == 6 and out["hop"] is None
    (path, body), = cluster.sent
    assert path == "/api/v1/namespaces/opentelemetry/services/otel-collector:4318/proxy/v1/traces"
    spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert [s.get("status", {}).get("code") for s in spans] == [2, None, None]
    assert spans[0]["traceId"] == out["error_trace_id"] == "01" * 16
    assert body["resourceSpans"][0]["resource"]["attributes"][0]["value"]["stringValue"] == "tracing-readiness-canary"


@pytest.mark.parametrize("cluster, hop, words", [
    (Cluster(), "agents", "Service jaeger/otel-sampler does not exist"),
    (Cluster(services=[("jaeger", "otel-sampler")]), "samplers", "jaeger/otel-sampler, where the agents send traces, has no ready endpoints"),
    (Cluster(services=[("jaeger", "otel-sampler")], endpoints={("jaeger", "otel-sampler"): READY}), "Tempo",
     "jaeger/jaeger-collector (Tempo's distributor) has no ready endpoints"),
    (Cluster(services=[("jaeger", "otel-sampler")],
             endpoints={("jaeger", "otel-sampler"): READY, ("jaeger", "jaeger-collector"): READY}), "Tempo", "never reached jaeger-query"),
])
def test_a_missing_trace_names_the_hop_read_from_the_cluster(cluster, hop, words):
    out = run(cluster)
    assert not out["passed"] and out["hop"] == hop and words in out["problem"], out
    assert "did not appear in jaeger-query within 10s" in out["problem"] and out["fix"]


def test_refused_send_is_the_agents_hop_and_query_failure_the_query_hop():
    refused = TracingError("send", "the API server answered 503 Service Unavailable: no endpoints available for service \"otel-collector\"")
    refused.status = 503
    out = run(Cluster(send_error=refused))
    assert out["hop"] == "agents" and "no endpoints available" in out["problem"]
    down = TracingError("query", "the API server answered 503 Service Unavailable: no endpoints available for service \"jaeger-query\"")
    down.status = 503
    out = run(Cluster(query_error=down))
    assert out["hop"] == "query" and "jaeger-query" in out["problem"]


def test_agents_exporting_nowhere_in_cluster():
    out = run(Cluster(), config={"exporters": {}, "service": {"pipelines": {}}})
    assert out["hop"] == "agents" and "no in-cluster Service" in out["problem"]
