# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure: module shape <-> AWS shape, the lifecycle document, and the plan (merge / remove / compare by rule ID).

``plan`` refuses a foreign rule that cannot be written back unchanged before anything is written.
``merge`` / ``remove`` work by rule ID and leave foreign IDs alone, and ``document`` is the one
rendering used both for the S3 put and for Rook's ``additionalConfig.bucketLifecycle`` (filter
``lifecycle_json``).
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle.canonical import canonical, canonical_rules, check_round_trip, render_filter
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle.validate import DAY_FIELDS, validate_rules


# ---------------------------------------------------------------------- shapes
def rule_to_aws(rule: dict[str, Any]) -> dict[str, Any]:
    """One module-shape rule (validated) -> AWS shape."""
    out = {"ID": rule["id"], "Status": rule.get("status") or "Enabled", "Filter": render_filter(rule.get("prefix") or "")}
    if rule.get("expiration_days") is not None:
        out["Expiration"] = {"Days": rule["expiration_days"]}
    if rule.get("noncurrent_version_expiration_days") is not None:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["noncurrent_version_expiration_days"]}
    if rule.get("abort_incomplete_multipart_upload_days") is not None:
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": rule["abort_incomplete_multipart_upload_days"]}
    return out


def document(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """Canonical AWS rules -> the lifecycle document ``{"Rules": [...]}`` sorted by ID (what is put)."""
    return {"Rules": sorted(rules, key=lambda r: r.get("ID") or "")}


def to_aws(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """Module-shape rules (validated) -> the AWS lifecycle document, exactly as the module puts it."""
    return document([canonical(rule_to_aws(r)) for r in rules])


def to_json(rules: list[dict[str, Any]]) -> str:
    """The AWS document as a stable JSON string (Rook's ``additionalConfig.bucketLifecycle``)."""
    return json.dumps(to_aws(rules), sort_keys=True, separators=(",", ":"))


def from_aws(rule: dict[str, Any]) -> dict[str, Any]:
    """Canonical AWS rule -> module shape for display.

    Parts the module does not model (tag filters, dates, transitions, ...) are kept
    under ``extra`` in AWS shape, so foreign rules are shown faithfully.
    """
    rule = canonical(rule)
    out = dict(id=rule["ID"], status=rule["Status"], prefix="")
    for key in DAY_FIELDS:
        out[key] = None
    extra = {}
    flt = rule.get("Filter") or {}
    if set(flt) == {"Prefix"}:
        out["prefix"] = flt["Prefix"]
    else:
        extra["Filter"] = flt
    for key, value in rule.items():
        if key in ("ID", "Status", "Filter"):
            continue
        if key == "Expiration" and set(value) == {"Days"}:
            out["expiration_days"] = value["Days"]
        elif key == "NoncurrentVersionExpiration" and set(value) == {"NoncurrentDays"}:
            out["noncurrent_version_expiration_days"] = value["NoncurrentDays"]
        elif key == "AbortIncompleteMultipartUpload" and set(value) == {"DaysAfterInitiation"}:
            out["abort_incomplete_multipart_upload_days"] = value["DaysAfterInitiation"]
        else:
            extra[key] = value
    if extra:
        out["extra"] = extra
    return out


# ---------------------------------------------------------------------- merge / compare
def merge(current: list[dict[str, Any]] | None, desired: list[dict[str, Any]], purge: bool = False) -> list[dict[str, Any]]:
    """Put the desired rules (module shape, validated) into the current ones (AWS shape).

    Rules are matched by ID; a current rule with another ID is kept unless ``purge``.
    Returns canonical AWS rules sorted by ID.
    """
    by_id = dict((r["ID"], r) for r in canonical_rules(current))
    wanted = dict((r["id"], canonical(rule_to_aws(r))) for r in desired)
    if purge:
        by_id = {}
    by_id.update(wanted)
    return [by_id[k] for k in sorted(by_id)]


def remove(current: list[dict[str, Any]] | None, ids: Iterable[str]) -> list[dict[str, Any]]:
    """Remove only the rules whose ID is in ``ids``; returns canonical AWS rules sorted by ID."""
    ids = set(ids)
    return [r for r in canonical_rules(current) if r.get("ID") not in ids]


def compare(before: list[dict[str, Any]] | None, after: list[dict[str, Any]] | None) -> bool:
    """True when the two rule lists differ once normalised (i.e. a write is needed)."""
    return canonical_rules(before) != canonical_rules(after)


def managed(rules: list[dict[str, Any]], ids: Iterable[str]) -> list[dict[str, Any]]:
    """The rules (module shape) whose ID is in ``ids``."""
    ids = set(ids)
    return [r for r in rules if r.get("id") in ids]


def plan(current: list[dict[str, Any]] | None, rules: list[Any] | None, state: str = "present",
         purge: bool = False) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    """Validate and compute the target rules.

    Returns ``(before, after, changed)`` with canonical AWS rules sorted by ID.
    Raises ``TracingError`` before anything is sent when a rule is invalid.
    """
    desired = validate_rules(rules, state=state if state != "query" else "absent")
    before = canonical_rules(current)
    if state == "present":
        after = merge(before, desired, purge=purge)
    elif state == "absent":
        after = remove(before, [r["id"] for r in desired])
    else:
        after = before
    changed = compare(before, after)
    if changed and state != "query":
        # Foreign rules are written back with ours: refuse, before any write, one that would change meaning.
        ours = set(r["id"] for r in desired)
        kept = set(r.get("ID") for r in after) - ours
        check_round_trip([r for r in current or [] if r.get("ID") in kept])
    return before, after, changed
