# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agents' configuration and sizes (module_utils/otel_config/agent.py) from the otel_collector_* values."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import os

import pytest
import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import agent, plan, profiles

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 5))
with open(os.path.join(ROOT, "roles", "otel_collector", "defaults", "main.yml"), encoding="utf-8") as _fh:
    ROLE_DEFAULTS = yaml.safe_load(_fh)
# The render logic below is checked with 0.114.0's component names; the default image's (0.159.0) names
# are checked in test_the_default_image_renders_0_159_0_names_without_aliases.
DEFAULTS = dict(ROLE_DEFAULTS, otel_collector_image="otel/opentelemetry-collector-contrib:0.114.0")


def values(**changes):
    return dict(DEFAULTS, **{"otel_collector_" + k: v for k, v in changes.items()})


def components(config):
    """Every component a pipeline or the service names, by section."""
    service = config["service"]
    used = {"extensions": set(service["extensions"]), "receivers": set(), "processors": set(), "exporters": set()}
    for pipeline in service["pipelines"].values():
        for section in ("receivers", "processors", "exporters"):
            used[section].update(pipeline[section])
    return used


def test_tail_defaults_route_by_trace_id_without_a_sampler():
    conf = agent.agent_config(values())
    (exporter,) = [k for k in conf["exporters"] if k != "prometheusremotewrite"]
    assert exporter == "loadbalancing"
    lb = conf["exporters"]["loadbalancing"]
    assert lb["routing_key"] == "traceID"
    assert lb["resolver"] == {"k8s": {"service": "otel-sampler.jaeger", "ports": [4317]}}
    assert lb["protocol"] == {"otlp": {"tls": {"insecure": True}}}
    assert "probabilistic_sampler" not in conf["processors"]
    assert conf["service"]["pipelines"]["traces"] == {
        "receivers": ["otlp"], "processors": ["memory_limiter", "resource", "batch"], "exporters": ["loadbalancing"]}


def test_tail_before_the_samplers_serve_keeps_the_working_export_and_samples_nothing():
    """Make before break (issue 23): until the samplers are ready the agents export straight to the backend."""
    conf = agent.agent_config(dict(values(), _traces_to_samplers=False))
    assert conf["exporters"]["otlp"] == {"endpoint": "jaeger-collector.jaeger:4317", "tls": {"insecure": True}}
    assert "loadbalancing" not in conf["exporters"] and "probabilistic_sampler" not in conf["processors"]
    assert conf["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "resource", "batch"]
    assert "loadbalancing" in agent.agent_config(dict(values(), _traces_to_samplers=True))["exporters"]


def test_head_samples_on_the_agent_and_exports_otlp_to_jaeger():
    conf = agent.agent_config(values(sampling="head", sampling_percentage="12.5", sampling_hash_seed="9",
                                     jaeger_endpoint="tempo.tracing:4317", jaeger_insecure=False))
    assert conf["processors"]["probabilistic_sampler"] == {"sampling_percentage": 12.5, "hash_seed": 9}
    assert conf["exporters"]["otlp"] == {"endpoint": "tempo.tracing:4317", "tls": {"insecure": False}}
    assert "loadbalancing" not in conf["exporters"]
    assert conf["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "probabilistic_sampler", "resource", "batch"]


def test_metrics_follow_the_receivers_and_remote_write():
    on = agent.agent_config(values())
    assert on["service"]["pipelines"]["metrics"] == {"receivers": ["otlp", "hostmetrics", "kubeletstats"],
                                                     "processors": ["memory_limiter", "resource", "batch"],
                                                     "exporters": ["prometheusremotewrite"]}
    no_receivers = agent.agent_config(values(hostmetrics_enabled=False, kubeletstats_enabled=False))
    assert set(no_receivers["receivers"]) == {"otlp"}
    assert no_receivers["service"]["pipelines"]["metrics"]["receivers"] == ["otlp"]
    off = agent.agent_config(values(prometheus_remote_write_enabled=False))
    assert set(off["service"]["pipelines"]) == {"traces"} and "prometheusremotewrite" not in off["exporters"]
    assert {"hostmetrics", "kubeletstats"} <= set(off["receivers"])  # configured, in no pipeline: as before


@pytest.mark.parametrize("sampling, hostmetrics, kubeletstats, remote_write",
                         list(itertools.product(["tail", "head"], [True, False], [True, False], [True, False])))
def test_every_combination_is_consistent(sampling, hostmetrics, kubeletstats, remote_write):
    conf = agent.agent_config(values(sampling=sampling, hostmetrics_enabled=hostmetrics, kubeletstats_enabled=kubeletstats,
                                     prometheus_remote_write_enabled=remote_write))
    for section, names in components(conf).items():
        assert names <= set(conf[section]), (section, names)
    for pipeline in conf["service"]["pipelines"].values():
        assert pipeline["processors"][0] == "memory_limiter" and pipeline["processors"][-1] == "batch"
    assert ("probabilistic_sampler" in conf["processors"]) == (sampling == "head")
    assert ("metrics" in conf["service"]["pipelines"]) == remote_write


def test_hostmetrics_scrapers_and_the_filesystem_exclusions():
    conf = agent.agent_config(values(hostmetrics_scrapers=["load", "filesystem", "cpu"], hostmetrics_collection_interval="1m"))
    hm = conf["receivers"]["hostmetrics"]
    assert hm["root_path"] == plan("agent", values())["hostfs"] == "/hostfs"
    assert hm["collection_interval"] == "1m"
    assert set(hm["scrapers"]) == {"load", "filesystem", "cpu"} and hm["scrapers"]["cpu"] == {}
    assert "overlay" in hm["scrapers"]["filesystem"]["exclude_fs_types"]["fs_types"]
    without = agent.agent_config(values(hostmetrics_scrapers=["cpu"]))
    assert without["receivers"]["hostmetrics"]["scrapers"] == {"cpu": {}}


def test_kubeletstats_extra_metadata_labels_only_when_given():
    assert "extra_metadata_labels" not in agent.agent_config(values())["receivers"]["kubeletstats"]
    kl = agent.agent_config(values(kubeletstats_extra_metadata_labels=["container.id"]))["receivers"]["kubeletstats"]
    assert kl["extra_metadata_labels"] == ["container.id"]
    assert kl["endpoint"] == "${env:K8S_NODE_NAME}:10250" and kl["auth_type"] == "serviceAccount"


@pytest.mark.parametrize("limit, percent, spike, gomem, expected", [
    (512, 80, 20, 80, (409, 81, "409MiB")),
    ("333", "77", "33", "91", (256, 84, "303MiB")),   # 256.41 -> 256, 84.48 -> 84, 303.03 -> 303 (truncated like Jinja's int)
    (2048, 90, 10, 95, (1843, 184, "1945MiB")),
])
def test_sizing_truncates_each_step(limit, percent, spike, gomem, expected):
    size = agent.agent_sizing(values(memory_limit_mib=limit, memory_limiter_percent=percent,
                                     memory_limiter_spike_percent=spike, gomemlimit_percent=gomem))
    assert (size["limiter_mib"], size["spike_mib"], size["gomemlimit"]) == expected
    conf = agent.agent_config(values(memory_limit_mib=limit, memory_limiter_percent=percent,
                                     memory_limiter_spike_percent=spike, gomemlimit_percent=gomem))
    assert (conf["processors"]["memory_limiter"]["limit_mib"], conf["processors"]["memory_limiter"]["spike_limit_mib"]) == expected[:2]


def test_ports_and_names_reach_the_endpoints():
    conf = agent.agent_config(values(otlp_grpc_port="5317", otlp_http_port=5318, health_check_port=14133,
                                     sampler_service="samplers", sampler_namespace="tracing", sampler_port="5417",
                                     cluster_name="lab-2"))
    assert conf["receivers"]["otlp"]["protocols"] == {"grpc": {"endpoint": "0.0.0.0:5317"}, "http": {"endpoint": "0.0.0.0:5318"}}
    assert conf["extensions"]["health_check"] == {"endpoint": "0.0.0.0:14133"}
    assert conf["exporters"]["loadbalancing"]["resolver"]["k8s"] == {"service": "samplers.tracing", "ports": [5417]}
    assert conf["processors"]["resource"]["attributes"] == [{"key": "cluster", "value": "lab-2", "action": "upsert"}]


def test_overrides_merge_as_data():
    head_again = {"processors": {"probabilistic_sampler": {"sampling_percentage": 10, "hash_seed": 22}},
                  "service": {"pipelines": {"traces": {"processors": ["memory_limiter", "probabilistic_sampler", "resource", "batch"]}}}}
    conf = agent.agent_config(values(config_overrides=head_again))
    assert conf["processors"]["probabilistic_sampler"] == {"sampling_percentage": 10, "hash_seed": 22}
    traces = conf["service"]["pipelines"]["traces"]
    assert traces["processors"] == ["memory_limiter", "probabilistic_sampler", "resource", "batch"]
    assert traces["exporters"] == ["loadbalancing"] and conf["processors"]["batch"]["timeout"] == "5s"
    typo = agent.agent_config(values(config_overrides={"processors": {"batch": {"send_batch_size": None, "send_batch_sise": 8192}}}))
    assert typo["processors"]["batch"] == {"timeout": "5s", "send_batch_size": None, "send_batch_max_size": 2048,
                                           "send_batch_sise": 8192}


@pytest.mark.parametrize("overrides, variable", [
    ({"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:5317"}}}}}, "otel_collector_otlp_grpc_port"),
    ({"receivers": {"otlp": {"protocols": {"http": {"endpoint": "localhost"}}}}}, "otel_collector_otlp_http_port"),
    ({"extensions": {"health_check": {"endpoint": "0.0.0.0:8888"}}}, "otel_collector_health_check_port"),
])
def test_an_override_moving_an_owned_port_is_refused(overrides, variable):
    with pytest.raises(TracingError) as err:
        agent.agent_config(values(config_overrides=overrides))
    assert err.value.message.startswith("Failed to render the agents' Collector configuration: otel_collector_config_overrides sets")
    assert "Fix: set %s" % variable in err.value.message


def test_another_host_on_the_same_port_is_accepted():
    conf = agent.agent_config(values(otlp_grpc_port=5317,
                                     config_overrides={"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:5317"}}}}}))
    assert conf["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "${env:MY_POD_IP}:5317"


def test_component_names_come_from_the_profile(monkeypatch):
    """A release profile renaming every component: no 0.114.0 name is left where a component is named."""
    renamed = profiles.Profile((0, 200, 0), {k: v + "_x" for k, v in profiles.V0_114_0.names.items()})
    monkeypatch.setattr(profiles, "PROFILES", (profiles.V0_114_0, renamed))
    for sampling in ("tail", "head"):
        conf = agent.agent_config(values(sampling=sampling, image="otel/opentelemetry-collector-contrib:0.200.0"))
        for section, names in components(conf).items():
            assert names <= set(conf[section]) and all(n.endswith("_x") for n in names), (section, names)
            assert all(k.endswith("_x") for k in conf[section]), (section, list(conf[section]))
        old = agent.agent_config(values(sampling=sampling))
        assert "otlp" in old["receivers"]
    lb = agent.agent_config(values(image="otel/opentelemetry-collector-contrib:0.200.0"))["exporters"]["loadbalancing_x"]
    assert set(lb["protocol"]) == {"otlp_x"}


@pytest.mark.parametrize("sampling", ["tail", "head"])
def test_the_default_image_renders_0_159_0_names_without_aliases(sampling):
    conf = agent.agent_config(dict(ROLE_DEFAULTS, otel_collector_sampling=sampling))
    assert ROLE_DEFAULTS["otel_collector_image"].endswith(":0.159.0")
    assert set(conf["receivers"]) == {"otlp", "host_metrics", "kubelet_stats"}
    assert set(conf["exporters"]) == {"load_balancing" if sampling == "tail" else "otlp_grpc", "prometheus_remote_write"}
    assert conf["service"]["pipelines"]["metrics"]["receivers"] == ["otlp", "host_metrics", "kubelet_stats"]
    aliases = {"loadbalancing", "hostmetrics", "kubeletstats", "prometheusremotewrite"}
    for section, names in components(conf).items():
        assert not names & aliases, (section, names)
    if sampling == "tail":
        assert set(conf["exporters"]["load_balancing"]["protocol"]) == {"otlp"}  # config.go: Protocol.OTLP `otlp`
