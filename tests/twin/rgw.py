"""A real single-node Ceph RGW on loopback (or a loudly announced moto fallback).

Recipe: docs in ../shared/reference/domain-facts.md section 6 (measured on Ceph 16.2.15),
which follows Ceph's "Manual Deployment" guide (doc/install/manual-deployment.rst):
cephx keyrings with ceph-authtool, a monmap with monmaptool, ``ceph-mon --mkfs``,
``ceph osd new``, ``ceph-osd --mkfs``, a ``client.rgw.<id>`` key, then ``radosgw`` with the
beast frontend.  Objects live in memory (``osd objectstore = memstore``); nothing touches
system paths: every run dir, pid file, admin socket and log is under the state dir.

Daemons run in the foreground (``-f``) in their own session; their pids are written to
``<state>/ceph/pids/*.pid`` and ``stop()`` signals exactly those pids (SIGTERM, SIGKILL after
~8 s: radosgw needs 5-7 s to exit on SIGTERM).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Optional

CEPH_BINARIES = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph-authtool", "monmaptool", "ceph")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ceph_available() -> bool:
    return all(shutil.which(b) for b in CEPH_BINARIES)


def gen_keys() -> tuple[str, str]:
    """Access/secret keys shaped like RGW's own (20 upper-case alnum / 40 chars)."""
    access = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _unused in range(20))
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _unused in range(40))
    return access, secret


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours still answers kill(0); reap it if it is ours
    try:
        done, _unused = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().split(") ", 1)[1].startswith("Z"):
                return False
    except (OSError, IndexError):
        return False
    return True


class Ceph:
    """Handle on a running (or to-be-started) single-node cluster under ``<state_dir>/ceph``."""

    def __init__(self, state_dir: str | os.PathLike) -> None:
        self.dir = Path(state_dir).resolve() / "ceph"
        self.conf = self.dir / "ceph.conf"
        self.pids = self.dir / "pids"
        self.logs = self.dir / "log"

    # ------------------------------------------------------------ helpers
    def _run(self, *args: str, timeout: float = 30, check: bool = True, name: str = "client.admin") -> str:
        cmd = [args[0], "-c", str(self.conf)] + (["-n", name] if args[0] in ("ceph", "radosgw-admin") else []) + list(args[1:])
        if args[0] == "ceph":
            cmd[1:1] = ["--connect-timeout", "15"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
        return p.stdout

    def admin(self, *args: str, timeout: float = 30, check: bool = True) -> str:
        """Run ``radosgw-admin`` against this cluster."""
        return self._run("radosgw-admin", *args, timeout=timeout, check=check)

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.logs / f"{name}.out", "ab")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        (self.pids / f"{name}.pid").write_text(str(p.pid))
        return p

    def _write_conf(self, fsid: str, mon_port: int, rgw_port: int) -> None:
        d = self.dir
        self.conf.write_text(
            f"""[global]
fsid = {fsid}
mon host = v1:127.0.0.1:{mon_port}
mon initial members = a
public network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
ms bind msgr2 = false
ms bind ipv6 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 4294967296
paxos propose interval = 0.1
mon data avail warn = 1
mon data avail crit = 0
run dir = {d}/run
admin socket = {d}/run/$cluster-$name.asok
pid file = {d}/run/$name.pid
log file = {d}/log/$name.log
log to stderr = false
err to stderr = true

[mon]
mon data = {d}/mon/$cluster-$id
keyring = {d}/mon.keyring

[osd]
osd data = {d}/osd/$cluster-$id
keyring = {d}/osd/$cluster-$id/keyring
osd max object name len = 256
osd max object namespace len = 64

[client.admin]
keyring = {d}/admin.keyring

[client.rgw.a]
keyring = {d}/rgw.keyring
rgw data = {d}/rgw
rgw frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw lc debug interval = 10
rgw dns name = 127.0.0.1
rgw thread pool size = 64
"""
        )

    # ------------------------------------------------------------ start
    def start(self, timeout: float = 90) -> dict:
        t0 = time.monotonic()
        if self.dir.exists():
            shutil.rmtree(self.dir)
        for sub in ("run", "log", "mon", "osd", "rgw", "pids"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        fsid = str(uuid.uuid4())
        mon_port, rgw_port = free_port(), free_port()
        while rgw_port == mon_port:
            rgw_port = free_port()
        self._write_conf(fsid, mon_port, rgw_port)
        d = self.dir
        tool = ["ceph-authtool"]
        # keyrings (manual-deployment.rst "Monitor Bootstrapping")
        subprocess.run(
            tool + [str(d / "mon.keyring"), "--create-keyring", "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"], check=True, capture_output=True
        )
        subprocess.run(
            tool
            + [
                str(d / "admin.keyring"),
                "--create-keyring",
                "--gen-key",
                "-n",
                "client.admin",
                "--cap",
                "mon",
                "allow *",
                "--cap",
                "osd",
                "allow *",
                "--cap",
                "mds",
                "allow *",
                "--cap",
                "mgr",
                "allow *",
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(tool + [str(d / "mon.keyring"), "--import-keyring", str(d / "admin.keyring")], check=True, capture_output=True)
        subprocess.run(
            ["monmaptool", "--create", "--fsid", fsid, "--addv", "a", f"[v1:127.0.0.1:{mon_port}]", str(d / "monmap")],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["ceph-mon", "-c", str(self.conf), "--mkfs", "-i", "a", "--monmap", str(d / "monmap"), "--keyring", str(d / "mon.keyring")],
            check=True,
            capture_output=True,
        )
        self._spawn("mon.a", ["ceph-mon", "-f", "-c", str(self.conf), "-i", "a"])
        # OSD (manual-deployment.rst "Adding OSDs", long form) with a key generated here
        osd_uuid = str(uuid.uuid4())
        osd_key = subprocess.run(["ceph-authtool", "--gen-print-key"], check=True, capture_output=True, text=True).stdout.strip()
        secrets_file = d / "osd-secrets.json"
        secrets_file.write_text(json.dumps({"cephx_secret": osd_key}))
        osd_id = None
        for _unused in range(50):  # the mon may still be starting
            try:
                osd_id = self._run("ceph", "osd", "new", osd_uuid, "-i", str(secrets_file), timeout=20).strip()
                break
            except (RuntimeError, subprocess.TimeoutExpired):
                time.sleep(0.2)
        if osd_id is None:
            raise RuntimeError(f"ceph-mon did not answer; see {self.logs}")
        osd_dir = d / "osd" / f"ceph-{osd_id}"
        osd_dir.mkdir(parents=True, exist_ok=True)
        (osd_dir / "keyring").write_text(f"[osd.{osd_id}]\n\tkey = {osd_key}\n")
        subprocess.run(
            ["ceph-osd", "-c", str(self.conf), "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid], check=True, capture_output=True, timeout=60
        )
        # start, retrying: a rare start-up race makes ceph-osd exit ("wrong fsid") - domain-facts 6
        for attempt in range(3):
            p = self._spawn(f"osd.{osd_id}", ["ceph-osd", "-f", "-c", str(self.conf), "-i", osd_id])
            if self._wait_osd_up(p, 30):
                break
            if p.poll() is None:
                p.terminate()
                p.wait(10)
        else:
            raise RuntimeError(f"ceph-osd did not come up after 3 attempts; see {self.logs}")
        # RGW key and daemon
        self._run("ceph", "auth", "get-or-create", "client.rgw.a", "mon", "allow rw", "osd", "allow rwx", "-o", str(d / "rgw.keyring"))
        rgw = self._spawn("rgw.a", ["radosgw", "-f", "-c", str(self.conf), "-n", "client.rgw.a"])
        endpoint = f"http://127.0.0.1:{rgw_port}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(endpoint + "/", timeout=2).read()
                break
            except urllib.error.HTTPError:
                break  # any HTTP answer means the frontend is serving
            except OSError:
                if rgw.poll() is not None:
                    raise RuntimeError(f"radosgw exited ({rgw.returncode}); see {self.logs}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"radosgw did not answer on {endpoint}; see {self.logs}")
                time.sleep(0.1)
        access, secret = self.create_user("twin-admin", admin=True)
        info = {
            "backend": "rgw",
            "endpoint": endpoint,
            "access_key": access,
            "secret_key": secret,
            "mon_port": mon_port,
            "rgw_port": rgw_port,
            "fsid": fsid,
            "pids": self.pid_map(),
            "start_seconds": round(time.monotonic() - t0, 2),
        }
        (d / "rgw.json").write_text(json.dumps(info, indent=2))
        return info

    def _wait_osd_up(self, p: subprocess.Popen, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if p.poll() is not None:
                return False
            try:
                stat = json.loads(self._run("ceph", "osd", "stat", "-f", "json", timeout=10))
                if int(stat.get("num_up_osds", 0)) >= 1:
                    return True
            except (RuntimeError, ValueError, subprocess.TimeoutExpired):
                pass
            time.sleep(0.2)
        return False

    def pid_map(self) -> dict:
        out = {}
        if self.pids.is_dir():
            for f in self.pids.glob("*.pid"):
                try:
                    out[f.stem] = int(f.read_text().strip())
                except ValueError:
                    pass
        return out

    # ------------------------------------------------------------ S3 users
    def create_user(self, uid: str, admin: bool = False) -> tuple[str, str]:
        """Create (or return) an RGW user with generated keys via ``radosgw-admin user create``."""
        existing = self.admin("user", "info", "--uid", uid, check=False)
        if existing.strip():
            try:
                k = json.loads(existing)["keys"][0]
                return k["access_key"], k["secret_key"]
            except (ValueError, KeyError, IndexError):
                pass
        access, secret = gen_keys()
        args = ["user", "create", "--uid", uid, "--display-name", uid, "--access-key", access, "--secret-key", secret]
        if admin:
            args.append("--admin")
        self.admin(*args)
        return access, secret

    def delete_user(self, uid: str) -> None:
        self.admin("user", "rm", "--uid", uid, "--purge-data", check=False)

    def delete_bucket(self, bucket: str) -> None:
        self.admin("bucket", "rm", "--bucket", bucket, "--purge-objects", check=False)


# ---------------------------------------------------------------- module API
def start(state_dir: str | os.PathLike) -> dict:
    return Ceph(state_dir).start()


def stop(state_dir: str | os.PathLike, grace: float = 8.0) -> list[int]:
    """SIGTERM every daemon listed in the pid files, SIGKILL after ``grace`` seconds."""
    ceph = Ceph(state_dir)
    pids = [p for p in ceph.pid_map().values() if _pid_alive(p)]
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_pid_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        if _pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_pid_alive(p) for p in pids):
        time.sleep(0.05)
    return pids


def s3_client(endpoint: str, access: str, secret: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}, connect_timeout=5, read_timeout=20),
    )


def create_bucket(endpoint: str, access: str, secret: str, bucket: str) -> None:
    """Create ``bucket`` owned by the given user (idempotent, like Rook's provisioner)."""
    from botocore.exceptions import ClientError

    try:
        s3_client(endpoint, access, secret).create_bucket(Bucket=bucket)
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") not in ("BucketAlreadyOwnedByYou",):
            raise


# ---------------------------------------------------------------- backends used by the controllers
class RgwBackend:
    """What the Rook simulation needs from the object store, against the real RGW."""

    name = "rgw"

    def __init__(self, state_dir: str | os.PathLike, info: dict) -> None:
        self.ceph = Ceph(state_dir)
        self.endpoint = info["endpoint"]
        self.access_key = info["access_key"]
        self.secret_key = info["secret_key"]

    def create_user(self, uid: str) -> tuple[str, str]:
        return self.ceph.create_user(uid)

    def delete_user(self, uid: str) -> None:
        self.ceph.delete_user(uid)

    def create_bucket(self, access: str, secret: str, bucket: str) -> None:
        create_bucket(self.endpoint, access, secret, bucket)

    def delete_bucket(self, bucket: str) -> None:
        self.ceph.delete_bucket(bucket)

    def client(self, access: Optional[str] = None, secret: Optional[str] = None):
        return s3_client(self.endpoint, access or self.access_key, secret or self.secret_key)


class MotoBackend:
    """Fallback: moto's S3 server in a thread.  moto does not check credentials, accepts
    invalid lifecycle rules and never expires objects (domain-facts 5): tests that pass here
    prove much less than against RGW."""

    name = "moto"

    def __init__(self, info: dict) -> None:
        self.endpoint = info["endpoint"]
        self.access_key = info["access_key"]
        self.secret_key = info["secret_key"]

    def create_user(self, uid: str) -> tuple[str, str]:
        return gen_keys()

    def delete_user(self, uid: str) -> None:
        pass

    def create_bucket(self, access: str, secret: str, bucket: str) -> None:
        create_bucket(self.endpoint, access, secret, bucket)

    def delete_bucket(self, bucket: str) -> None:
        c = self.client()
        try:
            for o in c.list_objects_v2(Bucket=bucket).get("Contents", []):
                c.delete_object(Bucket=bucket, Key=o["Key"])
            c.delete_bucket(Bucket=bucket)
        except Exception:  # noqa: BLE001 - best effort like radosgw-admin bucket rm
            pass

    def client(self, access: Optional[str] = None, secret: Optional[str] = None):
        return s3_client(self.endpoint, access or self.access_key, secret or self.secret_key)


def start_moto() -> tuple[dict, object]:
    try:
        from moto.server import ThreadedMotoServer
        import flask  # noqa: F401 - moto's server needs the extra: pip install "moto[server]"
    except ImportError as e:
        raise RuntimeError(
            f"moto S3 backend unavailable ({e}); it is the fallback for machines without Ceph RGW. "
            'Install Ceph (tests/twin/install-ceph.sh) or "moto[server]" in the venv.'
        ) from e

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    access, secret = gen_keys()
    print(
        "\n" + "!" * 78 + "\n!! TWIN S3 BACKEND: moto (fallback). Ceph RGW is NOT installed/usable here.\n"
        "!! moto ignores credentials, accepts invalid lifecycle rules and never expires objects.\n"
        "!! Run tests/twin/install-ceph.sh for the real RGW.\n" + "!" * 78,
        file=sys.stderr,
        flush=True,
    )
    return {"backend": "moto", "endpoint": f"http://127.0.0.1:{port}", "access_key": access, "secret_key": secret, "pids": {}}, server


if __name__ == "__main__":  # manual check: python -m tests.twin.rgw /tmp/x
    import tempfile

    sd = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="rgw-")
    try:
        info = start(sd)
        print(json.dumps(info, indent=2))
        c = s3_client(info["endpoint"], info["access_key"], info["secret_key"])
        c.create_bucket(Bucket="probe")
        print(c.list_buckets()["Buckets"])
    finally:
        t = time.monotonic()
        stop(sd)
        print("stopped in", round(time.monotonic() - t, 2), "s")
