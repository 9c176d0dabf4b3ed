"""Benchmark: what a re-run of the site playbook costs (not a test; prints JSON and Markdown).

On a fresh twin in the before-state:
  1. first run of the site playbook (converge),
  2. re-run: changed count, API reads/writes counted by the twin, reads per managed object,
  3. baseline: a one-task playbook (one kubernetes.core.k8s_info) in the same run,
  wall time of the re-run as a ratio to the baseline (median of N repetitions each),
  task headers printed by the re-run, reads of steps 1-4 per managed object;
  4. the verify step alone (--tags verify) on this twin and on a second one with --verify-nodes
     nodes: its reads must not grow with the node count;
  5. fault mode (--faults K, default 10): K site runs from the before-state, each on a fresh twin,
     with 10% injected 500/503/409 answers; counts the runs that converged (rc 0), checks that
     no object or bucket exists beyond what a clean converge creates (nothing duplicated), and
     that the next clean run converges. Prints K/10.

Usage: .venv/bin/python tests/bench/site_rerun.py [--repeat 3] [--faults 10] [--verify-nodes 18] [--markdown-out FILE]
"""

import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
PY = sys.executable

# What the site playbook manages (architecture.md "Target state"), used for reads per object: the 19
# objects of head sampling (the figure the README compared before issue 12) ...
MANAGED_HEAD = [
    "ns/opentelemetry", "sa/otel-collector", "clusterrole/otel-collector", "clusterrolebinding/otel-collector",
    "cm/otel-collector-config", "ds/otel-collector", "svc/otel-collector",
    "ns/jaeger", "obc/jaeger-traces", "secret/jaeger-storage",
    "cm/tempo", "sts/tempo", "svc/tempo-gossip", "svc/tempo", "svc/jaeger-collector",
    "deploy/jaeger-query", "svc/jaeger-query", "pdb/tempo", "pdb/jaeger-query",
]
# ... and those tail sampling (the default the bench runs) adds: the resolver's RBAC and the sampler tier.
MANAGED = MANAGED_HEAD + [
    "role/otel-collector-resolver", "rolebinding/otel-collector-resolver", "sa/otel-sampler", "cm/otel-sampler-config",
    "deploy/otel-sampler", "svc/otel-sampler", "pdb/otel-sampler",
]


# Kinds whose objects have stable names (no pods, ReplicaSets, events): the duplicate check compares these.
SNAPSHOT_PATHS = [
    "/api/v1/namespaces", "/api/v1/configmaps", "/api/v1/secrets", "/api/v1/services", "/api/v1/serviceaccounts",
    "/apis/apps/v1/daemonsets", "/apis/apps/v1/deployments", "/apis/apps/v1/statefulsets",
    "/apis/policy/v1/poddisruptionbudgets", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", "/apis/objectbucket.io/v1alpha1/objectbucketclaims",
    "/apis/objectbucket.io/v1alpha1/objectbuckets", "/apis/jaegertracing.io/v1/jaegers",
]
FAULT_CODES = "500,503,409"


def twin(*args):
    return subprocess.run([PY, "-m", "tests.twin", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def snapshot(te):
    """``{(path, namespace, name)}`` of the stably named objects, plus ``("bucket", "", name)`` per RGW bucket."""
    out = set()
    for path in SNAPSHOT_PATHS:
        req = urllib.request.Request(te["TWIN_URL"] + path, headers={"Authorization": "Bearer bench"})
        try:
            with urllib.request.urlopen(req) as resp:
                items = json.load(resp).get("items") or []
        except urllib.error.HTTPError:
            items = []
        out |= {(path, i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in items}
    if te.get("S3_BACKEND", "rgw") == "rgw":
        sys.path.insert(0, str(ROOT))
        from tests.twin import rgw

        out |= {("bucket", "", b) for b in json.loads(rgw.Ceph(te["TWIN_STATE_DIR"]).admin("bucket", "list"))}
    return out


def site_args(te, *extra):
    return ["-i", "examples/inventory/hosts.yml", "talos_homelab.tracing.site",
            "-e", f"tracing_kubeconfig={te['KUBECONFIG']}", "-e", f"ceph_bucket_s3_endpoint={te['S3_ENDPOINT']}", *extra]


def run_raw(args, env):
    """One ansible-playbook run that may fail: (rc, seconds, stdout)."""
    started = time.perf_counter()
    proc = subprocess.run(["ansible-playbook", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return proc.returncode, time.perf_counter() - started, proc.stdout + proc.stderr


def verify_reads(te, env):
    """API reads of the verify step alone (--tags verify) on a converged twin."""
    twin("stats", "--env-file", te["_file"], "--reset")
    rc, _unused, out = run_raw(site_args(te, "--tags", "verify"), env)
    if rc != 0:
        sys.stderr.write(out[-4000:])
        raise SystemExit("verify step failed")
    return json.loads(twin("stats", "--env-file", te["_file"]))["reads"]


def fault_runs(count, rate, env, reference):
    """``count`` faulted site runs from the before-state, each on a fresh twin; see the module docstring."""
    runs = []
    for index in range(count):
        with tempfile.TemporaryDirectory() as tmp:
            env_file = str(pathlib.Path(tmp) / "twin.env")
            twin("up", "--env-file", env_file, "--before-state")
            try:
                te = dict(env_of(env_file), _file=env_file)
                twin("faults", "--env-file", env_file, "--rate", str(rate), "--codes", FAULT_CODES)
                try:
                    rc, seconds, out = run_raw(site_args(te), env)
                finally:
                    twin("faults", "--env-file", env_file, "--off")
                faulted = json.loads(twin("stats", "--env-file", env_file))
                extra_after_faulted = sorted(snapshot(te) - reference)
                clean_rc, _unused, clean_out = run_raw(site_args(te), env)
                extra_after_clean = sorted(snapshot(te) - reference)
                failed_msg = ""
                if rc != 0:
                    fails = re.findall(r'(?:fatal|failed): \[localhost\].*?"msg": "([^"]{0,200})', out)
                    failed_msg = fails[-1] if fails else out[-300:]
                runs.append({
                    "run": index + 1, "converged": rc == 0, "seconds": round(seconds, 1),
                    "faulted_requests": faulted.get("faulted"),
                    "task_retries": len(re.findall(r"FAILED - RETRYING", out)),
                    "duplicates": [list(x) for x in extra_after_faulted + extra_after_clean],
                    "next_clean_run_converged": clean_rc == 0, "failure": failed_msg,
                })
                if clean_rc != 0:
                    sys.stderr.write(clean_out[-3000:])
                sys.stderr.write(f"fault run {index + 1}/{count}: {runs[-1]}\n")
            finally:
                twin("down", "--env-file", env_file)
    return runs


def env_of(path):
    out = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if "=" in line:
            k, _unused, v = line.partition("=")
            out[k] = v.strip().strip("'\"")
    return out


def playbook(args, env, with_output=False):
    started = time.perf_counter()
    proc = subprocess.run(["ansible-playbook", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit(f"playbook {args} failed")
    recap = re.search(r"changed=(\d+)", proc.stdout.split("PLAY RECAP")[-1])
    changed = int(recap.group(1)) if recap else None
    return (elapsed, changed, proc.stdout) if with_output else (elapsed, changed)


def step_of(role, task):
    """The site step a task belongs to: its role, else the site playbook's step prefix."""
    if role:
        return role.split(".")[-1]
    m = re.match(r"(Preflight|Step \d+)", task)
    return m.group(1).lower().replace(" ", "_") if m else "other"


def reads_by_step(twin_url, times_file):
    """Attribute each request of the twin's log to the task that started last before it."""
    marks = [json.loads(line) for line in pathlib.Path(times_file).read_text().splitlines() if line.strip()]
    for m in marks:
        m["step"] = step_of(m["role"], m["task"])
    with urllib.request.urlopen(f"{twin_url}/_twin/log") as resp:  # admin endpoint, not counted
        log = json.load(resp)["items"]
    out = {}
    for entry in log:
        mark = None
        for m in marks:
            if m["time"] <= entry["time"]:
                mark = m
            else:
                break
        step = mark["step"] if mark else "other"
        bucket = out.setdefault(step, {"reads": 0, "writes": 0, "noop_writes": 0, "dry_run_writes": 0})
        if entry.get("class") in bucket:
            bucket[entry["class"]] += 1
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown-out")
    parser.add_argument("--faults", type=int, default=10, help="faulted site runs, each on a fresh twin (0: skip)")
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--verify-nodes", type=int, default=18, help="nodes of the second twin for the verify step (0: skip)")
    opts = parser.parse_args()
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env['PATH']}"
    env["ANSIBLE_COLLECTIONS_PATH"] = f"{ROOT / '.build' / 'collections'}:{ROOT / '.build' / 'galaxy'}"
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_CALLBACK_PLUGINS"] = str(ROOT / "tests" / "bench" / "callback")
    env["ANSIBLE_CALLBACKS_ENABLED"] = "task_times"
    with tempfile.TemporaryDirectory() as tmp:
        env_file = pathlib.Path(tmp) / "twin.env"
        twin("up", "--env-file", str(env_file), "--before-state")
        try:
            te = env_of(env_file)
            site = ["-i", "examples/inventory/hosts.yml", "talos_homelab.tracing.site",
                    "-e", f"tracing_kubeconfig={te['KUBECONFIG']}", "-e", f"ceph_bucket_s3_endpoint={te['S3_ENDPOINT']}"]
            baseline_pb = pathlib.Path(tmp) / "baseline.yml"
            baseline_pb.write_text(
                "- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n"
                "    - kubernetes.core.k8s_info:\n        kind: Namespace\n        name: jaeger\n"
                f"        kubeconfig: {te['KUBECONFIG']}\n      vars:\n        ansible_python_interpreter: {PY}\n"
            )
            first, first_changed = playbook(site, env)
            te["_file"] = str(env_file)
            reference = snapshot(te)
            reruns, baselines, stats, by_step, headers = [], [], None, None, None
            times_file = pathlib.Path(tmp) / "task_times.jsonl"
            for _unused in range(opts.repeat):
                twin("stats", "--env-file", str(env_file), "--reset")
                times_file.write_text("")
                elapsed, changed, out = playbook(site, dict(env, BENCH_TASK_TIMES=str(times_file)), with_output=True)
                headers = len(re.findall(r"^TASK \[", out, re.M))
                stats = json.loads(twin("stats", "--env-file", str(env_file)))
                by_step = reads_by_step(te["TWIN_URL"], times_file)
                assert changed == 0, f"re-run changed {changed} tasks"
                reruns.append(elapsed)
                baselines.append(playbook(["-i", "localhost,", str(baseline_pb)], env)[0])
            verify_here = verify_reads(te, env)
        finally:
            twin("down", "--env-file", str(env_file))
        verify_more = None
        if opts.verify_nodes:
            env_file2 = pathlib.Path(tmp) / "twin2.env"
            twin("up", "--env-file", str(env_file2), "--before-state", "--nodes", str(opts.verify_nodes))
            try:
                te2 = dict(env_of(env_file2), _file=str(env_file2))
                playbook(site_args(te2), env)
                verify_more = verify_reads(te2, env)
            finally:
                twin("down", "--env-file", str(env_file2))
    faults = fault_runs(opts.faults, opts.fault_rate, env, reference) if opts.faults else []
    steps14 = sum(v["reads"] for k, v in by_step.items() if k != "step_5")
    result = {
        "first_run_s": round(first, 2),
        "first_run_changed": first_changed,
        "rerun_changed": 0,
        "rerun_api_reads": stats["reads"],
        "rerun_api_writes": stats["writes"],
        "rerun_noop_writes": stats["noop_writes"],
        "rerun_dry_run_writes": stats["dry_run_writes"],
        "rerun_by_step": by_step,
        "rerun_reads_without_readiness": stats["reads"] - by_step.get("step_5", {}).get("reads", 0),
        "managed_objects": len(MANAGED),
        "rerun_reads_per_managed_object": round(stats["reads"] / len(MANAGED), 2),
        "rerun_reads_per_managed_object_without_readiness": round(
            (stats["reads"] - by_step.get("step_5", {}).get("reads", 0)) / len(MANAGED), 2
        ),
        "rerun_median_s": round(statistics.median(reruns), 2),
        "baseline_median_s": round(statistics.median(baselines), 2),
        "rerun_to_baseline_ratio": round(statistics.median(reruns) / statistics.median(baselines), 1),
        "repeat": opts.repeat,
        "rerun_task_headers": headers,
        "rerun_reads_steps_1_4": steps14,
        "rerun_reads_per_managed_object_steps_1_4": round(steps14 / len(MANAGED), 2),
        "managed_objects_head_mode_list": len(MANAGED_HEAD),
        "rerun_reads_steps_1_4_per_head_mode_object": round(steps14 / len(MANAGED_HEAD), 2),
        "verify_reads": {"6 nodes": verify_here, f"{opts.verify_nodes} nodes": verify_more} if opts.verify_nodes else {"6 nodes": verify_here},
        "fault_runs": faults,
        "fault_converged": sum(1 for r in faults if r["converged"]),
        "fault_duplicates": sum(len(r["duplicates"]) for r in faults),
        "fault_next_clean_converged": sum(1 for r in faults if r["next_clean_run_converged"]),
    }
    print(json.dumps(result, indent=2))
    md = (
        "| measure | value |\n|---|---|\n"
        f"| re-run: changed tasks | {result['rerun_changed']} |\n"
        f"| re-run: API writes (twin counter) | {result['rerun_api_writes']} |\n"
        f"| re-run: API reads | {result['rerun_api_reads']} for {result['managed_objects']} managed objects "
        f"= {result['rerun_reads_per_managed_object']} per object |\n"
        f"| re-run: API reads without step 5 (readiness report) | {result['rerun_reads_without_readiness']} "
        f"= {result['rerun_reads_per_managed_object_without_readiness']} per object |\n"
        f"| re-run: no-op writes / dry-run writes | {result['rerun_noop_writes']} / {result['rerun_dry_run_writes']} |\n"
        f"| re-run: reads per step | "
        + ", ".join(f"{k} {v['reads']}" for k, v in sorted(result["rerun_by_step"].items()))
        + " |\n"
        f"| re-run wall time / one-task baseline (median of {opts.repeat}) | {result['rerun_to_baseline_ratio']}x "
        f"({result['rerun_median_s']} s / {result['baseline_median_s']} s) |\n"
        f"| first run (before-state to production) | {result['first_run_s']} s, {result['first_run_changed']} changed |\n"
        f"| re-run: task headers printed | {result['rerun_task_headers']} |\n"
        f"| re-run: reads of steps 1-4 | {result['rerun_reads_steps_1_4']} = "
        f"{result['rerun_reads_per_managed_object_steps_1_4']} per managed object ({len(MANAGED)}, tail sampling); "
        f"{result['rerun_reads_steps_1_4_per_head_mode_object']} per object of the older {len(MANAGED_HEAD)}-object list |\n"
        f"| verify step alone (--tags verify): reads by node count | "
        + ", ".join(f"{k}: {v}" for k, v in result["verify_reads"].items()) + " |\n"
    )
    if faults:
        md += (
            f"| {len(faults)} site runs from the before-state, {int(opts.fault_rate * 100)}% injected {FAULT_CODES}, "
            f"fresh twin each | {result['fault_converged']}/{len(faults)} converged, "
            f"{result['fault_duplicates']} duplicated objects, next clean run converged "
            f"{result['fault_next_clean_converged']}/{len(faults)} |\n"
        )
    if opts.markdown_out:
        pathlib.Path(opts.markdown_out).write_text(md)
    print(md)


if __name__ == "__main__":
    main()
