# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan() and the samplers' configuration (module_utils/otel_config), and filter otel_collector_config over them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.talos_homelab.tracing.plugins.filter.otel_collector_config import FilterModule
from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import plan, profiles, sampler_config

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 5))


def _defaults(role):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


SAMPLER = dict(_defaults("tail_sampler"), tail_sampler_image="otel/opentelemetry-collector-contrib:0.114.0")
AGENT = _defaults("otel_collector")
FILTER = FilterModule().filters()["otel_collector_config"]


def test_sampler_pipeline_memory_limiter_first_batch_after_sampling_to_tempo():
    conf = sampler_config(dict(SAMPLER, tail_sampler_tempo_endpoint="tempo.tracing:4317", tail_sampler_tempo_insecure=False))
    assert conf["service"]["pipelines"]["traces"] == {"receivers": ["otlp"], "processors": ["memory_limiter", "tail_sampling", "batch"],
                                                      "exporters": ["otlp"]}
    assert conf["exporters"]["otlp"] == {"endpoint": "tempo.tracing:4317", "tls": {"insecure": False}}
    assert [p["name"] for p in conf["processors"]["tail_sampling"]["policies"]] == ["keep-errors", "baseline"]


def test_sampler_names_come_from_the_profile(monkeypatch):
    renamed = profiles.Profile((0, 200, 0), dict(profiles.V0_114_0.names, otlp_exporter="otlp_grpc"))
    monkeypatch.setattr(profiles, "PROFILES", (profiles.V0_114_0, renamed))
    conf = sampler_config(dict(SAMPLER, tail_sampler_image="otel/opentelemetry-collector-contrib:0.200.0"))
    assert list(conf["exporters"]) == ["otlp_grpc"] and conf["service"]["pipelines"]["traces"]["exporters"] == ["otlp_grpc"]
    assert list(conf["receivers"]) == ["otlp"]


def test_plan_returns_config_and_sizing_of_each_collector():
    agent = plan("agent", AGENT)
    assert set(agent) == {"config", "sizing", "hostfs"} and agent["sizing"]["gomemlimit"] == "409MiB"
    sampler = plan("sampler", SAMPLER)
    assert set(sampler) == {"config", "sizing"}
    assert sampler["config"]["processors"]["memory_limiter"]["limit_mib"] == sampler["sizing"]["limiter_mib"]


def test_plan_refuses_bad_sampler_values_and_unknown_collectors():
    with pytest.raises(TracingError, match="tail_sampler_replicas 0 must be a whole number >= 1"):
        plan("sampler", dict(SAMPLER, tail_sampler_replicas=0))
    with pytest.raises(TracingError, match="unknown collector 'gateway'"):
        plan("gateway", AGENT)


def test_filter_turns_errors_into_filter_errors():
    assert FILTER(AGENT, "agent")["config"]["exporters"]
    with pytest.raises(AnsibleFilterError, match="otel_collector_otlp_grpc_port"):
        FILTER(dict(AGENT, otel_collector_config_overrides={"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": ":1"}}}}}), "agent")
    with pytest.raises(AnsibleFilterError, match="value 'otel_collector_sampling' missing"):
        FILTER({k: v for k, v in AGENT.items() if k != "otel_collector_sampling"}, "agent")


def test_sampler_overrides_merge_as_data():
    over = {"processors": {"tail_sampling": {"num_traces": 5000, "policies": [{"name": "all", "type": "always_sample"}]}},
            "exporters": {"otlp": {"sending_queue": {"queue_size": 100}}}}
    conf = sampler_config(dict(SAMPLER, tail_sampler_config_overrides=over))
    ts = conf["processors"]["tail_sampling"]
    assert ts["num_traces"] == 5000 and ts["policies"] == [{"name": "all", "type": "always_sample"}]
    assert ts["decision_wait"] == "10s"
    assert conf["exporters"]["otlp"]["sending_queue"] == {"queue_size": 100} and conf["exporters"]["otlp"]["tls"] == {"insecure": True}
    assert sampler_config(dict(SAMPLER, tail_sampler_config_overrides={})) == sampler_config(SAMPLER)


def test_sampler_override_moving_a_port_is_refused_by_the_preflight_checks():
    moved = dict(SAMPLER, tail_sampler_config_overrides={"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:5317"}}}}})
    with pytest.raises(TracingError, match="Fix: set tail_sampler_otlp_grpc_port"):
        plan("sampler", moved)
    (err,) = sampling.values_errors(moved)
    assert "the agents' resolver" in err.message
    assert sampling.values_errors(dict(SAMPLER, tail_sampler_config_overrides={"receivers": {"otlp": {"protocols": {
        "grpc": {"endpoint": "${env:MY_POD_IP}:4317"}}}}})) == []
    (err,) = sampling.values_errors(dict(SAMPLER, tail_sampler_config_overrides=["x"]))
    assert "tail_sampler_config_overrides must be a mapping" in err.message
