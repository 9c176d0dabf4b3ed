# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every Collector configuration the roles can render, judged by the real binary (issue 21).

The binary is tools/go/otelcol (``otelcol-tracing``, the collector modules of one release, built once
into $TOOLS_CACHE by tools/go/build.sh); ``tests/otelcol.py`` runs its ``validate`` subcommand.

* Samplers: ``otel_config.plan("sampler", ...)`` (the tail_sampler role's renderer) over all pairs of levels of
  the tail_sampler_* variables that reach the configuration (argument spec types and ranges).
* Agents: ``otel_config.plan("agent", ...)`` (roles/otel_collector's renderer, filter otel_collector_config)
  over the role's defaults, over all pairs of levels of the otel_collector_* variables that reach
  the configuration: head and tail sampling, metrics on and off, custom names and ports, overrides.
* The binary refuses what it must: a misspelt key (``processors.batch.send_batch_sise``), in its words.
"""

import copy
import os
import re

import pytest
import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils import images, otel_config, sampling
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import profiles
from tests import otelcol, pairwise

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OTEL_DEFAULTS = os.path.join(ROOT, "roles", "otel_collector", "defaults", "main.yml")
SAMPLER_DEFAULTS = os.path.join(ROOT, "roles", "tail_sampler", "defaults", "main.yml")

pytestmark = pytest.mark.skipif(otelcol.available() is None, reason="tools/go/otelcol cannot be built here (no Go)")

# ------------------------------------------------------------------ the factors (levels within the argument specs)
SAMPLER_FACTORS = {
    "tail_sampler_replicas": [1, 3, 7],
    "tail_sampler_baseline_percentage": [0.5, 10, 100],
    "tail_sampler_hash_salt": ["", "homelab-salt"],
    "tail_sampler_decision_wait": ["500ms", "10s", "2m"],
    "tail_sampler_num_traces": [0, 50000],
    "tail_sampler_expected_new_traces_per_sec": [1, 100, 5000],
    "tail_sampler_expected_spans_per_sec": [10, 1000, 200000],
    "tail_sampler_span_bytes": [200, 1024, 8192],
    "ports": [(4317, 4318, 13133), (14317, 14318, 23133)],
    "tail_sampler_tempo_endpoint": ["jaeger-collector.jaeger:4317", "tempo-distributor.tracing.svc.cluster.local:4317"],
    "tail_sampler_tempo_insecure": [True, False],
    # the role hands the resolved image (tail_sampler_image or the agents'); one level per profile
    "tail_sampler_image": ["otel/opentelemetry-collector-contrib:0.159.0", "otel/opentelemetry-collector-contrib:0.114.0"],
}

AGENT_FACTORS = {
    "otel_collector_image": ["otel/opentelemetry-collector-contrib:0.159.0", "otel/opentelemetry-collector-contrib:0.114.0"],
    "otel_collector_sampling": ["tail", "head"],
    "otel_collector_hostmetrics_enabled": [True, False],
    "otel_collector_hostmetrics_scrapers": [["cpu", "memory", "disk", "network", "filesystem", "load"],
                                            ["cpu", "memory", "paging", "processes", "process", "system"]],
    "otel_collector_kubeletstats_enabled": [True, False],
    "otel_collector_kubeletstats_extra_metadata_labels": [[], ["container.id"]],
    "otel_collector_kubeletstats_insecure_skip_verify": [True, False],
    "otel_collector_prometheus_remote_write_enabled": [True, False],
    "names": [("otel-collector", "otel-sampler", "jaeger", "jaeger-collector.jaeger:4317"),
              ("agent", "sampler-tier", "tracing", "tempo.tracing.svc:14317")],
    "ports": [(4317, 4318, 13133, 4317), (14317, 14318, 23133, 24317)],
    "otel_collector_sampling_percentage": [0.1, 10, 100],
    "memory": [(512, 80, 20), (2048, 60, 30)],
    "otel_collector_batch_send_batch_size": [1, 8192],
    "otel_collector_jaeger_insecure": [True, False],
    "otel_collector_config_overrides": [
        {},
        {"processors": {"batch": {"send_batch_max_size": 16384}},
         "extensions": {"health_check": {"path": "/healthz"}}},
        {"receivers": {"otlp": {"protocols": {"grpc": {"max_recv_msg_size_mib": 16}}}},
         "service": {"telemetry": {"logs": {"level": "debug"}}}},
    ],
}


def sampler_values(case):
    with open(SAMPLER_DEFAULTS) as fh:
        values = yaml.safe_load(fh)
    grpc, http, health = case.pop("ports")
    values.update(case, tail_sampler_otlp_grpc_port=grpc, tail_sampler_otlp_http_port=http,
                  tail_sampler_health_check_port=health)
    return values


def agent_values(case):
    case = dict(case)
    name, service, namespace, jaeger = case.pop("names")
    grpc, http, health, sampler_port = case.pop("ports")
    limit, percent, spike = case.pop("memory")
    case.update(otel_collector_name=name, otel_collector_sampler_service=service, otel_collector_sampler_namespace=namespace,
                otel_collector_jaeger_endpoint=jaeger, otel_collector_otlp_grpc_port=grpc, otel_collector_otlp_http_port=http,
                otel_collector_health_check_port=health, otel_collector_sampler_port=sampler_port,
                otel_collector_memory_limit_mib=limit, otel_collector_memory_limiter_percent=percent,
                otel_collector_memory_limiter_spike_percent=spike)
    return case


def render_agent(overrides, with_mounts=False):
    """The agents' configuration (a dict) as roles/otel_collector renders it - filter otel_collector_config,
    i.e. ``otel_config.plan("agent", values)`` over every otel_collector_* variable - with ``overrides`` on
    top of the role's defaults; ``with_mounts``: also the DaemonSet's hostPath mounts, ``{mountPath: hostPath}``."""
    with open(OTEL_DEFAULTS) as fh:
        values = yaml.safe_load(fh)
    values.update(copy.deepcopy(overrides))
    rendered = otel_config.plan("agent", values)
    if not with_mounts:
        return rendered["config"]
    # roles/otel_collector: the hostfs volume is hostPath "/" mounted where the plan says (root_path)
    return rendered["config"], ({rendered["hostfs"]: "/"} if values["otel_collector_hostmetrics_enabled"] else {})


# The agents' DaemonSet mounts the node's / at /hostfs (test_hostmetrics_root_path_must_exist_in_the_pod proves it).
HOSTFS = {"/hostfs": "/"}
SAMPLER_CASES = pairwise.cases(SAMPLER_FACTORS)
AGENT_CASES = pairwise.cases(AGENT_FACTORS)


def test_the_cases_cover_every_pair():
    assert pairwise.covered(SAMPLER_FACTORS, SAMPLER_CASES)
    assert pairwise.covered(AGENT_FACTORS, AGENT_CASES)
    assert len(SAMPLER_CASES) < 20 and len(AGENT_CASES) < 20  # pairwise, not the full product


@pytest.mark.parametrize("index", range(len(SAMPLER_CASES)))
def test_every_sampler_configuration_is_accepted_by_the_binary(index):
    values = sampler_values(dict(SAMPLER_CASES[index]))
    assert sampling.values_errors(values) == []
    config = otel_config.plan("sampler", values)["config"]
    ok, message = otelcol.validate(config, env={})
    assert ok, "%s\n%s" % (SAMPLER_CASES[index], message)


@pytest.mark.parametrize("index", range(len(AGENT_CASES)))
def test_every_agent_configuration_is_accepted_by_the_binary(index):
    values = agent_values(AGENT_CASES[index])
    config, mounts = render_agent(values, with_mounts=True)
    # the case reached the configuration (not a render that ignores its variables)
    exporters = config["service"]["pipelines"]["traces"]["exporters"]
    profile = profiles.profile_for(images.tag_version(values["otel_collector_image"]))
    assert exporters == [profile.name("loadbalancing_exporter" if values["otel_collector_sampling"] == "tail" else "otlp_exporter")]
    assert ("metrics" in config["service"]["pipelines"]) == values["otel_collector_prometheus_remote_write_enabled"]
    ok, message = otelcol.validate(config, mounts=mounts, service_account="opentelemetry")
    assert ok, "%s\n%s" % (AGENT_CASES[index], message)


# ------------------------------------------------------------------ refusals, in the binary's words
def test_hostmetrics_root_path_must_exist_in_the_pod():
    """Without the DaemonSet's hostPath mount, the binary refuses hostmetrics' root_path (its Validate())."""
    config, mounts = render_agent({}, with_mounts=True)
    assert mounts == {"/hostfs": "/"}
    assert otelcol.validate(config, mounts=mounts, service_account="opentelemetry") == (True, "")
    ok, message = otelcol.validate(config, mounts={"/hostfs": "/nonexistent-hostfs"}, service_account="opentelemetry")
    assert not ok and "invalid root_path" in message and "/nonexistent-hostfs" in message, message


def test_kubeletstats_needs_the_service_account_token_mounted():
    """validate builds the pipelines: kubeletstats (auth_type serviceAccount) reads the pod's ca.crt."""
    config = render_agent({"otel_collector_hostmetrics_enabled": False})
    assert otelcol.validate(config, service_account="opentelemetry") == (True, "")
    ok, message = otelcol.validate(config)
    assert not ok and "cert path %s/ca.crt could not be read" % otelcol.SA_DIR in message, message
    assert not os.path.exists(otelcol.SA_DIR)  # the mount namespace left the machine as it was


def test_host_paths_maps_only_paths_under_a_mount():
    mounts = {"/hostfs": "/", "/var/log/pods": "/srv/pods/"}
    got = otelcol.host_paths({"a": "/hostfs", "b": ["/hostfs/proc", "/hostfsx"], "c": "/var/log/pods/x", "d": 3}, mounts)
    assert got == {"a": "/", "b": ["/proc", "/hostfsx"], "c": "/srv/pods/x", "d": 3}


def test_misspelt_batch_key_is_refused_naming_it():
    config = render_agent({})
    config["processors"]["batch"]["send_batch_sise"] = config["processors"]["batch"].pop("send_batch_size")
    ok, message = otelcol.validate(config, mounts=HOSTFS, service_account="opentelemetry")
    assert not ok
    assert message.startswith("Error: failed to get config: cannot unmarshal the configuration"), message
    assert 'error reading configuration for "batch"' in message, message
    assert "has invalid keys: send_batch_sise" in message, message


def test_misspelt_contrib_keys_are_refused():
    """The contrib components the extracted facts never covered (issue 10) are judged too."""
    base = render_agent({"otel_collector_sampling": "head"})
    mutations = {
        "tail_sampling": (otel_config.plan("sampler", sampler_values({"ports": (4317, 4318, 13133)}))["config"],
                          lambda c: c["processors"]["tail_sampling"].update(decision_wiat="10s"), "decision_wiat"),
        "kubelet_stats": (base, lambda c: c["receivers"]["kubelet_stats"].update(metrics_groups=["pod"]), "metrics_groups"),
        "probabilistic_sampler": (base, lambda c: c["processors"]["probabilistic_sampler"].update(sampling_percent=5),
                                  "sampling_percent"),
        "load_balancing": (render_agent({}), lambda c: c["exporters"]["load_balancing"]["resolver"]["k8s"].update(servce="x"),
                           "servce"),
    }
    for component, (config, mutate, key) in mutations.items():
        config = copy.deepcopy(config)
        mutate(config)
        ok, message = otelcol.validate(config, mounts=HOSTFS, service_account="opentelemetry")
        assert not ok, component
        assert "has invalid keys: %s" % key in message, (component, message)


def test_a_validation_error_after_decoding_is_refused():
    """Validate() of a component, not only the keys: a percentage above 100 (probabilistic_sampler)."""
    config = render_agent({"otel_collector_sampling": "head"})
    config["processors"]["probabilistic_sampler"]["sampling_percentage"] = -5
    ok, message = otelcol.validate(config, mounts=HOSTFS, service_account="opentelemetry")
    assert not ok and "probabilistic_sampler" in message, message


def test_an_undefined_pipeline_component_is_refused():
    config = render_agent({})
    config["service"]["pipelines"]["traces"]["processors"].append("transform")
    ok, message = otelcol.validate(config, mounts=HOSTFS, service_account="opentelemetry")
    assert not ok and "transform" in message, message


def test_error_text_keeps_cobras_block_and_drops_the_fatal_copy():
    stderr = ("Error: failed to get config: x\n\n'' has invalid keys: y\n"
              "2026/12/07 19:00:00 collector server run finished with error: failed to get config: x\n")
    assert otelcol.error_text(stderr) == "Error: failed to get config: x\n\n'' has invalid keys: y"
    assert otelcol.error_text("panic: boom\n") == "panic: boom"


def test_the_binary_is_the_release_its_go_mod_pins():
    """One fact: the version the twin and the tests call RELEASE is what the binary reports and builds from."""
    import subprocess

    out = subprocess.run([otelcol.binary(), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "otelcol-tracing version %s" % otelcol.RELEASE
    with open(os.path.join(ROOT, "tools", "go", "otelcol", "go.mod")) as fh:
        pins = re.findall(r"(go\.opentelemetry\.io/collector/\S+|github\.com/open-telemetry/opentelemetry-collector-contrib/\S+) (v\S+)",
                          fh.read())
    # every collector module at the one release (v0.x of it, or the v1.x stable line it ships with)
    zero = {v for _m, v in pins if v.startswith("v0.")}
    assert zero == {"v" + otelcol.RELEASE}, sorted(set(pins))
    assert len({v for _m, v in pins if v.startswith("v1.")}) == 1, sorted(set(pins))


def test_the_default_image_is_the_release_the_binary_is_built_from():
    """The agents' and samplers' default image (constants.COLLECTOR_IMAGE) runs the release tools/go/otelcol
    builds, so what the binary validates is what users deploy by default."""
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import COLLECTOR_IMAGE

    assert images.tag_version(COLLECTOR_IMAGE) == tuple(int(x) for x in otelcol.RELEASE.split("."))
