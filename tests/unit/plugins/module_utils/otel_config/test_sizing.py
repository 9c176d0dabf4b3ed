# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The samplers' memory sizing follows the measurement of the real Collector (otel_config/sizing.py, issue 21)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import plan
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.sizing import expected_memory_mib, sampler_sizing

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 5))
with open(os.path.join(ROOT, "roles", "tail_sampler", "defaults", "main.yml"), encoding="utf-8") as _fh:
    VALUES = yaml.safe_load(_fh)

# Peak RSS (MiB) of one replica measured by tests/bench/sampler_capacity.py (README, "The real Collector
# (issue 21) and one sampler's capacity"): (spans/s to the replica, span bytes, decision_wait s, MiB).
MEASURED = [(333, 1024, 10, 73), (1000, 1024, 10, 104), (5000, 1024, 10, 243), (9941, 1024, 10, 449),
            (20000, 1024, 10, 762), (333, 150, 10, 69), (20000, 150, 10, 311)]


@pytest.mark.parametrize("spans,span_bytes,wait,mib", MEASURED)
def test_the_rule_is_within_ten_percent_of_every_measurement(spans, span_bytes, wait, mib):
    assert abs(expected_memory_mib(spans, wait, span_bytes) - mib) <= 0.10 * mib


def test_defaults():
    size = sampler_sizing(VALUES)
    # 1000 spans/s / 3 replicas x 10 s = 3333 spans held; 64 + 3333 x (819.2 + 3.15 x 1024) B = 76.9 MiB
    assert size["expected_mib"] == 76.9 and size["request_mib"] == 77
    assert (size["limit_mib"], size["limiter_mib"], size["spike_mib"], size["gomemlimit_mib"]) == (97, 77, 15, 77)
    assert size["working_set_mib"] == 3.3 and size["num_traces"] == 2000  # 2 x 100 traces/s x 10 s
    assert abs(size["request_mib"] - 73) <= 0.25 * 73  # the measured 73 MiB at the default load


def test_a_high_load_is_no_longer_undersized():
    # 15,000 spans/s over 3 replicas = 5,000 per replica, measured 243 MiB; the old rule gave a 125 Mi limit
    size = sampler_sizing(dict(VALUES, tail_sampler_expected_spans_per_sec=15000))
    assert size["request_mib"] == 257 and size["limit_mib"] == 322 and size["limiter_mib"] == 257
    assert abs(size["request_mib"] - 243) <= 0.25 * 243 and size["limit_mib"] > 243


def test_inputs_reach_the_figures():
    base = sampler_sizing(VALUES)["expected_mib"]
    assert sampler_sizing(dict(VALUES, tail_sampler_replicas=1))["expected_mib"] > base
    assert sampler_sizing(dict(VALUES, tail_sampler_decision_wait="30s"))["expected_mib"] > base
    assert sampler_sizing(dict(VALUES, tail_sampler_span_bytes=4096))["expected_mib"] > base
    assert sampler_sizing(dict(VALUES, tail_sampler_num_traces=12345))["num_traces"] == 12345


def test_the_rendered_limiter_and_the_pod_use_the_sizing():
    rendered = plan("sampler", dict(VALUES, tail_sampler_image="otel/opentelemetry-collector-contrib:0.159.0"))
    limiter = rendered["config"]["processors"]["memory_limiter"]
    assert (limiter["limit_mib"], limiter["spike_limit_mib"]) == (rendered["sizing"]["limiter_mib"], rendered["sizing"]["spike_mib"])
