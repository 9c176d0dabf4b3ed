"""tracing_readiness's canary (issue 22) through the real API server's service proxy, on the trace path
of tests/tracepath.py: real agents and samplers, the stand-in for Tempo and jaeger-query (Tempo is not
built here). The module runs as users run it, with only a kubeconfig (the control plane's admin one).

It passes on the working path, and names the broken hop when the samplers have no ready pod, when the
agents point at a Service that does not exist, and when jaeger-query has no ready pod.
"""

from __future__ import annotations

import os
import sys

import pytest

from runner import COLLECTIONS, ensure_collection_link, render_collectors, run_module
from tests import otelcol

ensure_collection_link()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
from tests.tracepath import AGENT_VALUES, IMAGE, TracePath  # noqa: E402

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="pods as network namespaces need root (tests/twin/podnet.py)"),
    pytest.mark.skipif(otelcol.available() is None, reason="the Collector is not built (tools/go/build.sh otelcol)"),
]
TIMEOUT = 30  # decision_wait 10s + batch timeouts 5s + 5s, with margin


def canary(cp) -> tuple[dict, str]:
    result, output, _rc = run_module("talos_homelab.tracing.tracing_readiness",
                                     {"canary": True, "canary_timeout": TIMEOUT, "kubeconfig": cp.kubeconfig},
                                     inventory=None, interpreter="{{ ansible_playbook_python }}", timeout=300)
    return result, output


@pytest.fixture(scope="module")
def rendered():
    return {"ok": render_collectors(AGENT_VALUES, {"tail_sampler_image": IMAGE}),
            "nowhere": render_collectors(dict(AGENT_VALUES, otel_collector_sampler_service="otel-sampler-gone"), {"tail_sampler_image": IMAGE})}


def path_for(cp, rendered, query_ready=True):
    """A started trace path with what the canary goes through (a context manager: stopped on leaving)."""
    path = TracePath(cp, rendered["agent"], rendered["sampler"]).start()
    path.expose(query_ready=query_ready)
    return path


def test_canary_finds_its_error_trace(controlplane, rendered):
    with path_for(controlplane, rendered["ok"]):
        result, output = canary(controlplane)
    found = result.get("canary") or {}
    assert found.get("passed") is True, output[-3000:]
    assert 0 < found["seconds"] <= TIMEOUT and len(found["error_trace_id"]) == 32
    assert "Canary: error trace %s found in jaeger-query" % found["error_trace_id"] in result["report"]
    print("MEASURED canary: error trace found after %ss" % found["seconds"])


def test_canary_names_the_samplers_when_none_is_ready(controlplane, rendered):
    with path_for(controlplane, rendered["ok"]) as path:
        for i in range(len(path.samplers)):
            path.remove_sampler(i)
        result, output = canary(controlplane)
    assert result["failed"] and result["canary"]["hop"] == "samplers", output[-3000:]
    assert "Failed the end-to-end canary at the samplers" in result["msg"]
    assert "jaeger/otel-sampler, where the agents send traces, has no ready endpoints" in result["msg"]


def test_canary_names_the_agents_when_they_export_to_a_missing_service(controlplane, rendered):
    with path_for(controlplane, rendered["nowhere"]):
        result, output = canary(controlplane)
    assert result["failed"] and result["canary"]["hop"] == "agents", output[-3000:]
    assert "Service jaeger/otel-sampler-gone does not exist" in result["msg"]


def test_canary_names_the_query_when_it_has_no_ready_pod(controlplane, rendered):
    with path_for(controlplane, rendered["ok"], query_ready=False):
        result, output = canary(controlplane)
    assert result["failed"] and result["canary"]["hop"] == "query", output[-3000:]
    assert "jaeger-query" in result["canary"]["problem"] and "jaeger-query must have a ready pod" in result["msg"]
