"""Storage in the twin (issue 11): StorageClasses, claim binding, StatefulSet volumeClaimTemplates,
pods waiting for their claims, the 422 for an in-place volumeClaimTemplates change, and adoption of
pods orphaned by a ``propagationPolicy: Orphan`` delete. Each test names the upstream behaviour."""

import copy
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.twin import cluster  # noqa: E402
from tests.twin.controllers import Controllers  # noqa: E402
from tests.twin.store import Store  # noqa: E402
from tests.unit.twin.test_controllers import FakeS3, ns, pods  # noqa: E402

STS_PATH = "/apis/apps/v1/namespaces/demo/statefulsets"
LABELS = {"app": "db"}


def make(block_storage_class=True, nodes=3):
    store, s3 = Store(), FakeS3()
    cluster.bootstrap(store, nodes=nodes, block_storage_class=block_storage_class)
    ctrl = Controllers(store, s3, rook_version="1.17")
    ctrl.settle()
    return store, ctrl


def sts(name="db", size="1Gi", storage_class=None, replicas=2, namespace="t"):
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": LABELS},
            "template": {"metadata": {"labels": LABELS}, "spec": {"containers": [{"name": "c", "image": "x:1",
                                                                                  "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": spec}],
        },
    }


def test_default_cluster_has_rooks_helm_block_class_as_default():
    store, _ctrl = make()
    sc = store.find("storage.k8s.io/v1", "StorageClass", None, "ceph-block")
    assert sc["provisioner"] == "rook-ceph.rbd.csi.ceph.com"
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    store2, _ctrl2 = make(block_storage_class=False)
    assert store2.find("storage.k8s.io/v1", "StorageClass", None, "ceph-block") is None


def test_claims_of_a_statefulset_bind_to_provisioned_volumes_and_pods_mount_them():
    store, ctrl = make()
    ns(store, "t")
    store.upsert(sts(storage_class="ceph-block"))
    ctrl.settle()
    for i in range(2):
        pvc = store.find("v1", "PersistentVolumeClaim", "t", f"data-db-{i}")
        assert pvc["status"]["phase"] == "Bound" and pvc["status"]["capacity"] == {"storage": "1Gi"}
        pv = store.find("v1", "PersistentVolume", None, pvc["spec"]["volumeName"])
        assert pv["metadata"]["name"] == "pvc-" + pvc["metadata"]["uid"] and pv["status"]["phase"] == "Bound"
        assert pv["spec"]["claimRef"]["name"] == f"data-db-{i}" and pv["spec"]["storageClassName"] == "ceph-block"
        pod = store.find("v1", "Pod", "t", f"db-{i}")
        assert {"name": "data", "persistentVolumeClaim": {"claimName": f"data-db-{i}"}} in pod["spec"]["volumes"]
        assert pod["status"]["phase"] == "Running"


def test_a_claim_without_class_gets_the_default_one():
    store, ctrl = make()
    ns(store, "t")
    store.upsert(sts(storage_class=None, replicas=1))
    ctrl.settle()
    pvc = store.find("v1", "PersistentVolumeClaim", "t", "data-db-0")
    assert pvc["spec"]["storageClassName"] == "ceph-block" and pvc["status"]["phase"] == "Bound"


def test_without_the_class_claims_stay_pending_and_so_do_their_pods():
    for block, cls in ((True, "no-such-class"), (False, None)):
        store, ctrl = make(block_storage_class=block)
        ns(store, "t")
        store.upsert(sts(storage_class=cls, replicas=1))
        ctrl.settle()
        pvc = store.find("v1", "PersistentVolumeClaim", "t", "data-db-0")
        assert pvc["status"]["phase"] == "Pending" and "volumeName" not in pvc["spec"]
        pod = store.find("v1", "Pod", "t", "db-0")
        assert pod["status"]["phase"] == "Pending" and not pod["spec"].get("nodeName")
        cond = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
        # pkg/scheduler/framework/types.go FitError.Error + volumebinding ErrReasonUnboundImmediatePVC
        assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
        assert cond["message"] == ("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption:"
                                   " 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
        st = store.find("apps/v1", "StatefulSet", "t", "db")["status"]
        assert not st.get("readyReplicas")


def test_a_pod_naming_a_missing_claim_is_unschedulable_with_the_claim_named():
    store, ctrl = make()
    ns(store, "t")
    store.upsert({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "t"},
                  "spec": {"containers": [{"name": "c", "image": "x:1"}],
                           "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "gone"}}]}})
    ctrl.settle()
    cond = next(c for c in store.find("v1", "Pod", "t", "p")["status"]["conditions"] if c["type"] == "PodScheduled")
    assert cond["message"].startswith('0/3 nodes are available: persistentvolumeclaim "gone" not found. preemption:')


def test_in_place_volume_claim_template_change_is_refused_with_the_servers_422(http):
    """pkg/apis/apps/validation/validation.go ValidateStatefulSetUpdate at v1.33."""
    assert http("POST", "/api/v1/namespaces", {"metadata": {"name": "demo"}})[0] == 201
    body = sts(namespace="demo")
    assert http("POST", STS_PATH, body)[0] == 201
    cur = http("GET", STS_PATH + "/db")[1]
    changed = copy.deepcopy(cur)
    changed["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "10Gi"
    code, status, _h = http("PUT", STS_PATH + "/db", changed)
    assert code == 422 and status["reason"] == "Invalid"
    assert status["message"] == (
        'StatefulSet.apps "db" is invalid: spec: Forbidden: updates to statefulset spec for fields other than'
        " 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and"
        " 'minReadySeconds' are forbidden")
    # the allowed fields pass
    allowed = copy.deepcopy(cur)
    allowed["spec"]["replicas"] = 3
    allowed["spec"]["template"]["metadata"]["annotations"] = {"x": "1"}
    assert http("PUT", STS_PATH + "/db", allowed)[0] == 200
    # adding volumeClaimTemplates to a StatefulSet without them is refused the same way
    code, status, _h = http("POST", STS_PATH, dict(body, metadata={"name": "bare"}, spec=dict(body["spec"], volumeClaimTemplates=[])))
    assert code == 201
    bare = http("GET", STS_PATH + "/bare")[1]
    bare["spec"]["volumeClaimTemplates"] = body["spec"]["volumeClaimTemplates"]
    assert http("PUT", STS_PATH + "/bare", bare)[0] == 422


def test_orphan_delete_then_recreate_adopts_and_rolls_the_pods():
    """store.py Orphan propagation + controller_ref_manager.go ClaimPods: the pods survive the delete,
    the new StatefulSet adopts them and replaces those of the old template (now with claims)."""
    store, ctrl = make()
    ns(store, "t")
    old = sts(replicas=2)
    del old["spec"]["volumeClaimTemplates"]
    old["spec"]["template"]["spec"]["volumes"] = [{"name": "data", "emptyDir": {}}]
    store.upsert(old)
    ctrl.settle()
    uids = {p["metadata"]["name"]: p["metadata"]["uid"] for p in pods(store, "t", "db-")}
    assert len(uids) == 2
    store.delete(store.registry.by_kind("apps/v1", "StatefulSet"), "t", "db", propagation="Orphan")
    ctrl.settle()
    survivors = pods(store, "t", "db-")
    assert {p["metadata"]["uid"] for p in survivors} == set(uids.values())
    assert all(not p["metadata"].get("ownerReferences") for p in survivors)
    store.upsert(sts(storage_class="ceph-block", replicas=2))
    ctrl.settle()
    new = store.find("apps/v1", "StatefulSet", "t", "db")
    now = pods(store, "t", "db-")
    assert sorted(p["metadata"]["name"] for p in now) == ["db-0", "db-1"]
    assert all(p["metadata"]["ownerReferences"][0]["uid"] == new["metadata"]["uid"] for p in now)
    assert not {p["metadata"]["uid"] for p in now} & set(uids.values())  # rolled to the new template
    assert all(store.find("v1", "PersistentVolumeClaim", "t", f"data-db-{i}")["status"]["phase"] == "Bound" for i in range(2))
    assert new["status"]["readyReplicas"] == 2
