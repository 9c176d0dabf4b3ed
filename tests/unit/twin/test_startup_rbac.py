"""The twin's RBAC hook at Collector start-up (tests/twin/controllers/startup.py api_access): the pod's
ServiceAccount must be allowed what its configuration needs, or the pod shows what the real one shows."""

import copy
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.twin import cluster  # noqa: E402
from tests.twin.controllers import Controllers  # noqa: E402
from tests.unit.twin.test_controllers import FakeS3  # noqa: E402
from tests.twin.store import Store  # noqa: E402

LB_CFG = {
    "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
    "exporters": {"loadbalancing": {"routing_key": "traceID", "protocol": {"otlp": {"tls": {"insecure": True}}},
                                    "resolver": {"k8s": {"service": "otel-sampler.s", "ports": [4317]}}}},
    "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["loadbalancing"]}}},
}
RBAC = "rbac.authorization.k8s.io/v1"
USER = "system:serviceaccount:t:agent"


def _make():
    store = Store()
    cluster.bootstrap(store, nodes=1)
    ctrl = Controllers(store, FakeS3())
    for ns in ("t", "s"):
        store.upsert({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    return store, ctrl


def _pod(store, config, image="otel/opentelemetry-collector-contrib:0.114.0"):
    store.upsert({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "t"},
                  "data": {"config.yaml": yaml.safe_dump(config)}})
    store.upsert({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "col", "namespace": "t"},
                  "spec": {"serviceAccountName": "agent",
                           "containers": [{"name": "otel", "image": image, "args": ["--config=/conf/config.yaml"],
                                           "volumeMounts": [{"name": "config", "mountPath": "/conf"}]}],
                           "volumes": [{"name": "config", "configMap": {"name": "cfg"}}]}})


def _grant(store, ns, resources, group=""):
    store.upsert({"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "r-" + resources, "namespace": ns},
                  "rules": [{"apiGroups": [group], "resources": [resources], "verbs": ["get", "list", "watch"]}]})
    store.upsert({"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": "r-" + resources, "namespace": ns},
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r-" + resources},
                  "subjects": [{"kind": "ServiceAccount", "name": "agent", "namespace": "t"}]})


def _cs(store):
    return store.find("v1", "Pod", "t", "col")["status"]["containerStatuses"][0]


def _events(store, reason):
    return [e["message"] for e in store.list_kind("v1", "Event", "t") if e["reason"] == reason]


def test_resolver_without_endpoints_grant_runs_unready_with_the_reflector_error():
    store, ctrl = _make()
    _pod(store, LB_CFG)
    ctrl.settle()
    cs = _cs(store)
    assert "running" in cs["state"] and cs["ready"] is False and cs["restartCount"] == 0
    assert _events(store, "ContainerLog") == [
        'failed to list *v1.Endpoints: endpoints is forbidden: User "system:serviceaccount:t:agent" cannot list resource '
        '"endpoints" in API group "" in the namespace "s"']
    assert _events(store, "Unhealthy") == ["Readiness probe failed: HTTP probe failed with statuscode: 503"]


def test_grant_in_another_namespace_does_not_count_and_the_right_one_makes_it_ready():
    store, ctrl = _make()
    _grant(store, "t", "endpoints")  # the agents' own namespace: not where the Service is
    _pod(store, LB_CFG)
    ctrl.settle()
    assert _cs(store)["ready"] is False
    _grant(store, "s", "endpoints")
    ctrl.settle()
    assert _cs(store)["ready"] is True


def test_newer_collector_needs_endpointslices_not_endpoints():
    store, ctrl = _make()
    _grant(store, "s", "endpoints")  # what 0.114.0 needs: not enough, and not needed, at 0.159.0
    _pod(store, LB_CFG, image="otel/opentelemetry-collector-contrib:0.159.0")
    ctrl.settle()
    cs = _cs(store)
    if cs["ready"] is False and "waiting" in cs["state"]:
        # 0.159.0 refuses the configuration for another reason: the test would prove nothing
        raise AssertionError("0.159.0 did not start: %s" % cs)
    assert cs["ready"] is False
    assert any("failed to list *v1.EndpointSlice: endpointslices is forbidden" in m and 'API group "discovery.k8s.io"' in m
               for m in _events(store, "ContainerLog"))
    _grant(store, "s", "endpointslices", group="discovery.k8s.io")
    ctrl.settle()
    assert _cs(store)["ready"] is True


def test_unused_loadbalancing_exporter_needs_nothing():
    store, ctrl = _make()
    cfg = copy.deepcopy(LB_CFG)
    cfg["exporters"]["otlp"] = {"endpoint": "x:4317"}
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["otlp"]
    _pod(store, cfg)
    ctrl.settle()
    assert _cs(store)["ready"] is True and _events(store, "ContainerLog") == []


def test_kubeletstats_without_nodes_stats_stays_ready_and_logs_the_kubelet_refusal():
    store, ctrl = _make()
    cfg = {
        "receivers": {"kubeletstats": {"auth_type": "serviceAccount", "endpoint": "${env:K8S_NODE_NAME}:10250"}},
        "exporters": {"debug": {}},
        "service": {"pipelines": {"metrics": {"receivers": ["kubeletstats"], "exporters": ["debug"]}}},
    }
    _pod(store, cfg)
    ctrl.settle()
    assert _cs(store)["ready"] is True
    logs = _events(store, "ContainerLog")
    assert len(logs) == 1 and logs[0].endswith(
        '/stats/summary failed - "403 Forbidden", response: "Forbidden (user=system:serviceaccount:t:agent, verb=get, '
        'resource=nodes, subresource=stats)"')
