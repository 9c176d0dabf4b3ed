"""Nodes kept by the twin's node agent (tests/twin/controlplane/nodeagent.py): the real scheduler binds
a Deployment's pods to them, the agent runs the pods, and the real controllers report the
Deployment available and the Service's EndpointSlice with the pods' IPs."""

from __future__ import annotations

import ipaddress

import pytest
from kubernetes import client, config

from tests.twin.controlplane.nodeagent import NodeAgent
from tests.integration.runner import wait_for

NODES = ["cp-worker-1", "cp-worker-2"]
NS = "cp-nodes"


@pytest.fixture(scope="module")
def agent(controlplane):
    agent = NodeAgent(controlplane.node_kubeconfig, NODES, controlplane.version()).start()
    try:
        yield agent
    finally:
        agent.stop()


@pytest.fixture(scope="module")
def api(controlplane, agent):
    with config.new_client_from_config(config_file=controlplane.kubeconfig) as api:
        yield api


def test_nodes_are_ready_with_leases(api, agent):
    core = client.CoreV1Api(api)

    def settled(name):
        """The controller-manager gave the node a podCIDR and lifted the not-ready taint that
        admission put on it at creation (TaintNodesByCondition), seeing it Ready."""
        node = core.read_node(name)
        tainted = [t for t in node.spec.taints or [] if t.key == "node.kubernetes.io/not-ready"]
        return node if node.spec.pod_cidr and not tainted else None

    for name in NODES:
        node = wait_for(lambda: settled(name), timeout=60.0)  # noqa: B023
        assert node, core.read_node(name).spec
        ready = [c for c in node.status.conditions if c.type == "Ready"]
        assert ready and ready[0].status == "True"
        assert node.metadata.labels["kubernetes.io/hostname"] == name
        assert node.status.capacity["pods"] == "110"
        assert ipaddress.ip_network(node.spec.pod_cidr).subnet_of(ipaddress.ip_network("10.244.0.0/16"))
    lease = client.CoordinationV1Api(api).read_namespaced_lease(NODES[0], "kube-node-lease")
    first = lease.spec.renew_time
    renewed = wait_for(lambda: client.CoordinationV1Api(api).read_namespaced_lease(NODES[0], "kube-node-lease").spec.renew_time > first, timeout=20)
    assert renewed, "the node lease was not renewed"
    assert not agent.errors, agent.errors


def test_deployment_pods_are_scheduled_run_and_get_endpoints(api, agent):
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
    labels = {"app": "web"}
    container = {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}
    apps.create_namespaced_deployment(NS, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}})
    core.create_namespaced_service(NS, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                                        "spec": {"selector": labels, "ports": [{"port": 80}]}})
    try:
        dep = wait_for(lambda: (d := apps.read_namespaced_deployment("web", NS)).status.available_replicas == 2 and d, timeout=60.0)
        assert dep, apps.read_namespaced_deployment("web", NS).status
        pods = core.list_namespaced_pod(NS, label_selector="app=web").items
        assert {p.spec.node_name for p in pods} <= set(NODES) and all(p.spec.node_name for p in pods)
        assert all(p.status.phase == "Running" and p.status.pod_ip for p in pods)
        ips = {p.status.pod_ip for p in pods}

        def endpoint_ips():
            slices = client.DiscoveryV1Api(api).list_namespaced_endpoint_slice(NS, label_selector="kubernetes.io/service-name=web").items
            return {a for s in slices for e in s.endpoints or [] if e.conditions.ready for a in e.addresses}

        assert wait_for(lambda: endpoint_ips() == ips, timeout=60.0), (endpoint_ips(), ips)
    finally:
        core.delete_namespace(NS)
    assert not agent.errors, agent.errors
