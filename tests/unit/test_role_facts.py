# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No copy of a shared fact in roles/ or playbooks/: they read it through lookup talos_homelab.tracing.facts.

Every YAML scalar (mapping keys and values, Jinja expressions included; comments are not data) of roles/ and
playbooks/ is searched for the values of constants.ROLE_FACTS. The places where a literal must stay (an argument
spec's default and the defaults/main.yml value it documents; argument specs take literals only) are listed in
ALLOWED, each with its reason; tests/unit/test_role_argument_specs.py checks that they equal constants.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import ROLE_FACTS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCANNED = ("roles", "playbooks")

# (file, YAML path, fact): the literal places, and why.
ALLOWED = {
    # Argument specs need literals; test_role_argument_specs.py asserts both equal constants.STORAGE_SECRET_NAME.
    ("roles/jaeger_production/defaults/main.yml", "jaeger_production_storage_secret_name", "storage_secret_name"),
    ("roles/jaeger_production/meta/argument_specs.yml",
     "argument_specs.main.options.jaeger_production_storage_secret_name.default", "storage_secret_name"),
    # The same for the default Collector image (test_role_argument_specs.py: equal to constants.COLLECTOR_IMAGE).
    ("roles/otel_collector/defaults/main.yml", "otel_collector_image", "collector_image"),
    ("roles/otel_collector/meta/argument_specs.yml", "argument_specs.main.options.otel_collector_image.default", "collector_image"),
}


def needles():
    """(fact, text) for every value worth finding: strings, and a dict's keys (its label keys)."""
    out = []
    for name, value in sorted(ROLE_FACTS.items()):
        texts = sorted(value) if isinstance(value, dict) else [value]
        out.extend((name, text) for text in texts)
    return out


def _matches(text, scalar):
    """A copy: the whole scalar, a quoted Jinja literal, or (for a value with a '/') a token anywhere."""
    if scalar.strip() == text:
        return True
    if re.search(r"""['"]%s['"]""" % re.escape(text), scalar):
        return True
    return "/" in text and re.search(r"(?<![\w./-])%s(?![\w/-])" % re.escape(text), scalar) is not None


def _walk(node, path):
    if isinstance(node, dict):
        for key, value in node.items():
            sub = "%s.%s" % (path, key) if path else str(key)
            yield path, key
            yield from _walk(value, sub)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, "%s[%d]" % (path, index))
    else:
        yield path, node


def copies(document):
    """(YAML path, fact) of every copy of a fact in a loaded YAML document."""
    found = []
    for path, scalar in _walk(document, ""):
        if not isinstance(scalar, str):
            continue
        for name, text in needles():
            if _matches(text, scalar):
                found.append((path, name))
    return found


def _yaml_files():
    for top in SCANNED:
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for fname in sorted(files):
                if fname.endswith((".yml", ".yaml")):
                    yield os.path.relpath(os.path.join(dirpath, fname), ROOT)


def _scan():
    found = set()
    for rel in _yaml_files():
        with open(os.path.join(ROOT, rel), encoding="utf-8") as handle:
            for document in yaml.safe_load_all(handle):
                found.update((rel, path, name) for path, name in copies(document))
    return found


def test_no_copy_of_a_shared_fact_in_roles_or_playbooks():
    unexpected = sorted(_scan() - ALLOWED)
    assert unexpected == [], (
        "literal copies of shared facts; use lookup('talos_homelab.tracing.facts', '<fact>') instead "
        "(or list a place an argument spec needs in ALLOWED): %r" % unexpected)


def test_every_allowed_place_still_holds_its_literal():
    # A stale entry would let a copy come back unnoticed in its place.
    assert sorted(ALLOWED - _scan()) == []


def test_the_scan_finds_a_copy():
    # The shapes a copy takes: a label key, an annotation key, an apiVersion, a kind, a Jinja literal.
    doc = {"objects": [
        {"apiVersion": "objectbucket.io/v1alpha1", "kind": "ObjectBucketClaim",
         "metadata": {"labels": {"app.kubernetes.io/part-of": "tracing"},
                      "annotations": {"tracing.talos-homelab.io/config-checksum": "x"}}},
        {"kind": "Secret", "metadata": {"name": "{{ 'jaeger-storage' }}"},
         "when": "x.metadata.annotations['tracing.talos-homelab.io/checksum'] is defined"},
        {"labels": "{{ {'app.kubernetes.io/managed-by': 'talos_homelab.tracing'} }}"},
    ]}
    assert sorted(copies(doc)) == sorted([
        ("objects[0].apiVersion", "obc_api_version"),
        ("objects[0].kind", "obc_kind"),
        ("objects[0].metadata.labels", "managed_labels"),
        ("objects[0].metadata.annotations", "config_checksum_annotation"),
        ("objects[1].metadata.name", "storage_secret_name"),
        ("objects[1].when", "checksum_annotation"),
        ("objects[2].labels", "managed_labels"),
    ])


def test_the_scan_leaves_prose_and_other_values_alone():
    doc = {
        "description": "Name of the ObjectBucketClaim; the jaeger-storage Secret is written in step 3.",
        "name": "Apply | Namespace and ObjectBucketClaim",
        "labels": "{{ lookup('talos_homelab.tracing.facts', 'managed_labels') }}",
        "other": {"app.kubernetes.io/name": "tempo", "tracing.talos-homelab.io/checksum-old": "x",
                  "kind": "ObjectBucketClaimList", "module": "talos_homelab.tracing.k8s_apply"},
    }
    assert copies(doc) == []
