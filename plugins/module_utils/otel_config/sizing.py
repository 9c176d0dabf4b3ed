# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The samplers' memory and num_traces from the expected load (pure; role tail_sampler, docs/storage.md 6.2).

``expected_memory_mib(spans_per_replica, wait_seconds, span_bytes)``: the measured rule, what one replica of
the real Collector holds in memory; ``sampler_sizing(values)``: the figures the role renders from it
(request, limit, memory_limiter, GOMEMLIMIT, num_traces).
"""

from __future__ import annotations


import math
from typing import Any, Dict, Mapping

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling


# The memory one replica uses at its load, fitted to tests/bench/sampler_capacity.py runs of the real
# Collector (README, "The real Collector (issue 21) and one sampler's capacity": peak RSS at 333 to 20,000
# spans/s per replica, 1 KiB and minimal spans, every point within 10%): a base, plus for every span held
# during decision_wait a fixed cost and about 3.15 times its OTLP size (decoded pdata, the trace map, GC).
MEMORY_BASE_MIB = 64
MEMORY_PER_SPAN_BYTES = 0.8 * 1024
MEMORY_PER_SPAN_FACTOR = 3.15
MEMORY_LIMIT_HEADROOM = 1.25  # container limit over the expected memory: memory_limiter's limit_mib (80%) = it


def expected_memory_mib(spans_per_replica: float, wait_seconds: float, span_bytes: float) -> float:
    """The resident memory (MiB) of one sampler replica at ``spans_per_replica`` spans/s held ``wait_seconds``."""
    held = spans_per_replica * wait_seconds
    return MEMORY_BASE_MIB + held * (MEMORY_PER_SPAN_BYTES + MEMORY_PER_SPAN_FACTOR * span_bytes) / (1024.0 * 1024.0)


def sampler_sizing(values: Mapping) -> Dict[str, Any]:
    """Memory of one sampler replica from the load (the measured rule; docs/storage.md section 6.2).

    expected = ``expected_memory_mib`` (64 MiB + spans/s / replicas x decision_wait x (0.8 KiB + 3.15 x span
    size)); request = expected (what the replica uses at the expected load); container limit = 1.25 x
    expected; memory_limiter ``limit_mib`` = 80 percent of the limit (= expected, checked against the Go
    heap, which stays below the resident memory), ``spike_limit_mib`` 20 percent of that; GOMEMLIMIT 80
    percent of the limit. ``working_set_mib``: the spans held (spans/s / replicas x decision_wait x span
    size). num_traces default = 2 x traces/s x decision_wait (upstream advice: at least the traces
    arriving during decision_wait), at least 1000."""
    replicas = int(values["tail_sampler_replicas"])
    wait = sampling.duration_seconds(values["tail_sampler_decision_wait"])
    spans = float(values["tail_sampler_expected_spans_per_sec"])
    span_bytes = float(values["tail_sampler_span_bytes"])
    working = spans / replicas * wait * span_bytes / (1024.0 * 1024.0)
    expected = expected_memory_mib(spans / replicas, wait, span_bytes)
    limit = int(math.ceil(expected * MEMORY_LIMIT_HEADROOM))
    limiter = int(limit * 0.8)
    traces = float(values["tail_sampler_expected_new_traces_per_sec"])
    num_traces = values.get("tail_sampler_num_traces")
    if num_traces in (None, "", 0, "0"):
        num_traces = max(1000, int(math.ceil(2 * traces * wait)))
    return dict(working_set_mib=round(working, 1), expected_mib=round(expected, 1), limiter_mib=limiter,
                spike_mib=max(1, limiter // 5), limit_mib=limit, request_mib=int(math.ceil(expected)),
                gomemlimit_mib=int(limit * 0.8), num_traces=int(num_traces))
