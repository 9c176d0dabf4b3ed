"""Acceptance of issue 23: bad inputs fail fast, name their cause from the cluster and leave a working trace path.

Each case is a user's inventory (group_vars, runner.write_inventory) on the seed's before-state with the seed's
own fix (the agents export OTLP to ``jaeger-collector.jaeger:4317``, served by the all-in-one Jaeger), run with the
site playbook as users run it. Each asserts the run failed, how fast, what the failure message names, and in the
cluster that the Service the agents' configuration exports traces to still has ready pods (runner.trace_path).
"""

from __future__ import annotations

import os
import time

import pytest

from runner import PLAYBOOK_BIN, assert_clean_failure, k8s_get, run_site_inventory, seed_fixed_agents, trace_path, write_inventory

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")


def run(env, tmp_path, **group_vars):
    inventory = write_inventory(tmp_path / "inventory", dict(
        {"tracing_kubeconfig": env["KUBECONFIG"], "ceph_bucket_s3_endpoint": env["S3_ENDPOINT"]}, **group_vars))
    start = time.monotonic()
    result = run_site_inventory(inventory, timeout=600)
    return result, time.monotonic() - start


def failed_task_took(out, needle):
    """The failure message of the last failed task (asserting a clean 'Failed to <action>' message)."""
    msg = assert_clean_failure(out)
    assert needle in msg, msg
    return msg


def test_misspelt_collector_key_fails_within_a_minute_naming_the_key_and_the_pod(twin_factory, tmp_path):
    env = twin_factory(before_state=True)
    seed_fixed_agents(env)
    result, took = run(env, tmp_path, otel_collector_config_overrides={
        "processors": {"batch": {"send_batch_size": None, "send_batch_sise": 8192}}})
    assert result.rc != 0, result.output[-4000:]
    msg = failed_task_took(result.output, "send_batch_sise")
    print("wall %.1f s; message: %s" % (took, msg))
    assert took < 60, took
    assert msg.startswith("Failed to roll out DaemonSet opentelemetry/otel-collector: stopped after"), msg
    assert "CrashLoopBackOff" in msg and "the refusal names key 'send_batch_sise'" in msg
    assert "pod otel-collector-" in msg, msg
    assert "The agents export traces to jaeger-collector.jaeger:4317 in this configuration." in msg
    assert "rollout undo daemonset/otel-collector" in msg
    # the destination of the agents' traces is still the all-in-one, which serves
    ok, detail = trace_path(env)
    assert ok and "jaeger/jaeger-collector: 1 ready pods" in detail, detail


def test_non_existent_sampler_image_fails_naming_the_image_and_the_pull_error(twin_factory, tmp_path):
    env = twin_factory(before_state=True)
    seed_fixed_agents(env)
    # a release with a configuration profile (0.999.0 is refused by the preflight before any write), a tag never pushed
    result, took = run(env, tmp_path, tail_sampler_image="otel/opentelemetry-collector-contrib:0.159.0-nonexistent")
    assert result.rc != 0, result.output[-4000:]
    msg = failed_task_took(result.output, "otel/opentelemetry-collector-contrib:0.159.0-nonexistent")
    print("wall %.1f s; message: %s" % (took, msg))
    assert msg.startswith("Failed to roll out Deployment jaeger/otel-sampler: stopped after"), msg
    assert "ImagePullBackOff" in msg or "ErrImagePull" in msg, msg
    # the pull error (the registry's answer), not only the kubelet's back-off
    assert "not found" in msg and "the refusal names image 'otel/opentelemetry-collector-contrib:0.159.0-nonexistent'" in msg, msg
    assert "The agents move to the samplers only once these are ready" in msg
    # step 4 failed before the agents moved: they still export to jaeger-collector, which Tempo now serves
    ok, detail = trace_path(env)
    assert ok and detail.startswith("otel-collector-config -> jaeger/jaeger-collector:"), detail
    svc = k8s_get(env, "/api/v1/namespaces/jaeger/services/jaeger-collector")
    assert svc["spec"]["selector"].get("app.kubernetes.io/name") == "tempo", svc["spec"]["selector"]
    assert not svc["metadata"].get("ownerReferences")
    ds = k8s_get(env, "/apis/apps/v1/namespaces/opentelemetry/daemonsets/otel-collector")
    assert ds["status"].get("numberReady") == ds["status"]["desiredNumberScheduled"], ds["status"]


def test_tempo_that_never_becomes_ready_leaves_the_agents_on_the_all_in_one(twin_factory, tmp_path):
    env = twin_factory(before_state=True)
    seed_fixed_agents(env)
    # an S3 endpoint no Service answers: Tempo's ingesters never open the bucket, /ready never answers 200
    result, took = run(env, tmp_path, tracing_storage_endpoint="rgw.nowhere.svc:80", jaeger_production_wait_timeout=30)
    assert result.rc != 0, result.output[-4000:]
    msg = failed_task_took(result.output, "StatefulSet jaeger/tempo")
    print("wall %.1f s; message: %s" % (took, msg))
    assert "Nothing was switched: Jaeger CR jaeger/jaeger still serves jaeger-collector:4317/4318" in msg, msg
    assert "not ready" in msg, msg
    # the all-in-one still runs and serves the agents' destination; its CR and Services are untouched
    assert k8s_get(env, "/apis/jaegertracing.io/v1/namespaces/jaeger/jaegers/jaeger") is not None
    svc = k8s_get(env, "/api/v1/namespaces/jaeger/services/jaeger-collector")
    assert svc["metadata"]["ownerReferences"][0]["kind"] == "Jaeger"
    ok, detail = trace_path(env)
    assert ok and "jaeger/jaeger-collector: 1 ready pods" in detail, detail
