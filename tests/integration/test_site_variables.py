"""Every documented variable takes effect (issue 9, "Variables").

``VARIABLES`` has one row per public variable of the README's table and per site-level variable:
the non-default value a user writes into ``group_vars/all.yml`` and the group (site run) it belongs
to. Each group writes an inventory as a user does, runs ``talos_homelab.tracing.site`` against its own
twin, and asserts each value IN THE CLUSTER OR THE BUCKET (objects read through the API server,
lifecycle rules read over S3); ``tracing_fail_under`` and ``tracing_report_path`` act on the
controller, so they are asserted on the report file the run wrote. Variables that cannot take effect
together are refused by the preflight with 0 writes (group ``grpc``, first run).

``tests/unit/test_readme_variables.py`` fails when a variable of the README table has no row here.
"""

from __future__ import annotations

import base64
import os
import socket

import pytest
import yaml

from runner import PLAYBOOK_BIN, assert_clean_failure, k8s_get, lifecycle, run_site_inventory, twin_stats, write_inventory

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

PLUGIN = {"jaeger_production_grpc_plugin_image": "registry.example.org/homelab/s3-plugin:1.0.0",
          "jaeger_production_grpc_plugin_binary": "/plugin/s3-plugin"}

# variable -> (group, value); "<...>" values are filled in per twin / tmp dir.
VARIABLES = {
    "tracing_kubeconfig": ("tempo", "<kubeconfig>"),
    "tracing_context": ("tempo", "twin"),
    "ceph_bucket_s3_endpoint": ("tempo", "<s3>"),
    "tracing_storage_mode": ("grpc", "grpc-plugin"),
    "ceph_bucket_retention_days": ("tempo", 9),
    "tracing_retention_days": ("tempo", 5),
    "tracing_sampling": ("tempo", "head"),
    "otel_collector_sampling_percentage": ("tempo", 25),
    "tail_sampler_baseline_percentage": ("grpc", 5),
    "tail_sampler_decision_wait": ("grpc", "5s"),
    "tail_sampler_replicas": ("grpc", 2),
    "tail_sampler_expected_spans_per_sec": ("grpc", 60000),
    "tracing_fail_under": ("tempo", 50),
    "tracing_jaeger_namespace": ("tempo", "tracing"),
    "ceph_bucket_claim_name": ("tempo", "traces-claim"),
    "jaeger_production_storage_secret_name": ("tempo", "tempo-s3"),
    # The twin's Tempo dials the endpoint (tests/twin/controllers/tempo.py): another valid spelling of RGW.
    "tracing_storage_endpoint": ("tempo", "rook-ceph-rgw-ceph-objectstore.rook-ceph:80"),
    # Tempo would need TLS then (the twin's RGW is plain HTTP): checked on the grpc-plugin Secret.
    "tracing_storage_insecure": ("grpc", False),
    "tracing_report_path": ("tempo", "<report>"),
    # The modules run as separate processes in this group (the tempo group runs them in the worker).
    "tracing_modules_in_worker": ("grpc", False),
    # The canary needs agents that carry spans; the twin's agent pods run no process (tests/twin/README.md),
    # so here it must fail naming the agents' hop (its passing run: tests/integration/test_traces_canary.py).
    "tracing_canary": ("canary", True),
}


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def two_context_kubeconfig(env, path):
    """The twin's kubeconfig with a current context that goes nowhere and a context ``twin`` that works."""
    cfg = yaml.safe_load(open(env["KUBECONFIG"]))
    good = cfg["contexts"][0]
    broken_cluster = {"name": "nowhere", "cluster": {"server": "http://127.0.0.1:%d" % closed_port()}}
    cfg["clusters"].append(broken_cluster)
    cfg["contexts"] = [{"name": "twin", "context": dict(good["context"])},
                       {"name": "broken", "context": dict(good["context"], cluster="nowhere")}]
    cfg["current-context"] = "broken"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def inventory(tmp_path, env, group, extra=None):
    """An inventory directory as a user writes it: hosts.yml + group_vars/all.yml with the group's rows."""
    values = {"tracing_kubeconfig": env["KUBECONFIG"], "ceph_bucket_s3_endpoint": env["S3_ENDPOINT"]}
    fill = {"<kubeconfig>": lambda: two_context_kubeconfig(env, tmp_path / "talos.kubeconfig"),
            "<s3>": lambda: env["S3_ENDPOINT"], "<report>": lambda: str(tmp_path / "readiness.md")}
    for name, (grp, value) in VARIABLES.items():
        if grp == group:
            values[name] = fill[value]() if isinstance(value, str) and value in fill else value
    values.update(extra or {})
    return write_inventory(tmp_path / ("inventory-" + group), values), values


def site(inv, *args, timeout=900):
    # Only the inventory gives cluster access: no KUBECONFIG / K8S_AUTH_* from the test's environment.
    return run_site_inventory(inv, *args, timeout=timeout)


def secret_data(env, ns, name):
    sec = k8s_get(env, f"/api/v1/namespaces/{ns}/secrets/{name}")
    return sec, {k: base64.b64decode(v).decode() for k, v in (sec.get("data") or {}).items()}


def rule_days(env, bucket, rule_id):
    rules = {r["ID"]: r for r in lifecycle(env, bucket)}
    return (rules.get(rule_id) or {}).get("Expiration", {}).get("Days")


def test_tempo_group_every_value_takes_effect(twin_factory, tmp_path):
    env = twin_factory(before_state=True, nodes=3)
    inv, values = inventory(tmp_path, env, "tempo")
    run = site(inv)
    assert run.rc == 0, run.output[-6000:]
    # tracing_kubeconfig + tracing_context: the current context goes nowhere; objects exist, so the run used "twin".
    otel_cm = k8s_get(env, "/api/v1/namespaces/opentelemetry/configmaps/otel-collector-config")
    config = yaml.safe_load(list(otel_cm["data"].values())[0])
    # tracing_sampling head + otel_collector_sampling_percentage: the agents sample, no tail tier
    assert float(config["processors"]["probabilistic_sampler"]["sampling_percentage"]) == 25
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["otlp_grpc"]
    assert k8s_get(env, "/apis/apps/v1/namespaces/tracing/deployments/otel-sampler") is None
    # ceph_bucket_claim_name (the claim, Bound, in the claim namespace)
    claim = k8s_get(env, "/apis/objectbucket.io/v1alpha1/namespaces/jaeger/objectbucketclaims/traces-claim")
    assert claim and claim["status"]["phase"] == "Bound"
    # ceph_bucket_retention_days (the backstop as set, read over S3 through ceph_bucket_s3_endpoint)
    bucket = claim["spec"]["bucketName"]
    assert rule_days(env, bucket, "jaeger-traces-retention") == 9
    # tracing_jaeger_namespace: Tempo, Jaeger Query and the storage Secret in "tracing"
    assert k8s_get(env, "/apis/apps/v1/namespaces/tracing/statefulsets/tempo") is not None
    assert k8s_get(env, "/apis/apps/v1/namespaces/tracing/deployments/jaeger-query") is not None
    # tracing_retention_days: Tempo keeps 5 days
    tempo_cm = k8s_get(env, "/api/v1/namespaces/tracing/configmaps/tempo")
    assert yaml.safe_load(tempo_cm["data"]["tempo.yaml"])["compactor"]["compaction"]["block_retention"] == "120h"
    # jaeger_production_storage_secret_name: step 3 writes that Secret (and no other), Tempo reads it
    assert k8s_get(env, "/api/v1/namespaces/tracing/secrets/jaeger-storage") is None
    tempo_sts = k8s_get(env, "/apis/apps/v1/namespaces/tracing/statefulsets/tempo")
    refs = {src["secretRef"]["name"] for c in tempo_sts["spec"]["template"]["spec"]["containers"]
            for src in c.get("envFrom") or [] if "secretRef" in src}
    refs |= {e["valueFrom"]["secretKeyRef"]["name"] for c in tempo_sts["spec"]["template"]["spec"]["containers"]
             for e in c.get("env") or [] if "secretKeyRef" in (e.get("valueFrom") or {})}
    assert refs == {"tempo-s3"}, refs
    # tracing_storage_endpoint, and the claim the Secret came from
    sec, data = secret_data(env, "tracing", "tempo-s3")
    assert sec["metadata"]["labels"]["tracing.talos-homelab.io/source-claim"] == "traces-claim"
    assert data["S3_ENDPOINT"] == "rook-ceph-rgw-ceph-objectstore.rook-ceph:80"
    # tracing_report_path + tracing_fail_under: the report the run wrote names the threshold it enforced
    report = open(values["tracing_report_path"], encoding="utf-8").read()
    assert "fail_under 50" in report

    # A custom claim name reaches a run of step 4 alone (the role then writes the Secret itself).
    run = site(inv, "--tags", "jaeger_production")
    assert run.rc == 0, run.output[-6000:]
    sec, _data = secret_data(env, "tracing", "tempo-s3")
    assert sec["metadata"]["labels"]["tracing.talos-homelab.io/source-claim"] == "traces-claim"
    assert k8s_get(env, "/api/v1/namespaces/tracing/secrets/jaeger-storage") is None


def test_grpc_group_refuses_contradictions_then_takes_effect(twin_factory, tmp_path):
    env = twin_factory(before_state=True, nodes=3)
    # Contradictory: in grpc-plugin mode the lifecycle IS the retention; two different values are refused.
    contradiction = dict(PLUGIN, tracing_retention_days=6, ceph_bucket_retention_days=9, tracing_fail_under=0)
    inv, _values = inventory(tmp_path, env, "grpc", extra=contradiction)
    twin_stats(env, reset=True)
    run = site(inv)
    assert run.rc != 0
    msg = assert_clean_failure(run.output)
    assert "tracing_retention_days 6 and ceph_bucket_retention_days 9 contradict each other" in msg, msg
    assert "Fix: set only tracing_retention_days" in msg and "Nothing was written" in msg
    assert twin_stats(env)["writes"] == 0

    # tracing_storage_mode: grpc-plugin reaches step 4: a Jaeger CR with the plugin, no Tempo; lifecycle = retention.
    inv, _values = inventory(tmp_path, env, "grpc", extra=dict(PLUGIN, tracing_retention_days=6, tracing_fail_under=0))
    run = site(inv, "-vvv")
    assert run.rc == 0, run.output[-6000:]
    # tracing_modules_in_worker false: every module of the collection ran as its own process.
    assert "runs as a separate process: tracing_modules_in_worker is false" in run.output
    assert "runs in the worker" not in run.output
    cr = k8s_get(env, "/apis/jaegertracing.io/v1/namespaces/jaeger/jaegers/jaeger")
    assert cr["spec"]["strategy"] == "production" and cr["spec"]["storage"]["type"] == "grpc-plugin", cr["spec"]
    assert k8s_get(env, "/apis/apps/v1/namespaces/jaeger/statefulsets/tempo") is None
    assert rule_days(env, "jaeger-traces", "jaeger-traces-retention") == 6
    _sec, data = secret_data(env, "jaeger", "jaeger-storage")
    # the grpc-plugin form of the Secret (a URL), https because tracing_storage_insecure is false
    assert data["S3_ENDPOINT"].startswith("https://"), data["S3_ENDPOINT"]
    assert data["S3_INSECURE"] == "false"  # tracing_storage_insecure
    # tracing_sampling tail (default) with the tail_sampler_* rows: the sampler tier as set
    sampler = k8s_get(env, "/apis/apps/v1/namespaces/jaeger/deployments/otel-sampler")
    assert sampler["spec"]["replicas"] == 2 and sampler["status"]["readyReplicas"] == 2
    # 60000 spans/s / 2 x 5 s = 150,000 spans held; 64 MiB + 150,000 x (0.8 KiB + 3.15 x 1 KiB) = 642.6 MiB
    # (otel_config/sizing.py): request 643 Mi, limit 1.25x = 804 Mi
    resources = sampler["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["memory"] == "643Mi" and resources["limits"]["memory"] == "804Mi"
    sampler_cm = k8s_get(env, "/api/v1/namespaces/jaeger/configmaps/otel-sampler-config")
    tail = yaml.safe_load(sampler_cm["data"]["config.yaml"])["processors"]["tail_sampling"]
    assert tail["decision_wait"] == "5s"
    assert [p["probabilistic"]["sampling_percentage"] for p in tail["policies"] if p["type"] == "probabilistic"] == [5.0]


def test_canary_group_runs_the_canary_in_step_5(twin_factory, tmp_path):
    env = twin_factory(before_state=True, nodes=3)
    inv, _values = inventory(tmp_path, env, "canary")
    run = site(inv)
    assert run.rc != 0, run.output[-6000:]
    # steps 1-4 converged; step 5 sent the canary through the API server's service proxy to the agents,
    # and the twin's agents (no process) took nothing
    assert "Failed the end-to-end canary at the agents: the agents did not take the canary's spans" in run.output, run.output[-6000:]
    assert k8s_get(env, "/apis/apps/v1/namespaces/jaeger/statefulsets/tempo") is not None
