# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The batches both Collectors send fit the receiving side's gRPC message limit (issue 21, bug).

Every exporter -> receiver hop of the stack is OTLP/gRPC into a receiver that keeps gRPC's default
limit of 4 MiB per message (google.golang.org/grpc server.go ``defaultServerMaxReceiveMessageSize =
1024 * 1024 * 4``; the Collector's OTLP receiver applies ``max_recv_msg_size_mib`` only when it is set,
config/configgrpc configgrpc.go at v1.65.0, and the roles set it nowhere): agent -> sampler
(load-balancing exporter, tail), agent -> Jaeger/Tempo (OTLP exporter, head), sampler -> Tempo (OTLP
exporter). A batch is counted in spans (batch processor README at v0.159.0: ``send_batch_size`` is only
a trigger, ``send_batch_max_size`` the upper limit, 0 = none), so its bytes are bounded by
``send_batch_max_size`` x span size: the rendered cap must keep that under the limit with room for spans
twice the expected size.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import plan

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 5))
GRPC_DEFAULT_MAX_RECV = 4 * 1024 * 1024
SPAN_SIZES = [200, 1024, 4096, 65536]


def _defaults(role):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _assert_bounded(batch, span_bytes):
    assert batch.get("send_batch_max_size", 0) > 0, "no send_batch_max_size: a batch has no upper bound (%r)" % (batch,)
    assert batch["send_batch_size"] <= batch["send_batch_max_size"], batch  # batchprocessor config.go Validate
    assert 2 * batch["send_batch_max_size"] * span_bytes <= GRPC_DEFAULT_MAX_RECV, (batch, span_bytes)


@pytest.mark.parametrize("span_bytes", SPAN_SIZES)
def test_sampler_batches_to_tempo_fit_grpc_default_limit(span_bytes):
    values = dict(_defaults("tail_sampler"), tail_sampler_span_bytes=span_bytes)
    _assert_bounded(plan("sampler", values)["config"]["processors"]["batch"], span_bytes)


@pytest.mark.parametrize("sampling", ["tail", "head"])
@pytest.mark.parametrize("span_bytes", SPAN_SIZES)
def test_agent_batches_to_samplers_and_jaeger_fit_grpc_default_limit(sampling, span_bytes):
    values = dict(_defaults("otel_collector"), otel_collector_sampling=sampling, otel_collector_span_bytes=span_bytes)
    _assert_bounded(plan("agent", values)["config"]["processors"]["batch"], span_bytes)


def test_a_smaller_send_batch_size_is_kept_as_the_trigger():
    values = dict(_defaults("otel_collector"), otel_collector_batch_send_batch_size=256, otel_collector_span_bytes=1024)
    batch = plan("agent", values)["config"]["processors"]["batch"]
    assert batch["send_batch_size"] == 256 and batch["send_batch_max_size"] >= 256
