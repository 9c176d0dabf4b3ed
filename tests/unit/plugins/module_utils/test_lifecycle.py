# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils import lifecycle as lc
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.filter.lifecycle import lifecycle_json
from ansible.errors import AnsibleFilterError

OURS = {"id": "jaeger-traces-retention", "expiration_days": 7}
LOKI_RGW = {"ID": "loki-retention", "Prefix": "", "Status": "Enabled", "Expiration": {"Days": 30}}


# ------------------------------------------------------------------ validation (what RGW 16.2 refuses)
@pytest.mark.parametrize(
    "rule, needle",
    [
        ({"expiration_days": 7}, "has no id"),
        ({"id": "", "expiration_days": 7}, "has no id"),
        ({"id": "x" * 256, "expiration_days": 7}, "255"),
        ({"id": "a", "expiration_days": 0}, "fewer than 1 day"),
        ({"id": "a", "expiration_days": -3}, "fewer than 1 day"),
        ({"id": "a", "abort_incomplete_multipart_upload_days": 0}, "fewer than 1 day"),
        ({"id": "a", "noncurrent_version_expiration_days": 0}, "fewer than 1 day"),
        ({"id": "a", "expiration_days": "7"}, "whole number"),
        ({"id": "a", "expiration_days": True}, "whole number"),
        ({"id": "a", "expiration_days": 7, "status": "enabled"}, "Enabled or Disabled"),
        ({"id": "a"}, "no action"),
        ({"id": "a", "expiration_days": 7, "tags": {"a": "b"}}, "unknown keys"),
    ],
)
def test_validate_refuses_what_rgw_refuses(rule, needle):
    with pytest.raises(TracingError) as exc:
        lc.validate_rules([rule])
    assert needle in exc.value.message
    assert exc.value.message.startswith("Failed to validate the lifecycle rules:")
    assert exc.value.fix


def test_validate_refuses_duplicate_ids():
    with pytest.raises(TracingError, match="used twice"):
        lc.validate_rules([dict(OURS), dict(OURS)])


def test_validate_accepts_255_char_id_and_fills_defaults():
    out = lc.validate_rules([{"id": "x" * 255, "abort_incomplete_multipart_upload_days": 1}])
    assert out == [{
        "id": "x" * 255, "status": "Enabled", "prefix": "",
        "expiration_days": None, "abort_incomplete_multipart_upload_days": 1, "noncurrent_version_expiration_days": None,
    }]


def test_validate_absent_needs_only_ids():
    assert lc.validate_rules([{"id": "a"}], state="absent")[0]["id"] == "a"
    with pytest.raises(TracingError):
        lc.validate_rules([{"prefix": "x"}], state="absent")


@pytest.mark.parametrize("name", ["jaeger-traces", "abc", "a.b-c1", "a" * 63])
def test_bucket_names_ok(name):
    assert lc.bucket_name_problem(name) is None


@pytest.mark.parametrize("name", ["", "ab", "a" * 64, "Jaeger", "jaeger_traces", "-abc", "abc-", "a..b", "a.-b",
                                  "192.168.1.10", "abc/def"])
def test_bucket_names_refused(name):
    assert lc.bucket_name_problem(name)
    with pytest.raises(TracingError, match="validate the bucket name"):
        lc.validate_bucket(name)


# ------------------------------------------------------------------ normalisation (RGW round trip)
@pytest.mark.parametrize(
    "returned",
    [
        {"ID": "r", "Status": "Enabled", "Prefix": "", "Expiration": {"Days": 7}},  # RGW: top-level Prefix
        {"ID": "r", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 7}},
        {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 7}},
        {"ID": "r", "Status": "Enabled", "Filter": {"And": {"Prefix": ""}}, "Expiration": {"Days": 7}},
        {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": None}, "Expiration": {"Days": 7}, "Transitions": []},
    ],
)
def test_canonical_removes_rgw_round_trip_differences(returned):
    sent = lc.rule_to_aws(lc.validate_rules([{"id": "r", "expiration_days": 7}])[0])
    assert lc.canonical(returned) == lc.canonical(sent)
    assert not lc.compare([returned], [sent])


def test_canonical_sorts_by_id_and_keeps_tags():
    tagged = {"ID": "a", "Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}}, "Expiration": {"Days": 1}}
    out = lc.canonical_rules([LOKI_RGW, tagged])
    assert [r["ID"] for r in out] == ["a", "loki-retention"]
    assert out[0]["Filter"] == {"Tag": {"Key": "k", "Value": "v"}}
    shown = lc.from_aws(tagged)
    assert shown["extra"] == {"Filter": {"Tag": {"Key": "k", "Value": "v"}}}


def test_canonical_dates_become_strings():
    rule = {"ID": "d", "Status": "Enabled", "Prefix": "", "Expiration": {"Date": datetime.datetime(2030, 1, 1)}}
    out = lc.canonical(rule)
    assert out["Expiration"] == {"Date": "2030-01-01T00:00:00Z"}
    json.dumps(lc.from_aws(rule))


def test_from_aws_module_shape():
    rule = {"ID": "x", "Status": "Disabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 3},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 2},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
    assert lc.from_aws(rule) == {
        "id": "x", "status": "Disabled", "prefix": "logs/", "expiration_days": 3,
        "noncurrent_version_expiration_days": 2, "abort_incomplete_multipart_upload_days": 1,
    }


# ------------------------------------------------------------------ merge / remove / compare
def test_merge_keeps_foreign_ids():
    after = lc.merge([LOKI_RGW], lc.validate_rules([OURS]))
    assert [r["ID"] for r in after] == ["jaeger-traces-retention", "loki-retention"]
    assert after[1]["Expiration"] == {"Days": 30}


def test_merge_purge_drops_foreign_ids():
    after = lc.merge([LOKI_RGW], lc.validate_rules([OURS]), purge=True)
    assert [r["ID"] for r in after] == ["jaeger-traces-retention"]


def test_merge_updates_by_id():
    current = [{"ID": "jaeger-traces-retention", "Prefix": "", "Status": "Enabled", "Expiration": {"Days": 14}}]
    before, after, changed = lc.plan(current, [OURS])
    assert changed
    assert after[0]["Expiration"] == {"Days": 7}


def test_plan_unchanged_after_rgw_round_trip():
    # What RGW returns after we put OURS + Loki's rule: sorted, top-level Prefix.
    current = [
        {"Expiration": {"Days": 7}, "ID": "jaeger-traces-retention", "Prefix": "", "Status": "Enabled"},
        LOKI_RGW,
    ]
    before, after, changed = lc.plan(current, [OURS])
    assert not changed
    assert before == after


def test_remove_only_our_ids():
    current = [LOKI_RGW, {"ID": "jaeger-traces-retention", "Prefix": "", "Status": "Enabled", "Expiration": {"Days": 7}}]
    before, after, changed = lc.plan(current, [{"id": "jaeger-traces-retention"}], state="absent")
    assert changed and [r["ID"] for r in after] == ["loki-retention"]
    before, after, changed = lc.plan(after, [{"id": "jaeger-traces-retention"}], state="absent")
    assert not changed


def test_query_never_changes():
    before, after, changed = lc.plan([LOKI_RGW], [], state="query")
    assert not changed and before == after


# ------------------------------------------------------------------ to_aws / filter
def test_to_aws_sorted_and_shaped():
    doc = lc.to_aws(lc.validate_rules([
        {"id": "b", "expiration_days": 7, "prefix": "traces/"},
        {"id": "a", "abort_incomplete_multipart_upload_days": 1, "noncurrent_version_expiration_days": 2, "status": "Disabled"},
    ]))
    assert doc == {"Rules": [
        {"ID": "a", "Status": "Disabled", "Filter": {"Prefix": ""},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 2},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
        {"ID": "b", "Status": "Enabled", "Filter": {"Prefix": "traces/"}, "Expiration": {"Days": 7}},
    ]}


def test_filter_renders_json_like_module():
    rules = [{"id": "z", "expiration_days": 1}, {"id": "jaeger-traces-retention", "expiration_days": 7}]
    out = lifecycle_json(rules)
    assert json.loads(out) == lc.to_aws(lc.validate_rules(rules))
    assert [r["ID"] for r in json.loads(out)["Rules"]] == ["jaeger-traces-retention", "z"]
    assert lifecycle_json(rules) == out  # stable


def test_filter_refuses_invalid():
    with pytest.raises(AnsibleFilterError, match="fewer than 1 day"):
        lifecycle_json([{"id": "a", "expiration_days": 0}])
