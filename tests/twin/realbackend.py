"""``serve --backend real``: the twin on the real control plane (tests/twin/controlplane).

What runs (see README.md "Backends"):

* kine + kube-apiserver + kube-controller-manager + kube-scheduler, configured like Talos
  (controlplane/launch.py): Deployments, ReplicaSets, DaemonSets, StatefulSets, Jobs, scheduling,
  EndpointSlices, garbage collection, Pod Security admission, RBAC are the real ones;
* the node agent (controlplane/nodeagent.py): Talos-like Nodes ``talos-node-NN`` with leases, and
  ``PodStatusAgent``, the kubelets' pod status from the twin's rules (controllers/kubelet.py);
* the simulated controllers that stay simulated (Rook OBC provisioner, Jaeger operator, Tempo
  readiness) and the block-volume provisioner, over kube_store.KubeStore with the twin's own
  client certificate (CN ``twin:controllers``, O ``system:masters``);
* proxy.py in front of the API server: the users' kubeconfig points at it; request counts and
  faults on the admin endpoints of ``TWIN_URL`` (plain HTTP, here).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional

log = logging.getLogger("twin.real")


class Admin(BaseHTTPRequestHandler):
    """``/_twin/stats``, ``/_twin/stats/reset``, ``/_twin/faults``, ``/_twin/log`` of the proxy (as apiserver.py's)."""

    proxy: Any = None

    def log_message(self, *args: Any) -> None:
        return

    def _send(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}") if n else {}

    def do_GET(self) -> None:
        path, _sep, query = self.path.partition("?")
        if path == "/_twin/stats":
            return self._send(200, self.proxy.stats.snapshot())
        if path == "/_twin/faults":
            return self._send(200, self.proxy.faults.snapshot())
        if path == "/_twin/log":
            limit = int(dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("limit") or 0) or None
            return self._send(200, {"items": self.proxy.stats.log(limit)})
        return self._send(404, {"message": "not found"})

    def do_POST(self) -> None:
        body = self._body()
        if self.path == "/_twin/stats/reset":
            self.proxy.stats.reset()
            return self._send(200, self.proxy.stats.snapshot())
        if self.path == "/_twin/faults":
            self.proxy.faults.set(body.get("rate", 0), body.get("codes") or [500], body.get("latency_ms", 0),
                                  verbs=body.get("verbs"), discovery=body.get("discovery", False))
            return self._send(200, self.proxy.faults.snapshot())
        return self._send(404, {"message": "not found"})

    def do_DELETE(self) -> None:
        if self.path == "/_twin/faults":
            self.proxy.faults.off()
            return self._send(200, self.proxy.faults.snapshot())
        return self._send(404, {"message": "not found"})


def node_labels(i: int) -> dict[str, str]:
    """The labels cluster.py gives node ``i`` besides the kubelet's own (the first three are control planes)."""
    out = {"cluster": "talos-homelab"}
    if i <= 3:
        out["node-role.kubernetes.io/control-plane"] = ""
    return out


class RealTwin:
    """Everything ``serve --backend real`` starts; ``stop()`` ends it, the last started first."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.cp: Any = None
        self.store: Any = None
        self.agent: Any = None
        self.ctrl: Any = None
        self.proxy: Any = None
        self.admin: Optional[ThreadingHTTPServer] = None

    def start_cluster(self, nodes: int) -> Any:
        """Control plane, the twin's store adapter, the nodes; returns the store."""
        from .controlplane import ControlPlane, binaries, config
        from .controlplane.nodeagent import NodeAgent
        from .controlplane.pki import Pair
        from .kube_store import KubeStore

        kube_bin, kine_bin = binaries(build=os.environ.get("TWIN_KUBE_BUILD", "1") == "1")
        self.cp = ControlPlane(str(self.state / "controlplane"), kube_bin, kine_bin).start()
        own = self.cp.ca.issue("twin-controllers", "twin:controllers", ("system:masters",))
        self.store = KubeStore(self.cp.server, self.cp.ca.pair.cert, own.cert, own.key).start()
        names = [f"talos-node-{i:02d}" for i in range(1, nodes + 1)]
        self.agent = NodeAgent(self.cp.node_kubeconfig, names, self.cp.version(),
                               labels={n: {"cluster": "talos-homelab"} for n in names}, run_pods=False).start()
        for i, name in enumerate(names, 1):  # NodeRestriction keeps kubelets from setting node-role labels
            self.store.request("PATCH", f"/api/v1/nodes/{name}", {"metadata": {"labels": node_labels(i)}},
                               content_type="application/merge-patch+json")
        self.store.wait_synced()
        self.cp.wait_service_account()
        serving = self.cp.ca.issue("twin-proxy", "twin-proxy", server_names=("127.0.0.1", "localhost"), client=False)
        from .proxy import ProxyServer

        self.proxy = ProxyServer(self.cp.server, self.cp.ca.pair.cert, (serving.cert, serving.key),
                                 (self.cp.front_proxy.cert, self.cp.front_proxy.key)).start()
        admin = Pair(self.cp.path("pki", "admin.crt"), self.cp.path("pki", "admin.key"))
        config.kubeconfig(str(self.state / "kubeconfig"), self.proxy.url, self.cp.ca.pair.cert, admin, "admin")
        Admin.proxy = self.proxy
        self.admin = ThreadingHTTPServer(("127.0.0.1", 0), Admin)
        self.admin.daemon_threads = True
        threading.Thread(target=self.admin.serve_forever, name="twin-admin", daemon=True).start()
        return self.store

    @property
    def url(self) -> str:
        assert self.admin is not None
        return f"http://127.0.0.1:{self.admin.server_address[1]}"

    def stop(self) -> None:
        for what, fn in (("controllers", lambda: self.ctrl and self.ctrl.stop()),
                         ("admin", lambda: self.admin and (self.admin.shutdown(), self.admin.server_close())),
                         ("proxy", lambda: self.proxy and self.proxy.stop()),
                         ("node agent", lambda: self.agent and self.agent.stop()),
                         ("store", lambda: self.store and self.store.stop()),
                         ("control plane", lambda: self.cp and self.cp.stop())):
            try:
                fn()
            except Exception:  # noqa: BLE001 - stop the rest anyway
                log.exception("stopping %s failed", what)
