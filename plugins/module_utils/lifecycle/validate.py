# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure: the checks of the user's input (bucket name, rules in the module shape) that Ceph RGW 16.2 would refuse.

``validate_rules`` refuses exactly what Ceph RGW 16.2 refuses (so moto and RGW give the same answer).
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError


MAX_ID_LENGTH = 255
MAX_RULES = 1000
STATUSES = ("Enabled", "Disabled")
DAY_FIELDS = (
    "expiration_days",
    "abort_incomplete_multipart_upload_days",
    "noncurrent_version_expiration_days",
)
RULE_KEYS = ("id", "status", "prefix") + DAY_FIELDS

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")

_ACTION = "validate the lifecycle rules"


# ---------------------------------------------------------------------- validation
def bucket_name_problem(name: Any) -> str | None:
    """Return why ``name`` is not a valid S3 bucket name, or ``None``."""
    if not isinstance(name, str) or not name:
        return "the bucket name is empty."
    if len(name) < 3 or len(name) > 63:
        return "bucket name %r must be 3 to 63 characters long." % name
    if not _BUCKET_RE.match(name):
        return ("bucket name %r may contain only lowercase letters, digits, dots and hyphens,"
                " and must begin and end with a letter or digit." % name)
    if ".." in name or ".-" in name or "-." in name:
        return "bucket name %r must not contain '..', '.-' or '-.'." % name
    if _IP_RE.match(name):
        return "bucket name %r must not be formatted as an IP address." % name
    return None


def validate_bucket(name: Any) -> None:
    problem = bucket_name_problem(name)
    if problem:
        raise TracingError(
            "validate the bucket name", problem,
            "use the bucket's real name (the BUCKET_NAME key of the ObjectBucketClaim's ConfigMap).",
        )


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def validate_rules(rules: Any, state: str = "present") -> list[dict[str, Any]]:
    """Raise ``TracingError`` for rules that Ceph RGW 16.2 would refuse.

    With ``state=absent`` only the IDs are checked (the rules name what to remove).
    Returns the rules completed with defaults (module shape).
    """
    if rules is None:
        rules = []
    if not isinstance(rules, list):
        raise TracingError(_ACTION, "rules must be a list of dicts, got %s." % type(rules).__name__,
                           "pass rules as a list, e.g. [{id: jaeger-traces-retention, expiration_days: 7}].")
    if len(rules) > MAX_RULES:
        raise TracingError(_ACTION, "%d rules given; S3 allows at most %d." % (len(rules), MAX_RULES),
                           "merge rules that share a prefix.")
    out = []
    seen = set()
    for index, rule in enumerate(rules):
        where = "rule #%d" % (index + 1)
        if not isinstance(rule, dict):
            raise TracingError(_ACTION, "%s is not a dict." % where, "give each rule as a dict with at least an id.")
        unknown = sorted(set(rule) - set(RULE_KEYS))
        if unknown:
            raise TracingError(_ACTION, "%s has unknown keys %s." % (where, ", ".join(unknown)),
                               "use only %s." % ", ".join(RULE_KEYS))
        rid = rule.get("id")
        if not isinstance(rid, str) or not rid:
            raise TracingError(
                _ACTION, "%s has no id." % where,
                "give every rule an id: RGW invents a random 48-character ID for a rule without one,"
                " which makes every later run look changed.",
            )
        where = "rule %r" % rid
        if len(rid) > MAX_ID_LENGTH:
            raise TracingError(_ACTION, "%s: the id is %d characters long; RGW refuses more than %d (InvalidArgument)."
                               % (where[:40] + "...'", len(rid), MAX_ID_LENGTH), "shorten the id.")
        if rid in seen:
            raise TracingError(_ACTION, "the id %r is used twice; RGW refuses duplicate IDs (InvalidArgument)." % rid,
                               "give each rule its own id.")
        seen.add(rid)
        norm = dict(
            id=rid,
            status=rule.get("status") if rule.get("status") is not None else "Enabled",
            prefix=rule.get("prefix") if rule.get("prefix") is not None else "",
        )
        for key in DAY_FIELDS:
            norm[key] = rule.get(key)
        if state != "present":
            out.append(norm)
            continue
        if norm["status"] not in STATUSES:
            raise TracingError(_ACTION, "%s: status %r is not Enabled or Disabled (RGW: MalformedXML)." % (where, norm["status"]),
                               "set status to Enabled or Disabled.")
        if not isinstance(norm["prefix"], str):
            raise TracingError(_ACTION, "%s: prefix must be a string." % where, "quote the prefix.")
        for key in DAY_FIELDS:
            value = norm[key]
            if value is None:
                continue
            if not _is_int(value):
                raise TracingError(_ACTION, "%s: %s must be a whole number of days, got %r." % (where, key, value),
                                   "give %s as an integer >= 1." % key)
            if value < 1:
                raise TracingError(_ACTION, "%s: %s is %d; RGW refuses fewer than 1 day (InvalidArgument)." % (where, key, value),
                                   "use %s >= 1, or leave it out." % key)
        if all(norm[key] is None for key in DAY_FIELDS):
            raise TracingError(
                _ACTION, "%s has no action; RGW refuses a rule without one (MalformedXML)." % where,
                "set at least one of %s." % ", ".join(DAY_FIELDS),
            )
        out.append(norm)
    return out
