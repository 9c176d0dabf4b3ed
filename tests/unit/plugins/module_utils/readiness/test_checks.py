# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import registry as checks
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.run import assess

from . import snapshots as s

USER_LISTED_FAILURES = {"jaeger_strategy", "jaeger_storage", "jaeger_replicas", "jaeger_retention"}


def by_id(result):
    return dict((c["id"], c) for comp in result["components"].values() for c in comp["checks"])


def test_before_state_reproduces_the_users_jaeger_assessment():
    result = assess(s.before_state())
    jaeger = result["components"]["jaeger"]
    assert result["storage_mode"] == "grpc-plugin"
    assert jaeger["score"] == 30
    assert jaeger["verdict"] == "NOT PRODUCTION-READY"
    failing = set(c["id"] for c in jaeger["checks"] if not c["passed"])
    assert USER_LISTED_FAILURES <= failing
    passing = set(c["id"] for c in jaeger["checks"] if c["passed"])
    assert passing == {"jaeger_running", "jaeger_otlp", "jaeger_credentials", "jaeger_image_tags",
                       "jaeger_known_broken", "jaeger_query_wired"}
    checks_ = by_id(result)
    assert "allInOne" in checks_["jaeger_strategy"]["evidence"]
    assert "memory" in checks_["jaeger_storage"]["evidence"]
    assert "single replica" in checks_["jaeger_replicas"]["evidence"]
    assert "no retention" in checks_["jaeger_retention"]["evidence"]
    assert "Jaeger: 30/100 \u2014 NOT PRODUCTION-READY" in result["report"]
    assert result["verdict"] == "NOT PRODUCTION-READY"


def test_before_state_flags_the_exporter_to_a_missing_service_on_14250():
    exporter = by_id(assess(s.before_state()))["otel_exporters"]
    assert not exporter["passed"]
    assert "jaeger-collector.jaeger-system:14250" in exporter["evidence"]
    assert "Service jaeger-system/jaeger-collector does not exist" in exporter["evidence"]
    assert "jaeger-collector.jaeger:4317" in exporter["fix"]


def test_exporter_to_existing_service_without_the_port_is_flagged():
    snap = s.target_tempo()
    cfg = s.head_collector_config()
    cfg["exporters"]["otlp/jaeger"]["endpoint"] = "jaeger-collector.jaeger:14250"
    snap["otel"] = s.otel(cfg)
    exporter = by_id(assess(snap))["otel_exporters"]
    assert not exporter["passed"]
    assert "has no port 14250" in exporter["evidence"]


def test_target_state_is_production_ready():
    result = assess(s.target_tempo())
    failing = [(c["id"], c["evidence"]) for c in by_id(result).values() if not c["passed"]]
    assert failing == []
    assert result["score"] == 100
    assert result["verdict"] == "PRODUCTION-READY"
    for comp in result["components"].values():
        assert comp["score"] == 100 and comp["verdict"] == "PRODUCTION-READY"
    evidence = by_id(result)["jaeger_versions_supported"]["evidence"]
    assert "tempo 2.10 is maintained until 2027-04-26 (checked 2026-12-02" in evidence
    assert "jaeger-query 1.68 is past its upstream end of life (2025-12-31) but is the tested pairing" in evidence
    assert "data-tempo-0 Bound" in by_id(result)["jaeger_wal_persistent"]["evidence"]


def test_grpc_plugin_target_is_ready_but_not_100_its_jaeger_is_past_end_of_life():
    """Issue 11: the versions check fails for the guarded grpc-plugin design (Jaeger < 1.58 is v1, end of life)."""
    result = assess(s.target_grpc_plugin())
    failing = [(c["id"], c["evidence"]) for c in by_id(result).values() if not c["passed"]]
    assert [f[0] for f in failing] == ["jaeger_versions_supported"]
    assert "Jaeger 1.57.0" in failing[0][1] and "past end of life 2025-12-31 (checked 2026-12-02" in failing[0][1]
    assert result["components"]["jaeger"]["score"] == 96 and result["components"]["jaeger"]["verdict"] == "PRODUCTION-READY"


def test_a_0_1_0_converged_cluster_is_below_100_with_the_fixes_named():
    result = assess(s.converged_0_1_0())
    failing = dict((c["id"], c) for c in by_id(result).values() if not c["passed"])
    assert sorted(failing) == ["jaeger_versions_supported", "jaeger_wal_persistent"]
    assert result["components"]["jaeger"]["score"] < 100 and result["verdict"] == "NOT PRODUCTION-READY"
    wal = failing["jaeger_wal_persistent"]
    assert "mounts /var/tempo from volume data (emptyDir)" in wal["evidence"]
    assert "jaeger_production_tempo_wal_size" in wal["fix"] and "site playbook" in wal["fix"]
    versions = failing["jaeger_versions_supported"]
    assert "tempo 2.6 is past end of support" in versions["evidence"] and "jaeger-query 1.62 is not in the support table" in versions["evidence"]
    assert "Tempo 2.10.8, tempo-query 2.10.8, jaeger-query 1.68.0" in versions["fix"]


def test_wal_claims_not_bound_fail_with_the_claims_named():
    snap = s.target_tempo()
    snap["jaeger"]["pvcs"][1]["status"]["phase"] = "Pending"
    del snap["jaeger"]["pvcs"][2]
    check = by_id(assess(snap))["jaeger_wal_persistent"]
    assert not check["passed"] and "data-tempo-1 Pending" in check["evidence"] and "data-tempo-2 missing" in check["evidence"]
    assert "describe pvc data-tempo-1 data-tempo-2" in check["fix"]


def test_grafana_datasource_check_only_when_enabled():
    snap = s.target_tempo()
    assert "jaeger_grafana_datasource" not in by_id(assess(snap))
    snap["params"]["grafana_datasource"] = True
    snap["params"]["grafana_namespace"] = "monitoring"
    snap["jaeger"]["grafana_datasource"] = {
        "metadata": {"name": "tracing-tempo-datasource", "labels": {"grafana_datasource": "1"}},
        "data": {"tempo-datasource.yaml": "apiVersion: 1\ndatasources:\n- type: tempo\n  url: http://tempo.jaeger.svc.cluster.local:3200\n"}}
    result = assess(snap)
    check = by_id(result)["jaeger_grafana_datasource"]
    assert check["passed"] and "grafana_datasource=1" in check["evidence"] and result["score"] == 100


def test_every_check_has_the_contract_fields():
    for check in by_id(assess(s.before_state())).values():
        assert set(check) >= {"id", "title", "component", "weight", "severity", "passed", "evidence", "fix", "points"}
        assert check["severity"] in ("danger", "warning")
        assert check["component"] in checks.COMPONENTS
        assert check["evidence"] and check["fix"]


def test_auto_mode_on_an_empty_namespace_is_tempo():
    snap = s.before_state()
    snap["jaeger"].update(crs=[], deployments=[], services=[], configmaps=[], pods=[], crd_missing=True)
    snap["services"] = {}
    result = assess(snap)
    assert result["storage_mode"] == "tempo"
    assert result["components"]["jaeger"]["score"] < 30
    assert "CRD jaegers.jaegertracing.io missing" in by_id(result)["jaeger_running"]["evidence"]


# ---------------------------------------------------------------- each check failing alone
def _collector(mutate):
    def apply(snap):
        cfg = s.target_collector_config()
        mutate(cfg)
        snap["otel"]["configmaps"][0]["data"]["config.yaml"] = yaml.safe_dump(cfg)
    return apply


def _tempo_yaml(mutate):
    def apply(snap):
        cfg = yaml.safe_load(yaml.safe_dump(s.TEMPO_YAML))
        mutate(cfg)
        s_cm = [c for c in snap["jaeger"]["configmaps"] if c["metadata"]["name"] == "tempo"][0]
        s_cm["data"]["tempo.yaml"] = yaml.safe_dump(cfg)
    return apply


def _wl(snap, name):
    for wl in snap["jaeger"]["deployments"] + snap["jaeger"]["statefulsets"]:
        if wl["metadata"]["name"] == name:
            return wl
    raise KeyError(name)


def _container_of(snap, wl, name):
    return [c for c in _wl(snap, wl)["spec"]["template"]["spec"]["containers"] if c["name"] == name][0]


def _set(path, value):
    def apply(snap):
        target = snap
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return apply


def _tempo_spread_off(snap):
    for name in ("tempo", "jaeger-query"):
        _wl(snap, name)["spec"]["template"]["spec"].pop("topologySpreadConstraints")
    snap["jaeger"]["pods"] = [dict(p, node="talos-node-01") for p in snap["jaeger"]["pods"]]


def _query_env(snap):
    _container_of(snap, "jaeger-query", "jaeger-query")["env"] = [{"name": "SPAN_STORAGE_TYPE", "value": "memory"}]


def _tempo_query_backend(snap):
    cm = [c for c in snap["jaeger"]["configmaps"] if c["metadata"]["name"] == "tempo"][0]
    cm["data"]["tempo-query.yaml"] = "backend: tempo-missing:3200\n"


def _leak_env(snap):
    _container_of(snap, "tempo", "tempo").setdefault("env", []).append({"name": "AWS_SECRET_ACCESS_KEY", "value": "s3cr3t"})


def _latest(snap):
    _container_of(snap, "jaeger-query", "tempo-query")["image"] = "grafana/tempo-query:latest"


def _old_tempo_query(snap):
    _container_of(snap, "jaeger-query", "tempo-query")["image"] = "grafana/tempo-query:2.5.0"


def _one_tempo_ready(snap):
    _wl(snap, "tempo")["status"]["readyReplicas"] = 1


def _not_running(snap):
    _wl(snap, "tempo")["status"]["readyReplicas"] = 0
    _wl(snap, "jaeger-query")["status"]["readyReplicas"] = 0


def _drop_tempo_sts(snap):
    snap["jaeger"]["crs"] = [{"metadata": {"name": "jaeger"}, "spec": {"strategy": "allInOne"}}]


def _pod_missing(snap):
    snap["otel"]["daemonset"]["status"]["numberReady"] = 5
    snap["otel"]["pods"] = snap["otel"]["pods"][:5]


def _memory_limiter_late(cfg):
    cfg["service"]["pipelines"]["metrics"]["processors"] = ["resource", "memory_limiter", "batch"]


def _emptydir_wal(snap):
    sts = snap["jaeger"]["statefulsets"][0]
    del sts["spec"]["volumeClaimTemplates"]
    sts["spec"]["template"]["spec"]["volumes"].append({"name": "data", "emptyDir": {}})


def _grafana_enabled_missing(snap):
    snap["params"].update(grafana_datasource=True, grafana_namespace="monitoring")


TEMPO_CASES = {
    "otel_version": _set(["otel", "daemonset", "spec", "template", "spec", "containers", 0, "image"],
                         "otel/opentelemetry-collector-contrib:0.100.0"),
    "otel_daemonset": lambda snap: snap["otel"].update(deployment=snap["otel"]["daemonset"], daemonset=None),
    "otel_ready": _pod_missing,
    "otel_otlp_receivers": _collector(lambda c: c["receivers"]["otlp"]["protocols"]["grpc"].update(endpoint="localhost:4317")),
    "otel_node_metrics": _collector(lambda c: c["service"]["pipelines"]["metrics"].update(receivers=["otlp", "hostmetrics"])),
    "otel_memory_limiter": _collector(_memory_limiter_late),
    "otel_processors": _collector(lambda c: c["service"]["pipelines"]["metrics"].update(processors=["memory_limiter", "batch"])),
    "otel_exporters": _collector(lambda c: c["exporters"]["prometheusremotewrite"].update(
        endpoint="http://prometheus.monitoring-system:9090/api/v1/write")),
    "otel_resources": _set(["otel", "daemonset", "spec", "template", "spec", "containers", 0, "resources"], {}),
    "jaeger_running": _not_running,
    "jaeger_strategy": _drop_tempo_sts,
    "jaeger_storage": _tempo_yaml(lambda c: c["storage"]["trace"].update(backend="local")),
    "jaeger_replicas": _one_tempo_ready,
    "jaeger_spread": _tempo_spread_off,
    "jaeger_retention": _tempo_yaml(lambda c: c["compactor"]["compaction"].update(block_retention="72h")),
    "jaeger_otlp": lambda snap: snap["services"]["jaeger/jaeger-collector"]["spec"].update(ports=[{"port": 4317}]),
    "jaeger_sampling": lambda snap: _sampler_config(snap, lambda c: c["processors"]["tail_sampling"].update(
        policies=c["processors"]["tail_sampling"]["policies"][:1])),
    "jaeger_credentials": _leak_env,
    "jaeger_image_tags": _latest,
    "jaeger_known_broken": _old_tempo_query,
    "jaeger_query_wired": _tempo_query_backend,
    "jaeger_pdb": lambda snap: snap["jaeger"].update(pdbs=snap["jaeger"]["pdbs"][:1]),
    "jaeger_wal_persistent": _emptydir_wal,
    "jaeger_versions_supported": _set(["jaeger", "statefulsets", 0, "spec", "template", "spec", "containers", 0, "image"],
                                      "docker.io/grafana/tempo:2.8.1"),
    "jaeger_grafana_datasource": _grafana_enabled_missing,
    "storage_claim": lambda snap: snap["storage"]["claim"]["status"].update(phase="Pending"),
    "storage_secret": lambda snap: snap["jaeger"]["storage_secret"].update(keys=["S3_ENDPOINT"]),
    "storage_bucket": lambda snap: snap["storage"].update(bucket_exists=False),
    "storage_lifecycle": lambda snap: snap["storage"]["lifecycle"][0]["Expiration"].update(Days=5),
    "storage_store_retention": _tempo_yaml(lambda c: c["compactor"]["compaction"].update(block_retention="240h")),
    # the sampling chain (readiness/sampling_checks.py)
    "sampling_tail": lambda snap: _sampler_config(snap, lambda c: c["processors"]["tail_sampling"].update(
        policies=c["processors"]["tail_sampling"]["policies"][1:])),
    "sampling_routing": _collector(lambda c: c["exporters"]["loadbalancing"].update(routing_key="service")),
    "sampling_no_head": _collector(lambda c: (c["processors"].update(probabilistic_sampler={"sampling_percentage": 10}),
                                              c["service"]["pipelines"]["traces"].update(
                                                  processors=["memory_limiter", "probabilistic_sampler", "resource", "batch"]))),
    "sampling_resolver": lambda snap: snap["sampling"]["deployments"][0]["spec"]["template"]["spec"]["containers"][0].update(
        ports=[{"name": "otlp-grpc", "containerPort": 14317}]),
    "sampling_rbac": lambda snap: snap["sampling"].update(rolebindings=[]),
    "sampling_pipeline": lambda snap: _sampler_config(snap, lambda c: c["service"]["pipelines"]["traces"].update(
        processors=["tail_sampling", "memory_limiter", "batch"])),
    "sampling_replicas": lambda snap: snap["sampling"]["deployments"][0]["status"].update(readyReplicas=2),
    "sampling_pdb": lambda snap: snap["sampling"].update(pdbs=[]),
    "sampling_version": lambda snap: snap["sampling"]["deployments"][0]["spec"]["template"]["spec"]["containers"][0].update(
        image="otel/opentelemetry-collector-contrib:0.130.0"),
}


def _sampler_config(snap, change):
    cm = snap["sampling"]["configmaps"][0]
    cfg = yaml.safe_load(cm["data"]["config.yaml"])
    change(cfg)
    cm["data"]["config.yaml"] = yaml.safe_dump(cfg)


def _grpc_wl(snap, name):
    return [d for d in snap["jaeger"]["deployments"] if d["metadata"]["name"] == name][0]


GRPC_CASES = {
    "jaeger_running": lambda snap: snap["jaeger"]["crs"][0]["status"].update(phase="Failed"),
    "jaeger_replicas": lambda snap: _grpc_wl(snap, "jaeger-query")["status"].update(readyReplicas=1),
    "jaeger_sampling": lambda snap: snap["jaeger"]["crs"][0]["spec"].pop("sampling"),
    "jaeger_credentials": lambda snap: snap["jaeger"]["crs"][0]["spec"]["storage"]["options"].update(
        s3={"secretKey": "s3cr3t"}),
    "jaeger_known_broken": lambda snap: [
        snap["jaeger"]["crs"][0]["spec"][k].update(image="jaegertracing/jaeger-%s:1.65.0" % k) for k in ("collector", "query")
    ] + [_grpc_wl(snap, "jaeger-%s" % k)["spec"]["template"]["spec"]["containers"][0].update(
        image="jaegertracing/jaeger-%s:1.65.0" % k) for k in ("collector", "query")],
    "jaeger_query_wired": lambda snap: snap["services"].pop("jaeger/jaeger-query"),
    "jaeger_pdb": lambda snap: snap["jaeger"].update(pdbs=[]),
    "storage_lifecycle": lambda snap: snap["storage"]["lifecycle"][0]["Expiration"].update(Days=30),
}


def test_lifecycle_equal_to_block_retention_races_the_compactor():
    snap = s.target_tempo()
    snap["storage"]["lifecycle"][0]["Expiration"]["Days"] = 7
    result = by_id(assess(snap))
    assert result["storage_lifecycle"]["passed"]
    check = result["storage_store_retention"]
    assert not check["passed"] and "deletes blocks Tempo still serves" in check["evidence"]


def test_grpc_plugin_from_1_58_is_broken():
    snap = s.target_grpc_plugin()
    _grpc_wl(snap, "jaeger-collector")["spec"]["template"]["spec"]["containers"][0]["image"] = "jaegertracing/jaeger-collector:1.58.0"
    check = by_id(assess(snap))["jaeger_known_broken"]
    assert not check["passed"] and "1.58.0" in check["evidence"]


# Checks that cannot fail without a dependent check failing too.
ALSO_FAILS = {
    "otel_daemonset": ["otel_ready"],  # no DaemonSet -> no per-node pods
    "jaeger_running": ["jaeger_replicas"],  # nothing ready -> fewer than 2 ready
    "jaeger_retention": ["storage_store_retention"],  # 3 days < retention_days in both views
    "storage_lifecycle": ["storage_store_retention"],  # a 5-day backstop is shorter than block_retention
    "jaeger_image_tags": ["jaeger_versions_supported"],  # a 'latest' tag has no version in the support table
    "jaeger_known_broken": ["jaeger_versions_supported"],  # tempo-query < 2.6.1 is past end of support
    "jaeger_sampling": ["sampling_tail"],  # no baseline policy: neither "sampling configured" nor "10% baseline"
}


def _assert_only_failure(snap, check_id, also=None):
    result = assess(snap)
    failing = [c["id"] for c in by_id(result).values() if not c["passed"]]
    assert sorted(failing) == sorted([check_id] + list(also or [])), [(c["id"], c["evidence"]) for c in by_id(result).values() if not c["passed"]]
    check = by_id(result)[check_id]
    comp = result["components"][check["component"]]
    assert comp["score"] < 100
    if check["severity"] == "danger":
        assert comp["verdict"] == "NOT PRODUCTION-READY"
        assert result["verdict"] == "NOT PRODUCTION-READY"


def test_every_tempo_mode_check_is_covered():
    assert set(TEMPO_CASES) == set(f.meta["id"] for f in checks.ALL_CHECKS)


@pytest.mark.parametrize("check_id", sorted(TEMPO_CASES))
def test_tempo_mode_check_failing_alone(check_id):
    snap = s.target_tempo()
    TEMPO_CASES[check_id](snap)
    _assert_only_failure(snap, check_id, ALSO_FAILS.get(check_id))


@pytest.mark.parametrize("check_id", sorted(GRPC_CASES))
def test_grpc_plugin_mode_check_failing_alone(check_id):
    snap = s.target_grpc_plugin()
    GRPC_CASES[check_id](snap)
    # in grpc-plugin mode the bucket lifecycle is Jaeger's retention: both views fail together; its Jaeger
    # (< 1.58, v1) is past end of life, so the versions check fails in every grpc-plugin case (issue 11)
    also = ["jaeger_versions_supported"] + (["jaeger_retention"] if check_id == "storage_lifecycle" else [])
    _assert_only_failure(snap, check_id, also)


def test_grpc_plugin_with_nonexistent_jaeger_s3_image_is_broken():
    snap = s.target_grpc_plugin()
    snap["jaeger"]["crs"][0]["spec"]["storage"]["grpcPlugin"]["image"] = "jaegertracing/jaeger-s3:latest"
    result = by_id(assess(snap))
    assert not result["jaeger_known_broken"]["passed"]
    assert "jaegertracing/jaeger-s3:latest does not exist" in result["jaeger_known_broken"]["evidence"]


def test_grpc_plugin_without_pinned_images_uses_operator_default_and_is_broken():
    snap = s.target_grpc_plugin()
    spec = snap["jaeger"]["crs"][0]["spec"]
    spec["collector"].pop("image")
    spec["query"].pop("image")
    snap["jaeger"]["crs"][0]["status"].pop("version")
    snap["jaeger"]["deployments"] = []
    check = by_id(assess(snap))["jaeger_known_broken"]
    assert not check["passed"] and "1.65.0 (operator default)" in check["evidence"]


def test_production_strategy_with_memory_storage_is_forced_to_all_in_one():
    snap = s.before_state()
    snap["jaeger"]["crs"][0]["spec"]["strategy"] = "production"
    check = by_id(assess(snap))["jaeger_strategy"]
    assert not check["passed"] and "forced to allInOne by storage memory" in check["evidence"]


def test_daemonset_counts_only_schedulable_nodes():
    snap = s.target_tempo()
    snap["nodes"][5]["unschedulable"] = True
    snap["nodes"][4]["taints"] = [{"key": "gpu", "effect": "NoSchedule"}]
    snap["otel"]["daemonset"]["status"]["numberReady"] = 4
    check = by_id(assess(snap))["otel_ready"]
    assert check["passed"], check["evidence"]
    assert check["evidence"].startswith("4 ready pods / 4 schedulable nodes")


def test_tempo_configmap_credentials_literal_is_flagged():
    snap = s.target_tempo()
    _tempo_yaml(lambda c: c["storage"]["trace"]["s3"].update(secret_key="literal"))(snap)
    check = by_id(assess(snap))["jaeger_credentials"]
    assert not check["passed"] and "storage.trace.s3.secret_key" in check["evidence"]


def test_s3_error_is_evidence():
    snap = s.target_tempo()
    snap["storage"].update(bucket_exists=None, lifecycle=None, s3_error="Failed to check bucket: unreachable")
    result = by_id(assess(snap))
    assert "unreachable" in result["storage_bucket"]["evidence"]
    assert not result["storage_lifecycle"]["passed"]


def _spread_check(snap):
    _facts, results = checks.run_checks(snap)
    return [r for r in results if r["id"] == "jaeger_spread"][0]


def test_spread_fix_on_one_node_asks_for_nodes_not_constraints():
    """Issue 9 item 5: the constraints are applied; what is missing is a second node."""
    snap = s.target_tempo(node_count=1)
    for pod in snap["jaeger"]["pods"]:
        pod["node"] = "talos-node-01"
    check = _spread_check(snap)
    assert not check["passed"]
    assert "add topologySpreadConstraints" not in check["fix"], check["fix"]
    assert "1 schedulable node" in check["fix"] and "add" in check["fix"] and "node" in check["fix"], check["fix"]


def test_spread_fix_with_nodes_but_pods_on_one_asks_for_fewer_replicas_or_schedulable_nodes():
    snap = s.target_tempo(node_count=2)
    for pod in snap["jaeger"]["pods"]:
        pod["node"] = "talos-node-01"
    check = _spread_check(snap)
    assert not check["passed"]
    assert "add topologySpreadConstraints" not in check["fix"], check["fix"]
    assert "2 schedulable nodes" in check["fix"] and "fewer replicas" in check["fix"], check["fix"]


def test_spread_fix_without_constraints_still_asks_for_them():
    snap = s.target_tempo()
    for kind in ("statefulsets", "deployments"):
        for w in snap["jaeger"][kind]:
            w["spec"]["template"]["spec"].pop("topologySpreadConstraints", None)
    for pod in snap["jaeger"]["pods"]:
        pod["node"] = "talos-node-01"
    check = _spread_check(snap)
    assert not check["passed"]
    assert "add topologySpreadConstraints" in check["fix"], check["fix"]


def test_agents_without_a_readable_config_fail_the_config_checks_with_the_reason():
    """The registry's needs_otel_config: the five configuration checks fail with the reason, the others run."""
    snap = s.target_tempo()
    snap["otel"]["configmaps"] = []
    result = by_id(assess(snap))
    config_checks = {"otel_otlp_receivers", "otel_node_metrics", "otel_memory_limiter", "otel_processors", "otel_exporters"}
    for cid in config_checks:
        assert not result[cid]["passed"], cid
        assert result[cid]["evidence"].startswith("no collector ConfigMap found"), (cid, result[cid]["evidence"])
    assert result["otel_daemonset"]["passed"] and result["otel_ready"]["passed"]
    assert all(c.needs_otel_config == (c.meta["id"] in config_checks) for c in checks.ALL_CHECKS)
