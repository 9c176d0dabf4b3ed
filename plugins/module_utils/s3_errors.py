# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one handler of S3 failures: botocore exceptions become ``TracingError`` with a fix.

``S3ErrorHandler`` gives decorators for the methods of ``S3Client`` (in the manner of amazon.aws
``module_utils/errors.py`` ``AWSErrorHandler``): ``common_error_handler(action)`` maps every botocore
failure of the call, ``missing_error_handler(action, codes, default)`` first answers ``default``
when the provider says the thing asked for is absent.  Provider error codes are matched by name
(RGW sometimes sends no message at all): ``ERROR_CODES`` is the one table of what each means and
what to do.  Exceptions that are not botocore's pass through unchanged.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

try:
    import botocore.exceptions

    HAS_BOTOCORE = True
    BOTO_ERRORS = (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError)
    UNREACHABLE = (
        botocore.exceptions.EndpointConnectionError,
        botocore.exceptions.ConnectTimeoutError,
        botocore.exceptions.ReadTimeoutError,
        botocore.exceptions.ConnectionClosedError,
    )
    TLS_FAILED = (botocore.exceptions.SSLError,)
except ImportError:  # pragma: no cover - S3Client reports the missing package
    HAS_BOTOCORE = False
    BOTO_ERRORS = UNREACHABLE = TLS_FAILED = ()

MISSING_LIFECYCLE = ("NoSuchLifecycleConfiguration",)
NO_BUCKET = ("NoSuchBucket", "404", "NotFound")

# Provider error codes, matched by name: (codes, problem, fix, the code reported in the result or
# None for the code received). ``{bucket}`` and ``{endpoint}`` are filled in.
ERROR_CODES = (
    (NO_BUCKET,
     "the bucket {bucket!r} does not exist on {endpoint} (NoSuchBucket).",
     "create the bucket first (an ObjectBucketClaim, role talos_homelab.tracing.ceph_bucket), or check its name.",
     "NoSuchBucket"),
    (("InvalidAccessKeyId",),
     "the access key is not known to {endpoint} (InvalidAccessKeyId).",
     "use the keys of the bucket's owner: the claim's Secret keys AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
     " (or pass claim_name/claim_namespace).",
     None),
    (("SignatureDoesNotMatch",),
     "the secret key does not match the access key (SignatureDoesNotMatch).",
     "use the AWS_SECRET_ACCESS_KEY that belongs to the access key (from the claim's Secret); check that"
     " endpoint_url points at the RGW directly and not at a proxy that rewrites the Host header.",
     None),
    (("AccessDenied", "403", "Forbidden", "AllAccessDisabled"),
     "access to bucket {bucket!r} was denied (AccessDenied).",
     "use the credentials of the bucket's owner (the ObjectBucketClaim's Secret) or grant the user"
     " s3:GetLifecycleConfiguration/s3:PutLifecycleConfiguration in a bucket policy.",
     "AccessDenied"),
)


def error_code(exc: BaseException) -> str:
    """The provider's error code of a botocore ``ClientError`` (``""`` for others)."""
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or "")


def is_error_code(exc: BaseException, codes: str | Iterable[str]) -> bool:
    """True when ``exc`` is a ``ClientError`` whose code is one of ``codes`` (matched by name)."""
    if isinstance(codes, str):
        codes = (codes,)
    return error_code(exc) in codes


def is_boto_error(exc: BaseException) -> bool:
    """True for what botocore raises (every exception when botocore is absent: a test's fake client)."""
    return not HAS_BOTOCORE or isinstance(exc, BOTO_ERRORS)


def to_tracing_error(exc: BaseException, action: str, bucket: str, endpoint_url: str | None) -> TracingError:
    """The ``TracingError`` of one botocore failure of ``action`` on ``bucket``."""
    if isinstance(exc, UNREACHABLE):
        return TracingError(
            action,
            "the S3 endpoint %s is unreachable (%s)." % (endpoint_url or "the default AWS endpoint", exc.__class__.__name__),
            "check endpoint_url: the controller usually cannot resolve the in-cluster BUCKET_HOST"
            " (rook-ceph-rgw-<store>.<namespace>.svc); pass an address reachable from the controller"
            " (an Ingress, a LoadBalancer or a 'kubectl port-forward' to the RGW Service).",
        )
    if isinstance(exc, TLS_FAILED):
        return TracingError(
            action,
            "the TLS handshake with %s failed (%s)." % (endpoint_url, exc.__class__.__name__),
            "pass ca_bundle=<path to the CA that signed the RGW certificate>, or s3_validate_certs=false for a lab endpoint.",
        )
    code = error_code(exc)
    for codes, problem, fix, reported in ERROR_CODES:
        if code in codes:
            return TracingError(action, problem.format(bucket=bucket, endpoint=endpoint_url), fix, error_code=reported or code)
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


class S3ErrorHandler:
    """Decorators for methods ``(self, bucket, ...)`` of a client with ``endpoint_url``.

    ``action`` names what failed, with ``{bucket}`` filled in ("read the lifecycle of bucket {bucket}").
    """

    @classmethod
    def common_error_handler(cls, action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return cls.missing_error_handler(action, (), None)

    @classmethod
    def missing_error_handler(cls, action: str, codes: Iterable[str], default: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """As ``common_error_handler``, but a ``ClientError`` with one of ``codes`` answers ``default``."""

        def decorator(func):
            @functools.wraps(func)
            def wrapper(client, bucket, *args, **kwargs):
                try:
                    return func(client, bucket, *args, **kwargs)
                except Exception as exc:  # botocore raises many types; anything else passes through
                    if not is_boto_error(exc):
                        raise
                    if codes and is_error_code(exc, codes):
                        return default
                    raise to_tracing_error(exc, action.format(bucket=bucket), bucket, client.endpoint_url) from exc

            return wrapper

        return decorator
