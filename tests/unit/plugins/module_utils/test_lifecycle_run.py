# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils import lifecycle as lc
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

from .fakes import FakeK8s, FakeS3, b64

LOKI = {"ID": "loki-retention", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 30}}
OURS = {"id": "jaeger-traces-retention", "expiration_days": 7, "prefix": "", "status": "Enabled"}


def params(**kw):
    p = dict(bucket="jaeger-traces", rules=[dict(OURS)], purge_rules=False, state="present",
             endpoint_url="http://127.0.0.1:1", access_key="a", secret_key="b", region="us-east-1",
             s3_validate_certs=True, ca_bundle=None, claim_name=None, claim_namespace="default")
    p.update(kw)
    return p


def test_create_again_absent_twice():
    s3 = FakeS3({"jaeger-traces": [LOKI]})
    res = lc.run(params(), s3_factory=s3)
    assert res["changed"] and len(s3.writes) == 1
    assert [r["id"] for r in res["rules"]] == ["jaeger-traces-retention", "loki-retention"]
    assert res["managed_rules"] == [dict(OURS, abort_incomplete_multipart_upload_days=None, noncurrent_version_expiration_days=None)]
    assert res["diff"]["before"]["rules"][0]["id"] == "loki-retention"

    res = lc.run(params(), s3_factory=s3)  # RGW returns top-level Prefix, sorted: still unchanged
    assert not res["changed"] and len(s3.writes) == 1

    res = lc.run(params(state="absent", rules=[{"id": "jaeger-traces-retention"}]), s3_factory=s3)
    assert res["changed"] and [r["id"] for r in res["rules"]] == ["loki-retention"]
    res = lc.run(params(state="absent", rules=[{"id": "jaeger-traces-retention"}]), s3_factory=s3)
    assert not res["changed"] and len(s3.writes) == 2


def test_check_mode_never_writes():
    s3 = FakeS3({"jaeger-traces": []})
    res = lc.run(params(), check_mode=True, s3_factory=s3)
    assert res["changed"] and s3.writes == []
    assert res["rules"][0]["expiration_days"] == 7  # what it would be
    assert s3.buckets["jaeger-traces"] == []


def test_last_rule_removed_deletes_configuration():
    s3 = FakeS3({"jaeger-traces": []})
    lc.run(params(), s3_factory=s3)
    lc.run(params(state="absent"), s3_factory=s3)
    assert s3.writes[-1] == ("delete", "jaeger-traces")


def test_purge():
    s3 = FakeS3({"jaeger-traces": [LOKI]})
    res = lc.run(params(purge_rules=True), s3_factory=s3)
    assert [r["id"] for r in res["rules"]] == ["jaeger-traces-retention"]


def test_query():
    s3 = FakeS3({"loki-chunks": [LOKI]})
    res = lc.run(params(bucket="loki-chunks", state="query", rules=[]), s3_factory=s3)
    assert not res["changed"] and res["rules"][0]["expiration_days"] == 30 and s3.writes == []


@pytest.mark.parametrize("bad", [
    dict(rules=[dict(OURS, expiration_days=0)]),
    dict(rules=[dict(OURS), dict(OURS)]),
    dict(rules=[dict(OURS, id="x" * 256)]),
    dict(bucket="Bad_Bucket"),
])
def test_invalid_refused_before_any_request(bad):
    s3 = FakeS3({"jaeger-traces": []})
    with pytest.raises(TracingError):
        lc.run(params(**bad), s3_factory=s3)
    assert s3.reads == 0 and s3.writes == [] and not hasattr(s3, "params")


def test_credentials_from_claim_with_endpoint_override():
    k8s = FakeK8s([
        ("objectbucketclaims", {"metadata": {"name": "jaeger-traces", "namespace": "jaeger"}, "status": {"phase": "Bound"}}),
        ("secrets", {"metadata": {"name": "jaeger-traces", "namespace": "jaeger"},
                     "data": {"AWS_ACCESS_KEY_ID": b64("AK"), "AWS_SECRET_ACCESS_KEY": b64("SK")}}),
        ("configmaps", {"metadata": {"name": "jaeger-traces", "namespace": "jaeger"},
                        "data": {"BUCKET_HOST": "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc", "BUCKET_PORT": "80",
                                 "BUCKET_NAME": "jaeger-traces", "BUCKET_REGION": "us-east-1"}}),
    ])
    s3 = FakeS3({"jaeger-traces": []})
    p = params(bucket=None, endpoint_url="http://localhost:8080", access_key=None, secret_key=None,
               claim_name="jaeger-traces", claim_namespace="jaeger")
    res = lc.run(p, s3_factory=s3, k8s_factory=k8s)
    assert res["changed"] and res["bucket"] == "jaeger-traces"
    assert s3.params["endpoint_url"] == "http://localhost:8080"
    assert (s3.params["access_key"], s3.params["secret_key"]) == ("AK", "SK")
    p["endpoint_url"] = None
    lc.run(p, s3_factory=s3, k8s_factory=k8s)
    assert s3.params["endpoint_url"] == "http://rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80"
    assert k8s.writes == []


def test_claim_not_bound():
    k8s = FakeK8s([("objectbucketclaims", {"metadata": {"name": "c", "namespace": "n"}, "status": {"phase": "Pending"}})])
    with pytest.raises(TracingError, match="Pending"):
        lc.run(params(claim_name="c", claim_namespace="n"), s3_factory=FakeS3({}), k8s_factory=k8s)
