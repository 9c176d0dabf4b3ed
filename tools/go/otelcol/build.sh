#!/usr/bin/env bash
# Called by tools/go/build.sh otelcol (never directly): into $OUT
#   otelcol-tracing  the Collector (main.go, components.go)
#   spangen          the load generator and trace sink of tests/bench/sampler_capacity.py (cmd/spangen)
#   tracegen         traces whose spans cross agents (tests/tracepath.py, issue 22)
#   tracestore       stand-in for Tempo's distributor and jaeger-query's API (tests/tracepath.py)
set -euo pipefail
go build -trimpath -ldflags='-s -w' -o "$OUT/otelcol-tracing" .
go build -trimpath -ldflags='-s -w' -o "$OUT/spangen" ./cmd/spangen
go build -trimpath -ldflags='-s -w' -o "$OUT/tracegen" ./cmd/tracegen
go build -trimpath -ldflags='-s -w' -o "$OUT/tracestore" ./cmd/tracestore
