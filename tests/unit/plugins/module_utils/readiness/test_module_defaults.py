# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""tracing_readiness takes the names and ports the roles use, with the roles' defaults (one source:
constants.py; ansible-test sanity checks that DOCUMENTATION and the argument spec agree)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import NAMES
from ansible_collections.talos_homelab.tracing.plugins.modules import tracing_readiness

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))))
OPTIONS = yaml.safe_load(tracing_readiness.DOCUMENTATION)["options"]


def _role_default(role, var):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) as handle:
        return yaml.safe_load(handle)[var]


@pytest.mark.parametrize("option, role, var", [
    ("otel_namespace", "otel_collector", "otel_collector_namespace"),
    ("otel_name", "otel_collector", "otel_collector_name"),
    ("otel_otlp_grpc_port", "otel_collector", "otel_collector_otlp_grpc_port"),
    ("otel_otlp_http_port", "otel_collector", "otel_collector_otlp_http_port"),
    ("jaeger_namespace", "jaeger_production", "jaeger_production_namespace"),
    ("jaeger_name", "jaeger_production", "jaeger_production_name"),
    ("storage_secret_name", "jaeger_production", "jaeger_production_storage_secret_name"),
    ("grafana_namespace", "jaeger_production", "jaeger_production_grafana_namespace"),
    ("claim_name", "ceph_bucket", "ceph_bucket_claim_name"),
    ("retention_days", "ceph_bucket", "ceph_bucket_retention_days"),
    ("sampler_name", "tail_sampler", "tail_sampler_name"),
    ("sampler_port", "tail_sampler", "tail_sampler_otlp_grpc_port"),
    ("jaeger_namespace", "tail_sampler", "tail_sampler_namespace"),  # sampler_namespace defaults to it
])
def test_option_default_is_the_role_default(option, role, var):
    assert OPTIONS[option]["default"] == _role_default(role, var)


def test_every_name_the_checks_read_is_an_option_with_the_same_default():
    for name, default in NAMES.items():
        assert name in OPTIONS, name
        assert OPTIONS[name].get("default") == default, name
