"""An authenticating front proxy in front of the real kube-apiserver: request counts and faults.

Users' kubeconfigs point here (HTTPS, a client certificate as ``talosctl kubeconfig`` gives one).
The proxy verifies the client certificate against the cluster CA and forwards the request to the
API server as the front-proxy client, with ``X-Remote-User`` = the certificate's CN and one
``X-Remote-Group`` per O: the request-header authentication the API server is configured for
(``--requestheader-*`` flags, kubernetes v1.34.4 staging/src/k8s.io/apiserver/pkg/authentication/
request/headerrequest/requestheader.go), so the API server authorises the certificate's user as if
it had connected itself.  Responses are streamed (watches).

Instrumentation, as the emulator's ``/_twin/stats`` (same JSON shape, apiserver.Stats): requests by
verb and resource; ``writes`` (changed something), ``noop_writes`` (PUT/PATCH whose object came back
equal but for resourceVersion, managedFields times and status: the proxy reads the object before
the write, as its own user ``twin-proxy``, not counted), ``dry_run_writes``, ``failed_writes``,
``reads``, ``failed_reads``, ``discovery``, ``faulted``.  Faults (apiserver.Faults): 429 (plain
text, ``Retry-After: 1``), 500, 503, 504 as apiserver._fault_answer gives them; 409 only as a
``Conflict`` on a PUT/PATCH carrying a resourceVersion or a DELETE with a resourceVersion
precondition (the object is not really bumped here, unlike the emulator).
"""

from __future__ import annotations

import json
import socketserver
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Optional

import urllib3
from urllib3._collections import HTTPHeaderDict

from .apiserver import Faults, Stats, _fault_answer, _TooManyRequests

HOP = {"host", "connection", "keep-alive", "transfer-encoding", "content-length", "authorization", "upgrade",
       "x-remote-user", "x-remote-group", "proxy-connection", "te", "trailer"}
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


def parse(method: str, path: str, query: dict) -> dict:
    """Verb, resource (``plural`` or ``plural.group``), namespace, name, subresource of a request."""
    parts = [p for p in path.split("/") if p]
    out: dict[str, Any] = {"verb": None, "resource": None, "ns": None, "name": None, "sub": None, "discovery": True}
    if parts[:2] == ["api", "v1"]:
        rest, group = parts[2:], ""
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        rest, group = parts[3:], parts[1]
    else:
        return out
    if len(rest) >= 3 and rest[0] == "namespaces":
        out["ns"], rest = rest[1], rest[2:]
    if not rest:
        return out
    out["discovery"] = False
    out["resource"] = rest[0] + ("." + group if group else "")
    out["name"] = rest[1] if len(rest) > 1 else None
    out["sub"] = rest[2] if len(rest) > 2 else None
    watch = query.get("watch") in ("1", "true")
    out["verb"] = {"GET": "watch" if watch else ("get" if out["name"] else "list"), "POST": "create", "PUT": "update",
                   "PATCH": "patch", "DELETE": "delete" if out["name"] else "deletecollection"}.get(method, method.lower())
    return out


def _strip(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = dict(out.get("metadata") or {})
    meta.pop("resourceVersion", None)
    meta["managedFields"] = [{k: v for k, v in m.items() if k != "time"} for m in meta.get("managedFields") or []]
    out["metadata"] = meta
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "ProxyServer"

    def log_message(self, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._forward("GET")

    def do_POST(self) -> None:
        self._forward("POST")

    def do_PUT(self) -> None:
        self._forward("PUT")

    def do_PATCH(self) -> None:
        self._forward("PATCH")

    def do_DELETE(self) -> None:
        self._forward("DELETE")

    def _identity(self) -> tuple[str, list[str]]:
        cert = self.connection.getpeercert() or {}
        cn, orgs = "", []
        for rdn in cert.get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    cn = v
                elif k == "organizationName":
                    orgs.append(v)
        return cn, orgs

    def _send_plain(self, code: int, body: Any, headers: Optional[dict] = None) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8" if isinstance(body, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _fault(self, code: int, method: str, info: dict, raw: bytes) -> bool:
        """Answer an injected fault if a real server could give it to this request; True when answered."""
        if code == 409:
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return False
            rv = ((body.get("preconditions") or {}) if info["verb"] == "delete" else (body.get("metadata") or {})).get("resourceVersion") \
                if isinstance(body, dict) else None
            if info["verb"] not in ("update", "patch", "delete") or not info["name"] or not rv:
                return False
            msg = "the object has been modified; please apply your changes to the latest version and try again"
            self._send_plain(409, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Conflict",
                                   "message": f'Operation cannot be fulfilled on {info["resource"]} "{info["name"]}": {msg}',
                                   "details": {"name": info["name"], "kind": info["resource"].split(".")[0]}, "code": 409})
            return True
        err = _fault_answer(code)
        if isinstance(err, _TooManyRequests):
            self._send_plain(429, "Too many requests, please try again later.\n", {"Retry-After": "1", "X-Content-Type-Options": "nosniff"})
        elif err is not None:
            self._send_plain(code, err.status(), {"Retry-After": "1"} if code == 503 else None)
        else:
            return False
        return True

    def _forward(self, method: str) -> None:
        t0 = time.monotonic()
        parsed = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query, keep_blank_values=True).items()}
        info = parse(method, parsed.path, query)
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        user, groups = self._identity()
        dry = query.get("dryRun") == "All"
        latency, fault = self.server.faults.decide(info["verb"], info["discovery"])
        if latency:
            time.sleep(latency)
        if fault and self._fault(fault, method, info, raw):
            self._record(method, parsed, info, "faulted", dry, fault, t0)
            return
        before = None
        if info["verb"] in ("update", "patch") and not dry and info["name"]:
            r = self.server.upstream("GET", parsed.path, None, "twin-proxy", ["system:masters"], {})
            before = json.loads(r.data) if r.status == 200 else None
        headers = HTTPHeaderDict({k: v for k, v in self.headers.items() if k.lower() not in HOP})
        r = self.server.upstream(method, self.path, raw if raw else None, user, groups, headers, stream=True)
        self.send_response(r.status)
        for k, v in r.headers.items():
            if k.lower() not in HOP:
                self.send_header(k, v)
        data = b""
        if info["verb"] == "watch" or query.get("follow") == "true":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for chunk in r.stream(8192, decode_content=False):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError, urllib3.exceptions.HTTPError):
                self.close_connection = True
        else:
            data = r.read(decode_content=False)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        r.release_conn()
        self._record(method, parsed, info, self._class(method, info, r.status, dry, before, data), dry, r.status, t0)

    @staticmethod
    def _class(method: str, info: dict, status: int, dry: bool, before: Optional[dict], data: bytes) -> str:
        if info["discovery"]:
            return "discovery"
        if method == "GET":
            return "reads" if status < 400 else "failed_reads"
        if info["verb"] == "create" and info["resource"].endswith("authorization.k8s.io"):
            return "reads"  # access reviews write nothing
        if status >= 400:
            return "failed_writes"
        if dry:
            return "dry_run_writes"
        if before is not None:
            try:
                return "noop_writes" if _strip(json.loads(data)) == _strip(before) else "writes"
            except ValueError:
                return "writes"
        return "writes"

    def _record(self, method: str, parsed: Any, info: dict, kind: str, dry: bool, status: int, t0: float) -> None:
        self.server.stats.record({"time": time.time(), "method": method, "path": parsed.path, "query": parsed.query,
                                  "verb": info["verb"], "resource": info["resource"], "class": kind, "dry_run": dry,
                                  "code": status, "ms": round((time.monotonic() - t0) * 1000, 2)})


class ProxyServer(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: str, ca: str, serving: tuple[str, str], front_proxy: tuple[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*serving)
        ctx.load_verify_locations(ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.socket = ctx.wrap_socket(self.socket, server_side=True)
        self.target = upstream
        self.http = urllib3.PoolManager(maxsize=32, cert_reqs="CERT_REQUIRED", ca_certs=ca, cert_file=front_proxy[0], key_file=front_proxy[1])
        self.stats = Stats()
        self.faults = Faults()
        self.thread = threading.Thread(target=self.serve_forever, name="twin-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def upstream(self, method: str, path: str, body: Optional[bytes], user: str, groups: list[str], headers: Any,
                 stream: bool = False) -> Any:
        h = HTTPHeaderDict(headers)
        h["X-Remote-User"] = user
        for g in groups:
            h.add("X-Remote-Group", g)
        return self.http.request(method, self.target + path, body=body, headers=h, preload_content=not stream,
                                 decode_content=False, redirect=False, retries=False,
                                 timeout=urllib3.Timeout(connect=10, read=None if stream else 120))

    def start(self) -> "ProxyServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
