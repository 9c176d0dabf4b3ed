"""The trace path as real processes (issue 22): agents -> samplers -> the backend, with what the roles
render, on a real API server.  Test tooling, not shipped.

``TracePath(cp, agent, sampler, nodes=3).start()`` takes the objects role otel_collector
and role tail_sampler render (``{"config": <ConfigMap text>, "objects": [...]}``, see
tests/integration/runner.py ``render_collectors``) and a running ``ControlPlane``
(tests/twin/controlplane), and starts, each in a pod of tests/twin/podnet.py:

* ``tempo``: tools/go/otelcol ``tracestore``, the stand-in for Tempo's distributor (OTLP/gRPC) and for
  jaeger-query's HTTP API.  Tempo is not built here (AGPL, not taken from the module proxy);
* ``sampler-<i>`` (as many as the Deployment's replicas unless ``samplers`` says): the real Collector
  with the sampler ConfigMap's configuration; the Service name its exporter sends to resolves (the
  pod's /etc/hosts) to the ``tempo`` pod;
* ``agent-<i>``: the real Collector with the agents' configuration, the DaemonSet container's
  environment (``spec.nodeName`` -> the node ``talos-worker-<i>``), and the agents' ServiceAccount
  token (TokenRequest) and the cluster CA at the kubelet's path; ``KUBERNETES_SERVICE_HOST`` is
  ``kubernetes.default.svc``, which the pod resolves to the bridge's gateway, where a relay forwards to
  the API server (no kube-proxy here).  Its load-balancing exporter's k8s resolver watches the sampler
  Service's endpoints in the real API server, under the RBAC the role renders (applied as rendered).

The sampler Service is applied as rendered but without its selector, with an Endpoints object of
the sampler pods' IPs (what the endpoints controller would write for ready pods; the real
EndpointSlice mirroring controller turns it into an EndpointSlice): no kubelet runs the pods here.
``remove_sampler(i)`` takes a sampler out of the Endpoints and then stops it, as a deleted pod goes.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import urllib.request
from typing import Any

import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling
from tests import otelcol
from tests.twin.podnet import PodNetwork, relay

AGENT_NODE = "talos-worker-{}"
IMAGE = f"otel/opentelemetry-collector-contrib:{otelcol.RELEASE}"
# The agents' variables of the trace tests and the benchmark: the binary's release; metrics pipelines off
# (the traces pipeline does not depend on them; both are validated by tests/unit/test_otelcol_validate.py).
AGENT_VALUES = {"otel_collector_image": IMAGE, "otel_collector_hostmetrics_enabled": False,
                "otel_collector_kubeletstats_enabled": False, "otel_collector_prometheus_remote_write_enabled": False}
NODE = "tracepath-node"  # the node the Pod objects of expose() are bound to (no kubelet runs it)


def _tool(name: str) -> str:
    return os.path.join(os.path.dirname(otelcol.binary()), name)


def _by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def container_env(workload: dict, node: str, pod_ip: str, pod_name: str) -> dict[str, str]:
    """The container's environment as the kubelet gives it (values, and the downward-API fieldRefs the
    roles use)."""
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    fields = {"spec.nodeName": node, "status.podIP": pod_ip, "status.hostIP": pod_ip, "metadata.name": pod_name,
              "metadata.namespace": workload["metadata"]["namespace"]}
    env = {}
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif "fieldRef" in (item.get("valueFrom") or {}):
            env[item["name"]] = fields[item["valueFrom"]["fieldRef"]["fieldPath"]]
    return env


class TracePath:
    """See the module docstring."""

    def __init__(self, cp: Any, agent: dict, sampler: dict, nodes: int = 3, samplers: int | None = None) -> None:
        from kubernetes import config

        self.cp, self.agent, self.sampler = cp, agent, sampler
        self.nodes, self.sampler_count = nodes, samplers
        self.api = config.new_client_from_config(config_file=cp.kubeconfig)
        self.state = tempfile.mkdtemp(prefix="tracepath-")
        self.net = PodNetwork(os.path.join(self.state, "pods"))
        self.relay = None
        self.agents: list = []
        self.samplers: list = []
        self.tempo = None
        (self.daemonset,) = _by_kind(agent["objects"], "DaemonSet")
        (self.deployment,) = _by_kind(sampler["objects"], "Deployment")
        (self.service,) = _by_kind(sampler["objects"], "Service")
        if samplers is None:  # as many as the Deployment asks for
            self.sampler_count = int(self.deployment["spec"]["replicas"])

    # ------------------------------------------------------------------ cluster objects
    def _apply(self, obj: dict) -> None:
        from kubernetes import dynamic

        client = dynamic.DynamicClient(self.api)
        res = client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
        client.server_side_apply(res, body=obj, namespace=obj["metadata"].get("namespace"), field_manager="tracepath",
                                 force_conflicts=True)

    def _namespaces(self) -> None:
        for ns in sorted({self.daemonset["metadata"]["namespace"], self.service["metadata"]["namespace"]}):
            self._apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})

    def _sampler_service(self) -> None:
        """The sampler Service with the running samplers as its endpoints (``_service``)."""
        meta = self.service["metadata"]
        self._service(meta["namespace"], meta["name"], self.service["spec"]["ports"], [p for p in self.samplers if p is not None])

    def _token(self) -> str:
        from kubernetes import client

        sa = self.daemonset["spec"]["template"]["spec"]["serviceAccountName"]
        ns = self.daemonset["metadata"]["namespace"]
        body = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600))
        return client.CoreV1Api(self.api).create_namespaced_service_account_token(sa, ns, body).status.token

    def _service_account_files(self) -> str:
        folder = os.path.join(self.state, "serviceaccount")
        os.makedirs(folder, exist_ok=True)
        with open(self.cp.ca.pair.cert, "rb") as src:
            ca = src.read()
        for name, data in (("ca.crt", ca), ("token", self._token().encode()),
                           ("namespace", self.daemonset["metadata"]["namespace"].encode())):
            with open(os.path.join(folder, name), "wb") as fh:
                fh.write(data)
        return folder

    # ------------------------------------------------------------------ processes
    def _config_file(self, pod: Any, text: str) -> str:
        path = os.path.join(pod.folder, "config.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path

    def _backend_hosts(self, rendered: dict) -> dict[str, str]:
        """The Service names a configuration's OTLP exporters send to (``host:port`` endpoints), each
        resolving to the ``tempo`` pod: the samplers' backend, and the agents' in head mode."""
        exporters = yaml.safe_load(rendered["config"]).get("exporters") or {}
        return {e["endpoint"].rsplit(":", 1)[0]: self.tempo.ip for e in exporters.values()
                if isinstance(e, dict) and "://" not in str(e.get("endpoint", "://"))}

    def start_sampler(self, index: int) -> Any:
        pod = self.net.pod(f"sampler-{index}")
        env = container_env(self.deployment, "talos-worker-s", pod.ip, pod.name)
        hosts = self._backend_hosts(self.sampler)
        pod.run("otelcol", [otelcol.binary(), f"--config={self._config_file(pod, self.sampler['config'])}"], env, hosts)
        return pod

    def start(self, timeout: float = 60.0) -> TracePath:
        self._namespaces()
        for obj in self.agent["objects"]:
            if obj["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"):
                self._apply(obj)
        self.net.start()
        api_port = int(self.cp.server.rsplit(":", 1)[1])
        self.relay = relay((self.net.gateway, 443), ("127.0.0.1", api_port))
        self.tempo = self.net.pod("tempo")
        self.tempo.run("tracestore", [_tool("tracestore")])
        self.samplers = [self.start_sampler(i) for i in range(self.sampler_count)]
        self._sampler_service()
        sa = self._service_account_files()
        for i in range(self.nodes):
            pod = self.net.pod(f"agent-{i}")
            env = container_env(self.daemonset, AGENT_NODE.format(i), pod.ip, pod.name)
            env.update({"KUBERNETES_SERVICE_HOST": "kubernetes.default.svc", "KUBERNETES_SERVICE_PORT": "443"})
            hosts = dict(self._backend_hosts(self.agent), **{"kubernetes.default.svc": self.net.gateway})
            pod.run("otelcol", [otelcol.binary(), f"--config={self._config_file(pod, self.agent['config'])}"], env, hosts,
                    service_account=sa)
            self.agents.append(pod)
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float) -> None:
        """Every Collector's health_check answers 200 (the agents' only once their resolver synced)."""
        deadline = time.monotonic() + timeout
        for pod in self.agents + [p for p in self.samplers if p is not None]:
            (child,) = [c for c in pod.children if c.name == "otelcol"]
            while True:
                try:
                    if urllib.request.urlopen(f"http://{pod.ip}:13133/", timeout=2).status == 200:
                        break
                except OSError:
                    pass
                if not child.alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"{pod.name} not healthy: {child.tail(20)}")
                time.sleep(0.3)

    def _pod_object(self, namespace: str, pod: Any) -> None:
        """A Pod object for a process of the pod network, bound to node NODE and Running with the pod's IP
        (what a kubelet reports). The API server's service proxy goes only to an address whose targetRef
        is a Pod with that IP (pkg/registry/core/service/storage rest.go isValidAddress)."""
        from kubernetes import client

        self._apply({"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE}})
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod.name, "namespace": namespace},
                "spec": {"nodeName": NODE, "containers": [{"name": "main", "image": "tracepath/process:1"}]}}
        self._apply(body)
        status = {"status": {"phase": "Running", "podIP": pod.ip, "podIPs": [{"ip": pod.ip}],
                             "conditions": [{"type": "Ready", "status": "True"}]}}
        client.CoreV1Api(self.api).patch_namespaced_pod_status(pod.name, namespace, status)

    def _service(self, namespace: str, name: str, ports: list[dict], pods: list) -> None:
        """A selectorless Service with an Endpoints object of ``pods``' IPs (what the endpoints controller
        writes for ready pods); no addresses when ``pods`` is empty (no ready pod)."""
        ports = [{"name": p["name"], "port": int(p["port"]), "protocol": "TCP"} for p in ports]
        self._apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
                     "spec": {"type": "ClusterIP", "ports": ports}})
        for pod in pods:
            self._pod_object(namespace, pod)
        addresses = [{"ip": pod.ip, "targetRef": {"kind": "Pod", "name": pod.name, "namespace": namespace}} for pod in pods]
        self._apply({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": namespace},
                     "subsets": [{"addresses": addresses, "ports": ports}] if addresses else []})

    def expose(self, query_ready: bool = True) -> None:
        """What tracing_readiness's canary goes through: the agents' ConfigMap and Service (their pods'
        IPs), and in the backend's namespace ``jaeger-collector`` (OTLP) and ``jaeger-query`` (HTTP API,
        no ready pod unless ``query_ready``), both served by the stand-in, as Tempo and jaeger-query."""
        for obj in self.agent["objects"]:
            if obj["kind"] == "ConfigMap":
                self._apply(obj)
        (agents,) = _by_kind(self.agent["objects"], "Service")
        self._service(agents["metadata"]["namespace"], agents["metadata"]["name"], agents["spec"]["ports"], self.agents)
        ns = self.service["metadata"]["namespace"]
        self._service(ns, "jaeger-collector", [{"name": "otlp-grpc", "port": 4317}], [self.tempo])
        self._service(ns, "jaeger-query", [{"name": "http-query", "port": 16686}], [self.tempo] if query_ready else [])

    def remove_sampler(self, index: int) -> None:
        """The sampler leaves the Service's endpoints, then its process stops (SIGTERM: a pod's deletion)."""
        pod = self.samplers[index]
        self.samplers[index] = None
        self._sampler_service()
        for child in pod.children:
            if child.alive():
                child.proc.terminate()
                child.proc.wait(30)

    # ------------------------------------------------------------------ traffic and results
    def send(self, traces: int, rate: float, error_every: int = 10, spans: int = 6, wait: bool = True) -> Any:
        """Run tracegen against the agents' OTLP/gRPC ports (one span share per node); returns its JSON
        result, or the running process with ``wait=False``."""
        port = next(p["containerPort"] for p in self.daemonset["spec"]["template"]["spec"]["containers"][0]["ports"]
                    if p["name"] == "otlp-grpc")
        targets = ",".join(f"{pod.ip}:{port}" for pod in self.agents)
        cmd = [_tool("tracegen"), "-targets", targets, "-traces", str(traces), "-rate", str(rate),
               "-error-every", str(error_every), "-spans", str(spans)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if not wait:
            return proc
        out, err = proc.communicate(timeout=traces / rate + 120)
        if proc.returncode != 0:
            raise RuntimeError(f"tracegen failed: {err[-2000:]}")
        return json.loads(out)

    def settle(self, timeout: float = 90.0) -> dict:
        """The stand-in's summary once the last decisions are out: after the samplers' decision_wait and
        batch timeout have passed since the last span was sent, and no span arrived for a batch timeout."""
        processors = yaml.safe_load(self.sampler["config"])["processors"]
        batch = sampling.duration_seconds(processors["batch"]["timeout"])
        time.sleep(sampling.duration_seconds(processors["tail_sampling"]["decision_wait"]) + batch)
        last, since = None, time.monotonic()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.summary()
            counts = sum(v["spans"] for v in now.values())
            if counts != last:
                last, since = counts, time.monotonic()
            elif time.monotonic() - since > batch + 1:
                return now
            time.sleep(0.5)
        raise AssertionError("the stand-in's span count did not settle in %ss" % timeout)

    def summary(self) -> dict:
        """What the stand-in holds: trace ID -> {spans, error, peers}."""
        with urllib.request.urlopen(f"http://{self.tempo.ip}:16686/stand-in/summary", timeout=10) as resp:
            return json.loads(resp.read())

    def metric(self, pod: Any, name: str) -> float:
        """Sum of a Collector's own metric (its Prometheus endpoint on the pod's localhost:8888)."""
        total = 0.0
        for line in pod.get("http://localhost:8888/metrics").splitlines():
            if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " "):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def logs(self) -> str:
        out = []
        for pod in [self.tempo] + self.agents + [p for p in self.samplers if p is not None]:
            for child in pod.children:
                out.append(f"--- {pod.name}/{child.name}\n{child.tail(15)}")
        return "\n".join(out)

    def __enter__(self) -> TracePath:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.close()
        self.net.stop()
        self.api.close()
