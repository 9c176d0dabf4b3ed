"""Role talos_homelab.tracing.ceph_bucket against the twin and its real Ceph RGW.

Both lifecycle mechanisms: Rook >= 1.17 (rule declared in the claim's additionalConfig.bucketLifecycle,
which Rook re-applies) and Rook 1.16 (rule put over S3 by the ceph_bucket_lifecycle module), the
refusal before any write when Rook does not allow bucketLifecycle, check mode and re-runs.
"""

from __future__ import annotations

import json
import os

import pytest

from runner import PLAYBOOK_BIN, k8s_get, lifecycle, run_role, twin_stats

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

OBC = "/apis/objectbucket.io/v1alpha1/namespaces/jaeger/objectbucketclaims/jaeger-traces"


def role_vars(env: dict, **extra) -> dict:
    out = {"ceph_bucket_s3_endpoint": env["S3_ENDPOINT"]}
    out.update(extra)
    return out


def assert_rule(rules: list, days: int = 7) -> None:
    ours = [r for r in rules if r["ID"] == "jaeger-traces-retention"]
    assert len(ours) == 1, rules
    assert ours[0]["Expiration"] == {"Days": days} and ours[0]["Status"] == "Enabled"


def test_rook_117_declares_the_rule_in_the_claim(twin_factory):
    env = twin_factory(nodes=1, rook_version="1.17")
    rc, recap, out = run_role(env, "ceph_bucket", role_vars(env))
    assert rc == 0, out
    assert recap["changed"] > 0
    obc = k8s_get(env, OBC)
    assert obc["status"]["phase"] == "Bound"
    assert obc["spec"]["bucketName"] == "jaeger-traces" and obc["spec"]["storageClassName"] == "rook-ceph-bucket"
    declared = json.loads(obc["spec"]["additionalConfig"]["bucketLifecycle"])
    assert [r["ID"] for r in declared["Rules"]] == ["jaeger-traces-retention"]
    assert_rule(lifecycle(env, "jaeger-traces"))

    twin_stats(env, reset=True)
    rc, recap, out = run_role(env, "ceph_bucket", role_vars(env))
    assert rc == 0, out
    assert recap["changed"] == 0, out
    assert twin_stats(env)["writes"] == 0

    twin_stats(env, reset=True)
    rc, recap, out = run_role(env, "ceph_bucket", role_vars(env), "--check", "--diff")
    assert rc == 0, out
    assert recap["changed"] == 0, out
    assert twin_stats(env)["writes"] == 0


def test_rook_116_puts_the_rule_over_s3(twin_factory):
    env = twin_factory(nodes=1, rook_version="1.16")
    rc, recap, out = run_role(env, "ceph_bucket", role_vars(env))
    assert rc == 0, out
    obc = k8s_get(env, OBC)
    assert obc["status"]["phase"] == "Bound"
    assert "bucketLifecycle" not in (obc["spec"].get("additionalConfig") or {})
    assert_rule(lifecycle(env, "jaeger-traces"))

    rc, recap, out = run_role(env, "ceph_bucket", role_vars(env))
    assert rc == 0, out
    assert recap["changed"] == 0, out


def test_disallowed_bucket_lifecycle_fails_before_any_write(twin_factory):
    env = twin_factory(nodes=1, rook_version="1.17", obc_allowed_fields="maxObjects,maxSize")
    twin_stats(env, reset=True)
    rc, recap, out = run_role(env, "ceph_bucket", role_vars(env))
    assert rc != 0
    assert "ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS" in out and "Nothing was written" in out, out
    assert "kubectl -n rook-ceph patch configmap rook-ceph-operator-config" in out
    counted = twin_stats(env)
    assert counted["writes"] == 0 and counted.get("write_requests", 0) == 0, counted
    assert k8s_get(env, OBC) is None


def test_check_mode_in_a_namespace_the_run_would_create(twin_factory):
    env = twin_factory(nodes=1)
    assert k8s_get(env, "/api/v1/namespaces/jaeger") is None
    twin_stats(env, reset=True)
    rc, recap, out = run_role(env, "ceph_bucket", role_vars(env), "--check", "--diff")
    assert rc == 0, out
    assert "does not exist yet" in out
    assert twin_stats(env)["writes"] == 0


@pytest.mark.parametrize("bad, needle", [
    ({"ceph_bucket_retention_days": 0}, "ceph_bucket_retention_days must be an integer >= 1"),
    ({"ceph_bucket_bucket_name": "Jaeger_Traces"}, "S3 naming"),
    ({"ceph_bucket_storage_class": "no-such-class"}, "does not exist"),
    ({"ceph_bucket_additional_config": {"bucketPolicy": "{}"}}, "are not in"),
])
def test_bad_input_fails_before_any_write(twin_factory, bad, needle):
    env = twin_factory(nodes=1)
    twin_stats(env, reset=True)
    rc, recap, out = run_role(env, "ceph_bucket", role_vars(env, **bad))
    assert rc != 0
    assert needle in out, out
    counted = twin_stats(env)
    assert counted["writes"] == 0 and counted.get("write_requests", 0) == 0, counted
