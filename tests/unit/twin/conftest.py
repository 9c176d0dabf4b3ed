"""Fixtures for the twin's own tests: an in-process API server on a free loopback port."""

import json
import os
import sys
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.twin.apiserver import serve  # noqa: E402
from tests.twin.store import Store  # noqa: E402


@pytest.fixture
def twin():
    srv = serve(Store())
    yield srv
    srv.stop()


@pytest.fixture
def api(twin):
    from kubernetes import client

    cfg = client.Configuration()
    cfg.host = twin.url
    cfg.api_key = {"authorization": "Bearer anything"}
    with client.ApiClient(cfg) as c:
        yield c


class Http:
    """Plain urllib access returning (code, json body, headers)."""

    def __init__(self, base):
        self.base = base

    def __call__(self, method, path, body=None, ctype="application/json", raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", ctype)
        req.add_header("Authorization", "Bearer whatever")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null"), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null"), dict(e.headers)


@pytest.fixture
def http(twin):
    return Http(twin.url)
