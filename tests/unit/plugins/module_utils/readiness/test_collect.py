# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.collect import collect
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.run import assess

from . import snapshots as s

SECRET_VALUE = "very-secret-value"


def b64(text):
    return base64.b64encode(text.encode()).decode()


class FakeApi(object):
    """Path-based fake of K8sClient: objects per collection path; missing collections 404 when ``crds`` lacks them."""

    def __init__(self, node_count=6, with_obc=True, with_jaeger_crd=True):
        self.requests = 0
        self.collections = {}
        self.missing = set()
        self.add("/api/v1/nodes", [{"metadata": {"name": n["name"], "labels": n["labels"]},
                                    "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
                                   for n in s.nodes(node_count)])
        otel = s.otel(s.before_collector_config(), count=node_count)
        self.add("/apis/apps/v1/namespaces/opentelemetry/daemonsets", [dict(otel["daemonset"])])
        self.add("/api/v1/namespaces/opentelemetry/pods", [
            {"metadata": {"name": "p%d" % i, "labels": dict(s.OTEL_LABELS)}, "spec": {"nodeName": "talos-node-%02d" % i},
             "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
            for i in range(1, node_count + 1)])
        self.add("/api/v1/namespaces/opentelemetry/configmaps", otel["configmaps"])
        if with_jaeger_crd:
            self.add("/apis/jaegertracing.io/v1/namespaces/jaeger/jaegers", [])
        else:
            self.missing.add("/apis/jaegertracing.io/v1/namespaces/jaeger/jaegers")
        if with_obc:
            self.add("/apis/objectbucket.io/v1alpha1/namespaces/jaeger/objectbucketclaims", [
                {"metadata": {"name": "jaeger-traces"}, "spec": {"bucketName": "jaeger-traces"}, "status": {"phase": "Bound"}}])
            self.add("/api/v1/namespaces/jaeger/secrets", [
                {"metadata": {"name": "jaeger-traces"}, "data": {"AWS_ACCESS_KEY_ID": b64("AK"), "AWS_SECRET_ACCESS_KEY": b64(SECRET_VALUE)}},
                {"metadata": {"name": "jaeger-storage"}, "data": {"AWS_SECRET_ACCESS_KEY": b64(SECRET_VALUE)}}])
            self.add("/api/v1/namespaces/jaeger/configmaps", [
                {"metadata": {"name": "jaeger-traces"}, "data": {"BUCKET_HOST": "rgw.rook-ceph.svc", "BUCKET_PORT": "80",
                                                                 "BUCKET_NAME": "jaeger-traces"}}])
        else:
            self.missing.add("/apis/objectbucket.io/v1alpha1/namespaces/jaeger/objectbucketclaims")

    def add(self, path, items):
        self.collections[path] = items

    def request(self, method, path, body=None, query=None, content_type=None, action=None):
        assert method == "GET"
        self.requests += 1
        if path in self.missing:
            err = TracingError(action or path, "404 NotFound.")
            err.status = 404
            raise err
        if path in self.collections:
            items = self.collections[path]
            selector = (query or {}).get("labelSelector")
            if selector:
                pairs = dict(x.split("=", 1) for x in selector.split(","))
                items = [i for i in items if all((i["metadata"].get("labels") or {}).get(k) == v for k, v in pairs.items())]
            return {"items": items}
        collection, name = path.rsplit("/", 1)
        for item in self.collections.get(collection, []):
            if item["metadata"]["name"] == name:
                return item
        if collection in self.collections or "/namespaces/" in path:
            err = TracingError(action or path, "404 NotFound.")
            err.status = 404
            raise err
        return {"items": []}

    def get(self, api_version, plural, name, namespace=None, action=None):
        from ansible_collections.talos_homelab.tracing.plugins.module_utils.k8s import api_path
        try:
            return self.request("GET", api_path(api_version, plural, namespace, name), action=action)
        except TracingError as err:
            if getattr(err, "status", None) == 404:
                return None
            raise


class FakeS3(object):
    calls = []

    def __init__(self, params):
        FakeS3.calls.append(params)

    def head_bucket(self, bucket):
        return True

    def get_lifecycle(self, bucket):
        return [{"ID": "jaeger-traces-retention", "Status": "Enabled", "Prefix": "", "Expiration": {"Days": 7}}]


def test_request_count_is_independent_of_node_count():
    small, large = FakeApi(6), FakeApi(600)
    snap_small = collect(small, s.params(), s3_factory=FakeS3)
    snap_large = collect(large, s.params(), s3_factory=FakeS3)
    assert len(snap_small["nodes"]) == 6 and len(snap_small["otel"]["pods"]) == 6
    assert len(snap_large["nodes"]) == 600 and len(snap_large["otel"]["pods"]) == 600
    assert small.requests == large.requests


def test_secret_values_never_enter_the_snapshot():
    FakeS3.calls = []
    snap = collect(FakeApi(), s.params(s3_endpoint_url="http://127.0.0.1:7480"), s3_factory=FakeS3)
    assert SECRET_VALUE not in json.dumps(snap)
    assert snap["jaeger"]["storage_secret"]["keys"] == ["AWS_SECRET_ACCESS_KEY"]
    assert FakeS3.calls[0]["secret_key"] == SECRET_VALUE
    assert FakeS3.calls[0]["endpoint_url"] == "http://127.0.0.1:7480"
    assert snap["storage"]["bucket_exists"] is True and snap["storage"]["lifecycle"][0]["Expiration"]["Days"] == 7
    assert snap["storage"]["endpoint_url"] == "http://127.0.0.1:7480"


def test_missing_crds_are_evidence():
    snap = collect(FakeApi(with_obc=False, with_jaeger_crd=False), s.params(), s3_factory=FakeS3)
    assert snap["jaeger"]["crd_missing"] and snap["storage"]["crd_missing"]
    result = assess(snap)
    evidence = [c["evidence"] for c in result["components"]["storage"]["checks"]]
    assert any("CRD objectbucketclaims.objectbucket.io missing" in e for e in evidence)


def test_exporter_target_is_looked_up():
    api = FakeApi()
    snap = collect(api, s.params(), s3_factory=None)
    assert snap["services"]["jaeger-system/jaeger-collector"] is None
    assert "Service jaeger-system/jaeger-collector does not exist" in [
        c for c in assess(snap)["components"]["otel_collector"]["checks"] if c["id"] == "otel_exporters"][0]["evidence"]


def test_config_yaml_roundtrip_is_parsed():
    assert yaml.safe_load(s.otel(s.target_collector_config())["configmaps"][0]["data"]["config.yaml"])["service"]
