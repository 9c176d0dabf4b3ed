# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readiness checks of the trace storage (component ``storage``): the ObjectBucketClaim, the storage
Secret, the bucket and its lifecycle, and Tempo's retention against it. registry.py holds their ids,
weights and fixes and picks the lifecycle check of the mode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import versions as v

if TYPE_CHECKING:  # annotations only
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import Facts, Outcome

STORAGE_SECRET_KEYS = ("S3_ENDPOINT", "S3_BUCKET") + C.CLAIM_SECRET_KEYS


def check_storage_claim(f: Facts) -> Outcome:
    ns, name = f.params.get("claim_namespace"), f.params.get("claim_name")
    if f.storage.get("crd_missing"):
        return False, "CRD objectbucketclaims.objectbucket.io missing (Rook object storage not installed)"
    claim = f.storage.get("claim")
    if not claim:
        return False, "ObjectBucketClaim %s/%s does not exist" % (ns, name)
    phase = (claim.get("status") or {}).get("phase") or "Pending"
    return phase == "Bound", "ObjectBucketClaim %s/%s %s (bucket %s)" % (ns, name, phase, f.storage.get("bucket") or "?")


def check_storage_secret(f: Facts) -> Outcome:
    secret = f.jaeger.get("storage_secret")
    where = "Secret %s/%s" % (f.jaeger_ns, f.names["storage_secret_name"])
    if not secret:
        return False, "%s missing" % where
    missing = [k for k in STORAGE_SECRET_KEYS if k not in secret.get("keys", [])]
    source = (secret.get("labels") or {}).get(C.LABEL_SOURCE_CLAIM)
    if missing:
        return False, "%s lacks %s" % (where, ", ".join(missing))
    if source != f.params.get("claim_name"):
        return False, "%s source-claim label is %s, not %s" % (where, source, f.params.get("claim_name"))
    return True, "%s keys %s (source claim %s)" % (where, ", ".join(secret.get("keys", [])), source)


def _s3_not_checked(f):
    if f.storage.get("s3_error"):
        return f.storage["s3_error"]
    if not f.storage.get("claim"):
        return "not checked: no claim, so no credentials"
    if not f.storage.get("claim_secret_keys"):
        return "not checked: the claim's Secret is missing or the claim is not Bound"
    if not f.storage.get("endpoint_url"):
        return "not checked: no endpoint (BUCKET_HOST missing; pass s3_endpoint_url)"
    return "not checked"


def check_storage_bucket(f: Facts) -> Outcome:
    if f.storage.get("bucket_exists") is None:
        return False, _s3_not_checked(f)
    where = "bucket %s on %s" % (f.storage.get("bucket"), f.storage.get("endpoint_url"))
    return bool(f.storage["bucket_exists"]), ("%s exists" if f.storage["bucket_exists"] else "%s does not exist") % where


def _lifecycle(f):
    """``(problem, rules text, [(id, days)])`` of the bucket's whole-bucket expiration rules."""
    if f.storage.get("lifecycle") is None:
        return _s3_not_checked(f) if f.storage.get("bucket_exists") is not False else "bucket missing", None, None
    days = f.lifecycle_days()
    if not days:
        return "no enabled whole-bucket expiration rule (%d rules)" % len(f.storage["lifecycle"]), None, None
    return None, ", ".join("rule %s expires after %d days" % x for x in days), days


def check_storage_lifecycle_tempo(f: Facts) -> Outcome:
    """tempo mode: the lifecycle is a backstop behind Tempo's block_retention, so any whole-bucket rule
    of at least retention_days is right (its upper bound is checked by storage_store_retention)."""
    problem, listed, days = _lifecycle(f)
    if problem:
        return False, problem
    want = f.retention_days
    return any(d >= want for _i, d in days), "%s (backstop, expected >= %d days)" % (listed, want)


def check_storage_lifecycle_operator(f: Facts) -> Outcome:
    """grpc-plugin mode: the lifecycle IS the retention (days == retention_days)."""
    problem, listed, days = _lifecycle(f)
    if problem:
        return False, problem
    want = f.retention_days
    return any(d == want for _i, d in days), "%s (expected %d days)" % (listed, want)


def check_storage_store_retention(f: Facts) -> Outcome:
    """The backstop must outlive every block Tempo still serves (docs/storage.md section 4).

    Passes when block_retention >= retention_days and the shortest whole-bucket
    expiration is longer than block_retention + compacted_block_retention (default 1h).
    """
    if f.tempo_config is None:
        return False, f.tempo_config_error
    raw, hours = f.tempo_retention_hours()
    if hours is None:
        return False, "block_retention %s" % ("not set" if raw is None else "%r unparsable" % raw)
    compacted_raw = f.tempo_compaction().get("compacted_block_retention")
    compacted = v.duration_hours(compacted_raw) if compacted_raw is not None else 1.0
    days = [d for _i, d in f.lifecycle_days()]
    if not days:
        return False, "block_retention %s but no bucket lifecycle backstop" % raw
    backstop = min(days)
    if hours < f.retention_days * 24:
        return False, "block_retention %s is shorter than %d days" % (raw, f.retention_days)
    if backstop * 24 <= hours + (compacted or 0):
        return False, "lifecycle %d days <= block_retention %s + compacted_block_retention %s:" \
            " the bucket deletes blocks Tempo still serves" % (backstop, raw, compacted_raw or "1h")
    return True, "block_retention %s (%g days) < lifecycle %d days" % (raw, hours / 24.0, backstop)
