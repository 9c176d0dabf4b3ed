"""Start kine, kube-apiserver, kube-controller-manager and kube-scheduler on loopback, configured like
Talos (flags: siderolabs/talos v1.11.6
internal/app/machined/pkg/controllers/k8s/control_plane_static_pod.go; see README.md here).

    cp = ControlPlane(state_dir).start()   # waits for /readyz
    cp.kubeconfig                           # admin (O=system:masters) client certificate
    cp.stop()
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from . import config, pki
from .processes import Child, free_port

SERVICE_CIDR = "10.96.0.0/12"  # Talos DefaultIPv4ServiceNet (pkg/machinery/constants/constants.go)
POD_CIDR = "10.244.0.0/16"  # Talos DefaultIPv4PodNet
SERVICE_IP = "10.96.0.1"  # the first address of SERVICE_CIDR: the kubernetes Service
# kine's own default SQLite parameters (pkg/drivers/sqlite/sqlite.go DefaultParams), which it applies
# only when no endpoint is given: without the busy timeout the API server's first writes fail with
# SQLITE_BUSY and its post-start hooks exit it.
SQLITE_PARAMS = "_journal_mode=WAL&_busy_timeout=30000&_synchronous=NORMAL&_txlock=immediate&_stmt_cache_size=20&cache=shared"
TLS12_SUITES = (
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,"
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,"
    "TLS_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_GCM_SHA256"
)


def kube_minor(apiserver: str) -> int:
    """The minor version that ``kube-apiserver --version`` prints (``Kubernetes v1.34.4`` -> 34)."""
    out = subprocess.run([apiserver, "--version"], capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1].lstrip("v").split(".")[1])


@dataclass
class ControlPlane:
    """One control plane; every file it writes is under ``state_dir``."""

    state_dir: str
    kube_bin: str
    kine_bin: str
    datastore: str = "memory"  # kine's memory driver; "sqlite": kine.db in state_dir
    controllers: bool = True  # also kube-controller-manager and kube-scheduler
    children: list[Child] = field(default_factory=list)
    port: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> str:
        return os.path.join(self.state_dir, "kubeconfig")

    @property
    def audit_log(self) -> str:
        return os.path.join(self.state_dir, "audit", "kube-apiserver.log")

    def path(self, *parts: str) -> str:
        return os.path.join(self.state_dir, *parts)

    # ------------------------------------------------------------------ files
    def _write_files(self) -> None:
        for sub in ("pki", "config", "audit", "logs", "kcm-certs", "scheduler-certs"):
            os.makedirs(self.path(sub), exist_ok=True)
        pk = self.path("pki")
        self.ca = pki.Authority(pk, "ca", "kubernetes")
        self.aggregator = pki.Authority(pk, "aggregator-ca", "front-proxy")
        names = ("127.0.0.1", "localhost", SERVICE_IP, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                 "kubernetes.default.svc.cluster.local")
        self.serving = self.ca.issue("apiserver", "kube-apiserver", server_names=names, client=False)
        self.kubelet_client = self.ca.issue("apiserver-kubelet-client", "apiserver-kubelet-client", ("system:masters",))
        self.front_proxy = self.aggregator.issue("front-proxy-client", "front-proxy-client")
        self.sa = pki.service_account_keys(pk)
        admin = self.ca.issue("admin", "admin", ("system:masters",))
        config.kubeconfig(self.kubeconfig, self.server, self.ca.pair.cert, admin, "admin")
        kcm = self.ca.issue("kube-controller-manager", "system:kube-controller-manager")
        config.kubeconfig(self.path("config", "kcm.kubeconfig"), self.server, self.ca.pair.cert, kcm, "system:kube-controller-manager")
        sched = self.ca.issue("kube-scheduler", "system:kube-scheduler")
        config.kubeconfig(self.path("config", "scheduler.kubeconfig"), self.server, self.ca.pair.cert, sched, "system:kube-scheduler")
        config.admission_config(self.path("config"))
        config.audit_policy(self.path("config"))
        config.authorization_config(self.path("config"))
        config.scheduler_config(self.path("config"), self.path("config", "scheduler.kubeconfig"))

    def node_kubeconfig(self, node: str) -> str:
        """A kubeconfig for a kubelet of ``node`` (system:node:<node> in system:nodes: the Node authorizer's)."""
        pair = self.ca.issue(f"node-{node}", f"system:node:{node}", ("system:nodes",))
        return config.kubeconfig(self.path("config", f"node-{node}.kubeconfig"), self.server, self.ca.pair.cert, pair, f"system:node:{node}")

    # ------------------------------------------------------------------ argv
    def _apiserver_argv(self, etcd: str) -> list[str]:
        c = self.path("config")
        minor = kube_minor(os.path.join(self.kube_bin, "kube-apiserver"))
        authz = (
            [f"--authorization-config={os.path.join(c, 'authorization-config.yaml')}"]
            if minor >= 32 else ["--authorization-mode=Node,RBAC"]
        )
        return [
            os.path.join(self.kube_bin, "kube-apiserver"),
            f"--admission-control-config-file={os.path.join(c, 'admission-control-config.yaml')}",
            "--allow-privileged=true",
            "--anonymous-auth=false",
            f"--api-audiences={self.server}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            # No Endpoints for the kubernetes Service: a loopback address is invalid there (1.34 logs
            # it every 10 s, 1.37 refuses to start: "cannot use public IP 127.0.0.1 with endpoint reconciler").
            "--endpoint-reconciler-type=none",
            f"--secure-port={self.port}",
            f"--client-ca-file={self.ca.pair.cert}",
            "--enable-admission-plugins=NodeRestriction",
            f"--requestheader-client-ca-file={self.aggregator.pair.cert}",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-username-headers=X-Remote-User",
            f"--proxy-client-cert-file={self.front_proxy.cert}",
            f"--proxy-client-key-file={self.front_proxy.key}",
            "--enable-bootstrap-token-auth=true",
            "--tls-min-version=VersionTLS12",
            f"--tls-cipher-suites={TLS12_SUITES}",
            f"--audit-policy-file={os.path.join(c, 'auditpolicy.yaml')}",
            f"--audit-log-path={self.audit_log}",
            "--audit-log-maxage=30",
            "--audit-log-maxbackup=10",
            "--audit-log-maxsize=100",
            "--profiling=false",
            f"--etcd-servers={etcd}",
            f"--kubelet-client-certificate={self.kubelet_client.cert}",
            f"--kubelet-client-key={self.kubelet_client.key}",
            "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
            f"--service-account-issuer={self.server}",
            f"--service-account-key-file={self.sa.cert}",
            f"--service-account-signing-key-file={self.sa.key}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--tls-cert-file={self.serving.cert}",
            f"--tls-private-key-file={self.serving.key}",
            *authz,
        ]

    def _controller_manager_argv(self) -> list[str]:
        kc = self.path("config", "kcm.kubeconfig")
        return [
            os.path.join(self.kube_bin, "kube-controller-manager"),
            "--use-service-account-credentials",
            "--allocate-node-cidrs=true",
            "--bind-address=127.0.0.1",
            f"--secure-port={free_port()}",
            f"--cert-dir={self.path('kcm-certs')}",
            f"--cluster-cidr={POD_CIDR}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--cluster-signing-cert-file={self.ca.pair.cert}",
            f"--cluster-signing-key-file={self.ca.pair.key}",
            "--controllers=*,tokencleaner",
            "--configure-cloud-routes=false",
            f"--kubeconfig={kc}",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
            "--leader-elect=true",
            f"--root-ca-file={self.ca.pair.cert}",
            f"--service-account-private-key-file={self.sa.key}",
            "--profiling=false",
            "--tls-min-version=VersionTLS13",
        ]

    def _scheduler_argv(self) -> list[str]:
        kc = self.path("config", "scheduler.kubeconfig")
        return [
            os.path.join(self.kube_bin, "kube-scheduler"),
            f"--config={self.path('config', 'scheduler-config.yaml')}",
            "--authentication-tolerate-lookup-failure=false",
            f"--authentication-kubeconfig={kc}",
            f"--authorization-kubeconfig={kc}",
            "--bind-address=127.0.0.1",
            f"--secure-port={free_port()}",
            f"--cert-dir={self.path('scheduler-certs')}",
            "--leader-elect=true",
            "--profiling=false",
            "--tls-min-version=VersionTLS13",
        ]

    # ------------------------------------------------------------------ run
    def _run(self, name: str, argv: list[str]) -> Child:
        child = Child(name, argv, self.path("logs", name + ".log")).start()
        self.children.append(child)
        with open(self.path("pids"), "a", encoding="ascii") as f:
            f.write(f"{name} {child.pid}\n")
        return child

    def start(self, timeout: float = 120.0) -> ControlPlane:
        t0 = time.monotonic()
        os.makedirs(self.state_dir, exist_ok=True)
        self.port = free_port()
        self._write_files()
        kine_port = free_port()
        endpoint = "memory://" if self.datastore == "memory" else f"sqlite://{self.path('kine.db')}?{SQLITE_PARAMS}"
        try:
            self._run("kine", [os.path.join(self.kine_bin, "kine"), "--listen-address", f"127.0.0.1:{kine_port}",
                               "--metrics-bind-address", "0", "--endpoint", endpoint])
            self._run("kube-apiserver", self._apiserver_argv(f"http://127.0.0.1:{kine_port}"))
            self.wait_ready(timeout)
            self.timings["apiserver_ready"] = time.monotonic() - t0
            if self.controllers:
                self._run("kube-controller-manager", self._controller_manager_argv())
                self._run("kube-scheduler", self._scheduler_argv())
        except BaseException:
            self.stop()
            raise
        return self

    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca.pair.cert)
        admin = pki.Pair(self.path("pki", "admin.crt"), self.path("pki", "admin.key"))
        ctx.load_cert_chain(admin.cert, admin.key)
        return ctx

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, str]:
        """GET ``path`` as the admin: (status, body)."""
        try:
            with urllib.request.urlopen(self.server + path, context=self.ssl_context(), timeout=timeout) as r:  # noqa: S310
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for child in self.children:
                if not child.alive():
                    raise RuntimeError(f"{child.name} exited ({child.proc and child.proc.returncode}):\n{child.tail()}")
            try:
                status, body = self.get("/readyz")
                if status == 200:
                    return
                last = f"{status} {body[-300:]}"
            except (OSError, urllib.error.URLError) as e:
                last = str(e)
            time.sleep(0.3)
        raise TimeoutError(f"kube-apiserver not ready in {timeout} s: {last}\n{self.children[-1].tail()}")

    def wait_service_account(self, namespace: str = "default", timeout: float = 60.0) -> float:
        """Seconds until the controller-manager made the ServiceAccount ``default`` in ``namespace``."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            status, _body = self.get(f"/api/v1/namespaces/{namespace}/serviceaccounts/default")
            if status == 200:
                return time.monotonic() - t0
            time.sleep(0.3)
        raise TimeoutError(f"no ServiceAccount default in {namespace} after {timeout} s")

    def version(self) -> str:
        return str(json.loads(self.get("/version")[1])["gitVersion"])

    def rss_kib(self) -> dict[str, int]:
        return {c.name: c.rss_kib() for c in self.children}

    def stop(self) -> dict[str, int | None]:
        """Stop every child, the last started first; their exit codes."""
        codes = {c.name: c.stop() for c in reversed(self.children)}
        self.children.clear()
        return codes
