#!/usr/bin/env bash
# make deps-latest (not part of make test): what would break with the newest versions the input files
# allow, `# hold:` lines lifted. Resolves them into .build/deps-latest/*.lock, installs that into a
# scratch venv, prints which packages move, then runs the unit tests and build-check with that venv and
# says which of them fail. Exits 1 when anything fails. .venv and the committed locks are not touched.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$root/.build/deps-latest"
rm -rf "$dir" && mkdir -p "$dir"
bash "$root/scripts/lock/lock.sh" --latest "$dir" || exit 1
"${PYTHON3:-python3}" "$root/scripts/lock/inputs.py" moves "$root/requirements.lock" "$dir/requirements.lock"
venv="$dir/venv"
"${PYTHON3:-python3}" -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps --require-hashes -r "$dir/requirements.lock" || exit 1
export PATH="$venv/bin:$PATH" VENV="$venv"
failed=()
echo "deps-latest: unit tests with the newest versions"
LOCK_FILE="$dir/requirements.lock" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit >"$dir/unit.log" 2>&1 || failed+=(unit)
tail -n 3 "$dir/unit.log"
echo "deps-latest: build-check with the newest versions"
bash "$root/scripts/build-check.sh" >"$dir/build-check.log" 2>&1 || failed+=(build-check)
tail -n 3 "$dir/build-check.log"
if [ ${#failed[@]} -gt 0 ]; then
  echo "deps-latest: BREAKS: ${failed[*]} (logs: $dir/unit.log, $dir/build-check.log)"
  exit 1
fi
echo "deps-latest: the newest versions pass the unit tests and build-check"
