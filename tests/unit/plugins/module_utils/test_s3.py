# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3Client over moto (in-process, no network) and over stubbed RGW answers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from botocore.stub import Stubber

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.s3 import S3Client

moto = pytest.importorskip("moto")

PARAMS = dict(endpoint_url=None, access_key="testing", secret_key="testing", region="us-east-1")


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto.mock_aws():
        yield


def test_path_style_and_timeouts():
    client = S3Client(dict(PARAMS, endpoint_url="http://127.0.0.1:9"))
    cfg = client.client.meta.config
    assert cfg.s3["addressing_style"] == "path"
    assert cfg.connect_timeout == 5 and cfg.retries.get("total_max_attempts", cfg.retries.get("max_attempts")) == 2


def test_round_trip_and_check_mode(aws):
    s3 = S3Client(PARAMS)
    s3.client.create_bucket(Bucket="jaeger-traces")
    assert s3.head_bucket("jaeger-traces") and not s3.head_bucket("nope")
    assert s3.get_lifecycle("jaeger-traces") == []
    doc = {"Rules": [{"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 7}}]}
    S3Client(PARAMS, check_mode=True).put_lifecycle("jaeger-traces", doc)
    assert s3.get_lifecycle("jaeger-traces") == []
    s3.put_lifecycle("jaeger-traces", doc)
    assert s3.get_lifecycle("jaeger-traces")[0]["ID"] == "r"
    S3Client(PARAMS, check_mode=True).delete_lifecycle("jaeger-traces")
    assert s3.get_lifecycle("jaeger-traces")
    s3.delete_lifecycle("jaeger-traces")
    assert s3.get_lifecycle("jaeger-traces") == []


def test_no_such_bucket(aws):
    with pytest.raises(TracingError, match="NoSuchBucket") as exc:
        S3Client(PARAMS).get_lifecycle("missing-bucket")
    assert "create the bucket" in exc.value.fix


def stubbed(method, code, message=None, status=400):
    s3 = S3Client(dict(PARAMS, endpoint_url="http://127.0.0.1:9"))
    stub = Stubber(s3.client)
    stub.add_client_error(method, service_error_code=code, service_message=message or "", http_status_code=status)
    stub.activate()
    return s3


def test_rgw_missing_lifecycle_without_message():
    s3 = stubbed("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration", None, 404)
    assert s3.get_lifecycle("b") == []


@pytest.mark.parametrize("code, needle", [
    ("AccessDenied", "denied"),
    ("InvalidAccessKeyId", "access key is not known"),
    ("SignatureDoesNotMatch", "secret key does not match"),
    ("InvalidArgument", "InvalidArgument"),
])
def test_error_codes_by_name(code, needle):
    s3 = stubbed("get_bucket_lifecycle_configuration", code, None, 403)
    with pytest.raises(TracingError) as exc:
        s3.get_lifecycle("b")
    assert needle in exc.value.message and exc.value.fix


def test_unreachable_endpoint():
    s3 = S3Client(dict(PARAMS, endpoint_url="http://127.0.0.1:9"))
    with pytest.raises(TracingError) as exc:
        s3.get_lifecycle("b")
    assert "unreachable" in exc.value.message and "BUCKET_HOST" in exc.value.fix


def test_no_credentials():
    with pytest.raises(TracingError, match="no S3 credentials"):
        S3Client(dict(PARAMS, access_key=None))
