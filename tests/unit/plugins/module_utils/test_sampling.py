# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tail-sampling decision model, sizing rule, resolver RBAC and value checks (module_utils/sampling.py), and the
samplers' configuration built from them (module_utils/otel_config/sampler.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling as s
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import sampler_config

VALUES = dict(
    tail_sampler_namespace="jaeger", tail_sampler_name="otel-sampler", tail_sampler_image="",
    tail_sampler_replicas=3, tail_sampler_baseline_percentage=10, tail_sampler_hash_salt="",
    tail_sampler_decision_wait="10s", tail_sampler_num_traces=0, tail_sampler_expected_new_traces_per_sec=100,
    tail_sampler_expected_spans_per_sec=1000, tail_sampler_span_bytes=1024,
    tail_sampler_otlp_grpc_port=4317, tail_sampler_otlp_http_port=4318, tail_sampler_health_check_port=13133,
    tail_sampler_tempo_endpoint="jaeger-collector.jaeger:4317", tail_sampler_tempo_insecure=True,
)


def test_fnv1a64_matches_go_hash_fnv_vectors():
    # Go hash/fnv fnv_test.go golden64a: "" and "a"
    assert s.fnv1a64(b"") == 0xcbf29ce484222325
    assert s.fnv1a64(b"a") == 0xaf63dc4c8601ec8c
    assert s.fnv1a64(b"ab") == 0x089c4407b545986a


def test_threshold_bounds_and_ratio():
    assert s.threshold(100) == s.MAX_UINT64
    assert s.threshold(0) == 0
    ten = s.threshold(10)
    assert abs(ten - s.MAX_UINT64 // 10) < 2 ** 12  # float64 0.1 is not exactly a tenth
    # MaxUint64 x 0.5 = 2^63 - 0.5 fits a 64-bit mantissa exactly; Uint64() truncates it
    assert s.threshold(50) == (1 << 63) - 1


def test_rendered_policies_keep_every_error_and_about_ten_percent_of_others():
    pols = sampler_config(VALUES)["processors"]["tail_sampling"]["policies"]
    traces = s.synthetic_traces(4000, 10)
    res = s.simulate(pols, traces)
    assert res["errors"] == 400 and res["errors_kept"] == 400
    assert 0.08 < res["others_kept"] / float(res["others"]) < 0.12


def test_without_keep_errors_errors_follow_the_baseline():
    pols = [p for p in s.policies(VALUES) if p["type"] == "probabilistic"]
    res = s.simulate(pols, s.synthetic_traces(2000, 2))
    assert res["errors_kept"] < res["errors"] * 0.2
    assert s.keeps_errors_and_baseline(pols) == (False, 10.0)
    assert s.keeps_errors_and_baseline(s.policies(VALUES)) == (True, 10.0)


def test_hash_salt_changes_which_traces_are_kept_but_not_the_rate():
    traces = s.synthetic_traces(2000, 0)
    salted = s.simulate(s.policies(dict(VALUES, tail_sampler_hash_salt="homelab")), traces)
    plain = s.simulate(s.policies(VALUES), traces)
    assert salted["kept_ids"] != plain["kept_ids"]
    assert 0.08 < salted["others_kept"] / 2000.0 < 0.12


def test_unmodelled_policy_is_refused_by_name():
    with pytest.raises(ValueError, match="latency"):
        s.decide([{"name": "slow", "type": "latency", "latency": {"threshold_ms": 5}}], dict(trace_id="0" * 32, error=False))
    assert s.keeps_errors_and_baseline([{"name": "slow", "type": "latency"}]) == (False, None)


def test_bad_trace_id_is_refused():
    with pytest.raises(ValueError, match="32 hex"):
        s.trace_id_bytes("xyz")


def test_sampler_config_order_memory_limiter_first_batch_after_sampling():
    conf = sampler_config(VALUES)
    assert conf["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "tail_sampling", "batch"]
    ts = conf["processors"]["tail_sampling"]
    assert ts["decision_wait"] == "10s" and ts["expected_new_traces_per_sec"] == 100
    assert conf["exporters"]["otlp"]["endpoint"] == "jaeger-collector.jaeger:4317"


def test_resolver_rules_by_version():
    old = s.resolver_rules((0, 114, 0))
    assert old == [{"apiGroups": [""], "resources": ["endpoints"], "verbs": ["get", "list", "watch"]}]
    assert s.resolver_rules((0, 137, 9)) == old
    # v0.159.0 resolver_k8s.go lists and watches EndpointSlices only
    new = s.resolver_rules((0, 159, 0))
    assert new == [{"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]}]
    assert s.resolver_rules((0, 140, 0)) == new
    both = [["endpoints"], ["endpointslices"]]
    assert [r["resources"] for r in s.resolver_rules((0, 139, 0))] == both  # the switch's release is not pinned down
    assert [r["resources"] for r in s.resolver_rules(None)] == both


@pytest.mark.parametrize("key,value,needle", [
    ("tail_sampler_replicas", 0, "tail_sampler_replicas"),
    ("tail_sampler_baseline_percentage", 0, "(0, 100]"),
    ("tail_sampler_baseline_percentage", "ten", "tail_sampler_baseline_percentage"),
    ("tail_sampler_decision_wait", "10", "positive duration"),
    ("tail_sampler_image", "otel/opentelemetry-collector-contrib:latest", "latest"),
    ("tail_sampler_tempo_endpoint", "http://tempo:4317", "without a scheme"),
    ("tail_sampler_num_traces", -1, "tail_sampler_num_traces"),
    ("tail_sampler_otlp_http_port", 4317, "distinct"),
    ("tail_sampler_name", "Sampler", "DNS label"),
])
def test_values_errors_name_the_variable_and_fix(key, value, needle):
    errors = s.values_errors(dict(VALUES, **{key: value}))
    assert len(errors) == 1
    assert needle in errors[0].message and "Fix:" in errors[0].message


def test_good_values_pass():
    assert s.values_errors(VALUES) == []
