# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure functions over S3 bucket lifecycle rules (no I/O).

Two shapes are used:

* the *module* shape, the user's input: ``id``, ``status``, ``prefix``,
  ``expiration_days``, ``abort_incomplete_multipart_upload_days``,
  ``noncurrent_version_expiration_days``;
* the *AWS* shape, what S3 takes and returns (``ID``, ``Status``, ``Filter``, ...).

``validate_rules`` refuses exactly what Ceph RGW 16.2 refuses (so moto and RGW give
the same answer).  ``canonical`` is the one normal form of a rule: two rules mean the same
(same scope, same actions) exactly when their canonical forms are equal, and the canonical
form is what RGW 16.2 accepts and keeps.  It folds every spelling RGW or AWS returns: a
top-level ``Prefix``, ``Filter: {}``, ``Filter: {And: {Prefix, Tags}}`` (AWS) and RGW 16.2's
own ``Filter: {Prefix, And: {Tags}}``, which RGW itself reads back as tags-only when it is
written back verbatim (docs/storage.md, "Lifecycle rules on Ceph RGW 16.2").
``round_trip_problems`` names what of a foreign rule cannot be written back unchanged;
``plan`` refuses such a rule before anything is written.  ``merge`` / ``remove`` work by rule
ID and leave foreign IDs alone, and ``document`` is the one rendering used both for the S3
put and for Rook's ``additionalConfig.bucketLifecycle`` (filter ``lifecycle_json``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import json
import re

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


# ---------------------------------------------------------------------- validation
def bucket_name_problem(name):
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


def validate_bucket(name):
    problem = bucket_name_problem(name)
    if problem:
        raise TracingError(
            "validate the bucket name", problem,
            "use the bucket's real name (the BUCKET_NAME key of the ObjectBucketClaim's ConfigMap).",
        )


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def validate_rules(rules, state="present"):
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


# ---------------------------------------------------------------------- shapes
def rule_to_aws(rule):
    """One module-shape rule (validated) -> AWS shape."""
    out = {"ID": rule["id"], "Status": rule.get("status") or "Enabled", "Filter": render_filter(rule.get("prefix") or "")}
    if rule.get("expiration_days") is not None:
        out["Expiration"] = {"Days": rule["expiration_days"]}
    if rule.get("noncurrent_version_expiration_days") is not None:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["noncurrent_version_expiration_days"]}
    if rule.get("abort_incomplete_multipart_upload_days") is not None:
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": rule["abort_incomplete_multipart_upload_days"]}
    return out


def document(rules):
    """Canonical AWS rules -> the lifecycle document ``{"Rules": [...]}`` sorted by ID (what is put)."""
    return {"Rules": sorted(rules, key=lambda r: r.get("ID") or "")}


def to_aws(rules):
    """Module-shape rules (validated) -> the AWS lifecycle document, exactly as the module puts it."""
    return document([canonical(rule_to_aws(r)) for r in rules])


def to_json(rules):
    """The AWS document as a stable JSON string (Rook's ``additionalConfig.bucketLifecycle``)."""
    return json.dumps(to_aws(rules), sort_keys=True, separators=(",", ":"))


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


def render_filter(prefix, tags=()):
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


def canonical(rule):
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


def round_trip_problems(rule):
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


def check_round_trip(rules):
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


def canonical_rules(rules):
    """A list of AWS-shape rules -> canonical rules sorted by ID."""
    return sorted((canonical(r) for r in rules or []), key=lambda r: r.get("ID") or "")


def from_aws(rule):
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
def merge(current, desired, purge=False):
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


def remove(current, ids):
    """Remove only the rules whose ID is in ``ids``; returns canonical AWS rules sorted by ID."""
    ids = set(ids)
    return [r for r in canonical_rules(current) if r.get("ID") not in ids]


def compare(before, after):
    """True when the two rule lists differ once normalised (i.e. a write is needed)."""
    return canonical_rules(before) != canonical_rules(after)


def managed(rules, ids):
    """The rules (module shape) whose ID is in ``ids``."""
    ids = set(ids)
    return [r for r in rules if r.get("id") in ids]


def plan(current, rules, state="present", purge=False):
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


# ---------------------------------------------------------------------- module entry point
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
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.s3 import s3_params_from_claim

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


def run(params, check_mode=False, diff=False, s3_factory=None, k8s_factory=None):
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
