# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's only boto3 user.

``S3Client`` talks to Ceph RGW (or any S3 endpoint) with path-style addressing,
short connect timeouts and few retries.  Provider errors are matched by their
error code name (RGW sometimes sends no message at all) and become
``TracingError`` with a fix.  S3 has no dry run, so the writes are skipped here
in check mode: this is the one place that enforces it for S3.

``s3_claim.s3_params_from_claim`` reads the endpoint and credentials of an
ObjectBucketClaim through ``K8sClient``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import DEFAULT_REGION
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

try:
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised through the error below
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = exc

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
MAX_ATTEMPTS = 2

_MISSING_LIFECYCLE = ("NoSuchLifecycleConfiguration",)
_NO_BUCKET = ("NoSuchBucket", "404", "NotFound")
_DENIED = ("AccessDenied", "403", "Forbidden", "AllAccessDisabled")
_BAD_KEY = ("InvalidAccessKeyId",)
_BAD_SIGNATURE = ("SignatureDoesNotMatch",)


def error_code(exc):
    """Return the provider's error code of a botocore ``ClientError`` (``""`` for others)."""
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or "")


def is_error_code(exc, codes):
    """True when ``exc`` is a ``ClientError`` whose code is one of ``codes`` (matched by name)."""
    if isinstance(codes, str):
        codes = (codes,)
    return error_code(exc) in codes


class S3Client(object):
    """Wrapper over a boto3 S3 client.

    ``params`` keys: ``endpoint_url``, ``access_key``, ``secret_key``, ``region``,
    ``s3_validate_certs`` (or ``validate_certs``), ``ca_bundle``.
    ``check_mode`` skips every write (S3 has no dry run).
    """

    def __init__(self, params, check_mode=False, client=None):
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

    # ------------------------------------------------------------------ errors
    def _error(self, exc, action, bucket):
        if HAS_BOTO3 and isinstance(
            exc,
            (
                botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectTimeoutError,
                botocore.exceptions.ReadTimeoutError,
                botocore.exceptions.ConnectionClosedError,
            ),
        ):
            return TracingError(
                action,
                "the S3 endpoint %s is unreachable (%s)." % (self.endpoint_url or "the default AWS endpoint", exc.__class__.__name__),
                "check endpoint_url: the controller usually cannot resolve the in-cluster BUCKET_HOST"
                " (rook-ceph-rgw-<store>.<namespace>.svc); pass an address reachable from the controller"
                " (an Ingress, a LoadBalancer or a 'kubectl port-forward' to the RGW Service).",
            )
        if HAS_BOTO3 and isinstance(exc, botocore.exceptions.SSLError):
            return TracingError(
                action,
                "the TLS handshake with %s failed (%s)." % (self.endpoint_url, exc.__class__.__name__),
                "pass ca_bundle=<path to the CA that signed the RGW certificate>, or s3_validate_certs=false for a lab endpoint.",
            )
        code = error_code(exc)
        if code in _NO_BUCKET:
            return TracingError(
                action,
                "the bucket %r does not exist on %s (NoSuchBucket)." % (bucket, self.endpoint_url),
                "create the bucket first (an ObjectBucketClaim, role talos_homelab.tracing.ceph_bucket), or check its name.",
                error_code="NoSuchBucket",
            )
        if code in _BAD_KEY:
            return TracingError(
                action,
                "the access key is not known to %s (InvalidAccessKeyId)." % self.endpoint_url,
                "use the keys of the bucket's owner: the claim's Secret keys AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                " (or pass claim_name/claim_namespace).",
                error_code=code,
            )
        if code in _BAD_SIGNATURE:
            return TracingError(
                action,
                "the secret key does not match the access key (SignatureDoesNotMatch).",
                "use the AWS_SECRET_ACCESS_KEY that belongs to the access key (from the claim's Secret); check that"
                " endpoint_url points at the RGW directly and not at a proxy that rewrites the Host header.",
                error_code=code,
            )
        if code in _DENIED:
            return TracingError(
                action,
                "access to bucket %r was denied (AccessDenied)." % bucket,
                "use the credentials of the bucket's owner (the ObjectBucketClaim's Secret) or grant the user"
                " s3:GetLifecycleConfiguration/s3:PutLifecycleConfiguration in a bucket policy.",
                error_code="AccessDenied",
            )
        if code:
            message = ((getattr(exc, "response", None) or {}).get("Error") or {}).get("Message")
            return TracingError(
                action,
                "the S3 endpoint answered %s%s" % (code, (": %s" % message) if message else "."),
                "correct the request named in the message (for lifecycle rules see the module documentation"
                " for what Ceph RGW accepts), then retry.",
                error_code=code,
            )
        return TracingError(
            action,
            "the S3 request failed (%s: %s)." % (exc.__class__.__name__, exc),
            "check endpoint_url and the RGW's health, then retry.",
        )

    def _call(self, action, bucket, method, **kwargs):
        self.requests += 1
        try:
            return getattr(self.client, method)(**kwargs)
        except Exception as exc:  # botocore raises many types; all are mapped in _error
            if HAS_BOTO3 and not isinstance(exc, (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)):
                raise
            raise self._error(exc, action, bucket)

    # ------------------------------------------------------------------ reads
    def head_bucket(self, bucket):
        """Return ``True`` when the bucket exists, ``False`` when it does not (other errors raise)."""
        try:
            self._call("check bucket %s" % bucket, bucket, "head_bucket", Bucket=bucket)
        except TracingError as err:
            if err.details.get("error_code") == "NoSuchBucket":
                return False
            raise
        return True

    def get_lifecycle(self, bucket):
        """Return the bucket's lifecycle rules (AWS shape), ``[]`` when it has none."""
        self.requests += 1
        try:
            response = self.client.get_bucket_lifecycle_configuration(Bucket=bucket)
        except Exception as exc:
            if HAS_BOTO3 and not isinstance(exc, (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)):
                raise
            if is_error_code(exc, _MISSING_LIFECYCLE):
                return []
            raise self._error(exc, "read the lifecycle of bucket %s" % bucket, bucket)
        return list(response.get("Rules") or [])

    # ------------------------------------------------------------------ writes
    def put_lifecycle(self, bucket, document):
        """Put ``document`` (``{"Rules": [...]}``). Skipped in check mode."""
        if self.check_mode:
            self.skipped_writes += 1
            return None
        self.writes += 1
        return self._call(
            "put the lifecycle of bucket %s" % bucket,
            bucket,
            "put_bucket_lifecycle_configuration",
            Bucket=bucket,
            LifecycleConfiguration=document,
        )

    def delete_lifecycle(self, bucket):
        """Delete the bucket's lifecycle configuration. Skipped in check mode."""
        if self.check_mode:
            self.skipped_writes += 1
            return None
        self.writes += 1
        return self._call("delete the lifecycle of bucket %s" % bucket, bucket, "delete_bucket_lifecycle", Bucket=bucket)
