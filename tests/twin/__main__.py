"""Command line of the twin (contract: docs/architecture.md "The twin").

    python -m tests.twin up --env-file FILE [--nodes N] [--before-state] [--rook-version X.Y] [--no-block-storage-class]
                            [--obc-allowed-fields a,b,c] [--no-jaeger-operator] [--s3-backend rgw|moto]
    python -m tests.twin stats  --env-file FILE [--reset]
    python -m tests.twin faults --env-file FILE --rate R --codes 500,503 [--latency-ms M] | --off
    python -m tests.twin down   --env-file FILE

``up`` starts a detached ``serve`` child (own session, log in the state dir) that runs the S3
backend, the API server and the controllers; it returns when the twin is ready and writes the
env file.  ``down`` stops exactly the processes ``up`` started, by pid, and removes the state dir.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 300  # the real backend starts a control plane too (10 to 40 s on a loaded machine)
# how long `serve --before-state` waits for the seed's workloads to be running (600 nodes on 2 cores)
SETTLE_TIMEOUT = 120


def read_env(path: str) -> dict:
    out = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, _unused, v = line.partition("=")
        k = k.removeprefix("export ").strip()
        try:
            parts = shlex.split(v)
            out[k] = parts[0] if parts else ""
        except ValueError:
            out[k] = v
    return out


def write_env(path: str, values: dict) -> None:
    lines = [f"{k}={shlex.quote(str(v))}" for k, v in values.items()]
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)


def kubeconfig_text(url: str) -> str:
    return f"""apiVersion: v1
kind: Config
clusters:
- name: twin
  cluster:
    server: {url}
users:
- name: twin
  user:
    token: twin-token
contexts:
- name: twin
  context:
    cluster: twin
    user: twin
    namespace: default
current-context: twin
preferences: {{}}
"""


def _pid_alive(pid: int) -> bool:
    from .rgw import _pid_alive as alive

    return alive(pid)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


# ---------------------------------------------------------------- serve (the detached child)
def cmd_serve(a) -> int:
    from . import cluster, rgw
    from .apiserver import serve
    from .controllers import Controllers
    from .realbackend import RealTwin
    from .store import Store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    state = Path(a.state_dir)
    t0 = time.monotonic()
    stop_event = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_unused: stop_event.set())
    signal.signal(signal.SIGINT, lambda *_unused: stop_event.set())
    backend = a.s3_backend
    if backend == "auto":
        backend = "rgw" if rgw.ceph_available() else "moto"
    moto_server = None
    srv = ctrl = real = None
    try:
        if backend == "rgw":
            info = rgw.start(state)
            s3 = rgw.RgwBackend(state, info)
        else:
            info, moto_server = rgw.start_moto()
            s3 = rgw.MotoBackend(info)
        logging.info("S3 backend %s at %s (%.1fs)", backend, info["endpoint"], time.monotonic() - t0)
        if a.backend == "real":
            real = RealTwin(state)
            store = real.start_cluster(a.nodes)
        else:
            store = Store()
        cluster.bootstrap(store, nodes=a.nodes, rook_version=a.rook_version, obc_allowed_fields=a.obc_allowed_fields,
                          jaeger_operator=not a.no_jaeger_operator, block_storage_class=not a.no_block_storage_class,
                          real=real is not None)
        if a.before_state:
            cluster.load_before_state(store)
        ctrl = Controllers(store, s3, rook_version=a.rook_version, jaeger_operator=not a.no_jaeger_operator,
                           real=real is not None).start()
        if real is not None:
            real.ctrl = ctrl
        else:
            srv = serve(store, "127.0.0.1", 0)
        cluster.finish_neighbours(store, s3)
        if a.before_state:
            settle_deadline = time.monotonic() + SETTLE_TIMEOUT
            while cluster.before_state_unsettled(store):
                if time.monotonic() > settle_deadline:
                    raise RuntimeError("the before-state did not settle in %ds: %s"
                                       % (SETTLE_TIMEOUT, "; ".join(cluster.before_state_unsettled(store))))
                time.sleep(0.1)
        if real is not None:
            url, api_port = real.url, real.proxy.server_address[1]
        else:
            url, api_port = f"http://127.0.0.1:{srv.server_address[1]}", srv.server_address[1]
            (state / "kubeconfig").write_text(kubeconfig_text(url))
        ready = {
            "url": url, "api_port": api_port, "serve_pid": os.getpid(), "s3_backend": backend, "backend": a.backend,
            "s3_endpoint": info["endpoint"], "s3_access_key": info["access_key"], "s3_secret_key": info["secret_key"],
            "ceph_pids": info.get("pids", {}), "rgw_port": info.get("rgw_port"), "mon_port": info.get("mon_port"),
            "startup_seconds": round(time.monotonic() - t0, 2),
        }
        tmp = state / "ready.json.tmp"
        tmp.write_text(json.dumps(ready, indent=2))
        os.replace(tmp, state / "ready.json")
        logging.info("twin ready at %s in %.1fs", url, time.monotonic() - t0)
        while not stop_event.wait(1):
            pass
        return 0
    except Exception as e:  # noqa: BLE001
        logging.exception("twin failed to start")
        (state / "failed.txt").write_text(f"{type(e).__name__}: {e}\n")
        return 1
    finally:
        logging.info("shutting down")
        if ctrl:
            ctrl.stop()
        if real is not None:
            real.stop()
        if srv:
            srv.shutdown()
            srv.server_close()
        if moto_server is not None:
            moto_server.stop()
        rgw.stop(state)


# ---------------------------------------------------------------- up / down
def cmd_up(a) -> int:
    from . import rgw

    t0 = time.monotonic()
    if a.s3_backend == "rgw" and not rgw.ceph_available():
        print("twin: --s3-backend rgw requested but Ceph is not installed (run tests/twin/install-ceph.sh)", file=sys.stderr)
        return 2
    state = Path(tempfile.mkdtemp(prefix="twin-"))
    cmd = [sys.executable, "-m", "tests.twin", "serve", "--state-dir", str(state), "--nodes", str(a.nodes),
           "--rook-version", a.rook_version, "--obc-allowed-fields", a.obc_allowed_fields, "--s3-backend", a.s3_backend]
    if a.before_state:
        cmd.append("--before-state")
    if a.no_jaeger_operator:
        cmd.append("--no-jaeger-operator")
    if a.no_block_storage_class:
        cmd.append("--no-block-storage-class")
    cmd += ["--backend", a.backend]
    log = open(state / "serve.log", "ab")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    p = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, env=env)
    (state / "serve.pid").write_text(str(p.pid))
    # a provisional env file so that `down` can clean up even if start-up fails half-way
    write_env(a.env_file, {"TWIN_STATE_DIR": str(state)})
    deadline = time.monotonic() + READY_TIMEOUT
    ready_file = state / "ready.json"
    while not ready_file.exists():
        if p.poll() is not None or time.monotonic() > deadline:
            why = (state / "failed.txt").read_text().strip() if (state / "failed.txt").exists() else f"exit code {p.poll()}"
            print(f"twin: start-up failed: {why}; log: {state / 'serve.log'}", file=sys.stderr)
            try:
                print((state / "serve.log").read_text()[-3000:], file=sys.stderr)
            except OSError:
                pass
            _down(a.env_file, keep_state=True)
            return 1
        time.sleep(0.05)
    r = json.loads(ready_file.read_text())
    if r["s3_backend"] == "moto":
        print("!" * 78 + "\n!! twin: S3 backend is moto (fallback): Ceph RGW not available. S3_BACKEND=moto\n" + "!" * 78,
              file=sys.stderr)
    write_env(a.env_file, {
        "KUBECONFIG": str(state / "kubeconfig"),
        "S3_ENDPOINT": r["s3_endpoint"],
        "S3_ACCESS_KEY": r["s3_access_key"],
        "S3_SECRET_KEY": r["s3_secret_key"],
        "TWIN_URL": r["url"],
        "TWIN_STATE_DIR": str(state),
        "S3_BACKEND": r["s3_backend"],
        "TWIN_BACKEND": r.get("backend", "emulator"),
    })
    print(f"twin up in {time.monotonic() - t0:.1f}s: {r['url']} (S3 {r['s3_backend']} {r['s3_endpoint']}); env file {a.env_file}",
          file=sys.stderr)
    return 0


def _down(env_file: str, keep_state: bool = False) -> int:
    from . import rgw

    try:
        env = read_env(env_file)
    except OSError:
        print(f"twin: no env file {env_file}: nothing to stop", file=sys.stderr)
        return 0
    state = Path(env.get("TWIN_STATE_DIR", ""))
    if not env.get("TWIN_STATE_DIR") or not state.is_dir():
        print(f"twin: state dir {state} is gone: nothing to stop", file=sys.stderr)
        return 0
    ports = []
    ready = {}
    if (state / "ready.json").exists():
        ready = json.loads((state / "ready.json").read_text())
        ports = [x for x in (ready.get("api_port"), ready.get("rgw_port"), ready.get("mon_port")) if x]
    pid = None
    if (state / "serve.pid").exists():
        pid = int((state / "serve.pid").read_text().strip())
    if pid and _pid_alive(pid):
        os.kill(pid, signal.SIGTERM)  # serve stops its RGW daemons (SIGTERM, SIGKILL after ~8 s)
        deadline = time.monotonic() + 20
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
    rgw.stop(state)  # backstop: by pid files only
    deadline = time.monotonic() + 10
    while any(_port_open(p) for p in ports) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in ports if _port_open(p)]
    if left:
        print(f"twin: ports still open after down: {left}", file=sys.stderr)
    if not keep_state:
        shutil.rmtree(state, ignore_errors=True)
    return 1 if left else 0


def cmd_down(a) -> int:
    return _down(a.env_file)


def _admin(env_file: str, method: str, path: str, body=None) -> dict:
    env = read_env(env_file)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(env["TWIN_URL"] + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"{}")


def cmd_stats(a) -> int:
    out = _admin(a.env_file, "POST", "/_twin/stats/reset", {}) if a.reset else _admin(a.env_file, "GET", "/_twin/stats")
    print(json.dumps(out, indent=2, sort_keys=True))
    return 0


def cmd_faults(a) -> int:
    if a.off:
        out = _admin(a.env_file, "DELETE", "/_twin/faults")
    else:
        if a.rate is None:
            print("twin faults: --rate or --off is required", file=sys.stderr)
            return 2
        codes = [int(c) for c in (a.codes or "500").split(",") if c.strip()]
        out = _admin(a.env_file, "POST", "/_twin/faults", {"rate": a.rate, "codes": codes, "latency_ms": a.latency_ms})
    print(json.dumps(out, indent=2, sort_keys=True))
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.twin")
    sub = ap.add_subparsers(dest="cmd", required=True)

    def start_opts(p):
        p.add_argument("--nodes", type=int, default=6)
        p.add_argument("--before-state", action="store_true")
        p.add_argument("--rook-version", default="1.17")
        p.add_argument("--obc-allowed-fields", default="maxObjects,maxSize,bucketLifecycle")
        p.add_argument("--no-jaeger-operator", action="store_true")
        p.add_argument("--no-block-storage-class", action="store_true", help="no ceph-block StorageClass (no default class)")
        p.add_argument("--s3-backend", choices=("auto", "rgw", "moto"), default="auto")
        p.add_argument("--backend", choices=("real", "emulator"), default=os.environ.get("TWIN_BACKEND") or "emulator",
                       help="real: the real control plane (tests/twin/controlplane) under the twin; emulator: apiserver.py")

    p = sub.add_parser("up")
    p.add_argument("--env-file", required=True)
    start_opts(p)
    p = sub.add_parser("serve", help="internal: the detached child started by up")
    p.add_argument("--state-dir", required=True)
    start_opts(p)
    p = sub.add_parser("down")
    p.add_argument("--env-file", required=True)
    p = sub.add_parser("stats")
    p.add_argument("--env-file", required=True)
    p.add_argument("--reset", action="store_true")
    p = sub.add_parser("faults")
    p.add_argument("--env-file", required=True)
    p.add_argument("--rate", type=float)
    p.add_argument("--codes", default="500")
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--off", action="store_true")
    a = ap.parse_args(argv)
    return {"up": cmd_up, "serve": cmd_serve, "down": cmd_down, "stats": cmd_stats, "faults": cmd_faults}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
