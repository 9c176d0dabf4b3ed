# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's only boto3 user.

``S3Client`` talks to Ceph RGW (or any S3 endpoint) with path-style addressing,
short connect timeouts and few retries.  Provider errors go through the one
handler of module_utils/s3_errors.py (matched by error code name) and become
``TracingError`` with a fix.  S3 has no dry run, so the writes are skipped here
in check mode: this is the one place that enforces it for S3.

``s3_claim.s3_params_from_claim`` reads the endpoint and credentials of an
ObjectBucketClaim through ``K8sClient``.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import DEFAULT_REGION
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.s3_errors import (
    MISSING_LIFECYCLE, NO_BUCKET, S3ErrorHandler,
)

try:
    import boto3
    from botocore.config import Config

    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised through the error below
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = exc

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
MAX_ATTEMPTS = 2


class S3Client(object):
    """Wrapper over a boto3 S3 client.

    ``params`` keys: ``endpoint_url``, ``access_key``, ``secret_key``, ``region``,
    ``s3_validate_certs`` (or ``validate_certs``), ``ca_bundle``.
    ``check_mode`` skips every write (S3 has no dry run).
    """

    def __init__(self, params: dict[str, Any], check_mode: bool = False, client: Any = None) -> None:
        self.check_mode = check_mode
        self.endpoint_url = params.get("endpoint_url")
        self.requests = 0
        self.writes = 0
        self.skipped_writes = 0
        if client is not None:
            self.client = client
            return
        if not HAS_BOTO3:
            raise TracingError(
                "load the S3 client",
                "the Python packages 'boto3'/'botocore' are not installed (%s)." % BOTO3_IMPORT_ERROR,
                "pip install boto3 on the host that runs the module.",
            )
        access_key = params.get("access_key")
        secret_key = params.get("secret_key")
        if not access_key or not secret_key:
            raise TracingError(
                "configure the S3 client",
                "no S3 credentials were given.",
                "pass access_key and secret_key, or claim_name/claim_namespace of the ObjectBucketClaim that owns the bucket.",
            )
        validate = params.get("s3_validate_certs")
        if validate is None:
            validate = params.get("validate_certs")
        verify = True if validate is None else bool(validate)
        if verify and params.get("ca_bundle"):
            verify = params["ca_bundle"]
        config = Config(
            s3={"addressing_style": "path"},
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            signature_version="s3v4",
        )
        try:
            self.client = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint_url or None,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                region_name=params.get("region") or DEFAULT_REGION,
                verify=verify,
                config=config,
            )
        except ValueError as exc:
            raise TracingError(
                "configure the S3 client",
                "the endpoint URL %r is not usable (%s)." % (self.endpoint_url, exc),
                "pass endpoint_url as http(s)://host:port, e.g. http://rgw.example.lan:80.",
            )

    # ------------------------------------------------------------------ reads
    @S3ErrorHandler.missing_error_handler("check bucket {bucket}", NO_BUCKET, False)
    def head_bucket(self, bucket: str) -> bool:
        """Return ``True`` when the bucket exists, ``False`` when it does not (other errors raise)."""
        self.requests += 1
        self.client.head_bucket(Bucket=bucket)
        return True

    @S3ErrorHandler.missing_error_handler("read the lifecycle of bucket {bucket}", MISSING_LIFECYCLE, [])
    def get_lifecycle(self, bucket: str) -> list[dict[str, Any]]:
        """Return the bucket's lifecycle rules (AWS shape), ``[]`` when it has none."""
        self.requests += 1
        response = self.client.get_bucket_lifecycle_configuration(Bucket=bucket)
        return list(response.get("Rules") or [])

    # ------------------------------------------------------------------ writes
    def put_lifecycle(self, bucket: str, document: dict[str, Any]) -> Any:
        """Put ``document`` (``{"Rules": [...]}``). Skipped in check mode."""
        if self.check_mode:
            self.skipped_writes += 1
            return None
        self.writes += 1
        return self._put_lifecycle(bucket, document)

    @S3ErrorHandler.common_error_handler("put the lifecycle of bucket {bucket}")
    def _put_lifecycle(self, bucket, document):
        self.requests += 1
        return self.client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=document)

    def delete_lifecycle(self, bucket: str) -> Any:
        """Delete the bucket's lifecycle configuration. Skipped in check mode."""
        if self.check_mode:
            self.skipped_writes += 1
            return None
        self.writes += 1
        return self._delete_lifecycle(bucket)

    @S3ErrorHandler.common_error_handler("delete the lifecycle of bucket {bucket}")
    def _delete_lifecycle(self, bucket):
        self.requests += 1
        return self.client.delete_bucket_lifecycle(Bucket=bucket)
