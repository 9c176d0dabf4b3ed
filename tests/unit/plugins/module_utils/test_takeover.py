# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make before break (issue 23): which Services are taken over from the Jaeger operator, and as what patch;
when the samplers count as serving."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.talos_homelab.tracing.plugins.module_utils import takeover as T
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.otel import read_otel, samplers_serving

OWNED = {"kind": "Service", "metadata": {"name": "jaeger-collector", "ownerReferences": [{"kind": "Jaeger", "name": "jaeger", "uid": "u"}]},
         "spec": {"selector": {"app": "jaeger", "app.kubernetes.io/name": "jaeger"}}}
FREE = {"kind": "Service", "metadata": {"name": "jaeger-query"}, "spec": {}}
OTHER_OWNER = {"kind": "Service", "metadata": {"name": "tempo", "ownerReferences": [{"kind": "HelmRelease"}]}}
DESIRED = [
    {"kind": "StatefulSet", "metadata": {"name": "tempo"}},
    {"kind": "Service", "metadata": {"name": "tempo", "labels": {"a": "b"}}, "spec": {"selector": {"x": "y"}}},
    {"kind": "Service", "metadata": {"name": "jaeger-collector", "labels": {"app.kubernetes.io/name": "tempo"}},
     "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": "tempo"}, "ports": [{"name": "grpc-otlp", "port": 4317}]}},
    {"kind": "Service", "metadata": {"name": "jaeger-query"}, "spec": {"selector": {"q": "1"}}},
]


def test_only_services_the_owner_kind_holds_are_taken_over_later():
    out = T.plan([OWNED, FREE, OTHER_OWNER], DESIRED, "Jaeger")
    assert out["names"] == ["jaeger-collector"]
    assert [o["metadata"]["name"] for o in out["apply"]] == ["tempo", "tempo", "jaeger-query"]
    (patch,) = out["take_over"]
    # a JSON merge patch: exactly our labels and selector (the operator's keys null), our ports, no owner
    assert patch["metadata"]["ownerReferences"] is None
    assert patch["metadata"]["labels"] == {"app.kubernetes.io/name": "tempo"}
    assert patch["spec"]["selector"] == {"app": None, "app.kubernetes.io/name": "tempo"}
    assert patch["spec"]["ports"] == [{"name": "grpc-otlp", "port": 4317}]
    assert "$patch" not in repr(patch)
    assert DESIRED[2]["spec"]["selector"] == {"app.kubernetes.io/name": "tempo"}  # the input is not changed


def test_a_service_the_operator_left_after_its_cr_went_is_taken_over_too():
    left = {"kind": "Service", "metadata": {"name": "jaeger-query", "labels": {"app": "jaeger", "app.kubernetes.io/managed-by": "jaeger-operator"}},
            "spec": {"selector": {"app": "jaeger", "q": "0"}}}
    (patch,) = T.plan([left], DESIRED)["take_over"]
    assert patch["metadata"]["labels"] == {"app": None, "app.kubernetes.io/managed-by": None}
    assert patch["spec"]["selector"] == {"app": None, "q": "1"}


def test_nothing_to_take_over_without_the_cr_or_on_a_re_run():
    assert T.plan(None, DESIRED)["take_over"] == [] and len(T.plan(None, DESIRED)["apply"]) == 4
    assert T.plan([dict(OWNED, metadata={"name": "jaeger-collector"})], DESIRED)["take_over"] == []


def deployment(ready, replicas=3, generation=2, observed=2, updated=None):
    status = {"observedGeneration": observed, "updatedReplicas": replicas if updated is None else updated}
    if ready:
        status["readyReplicas"] = ready
    return {"metadata": {"generation": generation}, "spec": {"replicas": replicas}, "status": status}


def test_samplers_serve_only_when_every_replica_of_the_current_spec_is_ready():
    assert samplers_serving(deployment(3))
    assert not samplers_serving(None)
    assert not samplers_serving(deployment(2))
    assert not samplers_serving(deployment(3, observed=1))
    assert not samplers_serving(deployment(3, updated=2))
    assert not samplers_serving(deployment(0, replicas=0))


class Reads(object):
    def __init__(self, objects):
        self.objects, self.calls = objects, []

    def get(self, api_version, plural, name, namespace=None, action=None):
        self.calls.append((plural, name, namespace))
        return self.objects.get((plural, name))


def test_the_preflight_reads_the_sampler_deployment_in_tail_mode_only():
    otel = {"otel_collector_namespace": "opentelemetry", "otel_collector_name": "otel-collector", "otel_collector_sampling": "tail",
            "otel_collector_sampler_namespace": "jaeger", "otel_collector_sampler_service": "otel-sampler"}
    reads = Reads({("namespaces", "opentelemetry"): {}, ("namespaces", "jaeger"): {}, ("deployments", "otel-sampler"): deployment(3)})
    out = read_otel(reads, otel)
    assert out["otel_sampler_deployment"] == deployment(3) and ("deployments", "otel-sampler", "jaeger") in reads.calls
    reads = Reads({("namespaces", "opentelemetry"): {}})
    assert read_otel(reads, otel)["otel_sampler_deployment"] is None
    assert ("deployments", "otel-sampler", "jaeger") not in reads.calls  # its namespace does not exist
    reads = Reads({("namespaces", "opentelemetry"): {}})
    assert "otel_sampler_deployment" not in read_otel(reads, dict(otel, otel_collector_sampling="head"))
