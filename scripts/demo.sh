#!/usr/bin/env bash
# make demo: the main job on the embedded default, the local homelab twin.
#   1. start the twin in the seed's before-state (6 Talos nodes, OTel DaemonSet exporting to a
#      wrong Service, Jaeger all-in-one in memory, Rook + a real Ceph RGW)
#   2. readiness report of the before-state   (site playbook, tag verify)
#   3. the site playbook, steps 1-5           (ends with the after-state report)
#   4. the site playbook again: nothing changes (changed=0, zero API writes counted by the twin)
# KEEP_TWIN=1 leaves the twin running and prints how to point kubectl-like tools at it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py="$root/.venv/bin/python"
mkdir -p .twin
env_file="$root/.twin/demo.env"
if [ -f "$env_file" ]; then "$py" -m tests.twin down --env-file "$env_file" >/dev/null 2>&1 || true; fi
cleanup() { if [ "${KEEP_TWIN:-0}" != 1 ]; then "$py" -m tests.twin down --env-file "$env_file" >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT

banner() { printf '\n==== %s ====\n' "$*"; }

banner "Starting the homelab twin (before-state)"
"$py" -m tests.twin up --env-file "$env_file" --before-state
# shellcheck disable=SC1090
source "$env_file"
if [ "${S3_BACKEND:-rgw}" != rgw ]; then
  echo "WARNING: S3 is emulated by moto, not a real Ceph RGW: lifecycle validation and expiry are NOT real." >&2
fi
export ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_DISPLAY_SKIPPED_HOSTS=false
play=(ansible-playbook -i examples/inventory/hosts.yml talos_homelab.tracing.site
      -e "tracing_kubeconfig=$KUBECONFIG" -e "ceph_bucket_s3_endpoint=$S3_ENDPOINT")

banner "Step 0: readiness of the before-state (report only)"
"${play[@]}" --tags verify -e tracing_fail_under=0

banner "Steps 1-5: site playbook"
"$py" -m tests.twin stats --env-file "$env_file" --reset >/dev/null
"${play[@]}"
echo "API requests of the run: $("$py" -m tests.twin stats --env-file "$env_file")"

banner "Re-run: nothing may change"
"$py" -m tests.twin stats --env-file "$env_file" --reset >/dev/null
"${play[@]}" | tee "$root/.twin/demo-rerun.log" | tail -n 4
echo "API requests of the re-run: $("$py" -m tests.twin stats --env-file "$env_file")"
grep -qE 'changed=0 +unreachable=0 +failed=0' "$root/.twin/demo-rerun.log" \
  || { echo "demo: the re-run changed something (see .twin/demo-rerun.log)" >&2; exit 1; }
if [ "${KEEP_TWIN:-0}" = 1 ]; then
  banner "Twin left running"
  echo "export KUBECONFIG=$KUBECONFIG   # S3: $S3_ENDPOINT   stop: .venv/bin/python -m tests.twin down --env-file $env_file"
fi
