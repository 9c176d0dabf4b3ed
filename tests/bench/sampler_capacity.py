"""Benchmark: the spans/s one tail-sampler replica sustains, and its memory (issue 21; not a test).

One real Collector process (tools/go/otelcol ``otelcol-tracing``) runs the configuration role
tail_sampler renders (plugins/module_utils/sampling.py ``sampler_config``) for one replica, with its
OTLP exporter pointed at spangen's trace sink (the stand-in for Tempo's distributor) and its own
telemetry on a local Prometheus endpoint. ``spangen`` (tools/go/otelcol/cmd/spangen) sends traces at
a fixed span rate for ``--seconds`` (each span padded to about ``tail_sampler_span_bytes`` in OTLP
protobuf, the size the role's sizing assumes; ``--span-bytes 0``: minimal spans of about 150 bytes),
then waits for the last decisions. For each rate:

* ``dropped_too_early``: the processor's own counter
  ``otelcol_processor_tail_sampling_sampling_trace_dropped_too_early`` (tailsamplingprocessor
  metadata.yaml at v0.159.0): traces evicted before decision_wait because num_traces was full;
* refused: spans the receiver refused (memory_limiter) or spangen failed to send;
* error traces kept / sent (must be all), others kept (about the baseline percentage);
* the process's peak resident memory (VmHWM of /proc/<pid>/status) and its RSS at the end.

A rate is sustained when no trace was dropped too early, nothing was refused, every error trace was
kept and the sender kept its schedule (achieved rate within 5 percent). The sizing inputs are the
role's: ``tail_sampler_expected_spans_per_sec`` is the load of the whole tier, one replica gets a
1/replicas share; ``--replicas 1`` sizes the one process for the measured rate itself.

Usage: .venv/bin/python tests/bench/sampler_capacity.py [--rates 1000,5000,20000] [--seconds 30]
       [--spans-per-trace 10] [--decision-wait 10s] [--markdown-out FILE]
Only loopback addresses are used; each run is bounded by --seconds plus the drain.
"""

import argparse
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".build" / "collections"))
sys.path.insert(0, str(ROOT))

from tests import otelcol  # noqa: E402  (after the path set-up)

import yaml  # noqa: E402

DROPPED = "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early"
REFUSED = "otelcol_receiver_refused_spans"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sampler_values(spans_per_sec, spans_per_trace, decision_wait, replicas, span_bytes=None):
    with open(ROOT / "roles" / "tail_sampler" / "defaults" / "main.yml") as fh:
        values = yaml.safe_load(fh)
    if span_bytes:
        values["tail_sampler_span_bytes"] = span_bytes
    values.update(tail_sampler_expected_spans_per_sec=int(spans_per_sec), tail_sampler_replicas=replicas,
                  tail_sampler_decision_wait=decision_wait,
                  tail_sampler_expected_new_traces_per_sec=max(1, int(spans_per_sec / spans_per_trace)))
    return values


def metric(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def memory_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _sep, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
    return out


def run_one(rate, args):
    from ansible_collections.talos_homelab.tracing.plugins.module_utils import otel_config, sampling
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import sizing

    values = sampler_values(rate * args.replicas, args.spans_per_trace, args.decision_wait, args.replicas, args.span_bytes)
    with open(ROOT / "roles" / "tail_sampler" / "vars" / "main.yml") as fh:  # the image the role resolves to
        values["tail_sampler_image"] = values["tail_sampler_image"] or yaml.safe_load(fh)["__tail_sampler_default_image"]
    grpc, http, health, sink, telemetry = (free_port() for _port in range(5))
    values.update(tail_sampler_otlp_grpc_port=grpc, tail_sampler_otlp_http_port=http, tail_sampler_health_check_port=health,
                  tail_sampler_tempo_endpoint=f"127.0.0.1:{sink}")
    config = otel_config.plan("sampler", values)["config"]
    size = sizing.sampler_sizing(values)
    if args.limiter_mib:  # capacity and memory without the role's limit: the limiter out of the way
        config["processors"]["memory_limiter"].update(limit_mib=args.limiter_mib, spike_limit_mib=args.limiter_mib // 5)
    for receiver in config["receivers"]["otlp"]["protocols"].values():
        receiver["endpoint"] = receiver["endpoint"].replace("0.0.0.0", "127.0.0.1")
    config["extensions"]["health_check"]["endpoint"] = f"127.0.0.1:{health}"
    config["service"]["telemetry"] = {"metrics": {"level": "detailed", "readers": [
        {"pull": {"exporter": {"prometheus": {"host": "127.0.0.1", "port": telemetry}}}}]}}
    workdir = tempfile.mkdtemp(prefix="sampler-bench-")
    path = os.path.join(workdir, "config.yaml")
    with open(path, "w") as fh:
        yaml.safe_dump(config, fh)
    gomemlimit = int(args.limiter_mib / 0.8 * 0.8) if args.limiter_mib else size["gomemlimit_mib"]
    env = {"PATH": os.environ["PATH"], "GOMEMLIMIT": f"{gomemlimit}MiB"}
    bindir = os.path.dirname(otelcol.binary())
    log = open(os.path.join(workdir, "collector.log"), "w")
    proc = subprocess.Popen([otelcol.binary(), f"--config={path}"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{health}/", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the sampler did not start: {open(log.name).read()[-2000:]}")
                time.sleep(0.2)
        drain = 2 * sampling.duration_seconds(args.decision_wait) + 6  # decision_wait + batch timeout + a margin
        gen = subprocess.run([os.path.join(bindir, "spangen"), f"-endpoint=127.0.0.1:{grpc}", f"-sink=127.0.0.1:{sink}",
                              f"-rate={rate}", f"-duration={args.seconds}s", f"-spans-per-trace={args.spans_per_trace}",
                              f"-error-every={args.error_every}", f"-drain={drain:.0f}s",
                              f"-span-bytes={values['tail_sampler_span_bytes'] if args.span_bytes != 0 else 0}",
                              f"-sink-max-recv-mib={args.sink_max_recv_mib}"],
                             capture_output=True, text=True, timeout=args.seconds + drain + 120, check=True)
        counts = json.loads(gen.stdout.strip().splitlines()[-1])
        mem = memory_kib(proc.pid)
        text = urllib.request.urlopen(f"http://127.0.0.1:{telemetry}/metrics", timeout=5).read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    dropped = metric(text, DROPPED)
    refused = metric(text, REFUSED)
    sustained = (dropped == 0 and refused == 0 and counts["send_errors"] == 0
                 and counts["received_error_traces"] == counts["sent_error_traces"]
                 and counts["spans_per_sec"] >= 0.95 * rate)
    others = counts["sent_traces"] - counts["sent_error_traces"]
    return dict(rate=rate, achieved=round(counts["spans_per_sec"]), dropped_too_early=dropped, refused_spans=refused,
                send_errors=counts["send_errors"], error_traces=f"{counts['received_error_traces']}/{counts['sent_error_traces']}",
                others_kept_pct=round(100.0 * (counts["received_traces"] - counts["received_error_traces"]) / max(1, others), 1),
                peak_rss_mib=round(mem["VmHWM"] / 1024), end_rss_mib=round(mem["VmRSS"] / 1024),
                sized_limit_mib=size["limit_mib"], sized_limiter_mib=size["limiter_mib"], num_traces=size["num_traces"],
                sustained=sustained)


def markdown(rows, args):
    head = ("| spans/s offered | achieved | dropped too early | refused | error traces kept | others kept % | "
            "peak RSS MiB | role's limit MiB (limiter) | sustained |")
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        lines.append(f"| {r['rate']} | {r['achieved']} | {r['dropped_too_early']:.0f} | {r['refused_spans']:.0f} | {r['error_traces']} | "
                     f"{r['others_kept_pct']} | {r['peak_rss_mib']} | {r['sized_limit_mib']} ({r['sized_limiter_mib']}) | "
                     f"{'yes' if r['sustained'] else 'no'} |")
    lines.append("")
    lines.append(f"{args.seconds} s per rate, {args.spans_per_trace} spans per trace of about {args.span_bytes} bytes each "
                 f"(None: the role's tail_sampler_span_bytes, 0: minimal), every {args.error_every}th trace an error, "
                 f"decision_wait {args.decision_wait}, one replica sized as 1/{args.replicas} of a tier at replicas x rate.")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", default="1000,5000,20000")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--spans-per-trace", type=int, default=10)
    ap.add_argument("--error-every", type=int, default=20)
    ap.add_argument("--decision-wait", default="10s")
    ap.add_argument("--replicas", type=int, default=3)
    ap.add_argument("--span-bytes", type=int, default=None,
                    help="OTLP size of each span, and the sizing's tail_sampler_span_bytes (default: the role's; 0: minimal spans)")
    ap.add_argument("--limiter-mib", type=int, default=0,
                    help="memory_limiter limit_mib instead of the role's (and GOMEMLIMIT to match): memory unbounded by the sizing")
    ap.add_argument("--sink-max-recv-mib", type=int, default=4,
                    help="the sink's gRPC receive limit (4: gRPC's default, as Tempo's OTLP receiver without max_recv_msg_size_mib)")
    ap.add_argument("--markdown-out")
    args = ap.parse_args()
    rows = []
    for rate in (int(x) for x in args.rates.split(",")):
        row = run_one(rate, args)
        print(json.dumps(row), flush=True)
        rows.append(row)
    md = markdown(rows, args)
    print(md)
    if args.markdown_out:
        pathlib.Path(args.markdown_out).write_text(md + "\n")


if __name__ == "__main__":
    main()
