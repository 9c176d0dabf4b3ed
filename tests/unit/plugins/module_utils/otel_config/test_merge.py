# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Overrides merged as data (module_utils/otel_config/merge.py): the semantics of Ansible's combine(recursive=true)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest
from ansible.utils.vars import merge_hash

from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.merge import (
    deep_merge, endpoint_port, owned_endpoint_conflicts)

BASE = {
    "processors": {"batch": {"timeout": "5s", "send_batch_size": 8192}, "memory_limiter": {"limit_mib": 409}},
    "service": {"extensions": ["health_check"],
                "pipelines": {"traces": {"processors": ["memory_limiter", "batch"], "exporters": ["otlp"]}}},
    "exporters": {"otlp": {"endpoint": "jaeger:4317", "tls": {"insecure": True}}},
}
CASES = {
    "nothing": {},
    "deep scalar": {"processors": {"batch": {"timeout": "1s"}}},
    "null kept as a value": {"processors": {"batch": {"send_batch_size": None, "send_batch_sise": 8192}}},
    "list replaced, not appended": {"service": {"pipelines": {"traces": {"processors": ["batch"]}}}},
    "new component": {"exporters": {"debug": {"verbosity": "basic"}}},
    "scalar replaces a mapping": {"exporters": {"otlp": "off"}},
    "mapping replaces a scalar": {"processors": {"memory_limiter": {"limit_mib": {"value": 1}}}},
    "empty mapping merges to the same": {"processors": {}},
    "top-level new key": {"connectors": {"spanmetrics": {}}},
    "list of mappings replaced whole": {"service": {"extensions": [{"x": 1}]}},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_deep_merge_is_what_combine_recursive_gave(case):
    """Ansible's combine(recursive=true) is merge_hash(recursive=True, list_merge='replace')."""
    assert deep_merge(BASE, CASES[case]) == merge_hash(BASE, CASES[case], recursive=True, list_merge="replace")


def test_deep_merge_modifies_neither_argument_nor_shares_the_overrides():
    base, over = copy.deepcopy(BASE), {"exporters": {"debug": {"verbosity": "basic"}}, "processors": {"batch": {"timeout": "1s"}}}
    base_before, over_before = copy.deepcopy(base), copy.deepcopy(over)
    merged = deep_merge(base, over)
    merged["exporters"]["debug"]["verbosity"] = "detailed"
    merged["processors"]["batch"]["timeout"] = "9s"
    assert base == base_before and over == over_before


def test_deep_merge_of_none_overrides_is_the_base():
    assert deep_merge(BASE, None) == BASE


@pytest.mark.parametrize("endpoint, port", [("0.0.0.0:4317", "4317"), ("${env:MY_POD_IP}:4317", "4317"), ("[::]:4318", "4318"),
                                            ("localhost", ""), (":4317", ""), ("host:port", ""), (None, ""), (4317, "")])
def test_endpoint_port(endpoint, port):
    assert endpoint_port(endpoint) == port


def test_owned_endpoint_conflicts_only_for_a_moved_port():
    owned = [(("receivers", "otlp", "protocols", "grpc", "endpoint"), "grpc_port", 4317),
             (("extensions", "health_check", "endpoint"), "health_port", 13133)]
    assert owned_endpoint_conflicts({}, owned) == []
    same_port = {"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "${env:MY_POD_IP}:4317"}}}}}
    assert owned_endpoint_conflicts(same_port, owned) == []
    other_keys = {"extensions": {"health_check": {"path": "/healthz"}}}
    assert owned_endpoint_conflicts(other_keys, owned) == []
    moved = {"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:5317"}}}},
             "extensions": {"health_check": {"endpoint": "localhost"}}}
    assert owned_endpoint_conflicts(moved, owned) == [
        ("receivers.otlp.protocols.grpc.endpoint", "0.0.0.0:5317", "grpc_port", 4317),
        ("extensions.health_check.endpoint", "localhost", "health_port", 13133)]
