#!/usr/bin/env bash
# Make this checkout importable as talos_homelab.tracing and provide kubernetes.core.
#   .build/collections/ansible_collections/talos_homelab/tracing -> repo root
#   kubernetes.core: from Galaxy (requirements.yml) when reachable, else the copy bundled
#   in the `ansible` PyPI package installed in .venv (found through site-packages).
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
if timeout "${GALAXY_TIMEOUT:-45}" "$venv/bin/ansible-galaxy" collection install -r "$root/requirements.yml" \
     -p "$galaxy" >"$root/.build/galaxy.log" 2>&1; then
  echo "kubernetes.core: installed from Galaxy into $galaxy"
  echo galaxy >"$marker"
else
  bundled=$("$venv/bin/python" - <<'PY'
import json, pathlib, ansible_collections
p = pathlib.Path(list(ansible_collections.__path__)[0]) / "kubernetes" / "core" / "MANIFEST.json"
print(json.loads(p.read_text())["collection_info"]["version"] if p.exists() else "")
PY
)
  if [ -z "$bundled" ]; then
    echo "kubernetes.core: Galaxy unreachable and no bundled copy in .venv (pip install ansible)" >&2
    exit 1
  fi
  echo "kubernetes.core: Galaxy unreachable (see .build/galaxy.log); using $bundled bundled in the ansible PyPI package"
  echo "bundled $bundled" >"$marker"
fi
