# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The claim read once and handed on (module_utils/claim_reads.py), in ceph_bucket_lifecycle (step 2's
verify) and jaeger_storage_secret (step 3): fewer reads when the hand-off is current, the old reads
when it is not (claim created again, not Bound, being deleted, another claim), never a credential in it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils import claim_reads as cr
from ansible_collections.talos_homelab.tracing.plugins.module_utils import lifecycle as lc
from ansible_collections.talos_homelab.tracing.plugins.module_utils import storage_secret as ss
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

from .fakes import FakeK8s, b64

ACCESS = "AKIAEXAMPLEACCESS01"
SECRET = "s3cr3t-Value-That-Must-Never-Leak"
CM = {"BUCKET_HOST": "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc", "BUCKET_PORT": "80",
      "BUCKET_NAME": "jaeger-traces", "BUCKET_REGION": "us-east-1", "BUCKET_SUBREGION": ""}
UID = "uid-1"
OWNER = [{"apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim", "name": "jaeger-traces", "uid": UID}]


def claim(phase="Bound", uid=UID, **meta):
    return {"apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim",
            "metadata": dict({"name": "jaeger-traces", "namespace": "jaeger", "uid": uid, "resourceVersion": "7",
                              "managedFields": [{"manager": "x"}]}, **meta),
            "spec": {"bucketName": "jaeger-traces"}, "status": {"phase": phase}}


def cluster(uid=UID, owner_uid=UID, cm=None, creds=None, phase="Bound", secret_meta=None):
    owner = [dict(OWNER[0], uid=owner_uid)]
    creds = creds or {"AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET}
    return FakeK8s([
        ("objectbucketclaims", claim(phase=phase, uid=uid)),
        ("namespaces", {"metadata": {"name": "jaeger"}}),
        ("secrets", {"metadata": dict({"name": "jaeger-traces", "namespace": "jaeger", "ownerReferences": owner},
                                      **(secret_meta or {})),
                     "data": dict((k, b64(v)) for k, v in creds.items())}),
        ("configmaps", {"metadata": {"name": "jaeger-traces", "namespace": "jaeger", "ownerReferences": owner},
                        "data": dict(cm or CM)}),
    ])


def gets(k8s, plural):
    return sum(1 for c in k8s.calls if c[0] == "get" and c[1] == plural)


# ------------------------------------------------------------------ pure
def test_known_claim_is_this_bound_claim_trimmed():
    assert cr.known_claim(claim(), "jaeger-traces", "jaeger") == {
        "apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim",
        "metadata": {"name": "jaeger-traces", "namespace": "jaeger", "uid": UID, "resourceVersion": "7"},
        "status": {"phase": "Bound"}}


@pytest.mark.parametrize("obj, name, namespace", [
    (claim(phase="Pending"), "jaeger-traces", "jaeger"),
    (claim(phase="Failed"), "jaeger-traces", "jaeger"),
    (claim(uid=None), "jaeger-traces", "jaeger"),
    (claim(deletionTimestamp="2026-12-03T08:00:00Z"), "jaeger-traces", "jaeger"),
    (claim(), "other", "jaeger"),
    (claim(), "jaeger-traces", "other"),
    (dict(claim(), kind="Secret"), "jaeger-traces", "jaeger"),
    (None, "jaeger-traces", "jaeger"),
    ("not a dict", "jaeger-traces", "jaeger"),
])
def test_known_claim_refuses_what_cannot_spare_a_read(obj, name, namespace):
    assert cr.known_claim(obj, name, namespace) is None


def test_owned_by():
    sec = {"metadata": {"ownerReferences": OWNER}}
    assert cr.owned_by(sec, UID)
    assert not cr.owned_by(sec, "uid-2")
    assert not cr.owned_by({"metadata": {}}, UID)
    assert not cr.owned_by(None, UID)
    assert not cr.owned_by(sec, None)
    assert not cr.owned_by({"metadata": {"ownerReferences": OWNER, "deletionTimestamp": "now"}}, UID)


def test_config_handoff_keeps_the_four_keys():
    assert cr.config_handoff({"data": dict(CM, OTHER="x")}) == dict((k, CM[k]) for k in cr.HANDOFF_KEYS)
    assert cr.config_handoff(None) == {}


def test_reads_answers_a_primed_object_once_then_reads():
    k8s = cluster()
    reads = cr.Reads(k8s, [("objectbucket.io/v1alpha1", "objectbucketclaims", cr.known_claim(claim(), "jaeger-traces", "jaeger"))])
    first = reads.get("objectbucket.io/v1alpha1", "objectbucketclaims", "jaeger-traces", "jaeger")
    assert first["metadata"]["uid"] == UID and gets(k8s, "objectbucketclaims") == 0
    reads.get("objectbucket.io/v1alpha1", "objectbucketclaims", "jaeger-traces", "jaeger")
    assert gets(k8s, "objectbucketclaims") == 1
    assert reads.last("v1", "secrets", "jaeger-traces", "jaeger") is None
    reads.get("v1", "secrets", "jaeger-traces", "jaeger")
    assert reads.last("v1", "secrets", "jaeger-traces", "jaeger")["metadata"]["name"] == "jaeger-traces"


# ------------------------------------------------------------------ step 2: ceph_bucket_lifecycle query
class FakeS3(object):
    def __init__(self):
        self.params = None

    def __call__(self, params, check_mode=False):
        self.params = params
        return self

    def get_lifecycle(self, bucket):
        return [{"ID": "jaeger-traces-retention", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 8}}]


def query(k8s, known=None):
    params = dict(bucket=None, rules=[], purge_rules=False, state="query", claim_name="jaeger-traces",
                  claim_namespace="jaeger", endpoint_url="http://localhost:8080", access_key=None, secret_key=None,
                  region=None, s3_validate_certs=True, ca_bundle=None, known_claim=known)
    s3 = FakeS3()
    return lc.run(params, s3_factory=s3, k8s_factory=k8s), s3


def test_verify_starts_from_the_applied_claim_and_hands_on_no_credential():
    k8s = cluster()
    res, s3 = query(k8s, known=claim())
    assert gets(k8s, "objectbucketclaims") == 0 and gets(k8s, "secrets") == 1 and gets(k8s, "configmaps") == 1
    assert (s3.params["access_key"], s3.params["secret_key"]) == (ACCESS, SECRET)
    assert res["claim"]["metadata"]["uid"] == UID and res["claim"]["status"]["phase"] == "Bound"
    assert res["claim_config"] == dict((k, CM[k]) for k in cr.HANDOFF_KEYS)
    text = json.dumps(res)
    assert SECRET not in text and ACCESS not in text


def test_verify_without_a_known_claim_reads_it_and_still_hands_it_on():
    k8s = cluster()
    res, _s3 = query(k8s)
    assert gets(k8s, "objectbucketclaims") == 1
    assert res["claim"]["metadata"]["uid"] == UID and res["claim_config"]["BUCKET_NAME"] == "jaeger-traces"


def test_verify_reads_the_claim_again_when_its_secret_belongs_to_another():
    # Claim deleted and created again after the apply read it: its Secret has the new claim's uid.
    k8s = cluster(uid="uid-2", owner_uid="uid-2")
    res, _s3 = query(k8s, known=claim(uid=UID))
    assert gets(k8s, "objectbucketclaims") == 1 and gets(k8s, "secrets") == 2
    assert res["claim"]["metadata"]["uid"] == "uid-2"


def test_verify_reads_a_claim_that_was_not_bound_when_applied():
    k8s = cluster()
    query(k8s, known=claim(phase="Pending"))
    assert gets(k8s, "objectbucketclaims") == 1
    k8s = cluster(phase="Pending")
    with pytest.raises(TracingError, match="Pending"):
        query(k8s, known=claim(phase="Pending"))
    assert gets(k8s, "objectbucketclaims") == 1


def test_verify_hands_nothing_on_without_owner_references():
    k8s = cluster(owner_uid="someone-else")
    res, _s3 = query(k8s)
    assert "claim" not in res and "claim_config" not in res


# ------------------------------------------------------------------ step 3: jaeger_storage_secret
def write(k8s, check_mode=False, known=None, config=None, **params):
    p = dict(claim_name="jaeger-traces", claim_namespace="jaeger", namespace="jaeger", name="jaeger-storage",
             backend="tempo", endpoint=None, insecure=True, wait_timeout=0, state="present",
             known_claim=known, known_claim_config=config)
    p.update(params)
    return ss.run(p, check_mode=check_mode, k8s_factory=k8s, sleep=lambda s: None)


def stored(k8s):
    return ss.decode_data(k8s.objects[("secrets", "jaeger", "jaeger-storage")])


HANDOFF = dict(known=cr.known_claim(claim(), "jaeger-traces", "jaeger"), config=cr.config_handoff({"data": CM}))


def test_storage_secret_from_the_handoff_reads_only_the_credentials():
    plain = cluster()
    write(plain)
    k8s = cluster()
    res = write(k8s, **HANDOFF)
    assert res["changed"] and stored(k8s) == stored(plain)
    assert gets(k8s, "objectbucketclaims") == 0 and gets(k8s, "configmaps") == 0 and gets(k8s, "secrets") == 2
    again = write(k8s, **HANDOFF)
    assert not again["changed"] and again["checksum"] == res["checksum"]


def test_storage_secret_follows_credentials_rotated_in_place():
    k8s = cluster()
    first = write(k8s, **HANDOFF)
    k8s.objects[("secrets", "jaeger", "jaeger-traces")]["data"]["AWS_SECRET_ACCESS_KEY"] = b64("rotated-Secret-Key")
    res = write(k8s, **HANDOFF)
    assert res["changed"] and res["checksum"] != first["checksum"]
    assert stored(k8s)["AWS_SECRET_ACCESS_KEY"] == "rotated-Secret-Key"


def test_storage_secret_of_a_claim_created_again_comes_from_fresh_reads():
    # After step 2, the claim was deleted and created again with another bucket: the hand-off is stale.
    k8s = cluster(uid="uid-2", owner_uid="uid-2", cm=dict(CM, BUCKET_NAME="jaeger-traces-2"))
    write(k8s, **HANDOFF)
    assert stored(k8s)["S3_BUCKET"] == "jaeger-traces-2"
    assert gets(k8s, "objectbucketclaims") == 1 and gets(k8s, "configmaps") == 1


def test_storage_secret_whose_claim_secret_is_being_deleted_reads_the_claim():
    k8s = cluster(secret_meta={"deletionTimestamp": "2026-12-03T08:00:00Z"})
    write(k8s, **HANDOFF)
    assert gets(k8s, "objectbucketclaims") == 1 and gets(k8s, "configmaps") == 1


def test_storage_secret_with_a_handoff_not_bound_waits_like_before():
    k8s = cluster(phase="Pending")
    with pytest.raises(TracingError, match="still Pending"):
        write(k8s, known=claim(phase="Pending"), config=HANDOFF["config"])
    assert gets(k8s, "secrets") == 1  # only the target Secret: no credentials read for a claim not Bound


@pytest.mark.parametrize("known, config", [
    (HANDOFF["known"], {}),
    (HANDOFF["known"], {"BUCKET_HOST": CM["BUCKET_HOST"]}),
    (None, HANDOFF["config"]),
    (dict(HANDOFF["known"], metadata=dict(HANDOFF["known"]["metadata"], name="other")), HANDOFF["config"]),
])
def test_storage_secret_with_a_partial_handoff_reads_everything(known, config):
    k8s = cluster()
    write(k8s, known=known, config=config)
    assert gets(k8s, "objectbucketclaims") == 1 and gets(k8s, "configmaps") == 1
    assert stored(k8s)["S3_BUCKET"] == "jaeger-traces"


def test_storage_secret_handoff_in_check_mode_writes_nothing():
    k8s = cluster()
    res = write(k8s, check_mode=True, **HANDOFF)
    assert res["changed"] and k8s.writes == []


def test_storage_secret_handoff_grpc_plugin_form():
    k8s = cluster()
    write(k8s, backend="grpc-plugin", **HANDOFF)
    assert stored(k8s)["S3_ENDPOINT"] == "http://rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80"
    k8s = cluster()
    write(k8s, backend="grpc-plugin", endpoint="https://rgw.lan", known=HANDOFF["known"], config={"BUCKET_NAME": "jaeger-traces"})
    assert stored(k8s)["S3_ENDPOINT"] == "https://rgw.lan" and gets(k8s, "configmaps") == 0


def test_uid_of_an_object_or_none():
    assert cr.uid(claim()) == UID
    assert cr.uid(None) is None and cr.uid({"metadata": {}}) is None
