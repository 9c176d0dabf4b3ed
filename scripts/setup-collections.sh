#!/usr/bin/env bash
# Make this checkout importable as talos_homelab.tracing and provide kubernetes.core.
#   .build/collections/ansible_collections/talos_homelab/tracing -> repo root
#   kubernetes.core: from Galaxy (requirements.yml) when reachable and not already installed, else
#   the copy bundled in the `ansible` PyPI package installed in .venv (found through site-packages).
#   The script prints (and writes to .build/kubernetes-core-source) where it really came from.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
coll="$root/.build/collections"
mkdir -p "$coll/ansible_collections/talos_homelab"
ln -sfn "$root" "$coll/ansible_collections/talos_homelab/tracing"
marker="$root/.build/kubernetes-core-source"
if [ -f "$marker" ]; then
  exit 0
fi
galaxy="$root/.build/galaxy"
# Where kubernetes.core is imported from, as "<source> <version> <MANIFEST path>": the first
# MANIFEST.json on the search order ansible-playbook uses here (ANSIBLE_COLLECTIONS_PATH
# = .build/collections:.build/galaxy, then the venv's site-packages). ansible-galaxy answers
# "Nothing to do. All requested collections are already installed" without downloading anything
# when an importable copy (e.g. the one bundled in the ansible PyPI package) already satisfies
# requirements.yml, so its exit code alone does not say where the collection came from.
locate() {
  "$venv/bin/python" - "$coll" "$galaxy" <<'PY'
import json, pathlib, sys
import ansible_collections
candidates = [("galaxy", pathlib.Path(sys.argv[2]) / "ansible_collections")]
candidates += [("bundled", pathlib.Path(p)) for p in ansible_collections.__path__]
for source, base in [("checkout", pathlib.Path(sys.argv[1]) / "ansible_collections")] + candidates:
    manifest = base / "kubernetes" / "core" / "MANIFEST.json"
    if manifest.exists():
        version = json.loads(manifest.read_text())["collection_info"]["version"]
        print(source, version, manifest)
        break
PY
}
galaxy_ok=0
if timeout "${GALAXY_TIMEOUT:-45}" "$venv/bin/ansible-galaxy" collection install -r "$root/requirements.yml" \
     -p "$galaxy" >"$root/.build/galaxy.log" 2>&1; then
  galaxy_ok=1
fi
read -r source version manifest <<<"$(locate)" || true
if [ -z "${source:-}" ]; then
  echo "kubernetes.core: not installed (Galaxy unreachable, see .build/galaxy.log, and no bundled copy in .venv: pip install ansible)" >&2
  exit 1
fi
case "$source" in
  galaxy)
    echo "kubernetes.core $version: installed from Galaxy ($manifest)" ;;
  bundled)
    if [ "$galaxy_ok" = 1 ]; then
      echo "kubernetes.core $version: bundled in the ansible PyPI package ($manifest); ansible-galaxy found it already installed and downloaded nothing (see .build/galaxy.log)"
    else
      echo "kubernetes.core $version: Galaxy unreachable (see .build/galaxy.log); using the copy bundled in the ansible PyPI package ($manifest)"
    fi ;;
  *)
    echo "kubernetes.core $version: found in $manifest" ;;
esac
echo "$source $version $manifest" >"$marker"
