# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Foreign lifecycle rules survive every write of ``ceph_bucket_lifecycle`` with the same meaning.

``FakeS3`` stores and returns rules the way Ceph RGW 16.2 does (see ``fakes._rgw16_decode`` /
``_rgw16_dump``): the assertions compare what RGW *keeps* (scope and actions) before and after,
not the JSON the module sent.  The real-RGW counterpart is tests/integration/test_lifecycle_property.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import json

import pytest

from ansible_collections.talos_homelab.tracing.plugins.filter.lifecycle import lifecycle_json
from ansible_collections.talos_homelab.tracing.plugins.module_utils import lifecycle as lc
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

from .fakes import FakeS3

BUCKET = "jaeger-traces"
OURS = "jaeger-traces-retention"
T1 = {"Key": "k1", "Value": "v1"}
T2 = [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]
E60 = {"Days": 60}

# Every shape radosgw 16.2.15 accepted when put (probed by hand; the property test generates them).
RGW16_ACCEPTED = {
    "legacy-prefix": {"Prefix": "archive/", "Expiration": E60},
    "legacy-empty-prefix": {"Prefix": "", "Expiration": E60},
    "filter-prefix": {"Filter": {"Prefix": "archive/"}, "Expiration": E60},
    "filter-empty": {"Filter": {}, "Expiration": E60},
    "filter-tag": {"Filter": {"Tag": T1}, "Expiration": E60},
    "and-prefix-2-tags": {"Filter": {"And": {"Prefix": "archive/", "Tags": T2}}, "Expiration": E60},  # issue 9, item 1
    "and-prefix-1-tag": {"Filter": {"And": {"Prefix": "archive/", "Tags": [T1]}}, "Expiration": E60},
    "and-2-tags": {"Filter": {"And": {"Tags": T2}}, "Expiration": E60},
    "and-1-tag": {"Filter": {"And": {"Tags": [T1]}}, "Expiration": E60},
    "and-prefix-only": {"Filter": {"And": {"Prefix": "archive/"}}, "Expiration": E60},
    "and-empty-prefix-tags": {"Filter": {"And": {"Prefix": "", "Tags": T2}}, "Expiration": E60},
    "and-3-tags-unsorted": {"Filter": {"And": {"Prefix": "p/", "Tags": [{"Key": "z", "Value": "1"}, {"Key": "a", "Value": ""}, T1]}},
                            "Expiration": E60},
    "and-duplicate-tags": {"Filter": {"And": {"Prefix": "p/", "Tags": [T1, T1]}}, "Expiration": E60},
    "and-tags-nve": {"Filter": {"And": {"Prefix": "n/", "Tags": T2}}, "NoncurrentVersionExpiration": {"NoncurrentDays": 3}},
    "and-tags-date": {"Filter": {"And": {"Prefix": "d/", "Tags": T2}}, "Expiration": {"Date": datetime.datetime(2031, 1, 1)}},
    "and-tags-disabled": {"Status": "Disabled", "Filter": {"And": {"Prefix": "x/", "Tags": T2}}, "Expiration": E60},
    "expiration-date": {"Filter": {"Prefix": "d/"}, "Expiration": {"Date": datetime.datetime(2031, 1, 1)}},
    "expired-delete-marker": {"Filter": {"Prefix": "d/"}, "Expiration": {"ExpiredObjectDeleteMarker": True}},
    "noncurrent": {"Filter": {"Prefix": "n/"}, "NoncurrentVersionExpiration": {"NoncurrentDays": 3}},
    "abort-mpu": {"Filter": {"Prefix": "m/"}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
    "disabled": {"Status": "Disabled", "Filter": {"Prefix": "x/"}, "Expiration": E60},
    "transitions": {"Filter": {"Prefix": "t/"}, "Transitions": [{"Days": 5, "StorageClass": "STANDARD"}],
                    "NoncurrentVersionTransitions": [{"NoncurrentDays": 5, "StorageClass": "STANDARD"}]},
    "all-actions": {"Filter": {"Prefix": "z/"}, "Expiration": E60, "NoncurrentVersionExpiration": {"NoncurrentDays": 3},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
    "odd-characters": {"Filter": {"Prefix": "a b&<>\"'/\u00e9/"}, "Expiration": E60},
    # accepted and dropped by RGW 16.2: what is kept afterwards is the prefix-only rule
    "size-filter-dropped": {"Filter": {"And": {"Prefix": "a/", "ObjectSizeGreaterThan": 10, "ObjectSizeLessThan": 1000}},
                            "Expiration": E60},
    "newer-noncurrent-dropped": {"Filter": {"Prefix": "n/"},
                                 "NoncurrentVersionExpiration": {"NoncurrentDays": 3, "NewerNoncurrentVersions": 2}},
}


def _iso(value):
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dict):
        return dict((k, _iso(v)) for k, v in value.items())
    if isinstance(value, list):
        return sorted((_iso(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def meaning(stored):
    """What a stored rule does: status, scope (effective prefix, tag multiset) and actions."""
    return dict(
        ID=stored["ID"], Status=stored["Status"],
        prefix=stored["prefix"] or stored["legacy_prefix"],
        tags=sorted((t["Key"], t["Value"]) for t in stored["tags"]),
        actions=_iso(stored["actions"]),
    )


def params(**kw):
    p = dict(bucket=BUCKET, rules=[{"id": OURS, "expiration_days": 7}], purge_rules=False, state="present",
             endpoint_url="http://127.0.0.1:1", access_key="a", secret_key="b", region="us-east-1",
             s3_validate_certs=True, ca_bundle=None, claim_name=None, claim_namespace="default")
    p.update(kw)
    return p


def foreign(name, body):
    return dict({"ID": name, "Status": "Enabled"}, **copy.deepcopy(body))


# ------------------------------------------------------------------ the bug of issue 9, item 1
def test_and_filter_prefix_survives_our_rewrite():
    """RGW 16.2 returns And(prefix + 2 tags) as {Prefix, And: {Tags}}; the rewrite must keep the prefix."""
    rule = foreign("archive-tagged", RGW16_ACCEPTED["and-prefix-2-tags"])
    s3 = FakeS3({BUCKET: [rule]})
    assert s3.get_lifecycle(BUCKET)[0]["Filter"] == {"Prefix": "archive/", "And": {"Tags": T2}}  # RGW's spelling
    lc.run(params(), s3_factory=s3)
    lc.run(params(rules=[{"id": OURS, "expiration_days": 3}]), s3_factory=s3)
    kept = s3.stored(BUCKET, "archive-tagged")
    assert kept["prefix"] == "archive/", "the foreign rule lost its prefix: it now expires tagged objects bucket-wide"
    assert meaning(kept)["tags"] == [("k1", "v1"), ("k2", "v2")]


def test_canonical_folds_every_and_spelling():
    aws = {"ID": "r", "Status": "Enabled", "Filter": {"And": {"Prefix": "archive/", "Tags": T2}}, "Expiration": E60}
    rgw = {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "archive/", "And": {"Tags": list(reversed(T2))}},
           "Expiration": E60}
    assert lc.canonical(rgw) == lc.canonical(aws)
    assert lc.canonical(rgw)["Filter"] == {"And": {"Prefix": "archive/", "Tags": T2}}
    one_tag = {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "archive/", "Tag": T1}, "Expiration": E60}
    assert lc.canonical(one_tag)["Filter"] == {"And": {"Prefix": "archive/", "Tags": [T1]}}


# ------------------------------------------------------------------ the class: every accepted shape
@pytest.mark.parametrize("name", sorted(RGW16_ACCEPTED))
def test_foreign_rule_kept_through_add_change_remove(name):
    rule = foreign("foreign-" + name, RGW16_ACCEPTED[name])
    other = foreign("loki-retention", {"Filter": {"Prefix": ""}, "Expiration": {"Days": 30}})
    s3 = FakeS3({BUCKET: [rule, other], "loki-chunks": [other]})
    before = meaning(s3.stored(BUCKET, rule["ID"]))
    loki_before = copy.deepcopy(s3.buckets["loki-chunks"])

    for step in (params(), params(rules=[{"id": OURS, "expiration_days": 3, "prefix": "traces/"}]),
                 params(state="absent", rules=[{"id": OURS}])):
        res = lc.run(step, s3_factory=s3)
        assert res["changed"], step
        assert meaning(s3.stored(BUCKET, rule["ID"])) == before, step
        # and the module says no change on a re-run: RGW's spelling is understood
        assert not lc.run(step, s3_factory=s3)["changed"]
    assert s3.buckets["loki-chunks"] == loki_before and all(w[1] == BUCKET for w in s3.writes)
    assert s3.stored(BUCKET, OURS) is None


def test_shapes_written_are_the_ones_rgw_reads_back_identically():
    """What the module puts, RGW returns with the same meaning, and the module reads as unchanged."""
    rules = [foreign(n, b) for n, b in RGW16_ACCEPTED.items()]
    s3 = FakeS3({BUCKET: rules})
    current = s3.get_lifecycle(BUCKET)
    put = [lc.canonical(r) for r in current]
    s3.put_lifecycle(BUCKET, {"Rules": put})
    assert lc.canonical_rules(s3.get_lifecycle(BUCKET)) == lc.canonical_rules(put)


# ------------------------------------------------------------------ refused: rules that cannot be written back
class ReturnsS3(FakeS3):
    """An S3 endpoint returning these rules verbatim (another server, or a newer RGW)."""

    def __init__(self, returned):
        super(ReturnsS3, self).__init__({BUCKET: []})
        self.returned = returned

    def get_lifecycle(self, bucket):
        self.reads += 1
        return copy.deepcopy(self.returned)


NOT_ROUND_TRIPPABLE = [
    ({"Filter": {"And": {"Prefix": "a/", "Tags": T2, "ObjectSizeGreaterThan": 10}}, "Expiration": E60}, "ObjectSizeGreaterThan"),
    ({"Filter": {"ObjectSizeLessThan": 1000}, "Expiration": E60}, "ObjectSizeLessThan"),
    ({"Filter": {"And": {"Prefix": "a/", "ArchiveZone": ""}}, "Expiration": E60}, "ArchiveZone"),
    ({"Filter": {"Prefix": "n/"}, "NoncurrentVersionExpiration": {"NoncurrentDays": 3, "NewerNoncurrentVersions": 2}},
     "NewerNoncurrentVersions"),
    ({"Filter": {"Tag": T1, "And": {"Tags": T2}}, "Expiration": E60}, "Tag next to And"),
    ({"Filter": {"Prefix": "a/", "And": {"Prefix": "b/", "Tags": T2}}, "Expiration": E60}, "two prefixes"),
    ({"Prefix": "a/", "Filter": {"Tag": T1}, "Expiration": E60}, "both a top-level Prefix"),
    ({"Filter": {"Prefix": "a/"}, "Expiration": E60, "Replication": {"x": 1}}, "Replication"),
    ({"Filter": {"Prefix": "a/"}, "Expiration": {"Days": 5, "ExpiredObjectDeleteMarker": True}}, "exactly one of"),
    ({"Filter": {"Prefix": "a/"}, "Expiration": {"ExpiredObjectDeleteMarker": False}}, "ExpiredObjectDeleteMarker"),
    ({"Filter": {"Prefix": "a/"}, "Expiration": {"Date": "2031-01-01T12:00:00Z"}}, "midnight"),
    ({"Filter": {"Tag": T1}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}, "tag filter"),
    ({"Filter": {"Tag": T1}, "Expiration": {"ExpiredObjectDeleteMarker": True}}, "tag filter"),
    ({"Filter": {"Prefix": "a/"}, "Transitions": [{"Days": 5, "StorageClass": "STANDARD", "Foo": 1}]}, "Foo"),
    ({"Filter": {"Prefix": "a/"}}, "no action"),
    ({"Status": "enabled", "Filter": {"Prefix": "a/"}, "Expiration": E60}, "Status"),
]


@pytest.mark.parametrize("body, needle", NOT_ROUND_TRIPPABLE, ids=[n for _b, n in NOT_ROUND_TRIPPABLE])
def test_rule_that_cannot_round_trip_refused_before_any_write(body, needle):
    bad = foreign("velero-odd", body)
    for p, check_mode in ((params(), False), (params(), True),
                          (params(rules=[{"id": OURS, "expiration_days": 3}]), False),
                          (params(state="absent", rules=[{"id": OURS}]), False)):
        returned = [bad, {"ID": OURS, "Status": "Enabled", "Prefix": "", "Expiration": {"Days": 7}}]
        if p["state"] == "present" and p["rules"][0].get("expiration_days") == 7:
            returned = [bad]  # adding our rule
        s3 = ReturnsS3(returned)
        with pytest.raises(TracingError) as exc:
            lc.run(p, check_mode=check_mode, s3_factory=s3)
        msg = exc.value.message
        assert "'velero-odd'" in msg and needle in msg, msg
        assert exc.value.fix and "velero-odd" in exc.value.fix
        assert s3.writes == []


@pytest.mark.parametrize("body, needle", NOT_ROUND_TRIPPABLE[:3], ids=[n for _b, n in NOT_ROUND_TRIPPABLE[:3]])
def test_rule_that_cannot_round_trip_is_fine_when_nothing_is_written(body, needle):
    bad = foreign("velero-odd", body)
    ours = {"ID": OURS, "Status": "Enabled", "Prefix": "", "Expiration": {"Days": 7}}
    s3 = ReturnsS3([bad, ours])
    assert not lc.run(params(), s3_factory=s3)["changed"]  # already as wanted: nothing to write back
    res = lc.run(params(state="query", rules=[]), s3_factory=s3)
    assert [r["id"] for r in res["rules"]] == [OURS, "velero-odd"]
    # purge_rules asks to drop foreign rules: nothing to write back either
    res = lc.run(params(purge_rules=True, rules=[{"id": OURS, "expiration_days": 3}]), s3_factory=s3)
    assert res["changed"] and [r["ID"] for r in s3.writes[-1][2]["Rules"]] == [OURS]
    # our own rule in a shape we cannot keep is simply replaced
    s3 = ReturnsS3([dict(bad, ID=OURS)])
    res = lc.run(params(), s3_factory=s3)
    assert res["changed"] and s3.writes[-1][2]["Rules"] == [
        {"ID": OURS, "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 7}}]


# ------------------------------------------------------------------ one rendering for the filter and the module
@pytest.mark.parametrize("rules", [
    [{"id": OURS, "expiration_days": 7}],
    [{"id": "b", "prefix": "traces/", "expiration_days": 2, "abort_incomplete_multipart_upload_days": 1,
      "noncurrent_version_expiration_days": 3}, {"id": "a", "expiration_days": 5, "status": "Disabled"}],
])
def test_lifecycle_json_is_the_document_the_module_puts(rules):
    s3 = FakeS3({BUCKET: []})
    lc.run(params(rules=rules), s3_factory=s3)
    assert json.loads(lifecycle_json(rules)) == s3.writes[-1][2]
