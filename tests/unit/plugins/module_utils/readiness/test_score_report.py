# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import registry as checks
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import report, score
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.run import assess

from . import snapshots as s


def chk(cid, severity, weight, passed, component="jaeger"):
    return dict(id=cid, title=cid, component=component, severity=severity, weight=weight, passed=passed,
                evidence="seen", fix="do it.")


def test_danger_counts_double():
    assert score.points(chk("a", "danger", 3, True)) == 6
    assert score.points(chk("a", "warning", 3, True)) == 3


def test_component_score_is_weighted_pass_share():
    items = [chk("a", "danger", 3, True), chk("b", "warning", 3, False), chk("c", "danger", 3, False)]
    # passed 6 of 6 + 3 + 6 = 15 points
    assert score.component_score(items) == 40
    assert score.component_score([]) == 0


def test_verdict_needs_threshold_and_no_failing_danger():
    warn_fail = [chk("a", "danger", 10, True), chk("b", "warning", 1, False)]
    assert score.component_score(warn_fail) == 95
    assert score.component_verdict(95, warn_fail) == score.READY
    danger_fail = [chk("a", "warning", 40, True), chk("b", "danger", 1, False)]
    assert score.component_score(danger_fail) == 95
    assert score.component_verdict(95, danger_fail) == score.NOT_READY
    low = [chk("a", "danger", 5, True)] + [chk("w%d" % i, "warning", 1, False) for i in range(2)]
    assert score.component_score(low) == 83
    assert score.component_verdict(83, low) == score.NOT_READY


def test_overall_is_mean_and_ready_only_if_all_components_are():
    items = [chk("a", "danger", 1, True, "otel_collector"), chk("b", "danger", 1, True, "jaeger"),
             chk("c", "danger", 1, False, "storage"), chk("d", "danger", 1, True, "sampling")]
    out = score.summarize(items, checks.COMPONENTS)
    assert out["score"] == 75
    assert out["verdict"] == score.NOT_READY
    assert out["components"]["storage"]["score"] == 0


def test_jaeger_weights_of_the_before_state_passing_checks_sum_to_30():
    metas = dict((f.meta["id"], f.meta) for f in checks.ALL_CHECKS)
    passing = ["jaeger_running", "jaeger_otlp", "jaeger_credentials", "jaeger_known_broken", "jaeger_image_tags",
               "jaeger_query_wired"]
    assert sum(score.points(metas[i]) for i in passing) == 30
    # the Grafana data source check counts only when the run enables it (issue 11)
    assert sum(score.points(m) for m in metas.values()
               if m["component"] == "jaeger" and m["id"] != "jaeger_grafana_datasource") == 100
    assert sum(score.points(m) for m in metas.values() if m["component"] == "otel_collector") == 100


def test_report_format_is_the_users_tree():
    text = assess(s.before_state())["report"]
    lines = text.splitlines()
    headers = [ln for ln in lines if re.match(r"^(OpenTelemetry Collector|Jaeger|Storage): \d+/100 \u2014 (NOT )?PRODUCTION-READY$", ln)]
    assert [h.split(":")[0] for h in headers] == ["OpenTelemetry Collector", "Jaeger", "Storage"]
    assert "Jaeger: 30/100 \u2014 NOT PRODUCTION-READY" in headers
    idx = lines.index("Jaeger: 30/100 \u2014 NOT PRODUCTION-READY")
    tree = []
    for line in lines[idx + 1:]:
        if not line:
            break
        tree.append(line)
    assert all(ln.startswith(u"\u251c\u2500\u2500 ") for ln in tree[:-1])
    assert tree[-1].startswith(u"\u2514\u2500\u2500 ")
    assert any(u"\u274c Production deployment strategy: strategy allInOne (fix: " in ln for ln in tree)
    assert any(ln.startswith(u"\u251c\u2500\u2500 \u2705 Jaeger running") for ln in tree)
    assert all("(fix:" not in ln for ln in tree if u"\u2705" in ln)
    assert re.search(r"^VERDICT: NOT PRODUCTION-READY \(overall \d+/100\)$", text, re.M)


def test_report_names_what_it_judged_without_calling_the_seed_a_grpc_plugin():
    before = assess(s.before_state())["report"]
    assert "Jaeger judged as: a Jaeger operator CR" in before
    assert "Jaeger storage mode" not in before
    assert "Jaeger judged as: storage mode `tempo`" in assess(s.target_tempo())["report"]


def test_report_is_deterministic():
    assert assess(s.target_tempo())["report"] == assess(s.target_tempo())["report"]
    assert "VERDICT: PRODUCTION-READY (overall 100/100)" in assess(s.target_tempo())["report"]


def test_check_line():
    line = report.check_line(chk("x", "danger", 1, False), last=True)
    assert line == u"\u2514\u2500\u2500 \u274c x: seen (fix: do it)"
