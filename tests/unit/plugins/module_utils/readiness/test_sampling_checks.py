# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sampling chain's checks (readiness/sampling_checks.py): which sampling runs, and what lowers the score."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.run import assess

from . import snapshots as s


def by_id(result):
    return dict((c["id"], c) for comp in result["components"].values() for c in comp["checks"])


def _head(snap):
    cfg = s.head_collector_config()
    cfg["processors"]["probabilistic_sampler"]["sampling_percentage"] = 10.0  # as the role renders it (| float)
    snap["otel"] = s.otel(cfg)
    return snap


def test_tail_target_names_the_tail_sampling_that_runs():
    result = assess(s.target_tempo())
    checks = by_id(result)
    assert checks["sampling_tail"]["evidence"] == (
        "tail sampling runs on jaeger/otel-sampler: every error trace kept, baseline 10%")
    assert checks["jaeger_sampling"]["passed"] and "tail sampling runs" in checks["jaeger_sampling"]["evidence"]
    assert "Sampling (agents -> tail samplers -> Tempo): 100/100" in result["report"]


def test_head_sampling_cannot_score_100_and_says_so():
    result = assess(_head(s.target_tempo()))
    checks = by_id(result)
    assert checks["jaeger_sampling"]["passed"]  # sampling is configured ...
    assert "head sampling runs: probabilistic_sampler 10% on the agents" in checks["jaeger_sampling"]["evidence"]
    tail = checks["sampling_tail"]  # ... but errors are not kept
    assert not tail["passed"] and "tracing_sampling: tail" in tail["fix"]
    assert not checks["sampling_no_head"]["passed"] and "probabilistic_sampler in agents' pipeline traces" in checks[
        "sampling_no_head"]["evidence"]
    assert result["components"]["sampling"]["verdict"] == "NOT PRODUCTION-READY"
    assert result["score"] < 100 and result["verdict"] == "NOT PRODUCTION-READY"


def test_missing_rbac_names_the_grant_and_the_namespace():
    snap = s.target_tempo()
    snap["sampling"]["rolebindings"] = []
    check = by_id(assess(snap))["sampling_rbac"]
    assert not check["passed"]
    assert "ServiceAccount opentelemetry/otel-collector in namespace jaeger may not list endpoints, watch endpoints" in check["evidence"]
    assert check["fix"].startswith("grant get/list/watch endpoints with a Role and RoleBinding in namespace jaeger")


def test_newer_agents_need_endpointslices():
    snap = s.target_tempo()
    snap["otel"]["daemonset"]["spec"]["template"]["spec"]["containers"][0]["image"] = "otel/opentelemetry-collector-contrib:0.159.0"
    check = by_id(assess(snap))["sampling_rbac"]
    assert not check["passed"] and "list endpointslices (discovery.k8s.io)" in check["evidence"]


def test_binding_for_another_service_account_does_not_count():
    snap = s.target_tempo()
    snap["sampling"]["rolebindings"][0]["subjects"][0]["name"] = "someone-else"
    assert not by_id(assess(snap))["sampling_rbac"]["passed"]


def test_before_state_has_no_tail_tier_and_jaeger_still_30():
    result = assess(s.before_state())
    assert result["components"]["jaeger"]["score"] == 30
    checks = by_id(result)
    assert checks["sampling_tail"]["evidence"] == "no sampling: every trace is kept"
    assert result["components"]["sampling"]["score"] == 0


def _image(workload, image):
    workload["spec"]["template"]["spec"]["containers"][0]["image"] = image


def test_both_collector_versions_are_shown_against_the_supported_list():
    snap = s.target_tempo()
    checks = by_id(assess(snap))
    image = "otel/opentelemetry-collector-contrib:0.114.0"
    assert checks["otel_version"]["passed"] and checks["sampling_version"]["passed"]
    assert checks["otel_version"]["evidence"] == "agents %s: 0.114.0, supported (0.114.0, 0.159.0)" % image
    assert checks["sampling_version"]["evidence"] == "samplers %s: 0.114.0, supported (0.114.0, 0.159.0)" % image


def test_a_version_without_profile_fails_and_names_the_supported_ones():
    snap = s.target_tempo()
    _image(snap["otel"]["daemonset"], "otel/opentelemetry-collector-contrib:0.130.0")
    _image(snap["sampling"]["deployments"][0], "otel/opentelemetry-collector-contrib:0.150.1")
    result = assess(snap)
    checks = by_id(result)
    assert not checks["otel_version"]["passed"] and not checks["sampling_version"]["passed"]
    assert checks["otel_version"]["evidence"].endswith("0.130.0 has no configuration profile (supported: 0.114.0, 0.159.0)")
    assert "0.150.1 has no configuration profile (supported: 0.114.0, 0.159.0)" in checks["sampling_version"]["evidence"]
    assert "0.114.0, 0.159.0" in checks["sampling_version"]["fix"] and "0.114.0, 0.159.0" in checks["otel_version"]["fix"]
    assert result["components"]["sampling"]["score"] < 100 and result["components"]["otel_collector"]["score"] < 100


def test_the_default_release_passes():
    snap = s.target_tempo()
    _image(snap["sampling"]["deployments"][0], "otel/opentelemetry-collector-contrib:0.159.0")
    assert by_id(assess(snap))["sampling_version"]["passed"]
