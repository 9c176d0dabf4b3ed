"""Pod Security admission as Talos configures it (enforce baseline everywhere but kube-system): a
DaemonSet with a hostPath volume is accepted, but the real DaemonSet controller's pods are refused in
a namespace without the privileged label (FailedCreate events), and made in one with it."""

from __future__ import annotations


import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from tests.integration.runner import wait_for

PRIVILEGED = {"pod-security.kubernetes.io/enforce": "privileged"}


def _daemonset(name: str, node: str) -> dict:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "nodeSelector": {"kubernetes.io/hostname": node},
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [{"name": "c", "image": "busybox:1.36", "volumeMounts": [{"name": "host", "mountPath": "/host"}]}],
                    "volumes": [{"name": "host", "hostPath": {"path": "/var/log"}}],
                },
            },
        },
    }


def _node(name: str) -> client.V1Node:
    return client.V1Node(metadata=client.V1ObjectMeta(name=name, labels={"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}))


@pytest.fixture(scope="module")
def api(controlplane):
    with config.new_client_from_config(config_file=controlplane.kubeconfig) as api:
        yield api


@pytest.mark.parametrize("labels", [None, PRIVILEGED], ids=["unlabelled", "privileged"])
def test_hostpath_daemonset_pods(api, labels):
    suffix = "priv" if labels else "plain"
    ns, node = f"cp-psa-{suffix}", f"cp-psa-node-{suffix}"
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns, labels=labels)))
    try:
        apps.create_namespaced_daemon_set(ns, _daemonset("hostlog", node))  # accepted: Pod Security checks pods
        # No node matches yet: the controller wants no pod and reports nothing.
        ds = wait_for(lambda: apps.read_namespaced_daemon_set("hostlog", ns).status.observed_generation and
                      apps.read_namespaced_daemon_set("hostlog", ns))
        assert ds.status.desired_number_scheduled == 0
        assert not core.list_namespaced_event(ns, field_selector="reason=FailedCreate").items
        core.create_node(_node(node))
        if labels:
            pods = wait_for(lambda: core.list_namespaced_pod(ns, label_selector="app=hostlog").items)
            assert len(pods) == 1 and pods[0].spec.volumes[0].host_path.path == "/var/log"
            assert not core.list_namespaced_event(ns, field_selector="reason=FailedCreate").items
        else:
            events = wait_for(lambda: core.list_namespaced_event(ns, field_selector="reason=FailedCreate").items)
            assert events, "no FailedCreate event"
            message = events[0].message
            assert 'violates PodSecurity "baseline:latest"' in message and "hostPath volumes" in message, message
            assert events[0].source.component == "daemonset-controller"
            assert not core.list_namespaced_pod(ns).items
            assert apps.read_namespaced_daemon_set("hostlog", ns).status.desired_number_scheduled == 1
    finally:
        core.delete_namespace(ns)
        try:
            core.delete_node(node)
        except ApiException:
            pass


def test_a_pod_with_hostpath_is_refused_directly(api):
    """The same refusal answers a Pod created by hand: 403 with the admission plugin's message."""
    core = client.CoreV1Api(api)
    ns = "cp-psa-direct"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
    try:
        pod = _daemonset("x", "n")["spec"]["template"]
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "direct"}, "spec": pod["spec"]}
        with pytest.raises(ApiException) as refused:
            core.create_namespaced_pod(ns, body)
        assert refused.value.status == 403
        assert "hostPath volumes" in refused.value.body
    finally:
        core.delete_namespace(ns)
