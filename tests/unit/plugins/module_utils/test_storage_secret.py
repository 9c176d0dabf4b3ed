# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils import storage_secret as ss
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

from .fakes import FakeK8s, b64

ACCESS = "AKIAEXAMPLEACCESS01"
SECRET = "s3cr3t-Value-That-Must-Never-Leak"
CM = {"BUCKET_HOST": "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc", "BUCKET_PORT": "80",
      "BUCKET_NAME": "jaeger-traces", "BUCKET_REGION": "us-east-1", "BUCKET_SUBREGION": ""}
CREDS = {"AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET}
PARAMS = dict(claim_name="jaeger-traces", claim_namespace="jaeger", namespace="jaeger", name="jaeger-storage",
              backend="tempo", endpoint=None, insecure=True, wait_timeout=5, state="present")


# ------------------------------------------------------------------ pure
def test_build_tempo():
    data = ss.build_data(CREDS, CM, backend="tempo")
    assert data == {
        "S3_ENDPOINT": "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80",
        "S3_BUCKET": "jaeger-traces", "AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET,
        "S3_REGION": "us-east-1", "S3_INSECURE": "true",
    }


def test_build_grpc_plugin_and_overrides():
    data = ss.build_data(CREDS, CM, backend="grpc-plugin")
    assert data["S3_ENDPOINT"] == "http://rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80"
    data = ss.build_data(CREDS, CM, backend="grpc-plugin", insecure=False)
    assert data["S3_ENDPOINT"].startswith("https://") and data["S3_INSECURE"] == "false"
    data = ss.build_data(CREDS, CM, backend="tempo", endpoint="https://rgw.lan:443/")
    assert data["S3_ENDPOINT"] == "rgw.lan:443"
    data = ss.build_data(CREDS, dict(CM, BUCKET_REGION=""), backend="grpc-plugin", endpoint="https://rgw.lan:443")
    assert data["S3_ENDPOINT"] == "https://rgw.lan:443" and data["S3_REGION"] == "us-east-1"


def test_build_missing_keys_named_without_values():
    with pytest.raises(TracingError) as exc:
        ss.build_data({"AWS_ACCESS_KEY_ID": ACCESS}, {"BUCKET_HOST": "h"}, claim="jaeger/jaeger-traces")
    assert "AWS_SECRET_ACCESS_KEY" in exc.value.message and "BUCKET_NAME" in exc.value.message
    assert ACCESS not in exc.value.message


def test_checksum_stable_and_sensitive():
    data = ss.build_data(CREDS, CM)
    assert ss.checksum(data) == ss.checksum(dict(reversed(list(data.items()))))
    assert len(ss.checksum(data)) == 64
    assert ss.checksum(data) != ss.checksum(dict(data, AWS_SECRET_ACCESS_KEY="rotated"))


def test_redacted_diff_never_shows_values():
    before = ss.build_data(CREDS, CM)
    after = dict(before, AWS_SECRET_ACCESS_KEY="rotated-secret-value", EXTRA="x")
    del after["S3_REGION"]
    diff = ss.redacted_diff(before, after)
    assert diff["keys"]["AWS_SECRET_ACCESS_KEY"] == "changed"
    assert diff["keys"]["EXTRA"] == "added"
    assert diff["keys"]["S3_REGION"] == "removed"
    assert diff["keys"]["S3_BUCKET"] == "unchanged"
    text = json.dumps(diff)
    for value in list(before.values()) + ["rotated-secret-value"]:
        if len(value) > 5:
            assert value not in text
    new = ss.redacted_diff(None, before)
    assert new["before"] == {} and set(new["keys"].values()) == {"added"}


def test_secret_differs():
    data = ss.build_data(CREDS, CM)
    obj = ss.desired_secret("jaeger-storage", "jaeger", data, "jaeger-traces")
    assert obj["metadata"]["labels"][ss.LABEL_SOURCE] == "jaeger-traces"
    assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "talos_homelab.tracing"
    assert obj["metadata"]["annotations"][ss.ANNOTATION_CHECKSUM] == ss.checksum(data)
    assert not ss.secret_differs(obj, data, "jaeger-traces")
    assert ss.secret_differs(None, data, "jaeger-traces")
    assert ss.secret_differs(obj, dict(data, S3_INSECURE="false"), "jaeger-traces")
    assert ss.secret_differs(obj, data, "other-claim")
    obj["metadata"]["annotations"][ss.ANNOTATION_CHECKSUM] = "x"
    assert ss.secret_differs(obj, data, "jaeger-traces")


def test_scrub():
    assert ss.scrub("bad value %s here" % SECRET, [SECRET]) == "bad value ******** here"


# ------------------------------------------------------------------ run() over a fake client
def cluster(phase="Bound", creds=None, with_target_ns=True):
    objs = [
        ("objectbucketclaims", {"metadata": {"name": "jaeger-traces", "namespace": "jaeger"},
                                "spec": {"storageClassName": "rook-ceph-bucket"}, "status": {"phase": phase}}),
    ]
    if with_target_ns:
        objs.append(("namespaces", {"metadata": {"name": "jaeger"}}))
    if phase == "Bound":
        objs.append(("secrets", {"metadata": {"name": "jaeger-traces", "namespace": "jaeger"},
                                 "data": dict((k, b64(v)) for k, v in (creds or CREDS).items())}))
        objs.append(("configmaps", {"metadata": {"name": "jaeger-traces", "namespace": "jaeger"}, "data": dict(CM)}))
    return FakeK8s(objs)


def run(k8s, check_mode=False, **params):
    p = dict(PARAMS)
    p.update(params)
    return ss.run(p, check_mode=check_mode, diff=True, k8s_factory=k8s, sleep=lambda s: None)


def test_run_create_again_rotate():
    k8s = cluster()
    res = run(k8s)
    assert res["changed"] and [w[0] for w in k8s.writes] == ["create"]
    assert res["keys"] == sorted(ss.KEYS)
    assert SECRET not in json.dumps(res) and ACCESS not in json.dumps(res)
    stored = k8s.objects[("secrets", "jaeger", "jaeger-storage")]
    assert ss.decode_data(stored)["AWS_SECRET_ACCESS_KEY"] == SECRET
    first = res["checksum"]

    res = run(k8s)
    assert not res["changed"] and len(k8s.writes) == 1 and res["checksum"] == first

    k8s.objects[("secrets", "jaeger", "jaeger-traces")]["data"]["AWS_SECRET_ACCESS_KEY"] = b64("rotated-secret")
    res = run(k8s)
    assert res["changed"] and k8s.writes[-1][0] == "replace" and res["checksum"] != first
    assert res["diff"]["keys"]["AWS_SECRET_ACCESS_KEY"] == "changed"
    assert "rotated-secret" not in json.dumps(res)


def test_run_check_mode_never_writes():
    k8s = cluster()
    res = run(k8s, check_mode=True)
    assert res["changed"] and k8s.writes == [] and k8s.dry_run_writes is False
    assert ("secrets", "jaeger", "jaeger-storage") not in k8s.objects
    run(k8s)
    k8s.objects[("secrets", "jaeger", "jaeger-traces")]["data"]["AWS_ACCESS_KEY_ID"] = b64("NEWKEY1234")
    res = run(k8s, check_mode=True)
    assert res["changed"] and len(k8s.writes) == 1
    res = run(k8s, check_mode=True, state="absent")
    assert res["changed"] and len(k8s.writes) == 1


def test_run_keeps_foreign_metadata():
    k8s = cluster()
    k8s.put("secrets", {"metadata": {"name": "jaeger-storage", "namespace": "jaeger", "resourceVersion": "7",
                                     "labels": {"team": "x"}, "annotations": {"note": "y"}}, "data": {"S3_BUCKET": b64("old")}})
    res = run(k8s)
    assert res["changed"] and res["diff"]["keys"]["S3_BUCKET"] == "changed"
    obj = k8s.writes[-1][2]
    assert obj["metadata"]["labels"]["team"] == "x" and obj["metadata"]["annotations"]["note"] == "y"
    assert obj["metadata"]["resourceVersion"] == "7"


def test_run_absent_twice():
    k8s = cluster()
    run(k8s)
    assert run(k8s, state="absent")["changed"]
    assert not run(k8s, state="absent")["changed"]


def test_run_claim_missing():
    k8s = cluster()
    del k8s.objects[("objectbucketclaims", "jaeger", "jaeger-traces")]
    with pytest.raises(TracingError, match="does not exist"):
        run(k8s)


def test_run_pending_times_out_with_events():
    k8s = cluster(phase="Pending")
    k8s.put("events", {"metadata": {"name": "e1", "namespace": "jaeger"}, "type": "Warning", "reason": "ProvisioningFailed",
                       "message": "storageclass not found", "involvedObject": {"kind": "ObjectBucketClaim", "name": "jaeger-traces"}})
    clock = iter(range(0, 1000)).__next__
    with pytest.raises(TracingError) as exc:
        ss.run(dict(PARAMS, wait_timeout=3), k8s_factory=k8s, sleep=lambda s: None, clock=lambda: float(clock()))
    msg = exc.value.message
    assert "still Pending after 3s" in msg and "storageclass not found" in msg and "rook-ceph-bucket" in msg
    gets = [c for c in k8s.calls if c[:2] == ("get", "objectbucketclaims")]
    assert 2 <= len(gets) <= 5


def test_run_waits_until_bound():
    k8s = cluster()
    k8s.objects[("objectbucketclaims", "jaeger", "jaeger-traces")]["status"]["phase"] = "Pending"
    seen = {"n": 0}

    def on_get(fake, plural, ns, name):
        if plural == "objectbucketclaims":
            seen["n"] += 1
            if seen["n"] == 3:
                fake.objects[("objectbucketclaims", "jaeger", "jaeger-traces")]["status"]["phase"] = "Bound"
    k8s.on_get = on_get
    assert run(k8s)["changed"] and seen["n"] == 3


def test_run_failed_claim():
    k8s = cluster(phase="Failed")
    with pytest.raises(TracingError, match="is Failed"):
        run(k8s)


def test_run_missing_keys_and_namespace():
    k8s = cluster(creds={"AWS_ACCESS_KEY_ID": ACCESS})
    with pytest.raises(TracingError) as exc:
        run(k8s)
    assert "AWS_SECRET_ACCESS_KEY" in exc.value.message and ACCESS not in exc.value.message
    k8s = cluster(with_target_ns=False)
    with pytest.raises(TracingError, match="namespace 'jaeger' does not exist"):
        run(k8s)
    assert k8s.writes == []


def test_write_error_is_scrubbed():
    k8s = cluster()

    def boom(obj, plural, action=None):
        raise TracingError(action, "422 Invalid: %s" % SECRET, "fix")
    k8s.create = boom
    with pytest.raises(TracingError) as exc:
        run(k8s)
    assert SECRET not in str(exc.value) and SECRET not in exc.value.message
