# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Step 0 of the preflight: the site's retention values (``tracing_retention_days`` and friends)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.parsing.convert_bool import BOOLEANS

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import RETENTION_DAYS
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.common import STORAGE_MODES, _int, _json


def effective_retention(site: dict[str, Any]) -> tuple[list[TracingError], dict[str, Any]]:
    """Derive the retention values of the run; returns ``(errors, effective)``.

    Semantics (README, "Retention"): ``tracing_retention_days`` is the retention of the stack
    (default 7). In storage mode tempo, Tempo's block_retention enforces it and the bucket
    lifecycle is a backstop, ``ceph_bucket_retention_days`` (default: one day longer); a backstop
    that is not longer would delete blocks Tempo still serves, so it is refused. In grpc-plugin
    mode the lifecycle is the retention: either variable sets it, and two different values are
    refused.
    """
    errors = []
    mode = site.get("storage_mode") or "tempo"
    raw = site.get("retention_days")
    raw_bucket = site.get("bucket_retention_days")
    days = _int(raw) if raw is not None else None
    bucket = _int(raw_bucket) if raw_bucket is not None else None
    fail_under = site.get("fail_under")
    fail_under_int = _int(fail_under) if fail_under is not None else 100
    bad = []
    if raw is not None and (days is None or days < 1):
        bad.append("tracing_retention_days must be a whole number of days >= 1 (got %s)" % _json(raw))
    if mode not in STORAGE_MODES:
        bad.append("tracing_storage_mode tempo or grpc-plugin (got %s)" % _json(mode))
    if fail_under_int is None or not 0 <= fail_under_int <= 100:
        bad.append("tracing_fail_under an integer 0-100 (got %s)" % _json(fail_under))
    canary = site.get("canary")
    if canary is not None and not isinstance(canary, bool) and str(canary).strip().lower() not in [str(b) for b in BOOLEANS]:
        bad.append("tracing_canary true or false (got %s)" % _json(canary))
    if bad:
        errors.append(TracingError(
            "validate the site variables", "; ".join(bad) + ".",
            "e.g. tracing_retention_days: 7, tracing_storage_mode: tempo, tracing_fail_under: 100, tracing_canary: false in the inventory"
            " (examples/inventory/group_vars/all.yml)."))
    if raw_bucket is not None and (bucket is None or bucket < 1):
        errors.append(TracingError(
            "validate the site variables",
            "ceph_bucket_retention_days must be an integer >= 1 (got %s)." % _json(raw_bucket),
            "e.g. ceph_bucket_retention_days: 8, or leave it unset (the site derives it from tracing_retention_days)."))
    if errors:
        return errors, {}
    if mode == "tempo":
        retention = days if days is not None else RETENTION_DAYS
        if bucket is not None and bucket <= retention:
            errors.append(TracingError(
                "validate the retention",
                "ceph_bucket_retention_days %d is not longer than tracing_retention_days %d in storage mode tempo:"
                " Tempo keeps blocks for %d days (block_retention) and the bucket lifecycle is a backstop behind it,"
                " so a lifecycle of %d days deletes blocks Tempo still serves (docs/storage.md section 4)."
                % (bucket, retention, retention, bucket),
                "set ceph_bucket_retention_days to at least %d, or leave it unset (the site uses %d)." % (
                    retention + 1, retention + 1)))
        bucket_days = bucket if bucket is not None else retention + 1
    else:
        if days is not None and bucket is not None and days != bucket:
            errors.append(TracingError(
                "validate the retention",
                "tracing_retention_days %d and ceph_bucket_retention_days %d contradict each other: in storage mode"
                " grpc-plugin the bucket lifecycle is the retention, so both name the same number of days."
                % (days, bucket),
                "set only tracing_retention_days (or give both the same value)."))
        retention = days if days is not None else (bucket if bucket is not None else RETENTION_DAYS)
        bucket_days = retention
    if errors:
        return errors, {}
    return errors, dict(retention_days=retention, bucket_retention_days=bucket_days,
                        tempo_block_retention="%dh" % (retention * 24), storage_mode=mode)
