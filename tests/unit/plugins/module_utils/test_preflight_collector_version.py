# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight refuses a Collector image whose version has no configuration profile (issue 21)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils import preflight as pf
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import profiles

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 4))
OTEL = {"otel_collector_namespace": "opentelemetry", "otel_collector_name": "otel-collector",
        "otel_collector_sampling": "tail", "otel_collector_sampler_namespace": "jaeger"}


def _defaults(role):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as fh:
        return yaml.safe_load(fh)


class NoCluster(object):
    requests = 0

    def get(self, *args, **kwargs):
        return None

    def list(self, *args, **kwargs):
        return []


@pytest.mark.parametrize("tag", ["0.114.0", "0.159.0"])
def test_supported_releases_pass(tag):
    image = "otel/opentelemetry-collector-contrib:" + tag
    assert pf.collector_image_errors({"otel_collector_image": image, "tail_sampler_image": image}) == []


def test_the_defaults_pass():
    assert pf.collector_image_errors(_defaults("otel_collector")) == []
    assert pf.collector_image_errors(_defaults("tail_sampler")) == []  # empty: the agents' image


@pytest.mark.parametrize("image,shown", [
    ("otel/opentelemetry-collector-contrib:0.130.0", "version 0.130.0"),
    ("otel/opentelemetry-collector-contrib:0.159.1", "version 0.159.1"),
    ("otel/opentelemetry-collector-contrib:0.100.0", "version 0.100.0"),
    ("registry.local:5000/otelcol:dev-build", "a tag without an X.Y.Z version"),
])
def test_a_version_without_profile_is_refused_naming_the_supported_ones_and_the_fix(image, shown):
    (err,) = pf.collector_image_errors({"otel_collector_image": image})
    assert err.message.startswith("Failed to validate the Collector image: otel_collector_image %r has %s" % (image, shown))
    assert "no configuration profile; supported: %s." % ", ".join(profiles.supported_releases()) in err.message
    assert "supported: 0.114.0, 0.159.0" in err.message
    assert "Fix: set otel_collector_image to a supported release, e.g. " in err.message


def test_the_samplers_image_is_checked_and_the_fix_mentions_leaving_it_empty():
    (err,) = pf.collector_image_errors({"tail_sampler_image": "otel/opentelemetry-collector-contrib:0.150.1"})
    assert "tail_sampler_image" in err.message and "leave tail_sampler_image empty" in err.message


def test_run_refuses_before_any_write_through_both_sections():
    bad = "otel/opentelemetry-collector-contrib:0.130.0"
    result, failed = pf.run(dict(otel_collector=dict(OTEL, otel_collector_image=bad), nothing_written=True),
                            client_factory=lambda p: NoCluster())
    assert failed.startswith("Failed to validate the Collector image: otel_collector_image") and failed.endswith("Nothing was written.")
    assert result["changed"] is False
    sampler = dict(_defaults("tail_sampler"), tail_sampler_image=bad)
    _result, failed = pf.run(dict(tail_sampler=sampler, nothing_written=True), client_factory=lambda p: NoCluster())
    assert "tail_sampler_image '%s' has version 0.130.0" % bad in failed
    # a supported image: nothing to say
    _result, failed = pf.run(dict(otel_collector=dict(OTEL, otel_collector_image="otel/opentelemetry-collector-contrib:0.114.0")),
                             client_factory=lambda p: NoCluster())
    assert failed is None
