"""The twin's HTTP API emulator, driven by the real ``kubernetes`` client and plain urllib."""

import base64
import json
import time

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

JAEGER_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.io"},
    "spec": {
        "group": "example.io",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "required": ["size"],
                                "properties": {
                                    "size": {"type": "integer", "minimum": 1, "maximum": 10},
                                    "mode": {"type": "string", "enum": ["fast", "slow"]},
                                    "name": {"type": "string", "pattern": "^[a-z]+$"},
                                    "tags": {"type": "array", "items": {"type": "string"}},
                                    "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                    "options": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                },
                            },
                            "status": {"type": "object", "properties": {"phase": {"type": "string"}}},
                        },
                    }
                },
            }
        ],
    },
}


def deployment(name="web", ns="demo", image="nginx:1.27", replicas=1):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": image,
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}],
                        },
                        {"name": "sidecar", "image": "busybox:1.36"},
                    ],
                    "volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}],
                },
            },
        },
    }


@pytest.fixture
def ns(api):
    client.CoreV1Api(api).create_namespace({"metadata": {"name": "demo"}})
    return "demo"


@pytest.fixture
def crd(api, http):
    code, body, _unused = http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", JAEGER_CRD)
    assert code == 201, body
    return body


def status_of(exc: ApiException) -> dict:
    return json.loads(exc.body)


# ------------------------------------------------------------------ discovery
def test_discovery_documents(http):
    code, version, _unused = http("GET", "/version")
    assert code == 200 and version["major"] == "1" and version["minor"] == "33"
    code, apis, _unused = http("GET", "/api")
    assert apis["kind"] == "APIVersions" and apis["versions"] == ["v1"]
    code, core, _unused = http("GET", "/api/v1")
    names = {r["name"]: r for r in core["resources"]}
    assert core["kind"] == "APIResourceList" and core["groupVersion"] == "v1"
    assert names["configmaps"]["namespaced"] is True and names["configmaps"]["shortNames"] == ["cm"]
    assert names["namespaces"]["namespaced"] is False and names["namespaces"]["singularName"] == "namespace"
    assert names["pods/status"]["verbs"] == ["get", "patch", "update"]
    assert "configmaps/status" not in names
    code, groups, _unused = http("GET", "/apis")
    apps = next(g for g in groups["groups"] if g["name"] == "apps")
    assert groups["kind"] == "APIGroupList" and apps["preferredVersion"]["groupVersion"] == "apps/v1"
    code, appsv1, _unused = http("GET", "/apis/apps/v1")
    assert {"deployments", "deployments/status", "daemonsets"} <= {r["name"] for r in appsv1["resources"]}
    assert http("GET", "/openapi/v2")[0] == 404
    assert http("GET", "/apis/example.io/v1")[0] == 404


def test_crd_resources_appear_and_disappear_at_run_time(api, http, crd):
    code, groups, _unused = http("GET", "/apis")
    assert "example.io" in [g["name"] for g in groups["groups"]]
    code, res, _unused = http("GET", "/apis/example.io/v1")
    entries = {r["name"]: r for r in res["resources"]}
    assert entries["widgets"]["kind"] == "Widget" and entries["widgets"]["shortNames"] == ["wd"]
    assert entries["widgets"]["singularName"] == "widget" and "widgets/status" in entries
    # the real DynamicClient discovers it
    dyn = DynamicClient(api)
    widgets = dyn.resources.get(api_version="example.io/v1", kind="Widget")
    assert widgets.namespaced
    # the CRD status says Established, like apiextensions-apiserver
    crd_obj = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition").get(name="widgets.example.io")
    assert any(c["type"] == "Established" and c["status"] == "True" for c in crd_obj.to_dict()["status"]["conditions"])
    assert http("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.io")[0] == 200
    assert http("GET", "/apis/example.io/v1")[0] == 404
    assert "example.io" not in [g["name"] for g in http("GET", "/apis")[1]["groups"]]
    assert http("GET", "/apis/example.io/v1/widgets")[0] == 404


# ------------------------------------------------------------------ CRUD, lists, selectors
def test_create_get_list_with_selectors(api, ns):
    v1 = client.CoreV1Api(api)
    client.CoreV1Api(api).create_namespace({"metadata": {"name": "other"}})
    for name, n, labels in [
        ("a", "demo", {"tier": "web", "env": "prod"}),
        ("b", "demo", {"tier": "db", "env": "dev"}),
        ("c", "demo", {"tier": "web"}),
        ("d", "other", {"tier": "web", "env": "prod"}),
    ]:
        created = v1.create_namespaced_config_map(n, {"metadata": {"name": name, "labels": labels}, "data": {"k": name}})
        assert created.metadata.uid and created.metadata.resource_version and created.metadata.creation_timestamp
        assert created.metadata.namespace == n
    got = v1.read_namespaced_config_map("a", "demo")
    assert got.data == {"k": "a"}

    def names(**kw):
        return sorted(i.metadata.name for i in v1.list_namespaced_config_map("demo", **kw).items)

    assert names() == ["a", "b", "c"]
    assert names(label_selector="tier=web") == ["a", "c"]
    assert names(label_selector="tier==web,env=prod") == ["a"]
    assert names(label_selector="tier!=web") == ["b"]
    assert names(label_selector="env in (prod,dev)") == ["a", "b"]
    assert names(label_selector="env notin (prod)") == ["b", "c"]
    assert names(label_selector="env") == ["a", "b"]
    assert names(label_selector="!env") == ["c"]
    assert names(field_selector="metadata.name=b") == ["b"]
    assert names(field_selector="metadata.name!=b") == ["a", "c"]
    everywhere = v1.list_config_map_for_all_namespaces(label_selector="env=prod")
    assert sorted((i.metadata.namespace, i.metadata.name) for i in everywhere.items) == [("demo", "a"), ("other", "d")]
    other = v1.list_config_map_for_all_namespaces(field_selector="metadata.namespace=other")
    assert [i.metadata.name for i in other.items] == ["d"]


def test_list_kind_and_resource_version(http, ns):
    http("POST", "/api/v1/namespaces/demo/configmaps", {"metadata": {"name": "x"}})
    code, lst, _unused = http("GET", "/api/v1/namespaces/demo/configmaps")
    assert code == 200 and lst["kind"] == "ConfigMapList" and lst["apiVersion"] == "v1"
    assert lst["metadata"]["resourceVersion"].isdigit()
    assert lst["items"][0]["kind"] == "ConfigMap"
    code, bad, _unused = http("GET", "/api/v1/namespaces/demo/configmaps?labelSelector=a%20in%20(b")
    assert code == 400 and bad["kind"] == "Status"


def test_create_conflicts_missing_namespace_and_generate_name(api, ns):
    v1 = client.CoreV1Api(api)
    v1.create_namespaced_config_map("demo", {"metadata": {"name": "dup"}})
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_config_map("demo", {"metadata": {"name": "dup"}})
    st = status_of(e.value)
    assert e.value.status == 409 and st["reason"] == "AlreadyExists" and st["kind"] == "Status"
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_config_map("nowhere", {"metadata": {"name": "x"}})
    assert e.value.status == 404 and status_of(e.value)["details"]["kind"] == "namespaces"
    gen = v1.create_namespaced_config_map("demo", {"metadata": {"generateName": "job-"}})
    assert gen.metadata.name.startswith("job-") and len(gen.metadata.name) == 9
    with pytest.raises(ApiException) as e:
        v1.read_namespaced_config_map("missing", "demo")
    assert e.value.status == 404 and status_of(e.value)["reason"] == "NotFound"


def test_secret_string_data_and_base64(http, ns):
    code, s, _unused = http("POST", "/api/v1/namespaces/demo/secrets", {"metadata": {"name": "s"}, "stringData": {"k": "v"}})
    assert code == 201 and s["data"] == {"k": base64.b64encode(b"v").decode()} and "stringData" not in s
    code, st, _unused = http("POST", "/api/v1/namespaces/demo/secrets", {"metadata": {"name": "t"}, "data": {"k": "not base64!"}})
    assert code == 400 and st["reason"] == "BadRequest"


def test_put_conflict_on_stale_resource_version(api, ns):
    v1 = client.CoreV1Api(api)
    cm = v1.create_namespaced_config_map("demo", {"metadata": {"name": "c"}, "data": {"a": "1"}})
    stale = cm.metadata.resource_version
    cm.data = {"a": "2"}
    updated = v1.replace_namespaced_config_map("c", "demo", cm)
    assert updated.data == {"a": "2"} and updated.metadata.resource_version != stale
    cm.data = {"a": "3"}
    cm.metadata.resource_version = stale
    with pytest.raises(ApiException) as e:
        v1.replace_namespaced_config_map("c", "demo", cm)
    assert e.value.status == 409 and status_of(e.value)["reason"] == "Conflict"


def test_noop_write_keeps_resource_version(api, twin, ns):
    apps = client.AppsV1Api(api)
    created = apps.create_namespaced_deployment("demo", deployment())
    twin.stats.reset()
    again = apps.patch_namespaced_deployment("web", "demo", deployment())
    assert again.metadata.resource_version == created.metadata.resource_version
    assert again.metadata.generation == 1
    assert again.metadata.creation_timestamp == created.metadata.creation_timestamp
    put = apps.replace_namespaced_deployment("web", "demo", apps.read_namespaced_deployment("web", "demo"))
    assert put.metadata.resource_version == created.metadata.resource_version
    snap = twin.stats.snapshot()
    assert snap["writes"] == 0 and snap["noop_writes"] == 2 and snap["write_requests"] == 2


def test_generation_moves_only_on_spec_change(api, ns):
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment("demo", deployment())
    meta_only = apps.patch_namespaced_deployment("web", "demo", {"metadata": {"annotations": {"x": "y"}}})
    assert meta_only.metadata.generation == 1
    spec = apps.patch_namespaced_deployment("web", "demo", {"spec": {"replicas": 3}})
    assert spec.metadata.generation == 2 and spec.spec.replicas == 3


# ------------------------------------------------------------------ patches
def test_strategic_merge_by_merge_keys(api, ns):
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment("demo", deployment())
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "nginx:1.28",
                            "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}, {"name": "A", "$patch": "delete"}],
                            "ports": [{"containerPort": 9090, "name": "metrics"}],
                            "volumeMounts": [{"mountPath": "/etc/cfg", "readOnly": True}],
                        }
                    ],
                    "volumes": [{"name": "extra", "emptyDir": {}}],
                }
            }
        }
    }
    d = apps.patch_namespaced_deployment("web", "demo", patch).to_dict()
    containers = {c["name"]: c for c in d["spec"]["template"]["spec"]["containers"]}
    assert set(containers) == {"main", "sidecar"}  # merged by name, sidecar kept
    main = containers["main"]
    assert main["image"] == "nginx:1.28"
    assert [(e["name"], e["value"]) for e in main["env"]] == [("B", "20"), ("C", "3")]
    assert [p["container_port"] for p in main["ports"]] == [8080, 9090]
    assert main["volume_mounts"] == [
        {
            "mount_path": "/etc/cfg",
            "name": "cfg",
            "read_only": True,
            "mount_propagation": None,
            "recursive_read_only": None,
            "sub_path": None,
            "sub_path_expr": None,
        }
    ]
    assert [v["name"] for v in d["spec"]["template"]["spec"]["volumes"]] == ["cfg", "extra"]
    # null deletes, $patch: replace replaces the list
    d = apps.patch_namespaced_deployment(
        "web",
        "demo",
        {
            "metadata": {"labels": {"app": None}},
            "spec": {"template": {"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "x"}]}}},
        },
    ).to_dict()
    assert d["metadata"]["labels"] is None
    assert [c["name"] for c in d["spec"]["template"]["spec"]["containers"]] == ["only"]


def test_strategic_merge_service_ports_and_defaults(http, ns):
    svc = {"metadata": {"name": "s"}, "spec": {"selector": {"app": "x"}, "ports": [{"name": "a", "port": 80}]}}
    code, created, _unused = http("POST", "/api/v1/namespaces/demo/services", svc)
    assert code == 201 and created["spec"]["clusterIP"].startswith("10.")
    assert created["spec"]["ports"][0] == {"name": "a", "port": 80, "protocol": "TCP", "targetPort": 80}
    code, patched, _unused = http(
        "PATCH", "/api/v1/namespaces/demo/services/s", {"spec": {"ports": [{"port": 81, "name": "b"}]}}, "application/strategic-merge-patch+json"
    )
    assert [p["port"] for p in patched["spec"]["ports"]] == [80, 81]
    assert patched["spec"]["clusterIP"] == created["spec"]["clusterIP"]
    # re-sending the original (undefaulted) spec changes nothing
    code, same, _unused = http("PATCH", "/api/v1/namespaces/demo/services/s", svc, "application/strategic-merge-patch+json")
    assert same["metadata"]["resourceVersion"] == patched["metadata"]["resourceVersion"]


def test_strategic_merge_refused_for_custom_resources(http, ns, crd):
    cr = {"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1, "tags": ["a"]}}
    assert http("POST", "/apis/example.io/v1/namespaces/demo/widgets", cr)[0] == 201
    code, st, _unused = http(
        "PATCH", "/apis/example.io/v1/namespaces/demo/widgets/w", {"spec": {"size": 2}}, "application/strategic-merge-patch+json"
    )
    assert code == 415 and st["reason"] == "UnsupportedMediaType"
    code, obj, _unused = http(
        "PATCH", "/apis/example.io/v1/namespaces/demo/widgets/w", {"spec": {"size": 2, "tags": ["b"]}}, "application/merge-patch+json"
    )
    assert code == 200 and obj["spec"] == {"size": 2, "tags": ["b"]} and obj["metadata"]["generation"] == 2


def test_merge_patch_rfc7386(api, http, ns):
    client.CoreV1Api(api).create_namespaced_config_map(
        "demo", {"metadata": {"name": "m", "labels": {"a": "1", "b": "2"}}, "data": {"x": "1", "y": "2"}}
    )
    code, cm, _unused = http(
        "PATCH",
        "/api/v1/namespaces/demo/configmaps/m",
        {"metadata": {"labels": {"a": None, "c": "3"}}, "data": {"y": None, "z": "26"}},
        "application/merge-patch+json",
    )
    assert code == 200 and cm["metadata"]["labels"] == {"b": "2", "c": "3"} and cm["data"] == {"x": "1", "z": "26"}


def test_json_patch_rfc6902(api, ns):
    v1 = client.CoreV1Api(api)
    v1.create_namespaced_config_map("demo", {"metadata": {"name": "j"}, "data": {"a": "1", "b": "2"}})
    ops = [
        {"op": "test", "path": "/data/a", "value": "1"},
        {"op": "replace", "path": "/data/a", "value": "10"},
        {"op": "remove", "path": "/data/b"},
        {"op": "add", "path": "/metadata/labels", "value": {"k": "v"}},
        {"op": "copy", "from": "/data/a", "path": "/data/c"},
    ]
    cm = v1.patch_namespaced_config_map("j", "demo", ops)  # list body -> application/json-patch+json
    assert cm.data == {"a": "10", "c": "10"} and cm.metadata.labels == {"k": "v"}
    with pytest.raises(ApiException) as e:
        v1.patch_namespaced_config_map("j", "demo", [{"op": "test", "path": "/data/a", "value": "nope"}])
    assert e.value.status == 422
    assert v1.read_namespaced_config_map("j", "demo").data == {"a": "10", "c": "10"}


def test_server_side_apply_creates_when_missing(api, http, ns):
    cfg = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "namespace": "demo"}, "data": {"a": "1"}}
    path = "/api/v1/namespaces/demo/configmaps/ssa?fieldManager=test&force=true"
    code, created, _unused = http("PATCH", path, cfg, "application/apply-patch+yaml")
    assert code == 201 and created["data"] == {"a": "1"}
    yaml_body = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  b: '2'\n"
    code, updated, _unused = http("PATCH", path, raw=yaml_body, ctype="application/apply-patch+yaml")
    # the manager no longer applies "a" and nobody else owns it: server-side apply removes it
    assert code == 200 and updated["data"] == {"b": "2"}
    code, same, _unused = http("PATCH", path, raw=yaml_body, ctype="application/apply-patch+yaml")
    assert same["metadata"]["resourceVersion"] == updated["metadata"]["resourceVersion"]
    code, st, _unused = http("PATCH", "/api/v1/namespaces/demo/configmaps/ssa", cfg, "application/apply-patch+yaml")
    assert code == 400  # fieldManager is required for apply
    # the DynamicClient's server_side_apply (what kubernetes.core uses) works too
    dyn = DynamicClient(api)
    deploys = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    out = deploys.server_side_apply(body=deployment(name="ssa"), name="ssa", namespace="demo", field_manager="ansible", force_conflicts=True)
    assert out.metadata.generation == 1 and out.spec.replicas == 1
    out = deploys.server_side_apply(body=deployment(name="ssa", replicas=2), name="ssa", namespace="demo", field_manager="ansible")
    assert out.spec.replicas == 2 and [c.name for c in out.spec.template.spec.containers] == ["main", "sidecar"]


def test_unsupported_content_type_is_415(http, ns):
    http("POST", "/api/v1/namespaces/demo/configmaps", {"metadata": {"name": "u"}})
    code, st, _unused = http("PATCH", "/api/v1/namespaces/demo/configmaps/u", {"data": {}}, "text/plain")
    assert code == 415 and st["reason"] == "UnsupportedMediaType"


# ------------------------------------------------------------------ dry-run
def test_dry_run_persists_nothing(api, http, twin, ns):
    v1 = client.CoreV1Api(api)
    v1.create_namespaced_config_map("demo", {"metadata": {"name": "keep"}, "data": {"a": "1"}})
    rev = twin.store.revision
    twin.stats.reset()
    created = v1.create_namespaced_config_map("demo", {"metadata": {"name": "ghost"}}, dry_run="All")
    assert created.metadata.name == "ghost" and created.metadata.uid
    patched = v1.patch_namespaced_config_map("keep", "demo", {"data": {"a": "2"}}, dry_run="All")
    assert patched.data == {"a": "2"}
    cm = v1.read_namespaced_config_map("keep", "demo")
    cm.data = {"a": "3"}
    v1.replace_namespaced_config_map("keep", "demo", cm, dry_run="All")
    v1.delete_namespaced_config_map("keep", "demo", dry_run="All")
    code, _unused, _unused = http(
        "PATCH",
        "/api/v1/namespaces/demo/configmaps/new?fieldManager=x&dryRun=All",
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "new"}},
        "application/apply-patch+yaml",
    )
    assert code == 201
    # a dry-run create in a namespace that does not exist is a 404, like a real server
    with pytest.raises(ApiException) as e:
        v1.create_namespaced_config_map("later", {"metadata": {"name": "x"}}, dry_run="All")
    assert e.value.status == 404
    assert twin.store.revision == rev
    assert v1.read_namespaced_config_map("keep", "demo").data == {"a": "1"}
    assert [i.metadata.name for i in v1.list_namespaced_config_map("demo").items] == ["keep"]
    snap = twin.stats.snapshot()
    assert snap["writes"] == 0 and snap["dry_run_writes"] == 5
    assert http("POST", "/api/v1/namespaces/demo/configmaps?dryRun=Some", {"metadata": {"name": "q"}})[0] == 400


# ------------------------------------------------------------------ status, delete
def test_status_subresource(api, http, ns):
    apps = client.AppsV1Api(api)
    body = deployment()
    body["status"] = {"replicas": 5}
    created = apps.create_namespaced_deployment("demo", body)
    assert created.status is None or created.status.replicas is None  # status ignored on create
    code, st, _unused = http(
        "PATCH",
        "/apis/apps/v1/namespaces/demo/deployments/web/status",
        {"spec": {"replicas": 9}, "status": {"replicas": 1, "readyReplicas": 1}},
        "application/merge-patch+json",
    )
    assert code == 200 and st["status"] == {"replicas": 1, "readyReplicas": 1}
    assert st["spec"]["replicas"] == 1 and st["metadata"]["generation"] == 1  # spec untouched via /status
    d = apps.patch_namespaced_deployment("web", "demo", {"status": {"replicas": 7}, "spec": {"replicas": 2}})
    assert d.status.replicas == 1 and d.spec.replicas == 2  # status ignored on the main resource
    read = apps.read_namespaced_deployment_status("web", "demo")
    assert read.status.ready_replicas == 1
    assert http("GET", "/api/v1/namespaces/demo/configmaps/x/status")[0] == 404
    # a status written by a controller is not re-validated by a later write of the main resource
    code, st, _unused = http(
        "PATCH", "/apis/apps/v1/namespaces/demo/deployments/web/status", {"status": {"replicas": "x"}}, "application/merge-patch+json"
    )
    assert code == 422 and st["details"]["causes"][0]["field"] == "status.replicas"


def test_main_resource_write_ignores_controller_status(api, twin, ns):
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment("demo", deployment())
    twin.store.set_status("apps/v1", "Deployment", "demo", "web", {"replicas": 1, "simulated": {"by": "controller"}})
    d = apps.patch_namespaced_deployment("web", "demo", {"spec": {"replicas": 2}})
    assert d.spec.replicas == 2
    assert twin.store.find("apps/v1", "Deployment", "demo", "web")["status"]["simulated"] == {"by": "controller"}


def test_delete_finalizers_and_namespace_content(api, http, ns):
    v1 = client.CoreV1Api(api)
    v1.create_namespaced_config_map("demo", {"metadata": {"name": "f", "finalizers": ["example.io/hold"]}})
    v1.create_namespaced_config_map("demo", {"metadata": {"name": "plain"}})
    code, gone, _unused = http("DELETE", "/api/v1/namespaces/demo/configmaps/plain")
    assert code == 200 and gone["metadata"]["name"] == "plain"
    code, held, _unused = http("DELETE", "/api/v1/namespaces/demo/configmaps/f")
    assert code == 200 and held["metadata"]["deletionTimestamp"]
    assert v1.read_namespaced_config_map("f", "demo").metadata.deletion_timestamp
    v1.patch_namespaced_config_map("f", "demo", {"metadata": {"finalizers": None}})
    assert http("GET", "/api/v1/namespaces/demo/configmaps/f")[0] == 404
    v1.create_namespaced_config_map("demo", {"metadata": {"name": "inside"}})
    v1.delete_namespace("demo")
    assert http("GET", "/api/v1/namespaces/demo/configmaps/inside")[0] == 404


def test_method_and_path_errors(http, ns):
    assert http("PUT", "/api/v1/namespaces/demo/configmaps", {"metadata": {"name": "x"}})[0] == 405
    code, st, _unused = http("GET", "/api/v1/nothings")
    assert code == 404 and st["kind"] == "Status"
    code, st, _unused = http("POST", "/api/v1/namespaces/demo/configmaps", raw=b"{not json")
    assert code == 400 and st["reason"] == "BadRequest"
    code, st, _unused = http("POST", "/api/v1/namespaces/demo/configmaps", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}})
    assert code == 400


# ------------------------------------------------------------------ validation
def test_invalid_deployment_is_422(api, ns):
    apps = client.AppsV1Api(api)
    bad = deployment()
    del bad["spec"]["selector"]
    with pytest.raises(ApiException) as e:
        apps.create_namespaced_deployment("demo", bad)
    st = status_of(e.value)
    assert e.value.status == 422 and st["reason"] == "Invalid"
    assert {"field": "spec.selector", "reason": "FieldValueRequired", "message": "Required value"} in st["details"]["causes"]
    assert st["message"].startswith('Deployment.apps "web" is invalid: ')
    bad = deployment()
    bad["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "eighty"
    with pytest.raises(ApiException) as e:
        apps.create_namespaced_deployment("demo", bad)
    assert any(c["field"] == "spec.template.spec.containers[0].ports[0].containerPort" for c in status_of(e.value)["details"]["causes"])
    # a patch that would make the stored object invalid is refused too, and the selector is immutable
    apps.create_namespaced_deployment("demo", deployment())
    with pytest.raises(ApiException) as e:
        apps.patch_namespaced_deployment("web", "demo", {"spec": {"replicas": "many"}})
    assert e.value.status == 422
    with pytest.raises(ApiException) as e:
        apps.patch_namespaced_deployment("web", "demo", {"spec": {"selector": {"matchLabels": {"app": "other"}}}})
    assert e.value.status == 422 and "immutable" in status_of(e.value)["message"]
    with pytest.raises(ApiException) as e:
        client.CoreV1Api(api).create_namespaced_config_map("demo", {"metadata": {"name": "Bad_Name"}})
    assert e.value.status == 422 and status_of(e.value)["details"]["causes"][0]["field"] == "metadata.name"


def test_unknown_fields_pruned_with_warning_or_strict_400(http, ns):
    cm = {"metadata": {"name": "p"}, "data": {"a": "1"}, "bogus": 1}
    code, obj, headers = http("POST", "/api/v1/namespaces/demo/configmaps", cm)
    assert code == 201 and "bogus" not in obj and 'unknown field \\"bogus\\"' in headers.get("Warning", "")
    code, st, _unused = http("POST", "/api/v1/namespaces/demo/configmaps?fieldValidation=Strict", dict(cm, metadata={"name": "q"}))
    assert code == 400 and "strict decoding error" in st["message"]


def test_custom_resource_schema_validation(http, ns, crd):
    base = "/apis/example.io/v1/namespaces/demo/widgets"

    def cr(name, spec):
        return {"apiVersion": "example.io/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec}

    cases = {
        "type": ({"size": "big"}, "spec.size"),
        "required": ({"mode": "fast"}, "spec.size"),
        "maximum": ({"size": 11}, "spec.size"),
        "minimum": ({"size": 0}, "spec.size"),
        "enum": ({"size": 1, "mode": "medium"}, "spec.mode"),
        "pattern": ({"size": 1, "name": "ABC"}, "spec.name"),
        "items": ({"size": 1, "tags": [1]}, "spec.tags[0]"),
        "additional": ({"size": 1, "labels": {"a": 1}}, "spec.labels.a"),
    }
    for case, (spec, field) in cases.items():
        code, st, _unused = http("POST", base, cr(case, spec))
        assert code == 422, (case, st)
        assert st["reason"] == "Invalid" and field in [c["field"] for c in st["details"]["causes"]], (case, st)
    code, ok, headers = http("POST", base, cr("ok", {"size": 3, "mode": "slow", "extra": True, "options": {"free": {"x": 1}}}))
    assert code == 201
    assert "extra" not in ok["spec"] and ok["spec"]["options"] == {"free": {"x": 1}}  # pruned vs preserved
    assert "spec.extra" in headers.get("Warning", "")
    code, st, _unused = http("PATCH", base + "/ok", {"spec": {"size": 100}}, "application/merge-patch+json")
    assert code == 422


# ------------------------------------------------------------------ instrumentation
def test_counters(api, http, twin, ns):
    v1 = client.CoreV1Api(api)
    twin.stats.reset()
    v1.create_namespaced_config_map("demo", {"metadata": {"name": "c"}})
    v1.read_namespaced_config_map("c", "demo")
    v1.list_namespaced_config_map("demo")
    v1.patch_namespaced_config_map("c", "demo", {"data": {"a": "1"}})
    v1.patch_namespaced_config_map("c", "demo", {"data": {"a": "1"}})  # no-op
    with pytest.raises(ApiException):
        v1.read_namespaced_config_map("nope", "demo")
    code, snap, _unused = http("GET", "/_twin/stats")
    assert snap["reads"] == 2 and snap["failed_reads"] == 1 and snap["writes"] == 2 and snap["noop_writes"] == 1
    assert snap["by_verb"] == {"create": 1, "get": 2, "list": 1, "patch": 2}
    assert snap["by_resource"] == {"configmaps": 6}
    assert snap == twin.stats.snapshot()  # admin requests are not counted
    code, log, _unused = http("GET", "/_twin/log?limit=2")
    assert [e["verb"] for e in log["items"]] == ["patch", "get"] and log["items"][1]["code"] == 404
    assert http("POST", "/_twin/stats/reset")[1]["requests"] == 0


def test_fault_injection(api, http, twin, ns):
    v1 = client.CoreV1Api(api)
    code, cfg, _unused = http("POST", "/_twin/faults", {"rate": 1.0, "codes": [503], "latency_ms": 0})
    assert cfg["rate"] == 1.0 and cfg["codes"] == [503]
    with pytest.raises(ApiException) as e:
        v1.list_namespaced_config_map("demo")
    assert e.value.status == 503 and status_of(e.value)["reason"] == "ServiceUnavailable"
    assert http("GET", "/_twin/stats")[0] == 200  # admin endpoints never faulted
    assert http("GET", "/api/v1")[0] == 200  # discovery spared unless asked
    twin.faults.set(1.0, [429])
    with pytest.raises(ApiException) as e:
        v1.list_namespaced_config_map("demo")
    assert e.value.status == 429 and e.value.headers.get("Retry-After") == "1"
    twin.faults.set(0.5, [500, 409])
    seen = {http("GET", "/api/v1/namespaces")[0] for _unused in range(60)}
    assert seen == {200, 500}  # a read never answers 409 (see test_fidelity.py for writes)
    twin.faults.set(0, [500], latency_ms=150)
    t = time.monotonic()
    assert http("GET", "/api/v1/namespaces")[0] == 200
    assert time.monotonic() - t >= 0.15
    assert http("DELETE", "/_twin/faults")[1]["rate"] == 0
    assert twin.stats.snapshot()["faulted"] >= 2
    assert v1.list_namespaced_config_map("demo").items == []


def test_validation_is_fast(api, ns):
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment("demo", deployment(name="warm"))
    t = time.monotonic()
    for i in range(20):
        apps.create_namespaced_deployment("demo", deployment(name=f"d{i}"))
    assert (time.monotonic() - t) / 20 < 0.05
