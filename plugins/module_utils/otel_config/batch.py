# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The batch processor's settings, bounded so that a batch fits the next hop's gRPC message limit (pure).

Every hop the roles configure is OTLP/gRPC into a receiver that keeps gRPC's default receive limit,
4 MiB per message: agent -> sampler (load-balancing exporter), agent -> Jaeger/Tempo (head mode) and
sampler -> Tempo (OTLP exporters). google.golang.org/grpc server.go (v1.83.0, the version the v0.159.0
Collector builds with; the same constant in v1.65.0): ``defaultServerMaxReceiveMessageSize = 1024 *
1024 * 4``; the Collector's OTLP receiver passes ``max_recv_msg_size_mib`` to gRPC only when it is set
(go.opentelemetry.io/collector/config/configgrpc configgrpc.go at v1.65.0 ``toServerOption``), and
Tempo's distributor leaves it unset by default. A bigger request is answered ``ResourceExhausted``, which
the OTLP exporter does not retry without RetryInfo: the batch is lost.

The batch processor counts spans, not bytes (processor/batchprocessor README.md at v0.159.0):
``send_batch_size`` is a trigger that "does not affect the size of the batch"; ``send_batch_max_size``
(default 0, no upper limit) "ensures that larger batches are split into smaller units" and "must be
greater than or equal to ``send_batch_size``" (config.go ``Validate``). Both keys exist at v0.114.0 too.

Not a hop of this kind: the metrics pipeline's Prometheus remote write (HTTP; the exporter splits its
requests at ``max_batch_size_bytes``, 3,000,000 by default, prometheusremotewriteexporter factory.go at
v0.159.0), and the exporters' ``sending_queue``, which does not merge batches unless ``sending_queue::batch``
is set (exporterhelper queue_sender.go ``NewDefaultQueueConfig`` at v0.159.0: ``configoptional.Default``
while the alpha gate ``pkg.exporterhelper.queueBatchEnabled`` is off; a release where it is on batches in
the queue to ``min_size`` 8192 items and needs a ``sending_queue::batch`` ``max_size`` in a new profile).

``batch_max_spans(span_bytes)``: the most spans of ``span_bytes`` (the expected OTLP size of a span) that
fill half the 4 MiB limit, so that a batch still fits when its spans average twice the expected size
(and OTLP's resource and scope framing fits in the rest). ``batch_settings(timeout, send_batch_size,
span_bytes)``: the processor's mapping, ``send_batch_max_size`` that bound and ``send_batch_size`` the
given trigger, lowered to the bound when it is above it.
"""

from __future__ import annotations


from typing import Any, Dict

GRPC_DEFAULT_MAX_RECV_BYTES = 4 * 1024 * 1024
BATCH_BYTES_BUDGET = GRPC_DEFAULT_MAX_RECV_BYTES // 2


def batch_max_spans(span_bytes: Any) -> int:
    """``send_batch_max_size`` for spans of about ``span_bytes`` bytes (at least 1)."""
    return max(1, BATCH_BYTES_BUDGET // max(1, int(span_bytes)))


def batch_settings(timeout: Any, send_batch_size: Any, span_bytes: Any) -> Dict[str, Any]:
    """The batch processor's configuration: ``timeout``, ``send_batch_size`` (at most the cap) and the cap."""
    cap = batch_max_spans(span_bytes)
    return {"timeout": timeout, "send_batch_size": min(int(send_batch_size), cap), "send_batch_max_size": cap}
