"""Benchmark: spans per second through the whole trace path (issue 22; not a test).

The path of tests/tracepath.py: three agents and the samplers (role tail_sampler's replicas) as real
Collector processes with what the roles render, the agents' k8s resolver on a real API server
(tests/twin/controlplane), tracestore as the stand-in for Tempo. For each rate (spans/s of the whole
path, 6-span traces spread over the three agents, every 10th with an error span), with the samplers
sized by the role for that rate (``tail_sampler_expected_spans_per_sec`` and ``_new_traces_per_sec``), it sends for
``--seconds`` and reports: the rate achieved, error traces kept whole / sent, others kept (%), traces
the samplers dropped too early (the processor's own counter), and the wall time until the last
decision arrived. A rate is sustained when every error trace arrived whole and nothing was dropped
too early or failed to send.

Usage: sudo .venv/bin/python tests/bench/trace_path.py [--rates 1200,3000,6000] [--seconds 15]
(root: pods are network namespaces). Metrics pipelines off on the agents, as in the tests.
"""

import argparse
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".build" / "collections"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT))

from runner import render_collectors  # noqa: E402  (after the path set-up)
from tests import otelcol  # noqa: E402
from tests.tracepath import AGENT_VALUES, IMAGE, TracePath  # noqa: E402
from tests.twin.controlplane import ControlPlane, binaries  # noqa: E402

SPANS = 6
DROPPED = "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early"


def run_one(cp, rate, seconds):
    """One rate, with the samplers sized for it (tail_sampler_expected_spans_per_sec = the rate)."""
    sampler = {"tail_sampler_image": IMAGE, "tail_sampler_expected_spans_per_sec": rate,
               "tail_sampler_expected_new_traces_per_sec": max(1, rate // SPANS)}
    rendered = render_collectors(AGENT_VALUES, sampler)
    with TracePath(cp, rendered["agent"], rendered["sampler"]).start() as path:
        traces = int(rate / SPANS * seconds)
        t0 = time.monotonic()
        sent = path.send(traces=traces, rate=rate / SPANS, error_every=10, spans=SPANS)
        held = path.settle()
        wall = time.monotonic() - t0
        samplers = [p for p in path.samplers if p is not None]
        dropped = sum(path.metric(p, DROPPED) for p in samplers)
        whole = sum(1 for t in sent["error"] if held.get(t, {}).get("spans") == SPANS)
        others = sum(1 for t in sent["ok"] if t in held)
        achieved = (len(sent["error"]) + len(sent["ok"]) + len(sent["failed"])) * SPANS / sent["seconds"]
        ok = whole == len(sent["error"]) and dropped == 0 and not sent["failed"] and achieved >= 0.95 * rate
        return {"rate": rate, "achieved": round(achieved), "errors_whole": f"{whole}/{len(sent['error'])}",
                "others_kept_pct": round(100.0 * others / max(1, len(sent["ok"])), 1), "dropped_too_early": dropped,
                "send_failed": len(sent["failed"]), "wall_s": round(wall, 1), "sustained": ok}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rates", default="1200,3000,6000")
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    rendered = render_collectors(AGENT_VALUES, {"tail_sampler_image": IMAGE})
    kube, kine = binaries()
    cp = ControlPlane(tempfile.mkdtemp(prefix="bench-cp-"), kube, kine).start()
    try:
        cp.wait_service_account()
        replicas = next(o for o in rendered['sampler']['objects'] if o['kind'] == 'Deployment')['spec']['replicas']
        print(f"trace path: 3 agents, {replicas} samplers, "
              f"Collector {otelcol.RELEASE}, {os.cpu_count()} CPUs")
        print("| spans/s asked | achieved | error traces whole | others kept | dropped too early | send failures | wall s | sustained |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for rate in (int(r) for r in args.rates.split(",")):
            r = run_one(cp, rate, args.seconds)
            print(f"| {r['rate']} | {r['achieved']} | {r['errors_whole']} | {r['others_kept_pct']}% | {r['dropped_too_early']:.0f} "
                  f"| {r['send_failed']} | {r['wall_s']} | {'yes' if r['sustained'] else 'no'} |", flush=True)
    finally:
        cp.stop()


if __name__ == "__main__":
    main()
