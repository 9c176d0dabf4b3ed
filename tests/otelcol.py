"""The real OpenTelemetry Collector as the judge of a configuration (test tooling, not shipped).

``binary()`` builds tools/go/otelcol once (tools/go/build.sh: cached under $TOOLS_CACHE, keyed by its
go.mod/go.sum and the Go version) and returns the path of ``otelcol-tracing``. ``validate(config)``
runs ``otelcol-tracing validate --config=<file>`` on a configuration (a dict, or YAML text) and returns
``(ok, message)``: the binary's own error text when it refuses (``Error: ...``, as cobra prints it),
else ''. The subcommand decodes the configuration into every component's Config (unknown keys,
types, deprecated aliases resolved), runs their ``Validate()`` and checks the service's references
(go.opentelemetry.io/collector/otelcol command_validate.go at v0.159.0); it starts nothing.

``RELEASE`` is the collector release the binary is built from (tools/go/otelcol/README.md), and so
the otelcol-contrib image version whose configurations this binary judges.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
from typing import Optional, Tuple, Union

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "go", "otelcol")
BUILD = os.path.join(ROOT, "tools", "go", "build.sh")
NAME = "otelcol-tracing"


def _release() -> str:
    """The collector release tools/go/otelcol pins: go.opentelemetry.io/collector/otelcol's version in its go.mod."""
    with open(os.path.join(TOOL, "go.mod")) as fh:
        match = re.search(r"^\s*go\.opentelemetry\.io/collector/otelcol v(\d+\.\d+\.\d+)\s*$", fh.read(), re.M)
    if not match:
        raise RuntimeError("tools/go/otelcol/go.mod pins no go.opentelemetry.io/collector/otelcol version")
    return match.group(1)


RELEASE = _release()
# What a pod of the roles gets in its environment that a configuration may reference (${env:...}).
POD_ENV = {"K8S_NODE_NAME": "talos-worker-1"}


class BuildError(RuntimeError):
    """tools/go/build.sh otelcol failed (its output is the message)."""


@functools.lru_cache(maxsize=None)
def binary() -> str:
    """Path of the built Collector (built on first use; later calls and processes reuse the cache)."""
    proc = subprocess.run(["bash", BUILD, "otelcol"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BuildError(f"tools/go/build.sh otelcol failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    path = os.path.join(proc.stdout.strip().splitlines()[-1], NAME)
    if not os.access(path, os.X_OK):
        raise BuildError(f"tools/go/build.sh otelcol printed {proc.stdout.strip()!r}, which holds no {NAME}")
    return path


def available() -> Optional[str]:
    """The binary's path when it can be had, else None (callers that must not fail without Go)."""
    try:
        return binary()
    except (BuildError, OSError):
        return None


def error_text(stderr: str) -> str:
    """The Collector's error as the process prints it: cobra's ``Error: ...`` block.

    main.go then repeats it through log.Fatalf with a timestamp (``<date> <time> collector server run
    finished with error: ...``, as the otelcol-contrib distribution's main does); that copy is left out.
    Without an ``Error:`` line, the whole output."""
    lines = stderr.rstrip("\n").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Error: ")), None)
    if start is None:
        return stderr.strip()
    end = next((i for i in range(start + 1, len(lines)) if "collector server run finished with error:" in lines[i]), len(lines))
    return "\n".join(lines[start:end]).rstrip()


def host_paths(node, mounts: dict):
    """``node`` with every string that is a container path under a mount point of ``mounts``
    (``{mountPath: hostPath}``) turned into the host path the mount shows there.

    A pod's hostPath volume makes ``<mountPath>/x`` the node's ``<hostPath>/x``; this machine stands in
    for the node, so a component that checks a path (hostmetrics' ``root_path`` must exist,
    hostmetricsreceiver config.go Validate) sees what it would see in the pod."""
    if isinstance(node, dict):
        return {k: host_paths(v, mounts) for k, v in node.items()}
    if isinstance(node, list):
        return [host_paths(v, mounts) for v in node]
    if isinstance(node, str):
        for mount in sorted(mounts, key=len, reverse=True):
            base = mount.rstrip("/")
            if node == base or node.startswith(base + "/"):
                rest = node[len(base):]
                return (mounts[mount].rstrip("/") + rest) or "/"
    return node


SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# In a mount namespace of its own (unshare; root), the process sees a tmpfs on /run (/var/run links
# to it) holding the ServiceAccount files a pod gets: ca.crt, token, namespace. Nothing outside changes.
_SA_SCRIPT = ('mount -t tmpfs tmpfs /run && mkdir -p {sa} && cp "$0/ca.crt" "$0/token" "$0/namespace" {sa}/ '
              '&& exec "$@"').format(sa=SA_DIR.replace("/var/run", "/run"))


@functools.lru_cache(maxsize=None)
def _service_account_files(namespace: str) -> str:
    """A directory with what kubelet projects into SA_DIR: a CA certificate (self-signed, made once per
    process with openssl), a token and the namespace."""
    path = tempfile.mkdtemp(prefix="otelcol-sa-")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", os.path.join(path, "ca.key"), "-out", os.path.join(path, "ca.crt"), "-days", "2",
                    "-subj", "/CN=twin-cluster-ca"], capture_output=True, check=True)
    for name, text in (("token", "twin-service-account-token"), ("namespace", namespace)):
        with open(os.path.join(path, name), "w") as fh:
            fh.write(text)
    return path


def validate(config: Union[dict, str], env: Optional[dict] = None, mounts: Optional[dict] = None,
             service_account: Optional[str] = None, timeout: float = 60) -> Tuple[bool, str]:
    """``(True, '')`` when the binary accepts ``config``, else ``(False, its error text)``.

    ``env``: the container's environment (default POD_ENV), the only variables the process sees
    besides PATH and HOME, as in a pod. ``mounts``: the pod's hostPath mounts, ``{mountPath: hostPath}``
    (see ``host_paths``). ``service_account``: the pod's namespace when its ServiceAccount token is
    mounted (automountServiceAccountToken): ``validate`` builds the pipelines, and kubeletstats with
    auth_type serviceAccount reads ca.crt and token from SA_DIR then
    (contrib internal/kubelet client.go at v0.159.0)."""
    if mounts:
        config = host_paths(yaml.safe_load(config) if isinstance(config, str) else config, mounts)
    text = config if isinstance(config, str) else yaml.safe_dump(config, sort_keys=False)
    proc_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    proc_env.update(POD_ENV if env is None else env)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="otelcol-", delete=False) as fh:
        fh.write(text)
        path = fh.name
    try:
        cmd = [binary(), "validate", f"--config={path}"]
        if service_account:
            cmd = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", _SA_SCRIPT,
                   _service_account_files(service_account)] + cmd
        proc = subprocess.run(cmd, capture_output=True, text=True, env=proc_env, timeout=timeout, check=False)
    finally:
        os.unlink(path)
    if proc.returncode == 0:
        return True, ""
    return False, error_text(proc.stderr.replace(path, "<config>"))


def free_port() -> int:
    """A free TCP port on loopback (for a process of a test)."""
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loopback(config: dict) -> dict:
    """``config`` with every ``0.0.0.0:<port>`` listener of the receivers and extensions on 127.0.0.1."""
    def walk(node):
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str) and node.startswith("0.0.0.0:"):
            return "127.0.0.1:" + node.split(":", 1)[1]
        return node
    return dict(config, receivers=walk(config.get("receivers", {})), extensions=walk(config.get("extensions", {})))


class Running:
    """A Collector process started by ``start``: ``metrics()`` reads its own telemetry, ``log()`` its output."""

    def __init__(self, proc, telemetry_port: int, log_path: str):
        self.proc, self.telemetry_port, self.log_path = proc, telemetry_port, log_path

    def metrics(self) -> str:
        import urllib.request
        return urllib.request.urlopen(f"http://127.0.0.1:{self.telemetry_port}/metrics", timeout=5).read().decode()

    def metric(self, name: str) -> float:
        """The sum of every sample of metric ``name`` (0 when absent)."""
        return sum(float(line.rsplit(" ", 1)[1]) for line in self.metrics().splitlines()
                   if line.startswith(name) and not line.startswith("#"))

    def log(self) -> str:
        with open(self.log_path) as fh:
            return fh.read()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start(config: dict, health_port: int, env: Optional[dict] = None, timeout: float = 30) -> Running:
    """Start the binary on ``config`` (its own telemetry added on a free loopback port) and wait for its
    health_check endpoint on ``health_port``. Callers ``stop()`` it."""
    import time
    import urllib.request
    telemetry = free_port()
    config = dict(config, service=dict(config["service"], telemetry={"metrics": {"level": "detailed", "readers": [
        {"pull": {"exporter": {"prometheus": {"host": "127.0.0.1", "port": telemetry}}}}]}}))
    workdir = tempfile.mkdtemp(prefix="otelcol-run-")
    path = os.path.join(workdir, "config.yaml")
    with open(path, "w") as fh:
        yaml.safe_dump(config, fh, sort_keys=False)
    proc_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    proc_env.update(POD_ENV if env is None else env)
    log_path = os.path.join(workdir, "collector.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([binary(), f"--config={path}"], env=proc_env, stdout=log, stderr=subprocess.STDOUT)
    running = Running(proc, telemetry, log_path)
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{health_port}/", timeout=1).read()
            return running
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                running.stop()
                raise RuntimeError(f"the Collector did not start:\n{running.log()[-3000:]}")
            time.sleep(0.2)


def spangen(endpoint: str, sink: str, **flags) -> dict:
    """Run spangen (built beside the binary) against ``endpoint`` with its sink on ``sink``; its JSON counts."""
    import json
    args = [os.path.join(os.path.dirname(binary()), "spangen"), f"-endpoint={endpoint}", f"-sink={sink}"]
    args += [f"-{key.replace('_', '-')}={value}" for key, value in flags.items()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])
