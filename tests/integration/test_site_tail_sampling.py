"""Issue 12 acceptance: "10% baseline, 100% errors" as a tail-sampling tier, driven as a user does.

An inventory (``group_vars/all.yml``) and the site playbook against the before-state twin:

* ``--check --diff`` previews the sampler tier and the resolver's Role and writes nothing;
* the run converges to 100/100 with tail sampling: the agents export by trace ID (load_balancing, k8s
  resolver on jaeger/otel-sampler, no head sampler), the resolver's Role grants endpointslices in the
  sampler namespace only (what 0.159.0 lists), 3 samplers run ready on 3 nodes behind a PDB, and the
  samplers' rendered policies keep every synthetic error trace and about 10% of the others
  (module_utils/sampling.py; no Collector runs on the twin);
* a re-run changes nothing and writes nothing;
* a probabilistic sampler put back on the agents (otel_collector_config_overrides) lowers the score
  and names the fix; removing the RoleBinding leaves the agents unready with the resolver's error
  and the report names the grant;
* ``tracing_sampling: head`` still runs: the agents sample 10% themselves, no sampler tier is made,
  and the report says head sampling runs (which cannot score 100).

Measured here: 5 site runs (one in check mode) + 1 readiness run, about 4-5 minutes on 2 shared cores.
"""

from __future__ import annotations

import os
import sys

import pytest
import yaml

from runner import COLLECTIONS, PLAYBOOK_BIN, checks_by_id, ensure_collection_link, k8s_get, run_readiness, run_site_inventory, twin_stats, write_inventory

ensure_collection_link()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

HEAD_AGAIN = {"processors": {"probabilistic_sampler": {"sampling_percentage": 10, "hash_seed": 22}},
              "service": {"pipelines": {"traces": {"processors": ["memory_limiter", "probabilistic_sampler", "resource", "batch"]}}}}


def inventory(tmp_path, env, **values):
    all_vars = {"tracing_kubeconfig": env["KUBECONFIG"], "ceph_bucket_s3_endpoint": env["S3_ENDPOINT"],
                "tracing_report_path": str(tmp_path / "readiness.md")}
    all_vars.update(values)
    return write_inventory(tmp_path / "inventory", all_vars)


def site(inv, *args):
    return run_site_inventory(inv, *args, timeout=900)


def agent_config(env):
    cm = k8s_get(env, "/api/v1/namespaces/opentelemetry/configmaps/otel-collector-config")
    return yaml.safe_load(cm["data"]["config.yaml"])


def sampler_config(env):
    cm = k8s_get(env, "/api/v1/namespaces/jaeger/configmaps/otel-sampler-config")
    return yaml.safe_load(cm["data"]["config.yaml"])


def report(tmp_path):
    return (tmp_path / "readiness.md").read_text()


def test_tail_sampling_site_converges_reruns_clean_and_lowers_the_score_when_broken(twin_factory, tmp_path):
    env = twin_factory(before_state=True, nodes=3)
    inv = inventory(tmp_path, env)

    # --check --diff: the new objects are previewed, nothing is written
    twin_stats(env, reset=True)
    run = site(inv, "--check", "--diff")
    assert run.rc == 0, run.output[-6000:]
    assert twin_stats(env)["writes"] == 0
    for obj in ("Deployment/jaeger/otel-sampler", "PodDisruptionBudget/jaeger/otel-sampler", "Service/jaeger/otel-sampler",
                "Role/jaeger/otel-collector-resolver", "RoleBinding/jaeger/otel-collector-resolver",
                "ConfigMap/jaeger/otel-sampler-config"):
        assert "+++ after: %s (manifest)" % obj in run.output, obj
    assert "tail_sampling" in run.output and "keep-errors" in run.output
    assert k8s_get(env, "/apis/apps/v1/namespaces/jaeger/deployments/otel-sampler") is None

    # the run: 100/100 with tail sampling
    run = site(inv)
    assert run.rc == 0, run.output[-6000:]
    text = report(tmp_path)
    assert "VERDICT: PRODUCTION-READY (overall 100/100" in text
    assert "Jaeger: 100/100" in text and "Sampling (agents -> tail samplers -> Tempo): 100/100" in text
    assert "tail sampling runs on jaeger/otel-sampler: every error trace kept, baseline 10%" in text

    agents = agent_config(env)
    traces = agents["service"]["pipelines"]["traces"]
    assert traces["exporters"] == ["load_balancing"]
    assert "probabilistic_sampler" not in traces["processors"] and "probabilistic_sampler" not in agents["processors"]
    lb = agents["exporters"]["load_balancing"]
    assert lb["routing_key"] == "traceID" and lb["resolver"] == {"k8s": {"service": "otel-sampler.jaeger", "ports": [4317]}}

    role = k8s_get(env, "/apis/rbac.authorization.k8s.io/v1/namespaces/jaeger/roles/otel-collector-resolver")
    assert role["rules"] == [{"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]}]
    binding = k8s_get(env, "/apis/rbac.authorization.k8s.io/v1/namespaces/jaeger/rolebindings/otel-collector-resolver")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "otel-collector", "namespace": "opentelemetry"}]
    cluster_roles = k8s_get(env, "/apis/rbac.authorization.k8s.io/v1/clusterroles")["items"]
    assert not any("endpoints" in (r.get("resources") or []) for cr in cluster_roles if cr["metadata"]["name"] == "otel-collector"
                   for r in cr.get("rules") or [])  # namespaced grant only

    dep = k8s_get(env, "/apis/apps/v1/namespaces/jaeger/deployments/otel-sampler")
    assert dep["spec"]["replicas"] == 3 and dep["status"]["readyReplicas"] == 3
    (ctr,) = dep["spec"]["template"]["spec"]["containers"]
    assert ctr["image"] == "otel/opentelemetry-collector-contrib:0.159.0"  # the agents' pinned version
    # measured rule (otel_config/sizing.py): 64 MiB + 3,333 spans x (0.8 KiB + 3.15 KiB) = 76.9 MiB; limit 1.25x
    assert ctr["resources"]["requests"]["memory"] == "77Mi" and ctr["resources"]["limits"]["memory"] == "97Mi"
    assert ctr["readinessProbe"]["httpGet"]["port"] == "health"
    pods = k8s_get(env, "/api/v1/namespaces/jaeger/pods?labelSelector=app.kubernetes.io/name%3Dotel-sampler")["items"]
    assert len({p["spec"]["nodeName"] for p in pods}) == 3
    pdb = k8s_get(env, "/apis/policy/v1/namespaces/jaeger/poddisruptionbudgets/otel-sampler")
    assert pdb["spec"]["maxUnavailable"] == 1

    conf = sampler_config(env)
    assert conf["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "tail_sampling", "batch"]
    assert conf["exporters"]["otlp_grpc"]["endpoint"] == "jaeger-collector.jaeger:4317"
    policies = conf["processors"]["tail_sampling"]["policies"]
    kept = sampling.simulate(policies, sampling.synthetic_traces(5000, 20))
    assert kept["errors_kept"] == kept["errors"] == 250
    assert 0.08 < kept["others_kept"] / float(kept["others"]) < 0.12

    # a re-run changes nothing and writes nothing
    twin_stats(env, reset=True)
    run = site(inv)
    assert run.rc == 0 and run.recap.get("changed") == 0, run.output[-6000:]
    assert twin_stats(env)["writes"] == 0

    # a head sampler put back on the agents: lower score, the fix named
    inv = inventory(tmp_path, env, otel_collector_config_overrides=HEAD_AGAIN, tracing_fail_under=0)
    run = site(inv)
    assert run.rc == 0, run.output[-6000:]
    text = report(tmp_path)
    assert "VERDICT: NOT PRODUCTION-READY" in text
    assert "No head sampler before the tail tier: probabilistic_sampler in agents' pipeline traces" in text
    assert "fix: remove probabilistic_sampler from the agents' traces pipeline (otel_collector_sampling: tail)" in text

    # the RoleBinding removed: agents unready with the reflector's error, the report names the grant
    from kubernetes import client

    client.RbacAuthorizationV1Api(env["kube"]).delete_namespaced_role_binding("otel-collector-resolver", "jaeger")
    rc, result, output = run_readiness(env, otel_namespace="opentelemetry", otel_name="otel-collector",
                                       jaeger_namespace="jaeger", claim_name="jaeger-traces", fail_under=0)
    assert rc == 0, output
    rbac = checks_by_id(result)["sampling_rbac"]
    assert not rbac["passed"] and "may not list endpointslices (discovery.k8s.io)" in rbac["evidence"]
    assert rbac["fix"].startswith("grant get/list/watch endpointslices with a Role and RoleBinding in namespace jaeger")
    assert result["components"]["sampling"]["score"] < 100
    events = k8s_get(env, "/api/v1/namespaces/opentelemetry/events")["items"]
    assert any(e["reason"] == "ContainerLog" and e["message"].startswith(
        'failed to list *v1.EndpointSlice: endpointslices is forbidden: User "system:serviceaccount:opentelemetry:otel-collector"')
        for e in events)
    assert not checks_by_id(result)["otel_ready"]["passed"]


def test_head_sampling_stays_available(twin_factory, tmp_path):
    env = twin_factory(before_state=True, nodes=3)
    inv = inventory(tmp_path, env, tracing_sampling="head", tracing_fail_under=0)
    run = site(inv)
    assert run.rc == 0, run.output[-6000:]
    traces = agent_config(env)["service"]["pipelines"]["traces"]
    assert traces["processors"] == ["memory_limiter", "probabilistic_sampler", "resource", "batch"]
    assert agent_config(env)["exporters"]["otlp_grpc"]["endpoint"] == "jaeger-collector.jaeger:4317"
    assert k8s_get(env, "/apis/apps/v1/namespaces/jaeger/deployments/otel-sampler") is None
    assert k8s_get(env, "/apis/rbac.authorization.k8s.io/v1/namespaces/jaeger/roles/otel-collector-resolver") is None
    text = report(tmp_path)
    assert "head sampling runs: probabilistic_sampler 10% on the agents" in text
    assert "Jaeger: 100/100" in text and "VERDICT: NOT PRODUCTION-READY" in text
