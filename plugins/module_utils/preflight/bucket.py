# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Step 2 of the preflight: role ceph_bucket's variables, its StorageClass and the Rook operator's settings."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle import bucket_name_problem
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.common import _NS_RE, _SUBDOMAIN_RE, _int, _json, version_tuple


# Rook: the bucket provisioner of a CephObjectStore is "<operator namespace>.ceph.rook.io/bucket"
# (rook pkg/operator/ceph/object/bucket/provisioner.go).
_ROOK_PROVISIONER_RE = re.compile(r"\.ceph\.rook\.io/bucket$")
_VERSION_TAG_RE = re.compile(r":v?([0-9]+\.[0-9]+(\.[0-9]+)?)(@.*)?$")
# Rook's default when ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS is unset (rook deploy/examples/operator.yaml).
ROOK_DEFAULT_ALLOWED_FIELDS = ("maxObjects", "maxSize")
ROOK_ALLOWED_FIELDS_KEY = "ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS"
# First Rook release that reconciles an OBC's additionalConfig.bucketLifecycle (docs/storage.md).
ROOK_LIFECYCLE_VERSION = (1, 17)


def ceph_values_errors(ceph: dict[str, Any]) -> list[TracingError]:
    """The role's own variables (no cluster needed)."""
    errors = []
    bucket = ceph.get("ceph_bucket_bucket_name")
    problem = bucket_name_problem(bucket)
    names_ok = (_NS_RE.match(str(ceph.get("ceph_bucket_namespace") or ""))
                and _SUBDOMAIN_RE.match(str(ceph.get("ceph_bucket_claim_name") or "")))
    if problem or not names_ok or not str(ceph.get("ceph_bucket_storage_class") or ""):
        details = []
        if problem:
            details.append("bucket name '%s' must follow S3 naming (3-63 characters of a-z, 0-9, '.', '-', starting and"
                           " ending with a letter or digit, no '..', not an IP address): %s" % (bucket, problem))
        if not names_ok:
            details.append("claim '%s' and namespace '%s' must be Kubernetes names (lowercase letters, digits and '-')"
                           % (ceph.get("ceph_bucket_claim_name"), ceph.get("ceph_bucket_namespace")))
        if not str(ceph.get("ceph_bucket_storage_class") or ""):
            details.append("the StorageClass (ceph_bucket_storage_class) must be set")
        errors.append(TracingError("validate ceph_bucket variables", "; ".join(details) + ".",
                                   "e.g. ceph_bucket_bucket_name: jaeger-traces, ceph_bucket_claim_name: jaeger-traces."))
    days = _int(ceph.get("ceph_bucket_retention_days"))
    abort = _int(ceph.get("ceph_bucket_abort_incomplete_multipart_days"))
    rule_id = str(ceph.get("ceph_bucket_lifecycle_rule_id") or "")
    if days is None or days < 1 or abort is None or abort < 0 or not 1 <= len(rule_id) <= 255:
        errors.append(TracingError(
            "validate ceph_bucket variables",
            "ceph_bucket_retention_days must be an integer >= 1 (got %s), ceph_bucket_abort_incomplete_multipart_days"
            " an integer >= 0 (got %s) and the rule ID 1-255 characters." % (
                _json(ceph.get("ceph_bucket_retention_days")), _json(ceph.get("ceph_bucket_abort_incomplete_multipart_days"))),
            "e.g. ceph_bucket_retention_days: 7."))
    extra = ceph.get("ceph_bucket_additional_config") or {}
    if not isinstance(extra, dict) or "bucketLifecycle" in extra or any(not isinstance(v, str) for v in extra.values()):
        errors.append(TracingError(
            "validate ceph_bucket_additional_config",
            "%s: values must be strings and bucketLifecycle is managed by this role." % _json(extra),
            "quote the values (maxSize: \"50Gi\") and set the retention with ceph_bucket_retention_days."))
    return errors


def rook_facts(ceph: dict[str, Any], cluster: dict[str, Any]) -> tuple[list[TracingError], dict[str, Any]]:
    """``(errors, facts)``: the Rook version, where the lifecycle goes, the allowed OBC fields."""
    errors = []
    ns = ceph.get("ceph_bucket_rook_namespace")
    deploy_name = ceph.get("ceph_bucket_rook_operator_deployment")
    config_name = ceph.get("ceph_bucket_rook_operator_config")
    pinned = str(ceph.get("ceph_bucket_rook_version") or "")
    if pinned:
        found = pinned[1:] if pinned.startswith("v") else pinned
        source = "ceph_bucket_rook_version %s is not X.Y[.Z]" % _json(pinned)
    else:
        deploy = cluster.get("rook_operator")
        image = ""
        if deploy:
            containers = ((((deploy.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or [{}])
            image = containers[0].get("image") or ""
        match = _VERSION_TAG_RE.search(image)
        found = match.group(1) if match else ""
        state = "was not found" if not deploy else "has image %s without a version tag" % image
        source = "Deployment %s/%s %s" % (ns, deploy_name, state)
    version = version_tuple(found)
    if version is None:
        errors.append(TracingError(
            "detect the Rook version", source + ".",
            "set ceph_bucket_rook_version (e.g. \"1.17\") or point ceph_bucket_rook_namespace /"
            " ceph_bucket_rook_operator_deployment at the operator."))
        return errors, {}
    data = ((cluster.get("rook_operator_config") or {}).get("data")) or {}
    raw_fields = data.get(ROOK_ALLOWED_FIELDS_KEY, ",".join(ROOK_DEFAULT_ALLOWED_FIELDS))
    allowed = [f.strip() for f in str(raw_fields).split(",") if f.strip()]
    in_claim = version[:2] >= ROOK_LIFECYCLE_VERSION
    facts = dict(rook_version=found, lifecycle_in_claim=in_claim, allowed_fields=allowed)
    bucket = ceph.get("ceph_bucket_bucket_name")
    if in_claim and "bucketLifecycle" not in allowed:
        errors.append(TracingError(
            "declare the lifecycle of bucket %s" % bucket,
            "Rook %s re-applies an ObjectBucketClaim's additionalConfig.bucketLifecycle on every reconcile and deletes"
            " lifecycle rules set over S3, so the rule must be declared in the claim, but %s in ConfigMap %s/%s is '%s'"
            " and Rook would fail the claim with 'OBC config \"bucketLifecycle\" is not allowed'." % (
                found, ROOK_ALLOWED_FIELDS_KEY, ns, config_name, ",".join(allowed)),
            "add bucketLifecycle to that list, e.g. kubectl -n %s patch configmap %s --type merge -p"
            " '{\"data\":{\"%s\":\"%s\"}}' (Helm: the rook-ceph chart value obcAllowAdditionalConfigFields), then run"
            " again." % (ns, config_name, ROOK_ALLOWED_FIELDS_KEY, ",".join(allowed + ["bucketLifecycle"]))))
    extra = ceph.get("ceph_bucket_additional_config") or {}
    if isinstance(extra, dict):
        refused = sorted(k for k in extra if k not in allowed and k != "bucketLifecycle")
        if refused:
            errors.append(TracingError(
                "claim bucket %s" % bucket,
                "additionalConfig keys %s are not in %s ('%s') of ConfigMap %s/%s, so Rook would fail the claim." % (
                    ", ".join(refused), ROOK_ALLOWED_FIELDS_KEY, ",".join(allowed), ns, config_name),
                "allow them there or remove them from ceph_bucket_additional_config."))
    return errors, facts


def storage_class_errors(ceph: dict[str, Any], cluster: dict[str, Any]) -> list[TracingError]:
    name = ceph.get("ceph_bucket_storage_class")
    if not name:
        return []
    sc = cluster.get("storage_class")
    provisioner = (sc or {}).get("provisioner") or ""
    if sc and _ROOK_PROVISIONER_RE.search(provisioner):
        return []
    return [TracingError(
        "claim bucket %s" % ceph.get("ceph_bucket_bucket_name"),
        "StorageClass %s %s." % (name, "does not exist" if not sc else
                                 "has provisioner %s, not <rook-namespace>.ceph.rook.io/bucket" % provisioner),
        "create a bucket StorageClass for the CephObjectStore (Rook docs, ceph-object-bucket-claim) or set"
        " ceph_bucket_storage_class.")]
