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

import sys

import pytest

from runner import checks_by_id, run_readiness, twin_stats


def test_before_state_jaeger_30(twin):
    twin_stats(twin, reset=True)
    rc, result, output = run_readiness(twin)
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
    rc, result, output = run_readiness(twin, check=True, report_path=str(report))
    assert rc == 0, output
    assert result["changed"] is True and not report.exists()
    rc, result, output = run_readiness(twin, report_path=str(report))
    assert rc == 0 and result["changed"] is True and result["report_written"] is True, output
    assert report.read_text(encoding="utf-8") == result["report"]
    rc, result, output = run_readiness(twin, report_path=str(report))
    assert rc == 0 and result["changed"] is False, output


def test_fail_under_fails_with_the_report(twin):
    rc, result, output = run_readiness(twin, fail_under=100)
    assert result.get("failed") is True, output
    assert "below fail_under=100" in result["msg"]
    assert "Jaeger: 30/100" in result["report"]


def test_request_count_independent_of_node_count(twin_factory):
    counts = {}
    for nodes in (6, 600):
        env = twin_factory(nodes=nodes, before_state=True)
        twin_stats(env, reset=True)
        rc, result, output = run_readiness(env, s3_endpoint_url=env["S3_ENDPOINT"])
        assert rc == 0, output
        stats = twin_stats(env)
        assert stats["writes"] == 0
        assert "%d ready pods / %d schedulable nodes" % (nodes, nodes) in checks_by_id(result)["otel_ready"]["evidence"]
        counts[nodes] = (stats["reads"], stats["by_verb"], result["api_requests"])
        assert stats["requests"] == result["api_requests"]
    assert counts[6] == counts[600]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-v"]))
