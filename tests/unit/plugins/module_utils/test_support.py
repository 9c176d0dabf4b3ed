# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The support table (plugins/module_utils/support.py) and its use by the preflight (issue 11)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils import preflight as pf
from ansible_collections.talos_homelab.tracing.plugins.module_utils import support

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
TODAY = "2026-12-02"
CEPH_BLOCK = {"metadata": {"name": "ceph-block", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
              "provisioner": "rook-ceph.rbd.csi.ceph.com"}


def jaeger(**over):
    with open(os.path.join(ROOT, "roles", "jaeger_production", "defaults", "main.yml")) as f:
        values = yaml.safe_load(f)
    values.update(over)
    return values


def text(errors):
    return " | ".join(e.message for e in errors)


def test_defaults_are_the_tested_triple_and_supported_today():
    errors, warnings, rows = support.assess(jaeger(), TODAY)
    assert errors == [] and warnings == []
    assert [(r["component"], r["version"], r["supported"]) for r in rows] == [
        ("tempo", "2.10.8", True), ("tempo-query", "2.10.8", True), ("jaeger-query", "1.68.0", True)]
    assert "maintained until 2027-04-26 (checked 2026-12-02" in rows[0]["text"]
    assert "past its upstream end of life (2025-12-31) but is the tested pairing" in rows[2]["text"]


def test_tempo_2_9_is_maintained_until_the_end_of_2026():
    assert support.status("tempo", (2, 9, 0), "2026-12-31")[0]
    ok, _row, why = support.status("tempo", (2, 9, 0), "2027-01-01")
    assert not ok and "tempo 2.9 is past end of support (2026-12-31)" in why


def test_a_maintained_line_past_its_date_is_end_of_life():
    ok, _row, why = support.status("tempo", (2, 10, 8), "2027-04-27")
    assert not ok and "past end of support (2027-04-26) (checked 2027-04-27" in why
    assert support.status("tempo", (2, 10, 8), "2027-04-26")[0]


@pytest.mark.parametrize("over, needles", [
    # the 0.1.0 defaults: Tempo 2.6 line is end of life, jaeger-query 1.62 is not a tested pairing
    (dict(jaeger_production_tempo_image="docker.io/grafana/tempo:2.6.1"),
     ["jaeger_production_tempo_image", "tempo 2.6 is past end of support", "older than 2.7 (end of life 2025-10-13)",
      "jaeger_production_allow_unsupported: true"]),
    (dict(jaeger_production_tempo_query_image="grafana/tempo-query:2.8.2"),
     ["tempo-query 2.8 is past end of support (2026-03-10) (checked 2026-12-02", "recommended-versions"]),
    (dict(jaeger_production_query_image="jaegertracing/jaeger-query:1.62.0"),
     ["jaeger-query 1.62 is not in the support table"]),
    (dict(jaeger_production_tempo_image="grafana/tempo:2.11.0"), ["tempo 2.11 is not in the support table"]),
    (dict(jaeger_production_tempo_image="grafana/tempo:3.0.1"), ["tempo 3.0 is Tempo 3 or later", "needs Kafka for HA"]),
    (dict(jaeger_production_tempo_query_image="grafana/tempo-query:v3.0.0"), ["tempo-query 3.0 is Tempo 3 or later"]),
    (dict(jaeger_production_query_image="docker.io/jaegertracing/jaeger:2.10.0"),
     ["is a Jaeger v2 image", "API v2", "tempo-query serves only API v1", "jaegertracing/jaeger-query:1.68.0"]),
    (dict(jaeger_production_query_image="jaegertracing/jaeger-query:2.0.0"), ["is a Jaeger v2 image"]),
    (dict(jaeger_production_query_image="jaegertracing/jaeger:latest"), ["is a Jaeger v2 image"]),
    # a Jaeger v1 image is not taken for v2: it is refused by the table instead
    (dict(jaeger_production_query_image="jaegertracing/all-in-one:1.57.0"), ["jaeger-query 1.57 is not in the support table"]),
])
def test_refusals_name_the_problem_and_the_fix(over, needles):
    errors, warnings, _rows = support.assess(jaeger(**over), TODAY)
    assert warnings == [] and len(errors) == 1
    for needle in needles:
        assert needle in errors[0].message, errors[0].message
    assert errors[0].message.startswith("Failed to validate jaeger_production_")


def test_allow_unsupported_turns_end_of_life_into_a_warning_but_not_tempo_3_or_jaeger_v2():
    errors, warnings, _rows = support.assess(jaeger(jaeger_production_tempo_image="grafana/tempo:2.6.1",
                                                    jaeger_production_allow_unsupported=True), TODAY)
    assert errors == [] and len(warnings) == 1 and "tempo 2.6 is past end of support" in warnings[0]
    assert "jaeger_production_allow_unsupported is true" in warnings[0]
    for over in (dict(jaeger_production_tempo_image="grafana/tempo:3.0.0"),
                 dict(jaeger_production_query_image="jaegertracing/jaeger:2.6.0")):
        errors, warnings, _rows = support.assess(jaeger(jaeger_production_allow_unsupported=True, **over), TODAY)
        assert len(errors) == 1 and warnings == []


def test_preflight_carries_the_table_warnings_and_storage_class():
    errors, eff = pf.validate(jaeger=jaeger(jaeger_production_tempo_image="grafana/tempo:2.6.1",
                                            jaeger_production_allow_unsupported="true"),
                              cluster={"storage_classes": [CEPH_BLOCK]}, today=TODAY)
    assert errors == [] and eff["wal_storage_class"] == "ceph-block"
    assert len(eff["warnings"]) == 1 and eff["support"][0]["component"] == "tempo"
    errors, _eff = pf.validate(jaeger=jaeger(jaeger_production_tempo_image="grafana/tempo:2.6.1"),
                               cluster={"storage_classes": [CEPH_BLOCK]}, today=TODAY)
    assert "tempo 2.6 is past end of support" in text(errors)


def _sc(name, default=False, provisioner="rook-ceph.rbd.csi.ceph.com"):
    meta = {"name": name}
    if default:
        meta["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
    return {"metadata": meta, "provisioner": provisioner}


@pytest.mark.parametrize("classes, wanted, chosen", [
    ([_sc("ceph-block"), _sc("rook-ceph-block"), _sc("local-path", True)], "", "ceph-block"),
    ([_sc("rook-ceph-block"), _sc("local-path", True)], "", "rook-ceph-block"),
    ([_sc("local-path", True), _sc("rook-ceph-bucket", provisioner="rook-ceph.ceph.rook.io/bucket")], "", "local-path"),
    ([_sc("ceph-block"), _sc("fast")], "fast", "fast"),
])
def test_wal_storage_class_detection_order(classes, wanted, chosen):
    errors, name = pf.wal_storage_class(jaeger(jaeger_production_tempo_wal_storage_class=wanted),
                                        {"storage_classes": classes})
    assert errors == [] and name == chosen


@pytest.mark.parametrize("classes, wanted, needles", [
    ([_sc("rook-ceph-bucket", provisioner="rook-ceph.ceph.rook.io/bucket")], "",
     ["no StorageClass ceph-block or rook-ceph-block exists and none is the cluster default", "found: rook-ceph-bucket"]),
    ([], "", ["found: none"]),
    ([_sc("ceph-block")], "fast", ["jaeger_production_tempo_wal_storage_class is 'fast', which does not exist",
                                   "found: ceph-block"]),
])
def test_wal_storage_class_refusals_name_the_variable(classes, wanted, needles):
    errors = pf.jaeger_cluster_errors(jaeger(jaeger_production_tempo_wal_storage_class=wanted),
                                      {"storage_classes": classes})
    assert len(errors) == 1
    message = errors[0].message
    assert message.startswith("Failed to choose the StorageClass of Tempo's WAL")
    assert "Fix: set jaeger_production_tempo_wal_storage_class" in message
    for needle in needles:
        assert needle in message, message


@pytest.mark.parametrize("size", ["10", "10GB", "", "-1Gi"])
def test_wal_size_must_be_a_quantity(size):
    assert "Failed to validate jaeger_production_tempo_wal_size" in text(
        pf.jaeger_values_errors(jaeger(jaeger_production_tempo_wal_size=size)))


def _live(templates):
    return {"metadata": {"name": "tempo", "namespace": "jaeger"}, "spec": {"volumeClaimTemplates": templates}}


def _tpl(size="10Gi", cls="ceph-block", name="data"):
    spec = {"accessModes": ["ReadWriteOnce"], "storageClassName": cls, "resources": {"requests": {"storage": size}},
            "volumeMode": "Filesystem"}
    return {"metadata": {"name": name}, "spec": spec}


@pytest.mark.parametrize("templates, needle", [
    ([], "has volumeClaimTemplates none, wanted: data 10Gi on ceph-block"),  # the 0.1.0 StatefulSet (emptyDir)
    ([_tpl(size="5Gi")], "data 5Gi on ceph-block, wanted: data 10Gi on ceph-block"),
    ([_tpl(cls="local-path")], "data 10Gi on local-path"),
    ([_tpl(), _tpl(name="extra")], "extra 10Gi on ceph-block"),
])
def test_statefulset_replacement_names_what_differs(templates, needle):
    why = pf.statefulset_replacement(jaeger(), {"tempo_statefulset": _live(templates)}, "ceph-block")
    assert why.startswith("StatefulSet jaeger/tempo has volumeClaimTemplates") and needle in why


def test_statefulset_replacement_none_when_equal_absent_or_no_class():
    assert pf.statefulset_replacement(jaeger(), {"tempo_statefulset": _live([_tpl()])}, "ceph-block") is None
    assert pf.statefulset_replacement(jaeger(), {}, "ceph-block") is None
    assert pf.statefulset_replacement(jaeger(), {"tempo_statefulset": _live([])}, None) is None
    _errors, eff = pf.validate(jaeger=jaeger(), cluster={"storage_classes": [CEPH_BLOCK],
                                                         "tempo_statefulset": _live([])}, today=TODAY)
    assert "wanted: data 10Gi on ceph-block" in eff["tempo_statefulset_replace"]


def test_the_rendered_wal_template_is_the_one_the_replacement_compares():
    """One description of the WAL claim: the template the preflight hands to the role, once live (the API
    server defaults volumeMode, the role adds labels), needs no replacement; another size does."""
    _errors, eff = pf.validate(jaeger=jaeger(), cluster={"storage_classes": [CEPH_BLOCK]}, today=TODAY)
    tpl = eff["wal_claim_template"]
    assert tpl["spec"]["storageClassName"] == eff["wal_storage_class"] == "ceph-block"
    live = dict(tpl, metadata=dict(tpl["metadata"], labels={"app.kubernetes.io/name": "tempo"}),
                spec=dict(tpl["spec"], volumeMode="Filesystem"))
    assert pf.statefulset_replacement(jaeger(), {"tempo_statefulset": _live([live])}, "ceph-block") is None
    other = pf.statefulset_replacement(jaeger(), {"tempo_statefulset": _live([pf.wal_claim_template("ceph-block", "5Gi")])},
                                       "ceph-block")
    assert "data 5Gi on ceph-block, wanted: data 10Gi on ceph-block" in other
