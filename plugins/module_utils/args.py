# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared argument specs; documented by the matching doc fragments."""

# Documented by plugins/doc_fragments/k8s_auth.py
K8S_AUTH_ARGS = dict(
    kubeconfig=dict(type="path", aliases=["kubeconfig_path"]),
    context=dict(type="str"),
    host=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", aliases=["verify_ssl"]),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
    request_timeout=dict(type="int", default=30),
)

# Documented by plugins/doc_fragments/s3.py.  The TLS switch is named
# s3_validate_certs because validate_certs already belongs to K8S_AUTH_ARGS and
# modules that read credentials from an ObjectBucketClaim take both sets.
S3_ARGS = dict(
    endpoint_url=dict(type="str", aliases=["s3_url"]),
    access_key=dict(type="str", aliases=["aws_access_key_id"], no_log=False),
    secret_key=dict(type="str", aliases=["aws_secret_access_key"], no_log=True),
    region=dict(type="str", default="us-east-1"),
    s3_validate_certs=dict(type="bool", default=True),
    ca_bundle=dict(type="path"),
)
