"""The site's verify step judges the stack by the names and ports the roles deployed (issue 13).

An inventory sets a non-default OTLP gRPC port on the agents (``otel_collector_otlp_grpc_port``) and a
non-default name for the tail-sampling tier (``tail_sampler_name``) in ``group_vars/all.yml``; the site
playbook runs from the before-state on its own twin, and the readiness report it writes must show the
OTLP receiver check passing on that port and the routing check passing to that sampler. Ignored, either
parameter fails its check: the receivers are on 0.0.0.0:14317, not 4317, and the agents route to
``traces-sampler``, not ``otel-sampler``.
"""

from __future__ import annotations

import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import PLAYBOOK_BIN, run_playbook  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

GRPC_PORT = 14317
SAMPLER = "traces-sampler"
PASS = u"\u2705"


def _inventory(tmp_path, env, report):
    inv = tmp_path / "inventory"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}))
    (inv / "group_vars" / "all.yml").write_text(yaml.safe_dump({
        "tracing_kubeconfig": env["KUBECONFIG"],
        "ceph_bucket_s3_endpoint": env["S3_ENDPOINT"],
        "tracing_report_path": str(report),
        "otel_collector_otlp_grpc_port": GRPC_PORT,
        "tail_sampler_name": SAMPLER,
    }))
    return str(inv)


def _line(report, title):
    lines = [ln for ln in report.splitlines() if (" %s: " % title) in ln]
    assert len(lines) == 1, (title, report)
    return lines[0]


def test_site_report_follows_a_custom_otlp_port_and_sampler_name(twin_factory, tmp_path):
    env = twin_factory(before_state=True, nodes=3)
    report_path = tmp_path / "readiness.md"
    run = run_playbook(playbook="talos_homelab.tracing.site", inventory=_inventory(tmp_path, env, report_path),
                       env={"KUBECONFIG": "/nonexistent/kubeconfig"}, timeout=900)
    assert report_path.exists(), run.output[-4000:]
    report = report_path.read_text()

    otlp = _line(report, "OTLP receivers on 0.0.0.0:%d/4318" % GRPC_PORT)
    assert PASS in otlp and "grpc 0.0.0.0:%d" % GRPC_PORT in otlp, otlp
    routing = _line(report, "Agents route traces by trace ID to the samplers")
    assert PASS in routing and "-> %s.jaeger:4317" % SAMPLER in routing, routing
    resolver = _line(report, "Exporter resolves the sampler pods")
    assert PASS in resolver and "Service jaeger/%s" % SAMPLER in resolver, resolver
    assert "VERDICT: PRODUCTION-READY (overall 100/100, fail_under 100)" in report, report
    assert run.rc == 0 and run.recap.get("failed") == 0, run.output[-4000:]
