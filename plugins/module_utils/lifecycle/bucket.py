# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The I/O of ``ceph_bucket_lifecycle``: read the claim (Kubernetes), read and write the bucket's lifecycle (S3).

``run`` is the module's entry point; the decisions are the pure functions of ``validate``,
``canonical`` and ``rules``.  The clients are ``S3Client`` (module_utils/s3.py) and ``K8sClient``
(module_utils/k8s.py), or the factories a test passes.
"""

from __future__ import annotations

from typing import Any, Callable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle.rules import document, from_aws, managed, plan
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle.validate import validate_bucket, validate_rules


def _claim_params(k8s, params):
    """S3 parameters of the ObjectBucketClaim, and what was read of it for a later task (no credential).

    A Bound claim given in ``known_claim`` (this run's earlier read, e.g. the apply's answer) is not
    read again; its Secret and ConfigMap always are, and must still be owned by that claim (its
    uid), else the claim is read again.  Returns ``(claim_params, handoff)``: ``handoff`` has
    ``claim`` (the claim trimmed by ``claim_reads.known_claim``) and ``claim_config`` (the
    ConfigMap's non-secret keys) when the ConfigMap read is the one the provisioner wrote for it.
    """
    from ansible_collections.talos_homelab.tracing.plugins.module_utils import claim_reads
    from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.s3_claim import s3_params_from_claim

    name, namespace = params["claim_name"], params.get("claim_namespace") or "default"
    known = claim_reads.known_claim(params.get("known_claim"), name, namespace)
    reads = claim_reads.Reads(k8s, [(C.OBC_API_VERSION, C.OBC_PLURAL, known)] if known else [])
    claim = s3_params_from_claim(reads, name, namespace, params.get("endpoint_url"))
    uid = claim_reads.uid(reads.last(C.OBC_API_VERSION, C.OBC_PLURAL, name, namespace))
    secret = reads.last("v1", "secrets", name, namespace)
    configmap = reads.last("v1", "configmaps", name, namespace)
    if known and not (claim_reads.owned_by(secret, uid) and claim_reads.owned_by(configmap, uid)):
        # The claim given was not the one whose Secret/ConfigMap were read now: read it all again.
        reads = claim_reads.Reads(k8s)
        claim = s3_params_from_claim(reads, name, namespace, params.get("endpoint_url"))
        configmap = reads.last("v1", "configmaps", name, namespace)
    read_claim = reads.last(C.OBC_API_VERSION, C.OBC_PLURAL, name, namespace)
    handoff = {}
    trimmed = claim_reads.known_claim(read_claim, name, namespace)
    if trimmed and claim_reads.owned_by(configmap, trimmed["metadata"]["uid"]):
        handoff = dict(claim=trimmed, claim_config=claim_reads.config_handoff(configmap))
    return claim, handoff


def _s3_params(params, k8s_factory, check_mode):
    """S3 parameters from the module parameters, or from the ObjectBucketClaim when named.

    Returns ``(s3_params, bucket, handoff)``; ``handoff`` is ``{}`` without a claim.
    """
    s3_params = dict(
        endpoint_url=params.get("endpoint_url"),
        access_key=params.get("access_key"),
        secret_key=params.get("secret_key"),
        region=params.get("region"),
        s3_validate_certs=params.get("s3_validate_certs"),
        ca_bundle=params.get("ca_bundle"),
    )
    bucket = params.get("bucket")
    handoff = {}
    if params.get("claim_name"):
        if k8s_factory is None:
            from ansible_collections.talos_homelab.tracing.plugins.module_utils.k8s import K8sClient as k8s_factory
        k8s = k8s_factory(params, check_mode=check_mode)
        claim, handoff = _claim_params(k8s, params)
        bucket = bucket or claim.pop("bucket")
        claim.pop("bucket", None)
        for key in ("endpoint_url", "access_key", "secret_key"):
            s3_params[key] = claim[key]
        if params.get("region") in (None, "", "us-east-1"):
            s3_params["region"] = claim["region"]
    return s3_params, bucket, handoff


def run(params: dict[str, Any], check_mode: bool = False, diff: bool = False, s3_factory: Callable[..., Any] | None = None,
        k8s_factory: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Run ``ceph_bucket_lifecycle``: returns the module result dict or raises ``TracingError``."""
    state = params.get("state") or "present"
    rules = params.get("rules") or []
    purge = bool(params.get("purge_rules"))
    # Refuse what RGW would refuse before any request is sent.
    desired = validate_rules(rules, state="present" if state == "present" else "absent")
    if params.get("bucket"):
        validate_bucket(params["bucket"])
    s3_params, bucket, handoff = _s3_params(params, k8s_factory, check_mode)
    if not bucket:
        raise TracingError("manage the bucket lifecycle", "no bucket was given.", "pass bucket, or claim_name/claim_namespace.")
    validate_bucket(bucket)
    if s3_factory is None:
        from ansible_collections.talos_homelab.tracing.plugins.module_utils.s3 import S3Client as s3_factory
    s3 = s3_factory(s3_params, check_mode=check_mode)

    current = s3.get_lifecycle(bucket)
    before, after, changed = plan(current, desired, state=state, purge=purge)
    if state == "query":
        changed = False
    if changed and not check_mode:  # S3 has no dry run: nothing is sent in check mode
        if after:
            s3.put_lifecycle(bucket, document(after))
        else:
            s3.delete_lifecycle(bucket)
    ids = [r["id"] for r in desired]
    shown = [from_aws(r) for r in after]
    result = dict(
        changed=changed,
        bucket=bucket,
        rules=shown,
        managed_rules=managed(shown, ids) if state != "query" else [],
    )
    # What was read of the claim, for a later task of the run (talos_homelab.tracing.jaeger_storage_secret):
    # no credential is in it.
    result.update(handoff)
    # Rules are not secret: before/after are always returned; Ansible shows them with --diff.
    result["diff"] = dict(before=dict(rules=[from_aws(r) for r in before]), after=dict(rules=shown))
    return result
