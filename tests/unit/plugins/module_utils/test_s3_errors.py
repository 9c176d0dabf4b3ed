# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one S3 error handler (plugins/module_utils/s3_errors.py): codes matched by name, one decorator per kind of call."""

import botocore.exceptions
import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils import s3_errors as E
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError


def client_error(code, message=None):
    error = {"Code": code}
    if message is not None:
        error["Message"] = message
    return botocore.exceptions.ClientError({"Error": error}, "GetBucketLifecycleConfiguration")


class Fake:
    endpoint_url = "http://rgw.example.lan:80"

    def __init__(self, exc):
        self.exc = exc

    @E.S3ErrorHandler.common_error_handler("put the lifecycle of bucket {bucket}")
    def put(self, bucket):
        raise self.exc

    @E.S3ErrorHandler.missing_error_handler("read the lifecycle of bucket {bucket}", E.MISSING_LIFECYCLE, [])
    def get(self, bucket):
        raise self.exc


@pytest.mark.parametrize("code, reported, needle", [
    ("NoSuchBucket", "NoSuchBucket", "does not exist on http://rgw.example.lan:80"),
    ("404", "NoSuchBucket", "does not exist"),
    ("Forbidden", "AccessDenied", "was denied"),
    ("AllAccessDisabled", "AccessDenied", "was denied"),
    ("InvalidAccessKeyId", "InvalidAccessKeyId", "not known to http://rgw.example.lan:80"),
    ("SignatureDoesNotMatch", "SignatureDoesNotMatch", "secret key does not match"),
])
def test_codes_are_matched_by_name(code, reported, needle):
    with pytest.raises(TracingError) as exc:
        Fake(client_error(code)).put("jaeger-traces")
    assert exc.value.message.startswith("Failed to put the lifecycle of bucket jaeger-traces: ")
    assert needle in exc.value.problem and exc.value.fix
    assert exc.value.details["error_code"] == reported


def test_unknown_code_keeps_the_providers_message():
    with pytest.raises(TracingError) as exc:
        Fake(client_error("MalformedXML", "bad rule")).put("b")
    assert "answered MalformedXML: bad rule" in exc.value.problem and exc.value.details["error_code"] == "MalformedXML"


def test_missing_answers_the_default_and_only_for_its_codes():
    assert Fake(client_error("NoSuchLifecycleConfiguration")).get("b") == []
    with pytest.raises(TracingError, match="Failed to read the lifecycle of bucket b: .*NoSuchBucket"):
        Fake(client_error("NoSuchBucket")).get("b")


def test_network_failures_name_the_endpoint():
    with pytest.raises(TracingError) as exc:
        Fake(botocore.exceptions.EndpointConnectionError(endpoint_url="http://x")).put("b")
    assert "http://rgw.example.lan:80 is unreachable (EndpointConnectionError)" in exc.value.problem


def test_other_exceptions_pass_through():
    with pytest.raises(KeyError):
        Fake(KeyError("not botocore's")).put("b")
