# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The S3 endpoint, credentials, region and bucket of an ObjectBucketClaim, read through ``K8sClient``."""

from __future__ import annotations

from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import CLAIM_SECRET_KEYS, DEFAULT_REGION, OBC_API_VERSION, OBC_PLURAL
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.storage_secret.data import decode_data as decode_secret_data


def endpoint_from_configmap(cm_data: dict[str, Any], insecure: bool | None = None) -> str | None:
    """``http(s)://BUCKET_HOST:BUCKET_PORT`` from a claim's ConfigMap data."""
    host = cm_data.get("BUCKET_HOST")
    port = str(cm_data.get("BUCKET_PORT") or "")
    if not host:
        return None
    if insecure is None:
        insecure = port != "443"
    scheme = "http" if insecure else "https"
    return "%s://%s%s" % (scheme, host, (":%s" % port) if port else "")


def s3_params_from_claim(k8s: Any, claim_name: str, claim_namespace: str, endpoint_url: str | None = None) -> dict[str, Any]:
    """Read the S3 endpoint, credentials, region and bucket of an ObjectBucketClaim.

    Returns a dict with ``endpoint_url``, ``access_key``, ``secret_key``, ``region``,
    ``bucket``.  ``endpoint_url`` overrides the claim's in-cluster ``BUCKET_HOST``.
    """
    action = "read the credentials of ObjectBucketClaim %s/%s" % (claim_namespace, claim_name)
    claim = k8s.get(OBC_API_VERSION, OBC_PLURAL, claim_name, claim_namespace, action=action)
    if claim is None:
        raise TracingError(
            action,
            "the claim does not exist.",
            "create it first (role talos_homelab.tracing.ceph_bucket) or check claim_name/claim_namespace.",
        )
    phase = (claim.get("status") or {}).get("phase") or "Pending"
    if phase != "Bound":
        raise TracingError(
            action,
            "the claim is %s, not Bound, so Rook has not written its Secret and ConfigMap yet." % phase,
            "check the claim's events (kubectl -n %s describe objectbucketclaim %s) and the rook-ceph-operator log."
            % (claim_namespace, claim_name),
        )
    secret = k8s.get("v1", "secrets", claim_name, claim_namespace, action=action)
    configmap = k8s.get("v1", "configmaps", claim_name, claim_namespace, action=action)
    if secret is None or configmap is None:
        raise TracingError(
            action,
            "the claim's %s %s/%s is missing." % ("Secret" if secret is None else "ConfigMap", claim_namespace, claim_name),
            "wait for Rook to provision the claim, or delete and re-create the claim.",
        )
    creds = decode_secret_data(secret)
    cm_data = configmap.get("data") or {}
    missing = [k for k in CLAIM_SECRET_KEYS if not creds.get(k)]
    missing += [k for k in ("BUCKET_NAME",) if not cm_data.get(k)]
    if not endpoint_url and not cm_data.get("BUCKET_HOST"):
        missing.append("BUCKET_HOST")
    if missing:
        raise TracingError(action, "keys %s are missing in the claim's Secret/ConfigMap." % ", ".join(missing),
                           "check that a Rook bucket provisioner serves the claim's StorageClass.")
    return dict(
        endpoint_url=endpoint_url or endpoint_from_configmap(cm_data),
        access_key=creds["AWS_ACCESS_KEY_ID"],
        secret_key=creds["AWS_SECRET_ACCESS_KEY"],
        region=cm_data.get("BUCKET_REGION") or DEFAULT_REGION,
        bucket=cm_data["BUCKET_NAME"],
    )
