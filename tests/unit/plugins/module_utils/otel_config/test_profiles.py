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


@pytest.mark.parametrize("version", [None, (0, 100, 0), (0, 114, 0), (0, 159, 0), (1, 0, 0)])
def test_today_every_version_gets_the_0_114_0_names(version):
    assert profiles.profile_for(version) is profiles.V0_114_0


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
