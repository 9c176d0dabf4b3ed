"""Verify of the default scenario: the twin after the site playbook.

Reads the cluster through the real kubernetes client, the bucket through boto3 against the real
Ceph RGW, and scores the stack with the collection's own module run through testinfra's Ansible
backend.
"""

import base64
import json
import os
import pathlib

import boto3
import pytest
import yaml
from botocore.config import Config
from kubernetes import client, config

ENV_FILE = pathlib.Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "twin.env"


def _env():
    out = {}
    for line in ENV_FILE.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _unused, value = line.partition("=")
            out[key.strip()] = value.strip().strip("'\"")
    return out


@pytest.fixture(scope="module")
def env():
    return _env()


@pytest.fixture(scope="module")
def api(env):
    return config.new_client_from_config(config_file=env["KUBECONFIG"])


def test_collector_daemonset_took_over_and_runs_on_every_node(api):
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    daemonsets = apps.list_namespaced_daemon_set("opentelemetry").items
    assert [d.metadata.name for d in daemonsets] == ["otel-collector"], "exactly one collector DaemonSet"
    ds = daemonsets[0]
    nodes = core.list_node().items
    assert ds.status.number_ready == len(nodes) == 6
    container = ds.spec.template.spec.containers[0]
    assert container.image == "otel/opentelemetry-collector-contrib:0.159.0"
    cfg = core.read_namespaced_config_map("otel-collector-config", "opentelemetry").data["config.yaml"]
    assert "jaeger-system" not in cfg and "14250" not in cfg
    # Tail sampling (the default): the agents route every trace by its ID to the sampler tier, with no
    # head sampler before it (the sampler tier exports to Tempo; jaeger-collector stays for direct senders).
    parsed = yaml.safe_load(cfg)
    lb = parsed["exporters"]["load_balancing"]
    assert lb["routing_key"] == "traceID"
    assert lb["resolver"]["k8s"] == {"service": "otel-sampler.jaeger", "ports": [4317]}
    traces = parsed["service"]["pipelines"]["traces"]
    assert traces["exporters"] == ["load_balancing"]
    assert "probabilistic_sampler" not in traces["processors"]
    samplers = apps.read_namespaced_deployment("otel-sampler", "jaeger")
    assert samplers.status.ready_replicas == 3


def test_bucket_claim_bound_and_storage_secret_has_no_plain_values_elsewhere(api):
    custom, core = client.CustomObjectsApi(api), client.CoreV1Api(api)
    claim = custom.get_namespaced_custom_object("objectbucket.io", "v1alpha1", "jaeger", "objectbucketclaims", "jaeger-traces")
    assert claim["status"]["phase"] == "Bound"
    secret = core.read_namespaced_secret("jaeger-storage", "jaeger")
    assert secret.metadata.annotations["tracing.talos-homelab.io/checksum"]
    assert secret.metadata.labels["tracing.talos-homelab.io/source-claim"] == "jaeger-traces"
    secret_key = base64.b64decode(secret.data["AWS_SECRET_ACCESS_KEY"]).decode()
    for cm in core.list_namespaced_config_map("jaeger").items:
        assert secret_key not in json.dumps(cm.data or {}), f"secret key leaked into ConfigMap {cm.metadata.name}"


def test_jaeger_production_replicas_spread_over_nodes(api):
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    tempo = apps.read_namespaced_stateful_set("tempo", "jaeger")
    query = apps.read_namespaced_deployment("jaeger-query", "jaeger")
    assert tempo.status.ready_replicas == 3
    assert query.status.ready_replicas == 2
    for selector, count in (("app.kubernetes.io/name=tempo", 3), ("app.kubernetes.io/name=jaeger-query", 2)):
        pods = core.list_namespaced_pod("jaeger", label_selector=selector).items
        assert len({p.spec.node_name for p in pods}) == count, f"{selector} pods share a node"
    svc = core.read_namespaced_service("jaeger-collector", "jaeger")
    assert {p.port for p in svc.spec.ports} >= {4317, 4318}
    pdbs = {p.metadata.name for p in client.PolicyV1Api(api).list_namespaced_pod_disruption_budget("jaeger").items}
    assert {"tempo", "jaeger-query"} <= pdbs
    jaegers = client.CustomObjectsApi(api).list_namespaced_custom_object("jaegertracing.io", "v1", "jaeger", "jaegers")["items"]
    assert all(j["spec"].get("strategy") != "allInOne" for j in jaegers), "the in-memory all-in-one is gone"


def test_lifecycle_rule_read_from_the_real_rgw(api, env):
    core = client.CoreV1Api(api)
    creds = core.read_namespaced_secret("jaeger-traces", "jaeger").data
    s3 = boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT"],
        aws_access_key_id=base64.b64decode(creds["AWS_ACCESS_KEY_ID"]).decode(),
        aws_secret_access_key=base64.b64decode(creds["AWS_SECRET_ACCESS_KEY"]).decode(),
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )
    rules = s3.get_bucket_lifecycle_configuration(Bucket="jaeger-traces")["Rules"]
    ours = [r for r in rules if r["ID"] == "jaeger-traces-retention"]
    assert len(ours) == 1 and ours[0]["Status"] == "Enabled"
    # Tempo's block_retention is 7 days; the bucket rule is a longer backstop (docs/storage.md).
    assert ours[0]["Expiration"]["Days"] > 7


def test_readiness_is_100_for_every_component(host, env):
    result = host.ansible(
        "talos_homelab.tracing.tracing_readiness",
        f"kubeconfig={env['KUBECONFIG']} s3_endpoint_url={env['S3_ENDPOINT']} fail_under=100",
        check=False,
    )
    assert result.get("failed") is not True, result.get("msg")
    assert result["score"] == 100
    assert result["verdict"] == "PRODUCTION-READY"
    for name, component in result["components"].items():
        assert component["score"] == 100, (name, [c for c in component["checks"] if not c["passed"]])
    assert "VERDICT:" in result["report"]
