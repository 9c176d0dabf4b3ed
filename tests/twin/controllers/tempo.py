"""Start-up emulation of Grafana Tempo and tempo-query containers (readiness hooks).

This is the twin's stand-in for what the real binaries do when they start (docs/storage.md):

* ``grafana/tempo``: reads ``-config.file`` (mounted from a ConfigMap), expands ``${VAR}`` /
  ``${VAR:-default}`` from its environment when ``-config.expand-env=true`` (Tempo's
  cmd/tempo/main.go, envsubst), and with ``storage.trace.backend: s3`` opens the bucket at start-up;
  a wrong endpoint, bucket or credentials make the ingester/compactor fail and ``GET /ready``
  (the readiness probe) never returns 200.  Credentials come from ``storage.trace.s3.access_key``/
  ``secret_key`` or, when absent, from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` in the
  environment (minio-go credential chain, grafana.com/docs/tempo/latest/configuration/s3).
  ``insecure: false`` means HTTPS, which the plain-HTTP in-cluster RGW cannot answer.
  Without a config file the same keys are read from the environment
  (``S3_ENDPOINT``, ``S3_BUCKET``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``).
  The check is REAL: the twin maps the in-cluster RGW Service host to the running RGW and uses
  boto3 (HeadBucket + ListObjectsV2) with those credentials.  Results are cached per
  configuration content (successes for good, failures for 3 s).
* ``grafana/tempo-query`` (2.6.1+ standalone server): ``-config=<file>`` with ``backend: host:port``;
  the container is ready only if ``host`` resolves to an existing Service (``name``,
  ``name.ns``, ``name.ns.svc[.cluster.local]``) exposing ``port``.

Divergence: no DNS, no network policies; any other in-cluster host is "no such host".
"""

from __future__ import annotations

import os
import re
import time
from typing import Optional

from . import startup

RGW_SERVICE = ("rook-ceph", "rook-ceph-rgw-ceph-objectstore")


def _arg(args: list, *names: str) -> Optional[str]:
    for a in args or []:
        for n in names:
            for prefix in (f"-{n}=", f"--{n}="):
                if a.startswith(prefix):
                    return a[len(prefix):]
    return None


def expand_env(text: str, env: dict) -> str:
    def rep(m):
        name, default = m.group(1), m.group(3)
        if name in env:
            return env[name]
        return default if default is not None else ""

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}", rep, text)


class TempoReadiness:
    def __init__(self, store, s3, hooks) -> None:
        self.store = store
        self.s3 = s3
        self.cache: dict = {}
        hooks.container_hooks.append(self.hook)

    def reconcile(self) -> None:  # readiness is computed by the workloads controller through the hook
        pass

    # ------------------------------------------------------------ helpers
    def resolve_service(self, host: str, pod_ns: str) -> Optional[tuple]:
        parts = host.split(".")
        name = parts[0]
        ns = parts[1] if len(parts) > 1 else pod_ns
        if len(parts) > 2 and parts[2] != "svc":
            return None
        svc = self.store.find("v1", "Service", ns, name)
        return (ns, name, svc) if svc else None

    def read_mounted_file(self, pod: dict, c: dict, path: str) -> Optional[str]:
        return startup.read_mounted_file(self.store, pod, c, path)

    def check_s3(self, endpoint: str, bucket: str, access: str, secret: str, insecure: bool, pod_ns: str) -> Optional[str]:
        """None when Tempo could open the bucket; else the error Tempo would log."""
        key = (endpoint, bucket, access, secret, insecure)
        hit = self.cache.get(key)
        if hit and (hit[1] is None or time.monotonic() - hit[0] < 3):
            return hit[1]
        err = self._check_s3(endpoint, bucket, access, secret, insecure, pod_ns)
        self.cache[key] = (time.monotonic(), err)
        return err

    def _check_s3(self, endpoint, bucket, access, secret, insecure, pod_ns) -> Optional[str]:
        if not endpoint or not bucket:
            return "invalid s3 configuration: endpoint and bucket are required"
        if not access or not secret:
            return "NoCredentialProviders: no valid providers in chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY missing)"
        ep = re.sub(r"^https?://", "", endpoint)
        if "://" in endpoint and not endpoint.startswith("http"):
            return f"invalid endpoint {endpoint!r}"
        if endpoint.startswith("http"):
            return f'Endpoint url cannot have fully qualified paths: "{endpoint}" (Tempo wants host:port)'
        host, _unused, port = ep.partition(":")
        port = port or ("80" if insecure else "443")
        res = self.resolve_service(host, pod_ns)
        if res is None:
            return f"dial tcp: lookup {host}: no such host"
        ns, name, svc = res
        if not any(str(p.get("port")) == port for p in (svc.get("spec") or {}).get("ports") or []):
            return f"dial tcp {host}:{port}: connect: connection refused"
        if (ns, name) != RGW_SERVICE or self.s3 is None:
            return f"{host}:{port} is not an S3 endpoint"
        if not insecure:
            return "http: server gave HTTP response to HTTPS client (set insecure: true for the plain-HTTP RGW)"
        try:
            c = self.s3.client(access, secret)
            c.head_bucket(Bucket=bucket)
            c.list_objects_v2(Bucket=bucket, MaxKeys=1)
        except Exception as e:  # noqa: BLE001 - any S3 error keeps Tempo unready
            code = getattr(e, "response", {}).get("Error", {}).get("Code", type(e).__name__)
            return f"failed to open bucket {bucket}: {code}"
        return None

    # ------------------------------------------------------------ hook
    def hook(self, workloads, pod: dict, c: dict):
        image = c.get("image", "")
        if "grafana/tempo-query" in image:
            return self._tempo_query(pod, c)
        if re.search(r"(^|/)grafana/tempo(:|@|$)", image) or re.search(r"(^|/)tempo(:|@|$)", image.split("/")[-1]):
            return self._tempo(workloads, pod, c)
        return None

    def _tempo(self, workloads, pod: dict, c: dict):
        env = workloads.container_env(pod, c)
        args = list(c.get("args") or []) + list(c.get("command") or [])
        cfg_path = _arg(args, "config.file")
        endpoint = bucket = access = secret = None
        insecure = False
        if cfg_path:
            text = self.read_mounted_file(pod, c, cfg_path)
            if text is None:
                return ("CrashLoopBackOff", f"failed to read configFile {cfg_path}: no such file or directory", "waiting")
            if (_arg(args, "config.expand-env") or "false").lower() == "true":
                text = expand_env(text, env)
            try:
                import yaml

                cfg = yaml.safe_load(text) or {}
            except Exception as e:  # noqa: BLE001
                return ("CrashLoopBackOff", f"failed parsing config: {e}", "waiting")
            trace = ((cfg.get("storage") or {}).get("trace") or {})
            if trace.get("backend") != "s3":
                return None  # local/other backends: nothing to check here
            s3 = trace.get("s3") or {}
            endpoint, bucket = str(s3.get("endpoint") or ""), str(s3.get("bucket") or "")
            access = s3.get("access_key") or env.get("AWS_ACCESS_KEY_ID")
            secret = s3.get("secret_key") or env.get("AWS_SECRET_ACCESS_KEY")
            ins = s3.get("insecure", False)
            insecure = ins is True or str(ins).lower() == "true"
        else:
            endpoint, bucket = env.get("S3_ENDPOINT", ""), env.get("S3_BUCKET", "")
            access, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
            insecure = env.get("S3_INSECURE", "false").lower() == "true"
        err = self.check_s3(endpoint, bucket, access, secret, insecure, pod["metadata"]["namespace"])
        if err:
            return ("TempoStorageError", err, "unready")
        return None

    def _tempo_query(self, pod: dict, c: dict):
        args = list(c.get("args") or [])
        backend = None
        cfg_path = _arg(args, "config")
        if cfg_path:
            text = self.read_mounted_file(pod, c, cfg_path)
            if text is None:
                return ("CrashLoopBackOff", f"failed to read config {cfg_path}", "waiting")
            try:
                import yaml

                backend = (yaml.safe_load(text) or {}).get("backend")
            except Exception as e:  # noqa: BLE001
                return ("CrashLoopBackOff", f"failed parsing config: {e}", "waiting")
        backend = backend or _arg(args, "backend") or os.environ.get("TWIN_NEVER_SET")
        if not backend:
            return ("TempoQueryNoBackend", "tempo-query has no backend configured", "unready")
        host, _unused, port = str(backend).partition(":")
        res = self.resolve_service(host, pod["metadata"]["namespace"])
        if res is None:
            return ("TempoQueryBackendUnreachable", f"dial tcp: lookup {host}: no such host", "unready")
        if port and not any(str(p.get("port")) == port for p in (res[2].get("spec") or {}).get("ports") or []):
            return ("TempoQueryBackendUnreachable", f"dial tcp {backend}: connect: connection refused", "unready")
        return None
