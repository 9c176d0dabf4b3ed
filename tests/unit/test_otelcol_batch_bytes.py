# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Big spans through the real Collector: no batch is refused by a receiver with gRPC's default limit.

Each hop of the stack, with the configuration the roles render and the real binary (tools/go/otelcol):
spangen (tools/go/otelcol/cmd/spangen) sends 3,000 spans of 4 KiB in 3 s to the Collector, and serves
the next hop's OTLP/gRPC receiver with gRPC's default 4 MiB limit (google.golang.org/grpc server.go
``defaultServerMaxReceiveMessageSize``), as the samplers' own receiver and Tempo's distributor have it.

* sampler -> Tempo: the tail_sampler configuration (OTLP exporter), every trace kept (baseline 100%);
* agent -> Jaeger/Tempo: the agents' head-sampling configuration (OTLP exporter), 100%;
* agent -> sampler: the agents' tail configuration (load-balancing exporter); the k8s resolver needs an
  API server, so here the resolver is swapped for the static one on the sink (the exporter's batching
  and its OTLP sub-exporter are the same).

Without a cap, one batch (up to ``send_batch_size`` 8,192 spans until the 5 s timeout) holds the
3,000 spans, about 12 MiB: the receiver answers ResourceExhausted, the OTLP exporter does not retry it
(no RetryInfo) and the spans are lost. Everything sent must arrive and the exporter must report no
failed span.
"""

import copy
import os

import pytest
import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils import otel_config
from tests import otelcol

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPAN_BYTES = 4096
RATE, SECONDS = 1000, 3
FAILED = "otelcol_exporter_send_failed_spans"

pytestmark = pytest.mark.skipif(otelcol.available() is None, reason="tools/go/otelcol cannot be built here (no Go)")


def _defaults(role):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as fh:
        return yaml.safe_load(fh)


def sampler_config(sink, ports):
    grpc, http, health = ports
    values = dict(_defaults("tail_sampler"), tail_sampler_span_bytes=SPAN_BYTES, tail_sampler_decision_wait="1s",
                  tail_sampler_baseline_percentage=100, tail_sampler_replicas=1, tail_sampler_expected_spans_per_sec=RATE,
                  tail_sampler_expected_new_traces_per_sec=RATE // 10, tail_sampler_tempo_endpoint=sink,
                  tail_sampler_otlp_grpc_port=grpc, tail_sampler_otlp_http_port=http, tail_sampler_health_check_port=health)
    return otel_config.plan("sampler", values)["config"]


def agent_config(sink, ports, sampling):
    grpc, http, health = ports
    values = dict(_defaults("otel_collector"), otel_collector_span_bytes=SPAN_BYTES, otel_collector_sampling=sampling,
                  otel_collector_sampling_percentage=100, otel_collector_jaeger_endpoint=sink,
                  otel_collector_hostmetrics_enabled=False, otel_collector_kubeletstats_enabled=False,
                  otel_collector_prometheus_remote_write_enabled=False, otel_collector_otlp_grpc_port=grpc,
                  otel_collector_otlp_http_port=http, otel_collector_health_check_port=health)
    config = copy.deepcopy(otel_config.plan("agent", values)["config"])
    if sampling == "tail":
        (exporter,) = config["exporters"].values()
        exporter["resolver"] = {"static": {"hostnames": [sink]}}
    return config


@pytest.mark.parametrize("hop", ["sampler->tempo", "agent->jaeger (head)", "agent->sampler (tail)"])
def test_big_spans_cross_every_hop_without_refusal(hop):
    sink = "127.0.0.1:%d" % otelcol.free_port()
    ports = tuple(otelcol.free_port() for _port in range(3))
    if hop.startswith("sampler"):
        config = sampler_config(sink, ports)
    else:
        config = agent_config(sink, ports, "tail" if "tail" in hop else "head")
    collector = otelcol.start(otelcol.loopback(config), ports[2], env={"K8S_NODE_NAME": "talos-worker-1"})
    try:
        counts = otelcol.spangen("127.0.0.1:%d" % ports[0], sink, rate=RATE, duration="%ds" % SECONDS,
                                 spans_per_trace=10, error_every=0, span_bytes=SPAN_BYTES, drain="10s",
                                 sink_max_recv_mib=4)
        failed = collector.metric(FAILED)
    finally:
        collector.stop()
    assert counts["send_errors"] == 0 and counts["sent_spans"] == RATE * SECONDS, counts
    assert failed == 0 and counts["received_spans"] == counts["sent_spans"], (counts, failed, collector.log()[-2000:])
