#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection placed under ansible_collections/talos_homelab/tracing.
# The copy holds the files git tracks (plus untracked, not ignored ones), i.e. exactly the source tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.build/sanity/ansible_collections/talos_homelab/tracing"
rm -rf "$root/.build/sanity" && mkdir -p "$dest"
cd "$root"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue
  mkdir -p "$dest/$(dirname "$f")"
  cp -p "$f" "$dest/$f"
done
cd "$dest"
# its own git repository: ansible-test lists targets with git, and .build is ignored by the outer one
git init -q . && git add -A >/dev/null
# A virtual environment of its own for ansible-test and the pinned requirements of its sanity
# tests (they would conflict with ansible-lint's in .venv). `--venv` cannot be used here: it
# downloads a pip bootstrap script from a host these machines cannot reach.
# It holds exactly requirements-sanity.lock (ansible-core and its dependencies, hashes required; made
# anew when the lock changes); ansible-test then installs its own pinned sanity requirements.
svenv="$root/.build/sanity-venv"
lock="$root/requirements-sanity.lock"
if ! cmp -s "$lock" "$svenv/.installed" 2>/dev/null; then
  rm -rf "$svenv"
  python3 -m venv "$svenv"
  "$svenv/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes -r "$lock"
  cp "$lock" "$svenv/.installed"
fi
pip_version=$("$svenv/bin/python" - <<'PY'
import re, pathlib, ansible_test
src = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)
# ansible-test keeps its venvs and caches under ~/.ansible/test: a home of this checkout's own, so that
# two checkouts (worktrees, CI beside a developer) never build the same venv at once and nothing left
# on the machine is reused.
home="$root/.build/sanity-home"
mkdir -p "$home/.ansible/test/cache"
cp "$root/scripts/get_pip_bootstrap.py" "$home/.ansible/test/cache/get_pip_${pip_version//./_}.py"
HOME="$home" PATH="$svenv/bin:$PATH" ansible-test sanity --local --requirements --python 3.11 --color no "$@"
