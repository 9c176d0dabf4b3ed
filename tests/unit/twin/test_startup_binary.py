"""The twin's start-up verdict at the release tools/go/otelcol builds is the real Collector's
(tests/twin/controllers/startup.py _binary_verdict over tests/otelcol.py validate): the pod's
environment (fieldRefs included), its hostPath mounts and its ServiceAccount token decide, as in a pod."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests import otelcol  # noqa: E402
from tests.unit.twin.test_startup_rbac import _cs, _make, _pod  # noqa: E402

pytestmark = pytest.mark.skipif(otelcol.available() is None, reason="tools/go/otelcol cannot be built here (no Go)")
IMAGE = f"otel/opentelemetry-collector-contrib:{otelcol.RELEASE}"
KUBELET = {
    "receivers": {"kubeletstats": {"auth_type": "serviceAccount", "endpoint": "${env:K8S_NODE_NAME}:10250",
                                   "insecure_skip_verify": True}},
    "exporters": {"otlp": {"endpoint": "jaeger-collector.jaeger:4317", "tls": {"insecure": True}}},
    "service": {"pipelines": {"metrics": {"receivers": ["kubeletstats"], "exporters": ["otlp"]}}},
}


def _with(store, config, **spec):
    _pod(store, config, image=IMAGE)
    pod = store.find("v1", "Pod", "t", "col")
    pod["spec"].update(spec)
    store.upsert(pod)


def test_a_misspelt_contrib_key_crash_loops_with_the_binarys_text():
    store, ctrl = _make()
    bad = {**KUBELET, "receivers": {"kubeletstats": {**KUBELET["receivers"]["kubeletstats"], "colection_interval": "30s"}}}
    _with(store, bad)
    ctrl.settle()
    cs = _cs(store)
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    message = cs["lastState"]["terminated"]["message"]
    ok, expected = otelcol.validate(bad, env={}, service_account="t")
    assert not ok and message == expected and "has invalid keys: colection_interval" in message, message


def test_the_token_mount_decides_kubeletstats():
    store, ctrl = _make()
    _with(store, KUBELET, automountServiceAccountToken=False)
    ctrl.settle()
    message = _cs(store)["lastState"]["terminated"]["message"]
    assert "cert path /var/run/secrets/kubernetes.io/serviceaccount/ca.crt could not be read" in message, message
    store, ctrl = _make()
    _with(store, KUBELET)  # mounted by default: the same configuration starts
    ctrl.settle()
    assert "running" in _cs(store)["state"], _cs(store)


def test_a_hostpath_mount_makes_root_path_exist():
    host = {"receivers": {"hostmetrics": {"root_path": "/hostfs", "scrapers": {"load": {}}}},
            "exporters": KUBELET["exporters"],
            "service": {"pipelines": {"metrics": {"receivers": ["hostmetrics"], "exporters": ["otlp"]}}}}
    store, ctrl = _make()
    _with(store, host)
    ctrl.settle()
    assert "invalid root_path: stat /hostfs" in _cs(store)["lastState"]["terminated"]["message"]
    store, ctrl = _make()
    _pod(store, host, image=IMAGE)
    pod = store.find("v1", "Pod", "t", "col")
    pod["spec"]["volumes"].append({"name": "hostfs", "hostPath": {"path": "/"}})
    pod["spec"]["containers"][0]["volumeMounts"].append({"name": "hostfs", "mountPath": "/hostfs", "readOnly": True})
    store.upsert(pod)
    ctrl.settle()
    assert "running" in _cs(store)["state"], _cs(store)
