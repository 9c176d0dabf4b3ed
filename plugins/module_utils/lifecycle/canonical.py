# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure: the one normal form of an AWS-shape rule, and what of a foreign rule cannot be written back.

``canonical`` is the one normal form of a rule: two rules mean the same (same scope, same actions)
exactly when their canonical forms are equal, and the canonical form is what RGW 16.2 accepts and
keeps.  It folds every spelling RGW or AWS returns: a top-level ``Prefix``, ``Filter: {}``,
``Filter: {And: {Prefix, Tags}}`` (AWS) and RGW 16.2's own ``Filter: {Prefix, And: {Tags}}``, which
RGW itself reads back as tags-only when it is written back verbatim (docs/storage.md, "Lifecycle
rules on Ceph RGW 16.2").  ``round_trip_problems`` names what of a foreign rule cannot be written
back unchanged.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from typing import Any, Iterable

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle.validate import STATUSES


_KEEP_ACTION = "keep the bucket's other lifecycle rules"


# The parts of an AWS-shape rule that Ceph RGW 16.2 stores and returns (src/rgw/rgw_lc_s3.cc,
# LCRule_S3::decode_xml/dump_xml; observed on radosgw 16.2.15 from Debian bookworm).
_RULE_PARTS = ("ID", "Status", "Prefix", "Filter", "Expiration", "NoncurrentVersionExpiration",
               "AbortIncompleteMultipartUpload", "Transitions", "NoncurrentVersionTransitions")
_ACTIONS = ("Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload",
            "Transitions", "NoncurrentVersionTransitions")
_ACTION_PARTS = {
    "Expiration": ("Days", "Date", "ExpiredObjectDeleteMarker"),
    "NoncurrentVersionExpiration": ("NoncurrentDays",),
    "AbortIncompleteMultipartUpload": ("DaysAfterInitiation",),
    "Transitions": ("Days", "Date", "StorageClass"),
    "NoncurrentVersionTransitions": ("NoncurrentDays", "StorageClass"),
}
# Accepted by RGW 16.2 on put and silently dropped (observed); kept by newer RGW and AWS.
_DROPPED_BY_RGW16 = ("ObjectSizeGreaterThan", "ObjectSizeLessThan", "NewerNoncurrentVersions", "ArchiveZone")
# RGW 16.2 refuses a Date that is not midnight UTC (MalformedXML; rgw_lc_s3.cc check_date).
_MIDNIGHT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T00:00:00(\.0+)?(Z|\+00:00)$")


def _jsonable(value):
    if isinstance(value, dict):
        return dict((k, _jsonable(v)) for k, v in value.items() if v is not None)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None and value.utcoffset() == datetime.timedelta(0):
            value = value.replace(tzinfo=None)
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, datetime.date):
        return value.isoformat() + "T00:00:00Z"
    return value


def render_filter(prefix: str | None, tags: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """A scope (prefix, tags) -> the one Filter spelling RGW 16.2 reads back with the same scope.

    Prefix only: ``{Prefix}``; one tag and no prefix: ``{Tag}``; otherwise ``{And: {Prefix, Tags}}``
    (RGW reads Prefix and Tags from inside ``And`` only when there is an ``And``).
    """
    tags = [dict(t) for t in tags]
    if not tags:
        return {"Prefix": prefix or ""}
    if len(tags) == 1 and not prefix:
        return {"Tag": tags[0]}
    both = {"Tags": tags}
    if prefix:
        both["Prefix"] = prefix
    return {"And": both}


def _tag(tag):
    if not isinstance(tag, dict):
        return {"Key": tag, "Value": ""}
    return {"Key": tag.get("Key"), "Value": tag.get("Value") or ""}


def _scope(rule):
    """``(prefix, tags, problems)`` of a jsonable AWS rule, in any spelling RGW or AWS returns.

    RGW 16.2 returns And(prefix + 2 or more tags) as ``{Prefix, And: {Tags}}``, And(prefix + 1 tag)
    as ``{Prefix, Tag}``, And(tags) without prefix as ``{And: {Tags}}`` or ``{Tag}``, and an empty
    filter as a top-level ``Prefix``; AWS returns ``{And: {Prefix, Tags}}``.  All mean prefix AND tags.
    ``problems`` lists what makes the scope ambiguous or not writable as it is.
    """
    problems = []
    legacy = rule.get("Prefix")
    flt = rule.get("Filter")
    if flt is None:
        return legacy or "", [], problems
    if not isinstance(flt, dict):
        return "", [], ["its Filter is not a mapping"]
    if legacy:
        problems.append("it has both a top-level Prefix (%r) and a Filter; RGW 16.2 obeys only the Filter and other"
                        " S3 servers refuse the pair, so its scope is ambiguous" % legacy)
    unknown = ["Filter.%s" % k for k in sorted(set(flt) - set(("Prefix", "Tag", "And")))]
    prefixes = [flt["Prefix"]] if flt.get("Prefix") else []
    tags = [_tag(flt["Tag"])] if flt.get("Tag") is not None else []
    if "And" in flt:
        both = flt.get("And") or {}
        unknown += ["Filter.And.%s" % k for k in sorted(set(both) - set(("Prefix", "Tags")))]
        if tags:
            problems.append("its Filter has a Tag next to And; RGW 16.2 reads only what is inside And,"
                            " so which tags apply is ambiguous")
        if both.get("Prefix"):
            prefixes.append(both["Prefix"])
        tags += [_tag(t) for t in both.get("Tags") or []]
    if unknown:
        problems.append("its filter has %s, which this module cannot write back unchanged: RGW 16.2 accepts and"
                        " silently drops %s on put (newer RGW and AWS keep it), so the rule could widen"
                        % (", ".join(unknown), "these conditions" if len(unknown) > 1 else "this condition"))
    if len(set(prefixes)) > 1:
        problems.append("its Filter has two prefixes (%s), one outside and one inside And: its scope is ambiguous"
                        % ", ".join(repr(p) for p in prefixes))
    tags.sort(key=lambda t: (str(t["Key"]), str(t["Value"])))
    return (prefixes[-1] if prefixes else ""), tags, problems


def _sort_key(value):
    return json.dumps(value, sort_keys=True)


def canonical(rule: dict[str, Any]) -> dict[str, Any]:
    """One AWS-shape rule as returned by RGW/AWS/moto -> canonical AWS shape.

    The filter is re-rendered from its scope (``render_filter``); datetimes become ISO strings;
    ``None`` and empty values are dropped; transitions are sorted (RGW keeps them by storage class).
    A rule whose scope is ambiguous (``round_trip_problems``) keeps its filter as returned.
    """
    rule = _jsonable(copy.deepcopy(rule))
    out = {"ID": rule.pop("ID", None), "Status": rule.pop("Status", "Enabled")}
    prefix, tags, problems = _scope(rule)
    legacy = rule.pop("Prefix", None)
    flt = rule.pop("Filter", None)
    if problems and flt is not None:
        out["Filter"] = flt
        if legacy:
            out["Prefix"] = legacy
    else:
        out["Filter"] = render_filter(prefix, tags)
    for key in sorted(rule):
        value = rule[key]
        if value in ({}, [], None):
            continue
        if key in ("Transitions", "NoncurrentVersionTransitions") and isinstance(value, list):
            value = sorted(value, key=_sort_key)
        out[key] = value
    return out


def round_trip_problems(rule: dict[str, Any]) -> list[str]:
    """Why ``rule`` (AWS shape, as returned) cannot be written back with the same meaning, or ``[]``.

    Besides an ambiguous scope (``_scope``): parts RGW 16.2 does not keep, and what RGW 16.2
    refuses on put (observed: Expiration with not exactly one of Days/Date/ExpiredObjectDeleteMarker,
    ExpiredObjectDeleteMarker false, a Date not at midnight UTC, AbortIncompleteMultipartUpload or
    ExpiredObjectDeleteMarker with a tag filter, no action, a bad Status).
    """
    rule = _jsonable(copy.deepcopy(rule))
    _prefix, tags, problems = _scope(rule)
    unknown = sorted(set(rule) - set(_RULE_PARTS))
    if unknown:
        problems.append("it has %s, which this module does not know how to keep" % ", ".join(unknown))
    if rule.get("Status", "Enabled") not in STATUSES:
        problems.append("its Status %r is not Enabled or Disabled (RGW: MalformedXML)" % rule.get("Status"))
    if not any(rule.get(key) for key in _ACTIONS):
        problems.append("it has no action (RGW: MalformedXML)")
    for key in _ACTIONS:
        value = rule.get(key)
        if value in (None, {}, []):
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not isinstance(item, dict):
                problems.append("its %s is not a mapping" % key)
                continue
            extra = sorted(set(item) - set(_ACTION_PARTS[key]))
            dropped = [k for k in extra if k in _DROPPED_BY_RGW16]
            if dropped:
                problems.append("its %s has %s, which RGW 16.2 accepts and silently drops on put"
                                % (key, ", ".join(dropped)))
            if set(extra) - set(dropped):
                problems.append("its %s has %s, which this module does not know how to keep"
                                % (key, ", ".join(sorted(set(extra) - set(dropped)))))
            date = item.get("Date")
            if date is not None and not (isinstance(date, str) and _MIDNIGHT_RE.match(date)):
                problems.append("its %s Date %r is not at midnight UTC (RGW: MalformedXML)" % (key, date))
    expiration = rule.get("Expiration")
    if isinstance(expiration, dict) and expiration:
        given = [k for k in _ACTION_PARTS["Expiration"] if expiration.get(k) is not None]
        if len(given) != 1:
            problems.append("its Expiration has %s; RGW 16.2 takes exactly one of Days, Date,"
                            " ExpiredObjectDeleteMarker (MalformedXML)" % (", ".join(given) or "none of them"))
        if expiration.get("ExpiredObjectDeleteMarker") not in (None, True):
            problems.append("its Expiration has ExpiredObjectDeleteMarker %r; RGW 16.2 takes only true"
                            " (InvalidArgument)" % expiration["ExpiredObjectDeleteMarker"])
    if tags:
        if rule.get("AbortIncompleteMultipartUpload"):
            problems.append("it has AbortIncompleteMultipartUpload with a tag filter, which RGW 16.2 refuses (InvalidRequest)")
        if isinstance(expiration, dict) and expiration.get("ExpiredObjectDeleteMarker"):
            problems.append("it has ExpiredObjectDeleteMarker with a tag filter, which RGW 16.2 refuses (InvalidRequest)")
    return problems


def check_round_trip(rules: list[dict[str, Any]]) -> None:
    """Raise ``TracingError`` naming the first rule of ``rules`` (AWS shape) that cannot be written back."""
    for rule in rules:
        problems = round_trip_problems(rule)
        if problems:
            rid = rule.get("ID")
            raise TracingError(
                _KEEP_ACTION,
                "the bucket's rule %r is not managed by this task and cannot be written back with the same meaning:"
                " %s. This task refused before sending any lifecycle write." % (rid, "; ".join(problems)),
                "have the owner of rule %r rewrite it in a form Ceph RGW 16.2 keeps (a Filter with Prefix, Tag, or And"
                " of Prefix and Tags; Expiration with exactly one of Days, a midnight-UTC Date or"
                " ExpiredObjectDeleteMarker: true; no size or NewerNoncurrentVersions conditions), or keep"
                " this collection's rule in a bucket of its own." % rid,
            )


def canonical_rules(rules: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A list of AWS-shape rules -> canonical rules sorted by ID."""
    return sorted((canonical(r) for r in rules or []), key=lambda r: r.get("ID") or "")
