# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role jaeger_production through real ansible-playbook against the twin (real RGW behind it).

Each scenario gets its own twin (conftest ``module_twin_factory``) so that the before-state is fresh:
* tempo mode: check mode on the before-state makes zero writes; the role converges (Tempo ready
  with 3 replicas against the real bucket, Jaeger Query 2 replicas, the allInOne CR gone); the
  re-run reports changed=0 and makes zero writes; check mode after convergence makes zero writes.
* preflight refusals fail before any write.
* grpc-plugin mode with an explicit plugin image and Jaeger < 1.58 reaches Running with
  3 collectors and 2 queries.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from runner import PLAYBOOK_BIN, claim_tasks, run_play, twin_stats

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

NS = "jaeger"
PLUGIN_IMAGE = "ghcr.io/example/jaeger-s3-plugin:1.0.0"
OLD_JAEGER = "docker.io/jaegertracing/jaeger-collector:1.57.0"
OLD_QUERY = "docker.io/jaegertracing/jaeger-query:1.57.0"


ROLE_TASK = {"name": "role under test", "ansible.builtin.include_role": {"name": "talos_homelab.tracing.jaeger_production"}}


def get(twin, kind, name, api_version="v1", namespace=NS):
    """Read one object with kubernetes.core through a play (None when absent)."""
    run = run_play(twin, [{"name": "read", "kubernetes.core.k8s_info": {"api_version": api_version, "kind": kind, "namespace": namespace,
                                                                        "name": name}, "register": "r"}], dump=("r",))
    assert run.rc == 0, run.output
    items = run.results["r"]["resources"]
    return items[0] if items else None


def play(twin, tasks, extra_vars=None, check=False, diff=False):
    """``tasks`` against ``twin`` (runner.run_play); returns (rc, output, recap dict)."""
    run = run_play(twin, tasks, extra_vars=extra_vars, check=check, diff=diff)
    return run.rc, run.output, run.recap


def assert_no_writes(twin, what, output):
    stats = twin_stats(twin)
    assert stats.get("writes") == 0, "%s made writes: %s\n%s" % (what, json.dumps(stats.get("by_verb")), output[-4000:])


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def tempo_twin(module_twin_factory):
    return module_twin_factory(before_state=True)


@pytest.fixture(scope="module")
def operator_twin(module_twin_factory):
    return module_twin_factory(before_state=True)


@pytest.fixture(scope="module")
def no_operator_twin(module_twin_factory):
    return module_twin_factory(before_state=True, no_jaeger_operator=True)


# ---------------------------------------------------------------------- tempo mode
def test_tempo_mode_check_converge_idempotent(tempo_twin):
    twin = tempo_twin
    rc, output, _unused = play(twin, claim_tasks())
    assert rc == 0, output

    # 1. check mode on the before-state: a plan, zero writes
    twin_stats(twin, reset=True)
    rc, output, recap = play(twin, [ROLE_TASK], check=True, diff=True)
    assert rc == 0, output
    assert recap.get("changed", 0) > 0, output
    assert (
        "in-memory traces are lost" in output
        or "traces it keeps in memory are lost" in output.lower()
        or "Traces it keeps in memory are lost" in output
    ), output
    assert_no_writes(twin, "check mode on the before-state", output)
    assert get(twin, "StatefulSet", "tempo", "apps/v1") is None

    # 2. converge
    rc, output, recap = play(twin, [ROLE_TASK])
    assert rc == 0, output
    assert recap["changed"] > 0

    sts = get(twin, "StatefulSet", "tempo", "apps/v1")
    assert sts["spec"]["replicas"] == 3
    assert sts["status"].get("readyReplicas") == 3
    tmpl = sts["spec"]["template"]
    assert tmpl["metadata"]["annotations"]["tracing.talos-homelab.io/checksum"] not in ("", "pending")
    tempo = tmpl["spec"]["containers"][0]
    assert "-target=scalable-single-binary" in tempo["args"]
    assert "-config.expand-env=true" in tempo["args"]
    assert tempo["envFrom"] == [{"secretRef": {"name": "jaeger-storage"}}]
    spread = tmpl["spec"]["topologySpreadConstraints"][0]
    assert spread["whenUnsatisfiable"] == "DoNotSchedule" and spread["topologyKey"] == "kubernetes.io/hostname"

    dep = get(twin, "Deployment", "jaeger-query", "apps/v1")
    assert dep["spec"]["replicas"] == 2 and dep["status"].get("readyReplicas") == 2
    names = [c["name"] for c in dep["spec"]["template"]["spec"]["containers"]]
    assert names == ["jaeger-query", "tempo-query"]
    env = {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["SPAN_STORAGE_TYPE"] == "grpc" and env["GRPC_STORAGE_SERVER"] == "localhost:7777"

    svc = get(twin, "Service", "jaeger-collector")
    ports = {p["name"]: p["port"] for p in svc["spec"]["ports"]}
    assert ports == {"grpc-otlp": 4317, "http-otlp": 4318}
    assert svc["spec"]["selector"] == {"app.kubernetes.io/name": "tempo", "app.kubernetes.io/component": "receiver"}
    assert not svc["metadata"].get("ownerReferences")

    cm = get(twin, "ConfigMap", "tempo")
    assert "block_retention: 168h" in cm["data"]["tempo.yaml"]
    assert "backend: tempo:3200" in cm["data"]["tempo-query.yaml"]
    assert get(twin, "PodDisruptionBudget", "tempo", "policy/v1")["spec"]["minAvailable"] == 2
    assert get(twin, "PodDisruptionBudget", "jaeger-query", "policy/v1")["spec"]["minAvailable"] == 1
    assert get(twin, "Jaeger", "jaeger", "jaegertracing.io/v1") is None

    # 3. re-run: changed=0 and zero API writes
    twin_stats(twin, reset=True)
    rc, output, recap = play(twin, [ROLE_TASK])
    assert rc == 0, output
    assert recap["changed"] == 0, output
    assert_no_writes(twin, "the re-run", output)

    # 4. check mode after convergence: nothing to do, zero writes
    twin_stats(twin, reset=True)
    rc, output, recap = play(twin, [ROLE_TASK], check=True, diff=True)
    assert rc == 0, output
    assert recap["changed"] == 0, output
    assert_no_writes(twin, "check mode after convergence", output)

    # 5. the Secret written by the site playbook's step 3: read its checksum, write nothing
    twin_stats(twin, reset=True)
    rc, output, recap = play(twin, [ROLE_TASK], extra_vars={"jaeger_production_manage_storage_secret": False})
    assert rc == 0, output
    assert recap["changed"] == 0, output
    assert_no_writes(twin, "the re-run reading the Secret", output)

    # 6. ... and a clear error when that Secret is missing
    twin_stats(twin, reset=True)
    rc, output, _unused = play(
        twin, [ROLE_TASK], extra_vars={"jaeger_production_manage_storage_secret": False, "jaeger_production_storage_secret_name": "missing"}
    )
    assert rc != 0, output
    assert "Failed to read the storage Secret jaeger/missing" in output, output
    assert_no_writes(twin, "missing storage Secret", output)


# ---------------------------------------------------------------------- preflight refusals
REFUSALS = [
    (
        "grpc-plugin with Jaeger 1.65",
        {
            "jaeger_production_storage_mode": "grpc-plugin",
            "jaeger_production_collector_image": "docker.io/jaegertracing/jaeger-collector:1.65.0",
            "jaeger_production_grpc_plugin_query_image": OLD_QUERY,
            "jaeger_production_grpc_plugin_image": PLUGIN_IMAGE,
            "jaeger_production_grpc_plugin_binary": "/plugin/s3",
        },
        "cannot run storage type grpc-plugin",
    ),
    ("latest tag", {"jaeger_production_tempo_image": "docker.io/grafana/tempo:latest"}, "is tagged 'latest'"),
    (
        "jaeger-s3 image",
        {
            "jaeger_production_storage_mode": "grpc-plugin",
            "jaeger_production_collector_image": OLD_JAEGER,
            "jaeger_production_grpc_plugin_query_image": OLD_QUERY,
            "jaeger_production_grpc_plugin_image": "jaegertracing/jaeger-s3:1.0.0",
            "jaeger_production_grpc_plugin_binary": "/plugin/jaeger-s3",
        },
        "jaegertracing/jaeger-s3 image",
    ),
    (
        "plugin image missing",
        {
            "jaeger_production_storage_mode": "grpc-plugin",
            "jaeger_production_collector_image": OLD_JAEGER,
            "jaeger_production_grpc_plugin_query_image": OLD_QUERY,
        },
        "No official S3 storage plugin image exists",
    ),
    ("sampling rate 0", {"jaeger_production_sampling_rate": 0}, "0 < rate <= 1"),
    ("zero replicas", {"jaeger_production_query_replicas": 0}, "must be >= 1"),
]


@pytest.mark.parametrize("label,extra,message", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_preflight_refuses_before_any_write(operator_twin, label, extra, message):
    twin_stats(operator_twin, reset=True)
    rc, output, _unused = play(operator_twin, [ROLE_TASK], extra_vars=extra)
    assert rc != 0, output
    assert message in output, output
    assert_no_writes(operator_twin, label, output)


def test_preflight_refuses_missing_operator(no_operator_twin):
    twin = no_operator_twin
    twin_stats(twin, reset=True)
    rc, output, _unused = play(
        twin,
        [ROLE_TASK],
        extra_vars={
            "jaeger_production_storage_mode": "grpc-plugin",
            "jaeger_production_collector_image": OLD_JAEGER,
            "jaeger_production_grpc_plugin_query_image": OLD_QUERY,
            "jaeger_production_grpc_plugin_image": PLUGIN_IMAGE,
            "jaeger_production_grpc_plugin_binary": "/plugin/s3",
        },
    )
    assert rc != 0, output
    assert "Failed to find the Jaeger operator" in output and "is missing" in output, output
    assert_no_writes(twin, "missing operator", output)


# ---------------------------------------------------------------------- grpc-plugin mode
def test_grpc_plugin_mode_reaches_running(operator_twin):
    twin = operator_twin
    rc, output, _unused = play(twin, claim_tasks())
    assert rc == 0, output
    extra = {
        "jaeger_production_storage_mode": "grpc-plugin",
        "jaeger_production_collector_image": OLD_JAEGER,
        "jaeger_production_grpc_plugin_query_image": OLD_QUERY,
        "jaeger_production_grpc_plugin_image": PLUGIN_IMAGE,
        "jaeger_production_grpc_plugin_binary": "/plugin/s3",
        "jaeger_production_grpc_plugin_config": {"bucket": "jaeger-traces"},
        "jaeger_production_wait_timeout": 300,
    }
    rc, output, recap = play(twin, [ROLE_TASK], extra_vars=extra)
    assert rc == 0, output
    assert "moves from strategy allInOne to production" in output, output

    cr = get(twin, "Jaeger", "jaeger", "jaegertracing.io/v1")
    assert cr["status"]["phase"] == "Running"
    spec = cr["spec"]
    assert spec["strategy"] == "production"
    assert spec["collector"]["replicas"] == 3 and "maxReplicas" not in spec["collector"]
    assert spec["query"]["replicas"] == 2
    assert spec["storage"]["type"] == "grpc-plugin"
    assert spec["storage"]["secretName"] == "jaeger-storage"
    assert set(spec["storage"]["options"]) == {"grpc-storage-plugin"}
    assert spec["sampling"]["options"] == {"default_strategy": {"type": "probabilistic", "param": 0.1}}
    assert get(twin, "Deployment", "jaeger-collector", "apps/v1")["status"]["readyReplicas"] == 3
    assert get(twin, "Deployment", "jaeger-query", "apps/v1")["status"]["readyReplicas"] == 2

    twin_stats(twin, reset=True)
    rc, output, recap = play(twin, [ROLE_TASK], extra_vars=extra)
    assert rc == 0, output
    assert recap["changed"] == 0, output
    assert_no_writes(twin, "grpc-plugin re-run", output)
