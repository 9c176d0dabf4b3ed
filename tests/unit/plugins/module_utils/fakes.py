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


class FakeS3(object):
    """Buckets -> lifecycle rules, answering like RGW (sorted by ID, top-level Prefix)."""

    def __init__(self, buckets):
        self.buckets = dict(buckets)
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
        out = []
        for rule in sorted(self.buckets[bucket], key=lambda r: r["ID"]):
            rule = copy.deepcopy(rule)
            flt = rule.pop("Filter", None)
            if flt is not None and set(flt) <= {"Prefix"}:
                rule["Prefix"] = flt.get("Prefix", "")
            elif flt is not None:
                rule["Filter"] = flt
            out.append(rule)
        return out

    def put_lifecycle(self, bucket, document):
        self.writes.append(("put", bucket, copy.deepcopy(document)))
        self._bucket(bucket)
        self.buckets[bucket] = copy.deepcopy(document["Rules"])

    def delete_lifecycle(self, bucket):
        self.writes.append(("delete", bucket))
        self._bucket(bucket)
        self.buckets[bucket] = []
