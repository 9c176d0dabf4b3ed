# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one preflight (plugins/module_utils/preflight.py): pure checks over values and read objects."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils import preflight as pf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def defaults(role):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as f:
        return yaml.safe_load(f)


def rook_cluster(version="1.17.2", fields="maxObjects,maxSize,bucketLifecycle", provisioner="rook-ceph.ceph.rook.io/bucket"):
    return dict(
        storage_class={"metadata": {"name": "rook-ceph-bucket"}, "provisioner": provisioner},
        rook_operator={"spec": {"template": {"spec": {"containers": [{"image": "docker.io/rook/ceph:v%s" % version}]}}}},
        rook_operator_config={"data": {pf.ROOK_ALLOWED_FIELDS_KEY: fields}} if fields is not None else None,
        jaeger_crd={"metadata": {"name": pf.JAEGER_CRD}}, jaeger_operator={"metadata": {"name": "jaeger-operator"}},
        storage_classes=[{"metadata": {"name": "ceph-block"}, "provisioner": "rook-ceph.rbd.csi.ceph.com"}])


def messages(errors):
    return " | ".join(e.message for e in errors)


GRPC = dict(jaeger_production_storage_mode="grpc-plugin",
            jaeger_production_grpc_plugin_image="registry.example.org/homelab/s3-plugin:1.0.0",
            jaeger_production_grpc_plugin_binary="/plugin/s3-plugin")


# ------------------------------------------------------------------ the defaults pass
def test_defaults_of_both_roles_pass_on_a_rook_1_17_cluster():
    errors, eff = pf.validate(site={}, ceph=defaults("ceph_bucket"), jaeger=defaults("jaeger_production"), cluster=rook_cluster())
    assert errors == []
    assert eff["retention_days"] == 7 and eff["bucket_retention_days"] == 8 and eff["tempo_block_retention"] == "168h"
    assert eff["lifecycle_in_claim"] is True and eff["rook_version"] == "1.17.2"
    assert eff["wal_storage_class"] == "ceph-block" and eff["warnings"] == []


# ------------------------------------------------------------------ retention semantics (issue 9 item 3)
@pytest.mark.parametrize("site, want", [
    ({}, (7, 8)),
    ({"retention_days": 10}, (10, 11)),
    ({"bucket_retention_days": 9}, (7, 9)),  # the README's ceph_bucket_retention_days is honoured
    ({"retention_days": 3, "bucket_retention_days": 30}, (3, 30)),
    ({"storage_mode": "grpc-plugin"}, (7, 7)),
    ({"storage_mode": "grpc-plugin", "bucket_retention_days": 12}, (12, 12)),
    ({"storage_mode": "grpc-plugin", "retention_days": 5, "bucket_retention_days": 5}, (5, 5)),
])
def test_retention_derivation(site, want):
    errors, eff = pf.effective_retention(site)
    assert errors == []
    assert (eff["retention_days"], eff["bucket_retention_days"]) == want
    assert eff["tempo_block_retention"] == "%dh" % (want[0] * 24)


@pytest.mark.parametrize("site, needles", [
    ({"retention_days": 7, "bucket_retention_days": 7}, ["ceph_bucket_retention_days 7 is not longer than tracing_retention_days 7",
                                                         "at least 8"]),
    ({"bucket_retention_days": 3}, ["ceph_bucket_retention_days 3 is not longer than tracing_retention_days 7"]),
    ({"storage_mode": "grpc-plugin", "retention_days": 7, "bucket_retention_days": 9},
     ["tracing_retention_days 7 and ceph_bucket_retention_days 9 contradict each other"]),
    ({"retention_days": "abc"}, ["tracing_retention_days must be a whole number of days >= 1", 'got "abc"']),
    ({"retention_days": 0}, ["tracing_retention_days must be a whole number of days >= 1"]),
    ({"storage_mode": "elasticsearch"}, ["tracing_storage_mode tempo or grpc-plugin", 'got "elasticsearch"']),
    ({"fail_under": 101}, ["tracing_fail_under an integer 0-100"]),
    ({"canary": "sometimes"}, ["tracing_canary true or false", 'got "sometimes"']),
    ({"bucket_retention_days": 0}, ["ceph_bucket_retention_days must be an integer >= 1 (got 0)"]),
])
def test_retention_refusals(site, needles):
    errors, eff = pf.effective_retention(site)
    assert errors and eff == {}
    text = messages(errors)
    for needle in needles:
        assert needle in text, text
    assert all(e.fix for e in errors)


# ------------------------------------------------------------------ ceph_bucket (issue 9 item 4)
@pytest.mark.parametrize("name", ["Jaeger_Traces", "Jaeger-Traces", "jt", "192.168.10.20", "a..b", "-abc", "x" * 64])
def test_bad_bucket_names_are_refused_with_the_s3_rules(name):
    errors = pf.ceph_values_errors(dict(defaults("ceph_bucket"), ceph_bucket_bucket_name=name))
    text = messages(errors)
    assert "bucket name '%s' must follow S3 naming" % name in text, text
    assert "Fix: e.g. ceph_bucket_bucket_name: jaeger-traces" in text


def test_bucket_rules_are_those_of_the_lifecycle_module():
    """One source: the same function decides for the lifecycle module and the preflight."""
    from ansible_collections.talos_homelab.tracing.plugins.module_utils import lifecycle

    assert pf.bucket_name_problem is lifecycle.bucket_name_problem
    for name in ("jaeger-traces", "a.b-c", "abc"):
        assert pf.ceph_values_errors(dict(defaults("ceph_bucket"), ceph_bucket_bucket_name=name)) == []


def test_rook_1_17_without_bucket_lifecycle_allowed():
    ceph = defaults("ceph_bucket")
    errors, facts = pf.rook_facts(ceph, rook_cluster(fields="maxObjects,maxSize"))
    text = messages(errors)
    assert "ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS" in text and "'maxObjects,maxSize'" in text
    assert "kubectl -n rook-ceph patch configmap rook-ceph-operator-config" in text
    assert facts["lifecycle_in_claim"] is True


def test_rook_default_allow_list_when_the_configmap_is_missing():
    errors, facts = pf.rook_facts(defaults("ceph_bucket"), dict(rook_cluster(), rook_operator_config=None))
    assert facts["allowed_fields"] == ["maxObjects", "maxSize"]
    assert "bucketLifecycle" in messages(errors)


def test_rook_1_16_puts_the_rule_over_s3_and_needs_no_allowed_field():
    errors, facts = pf.rook_facts(defaults("ceph_bucket"), rook_cluster(version="1.16.4", fields="maxObjects,maxSize"))
    assert errors == [] and facts["lifecycle_in_claim"] is False


def test_rook_version_pinned_or_undetectable():
    ceph = dict(defaults("ceph_bucket"), ceph_bucket_rook_version="v1.15")
    errors, facts = pf.rook_facts(ceph, {})
    assert errors == [] and facts["rook_version"] == "1.15" and facts["lifecycle_in_claim"] is False
    errors, _facts = pf.rook_facts(defaults("ceph_bucket"), {"rook_operator": None})
    assert "Deployment rook-ceph/rook-ceph-operator was not found" in messages(errors)
    errors, _facts = pf.rook_facts(dict(defaults("ceph_bucket"), ceph_bucket_rook_version="one"), {})
    assert 'ceph_bucket_rook_version "one" is not X.Y[.Z]' in messages(errors)


def test_additional_config_keys_must_be_allowed():
    ceph = dict(defaults("ceph_bucket"), ceph_bucket_additional_config={"maxSize": "50Gi", "bucketPolicy": "{}"})
    errors, _facts = pf.rook_facts(ceph, rook_cluster())
    assert "additionalConfig keys bucketPolicy are not in" in messages(errors)
    errors = pf.ceph_values_errors(dict(defaults("ceph_bucket"), ceph_bucket_additional_config={"maxSize": 50}))
    assert "values must be strings" in messages(errors)


@pytest.mark.parametrize("sc, needle", [
    (None, "StorageClass rook-ceph-bucket does not exist"),
    ({"provisioner": "example.com/none"}, "has provisioner example.com/none"),
])
def test_storage_class_must_be_a_rook_bucket_class(sc, needle):
    errors = pf.storage_class_errors(defaults("ceph_bucket"), {"storage_class": sc})
    assert needle in messages(errors) and "create a bucket StorageClass" in messages(errors)


# ------------------------------------------------------------------ jaeger_production
def test_grpc_plugin_without_the_operator():
    jaeger = dict(defaults("jaeger_production"), **GRPC)
    errors = pf.jaeger_cluster_errors(jaeger, dict(rook_cluster(), jaeger_crd=None, jaeger_operator=None))
    text = messages(errors)
    assert "Failed to find the Jaeger operator" in text and "CRD jaegers.jaegertracing.io is missing" in text
    assert "install the Jaeger operator" in text
    # tempo needs no operator (only a StorageClass for the WAL)
    assert pf.jaeger_cluster_errors(dict(defaults("jaeger_production")), rook_cluster()) == []


@pytest.mark.parametrize("over, needles", [
    ({"jaeger_production_tempo_replicas": 0}, ["every replica count must be >= 1", "tempo 0"]),
    ({"jaeger_production_sampling_rate": 1.5}, ["sampling rate must satisfy 0 < rate <= 1 (got 1.5)"]),
    ({"jaeger_production_tempo_replication_factor": 4}, ["the replication factor (4)"]),
    ({"jaeger_production_tempo_image": "grafana/tempo:latest"}, ["jaeger_production_tempo_image", "tagged 'latest'"]),
    ({"jaeger_production_query_image": "jaegertracing/jaeger-query"}, ["jaeger_production_query_image", "no pinned tag"]),
    (dict(GRPC, jaeger_production_collector_image="jaegertracing/jaeger-collector:1.65.0"),
     ["jaegertracing/jaeger-collector:1.65.0' cannot run storage type grpc-plugin", "below 1.58"]),
    (dict(GRPC, jaeger_production_grpc_plugin_image="jaegertracing/jaeger-s3:1.0.0"), ["jaegertracing/jaeger-s3"]),
    ({"jaeger_production_storage_mode": "grpc-plugin"}, ["must both be set", "No official S3 storage plugin image"]),
])
def test_jaeger_refusals(over, needles):
    errors = pf.jaeger_values_errors(dict(defaults("jaeger_production"), **over))
    text = messages(errors)
    for needle in needles:
        assert needle in text, text


def test_grpc_plugin_with_guards_passes():
    assert pf.jaeger_values_errors(dict(defaults("jaeger_production"), **GRPC)) == []


# ------------------------------------------------------------------ the site passes its values to the sections
def test_site_mode_and_retention_reach_the_jaeger_checks():
    """Issue 9 item 2: the site's grpc-plugin mode is checked as step 4 gets it (operator needed)."""
    errors, eff = pf.validate(site={"storage_mode": "grpc-plugin", "retention_days": 5}, ceph=defaults("ceph_bucket"),
                              jaeger=dict(defaults("jaeger_production"), **dict(GRPC, jaeger_production_storage_mode="tempo")),
                              cluster=dict(rook_cluster(), jaeger_crd=None))
    assert "Failed to find the Jaeger operator" in messages(errors)
    assert eff["bucket_retention_days"] == 5 and eff["tempo_block_retention"] == "120h"


def test_site_bucket_retention_overrides_the_role_value_in_the_ceph_checks():
    errors, eff = pf.validate(site={"bucket_retention_days": 9}, ceph=dict(defaults("ceph_bucket"), ceph_bucket_retention_days=0),
                              cluster=rook_cluster())
    assert errors == [] and eff["bucket_retention_days"] == 9


# ------------------------------------------------------------------ messages
def test_message_says_nothing_was_written_only_when_told():
    errors = pf.ceph_values_errors(dict(defaults("ceph_bucket"), ceph_bucket_bucket_name="Jaeger_Traces"))
    assert pf.message(errors, True).endswith("Nothing was written.")
    assert "Nothing was written" not in pf.message(errors, False)
    two = errors + pf.storage_class_errors(defaults("ceph_bucket"), {"storage_class": None})
    text = pf.message(two, True)
    assert text.startswith("Failed to validate the inputs of the run (2 problems): 1) Failed to validate")
    assert "2) Failed to claim bucket" in text


class FakeClient(object):
    def __init__(self, objects):
        self.objects = objects
        self.requests = 0
        self.calls = []

    def get(self, api_version, plural, name, namespace=None, action=None):
        self.requests += 1
        self.calls.append((plural, namespace, name))
        return self.objects.get((plural, name))

    def list(self, api_version, plural, namespace=None, label_selector=None, field_selector=None, action=None):
        self.requests += 1
        self.calls.append((plural, namespace, None))
        return [o for (p, _n), o in sorted(self.objects.items()) if p == plural]


def test_run_reads_only_what_the_sections_need():
    client = FakeClient({("storageclasses", "rook-ceph-bucket"): {"provisioner": "rook-ceph.ceph.rook.io/bucket"}})
    params = dict(site={"storage_mode": "grpc-plugin"}, ceph_bucket=defaults("ceph_bucket"),
                  jaeger_production=dict(defaults("jaeger_production"), **GRPC), nothing_written=True)
    result, failed = pf.run(params, client_factory=lambda p: client)
    # The claim's and Jaeger's namespace (both jaeger) is read once; without it, no Jaeger CR is read.
    assert sorted(c[0] for c in client.calls) == ["configmaps", "customresourcedefinitions", "deployments", "deployments",
                                                  "namespaces", "storageclasses"]
    assert result["changed"] is False and result["api_requests"] == 6
    assert failed.startswith("Failed to validate the inputs of the run") and failed.endswith("Nothing was written.")
    assert "Failed to find the Jaeger operator" in failed and "Failed to detect the Rook version" in failed
    # tempo mode does not look for the operator
    client2 = FakeClient({})
    pf.run(dict(params, site={}), client_factory=lambda p: client2)
    assert "customresourcedefinitions" not in [c[0] for c in client2.calls]
    # ... but lists the StorageClasses for Tempo's WAL (one request)
    assert [c for c in client2.calls if c[0] == "storageclasses" and c[2] is None] == [("storageclasses", None, None)]


def test_run_reads_what_the_roles_need_once_and_returns_it():
    ds = {"spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "otel-collector"}}}}
    cr = {"metadata": {"name": "jaeger"}, "spec": {"strategy": "allInOne"}, "status": {"phase": "Running"}}
    client = FakeClient({("namespaces", "opentelemetry"): {}, ("namespaces", "jaeger"): {},
                         ("daemonsets", "otel-collector"): ds, ("jaegers", "jaeger"): cr})
    otel = {"otel_collector_namespace": "opentelemetry", "otel_collector_name": "otel-collector",
            "otel_collector_sampling": "tail", "otel_collector_sampler_namespace": "jaeger"}
    result, _failed = pf.run(dict(site={}, ceph_bucket=defaults("ceph_bucket"), jaeger_production=defaults("jaeger_production"),
                                  otel_collector=otel), client_factory=lambda p: client)
    eff = result["effective"]
    assert eff["otel_namespace_exists"] is True and eff["otel_daemonset_selector"] == ds["spec"]["selector"]
    assert eff["otel_sampler_namespace_missing"] is False and eff["ceph_namespace_exists"] is True
    assert eff["jaeger_namespace_exists"] is True
    assert eff["jaeger_cr"] == [{"metadata": {"name": "jaeger"}, "spec": {"strategy": "allInOne"}}]
    assert [c for c in client.calls if c[0] == "namespaces"] == [("namespaces", None, "opentelemetry"), ("namespaces", None, "jaeger")]
    # Head mode, a missing collector namespace: no DaemonSet read, no sampler namespace.
    client2 = FakeClient({})
    result2, _failed = pf.run(dict(otel_collector=dict(otel, otel_collector_sampling="head")), client_factory=lambda p: client2)
    assert result2["effective"] == {"otel_namespace_exists": False, "otel_daemonset_selector": None}
    assert client2.calls == [("namespaces", None, "opentelemetry")]


def test_an_unreachable_api_server_fails_the_first_read_with_the_kubeconfig_and_the_cause():
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

    class Down(FakeClient):
        def get(self, *args, **kwargs):
            try:
                raise OSError("[Errno 111] Connection refused")
            except OSError:
                raise TracingError("read the collector namespace", "the API server at http://x:6443 is unreachable (OSError).",
                                   "check (kubectl cluster-info).")

    params = dict(otel_collector={"otel_collector_namespace": "opentelemetry", "otel_collector_name": "otel-collector"},
                  kubeconfig="/tmp/kc", context="talos", nothing_written=True)
    with pytest.raises(TracingError) as err:
        pf.run(params, client_factory=lambda p: Down({}))
    assert err.value.message.startswith("Failed to reach the Kubernetes API with kubeconfig /tmp/kc (context talos):")
    assert "Connection refused." in err.value.message and "Nothing was written." in err.value.message
    assert "kubectl cluster-info" in err.value.fix


@pytest.mark.parametrize("value", [True, False, "true", "False", "yes", "off", 1, 0, None])
def test_tracing_canary_takes_what_the_bool_filter_takes(value):
    errors, _eff = pf.effective_retention({"canary": value})
    assert errors == []
