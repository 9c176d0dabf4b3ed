"""A pod network for the twin: pods as network namespaces on a bridge, so real processes listen on
``0.0.0.0:<port>`` as in their pods and are reached at their own pod IP (issue 21's last part,
issue 22).  Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and iproute2, util-linux (nsenter, unshare).

* ``PodNetwork(state_dir).start()`` makes a Linux bridge ``tw<8 hex>`` in this network namespace with a
  /24 of its own under 10.251.0.0/16 (the first one no interface of this machine uses; picked under
  a lock file, so concurrent twins get different ones) and the gateway address ``.1``.
* ``net.pod(name)`` makes a pod: a network namespace held by a ``sleep`` process, a veth pair (the
  pod's end is ``eth0``) on the bridge, the next address and a default route via the gateway.  As
  with a CNI plugin, every pod reaches every other pod and this host, and this host (the API
  server's service proxy, the tests) reaches every pod at its IP.
* ``pod.run(name, argv, env, hosts, service_account)`` starts a process in the pod: its network
  namespace, and a private mount namespace in which ``/etc/hosts`` is the pod's own file (what the
  cluster's DNS would answer for the Service names it uses) and, with ``service_account`` (a folder
  with ca.crt, token, namespace), the ServiceAccount files at the kubelet's path
  ``/var/run/secrets/kubernetes.io/serviceaccount``.  Nothing outside the pod changes.
* ``relay(listen, target)``: a TCP relay on this host (e.g. the gateway's :443 to the API server on
  127.0.0.1), standing in for the ``kubernetes`` Service's ClusterIP, which no kube-proxy serves here.

Every process dies with the caller (PR_SET_PDEATHSIG); ``stop()`` kills the pods' processes (their
namespaces and veths go with them) and deletes the bridge.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import secrets
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

from .controlplane.processes import Child, _die_with_parent

BASE = ipaddress.ip_network("10.251.0.0/16")
LOCK = "/tmp/twin-podnet.lock"
OWNERS = "/tmp/twin-podnet"  # <bridge>.pid: the process that made it (a dead owner's bridge is swept)
SA_PATH = "/run/secrets/kubernetes.io/serviceaccount"  # /var/run links to /run
# $0: the pod's hosts file; $1: a ServiceAccount folder or ''; then the command.
_POD_SCRIPT = ('mount --bind "$0" /etc/hosts && if [ -n "$1" ]; then mount -t tmpfs tmpfs /run && mkdir -p ' + SA_PATH
               + ' && cp "$1/ca.crt" "$1/token" "$1/namespace" ' + SA_PATH + '/; fi; shift; exec "$@"')


def _ip(*args: str, netns_pid: int | None = None) -> str:
    cmd = ["ip", *args] if netns_pid is None else ["nsenter", "-t", str(netns_pid), "-n", "ip", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {proc.stderr.strip()}")
    return proc.stdout


def _sweep_stale_bridges() -> None:
    """Delete the bridges of this module whose owner is gone (a run killed before ``stop()``)."""
    os.makedirs(OWNERS, exist_ok=True)
    for line in _ip("-o", "link", "show", "type", "bridge").splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if not (len(name) == 10 and name.startswith("tw")):
            continue
        try:
            with open(os.path.join(OWNERS, name + ".pid"), encoding="utf-8") as fh:
                os.kill(int(fh.read().strip()), 0)
            continue  # its owner lives
        except (OSError, ValueError):
            pass
        subprocess.run(["ip", "link", "del", name], capture_output=True, check=False)
        try:
            os.unlink(os.path.join(OWNERS, name + ".pid"))
        except OSError:
            pass


def _subnets_in_use() -> set[ipaddress.IPv4Network]:
    out = _ip("-o", "-4", "addr", "show") + _ip("-4", "route", "show")
    used = set()
    for word in out.split():
        try:
            net = ipaddress.ip_network(word, strict=False)
        except ValueError:
            continue
        if isinstance(net, ipaddress.IPv4Network) and net.subnet_of(BASE):
            used.add(net.supernet(new_prefix=24) if net.prefixlen > 24 else net)
    return used


@dataclass
class Pod:
    """One pod: a network namespace (held by ``holder``) with ``ip`` on the bridge."""

    name: str
    ip: str
    folder: str
    holder: subprocess.Popen[bytes]
    children: list[Child] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.holder.pid

    def hosts_file(self, hosts: dict[str, str] | None) -> str:
        path = os.path.join(self.folder, "hosts")
        lines = ["127.0.0.1 localhost", f"{self.ip} {self.name}"]
        lines += [f"{addr} {name}" for name, addr in sorted((hosts or {}).items())]
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        return path

    def run(self, name: str, argv: list[str], env: dict[str, str] | None = None, hosts: dict[str, str] | None = None,
            service_account: str | None = None) -> Child:
        """Start ``argv`` in the pod (see the module docstring); its output goes to ``<folder>/<name>.log``."""
        cmd = ["nsenter", "-t", str(self.pid), "-n", "--", "unshare", "--mount", "--propagation", "private", "--",
               "sh", "-c", _POD_SCRIPT, self.hosts_file(hosts), service_account or "", *argv]
        child = Child(name, cmd, os.path.join(self.folder, f"{name}.log"))
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/"}
        with open(child.log, "ab") as out:
            child.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                          env=dict(base, **(env or {})), preexec_fn=_die_with_parent)
        child.started = time.monotonic()
        self.children.append(child)
        return child

    def get(self, url: str, timeout: float = 5.0) -> str:
        """GET ``url`` from inside the pod's network namespace (e.g. a process's localhost-only endpoint)."""
        code = "import sys,urllib.request;sys.stdout.write(urllib.request.urlopen(sys.argv[1],timeout=%s).read().decode())" % timeout
        proc = subprocess.run(["nsenter", "-t", str(self.pid), "-n", "python3", "-c", code, url],
                              capture_output=True, text=True, timeout=timeout + 5, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"GET {url} in pod {self.name}: {proc.stderr.strip()[-300:]}")
        return proc.stdout

    def stop(self) -> None:
        for child in self.children:
            if child.alive():
                child.proc.kill()  # type: ignore[union-attr]
                child.proc.wait(10)  # type: ignore[union-attr]
        if self.holder.poll() is None:
            self.holder.kill()
            self.holder.wait(10)


class PodNetwork:
    """The bridge and its pods (see the module docstring)."""

    def __init__(self, state_dir: str) -> None:
        self.state_dir = state_dir
        self.bridge = "tw" + secrets.token_hex(4)
        self.subnet: ipaddress.IPv4Network | None = None
        self.pods: dict[str, Pod] = {}
        self._next = 10

    @property
    def gateway(self) -> str:
        assert self.subnet is not None
        return str(self.subnet.network_address + 1)

    def start(self) -> PodNetwork:
        os.makedirs(self.state_dir, exist_ok=True)
        with open(LOCK, "a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _sweep_stale_bridges()
            used = _subnets_in_use()
            self.subnet = next(n for n in BASE.subnets(new_prefix=24) if n not in used and n.network_address.packed[2] != 0)
            with open(os.path.join(OWNERS, self.bridge + ".pid"), "w", encoding="utf-8") as fh:
                fh.write(str(os.getpid()))
            _ip("link", "add", "name", self.bridge, "type", "bridge")
            _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
        return self

    def pod(self, name: str) -> Pod:
        assert self.subnet is not None, "start() first"
        holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "infinity"], stdin=subprocess.DEVNULL,  # noqa: S607
                                  preexec_fn=_die_with_parent)
        mine = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + 10
        while os.readlink(f"/proc/{holder.pid}/ns/net") == mine:
            if time.monotonic() > deadline or holder.poll() is not None:
                raise RuntimeError(f"pod {name}: no network namespace (unshare --net exited {holder.poll()})")
            time.sleep(0.01)
        index = self._next
        self._next += 1
        ip = str(self.subnet.network_address + index)
        host_end = f"{self.bridge[2:]}v{index}"
        _ip("link", "add", host_end, "type", "veth", "peer", "name", "eth0", "netns", str(holder.pid))
        _ip("link", "set", host_end, "master", self.bridge, "up")
        for args in (("addr", "add", f"{ip}/24", "dev", "eth0"), ("link", "set", "eth0", "up"), ("link", "set", "lo", "up"),
                     ("route", "add", "default", "via", self.gateway)):
            _ip(*args, netns_pid=holder.pid)
        folder = os.path.join(self.state_dir, name)
        os.makedirs(folder, exist_ok=True)
        pod = Pod(name, ip, folder, holder)
        self.pods[name] = pod
        return pod

    def stop(self) -> None:
        for pod in self.pods.values():
            pod.stop()
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False)
        try:
            os.unlink(os.path.join(OWNERS, self.bridge + ".pid"))
        except OSError:
            pass


class Relay:
    """The listening socket of ``relay``; ``close()`` stops accepting (and frees the address at once)."""

    def __init__(self, server: socket.socket) -> None:
        self.server = server

    def close(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.server.close()


def relay(listen: tuple[str, int], target: tuple[str, int]) -> Relay:
    """Relay TCP connections on ``listen`` to ``target`` (threads) until ``close()``."""
    server = socket.create_server(listen)

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def accept() -> None:
        while True:
            try:
                conn, _addr = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(target)
            threading.Thread(target=pipe, args=(conn, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return Relay(server)
