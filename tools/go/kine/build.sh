#!/usr/bin/env bash
# Build kine (the etcd API over SQL or memory, github.com/k3s-io/kine) into $OUT, run by
# tools/go/build.sh (-mod=readonly, CGO_ENABLED=0: its SQLite driver is then modernc.org/sqlite,
# pure Go, pkg/drivers/sqlite/sqlite_nocgo.go).  The version is stamped into pkg/version as its
# own scripts/build does.
set -euo pipefail
: "${OUT:?OUT must name the output folder}"
version=$(go list -m -f '{{.Version}}' github.com/k3s-io/kine)
t0=$(date +%s)
go mod download
echo "kine build: go mod download: $(( $(date +%s) - t0 )) s"
t=$(date +%s)
go build -trimpath -ldflags "-s -w -X github.com/k3s-io/kine/pkg/version.Version=$version" -o "$OUT/kine" github.com/k3s-io/kine
echo "kine build: kine: $(( $(date +%s) - t )) s"
"$OUT/kine" --version || true
