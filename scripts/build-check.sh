#!/usr/bin/env bash
# Build the Galaxy artifact, check what is inside, install it into a temporary
# collections path and use it the way a user does (ansible-doc, playbook by FQCN).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dist="$root/.build/dist"
rm -rf "$dist" && mkdir -p "$dist"
version=$(python3 -c "import yaml,sys; print(yaml.safe_load(open('$root/galaxy.yml'))['version'])" 2>/dev/null \
          || "$root/.venv/bin/python" -c "import yaml; print(yaml.safe_load(open('$root/galaxy.yml'))['version'])")
ansible-galaxy collection build "$root" --output-path "$dist" --force >/dev/null
tarball="$dist/talos_homelab-tracing-$version.tar.gz"
test -f "$tarball" || { echo "build-check: $tarball was not produced" >&2; exit 1; }
echo "build-check: built $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"

# No test tooling, virtualenv or build output in the artifact.
forbidden='^(\.ansible|scripts|\.venv|\.build|\.ci|\.git|tests/twin|tests/unit|tests/integration|tests/bench|molecule|Makefile|requirements-test\.txt)(/|$)|__pycache__'
if tar -tzf "$tarball" | sed 's#^\./##' | grep -E "$forbidden"; then
  echo "build-check: test tooling found in the artifact (above); fix build_ignore in galaxy.yml" >&2
  exit 1
fi
for must in plugins/modules/ceph_bucket_lifecycle.py plugins/modules/jaeger_storage_secret.py \
            plugins/modules/tracing_readiness.py playbooks/site.yml meta/runtime.yml \
            roles/otel_collector/tasks/main.yml roles/ceph_bucket/tasks/main.yml \
            roles/jaeger_production/tasks/main.yml LICENSE README.md; do
  tar -tzf "$tarball" | sed 's#^\./##' | grep -qx "$must" || { echo "build-check: $must missing from the artifact" >&2; exit 1; }
done

# Install from the tarball only (no repo on the path) and use it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ansible-galaxy collection install "$tarball" -p "$tmp/collections" --no-deps --force >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$tmp/collections:$root/.build/galaxy"
cd "$tmp"
modules=$(cd "$tmp/collections/ansible_collections/talos_homelab/tracing/plugins/modules" && ls *.py | sed 's/\.py$//' | grep -v '^__init__$')
for m in $modules; do
  out=$(ansible-doc "talos_homelab.tracing.$m")
  grep -q "talos_homelab.tracing.$m" <<<"$out" || { echo "build-check: ansible-doc talos_homelab.tracing.$m failed" >&2; exit 1; }
  echo "build-check: ansible-doc talos_homelab.tracing.$m ok ($(wc -l <<<"$out") lines)"
done
ansible-doc -t filter talos_homelab.tracing.lifecycle_json >/dev/null
echo "build-check: ansible-doc -t filter talos_homelab.tracing.lifecycle_json ok"
ansible-playbook talos_homelab.tracing.site --syntax-check >/dev/null
echo "build-check: ansible-playbook talos_homelab.tracing.site --syntax-check ok (installed copy)"
