"""The twin end to end: ``up`` with the real RGW, OBC binding, Rook lifecycle behaviour, CLI, ``down``."""

import json
import os
import socket
import sys
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from runner import twin_cli  # noqa: E402
from tests.twin import rgw  # noqa: E402

OBC_API = ("objectbucket.io", "v1alpha1", "objectbucketclaims")


def kget(twin, path):
    resp = twin["kube"].call_api(path, "GET", response_type=object, _preload_content=False, auth_settings=["BearerToken"])
    return json.loads(resp[0].data)


def kcall(twin, method, path, body=None, content_type="application/json"):
    resp = twin["kube"].call_api(
        path,
        method,
        body=body,
        header_params={"Content-Type": content_type},
        response_type=object,
        _preload_content=False,
        auth_settings=["BearerToken"],
    )
    return json.loads(resp[0].data)


def s3(twin, access=None, secret=None):
    return rgw.s3_client(twin["S3_ENDPOINT"], access or twin["S3_ACCESS_KEY"], secret or twin["S3_SECRET_KEY"])


def wait(pred, timeout=15, step=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(step)


def make_ns(twin, name):
    kcall(twin, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def create_obc(twin, ns, name, additional=None):
    spec = {"bucketName": name, "storageClassName": "rook-ceph-bucket"}
    if additional:
        spec["additionalConfig"] = additional
    return kcall(
        twin,
        "POST",
        f"/apis/objectbucket.io/v1alpha1/namespaces/{ns}/objectbucketclaims",
        {"apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim", "metadata": {"name": name, "namespace": ns}, "spec": spec},
    )


def obc_phase(twin, ns, name):
    return (kget(twin, f"/apis/objectbucket.io/v1alpha1/namespaces/{ns}/objectbucketclaims/{name}").get("status") or {}).get("phase")


def touch_obc(twin, ns, name, **labels):
    kcall(
        twin,
        "PATCH",
        f"/apis/objectbucket.io/v1alpha1/namespaces/{ns}/objectbucketclaims/{name}",
        {"metadata": {"labels": labels}},
        "application/merge-patch+json",
    )


def lifecycle_ids(client, bucket):
    from botocore.exceptions import ClientError

    try:
        return sorted(r["ID"] for r in client.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"])
    except ClientError as e:
        assert e.response["Error"]["Code"] == "NoSuchLifecycleConfiguration"
        return []


def claim_credentials(twin, ns, name):
    import base64

    sec = kget(twin, f"/api/v1/namespaces/{ns}/secrets/{name}")["data"]
    return base64.b64decode(sec["AWS_ACCESS_KEY_ID"]).decode(), base64.b64decode(sec["AWS_SECRET_ACCESS_KEY"]).decode()


# ---------------------------------------------------------------- the shared twin
def test_env_file_and_before_state(twin):
    for key in ("KUBECONFIG", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY", "TWIN_URL", "TWIN_STATE_DIR", "S3_BACKEND"):
        assert twin.get(key), key
    nodes = kget(twin, "/api/v1/nodes")["items"]
    assert [n["metadata"]["name"] for n in nodes] == [f"talos-node-{i:02d}" for i in range(1, 7)]
    ds = kget(twin, "/apis/apps/v1/namespaces/opentelemetry/daemonsets/otel-collector")
    assert ds["status"]["numberReady"] == 6
    cm = kget(twin, "/api/v1/namespaces/opentelemetry/configmaps/otel-collector-config")
    assert "jaeger-collector.jaeger-system:14250" in cm["data"]["config.yaml"]
    j = kget(twin, "/apis/jaegertracing.io/v1/namespaces/jaeger/jaegers/jaeger")
    assert j["spec"]["strategy"] == "allInOne" and j["status"]["phase"] == "Running"
    svcs = {s["metadata"]["name"] for s in kget(twin, "/api/v1/namespaces/jaeger/services")["items"]}
    assert {"jaeger-collector", "jaeger-query", "jaeger-agent", "jaeger-collector-headless"} <= svcs


def test_neighbour_buckets_have_their_rules(twin):
    c = s3(twin)
    assert lifecycle_ids(c, "loki-chunks") == ["loki-retention"]
    assert lifecycle_ids(c, "velero-backups") == ["velero-retention"]
    rule = c.get_bucket_lifecycle_configuration(Bucket="loki-chunks")["Rules"][0]
    assert rule["Expiration"]["Days"] == 30


def test_obc_bound_with_working_credentials(twin):
    ns, name = "it-obc", f"b-{uuid.uuid4().hex[:8]}"
    make_ns(twin, ns)
    t0 = time.monotonic()
    create_obc(twin, ns, name)
    wait(lambda: obc_phase(twin, ns, name) == "Bound", timeout=10)
    bound_after = time.monotonic() - t0
    cm = kget(twin, f"/api/v1/namespaces/{ns}/configmaps/{name}")["data"]
    assert cm["BUCKET_NAME"] == name and cm["BUCKET_HOST"] == "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc" and cm["BUCKET_PORT"] == "80"
    access, secret = claim_credentials(twin, ns, name)
    c = s3(twin, access, secret)
    c.put_object(Bucket=name, Key="probe", Body=b"x")
    assert c.get_object(Bucket=name, Key="probe")["Body"].read() == b"x"
    assert name in {b["Name"] for b in c.list_buckets()["Buckets"]}
    if twin["S3_BACKEND"] == "rgw":
        from botocore.exceptions import ClientError

        with pytest.raises(ClientError):
            s3(twin, access, "wrong-secret-" + "x" * 28).list_objects_v2(Bucket=name)
    assert bound_after < 10


def test_rook_117_enforces_declared_lifecycle_and_wipes_s3_set_one(twin):
    ns, name = "it-obc", f"lc-{uuid.uuid4().hex[:8]}"
    if not any(n["metadata"]["name"] == ns for n in kget(twin, "/api/v1/namespaces")["items"]):
        make_ns(twin, ns)
    create_obc(twin, ns, name)
    wait(lambda: obc_phase(twin, ns, name) == "Bound")
    c = s3(twin)
    c.put_bucket_lifecycle_configuration(
        Bucket=name, LifecycleConfiguration={"Rules": [{"ID": "by-s3", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 3}}]}
    )
    assert lifecycle_ids(c, name) == ["by-s3"]
    touch_obc(twin, ns, name, touched="1")
    wait(lambda: lifecycle_ids(c, name) == [])
    declared = json.dumps({"Rules": [{"ID": "declared", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 7}}]})
    kcall(
        twin,
        "PATCH",
        f"/apis/objectbucket.io/v1alpha1/namespaces/{ns}/objectbucketclaims/{name}",
        {"spec": {"additionalConfig": {"bucketLifecycle": declared}}},
        "application/merge-patch+json",
    )
    wait(lambda: lifecycle_ids(c, name) == ["declared"])


def test_stats_and_faults_cli(twin):
    def cli(*args):
        p = twin_cli(twin, *args, timeout=30, check=False)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    cli("stats", "--reset")
    kget(twin, "/api/v1/namespaces/default/configmaps")
    st = cli("stats")
    assert st["reads"] >= 1 and st["writes"] == 0
    cli("faults", "--rate", "1", "--codes", "503")
    try:
        from kubernetes.client.exceptions import ApiException

        with pytest.raises(ApiException) as e:
            kget(twin, "/api/v1/namespaces/default/configmaps")
        assert e.value.status == 503
    finally:
        cli("faults", "--off")
    kget(twin, "/api/v1/namespaces/default/configmaps")


# ---------------------------------------------------------------- special twins
def _listening(port):
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_rook_116_leaves_lifecycle_alone_and_down_cleans_up(twin_factory):
    t0 = time.monotonic()
    t = twin_factory(rook_version="1.16", nodes=3, before_state=False, no_jaeger_operator=True)
    up_seconds = time.monotonic() - t0
    assert up_seconds < 60
    state = t["TWIN_STATE_DIR"]
    c = s3(t)
    # Rook < 1.17 had no bucketLifecycle: the neighbours' rules were set through S3 and stay
    assert lifecycle_ids(c, "loki-chunks") == ["loki-retention"]
    make_ns(t, "old")
    create_obc(t, "old", "keep")
    wait(lambda: obc_phase(t, "old", "keep") == "Bound")
    c.put_bucket_lifecycle_configuration(
        Bucket="keep", LifecycleConfiguration={"Rules": [{"ID": "by-s3", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 3}}]}
    )
    touch_obc(t, "old", "keep", touched="1")
    time.sleep(1.5)
    assert lifecycle_ids(c, "keep") == ["by-s3"]
    # down: no process, no port, no state dir
    ready = json.load(open(os.path.join(state, "ready.json")))
    pids = [ready["serve_pid"], *ready["ceph_pids"].values()]
    ports = [p for p in (ready["api_port"], ready["rgw_port"], ready["mon_port"]) if p]
    t0 = time.monotonic()
    p = twin_cli(t, "down", timeout=120, check=False)
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - t0 < 30
    assert not any(rgw._pid_alive(p) for p in pids)
    assert not any(_listening(p) for p in ports)
    assert not os.path.exists(state)


def test_disallowed_additional_config_fails_claim(twin_factory):
    t = twin_factory(obc_allowed_fields="maxObjects,maxSize", nodes=2)
    make_ns(t, "strict")
    create_obc(t, "strict", "bad", {"bucketLifecycle": '{"Rules":[]}'})
    wait(lambda: obc_phase(t, "strict", "bad") == "Failed")
    events = kget(t, "/api/v1/namespaces/strict/events")["items"]
    assert any('OBC config "bucketLifecycle" is not allowed' in e["message"] for e in events)
    # neighbours could not declare their lifecycle: it was set through S3 instead
    assert lifecycle_ids(s3(t), "velero-backups") == ["velero-retention"]
