"""Request/response pairs a real kube-apiserver 1.33 gives, replayed against the twin (issue 14,
and the fault model of issue 9 item 6). Each test names the upstream behaviour it pins; every one
failed on the twin before these changes (see the commit message for the run)."""

import json

import pytest

from tests.twin.controllers import Controllers

CM = "/api/v1/namespaces/demo/configmaps"
DEPLOY = "/apis/apps/v1/namespaces/demo/deployments"
APPLY = "application/apply-patch+yaml"


@pytest.fixture
def ns(http):
    assert http("POST", "/api/v1/namespaces", {"metadata": {"name": "demo"}})[0] == 201
    return "demo"


def cm(name="c", **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "demo"}, "data": data or {"k": "v"}}


def deployment(name="web", replicas=1, **extra):
    labels = {"app": name}
    d = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}},
        },
    }
    d["spec"].update(extra)
    return d


# ------------------------------------------------------------------ /version and schemas
def test_version_is_a_talos_kubernetes_with_the_1_33_field_set(http):
    code, v, _h = http("GET", "/version")
    assert code == 200
    assert v["gitVersion"] == "v1.33.0" and (v["major"], v["minor"]) == ("1", "33")
    # apimachinery pkg/version Info at 1.33 has the emulation / min-compatibility fields
    assert (v["emulationMajor"], v["emulationMinor"], v["minCompatibilityMinor"]) == ("1", "33", "32")
    assert set(v) >= {"gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"}


def test_statefulset_without_service_name_is_accepted(http, ns):
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": "postgres:17"}]}},
        },
    }
    code, out, _h = http("POST", "/apis/apps/v1/namespaces/demo/statefulsets", sts)
    assert code == 201, out
    assert "serviceName" not in out["spec"]
    # a new StatefulSet carries its zero status (non-omitempty Go fields), before any controller
    assert out["status"] == {"replicas": 0, "availableReplicas": 0}
    # SetDefaults_StatefulSet (kubernetes.core's StatefulSet wait reads updateStrategy.type)
    assert out["spec"]["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert (out["spec"]["podManagementPolicy"], out["spec"]["revisionHistoryLimit"]) == ("OrderedReady", 10)


def test_explicit_null_is_unset_on_create(http, ns):
    d = deployment()
    d["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "100m", "memory": None}}
    d["spec"]["revisionHistoryLimit"] = None
    code, out, _h = http("POST", DEPLOY, d)
    assert code == 201, out
    assert out["spec"]["template"]["spec"]["containers"][0]["resources"] == {"requests": {"cpu": "100m"}}
    assert "revisionHistoryLimit" not in out["spec"]


def test_explicit_null_deletes_in_strategic_merge_and_apply_patches(http, ns):
    http("POST", CM, cm(a="1", b="2", c="3"))
    code, out, _h = http("PATCH", CM + "/c", {"data": {"a": None}}, "application/strategic-merge-patch+json")
    assert code == 200 and out["data"] == {"b": "2", "c": "3"}
    cfg = cm(b="2", c=None)
    code, out, _h = http("PATCH", CM + "/c?fieldManager=me&force=true", cfg, APPLY)
    assert code == 200 and out["data"] == {"b": "2"}, out


def test_generate_name_gives_a_gettable_name_of_the_upstream_alphabet(http, ns):
    names = set()
    for _unused in range(30):
        code, out, _h = http("POST", CM, {"metadata": {"generateName": "g" * 70}, "data": {}})
        assert code == 201
        name = out["metadata"]["name"]
        assert len(name) == 63 and name[:58] == "g" * 58
        assert set(name[58:]) <= set("bcdfghjklmnpqrstvwxz2456789")
        names.add(name)
        assert http("GET", CM + "/" + name)[1]["metadata"]["uid"] == out["metadata"]["uid"]
    assert len(names) == 30


# ------------------------------------------------------------------ list order
def test_lists_are_in_etcd_key_order(http):
    for n in ("ab", "ab-c"):
        http("POST", "/api/v1/namespaces", {"metadata": {"name": n}})
    for n, name in (("ab", "z"), ("ab-c", "a"), ("ab", "a-b"), ("ab", "a")):
        assert http("POST", f"/api/v1/namespaces/{n}/configmaps", {"metadata": {"name": name}, "data": {}})[0] == 201
    _c, lst, _h = http("GET", "/api/v1/configmaps")
    # /registry/configmaps/ab-c/a < /registry/configmaps/ab/a ('-' 0x2d sorts before '/' 0x2f)
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in lst["items"]] == [("ab-c", "a"), ("ab", "a"), ("ab", "a-b"), ("ab", "z")]


# ------------------------------------------------------------------ server-side apply
def test_managed_fields_are_kept_and_returned(http, ns):
    code, out, _h = http("POST", CM, cm(a="1"))
    assert code == 201
    mf = out["metadata"]["managedFields"]
    assert [(e["manager"], e["operation"], e["fieldsType"]) for e in mf] == [("Python-urllib", "Update", "FieldsV1")]
    assert mf[0]["fieldsV1"] == {"f:data": {".": {}, "f:a": {}}} or mf[0]["fieldsV1"] == {"f:data": {"f:a": {}}}
    assert mf[0]["apiVersion"] == "v1" and mf[0]["time"].endswith("Z")
    _c, got, _h = http("GET", CM + "/c")
    assert got["metadata"]["managedFields"] == mf


def test_second_manager_conflicts_unless_forced(http, ns):
    code, out, _h = http("PATCH", CM + "/c?fieldManager=alice", cm(k="alice"), APPLY)
    assert code == 201
    code, st, _h = http("PATCH", CM + "/c?fieldManager=bob", cm(k="bob"), APPLY)
    assert code == 409 and st["reason"] == "Conflict"
    assert st["message"] == 'Apply failed with 1 conflict: conflict with "alice": .data.k'
    assert st["details"]["causes"] == [{"type": "FieldManagerConflict", "message": 'conflict with "alice"', "field": ".data.k"}]
    # the same value is shared ownership, no conflict: managers grow to two
    code, out, _h = http("PATCH", CM + "/c?fieldManager=bob", cm(k="alice"), APPLY)
    assert code == 200 and sorted(e["manager"] for e in out["metadata"]["managedFields"]) == ["alice", "bob"]
    # force takes the field: alice loses it (and her then-empty entry goes)
    code, out, _h = http("PATCH", CM + "/c?fieldManager=bob&force=true", cm(k="bob"), APPLY)
    assert code == 200 and out["data"] == {"k": "bob"}
    assert [e["manager"] for e in out["metadata"]["managedFields"]] == ["bob"]


def test_several_conflicts_are_listed_per_manager(http, ns):
    http("PATCH", CM + "/c?fieldManager=alice", cm(a="1", b="1"), APPLY)
    code, st, _h = http("PATCH", CM + "/c?fieldManager=bob", cm(a="2", b="2"), APPLY)
    assert code == 409
    assert st["message"] == 'Apply failed with 2 conflicts: conflicts with "alice":\n- .data.a\n- .data.b'
    assert [c["field"] for c in st["details"]["causes"]] == [".data.a", ".data.b"]


def test_apply_conflicts_with_an_update_manager_and_names_its_api_version(http, ns):
    http("POST", DEPLOY + "?fieldManager=kubectl-create", deployment(replicas=1))
    cfg = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3}}
    code, st, _h = http("PATCH", DEPLOY + "/web?fieldManager=scaler", cfg, APPLY)
    assert code == 409
    _c, live, _h = http("GET", DEPLOY + "/web")
    created_at = live["metadata"]["managedFields"][0]["time"]
    assert st["message"] == f'Apply failed with 1 conflict: conflict with "kubectl-create" using apps/v1 at {created_at}: .spec.replicas'

    code, out, _h = http("PATCH", DEPLOY + "/web?fieldManager=scaler&force=true", cfg, APPLY)
    assert code == 200 and out["spec"]["replicas"] == 3
    # list-map elements are owned by key: the container stays kubectl-create's
    owners = {e["manager"]: e["fieldsV1"] for e in out["metadata"]["managedFields"]}
    assert "f:replicas" in owners["scaler"]["f:spec"] and "f:replicas" not in owners["kubectl-create"]["f:spec"]
    assert 'k:{"name":"main"}' in owners["kubectl-create"]["f:spec"]["f:template"]["f:spec"]["f:containers"]


def test_reapply_without_a_field_removes_it_and_identical_apply_is_a_noop(http, ns):
    code, first, _h = http("PATCH", CM + "/c?fieldManager=me", cm(a="1", b="2"), APPLY)
    code, second, _h = http("PATCH", CM + "/c?fieldManager=me", cm(a="1"), APPLY)
    assert code == 200 and second["data"] == {"a": "1"}
    code, third, _h = http("PATCH", CM + "/c?fieldManager=me", cm(a="1"), APPLY)
    assert third["metadata"]["resourceVersion"] == second["metadata"]["resourceVersion"]
    assert third["metadata"]["managedFields"] == second["metadata"]["managedFields"]


# ------------------------------------------------------------------ garbage collection
def _owner_and_dependent(http):
    code, owner, _h = http("POST", CM, cm("owner"))
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    dep = cm("dep")
    dep["metadata"]["ownerReferences"] = [ref]
    assert http("POST", CM, dep)[0] == 201
    return owner


def test_delete_orphan_keeps_dependents_without_the_owner_reference(http, ns):
    _owner_and_dependent(http)
    code, _out, _h = http("DELETE", CM + "/owner", {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Orphan"})
    assert code == 200
    assert http("GET", CM + "/owner")[0] == 404
    code, dep, _h = http("GET", CM + "/dep")
    assert code == 200 and "ownerReferences" not in dep["metadata"]


def test_delete_background_removes_dependents(http, ns):
    _owner_and_dependent(http)
    assert http("DELETE", CM + "/owner?propagationPolicy=Background")[0] == 200
    assert http("GET", CM + "/dep")[0] == 404


def test_delete_foreground_answers_the_owner_with_the_foreground_finalizer(http, ns):
    _owner_and_dependent(http)
    code, out, _h = http("DELETE", CM + "/owner", {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground"})
    assert code == 200
    assert out["metadata"]["finalizers"] == ["foregroundDeletion"] and out["metadata"]["deletionTimestamp"]
    assert http("GET", CM + "/dep")[0] == 404 and http("GET", CM + "/owner")[0] == 404


def test_bad_propagation_policy_is_422(http, ns):
    http("POST", CM, cm())
    code, st, _h = http("DELETE", CM + "/c?propagationPolicy=Sideways")
    assert code == 422 and 'Unsupported value: "Sideways"' in st["message"]


def test_batch_v1_job_delete_orphans_by_default_with_the_warning(http, ns):
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "once"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]}}},
    }
    code, out, _h = http("POST", "/apis/batch/v1/namespaces/demo/jobs", job)
    assert code == 201
    uid = out["metadata"]["uid"]
    # pkg/registry/batch/job/strategy.go generateSelector + SetDefaults_Job
    assert out["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert out["spec"]["template"]["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "once"
    assert (out["spec"]["completions"], out["spec"]["parallelism"], out["spec"]["backoffLimit"]) == (1, 1, 6)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "once-abcde", "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "once", "uid": uid, "controller": True}]},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
    }
    assert http("POST", "/api/v1/namespaces/demo/pods", pod)[0] == 201
    code, _out, headers = http("DELETE", "/apis/batch/v1/namespaces/demo/jobs/once")
    assert code == 200 and "child pods are preserved by default when jobs are deleted" in headers.get("Warning", "")
    code, p, _h = http("GET", "/api/v1/namespaces/demo/pods/once-abcde")
    assert code == 200 and "ownerReferences" not in p["metadata"]


# ------------------------------------------------------------------ access reviews
def _rbac(http):
    http("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/demo/roles", {
        "metadata": {"name": "pod-reader"},
        "rules": [
            {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
            {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"], "resourceNames": ["only-this"]},
        ],
    })
    http("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/demo/rolebindings", {
        "metadata": {"name": "collector-reads-pods"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "collector", "namespace": "demo"}],
    })
    http("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
        "metadata": {"name": "node-watcher"},
        "rules": [{"apiGroups": ["*"], "resources": ["nodes"], "verbs": ["*"]}],
    })
    http("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
        "metadata": {"name": "ops-watch-nodes"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "node-watcher"},
        "subjects": [{"kind": "Group", "name": "ops"}],
    })


def sar(user=None, groups=None, **ra):
    spec = {"resourceAttributes": ra}
    if user:
        spec["user"] = user
    if groups:
        spec["groups"] = groups
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}


@pytest.mark.parametrize(
    "who, attrs, allowed",
    [
        (("system:serviceaccount:demo:collector", None), {"namespace": "demo", "verb": "list", "resource": "pods"}, True),
        (("system:serviceaccount:demo:collector", None), {"namespace": "demo", "verb": "get", "resource": "pods", "subresource": "log"}, True),
        (("system:serviceaccount:demo:collector", None), {"namespace": "demo", "verb": "delete", "resource": "pods"}, False),
        (("system:serviceaccount:demo:collector", None), {"namespace": "other", "verb": "list", "resource": "pods"}, False),
        (("system:serviceaccount:demo:collector", None), {"namespace": "demo", "verb": "get", "resource": "configmaps", "name": "only-this"}, True),
        (("system:serviceaccount:demo:collector", None), {"namespace": "demo", "verb": "get", "resource": "configmaps", "name": "other"}, False),
        (("carol", ["ops"]), {"verb": "watch", "group": "", "resource": "nodes"}, True),
        (("carol", []), {"verb": "watch", "group": "", "resource": "nodes"}, False),
    ],
)
def test_subject_access_review_from_rbac_objects(http, ns, who, attrs, allowed):
    _rbac(http)
    code, out, _h = http("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar(who[0], who[1], **attrs))
    assert code == 201 and out["status"]["allowed"] is allowed, out
    if allowed:
        assert out["status"]["reason"].startswith("RBAC: allowed by ")
    else:
        assert "reason" not in out["status"] and "denied" not in out["status"]
    assert http("GET", "/apis/authorization.k8s.io/v1/subjectaccessreviews")[0] == 405  # create-only


def test_subject_access_review_validation(http):
    code, st, _h = http("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar(None, None, verb="get", resource="pods"))
    assert code == 422 and "spec.user: Invalid value" in st["message"] and "at least one of user or group must be specified" in st["message"]


def test_self_subject_access_review(twin, http, ns):
    _rbac(http)
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {"resourceAttributes": {"verb": "delete", "resource": "nodes"}}}
    code, out, _h = http("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)
    assert code == 201 and out["status"]["allowed"] is True  # the kubeconfig admin is in system:masters
    import urllib.request

    req = urllib.request.Request(twin.url + "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    req.add_header("Impersonate-User", "system:serviceaccount:demo:collector")
    with urllib.request.urlopen(req) as r:
        assert r.status == 201 and json.loads(r.read())["status"]["allowed"] is False


# ------------------------------------------------------------------ fault model (issue 9 item 6)
def test_injected_409_on_create_only_when_the_object_exists(twin, http, ns):
    twin.faults.set(1.0, [409])
    code, out, _h = http("POST", CM, cm("new"))
    assert code == 201, out  # a real server never answers 409 to a create of a missing object
    code, st, _h = http("POST", CM, cm("new"))
    assert code == 409 and st["reason"] == "AlreadyExists" and st["message"] == 'configmaps "new" already exists'


def test_injected_409_on_update_only_with_a_stale_resource_version(twin, http, ns):
    code, out, _h = http("POST", DEPLOY, deployment())
    twin.faults.set(1.0, [409])
    d = dict(out)
    code, st, _h = http("PUT", DEPLOY + "/web", d)
    assert code == 409 and st["reason"] == "Conflict"
    assert st["message"] == (
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    assert st["details"] == {"name": "web", "group": "apps", "kind": "deployments"}
    twin.faults.off()
    # the concurrent writer really moved the version: a retry with the old one still conflicts
    code, st, _h = http("PUT", DEPLOY + "/web", d)
    assert code == 409
    twin.faults.set(1.0, [409])
    # without a resourceVersion precondition there is nothing to conflict with
    code, out, _h = http("PATCH", DEPLOY + "/web", {"spec": {"replicas": 2}}, "application/strategic-merge-patch+json")
    assert code == 200 and out["spec"]["replicas"] == 2
    code, out, _h = http("GET", DEPLOY + "/web")
    assert code == 200


def test_injected_429_has_retry_after_and_the_apf_body(twin, http, ns):
    twin.faults.set(1.0, [429])
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(twin.url + "/api/v1/namespaces/demo/configmaps")
    assert e.value.code == 429 and e.value.headers["Retry-After"] == "1"
    assert e.value.read() == b"Too many requests, please try again later.\n"


@pytest.mark.parametrize(
    "code, reason, message",
    [
        (500, "InternalError", "Internal error occurred: etcdserver: leader changed"),
        (503, "ServiceUnavailable", "apiserver is shutting down"),
        (504, "Timeout", "Timeout: request did not complete within the allotted timeout"),
    ],
)
def test_injected_5xx_are_status_objects_of_the_real_filters(twin, http, ns, code, reason, message):
    twin.faults.set(1.0, [code])
    for method, path, body in (("GET", CM, None), ("POST", CM, cm()), ("DELETE", CM + "/x", None)):
        got, st, _h = http(method, path, body)
        assert (got, st["reason"], st["message"]) == (code, reason, message)


# ------------------------------------------------------------------ controllers: paused, Jobs
@pytest.fixture
def cluster(twin, http):
    store = twin.store
    for i in (1, 2):
        store.upsert({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"n{i}", "labels": {"kubernetes.io/hostname": f"n{i}"}}})
    http("POST", "/api/v1/namespaces", {"metadata": {"name": "demo"}})
    ctrl = Controllers(store, None)
    return ctrl


def test_paused_deployment_reports_deployment_paused(cluster, http):
    code, _out, _h = http("POST", DEPLOY, deployment(paused=True))
    assert code == 201
    cluster.settle()
    _c, d, _h = http("GET", DEPLOY + "/web")
    prog = next(c for c in d["status"]["conditions"] if c["type"] == "Progressing")
    assert (prog["status"], prog["reason"], prog["message"]) == ("Unknown", "DeploymentPaused", "Deployment is paused")


def test_job_runs_pods_to_completion(cluster, http):
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate"},
        "spec": {"completions": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]}}},
    }
    code, out, _h = http("POST", "/apis/batch/v1/namespaces/demo/jobs", job)
    assert code == 201
    for _unused in range(5):
        cluster.settle()
    _c, j, _h = http("GET", "/apis/batch/v1/namespaces/demo/jobs/migrate")
    assert j["status"]["succeeded"] == 2 and "active" not in j["status"] and j["status"]["completionTime"]
    assert [(c["type"], c["status"], c["reason"]) for c in j["status"]["conditions"]] == [
        ("SuccessCriteriaMet", "True", "CompletionsReached"),
        ("Complete", "True", "CompletionsReached"),
    ]
    _c, pods, _h = http("GET", "/api/v1/namespaces/demo/pods?labelSelector=batch.kubernetes.io/job-name%3Dmigrate")
    assert len(pods["items"]) == 2
    for p in pods["items"]:
        assert p["status"]["phase"] == "Succeeded"
        assert p["metadata"]["ownerReferences"][0]["uid"] == out["metadata"]["uid"]
    # pods keep their terminal phase on the next passes
    cluster.settle()
    _c, again, _h = http("GET", "/api/v1/namespaces/demo/pods?labelSelector=batch.kubernetes.io/job-name%3Dmigrate")
    assert [p["metadata"]["resourceVersion"] for p in again["items"]] == [p["metadata"]["resourceVersion"] for p in pods["items"]]
