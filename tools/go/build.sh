#!/usr/bin/env bash
# Build one Go tool of tools/go/<name> once, into the cache outside the repository, and print the
# directory that holds its binaries.  Usage: tools/go/build.sh NAME
#
# Pinning: each tool is a Go module of its own with go.mod and go.sum committed; the build runs
# with -mod=readonly, so a module missing from go.sum or a hash that differs fails instead of
# resolving afresh.  GOTOOLCHAIN=local: the machine's Go, never an automatic toolchain download
# (a tool whose go.mod needs a newer Go says so in its build.env).
# Cache: $TOOLS_CACHE/<name>/<key>/bin, key = sha256 of the tool's tracked files and `go version`.
# A build is done once per key; concurrent callers wait on a lock.  Progress goes to stderr.
# TOOLS_GO_CHECK_ONLY=1: build nothing; print the directory if that key is built, else exit 3.
set -euo pipefail
name=${1:?usage: tools/go/build.sh NAME}
here=$(cd "$(dirname "$0")" && pwd)
dir="$here/$name"
[ -f "$dir/go.mod" ] || { echo "tools/go/build.sh: no Go tool '$name' (tools/go/$name/go.mod missing)" >&2; exit 2; }
cache=${TOOLS_CACHE:-$HOME/.cache/talos-homelab-tracing}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
[ -f "$dir/build.env" ] && . "$dir/build.env"
export GOFLAGS="-mod=readonly -buildvcs=false ${GOFLAGS_EXTRA:-}"
export CGO_ENABLED=${CGO_ENABLED:-0}
key=$( { (cd "$dir" && find . -type f ! -name '*.test' | LC_ALL=C sort | xargs sha256sum); go version; echo "$GOTOOLCHAIN"; } | sha256sum | cut -c1-16)
out="$cache/$name/$key"
if [ -f "$out/.done" ]; then
  echo "$out/bin"
  exit 0
fi
if [ -n "${TOOLS_GO_CHECK_ONLY:-}" ]; then
  echo "tools/go/build.sh: $name ($key) is not built" >&2
  exit 3
fi
mkdir -p "$cache/$name"
exec 9>"$cache/$name/.lock"
flock 9
if [ ! -f "$out/.done" ]; then
  rm -rf "$out" && mkdir -p "$out/bin"
  start=$(date +%s)
  echo "tools/go: building $name ($key) into $out (one time; Go module and build caches: $(go env GOMODCACHE), $(go env GOCACHE))" >&2
  if ! (cd "$dir" && OUT="$out/bin" bash ./build.sh) >"$out/build.log" 2>&1; then
    echo "tools/go: building $name failed; last lines of $out/build.log:" >&2
    tail -n 30 "$out/build.log" >&2
    exit 1
  fi
  echo "$(( $(date +%s) - start ))" >"$out/.seconds"
  touch "$out/.done"
  echo "tools/go: built $name in $(cat "$out/.seconds") s: $(ls "$out/bin" | tr '\n' ' ')" >&2
fi
echo "$out/bin"
