"""Benchmark: what a re-run of the site playbook costs (not a test; prints JSON and Markdown).

On a fresh twin in the before-state:
  1. first run of the site playbook (converge),
  2. re-run: changed count, API reads/writes counted by the twin, reads per managed object,
  3. baseline: a one-task playbook (one kubernetes.core.k8s_info) in the same run,
  wall time of the re-run as a ratio to the baseline (median of N repetitions each).

Usage: .venv/bin/python tests/bench/site_rerun.py [--repeat 3] [--markdown-out FILE]
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
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
PY = sys.executable

# What the site playbook manages (architecture.md "Target state"), used for reads per object.
MANAGED = [
    "ns/opentelemetry", "sa/otel-collector", "clusterrole/otel-collector", "clusterrolebinding/otel-collector",
    "cm/otel-collector-config", "ds/otel-collector", "svc/otel-collector",
    "ns/jaeger", "obc/jaeger-traces", "secret/jaeger-storage",
    "cm/tempo", "sts/tempo", "svc/tempo-gossip", "svc/tempo", "svc/jaeger-collector",
    "deploy/jaeger-query", "svc/jaeger-query", "pdb/tempo", "pdb/jaeger-query",
]


def twin(*args):
    return subprocess.run([PY, "-m", "tests.twin", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def env_of(path):
    out = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if "=" in line:
            k, _unused, v = line.partition("=")
            out[k] = v.strip().strip("'\"")
    return out


def playbook(args, env):
    started = time.perf_counter()
    proc = subprocess.run(["ansible-playbook", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
        raise SystemExit(f"playbook {args} failed")
    recap = re.search(r"changed=(\d+)", proc.stdout.split("PLAY RECAP")[-1])
    return elapsed, int(recap.group(1)) if recap else None


def step_of(role, task):
    """The site step a task belongs to: its role, else the site playbook's step prefix."""
    if role:
        return role.split(".")[-1]
    m = re.match(r"(Preflight|Step \d+)", task)
    return m.group(1).lower().replace(" ", "_") if m else "other"


def reads_by_step(twin_url, times_file):
    """Attribute each request of the twin's log to the task that started last before it."""
    marks = [json.loads(line) for line in pathlib.Path(times_file).read_text().splitlines() if line.strip()]
    # The shared k8s_apply role counts for the step that included it.
    caller = "other"
    for m in marks:
        step = step_of(m["role"], m["task"])
        if step == "k8s_apply":
            m["step"] = caller
        else:
            m["step"] = caller = step
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
            reruns, baselines, stats, by_step = [], [], None, None
            times_file = pathlib.Path(tmp) / "task_times.jsonl"
            for _unused in range(opts.repeat):
                twin("stats", "--env-file", str(env_file), "--reset")
                times_file.write_text("")
                elapsed, changed = playbook(site, dict(env, BENCH_TASK_TIMES=str(times_file)))
                stats = json.loads(twin("stats", "--env-file", str(env_file)))
                by_step = reads_by_step(te["TWIN_URL"], times_file)
                assert changed == 0, f"re-run changed {changed} tasks"
                reruns.append(elapsed)
                baselines.append(playbook(["-i", "localhost,", str(baseline_pb)], env)[0])
        finally:
            twin("down", "--env-file", str(env_file))
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
    )
    if opts.markdown_out:
        pathlib.Path(opts.markdown_out).write_text(md)
    print(md)


if __name__ == "__main__":
    main()
