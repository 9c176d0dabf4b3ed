"""The twin's simulated controllers, in process (no HTTP, no Ceph: a fake S3 backend)."""

import base64
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.twin import cluster  # noqa: E402
from tests.twin.controllers import Controllers  # noqa: E402
from tests.twin.store import Store  # noqa: E402


class FakeClient:
    def __init__(self, s3, access):
        self.s3, self.access = s3, access

    def put_bucket_lifecycle_configuration(self, Bucket, LifecycleConfiguration):
        self.s3.lifecycle[Bucket] = LifecycleConfiguration

    def delete_bucket_lifecycle(self, Bucket):
        self.s3.lifecycle.pop(Bucket, None)

    def head_bucket(self, Bucket):
        if Bucket not in self.s3.buckets or self.access not in self.s3.users.values():
            raise RuntimeError("403")

    def list_objects_v2(self, Bucket, MaxKeys=1):
        return {}


class FakeS3:
    name = "fake"

    def __init__(self):
        self.users, self.buckets, self.lifecycle = {}, {}, {}

    def create_user(self, uid):
        self.users.setdefault(uid, f"AK{len(self.users):018d}")
        return self.users[uid], "secret-" + uid

    def delete_user(self, uid):
        self.users.pop(uid, None)

    def create_bucket(self, access, secret, bucket):
        self.buckets.setdefault(bucket, access)

    def delete_bucket(self, bucket):
        self.buckets.pop(bucket, None)

    def client(self, access=None, secret=None):
        return FakeClient(self, access or "admin")


def make(nodes=6, rook_version="1.17", allowed="maxObjects,maxSize,bucketLifecycle", before=False):
    store, s3 = Store(), FakeS3()
    cluster.bootstrap(store, nodes=nodes, rook_version=rook_version, obc_allowed_fields=allowed)
    if before:
        cluster.load_before_state(store)
    ctrl = Controllers(store, s3, rook_version=rook_version)
    ctrl.settle()
    assert not ctrl.errors, ctrl.errors
    return store, s3, ctrl


def ns(store, name):
    store.upsert({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def pods(store, namespace, prefix=""):
    return [p for p in store.list_kind("v1", "Pod", namespace) if p["metadata"]["name"].startswith(prefix)]


def ready(p):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])


def deployment(name, namespace, replicas=2, **pod_spec):
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}], **pod_spec}},
        },
    }


# ---------------------------------------------------------------- workloads
def test_nodes_ready_and_daemonset_one_pod_per_node():
    store, _unused, ctrl = make(before=True)
    for n in store.list_kind("v1", "Node"):
        assert n["status"]["conditions"][0]["type"] == "Ready" and n["status"]["conditions"][0]["status"] == "True"
    ds = store.find("apps/v1", "DaemonSet", "opentelemetry", "otel-collector")
    assert ds["status"]["desiredNumberScheduled"] == 6 and ds["status"]["numberReady"] == 6
    assert ds["status"]["observedGeneration"] == ds["metadata"]["generation"]
    ps = pods(store, "opentelemetry")
    assert sorted(p["spec"]["nodeName"] for p in ps) == [f"talos-node-{i:02d}" for i in range(1, 7)]
    assert all(p["metadata"]["labels"]["app.kubernetes.io/name"] == "otel-collector" for p in ps)
    assert all(p["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"] for p in ps)
    assert all(p["status"]["phase"] == "Running" and p["status"]["podIP"] for p in ps)


def test_no_churn_when_idle():
    store, _unused, ctrl = make(before=True)
    rev = store.revision
    ctrl.reconcile_all()
    ctrl.reconcile_all()
    assert store.revision == rev


def test_daemonset_node_selector_and_rollout():
    store, _unused, ctrl = make(before=True)
    ds = store.find("apps/v1", "DaemonSet", "opentelemetry", "otel-collector")
    old = {p["metadata"]["name"] for p in pods(store, "opentelemetry")}
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"node-role.kubernetes.io/control-plane": ""}
    store.upsert(ds)
    ctrl.settle()
    new = pods(store, "opentelemetry")
    assert len(new) == 3 and not old & {p["metadata"]["name"] for p in new}
    assert store.find("apps/v1", "DaemonSet", "opentelemetry", "otel-collector")["status"]["desiredNumberScheduled"] == 3


def test_deployment_spread_and_anti_affinity_pending():
    store, _unused, ctrl = make(nodes=3)
    ns(store, "t")
    spread = {
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "web"}},
            }
        ]
    }
    store.upsert(deployment("web", "t", replicas=3, **spread))
    anti = {
        "affinity": {
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "db"}}}
                ]
            }
        }
    }
    store.upsert(deployment("db", "t", replicas=4, **anti))
    ctrl.settle()
    web = pods(store, "t", "web-")
    assert sorted(p["spec"]["nodeName"] for p in web) == ["talos-node-01", "talos-node-02", "talos-node-03"]
    db = pods(store, "t", "db-")
    placed = [p for p in db if p["spec"].get("nodeName")]
    assert len(placed) == 3 and len({p["spec"]["nodeName"] for p in placed}) == 3
    pending = [p for p in db if not p["spec"].get("nodeName")]
    assert len(pending) == 1 and pending[0]["status"]["phase"] == "Pending"
    assert "anti-affinity" in pending[0]["status"]["conditions"][0]["message"]
    d = store.find("apps/v1", "Deployment", "t", "db")
    assert d["status"]["readyReplicas"] == 3 and d["status"]["unavailableReplicas"] == 1
    w = store.find("apps/v1", "Deployment", "t", "web")
    assert w["status"]["availableReplicas"] == 3
    assert {c["type"]: c["status"] for c in w["status"]["conditions"]} == {"Available": "True", "Progressing": "True"}


def test_pod_not_ready_with_missing_secret_then_ready():
    store, _unused, ctrl = make(nodes=2)
    ns(store, "t")
    store.upsert(deployment("app", "t", replicas=1))
    d = store.find("apps/v1", "Deployment", "t", "app")
    d["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [{"secretRef": {"name": "creds"}}]
    d["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "x"}}}]
    store.upsert(d)
    ctrl.settle()
    (p,) = pods(store, "t", "app-")
    assert not ready(p) and p["status"]["phase"] == "Pending"
    assert p["status"]["containerStatuses"][0]["state"]["waiting"] == {"reason": "CreateContainerConfigError", "message": 'secret "creds" not found'}
    assert store.find("apps/v1", "Deployment", "t", "app")["status"].get("readyReplicas") is None
    store.upsert({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "t"}, "stringData": {"a": "b"}})
    store.upsert({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "t"}, "data": {"y": "1"}})
    ctrl.settle()
    (p,) = pods(store, "t", "app-")
    assert "couldn't find key x in ConfigMap t/cfg" in p["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
    store.upsert({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "t"}, "data": {"x": "1"}})
    ctrl.settle()
    (p,) = pods(store, "t", "app-")
    assert ready(p)
    assert store.find("apps/v1", "Deployment", "t", "app")["status"]["readyReplicas"] == 1


def test_template_change_rolls_pods_and_statefulset_names():
    store, _unused, ctrl = make(nodes=3)
    ns(store, "t")
    store.upsert(deployment("app", "t", replicas=2))
    ctrl.settle()
    before = {p["metadata"]["name"] for p in pods(store, "t")}
    d = store.find("apps/v1", "Deployment", "t", "app")
    d["spec"]["template"]["metadata"]["annotations"] = {"checksum": "2"}
    store.upsert(d)
    ctrl.settle()
    after = {p["metadata"]["name"] for p in pods(store, "t")}
    assert len(after) == 2 and not before & after
    labels = {"app": "st"}
    store.upsert(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "st", "namespace": "t"},
            "spec": {
                "replicas": 3,
                "serviceName": "st",
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "x:1"}]}},
            },
        }
    )
    ctrl.settle()
    assert sorted(p["metadata"]["name"] for p in pods(store, "t", "st-")) == ["st-0", "st-1", "st-2"]
    st = store.find("apps/v1", "StatefulSet", "t", "st")["status"]
    assert st["readyReplicas"] == 3 and st["updatedReplicas"] == 3 and st["availableReplicas"] == 3


# ---------------------------------------------------------------- jaeger operator
def jaeger(store, spec, name="tr", namespace="jaeger"):
    if store.find("v1", "Namespace", None, namespace) is None:
        ns(store, namespace)
    store.upsert({"apiVersion": "jaegertracing.io/v1", "kind": "Jaeger", "metadata": {"name": name, "namespace": namespace}, "spec": spec})


def names(store, kind, api="v1", namespace="jaeger"):
    return sorted(o["metadata"]["name"] for o in store.list_kind(api, kind, namespace))


def test_jaeger_allinone_before_state():
    store, _unused, ctrl = make(before=True)
    assert names(store, "Deployment", "apps/v1") == ["jaeger"]
    assert names(store, "Service") == ["jaeger-agent", "jaeger-collector", "jaeger-collector-headless", "jaeger-query"]
    svc = store.find("v1", "Service", "jaeger", "jaeger-collector")
    assert {p["port"] for p in svc["spec"]["ports"]} == {9411, 14250, 14267, 14268, 14269, 4317, 4318}
    cr = store.find("jaegertracing.io/v1", "Jaeger", "jaeger", "jaeger")
    assert cr["status"]["phase"] == "Running"
    store.delete_kind("jaegertracing.io/v1", "Jaeger", "jaeger", "jaeger")
    ctrl.settle()
    assert names(store, "Deployment", "apps/v1") == [] and names(store, "Service") == [] and pods(store, "jaeger") == []


def test_jaeger_production_replicas_and_sampling():
    store, _unused, ctrl = make()
    jaeger(
        store,
        {
            "strategy": "production",
            "storage": {"type": "elasticsearch", "options": {"es": {"server-urls": "http://es:9200"}, "s3": {"endpoint": "x"}}},
            "collector": {"replicas": 3},
            "query": {"replicas": 2},
        },
    )
    ctrl.settle()
    assert names(store, "Deployment", "apps/v1") == ["tr-collector", "tr-query"]
    coll = store.find("apps/v1", "Deployment", "jaeger", "tr-collector")
    assert coll["spec"]["replicas"] == 3 and coll["status"]["readyReplicas"] == 3
    assert store.find("apps/v1", "Deployment", "jaeger", "tr-query")["spec"]["replicas"] == 2
    args = coll["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--es.server-urls=http://es:9200" in args and not any(a.startswith("--s3.") for a in args)
    assert names(store, "HorizontalPodAutoscaler", "autoscaling/v2") == []
    sampling = json.loads(store.find("v1", "ConfigMap", "jaeger", "tr-sampling-configuration")["data"]["sampling"])
    assert sampling == {"default_strategy": {"type": "probabilistic", "param": 1}}
    assert store.find("v1", "ConfigMap", "jaeger", "tr-ui-configuration")
    assert store.find("jaegertracing.io/v1", "Jaeger", "jaeger", "tr")["status"]["phase"] == "Running"


def test_jaeger_max_replicas_is_an_hpa_bound_not_a_count():
    store, _unused, ctrl = make()
    jaeger(store, {"strategy": "production", "storage": {"type": "elasticsearch"}, "collector": {"maxReplicas": 3}})
    ctrl.settle()
    assert store.find("apps/v1", "Deployment", "jaeger", "tr-collector")["spec"]["replicas"] == 1
    hpa = store.find("autoscaling/v2", "HorizontalPodAutoscaler", "jaeger", "tr-collector")
    assert hpa["spec"]["minReplicas"] == 1 and hpa["spec"]["maxReplicas"] == 3


def test_jaeger_memory_forces_allinone_and_unknown_storage_falls_back():
    store, _unused, ctrl = make()
    jaeger(store, {"strategy": "production", "storage": {"type": "memory"}})
    jaeger(store, {"strategy": "production", "storage": {"type": "s3"}}, name="other")
    ctrl.settle()
    assert names(store, "Deployment", "apps/v1") == ["other", "tr"]
    env = store.find("apps/v1", "Deployment", "jaeger", "other")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "SPAN_STORAGE_TYPE", "value": "memory"} in env


def test_jaeger_grpc_plugin_on_new_image_crashloops_and_options_filtered():
    store, _unused, ctrl = make()
    ns(store, "jaeger")
    store.upsert({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "jaeger-storage", "namespace": "jaeger"}, "stringData": {"K": "v"}})
    spec = {
        "strategy": "production",
        "storage": {
            "type": "grpc-plugin",
            "secretName": "jaeger-storage",
            "options": {"grpc-storage-plugin": {"binary": "/plugin/s3", "configuration-file": "/c.yaml"}, "s3": {"bucket": "b"}},
            "grpcPlugin": {"image": "example/plugin:1"},
        },
        "collector": {"replicas": 1},
    }
    jaeger(store, spec)
    ctrl.settle()
    coll = store.find("apps/v1", "Deployment", "jaeger", "tr-collector")
    c = coll["spec"]["template"]["spec"]["containers"][0]
    assert sorted(c["args"])[:2] == ["--grpc-storage-plugin.binary=/plugin/s3", "--grpc-storage-plugin.configuration-file=/c.yaml"]
    assert not any("s3" in a and "plugin" not in a for a in c["args"])
    assert c["envFrom"] == [{"secretRef": {"name": "jaeger-storage"}}]
    assert coll["status"].get("readyReplicas") is None
    (p,) = pods(store, "jaeger", "tr-collector-")
    assert p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert store.find("jaegertracing.io/v1", "Jaeger", "jaeger", "tr")["status"]["phase"] == "Failed"
    # 1.58/1.59 accept the type name but no longer start plugin binaries: still never ready
    spec["image"] = "jaegertracing/jaeger-collector:1.59.0"
    spec["query"] = {"image": "jaegertracing/jaeger-query:1.59.0"}
    jaeger(store, spec)
    ctrl.settle()
    assert store.find("apps/v1", "Deployment", "jaeger", "tr-collector")["status"].get("readyReplicas") is None
    (p,) = [q for q in pods(store, "jaeger", "tr-collector-") if "1.59.0" in q["spec"]["containers"][0]["image"]]
    assert "1.58" in p["status"]["containerStatuses"][0]["state"]["waiting"]["message"]
    # an old image (< 1.58) still had the plugin storage: it runs
    spec["image"] = "jaegertracing/jaeger-collector:1.57.0"
    spec["query"] = {"image": "jaegertracing/jaeger-query:1.57.0"}
    jaeger(store, spec)
    ctrl.settle()
    assert store.find("apps/v1", "Deployment", "jaeger", "tr-collector")["status"]["readyReplicas"] == 1
    assert store.find("jaegertracing.io/v1", "Jaeger", "jaeger", "tr")["status"]["phase"] == "Running"


# ---------------------------------------------------------------- rook
def obc(store, name, namespace="apps", sc="rook-ceph-bucket", **extra):
    if store.find("v1", "Namespace", None, namespace) is None:
        ns(store, namespace)
    spec = {"bucketName": name, **extra}
    if sc:
        spec["storageClassName"] = sc
    store.upsert(
        {"apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim", "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    )


def get_obc(store, name, namespace="apps"):
    return store.find("objectbucket.io/v1alpha1", "ObjectBucketClaim", namespace, name)


def test_rook_binds_with_secret_configmap_and_neighbours():
    store, s3, ctrl = make()
    assert get_obc(store, "loki", "loki")["status"]["phase"] == "Bound"
    assert s3.lifecycle["loki-chunks"]["Rules"][0]["ID"] == "loki-retention"
    obc(store, "traces")
    ctrl.settle()
    o = get_obc(store, "traces")
    assert o["status"]["phase"] == "Bound" and "objectbucket.io/finalizer" in o["metadata"]["finalizers"]
    sec = store.find("v1", "Secret", "apps", "traces")
    cm = store.find("v1", "ConfigMap", "apps", "traces")
    assert set(sec["data"]) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    assert cm["data"] == {
        "BUCKET_HOST": "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc",
        "BUCKET_NAME": "traces",
        "BUCKET_PORT": "80",
        "BUCKET_REGION": "us-east-1",
        "BUCKET_SUBREGION": "",
    }
    assert sec["metadata"]["ownerReferences"][0]["uid"] == o["metadata"]["uid"]
    assert base64.b64decode(sec["data"]["AWS_ACCESS_KEY_ID"]).decode() == s3.buckets["traces"]
    assert store.find("objectbucket.io/v1alpha1", "ObjectBucket", None, "obc-apps-traces")["status"]["phase"] == "Bound"
    # deletion: reclaimPolicy Delete removes the bucket, owner refs remove Secret/ConfigMap
    store.delete_kind("objectbucket.io/v1alpha1", "ObjectBucketClaim", "apps", "traces")
    ctrl.settle()
    assert get_obc(store, "traces") is None and store.find("v1", "Secret", "apps", "traces") is None
    assert "traces" not in s3.buckets


def test_rook_never_overwrites_a_secret_rotated_between_its_read_and_its_write():
    """Optimistic concurrency: the write carries the resourceVersion read, a 409 makes it re-read (no lost update)."""
    store, s3, ctrl = make()
    obc(store, "traces")
    ctrl.settle()
    rotated = base64.b64encode(b"rotated-by-someone-else").decode()
    calls = []

    def rotate_during_provisioning(access, secret, bucket):
        # Runs after the controller read the Secret and before it writes it back (the slow S3 call).
        if bucket == "traces" and not calls:
            calls.append(bucket)
            sec = store.find("v1", "Secret", "apps", "traces")
            sec["data"]["AWS_SECRET_ACCESS_KEY"] = rotated
            store.upsert(sec)
        s3.buckets.setdefault(bucket, access)

    s3.create_bucket = rotate_during_provisioning
    ctrl.rook.reconcile()
    assert calls == ["traces"]
    assert store.find("v1", "Secret", "apps", "traces")["data"]["AWS_SECRET_ACCESS_KEY"] == rotated
    assert not ctrl.rook.errors, ctrl.rook.errors


def test_rook_other_class_stays_pending_and_disallowed_key_fails():
    store, s3, ctrl = make(allowed="maxObjects,maxSize")
    store.upsert({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "other"}, "provisioner": "example.com/bucket"})
    obc(store, "a", sc="other")
    obc(store, "b", sc=None)
    obc(store, "c", additionalConfig={"bucketLifecycle": '{"Rules":[]}'})
    ctrl.settle()
    assert "status" not in get_obc(store, "a") and "status" not in get_obc(store, "b")
    assert get_obc(store, "c")["status"]["phase"] == "Failed"
    events = [e for e in store.list_kind("v1", "Event", "apps") if e["involvedObject"]["name"] == "c"]
    assert any('OBC config "bucketLifecycle" is not allowed' in e["message"] for e in events)
    assert "c" not in s3.buckets


def test_rook_117_enforces_lifecycle_116_leaves_it():
    rule = cluster.lifecycle_json("r", 7)
    for version, expect_wiped in (("1.17", True), ("1.16", False)):
        store, s3, ctrl = make(rook_version=version)
        obc(store, "x")
        ctrl.settle()
        s3.lifecycle["x"] = {"Rules": [{"ID": "set-by-s3"}]}
        o = get_obc(store, "x")
        o["metadata"]["labels"] = {"touched": "1"}
        store.upsert(o)
        ctrl.settle()
        assert ("x" not in s3.lifecycle) is expect_wiped, version
        o = get_obc(store, "x")
        o["spec"]["additionalConfig"] = {"bucketLifecycle": rule}
        store.upsert(o)
        ctrl.settle()
        if expect_wiped:
            assert s3.lifecycle["x"]["Rules"][0]["ID"] == "r"
        else:
            assert s3.lifecycle["x"]["Rules"][0]["ID"] == "set-by-s3"


# ---------------------------------------------------------------- tempo readiness
def test_tempo_pods_need_working_storage_and_query_needs_backend_service():
    store, s3, ctrl = make(nodes=3)
    ns(store, "jaeger")
    obc(store, "jaeger-traces", namespace="jaeger")
    ctrl.settle()
    cfg = (
        "storage:\n  trace:\n    backend: s3\n    s3:\n      bucket: ${S3_BUCKET}\n      endpoint: ${S3_ENDPOINT}\n"
        "      insecure: ${S3_INSECURE}\n      forcepathstyle: true\n"
    )
    store.upsert(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "tempo", "namespace": "jaeger"},
            "data": {"tempo.yaml": cfg, "tempo-query.yaml": "address: 0.0.0.0:7777\nbackend: tempo:3200\n"},
        }
    )
    labels = {"app.kubernetes.io/name": "tempo"}
    store.upsert(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "tempo", "namespace": "jaeger"},
            "spec": {
                "replicas": 3,
                "serviceName": "tempo-gossip",
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "tempo",
                                "image": "docker.io/grafana/tempo:2.6.1",
                                "args": ["-config.file=/conf/tempo.yaml", "-config.expand-env=true"],
                                "envFrom": [{"secretRef": {"name": "jaeger-storage"}}],
                                "volumeMounts": [{"name": "conf", "mountPath": "/conf"}],
                            }
                        ],
                        "volumes": [{"name": "conf", "configMap": {"name": "tempo"}}],
                    },
                },
            },
        }
    )
    q = deployment("jaeger-query", "jaeger", replicas=1)
    q["spec"]["template"]["spec"] = {
        "containers": [
            {
                "name": "tempo-query",
                "image": "grafana/tempo-query:2.6.1",
                "args": ["-config=/conf/tempo-query.yaml"],
                "volumeMounts": [{"name": "conf", "mountPath": "/conf"}],
            }
        ],
        "volumes": [{"name": "conf", "configMap": {"name": "tempo"}}],
    }
    store.upsert(q)
    ctrl.settle()
    assert not any(ready(p) for p in pods(store, "jaeger", "tempo-"))  # no Secret yet
    assert not ready(pods(store, "jaeger", "jaeger-query-")[0])  # no Service tempo
    sec = store.find("v1", "Secret", "jaeger", "jaeger-traces")["data"]
    good = {
        "S3_ENDPOINT": "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80",
        "S3_BUCKET": "jaeger-traces",
        "AWS_ACCESS_KEY_ID": base64.b64decode(sec["AWS_ACCESS_KEY_ID"]).decode(),
        "AWS_SECRET_ACCESS_KEY": base64.b64decode(sec["AWS_SECRET_ACCESS_KEY"]).decode(),
        "S3_INSECURE": "true",
        "S3_REGION": "us-east-1",
    }
    store.upsert(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "jaeger-storage", "namespace": "jaeger"},
            "stringData": {**good, "S3_ENDPOINT": "http://rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80"},
        }
    )
    ctrl.settle()
    p = pods(store, "jaeger", "tempo-")[0]
    assert not ready(p) and p["status"]["phase"] == "Running"
    store.upsert({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "jaeger-storage", "namespace": "jaeger"}, "stringData": good})
    store.upsert(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "tempo", "namespace": "jaeger"},
            "spec": {"selector": labels, "ports": [{"name": "http", "port": 3200}, {"name": "grpc", "port": 9095}]},
        }
    )
    ctrl.settle()
    assert all(ready(p) for p in pods(store, "jaeger", "tempo-"))
    assert store.find("apps/v1", "StatefulSet", "jaeger", "tempo")["status"]["readyReplicas"] == 3
    assert ready(pods(store, "jaeger", "jaeger-query-")[0])


@pytest.mark.parametrize(
    "image,expect", [("jaegertracing/jaeger-collector:1.65.0", (1, 65, 0)), ("x/y:latest", None), ("jaegertracing/all-in-one", None)]
)
def test_parse_version(image, expect):
    from tests.twin.controllers.jaeger import parse_version

    assert parse_version(image) == expect


# ---------------------------------------------------------------- typed-client fidelity
TYPED_MODELS = {
    ("v1", "Node"): "V1Node",
    ("v1", "Pod"): "V1Pod",
    ("v1", "Service"): "V1Service",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Secret"): "V1Secret",
    ("v1", "Namespace"): "V1Namespace",
    ("apps/v1", "DaemonSet"): "V1DaemonSet",
    ("apps/v1", "Deployment"): "V1Deployment",
    ("apps/v1", "ReplicaSet"): "V1ReplicaSet",
    ("apps/v1", "StatefulSet"): "V1StatefulSet",
    ("storage.k8s.io/v1", "StorageClass"): "V1StorageClass",
}


def test_everything_the_twin_creates_deserializes_into_typed_client_models():
    """The real typed client refuses objects missing required fields (e.g. Node.status.nodeInfo.bootID)."""
    from kubernetes.client import ApiClient

    class _Resp:
        def __init__(self, obj):
            self.data = json.dumps(obj)

    store, _unused, ctrl = make(before=True)
    ctrl.settle()
    api = ApiClient()
    seen = set()
    for (api_version, kind), model in TYPED_MODELS.items():
        for obj in store.list_kind(api_version, kind):
            api.deserialize(_Resp(obj), model)
            seen.add((api_version, kind))
    assert {("v1", "Node"), ("v1", "Pod"), ("apps/v1", "DaemonSet"), ("apps/v1", "Deployment")} <= seen
