# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The samplers' Collector configuration (role tail_sampler, a Deployment) from the tail_sampler_* values (pure).

memory_limiter first, tail_sampling with the keep-errors and baseline policies, batch after sampling
(at most the spans of ``tail_sampler_span_bytes`` that fit Tempo's 4 MiB gRPC limit, ``batch.py``),
OTLP to Tempo's distributor (keys confirmed at v0.114.0, docs/storage.md section 5). The sizes (limiter,
num_traces) come from ``sizing.py``, the policies from ``sampling.py``, which holds the sampling maths; component names
from the profile of the image's release (``profiles.py``). ``tail_sampler_image`` is the resolved image
(the role passes the agents' when its own is empty). ``tail_sampler_config_overrides`` is deep-merged last,
as the agents' overrides are (``merge.py``): an override that moves a port a variable owns is refused.
"""

from __future__ import annotations


from typing import Any, Dict, Mapping

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.batch import batch_settings
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.merge import merge_overrides
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.profiles import profile_for
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.sizing import sampler_sizing
from ansible_collections.talos_homelab.tracing.plugins.module_utils.images import tag_version

_ACTION = "render the samplers' Collector configuration"


def sampler_config(values: Mapping) -> Dict[str, Any]:
    """The sampler's Collector configuration from the tail_sampler_* ``values`` (overrides merged)."""
    profile = profile_for(tag_version(values.get("tail_sampler_image")))
    size = sampler_sizing(values)
    grpc, http, health = (int(values["tail_sampler_otlp_grpc_port"]), int(values["tail_sampler_otlp_http_port"]),
                          int(values["tail_sampler_health_check_port"]))
    otlp_in, otlp_out = profile.name("otlp_receiver"), profile.name("otlp_exporter")
    memory_limiter, tail_sampling, batch = (profile.name(c) for c in (
        "memory_limiter_processor", "tail_sampling_processor", "batch_processor"))
    health_check = profile.name("health_check_extension")
    config = {
        "extensions": {health_check: {"endpoint": "0.0.0.0:%d" % health}},
        "receivers": {otlp_in: {"protocols": {"grpc": {"endpoint": "0.0.0.0:%d" % grpc},
                                              "http": {"endpoint": "0.0.0.0:%d" % http}}}},
        "processors": {
            memory_limiter: {"check_interval": "1s", "limit_mib": size["limiter_mib"], "spike_limit_mib": size["spike_mib"]},
            tail_sampling: {
                "decision_wait": str(values["tail_sampler_decision_wait"]),
                "num_traces": size["num_traces"],
                "expected_new_traces_per_sec": int(values["tail_sampler_expected_new_traces_per_sec"]),
                "policies": sampling.policies(values),
            },
            batch: batch_settings("5s", 8192, int(values["tail_sampler_span_bytes"])),
        },
        "exporters": {otlp_out: {"endpoint": str(values["tail_sampler_tempo_endpoint"]),
                                 "tls": {"insecure": bool(values["tail_sampler_tempo_insecure"])}}},
        "service": {
            "extensions": [health_check],
            "pipelines": {"traces": {"receivers": [otlp_in], "processors": [memory_limiter, tail_sampling, batch],
                                     "exporters": [otlp_out]}},
        },
    }
    owned = [(("receivers", otlp_in, "protocols", "grpc", "endpoint"), "tail_sampler_otlp_grpc_port", grpc,
              "the Deployment's containerPort otlp-grpc, the Service and the agents' resolver"),
             (("receivers", otlp_in, "protocols", "http", "endpoint"), "tail_sampler_otlp_http_port", http,
              "the Deployment's containerPort otlp-http and the Service"),
             (("extensions", health_check, "endpoint"), "tail_sampler_health_check_port", health,
              "the Deployment's containerPort health and its probes")]
    return merge_overrides(config, values.get("tail_sampler_config_overrides"), owned, "tail_sampler_config_overrides", _ACTION)
