# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fake clients for the run() tests of ceph_bucket_lifecycle and jaeger_storage_secret."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError


def b64(text):
    return base64.b64encode(text.encode()).decode()


class FakeK8s(object):
    """Objects keyed by (plural, namespace, name); records every call."""

    def __init__(self, objects=None, on_get=None):
        self.objects = {}
        self.calls = []
        self.writes = []
        self.on_get = on_get
        for plural, obj in objects or []:
            self.put(plural, obj)

    def __call__(self, params, check_mode=False, dry_run_writes=True):
        self.check_mode = check_mode
        self.dry_run_writes = dry_run_writes
        return self

    def put(self, plural, obj):
        meta = obj["metadata"]
        self.objects[(plural, meta.get("namespace"), meta["name"])] = copy.deepcopy(obj)

    def get(self, api_version, plural, name, namespace=None, action=None):
        self.calls.append(("get", plural, namespace, name))
        if self.on_get:
            self.on_get(self, plural, namespace, name)
        obj = self.objects.get((plural, namespace, name))
        return copy.deepcopy(obj)

    def list(self, api_version, plural, namespace=None, label_selector=None, field_selector=None, action=None):
        self.calls.append(("list", plural, namespace, field_selector))
        return [copy.deepcopy(o) for (p, ns, n), o in sorted(self.objects.items()) if p == plural and ns == namespace]

    def create(self, obj, plural, action=None):
        self.writes.append(("create", plural, copy.deepcopy(obj)))
        key = (plural, obj["metadata"]["namespace"], obj["metadata"]["name"])
        if key in self.objects:
            raise TracingError(action, "409 AlreadyExists", "re-run")
        self.put(plural, obj)
        return obj

    def replace(self, obj, plural, action=None):
        self.writes.append(("replace", plural, copy.deepcopy(obj)))
        self.put(plural, obj)
        return obj

    def merge_patch(self, *args, **kwargs):  # pragma: no cover - not used by these modules
        self.writes.append(("patch",) + args)

    def delete(self, api_version, plural, name, namespace=None, action=None):
        self.writes.append(("delete", plural, name))
        self.objects.pop((plural, namespace, name), None)


def _rgw16_decode(rule):
    """What Ceph RGW 16.2 stores of one put rule.

    Observed on radosgw 16.2.15 (Debian bookworm) and in src/rgw/rgw_lc_s3.cc
    (``LCRule_S3::decode_xml``, ``LCFilter_S3::decode_xml``): when a ``Filter`` has an ``And``,
    Prefix and Tags are read from inside ``And`` only (a Prefix or Tag next to it is ignored);
    without ``Filter`` the old top-level ``Prefix`` is used; ``ObjectSizeGreaterThan``,
    ``ObjectSizeLessThan`` and ``NewerNoncurrentVersions`` are accepted and dropped; tags are
    kept in a multimap, i.e. sorted by key, duplicates kept.
    """
    rule = copy.deepcopy(rule)
    stored = {"ID": rule["ID"], "Status": rule["Status"], "legacy_prefix": "", "prefix": "", "tags": []}
    flt = rule.pop("Filter", None)
    legacy = rule.pop("Prefix", None)
    if flt is None:
        stored["legacy_prefix"] = legacy or ""
    else:
        where = flt.get("And") if "And" in flt else flt
        stored["prefix"] = where.get("Prefix") or ""
        tags = list(where.get("Tags") or []) + ([where["Tag"]] if where.get("Tag") else [])
        stored["tags"] = sorted((dict(t) for t in tags), key=lambda t: t["Key"])
    nve = rule.get("NoncurrentVersionExpiration")
    if nve:
        nve.pop("NewerNoncurrentVersions", None)
    for key in ("ID", "Status"):
        rule.pop(key, None)
    stored["actions"] = rule
    return stored


def _rgw16_dump(stored):
    """How Ceph RGW 16.2 returns a stored rule (observed; ``LCRule_S3::dump_xml``).

    An empty filter comes back as a top-level ``Prefix``; otherwise the Prefix is outside the
    ``And`` and ``And`` wraps the tags only when there are two or more:
    ``{Prefix: p, And: {Tags: [...]}}`` - a form RGW itself reads back as tags-only.
    """
    out = {"ID": stored["ID"], "Status": stored["Status"]}
    if not stored["prefix"] and not stored["tags"]:
        out["Prefix"] = stored["legacy_prefix"]
    else:
        flt = {}
        if stored["prefix"]:
            flt["Prefix"] = stored["prefix"]
        if len(stored["tags"]) == 1:
            flt["Tag"] = dict(stored["tags"][0])
        elif stored["tags"]:
            flt["And"] = {"Tags": [dict(t) for t in stored["tags"]]}
        out["Filter"] = flt
    out.update(copy.deepcopy(stored["actions"]))
    return out


class FakeS3(object):
    """Buckets -> lifecycle rules, stored and returned the way Ceph RGW 16.2 does (sorted by ID).

    ``buckets`` maps a bucket to the rules as they were put (AWS shape).
    """

    def __init__(self, buckets):
        self.buckets = dict((name, [_rgw16_decode(r) for r in rules]) for name, rules in buckets.items())
        self.writes = []
        self.reads = 0

    def __call__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        return self

    def _bucket(self, bucket):
        if bucket not in self.buckets:
            raise TracingError("read the lifecycle of bucket %s" % bucket, "NoSuchBucket", "create it", error_code="NoSuchBucket")

    def get_lifecycle(self, bucket):
        self.reads += 1
        self._bucket(bucket)
        return [_rgw16_dump(s) for s in sorted(self.buckets[bucket], key=lambda s: s["ID"])]

    def put_lifecycle(self, bucket, document):
        self.writes.append(("put", bucket, copy.deepcopy(document)))
        self._bucket(bucket)
        self.buckets[bucket] = [_rgw16_decode(r) for r in document["Rules"]]

    def delete_lifecycle(self, bucket):
        self.writes.append(("delete", bucket))
        self._bucket(bucket)
        self.buckets[bucket] = []

    def stored(self, bucket, rule_id):
        """What RGW keeps of rule ``rule_id`` (scope and actions), for assertions."""
        for s in self.buckets[bucket]:
            if s["ID"] == rule_id:
                return copy.deepcopy(s)
        return None
