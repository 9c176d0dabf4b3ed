# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup talos_homelab.tracing.facts: the roles' one way to the facts of constants.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import yaml
from ansible.errors import AnsibleLookupError

from ansible_collections.talos_homelab.tracing.plugins.lookup import facts as facts_lookup
from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C


def _run(*terms):
    return facts_lookup.LookupModule().run(list(terms), variables={})


@pytest.mark.parametrize("name, value", [
    ("managed_labels", {"app.kubernetes.io/managed-by": "talos_homelab.tracing", "app.kubernetes.io/part-of": "tracing"}),
    ("checksum_annotation", "tracing.talos-homelab.io/checksum"),
    ("config_checksum_annotation", "tracing.talos-homelab.io/config-checksum"),
    ("source_claim_label", "tracing.talos-homelab.io/source-claim"),
    ("obc_api_version", "objectbucket.io/v1alpha1"),
    ("obc_kind", "ObjectBucketClaim"),
    ("storage_secret_name", "jaeger-storage"),
    ("collector_image", "otel/opentelemetry-collector-contrib:0.159.0"),
])
def test_each_fact_has_the_value_the_modules_use(name, value):
    assert _run(name) == [value]


def test_the_exported_set_is_exactly_the_documented_one():
    # A fact added to ROLE_FACTS without a test above (and a line in DOCUMENTATION) fails here.
    assert sorted(C.ROLE_FACTS) == sorted([
        "managed_labels", "checksum_annotation", "config_checksum_annotation", "source_claim_label",
        "obc_api_version", "obc_kind", "storage_secret_name", "collector_image"])
    description = " ".join(yaml.safe_load(facts_lookup.DOCUMENTATION)["description"])
    for name in C.ROLE_FACTS:
        assert "V(%s)" % name in description, name


def test_the_values_are_the_constants_themselves():
    assert C.ROLE_FACTS["managed_labels"] == C.MANAGED_LABELS
    assert C.ROLE_FACTS["checksum_annotation"] == C.ANNOTATION_CHECKSUM
    assert C.ROLE_FACTS["obc_api_version"] == C.OBC_API_VERSION
    assert C.ROLE_FACTS["storage_secret_name"] == C.STORAGE_SECRET_NAME
    assert C.ROLE_FACTS["collector_image"] == C.COLLECTOR_IMAGE


def test_several_terms_in_order():
    assert _run("obc_kind", "obc_api_version", "obc_kind") == ["ObjectBucketClaim", "objectbucket.io/v1alpha1", "ObjectBucketClaim"]
    assert _run() == []


def test_managed_labels_keep_their_order():
    # The rendered objects' label order (managed-by, then part-of) is what the roles put before the lookup.
    assert list(_run("managed_labels")[0]) == ["app.kubernetes.io/managed-by", "app.kubernetes.io/part-of"]


def test_a_caller_gets_a_copy():
    labels = _run("managed_labels")[0]
    labels["app.kubernetes.io/part-of"] = "changed"
    labels["extra"] = "x"
    assert C.MANAGED_LABELS == {"app.kubernetes.io/managed-by": "talos_homelab.tracing", "app.kubernetes.io/part-of": "tracing"}
    assert _run("managed_labels")[0]["app.kubernetes.io/part-of"] == "tracing"


def test_an_unknown_name_fails_and_lists_the_known_names():
    with pytest.raises(AnsibleLookupError) as err:
        _run("obc_api_version", "managed_label")
    message = str(err.value)
    assert "unknown fact 'managed_label'" in message
    assert "known facts: " + ", ".join(sorted(C.ROLE_FACTS)) in message


def test_documentation_examples_and_return_are_yaml():
    doc = yaml.safe_load(facts_lookup.DOCUMENTATION)
    assert doc["name"] == "facts"
    assert doc["options"]["_terms"]["required"] is True
    examples = yaml.safe_load(facts_lookup.EXAMPLES)
    assert all("talos_homelab.tracing.facts" in str(task) for task in examples)
    assert "_raw" in yaml.safe_load(facts_lookup.RETURN)
