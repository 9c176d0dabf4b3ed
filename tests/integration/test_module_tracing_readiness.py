# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tracing_readiness through real ansible-playbook against the twin's before-state.

* Jaeger scores 30/100 NOT PRODUCTION-READY with the user's failing checks, and the collector's
  exporter to jaeger-collector.jaeger-system:14250 is flagged; zero writes.
* report_path: check mode writes nothing; a real run writes; a re-run is unchanged.
* fail_under fails the task and still returns the report.
* The Kubernetes request count is the same on a 6-node and a 600-node twin.
(The 100/100 after the site playbook is tested by the site/molecule tests.)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
VENV_PY = os.path.join(ROOT, ".venv", "bin", "python")
PYTHON = VENV_PY if os.path.exists(VENV_PY) else sys.executable
PLAYBOOK_BIN = os.path.join(os.path.dirname(PYTHON), "ansible-playbook")


def _ensure_collection_link():
    link = os.path.join(COLLECTIONS, "ansible_collections", "talos_homelab", "tracing")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)


def run_module(env, tmp_path, check=False, **args):
    """Run tracing_readiness in a playbook; returns (rc, registered result, output)."""
    _ensure_collection_link()
    out = tmp_path / ("result-%d.json" % len(list(tmp_path.glob("result-*.json"))))
    play = [{
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [
            {"name": "readiness", "talos_homelab.tracing.tracing_readiness": args, "register": "r", "ignore_errors": True},
            {"name": "dump", "ansible.builtin.copy": {"content": "{{ r | to_json }}", "dest": str(out)}, "check_mode": False},
        ],
    }]
    pb = tmp_path / "play.yml"
    pb.write_text(yaml.safe_dump(play))
    penv = dict(os.environ, KUBECONFIG=env["KUBECONFIG"], ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1",
                ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    cmd = [PLAYBOOK_BIN, str(pb)] + (["--check"] if check else [])
    proc = subprocess.run(cmd, env=penv, capture_output=True, text=True, timeout=300, check=False)
    assert out.exists(), proc.stdout + proc.stderr
    return proc.returncode, json.loads(out.read_text()), proc.stdout + proc.stderr


def twin_stats(env, reset=False):
    args = [PYTHON, "-m", "tests.twin", "stats", "--env-file", env["env_file"]] + (["--reset"] if reset else [])
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def checks_by_id(result):
    return dict((c["id"], c) for comp in result["components"].values() for c in comp["checks"])


def test_before_state_jaeger_30(twin, tmp_path):
    twin_stats(twin, reset=True)
    rc, result, output = run_module(twin, tmp_path)
    assert rc == 0 and not result.get("failed"), output
    stats = twin_stats(twin)
    assert stats["writes"] == 0 and stats.get("write_requests", 0) == 0
    assert result["changed"] is False
    jaeger = result["components"]["jaeger"]
    assert (jaeger["score"], jaeger["verdict"]) == (30, "NOT PRODUCTION-READY")
    failing = set(c["id"] for c in jaeger["checks"] if not c["passed"])
    assert {"jaeger_strategy", "jaeger_storage", "jaeger_replicas", "jaeger_retention"} <= failing
    checks = checks_by_id(result)
    assert "allInOne" in checks["jaeger_strategy"]["evidence"]
    assert "memory" in checks["jaeger_storage"]["evidence"]
    assert "single replica" in checks["jaeger_replicas"]["evidence"]
    exporter = checks["otel_exporters"]
    assert not exporter["passed"]
    assert "jaeger-collector.jaeger-system:14250" in exporter["evidence"]
    assert "does not exist" in exporter["evidence"]
    assert "Jaeger: 30/100 \u2014 NOT PRODUCTION-READY" in result["report"]
    assert "VERDICT: NOT PRODUCTION-READY" in result["report"]
    assert result["verdict"] == "NOT PRODUCTION-READY"


def test_report_path_check_mode_and_idempotence(twin, tmp_path):
    report = tmp_path / "readiness.md"
    rc, result, output = run_module(twin, tmp_path, check=True, report_path=str(report))
    assert rc == 0, output
    assert result["changed"] is True and not report.exists()
    rc, result, output = run_module(twin, tmp_path, report_path=str(report))
    assert rc == 0 and result["changed"] is True and result["report_written"] is True, output
    assert report.read_text(encoding="utf-8") == result["report"]
    rc, result, output = run_module(twin, tmp_path, report_path=str(report))
    assert rc == 0 and result["changed"] is False, output


def test_fail_under_fails_with_the_report(twin, tmp_path):
    rc, result, output = run_module(twin, tmp_path, fail_under=100)
    assert result.get("failed") is True, output
    assert "below fail_under=100" in result["msg"]
    assert "Jaeger: 30/100" in result["report"]


def test_request_count_independent_of_node_count(twin_factory, tmp_path):
    counts = {}
    for nodes in (6, 600):
        env = twin_factory(nodes=nodes, before_state=True)
        twin_stats(env, reset=True)
        rc, result, output = run_module(env, tmp_path, s3_endpoint_url=env["S3_ENDPOINT"])
        assert rc == 0, output
        stats = twin_stats(env)
        assert stats["writes"] == 0
        assert "%d ready pods / %d schedulable nodes" % (nodes, nodes) in checks_by_id(result)["otel_ready"]["evidence"]
        counts[nodes] = (stats["reads"], stats["by_verb"], result["api_requests"])
        assert stats["requests"] == result["api_requests"]
    assert counts[6] == counts[600]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))
