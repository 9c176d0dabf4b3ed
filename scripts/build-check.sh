#!/usr/bin/env bash
# Build the Galaxy artifact, check what is inside, install it into a temporary
# collections path and use it the way a user does (ansible-doc, playbook by FQCN).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${VENV:-$root/.venv}  # make deps-latest runs this with its scratch venv
dist="$root/.build/dist"
rm -rf "$dist" && mkdir -p "$dist"
version=$(python3 -c "import yaml,sys; print(yaml.safe_load(open('$root/galaxy.yml'))['version'])" 2>/dev/null \
          || "$venv/bin/python" -c "import yaml; print(yaml.safe_load(open('$root/galaxy.yml'))['version'])")
ansible-galaxy collection build "$root" --output-path "$dist" --force >/dev/null
tarball="$dist/talos_homelab-tracing-$version.tar.gz"
test -f "$tarball" || { echo "build-check: $tarball was not produced" >&2; exit 1; }
echo "build-check: built $(basename "$tarball") ($(du -h "$tarball" | cut -f1))"

# The listing once, in a file: `tar | grep -q` under pipefail fails when grep exits before tar is done (SIGPIPE).
listing="$dist/listing.txt"
tar -tzf "$tarball" | sed 's#^\./##' >"$listing"
# No test tooling, virtualenv or build output in the artifact.
forbidden='^(\.ansible|\.benchmarks|\.hypothesis|\.pytest_cache|scripts|\.venv|\.build|\.ci|\.git|tests/twin|tests/unit|tests/integration|tests/bench|tests/otelcol\.py|tests/pairwise\.py|tools|molecule|Makefile|requirements-test\.txt|requirements(-sanity)?\.lock)(/|$)|__pycache__'
if grep -E "$forbidden" "$listing"; then
  echo "build-check: test tooling found in the artifact (above); fix build_ignore in galaxy.yml" >&2
  exit 1
fi
for must in plugins/modules/ceph_bucket_lifecycle.py plugins/modules/jaeger_storage_secret.py \
            plugins/modules/tracing_readiness.py plugins/modules/tracing_preflight.py plugins/modules/k8s_apply.py \
            plugins/lookup/facts.py plugins/action/k8s_apply.py plugins/plugin_utils/in_worker.py \
            playbooks/site.yml meta/runtime.yml roles/otel_collector/tasks/main.yml roles/ceph_bucket/tasks/main.yml \
            roles/jaeger_production/tasks/main.yml roles/tail_sampler/tasks/main.yml LICENSE README.md; do
  grep -qx "$must" "$listing" || { echo "build-check: $must missing from the artifact" >&2; exit 1; }
done

# The action plugins are one file and symlinks to it (as kubernetes.core's): the artifact keeps the links.
tar -tvzf "$tarball" | sed 's#\./##' >"$dist/verbose.txt"
for link in "$root"/plugins/action/*.py; do
  [ -L "$link" ] || continue
  name=$(basename "$link"); target=$(readlink "$link")
  grep -qE " plugins/action/$name -> $target\$" "$dist/verbose.txt" \
    || { echo "build-check: plugins/action/$name is not a symlink to $target in the artifact" >&2; exit 1; }
done
echo "build-check: plugins/action symlinks kept in the artifact"

# Install from the tarball only (no repo on the path) and use it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ansible-galaxy collection install "$tarball" -p "$tmp/collections" --no-deps --force >/dev/null
export ANSIBLE_COLLECTIONS_PATH="$tmp/collections:$root/.build/galaxy"
cd "$tmp"
# ansible-doc over every module, filter, test and lookup plugin of the installed copy, failing on any error
# or warning. Names come from plugins/ (modules and lookups: file names; filters and tests: the keys that
# filters()/tests() return, read with ast), and must equal what ansible-doc --list finds.
plugins="$tmp/collections/ansible_collections/talos_homelab/tracing/plugins"
names() {  # names <type> <dir>: the plugin names defined under plugins/<dir>
  "$venv/bin/python" - "$1" "$plugins/$2" <<'PY'
import ast, os, sys
kind, d = sys.argv[1], sys.argv[2]
out = set()
for f in sorted(os.listdir(d)):
    if not f.endswith(".py") or f == "__init__.py":
        continue
    if kind in ("module", "lookup"):
        out.add(f[:-3])
        continue
    tree = ast.parse(open(os.path.join(d, f), encoding="utf-8").read())
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and fn.name == {"filter": "filters", "test": "tests"}[kind]:
            for ret in ast.walk(fn):
                if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Dict):
                    out.update(k.value for k in ret.value.keys)
print("\n".join(sorted(out)))
PY
}
checked=0
for spec in module:modules filter:filter test:test lookup:lookup; do
  type=${spec%%:*}; dir=${spec#*:}
  want=$(names "$type" "$dir")
  test -n "$want" || { echo "build-check: no $type plugins found under plugins/$dir" >&2; exit 1; }
  listed=$(ansible-doc -t "$type" -l talos_homelab.tracing --json 2>"$tmp/err" | "$venv/bin/python" -c \
    'import json,sys; print("\n".join(sorted(k.split(".")[-1] for k in json.load(sys.stdin))))')
  if [ -s "$tmp/err" ] || [ "$listed" != "$want" ]; then
    echo "build-check: ansible-doc -t $type -l lists [$(echo $listed)], plugins/$dir defines [$(echo $want)]" >&2
    cat "$tmp/err" >&2; exit 1
  fi
  for m in $want; do
    fq="talos_homelab.tracing.$m"
    if ! out=$(ansible-doc -t "$type" "$fq" 2>"$tmp/err") || [ -s "$tmp/err" ] || ! grep -q "$fq" <<<"$out"; then
      echo "build-check: ansible-doc -t $type $fq failed:" >&2; cat "$tmp/err" >&2; exit 1
    fi
    echo "build-check: ansible-doc -t $type $fq ok ($(wc -l <<<"$out") lines)"
    checked=$((checked + 1))
  done
done
echo "build-check: ansible-doc: $checked plugins documented, no errors or warnings"
ansible-playbook talos_homelab.tracing.site --syntax-check >/dev/null
echo "build-check: ansible-playbook talos_homelab.tracing.site --syntax-check ok (installed copy)"
