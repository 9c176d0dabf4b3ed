# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""jaeger_storage_secret through real ansible-playbook against the twin (API server + real RGW).

Each test uses its own namespace; the twin's Rook simulation provisions the claims on the
twin's RGW, so the credentials the module copies are real RGW keys.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import functools
import json
import time
import uuid

import pytest

from runner import run_module as _run_module
from runner import twin_stats

MODULE = "talos_homelab.tracing.jaeger_storage_secret"
OB_GROUP, OB_VERSION = "objectbucket.io", "v1alpha1"
KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_BUCKET", "S3_ENDPOINT", "S3_INSECURE", "S3_REGION"]


# ---------------------------------------------------------------------- helpers
# The registered result is dumped with no_log: only the module's own output is in ``output``.
run_module = functools.partial(_run_module, dump_no_log=True)


def reset_stats(twin):
    twin_stats(twin, reset=True)


def write_requests(twin):
    stats = twin_stats(twin)
    return stats.get("write_requests", stats.get("writes", 0))


@pytest.fixture
def api(twin):
    from kubernetes import client

    return dict(core=client.CoreV1Api(twin["kube"]), custom=client.CustomObjectsApi(twin["kube"]))


@pytest.fixture
def ns(api):
    from kubernetes import client

    name = "it-sec-%s" % uuid.uuid4().hex[:8]
    api["core"].create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    try:
        api["core"].delete_namespace(name)
    except Exception:  # best effort
        pass


def make_claim(api, ns, name, storage_class="rook-ceph-bucket", additional=None):
    spec = {"bucketName": "%s-%s" % (name, ns)[:63], "storageClassName": storage_class}
    if additional:
        spec["additionalConfig"] = additional
    api["custom"].create_namespaced_custom_object(
        OB_GROUP, OB_VERSION, ns, "objectbucketclaims",
        {"apiVersion": "%s/%s" % (OB_GROUP, OB_VERSION), "kind": "ObjectBucketClaim",
         "metadata": {"name": name, "namespace": ns}, "spec": spec})


def claim_creds(api, ns, name, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            sec = api["core"].read_namespaced_secret(name, ns)
            return dict((k, base64.b64decode(v).decode()) for k, v in sec.data.items())
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def args(twin, ns, claim="traces", **kw):
    out = dict(kubeconfig=twin["KUBECONFIG"], claim_name=claim, claim_namespace=ns, namespace=ns, wait_timeout=30)
    out.update(kw)
    return out


def target(api, ns, name="jaeger-storage"):
    from kubernetes.client.exceptions import ApiException

    try:
        return api["core"].read_namespaced_secret(name, ns)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


# ---------------------------------------------------------------------- tests
def test_create_again_check_rotate_remove(twin, api, ns):
    make_claim(api, ns, "traces")
    res, out, _unused = run_module(MODULE, args(twin, ns))
    assert res.get("changed") is True and not res.get("failed"), out
    assert res["keys"] == KEYS and len(res["checksum"]) == 64
    creds = claim_creds(api, ns, "traces")
    sec = target(api, ns)
    data = dict((k, base64.b64decode(v).decode()) for k, v in sec.data.items())
    assert data["AWS_ACCESS_KEY_ID"] == creds["AWS_ACCESS_KEY_ID"]
    assert data["AWS_SECRET_ACCESS_KEY"] == creds["AWS_SECRET_ACCESS_KEY"]
    assert data["S3_ENDPOINT"] == "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80"
    assert data["S3_INSECURE"] == "true" and data["S3_REGION"] == "us-east-1"
    assert sec.metadata.labels["tracing.talos-homelab.io/source-claim"] == "traces"
    assert sec.metadata.labels["app.kubernetes.io/managed-by"] == "talos_homelab.tracing"
    assert sec.metadata.annotations["tracing.talos-homelab.io/checksum"] == res["checksum"]
    for value in creds.values():
        assert value not in out and value not in json.dumps(res)
    first = res["checksum"]

    # again: unchanged, zero write requests
    reset_stats(twin)
    res, out, _unused = run_module(MODULE, args(twin, ns))
    assert res["changed"] is False and res["checksum"] == first, out
    assert write_requests(twin) == 0

    # check mode on another target: changed, nothing written
    reset_stats(twin)
    res, out, _unused = run_module(MODULE, args(twin, ns, name="jaeger-storage-2"), check=True)
    assert res["changed"] is True and not res.get("failed"), out
    assert target(api, ns, "jaeger-storage-2") is None
    assert write_requests(twin) == 0

    # rotation of the claim's Secret, with --diff and -vvv: changed, new checksum, no values shown
    rotated = "Rotated%sSecretKey" % uuid.uuid4().hex
    api["core"].patch_namespaced_secret("traces", ns, {"data": {"AWS_SECRET_ACCESS_KEY": base64.b64encode(rotated.encode()).decode()}})
    res, out, _unused = run_module(MODULE, args(twin, ns), diff=True, verbosity=3)
    assert res["changed"] is True and res["checksum"] != first, out
    assert res["diff"]["keys"]["AWS_SECRET_ACCESS_KEY"] == "changed"
    assert res["diff"]["keys"]["S3_BUCKET"] == "unchanged"
    assert "AWS_SECRET_ACCESS_KEY" in out  # the key name is in the diff
    for value in (rotated, creds["AWS_SECRET_ACCESS_KEY"], creds["AWS_ACCESS_KEY_ID"]):
        assert value not in out
    sec = target(api, ns)
    assert base64.b64decode(sec.data["AWS_SECRET_ACCESS_KEY"]).decode() == rotated
    assert sec.metadata.annotations["tracing.talos-homelab.io/checksum"] == res["checksum"]

    # remove twice
    res, out, _unused = run_module(MODULE, args(twin, ns, state="absent"))
    assert res["changed"] is True and target(api, ns) is None, out
    res, out, _unused = run_module(MODULE, args(twin, ns, state="absent"))
    assert res["changed"] is False, out


def test_grpc_plugin_backend_and_endpoint_override(twin, api, ns):
    make_claim(api, ns, "traces")
    res, out, _unused = run_module(MODULE, args(twin, ns, backend="grpc-plugin", endpoint="rgw.homelab.lan:443", insecure=False))
    assert res["changed"] is True, out
    data = dict((k, base64.b64decode(v).decode()) for k, v in target(api, ns).data.items())
    assert data["S3_ENDPOINT"] == "https://rgw.homelab.lan:443" and data["S3_INSECURE"] == "false"


def test_credentials_work_on_rgw(twin, api, ns):
    """The keys copied into the storage Secret are real RGW keys of the claim's bucket."""
    import boto3
    from botocore.config import Config

    make_claim(api, ns, "traces")
    res, out, _unused = run_module(MODULE, args(twin, ns))
    assert res["changed"] is True, out
    data = dict((k, base64.b64decode(v).decode()) for k, v in target(api, ns).data.items())
    s3 = boto3.client("s3", endpoint_url=twin["S3_ENDPOINT"], aws_access_key_id=data["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=data["AWS_SECRET_ACCESS_KEY"], region_name=data["S3_REGION"],
                      config=Config(s3={"addressing_style": "path"}))
    s3.put_object(Bucket=data["S3_BUCKET"], Key="probe", Body=b"x")
    assert s3.get_object(Bucket=data["S3_BUCKET"], Key="probe")["Body"].read() == b"x"
    s3.delete_object(Bucket=data["S3_BUCKET"], Key="probe")


def test_pending_claim_times_out_with_status_and_events(twin, api, ns):
    from kubernetes import client

    make_claim(api, ns, "stuck", storage_class="no-such-class")
    api["core"].create_namespaced_event(ns, client.CoreV1Event(
        metadata=client.V1ObjectMeta(name="stuck.1", namespace=ns),
        involved_object=client.V1ObjectReference(kind="ObjectBucketClaim", name="stuck", namespace=ns),
        reason="WaitingForProvisioner", message="no provisioner serves storage class no-such-class", type="Warning"))
    t0 = time.monotonic()
    res, out, _unused = run_module(MODULE, args(twin, ns, claim="stuck", wait_timeout=3))
    assert res.get("failed") is True, out
    assert "still Pending after 3s" in res["msg"], res["msg"]
    assert "no provisioner serves storage class no-such-class" in res["msg"]
    assert "no-such-class" in res["fix"]
    assert time.monotonic() - t0 < 60
    assert target(api, ns) is None


def test_failed_claim(twin, api, ns):
    make_claim(api, ns, "bad", additional={"bucketOwner": "someone"})
    res, out, _unused = run_module(MODULE, args(twin, ns, claim="bad", wait_timeout=20))
    assert res.get("failed") is True, out
    assert "is Failed" in res["msg"] and "not allowed" in res["msg"], res["msg"]


def test_missing_claim_and_namespace(twin, api, ns):
    res, out, _unused = run_module(MODULE, args(twin, ns, claim="nope", wait_timeout=2))
    assert res.get("failed") is True and "does not exist" in res["msg"], out
    make_claim(api, ns, "traces")
    res, out, _unused = run_module(MODULE, args(twin, ns, namespace="it-missing-%s" % uuid.uuid4().hex[:6]))
    assert res.get("failed") is True and "namespace" in res["msg"] and "does not exist" in res["msg"], out
