#!/usr/bin/env bash
# make lock: resolve the input files into the locks the two commands install, every package (transitive
# ones included) pinned to one version with its hashes, for CPython 3.11 on x86_64 Linux:
#   requirements.lock         <- requirements-test.txt (which includes requirements.txt): .venv
#   requirements-sanity.lock  <- the ansible-core line and the holds of requirements-test.txt: the
#                                separate venv of `ansible-test sanity` (scripts/sanity.sh)
# Each lock's first line records the digest of the requirement lines it came from
# (scripts/lock/inputs.py); tests/unit/test_lock.py fails when the inputs and the lock disagree.
# With --latest DIR, resolve the newest versions the inputs allow, `# hold:` lines lifted, into DIR
# instead (make deps-latest).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tools="$root/.build/lock-tools"
python=${PYTHON3:-python3}
if [ ! -x "$tools/bin/uv" ]; then
  "$python" -m venv "$tools"
  "$tools/bin/pip" install -q --disable-pip-version-check --require-hashes -r "$root/scripts/lock/uv.lock.txt"
fi
out=$root
mode=lock
if [ "${1:-}" = "--latest" ]; then
  out=${2:?--latest DIR}; mode=latest; mkdir -p "$out"
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$tools/bin/python" "$root/scripts/lock/inputs.py" "$mode" "$root" "$work"
compile() {  # compile NAME: $work/NAME.in -> $out/NAME.lock (run in $work: the "via" notes name NAME.in)
  (cd "$work" && "$tools/bin/uv" pip compile --quiet --no-header --generate-hashes --python-version 3.11 \
    --python-platform x86_64-unknown-linux-gnu --index-url https://pypi.org/simple \
    "$1.in" -o "$1.out")
  { cat "$work/$1.header"; cat "$work/$1.out"; } >"$out/$1.lock"
  echo "lock: $out/$1.lock ($(grep -c '^[a-z0-9]' "$out/$1.lock") packages)"
}
compile requirements
compile requirements-sanity
