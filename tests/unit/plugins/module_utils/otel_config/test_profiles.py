# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Component names per Collector release (module_utils/otel_config/profiles.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import profiles


def test_every_profile_names_every_component():
    for profile in profiles.PROFILES:
        assert set(profile.names) == set(profiles.COMPONENTS), profile.release


def test_profiles_are_oldest_first_and_listed():
    releases = [p.release for p in profiles.PROFILES]
    assert releases == sorted(releases) and len(set(releases)) == len(releases)
    assert profiles.supported_releases()[0] == "0.114.0"


def test_0_114_0_names():
    p = profiles.profile_for((0, 114, 0))
    assert (p.name("otlp_exporter"), p.name("loadbalancing_exporter"), p.name("prometheusremotewrite_exporter"),
            p.name("kubeletstats_receiver")) == ("otlp", "loadbalancing", "prometheusremotewrite", "kubeletstats")


@pytest.mark.parametrize("version", [None, (0, 100, 0), (0, 114, 0), (0, 158, 9)])
def test_versions_before_0_159_0_get_the_0_114_0_names(version):
    assert profiles.profile_for(version) is profiles.V0_114_0


@pytest.mark.parametrize("version", [(0, 159, 0), (0, 159, 1), (1, 0, 0)])
def test_versions_from_0_159_0_get_its_names(version):
    assert profiles.profile_for(version) is profiles.V0_159_0


def test_0_159_0_names_have_no_deprecated_alias():
    # metadata.yaml type of each module at v0.159.0 (tools/go/otelcol/README.md lists type and alias)
    p = profiles.V0_159_0
    assert {c: p.name(c) for c in profiles.COMPONENTS} == {
        "otlp_receiver": "otlp", "hostmetrics_receiver": "host_metrics", "kubeletstats_receiver": "kubelet_stats",
        "memory_limiter_processor": "memory_limiter", "resource_processor": "resource", "batch_processor": "batch",
        "probabilistic_sampler_processor": "probabilistic_sampler", "tail_sampling_processor": "tail_sampling",
        "otlp_exporter": "otlp_grpc", "loadbalancing_exporter": "load_balancing",
        "prometheusremotewrite_exporter": "prometheus_remote_write", "health_check_extension": "health_check",
        "loadbalancing_protocol": "otlp"}


def test_supported_releases_and_exact_profile():
    assert profiles.supported_releases() == ("0.114.0", "0.159.0")
    assert profiles.has_profile((0, 114, 0)) and profiles.has_profile((0, 159, 0))
    assert not any(profiles.has_profile(v) for v in (None, (0, 130, 0), (0, 159, 1), (0, 113, 0)))


@pytest.mark.parametrize("name,canonical", [("load_balancing", "loadbalancing"), ("otlp_grpc", "otlp"),
                                            ("kubelet_stats", "kubeletstats"), ("host_metrics", "hostmetrics"),
                                            ("prometheus_remote_write", "prometheusremotewrite"),
                                            ("loadbalancing", "loadbalancing"), ("otlp", "otlp"), ("zipkin", "zipkin")])
def test_canonical_type_maps_a_new_name_to_its_alias(name, canonical):
    assert profiles.canonical_type(name) == canonical


def test_a_later_profile_is_picked_from_its_release_on(monkeypatch):
    later = profiles.Profile((0, 160, 0), dict(profiles.V0_114_0.names, otlp_exporter="otlp_grpc"))
    monkeypatch.setattr(profiles, "PROFILES", (profiles.V0_114_0, later))
    assert profiles.profile_for((0, 159, 9)) is profiles.V0_114_0
    assert profiles.profile_for((0, 160, 0)) is later
    assert profiles.profile_for((0, 170, 1)) is later
    assert profiles.profile_for(None) is profiles.V0_114_0
    assert profiles.supported_releases() == ("0.114.0", "0.160.0")


def test_unknown_component_is_a_key_error():
    with pytest.raises(KeyError):
        profiles.V0_114_0.name("zipkin_exporter")
