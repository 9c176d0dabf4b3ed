"""A minimal node agent: the part of a kubelet that the API server sees, for nodes without a container
runtime.  Per node it

* registers a Talos-like Node (labels, capacity, nodeInfo, Ready) with the node's own credentials
  (system:node:<name>, so the Node authorizer and NodeRestriction apply as to a kubelet),
* renews its Lease in kube-node-lease every ``period`` seconds (the node lifecycle controller's
  heartbeat),
* marks the pods the scheduler bound to it Running and Ready, with an IP from the node's podCIDR
  (allocated by the controller-manager) -- unless ``run_pods=False``: the twin's real backend then
  runs ``PodStatusAgent``, which reports the status the kubelet's rules of controllers/kubelet.py
  give (container start-up judged by controllers/startup.py), the one implementation the emulator
  uses too.

It runs as one thread in the caller's process; ``stop()`` ends it.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import threading
from typing import Any

from kubernetes import client, config
from kubernetes.client.rest import ApiException

from ..controllers import stable_hash
from ..controllers.kubelet import Kubelet

log = logging.getLogger("twin.nodeagent")
TALOS_OS_IMAGE = "Talos (v1.11.6)"
CONTAINER_RUNTIME = "containerd://2.1.5"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def node_body(name: str, kubelet_version: str, address: str, control_plane: bool = False) -> dict[str, Any]:
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
              "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels},
            "status": {"addresses": [{"type": "InternalIP", "address": address}, {"type": "Hostname", "address": name}]},
            "_kubelet_version": kubelet_version}


def node_status(body: dict[str, Any]) -> dict[str, Any]:
    now = _now().isoformat()
    capacity = {"cpu": "4", "memory": "16318100Ki", "pods": "110", "ephemeral-storage": "100Gi"}
    conditions = [
        {"type": t, "status": "False", "reason": r, "message": m, "lastHeartbeatTime": now, "lastTransitionTime": now}
        for t, r, m in (("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                        ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                        ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"))
    ]
    conditions.append({"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                       "lastHeartbeatTime": now, "lastTransitionTime": now})
    return {"status": {
        "capacity": capacity, "allocatable": dict(capacity, memory="15691412Ki"), "conditions": conditions,
        "addresses": body["status"]["addresses"],
        "nodeInfo": {"kubeletVersion": body["_kubelet_version"], "kubeProxyVersion": "", "osImage": TALOS_OS_IMAGE,
                     "containerRuntimeVersion": CONTAINER_RUNTIME, "kernelVersion": "6.12.57-talos", "operatingSystem": "linux",
                     "architecture": "amd64", "machineID": "", "systemUUID": "", "bootID": ""},
    }}


class NodeAgent:
    """Keeps the nodes ``names`` (kubeconfigs from ``kubeconfig_for(name)``) registered and their pods running."""

    def __init__(self, kubeconfig_for: Any, names: list[str], kubelet_version: str, period: float = 5.0,
                 labels: dict[str, dict[str, str]] | None = None, run_pods: bool = True) -> None:
        self.names = names
        self.labels = labels or {}
        self.run_pods = run_pods
        self.period = period
        self.kubelet_version = kubelet_version
        self.apis = {n: config.new_client_from_config(config_file=kubeconfig_for(n)) for n in names}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="node-agent", daemon=True)
        self._next_ip: dict[str, int] = {}
        self.addresses = {n: f"10.5.0.{i + 2}" for i, n in enumerate(names)}  # never contacted: Node fields only
        self.errors: list[str] = []

    def start(self) -> NodeAgent:
        for name in self.names:
            self._register(name, self.addresses[name])
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)
        for api in self.apis.values():
            api.close()

    # ------------------------------------------------------------------ node
    def _register(self, name: str, address: str) -> None:
        core = client.CoreV1Api(self.apis[name])
        body = node_body(name, self.kubelet_version, address, control_plane=False)
        body["metadata"]["labels"].update(self.labels.get(name) or {})
        manifest = {k: v for k, v in body.items() if not k.startswith("_") and k != "status"}
        try:
            core.create_node(manifest)
        except ApiException as e:
            if e.status != 409:
                raise
        core.patch_node_status(name, node_status(body))
        self._renew_lease(name)

    def _renew_lease(self, name: str) -> None:
        coord = client.CoordinationV1Api(self.apis[name])
        spec = client.V1LeaseSpec(holder_identity=name, lease_duration_seconds=40, renew_time=_now())
        try:
            spec = {"holderIdentity": name, "leaseDurationSeconds": 40,
                    "renewTime": _now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
            coord.patch_namespaced_lease(name, "kube-node-lease", {"spec": spec})
        except ApiException as e:
            if e.status != 404:
                raise
            node = client.CoreV1Api(self.apis[name]).read_node(name)
            owner = client.V1OwnerReference(api_version="v1", kind="Node", name=name, uid=node.metadata.uid)
            coord.create_namespaced_lease("kube-node-lease", client.V1Lease(
                metadata=client.V1ObjectMeta(name=name, owner_references=[owner]), spec=spec))

    # ------------------------------------------------------------------ pods
    def _pod_ip(self, name: str) -> str:
        cidr = client.CoreV1Api(self.apis[name]).read_node(name).spec.pod_cidr
        net = ipaddress.ip_network(cidr or "10.244.250.0/24")
        n = self._next_ip.get(name, 1) + 1
        self._next_ip[name] = n
        return str(net.network_address + n)

    def _run_pods(self, name: str) -> None:
        core = client.CoreV1Api(self.apis[name])
        for pod in core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={name}").items:
            if pod.status.phase != "Pending" or pod.metadata.deletion_timestamp:
                continue
            now = _now().isoformat()
            statuses = [{"name": c.name, "image": c.image, "imageID": "", "ready": True, "restartCount": 0, "started": True,
                         "containerID": f"containerd://{pod.metadata.uid}-{c.name}", "state": {"running": {"startedAt": now}}}
                        for c in pod.spec.containers]
            ip = self._pod_ip(name)
            conditions = [{"type": t, "status": "True", "lastTransitionTime": now}
                          for t in ("PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled")]
            core.patch_namespaced_pod_status(pod.metadata.name, pod.metadata.namespace, {"status": {
                "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "hostIP": self.addresses[name], "startTime": now,
                "conditions": conditions, "containerStatuses": statuses}})

    def _loop(self) -> None:
        ticks = 0
        while not self._stop.wait(1.0):
            ticks += 1
            for name in self.names:
                try:
                    if self.run_pods:
                        self._run_pods(name)
                    if ticks % max(1, int(self.period)) == 0:
                        self._renew_lease(name)
                except Exception as e:  # noqa: BLE001 - keep the agent alive; tests read .errors
                    self.errors.append(f"{name}: {e}")


class PodStatusAgent(Kubelet):
    """The kubelets of the twin's nodes on the real backend: the status of every bound pod, from the
    twin's kubelet rules (controllers/kubelet.py), written through pods/status; ``store`` is the
    informer-backed kube_store.KubeStore.  Pod IPs come from the node's podCIDR (stable per pod
    name), the host IP from the node's InternalIP."""

    def __init__(self, store: Any, hooks: Any) -> None:
        super().__init__(store, hooks)
        self.errors: list[str] = []

    def reconcile(self) -> None:
        for pod in self.store.list_kind("v1", "Pod"):
            if not pod["spec"].get("nodeName"):
                continue
            try:
                if pod["metadata"].get("deletionTimestamp"):
                    self._finish_deletion(pod)
                else:
                    self._pod(pod)
            except Exception as e:  # noqa: BLE001 - one pod's refusal must not stop the others'
                self.errors.append(f"{pod['metadata']['namespace']}/{pod['metadata']['name']}: {e}")
                del self.errors[:-20]
                log.warning("pod status of %s/%s: %s", pod["metadata"]["namespace"], pod["metadata"]["name"], e)

    def _finish_deletion(self, pod: dict) -> None:
        """A pod being deleted: its containers are stopped at once (there are none), then the kubelet
        deletes it with grace period 0 and a UID precondition (kubernetes v1.34.4
        pkg/kubelet/status/status_manager.go syncPod, canBeDeleted)."""
        meta = pod["metadata"]
        self.store.request("DELETE", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}",
                           {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                            "preconditions": {"uid": meta["uid"]}})

    def _node(self, name: str) -> dict:
        return self.store.find("v1", "Node", None, name) or {}

    def pod_ip(self, pod: dict, node: str) -> str:
        cidr = (self._node(node).get("spec") or {}).get("podCIDR") or "10.244.250.0/24"
        net = ipaddress.ip_network(cidr)
        return str(net.network_address + 2 + int(stable_hash(pod["metadata"]["name"], 6), 36) % (net.num_addresses - 4))

    def host_ip(self, node: str) -> str:
        addrs = (self._node(node).get("status") or {}).get("addresses") or []
        return next((a["address"] for a in addrs if a.get("type") == "InternalIP"), "10.5.0.2")
