# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_bucket_lifecycle through real ansible-playbook against the real Ceph RGW.

The RGW comes from the twin (session fixture ``twin`` of conftest.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import uuid

import pytest

from runner import run_module

MODULE = "talos_homelab.tracing.ceph_bucket_lifecycle"
RULE_ID = "jaeger-traces-retention"
FOREIGN = {"ID": "loki-retention", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 30}}


# ---------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def s3env(twin):
    """``{S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, TWIN_STATE_DIR, backend}`` of the twin's RGW."""
    env = dict(twin)
    env.setdefault("backend", env.get("S3_BACKEND", "rgw"))
    return env


@pytest.fixture(scope="module")
def s3(s3env):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=s3env["S3_ENDPOINT"], aws_access_key_id=s3env["S3_ACCESS_KEY"],
        aws_secret_access_key=s3env["S3_SECRET_KEY"], region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 2}),
    )


def _rgw_only(s3env):
    if s3env.get("backend") not in (None, "rgw"):
        pytest.skip("needs the real Ceph RGW (S3 backend is %s)" % s3env.get("backend"))


@pytest.fixture
def bucket(s3):
    name = "it-lc-%s" % uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=name)
    yield name
    try:
        for obj in s3.list_objects_v2(Bucket=name).get("Contents", []):
            s3.delete_object(Bucket=name, Key=obj["Key"])
        s3.delete_bucket(Bucket=name)
    except Exception:  # best effort clean-up
        pass


def args(s3env, bucket_name, **kw):
    out = dict(bucket=bucket_name, endpoint_url=s3env["S3_ENDPOINT"], access_key=s3env["S3_ACCESS_KEY"],
               secret_key=s3env["S3_SECRET_KEY"], rules=[{"id": RULE_ID, "expiration_days": 7}])
    out.update(kw)
    return out


def lifecycle(s3, bucket):
    from botocore.exceptions import ClientError

    try:
        return s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchLifecycleConfiguration":
            return []
        raise


def days_by_id(rules):
    return dict((r["ID"], (r.get("Expiration") or {}).get("Days")) for r in rules)


# ---------------------------------------------------------------------- tests
def test_create_again_check_diff_remove_twice(s3env, s3, bucket):
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [FOREIGN]})

    res, out, _unused = run_module(MODULE, args(s3env, bucket))
    assert res.get("changed") is True and not res.get("failed"), out
    assert days_by_id(lifecycle(s3, bucket)) == {RULE_ID: 7, "loki-retention": 30}
    assert [r["id"] for r in res["managed_rules"]] == [RULE_ID]

    res, out, _unused = run_module(MODULE, args(s3env, bucket))
    assert res.get("changed") is False and not res.get("failed"), out

    # check mode: changed, nothing written
    res, out, _unused = run_module(MODULE, args(s3env, bucket, rules=[{"id": RULE_ID, "expiration_days": 3}]), check=True)
    assert res.get("changed") is True and not res.get("failed"), out
    assert res["managed_rules"][0]["expiration_days"] == 3  # what it would be
    assert days_by_id(lifecycle(s3, bucket))[RULE_ID] == 7

    # diff mode
    res, out, _unused = run_module(MODULE, args(s3env, bucket, rules=[{"id": RULE_ID, "expiration_days": 3}]), diff=True)
    assert res["changed"] is True
    before = dict((r["id"], r["expiration_days"]) for r in res["diff"]["before"]["rules"])
    after = dict((r["id"], r["expiration_days"]) for r in res["diff"]["after"]["rules"])
    assert before == {RULE_ID: 7, "loki-retention": 30} and after == {RULE_ID: 3, "loki-retention": 30}
    assert "expiration_days" in out  # the diff is printed
    assert days_by_id(lifecycle(s3, bucket))[RULE_ID] == 3

    # remove twice: only our ID goes
    res, out, _unused = run_module(MODULE, args(s3env, bucket, state="absent", rules=[{"id": RULE_ID}]))
    assert res["changed"] is True, out
    assert days_by_id(lifecycle(s3, bucket)) == {"loki-retention": 30}
    res, out, _unused = run_module(MODULE, args(s3env, bucket, state="absent", rules=[{"id": RULE_ID}]))
    assert res["changed"] is False, out

    # query
    res, out, _unused = run_module(MODULE, args(s3env, bucket, state="query", rules=[]))
    assert res["changed"] is False and [r["id"] for r in res["rules"]] == ["loki-retention"]


def test_no_configuration_then_last_rule_removed(s3env, s3, bucket):
    res, out, _unused = run_module(MODULE, args(s3env, bucket, state="query", rules=[]))
    assert res["rules"] == [] and not res.get("failed"), out  # RGW: 404 without a message
    run_module(MODULE, args(s3env, bucket))
    res, out, _unused = run_module(MODULE, args(s3env, bucket, state="absent"))
    assert res["changed"] is True, out
    assert lifecycle(s3, bucket) == []


def test_purge_rules(s3env, s3, bucket):
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [FOREIGN]})
    res, out, _unused = run_module(MODULE, args(s3env, bucket, purge_rules=True))
    assert res["changed"] is True, out
    assert days_by_id(lifecycle(s3, bucket)) == {RULE_ID: 7}


def test_prefix_and_all_actions_idempotent(s3env, s3, bucket):
    rules = [
        {"id": "b-traces", "prefix": "traces/", "expiration_days": 2, "abort_incomplete_multipart_upload_days": 1,
         "noncurrent_version_expiration_days": 3},
        {"id": "a-disabled", "expiration_days": 5, "status": "Disabled"},
    ]
    res, out, _unused = run_module(MODULE, args(s3env, bucket, rules=rules))
    assert res["changed"] is True and not res.get("failed"), out
    res, out, _unused = run_module(MODULE, args(s3env, bucket, rules=list(reversed(rules))))
    assert res["changed"] is False, out
    assert [r["id"] for r in res["rules"]] == ["a-disabled", "b-traces"]
    assert res["rules"][1]["prefix"] == "traces/" and res["rules"][1]["noncurrent_version_expiration_days"] == 3


def test_foreign_and_filter_keeps_its_prefix(s3env, s3, bucket):
    """Issue 9, item 1: RGW 16.2 returns And(prefix + 2 tags) as {Prefix, And: {Tags}}; our rewrite keeps the prefix."""
    _rgw_only(s3env)
    tags = [{"Key": "keep", "Value": "no"}, {"Key": "tier", "Value": "cold"}]
    archive = {"ID": "archive-tagged", "Status": "Enabled", "Filter": {"And": {"Prefix": "archive/", "Tags": tags}},
               "Expiration": {"Days": 60}}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [archive]})
    returned = lifecycle(s3, bucket)
    assert returned[0]["Filter"] == {"Prefix": "archive/", "And": {"Tags": tags}}  # RGW 16.2's own spelling
    for days in (7, 3):  # add our rule, then change it (tracing_retention_days changed)
        res, out, _unused = run_module(MODULE, args(s3env, bucket, rules=[{"id": RULE_ID, "expiration_days": days}]))
        assert res.get("changed") is True and not res.get("failed"), out
        assert [r for r in lifecycle(s3, bucket) if r["ID"] == "archive-tagged"] == returned
    res, out, _unused = run_module(MODULE, args(s3env, bucket, state="absent", rules=[{"id": RULE_ID}]))
    assert res.get("changed") is True and lifecycle(s3, bucket) == returned, out


@pytest.mark.parametrize("bad, needle", [
    (dict(rules=[{"id": RULE_ID, "expiration_days": 0}]), "fewer than 1 day"),
    (dict(rules=[{"id": RULE_ID, "expiration_days": 7}, {"id": RULE_ID, "expiration_days": 8}]), "used twice"),
    (dict(rules=[{"id": "x" * 256, "expiration_days": 7}]), "255"),
    (dict(rules=[{"id": RULE_ID}]), "no action"),
    (dict(rules=[{"id": RULE_ID, "abort_incomplete_multipart_upload_days": 0}]), "fewer than 1 day"),
    (dict(bucket="Not_A_Bucket"), "bucket name"),
])
def test_rgw_invalid_refused_before_any_request(s3env, s3, bucket, bad, needle):
    # An endpoint where nothing listens: the error must be the validation, not "unreachable".
    res, out, _unused = run_module(MODULE, args(s3env, bucket, endpoint_url="http://127.0.0.1:1", **bad))
    assert res.get("failed") is True, out
    assert needle in res["msg"] and "unreachable" not in res["msg"], res["msg"]
    assert res.get("fix")
    # And against RGW itself: refused the same way, nothing written.
    res, out, _unused = run_module(MODULE, args(s3env, bucket, **bad))
    assert res.get("failed") is True and needle in res["msg"], out
    assert lifecycle(s3, bucket) == []


def test_errors_no_such_bucket_bad_keys_unreachable(s3env, bucket):
    res, _unused, _unused = run_module(MODULE, args(s3env, "it-lc-missing-%s" % uuid.uuid4().hex[:8]))
    assert res["failed"] and "NoSuchBucket" in res["msg"] and res["fix"]
    if s3env.get("backend", "rgw") == "rgw":  # moto does not check credentials
        res, _unused, _unused = run_module(MODULE, args(s3env, bucket, access_key="NOTAKEY0000000000000"))
        assert res["failed"] and "InvalidAccessKeyId" in res["msg"]
        res, out, _unused = run_module(MODULE, args(s3env, bucket, secret_key="wrong-secret-value-123"))
        assert res["failed"] and "SignatureDoesNotMatch" in res["msg"]
        assert "wrong-secret-value-123" not in out
    res, _unused, _unused = run_module(MODULE, args(s3env, bucket, endpoint_url="http://127.0.0.1:1"))
    assert res["failed"] and "unreachable" in res["msg"] and "BUCKET_HOST" in res["fix"]


def test_secret_key_never_logged(s3env, bucket):
    res, out, _unused = run_module(MODULE, args(s3env, bucket), verbosity=3)
    assert res["changed"] is True
    assert s3env["S3_SECRET_KEY"] not in out


def _lc_process(s3env):
    state = s3env.get("TWIN_STATE_DIR")
    if not state:
        return
    from tests.twin import rgw

    try:
        rgw.Ceph(state).admin("lc", "process", timeout=60, check=False)
    except Exception:  # forcing is only a speed-up
        pass


def test_real_expiry_on_rgw(s3env, s3, bucket):
    """With rgw lc debug interval = 10 (10 s = 1 day), a Days=1 rule really deletes."""
    _rgw_only(s3env)
    other = "it-lc-other-%s" % uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=other)
    try:
        for b, key in ((bucket, "expire/a.bin"), (bucket, "keep/b.bin"), (other, "expire/c.bin")):
            s3.put_object(Bucket=b, Key=key, Body=b"span data")
        res, out, _unused = run_module(MODULE, args(s3env, bucket, rules=[{"id": RULE_ID, "prefix": "expire/", "expiration_days": 1}]))
        assert res["changed"] is True and not res.get("failed"), out

        def keys(b):
            return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", []))

        deadline = time.monotonic() + 120
        next_force = time.monotonic() + 25
        while "expire/a.bin" in keys(bucket) and time.monotonic() < deadline:
            if time.monotonic() > next_force:
                _lc_process(s3env)
                next_force = time.monotonic() + 20
            time.sleep(2)
        assert keys(bucket) == ["keep/b.bin"], "object under the managed prefix did not expire"
        assert keys(other) == ["expire/c.bin"]
    finally:
        for o in s3.list_objects_v2(Bucket=other).get("Contents", []):
            s3.delete_object(Bucket=other, Key=o["Key"])
        s3.delete_bucket(Bucket=other)


def test_foreign_and_rule_expires_only_its_scope_after_our_rewrite(s3env, s3, bucket):
    """The effect of issue 9, item 1 on data: after our rule is added and changed, the foreign
    And(prefix archive/ + 2 tags, 1 day) rule really expires tagged objects under archive/ only."""
    _rgw_only(s3env)
    tags = [{"Key": "keep", "Value": "no"}, {"Key": "tier", "Value": "cold"}]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "archive-tagged", "Status": "Enabled", "Filter": {"And": {"Prefix": "archive/", "Tags": tags}},
         "Expiration": {"Days": 1}}]})
    for key, tagging in (("archive/tagged.bin", "keep=no&tier=cold"), ("other/tagged.bin", "keep=no&tier=cold"),
                         ("archive/untagged.bin", None)):
        extra = {"Tagging": tagging} if tagging else {}
        s3.put_object(Bucket=bucket, Key=key, Body=b"span data", **extra)
    for days in (30, 20):  # our rule, on a prefix without objects: added, then changed
        res, out, _unused = run_module(MODULE, args(s3env, bucket, rules=[{"id": RULE_ID, "prefix": "jaeger/", "expiration_days": days}]))
        assert res.get("changed") is True and not res.get("failed"), out

    def keys():
        return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))

    deadline = time.monotonic() + 120
    next_force = time.monotonic() + 25
    while "archive/tagged.bin" in keys() and time.monotonic() < deadline:
        if time.monotonic() > next_force:
            _lc_process(s3env)
            next_force = time.monotonic() + 20
        time.sleep(2)
    assert "archive/tagged.bin" not in keys(), "the foreign rule did not expire its own object"
    _lc_process(s3env)  # one more pass over the bucket: the objects outside the rule's scope stay
    assert keys() == ["archive/untagged.bin", "other/tagged.bin"]


def test_credentials_from_claim_on_twin(twin, s3):
    """claim_name/claim_namespace: keys from the claim's Secret, endpoint_url overrides BUCKET_HOST."""
    from kubernetes import client

    core, custom = client.CoreV1Api(twin["kube"]), client.CustomObjectsApi(twin["kube"])
    ns = "it-lc-%s" % uuid.uuid4().hex[:8]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    try:
        name = "it-lc-claim-%s" % uuid.uuid4().hex[:8]
        custom.create_namespaced_custom_object("objectbucket.io", "v1alpha1", ns, "objectbucketclaims", {
            "apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim",
            "metadata": {"name": "traces", "namespace": ns},
            "spec": {"bucketName": name, "storageClassName": "rook-ceph-bucket"}})
        deadline = time.monotonic() + 30
        while (custom.get_namespaced_custom_object("objectbucket.io", "v1alpha1", ns, "objectbucketclaims", "traces")
               .get("status") or {}).get("phase") != "Bound":
            assert time.monotonic() < deadline, "claim not Bound"
            time.sleep(0.5)
        claim_args = dict(kubeconfig=twin["KUBECONFIG"], claim_name="traces", claim_namespace=ns,
                          endpoint_url=twin["S3_ENDPOINT"], rules=[{"id": RULE_ID, "expiration_days": 7}])
        res, out, _unused = run_module(MODULE, claim_args)
        assert res.get("changed") is True and res["bucket"] == name, out
        assert days_by_id(lifecycle(s3, name)) == {RULE_ID: 7}
        res, out, _unused = run_module(MODULE, claim_args)
        assert res.get("changed") is False, out
        # Without the override the in-cluster BUCKET_HOST is used: unreachable from the controller.
        res, out, _unused = run_module(MODULE, dict(claim_args, endpoint_url=None))
        assert res.get("failed") and "unreachable" in res["msg"] and "BUCKET_HOST" in res["fix"], out
    finally:
        core.delete_namespace(ns)
