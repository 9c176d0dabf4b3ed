"""Twin fidelity: representative kubernetes.core calls, through REAL kubernetes.core tasks
(ansible-playbook), against the twin's API server and its controllers, with the results a real
Kubernetes 1.33 cluster gives. Expected values come from kubernetes.core's documented module
behaviour (k8s / k8s_info option docs: server_side_apply, force_conflicts, hidden_fields,
label_selectors, wait, wait_condition, delete_options) and the API conventions / the garbage
collection documentation, not from another project's tests.

One playbook run of many tasks (each registered and dumped), so the group stays well under its
~3 minute budget.
"""

import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from runner import PLAYBOOK_BIN, localhost_play, run_playbook  # noqa: E402
from tests.twin.store import Store  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

NS = "fidelity"


def deployment(name, image="nginx:1.27", replicas=2):
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "main", "image": image}]}},
        },
    }


def cm(name, **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": NS}, "data": data}


def k8s(title, register, **args):
    return {"name": title, "kubernetes.core.k8s": args, "register": register, "ignore_errors": True}


def info(title, register, **args):
    return {"name": title, "kubernetes.core.k8s_info": args, "register": register}


DS = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "agent", "namespace": NS},
    "spec": {
        "selector": {"matchLabels": {"app": "agent"}},
        "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "busybox:1.36"}]}},
    },
}
STS = {  # no serviceName: optional in 1.33
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "db", "namespace": NS},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "db"}},
        "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres:17"}]}},
    },
}
JOB = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "migrate", "namespace": NS},
    "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "busybox:1.36"}]}}},
}
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"generateName": "probe-", "namespace": NS},
    "spec": {"containers": [{"name": "p", "image": "busybox:1.36"}]},
}
WAIT = {"wait": True, "wait_sleep": 1, "wait_timeout": 30}

TASKS = [
    k8s("namespace", "ns", definition={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}),
    # --- server-side apply and conflicts (server_side_apply is ignored unless apply is true: k8s docs)
    k8s("ssa alice", "ssa_alice", definition=cm("owned", k="alice", other="x"), apply=True, server_side_apply={"field_manager": "alice"}),
    k8s("ssa bob conflicts", "ssa_conflict", definition=cm("owned", k="bob"), apply=True, server_side_apply={"field_manager": "bob"}),
    k8s("ssa bob forces", "ssa_force", definition=cm("owned", k="bob"), apply=True, server_side_apply={"field_manager": "bob", "force_conflicts": True}),
    k8s("ssa bob again", "ssa_again", definition=cm("owned", k="bob"), apply=True, server_side_apply={"field_manager": "bob", "force_conflicts": True}),
    # --- without server-side apply: create, client-side apply, re-run
    k8s("plain create", "plain", definition=cm("plain", a="1")),
    k8s("client-side apply", "csa", definition=cm("plain", a="2"), apply=True),
    k8s("client-side apply again", "csa_again", definition=cm("plain", a="2"), apply=True),
    # --- check mode and diff
    dict(k8s("check mode create", "check", definition=cm("checked", a="1")), check_mode=True, diff=True),
    info("after check mode", "check_info", kind="ConfigMap", namespace=NS, name="checked"),
    dict(k8s("diff of a change", "diffed", definition=cm("plain", a="3")), diff=True),
    # --- hidden fields
    k8s("hidden create", "hidden", definition=deployment("hid", replicas=1), hidden_fields=["metadata.managedFields"]),
    k8s("hidden change", "hidden_change", definition=deployment("hid", image="nginx:1.28", replicas=1), hidden_fields=["metadata.managedFields"]),
    # --- waits
    k8s("deployment wait", "w_deploy", definition=deployment("web"), **WAIT),
    k8s("daemonset wait", "w_ds", definition=DS, **WAIT),
    k8s("statefulset wait", "w_sts", definition=STS, **WAIT),
    k8s("job wait", "w_job", definition=JOB, wait_condition={"type": "Complete", "status": "True"}, **WAIT),
    k8s("generateName pod wait", "w_gen", definition=POD, **WAIT),
    # --- label selectors
    info("pods of web", "sel_web", kind="Pod", namespace=NS, label_selectors=["app=web"]),
    info("pods not web", "sel_notweb", kind="Pod", namespace=NS, label_selectors=["app!=web", "app"]),
    info("pods in set", "sel_in", kind="Pod", namespace=NS, label_selectors=["app in (db, agent)"]),
    # --- garbage collection with the three propagation policies
    k8s("orphan target", "gc_o", definition=deployment("gc-orphan", replicas=1), **WAIT),
    k8s("background target", "gc_b", definition=deployment("gc-bg", replicas=1), **WAIT),
    k8s("foreground target", "gc_f", definition=deployment("gc-fg", replicas=1), **WAIT),
    k8s("delete orphan", "del_o", state="absent", kind="Deployment", namespace=NS, name="gc-orphan",
        delete_options={"propagationPolicy": "Orphan"}, wait=True),
    k8s("delete background", "del_b", state="absent", kind="Deployment", namespace=NS, name="gc-bg",
        delete_options={"propagationPolicy": "Background"}, wait=True),
    k8s("delete foreground", "del_f", state="absent", kind="Deployment", namespace=NS, name="gc-fg",
        delete_options={"propagationPolicy": "Foreground"}, wait=True),
    info("replicasets after deletes", "rs_after", kind="ReplicaSet", namespace=NS, label_selectors=["app in (gc-orphan, gc-bg, gc-fg)"]),
    k8s("delete job default", "del_job", state="absent", kind="Job", namespace=NS, name="migrate", wait=True),
    info("job pods after delete", "job_pods", kind="Pod", namespace=NS, label_selectors=["batch.kubernetes.io/job-name=migrate"]),
]
NAMES = [t["register"] for t in TASKS]


@pytest.fixture(scope="module")
def fidelity(module_apiserver_factory):
    store = Store()
    for i in (1, 2, 3):
        store.upsert({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{i}", "labels": {"kubernetes.io/hostname": f"node-{i}"}}})
    srv = module_apiserver_factory(store, controllers=True)
    env = dict(srv.env, ANSIBLE_DEPRECATION_WARNINGS="0")
    run = run_playbook([localhost_play(TASKS)], env=env, dump=tuple(NAMES), timeout=170, collection=False)
    return run, store


@pytest.fixture(scope="module")
def r(fidelity):
    run, _store = fidelity
    missing = [n for n in NAMES if n not in run.results]
    assert not missing, f"tasks without a result {missing}:\n{run.output[-4000:]}"
    return run.results


def test_server_side_apply_ownership_conflict_and_force(r):
    assert r["ssa_alice"]["changed"] and not r["ssa_alice"].get("failed")
    managers = [e["manager"] for e in r["ssa_alice"]["result"]["metadata"]["managedFields"]]
    assert managers == ["alice"]
    # a second manager changing alice's field is refused with the apply conflict (409)
    assert r["ssa_conflict"].get("failed")
    msg = r["ssa_conflict"]["msg"]  # kubernetes.core quotes the Status body (JSON inside a bytes repr)
    assert "Apply failed with 1 conflict: conflict with" in msg and "alice" in msg and ": .data.k" in msg
    assert '"reason": "Conflict"' in msg and '"code": 409' in msg and "FieldManagerConflict" in msg
    # force_conflicts takes it; bob does not apply "other", which stays alice's
    force = r["ssa_force"]
    assert force["changed"] and force["result"]["data"] == {"k": "bob", "other": "x"}
    owners = {e["manager"]: e["fieldsV1"] for e in force["result"]["metadata"]["managedFields"]}
    assert owners["bob"]["f:data"].keys() >= {"f:k"} and "f:k" not in owners["alice"]["f:data"]
    assert not r["ssa_again"]["changed"]


def test_apply_without_server_side_apply(r):
    assert r["plain"]["changed"] and r["plain"]["result"]["data"] == {"a": "1"}
    assert r["csa"]["changed"] and r["csa"]["result"]["data"] == {"a": "2"}
    ann = r["csa"]["result"]["metadata"]["annotations"]
    assert json.loads(ann["kubectl.kubernetes.io/last-applied-configuration"])["data"] == {"a": "2"}
    assert not r["csa_again"]["changed"]


def test_check_mode_writes_nothing_and_diff_shows_the_change(r):
    assert r["check"]["changed"] and r["check_info"]["resources"] == []
    diff = r["diffed"]["diff"]
    assert diff["before"]["data"] == {"a": "2"} and diff["after"]["data"] == {"a": "3"}


def test_hidden_fields_are_hidden_and_changes_are_returned(r):
    # a real server returns managedFields on every object (here: the same kind, not hidden) ...
    shown = r["w_deploy"]["result"]["metadata"]["managedFields"]
    assert [(e["manager"], e["operation"]) for e in shown] == [("OpenAPI-Generator", "Update")]
    # ... and hidden_fields removes them from the result
    assert "managedFields" not in r["hidden"]["result"]["metadata"]
    change = r["hidden_change"]
    assert change["changed"] and "managedFields" not in change["result"]["metadata"]
    assert change["result"]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"


def test_waits_on_workloads_and_jobs(r):
    for name in ("w_deploy", "w_ds", "w_sts", "w_job", "w_gen"):
        assert not r[name].get("failed"), (name, r[name].get("msg"))
        assert r[name]["result"]["metadata"]["name"]
    assert r["w_deploy"]["result"]["status"]["readyReplicas"] == 2
    assert r["w_ds"]["result"]["status"]["numberReady"] == 3
    assert r["w_sts"]["result"]["status"]["readyReplicas"] == 2
    conds = {c["type"]: c["status"] for c in r["w_job"]["result"]["status"]["conditions"]}
    assert conds["Complete"] == "True"
    assert r["w_gen"]["result"]["metadata"]["name"].startswith("probe-")


def test_label_selectors(r):
    web = r["sel_web"]["resources"]
    assert len(web) == 2 and all(p["metadata"]["labels"]["app"] == "web" for p in web)
    assert {p["metadata"]["labels"]["app"] for p in r["sel_notweb"]["resources"]} >= {"agent", "db"}
    assert "web" not in {p["metadata"]["labels"]["app"] for p in r["sel_notweb"]["resources"]}
    assert {p["metadata"]["labels"]["app"] for p in r["sel_in"]["resources"]} == {"agent", "db"}


def test_garbage_collection_with_the_three_propagation_policies(r):
    for name in ("del_o", "del_b", "del_f"):
        assert r[name]["changed"] and not r[name].get("failed"), r[name]
    left = r["rs_after"]["resources"]
    # Orphan keeps the ReplicaSet (without its owner reference); Background/Foreground delete it
    assert [rs["metadata"]["labels"]["app"] for rs in left] == ["gc-orphan"]
    assert "ownerReferences" not in left[0]["metadata"]
    # batch/v1 Jobs orphan their pods by default
    assert r["del_job"]["changed"]
    pods = r["job_pods"]["resources"]
    assert len(pods) == 1 and "ownerReferences" not in pods[0]["metadata"]
