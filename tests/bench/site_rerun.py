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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown-out")
    opts = parser.parse_args()
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env['PATH']}"
    env["ANSIBLE_COLLECTIONS_PATH"] = f"{ROOT / '.build' / 'collections'}:{ROOT / '.build' / 'galaxy'}"
    env["ANSIBLE_NOCOLOR"] = "1"
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
            reruns, baselines, stats = [], [], None
            for _unused in range(opts.repeat):
                twin("stats", "--env-file", str(env_file), "--reset")
                elapsed, changed = playbook(site, env)
                stats = json.loads(twin("stats", "--env-file", str(env_file)))
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
        "managed_objects": len(MANAGED),
        "rerun_reads_per_managed_object": round(stats["reads"] / len(MANAGED), 2),
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
        f"| re-run wall time / one-task baseline (median of {opts.repeat}) | {result['rerun_to_baseline_ratio']}x "
        f"({result['rerun_median_s']} s / {result['baseline_median_s']} s) |\n"
        f"| first run (before-state to production) | {result['first_run_s']} s, {result['first_run_changed']} changed |\n"
    )
    if opts.markdown_out:
        pathlib.Path(opts.markdown_out).write_text(md)
    print(md)


if __name__ == "__main__":
    main()
