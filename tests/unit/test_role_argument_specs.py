# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every public role variable is in the role's argument spec, and the spec agrees with the defaults.

The check prometheus-community/ansible runs in CI: defaults/main.yml and the `main` entry point of
meta/argument_specs.yml name the same variables, and where the spec gives a `default` it is the
value defaults/main.yml sets.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(d for d in os.listdir(os.path.join(ROOT, "roles")) if os.path.isdir(os.path.join(ROOT, "roles", d)))


def _load(role, *parts):
    path = os.path.join(ROOT, "roles", role, *parts)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return yaml.safe_load(handle)


def test_all_roles_found():
    assert {"otel_collector", "ceph_bucket", "jaeger_production"} <= set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_spec_name_the_same_variables(role):
    defaults = _load(role, "defaults", "main.yml") or {}
    spec = _load(role, "meta", "argument_specs.yml")
    assert spec, "%s has no meta/argument_specs.yml" % role
    options = spec["argument_specs"]["main"]["options"]
    assert sorted(set(defaults) - set(options)) == [], "defaults missing from the argument spec of %s" % role
    documented_only = [k for k, v in options.items() if k not in defaults and not v.get("required")]
    assert documented_only == [], "optional spec entries without a default in defaults/main.yml (%s)" % role


@pytest.mark.parametrize("role", ROLES)
def test_public_variables_are_role_prefixed_and_spec_defaults_match(role):
    defaults = _load(role, "defaults", "main.yml") or {}
    options = _load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert all(k.startswith(role + "_") for k in options), [k for k in options if not k.startswith(role + "_")]
    for name, opt in options.items():
        if "default" in opt and name in defaults:
            assert opt["default"] == defaults[name], "%s: spec default %r != defaults/main.yml %r" % (name, opt["default"], defaults[name])


# Role defaults that are shared facts stay literal (argument specs take literals only, and users read them
# there); each must equal its constant, in defaults/main.yml and in the spec's default. The storage Secret's
# name is the one ROLE_FACTS entry among them (tests/unit/test_role_facts.py allows exactly these literals).
@pytest.mark.parametrize("role, var, value", [
    ("jaeger_production", "jaeger_production_storage_secret_name", C.ROLE_FACTS["storage_secret_name"]),
    ("jaeger_production", "jaeger_production_namespace", C.JAEGER_NAMESPACE),
    ("jaeger_production", "jaeger_production_name", C.JAEGER_NAME),
    ("jaeger_production", "jaeger_production_grafana_namespace", C.GRAFANA_NAMESPACE),
    ("otel_collector", "otel_collector_namespace", C.OTEL_NAMESPACE),
    ("otel_collector", "otel_collector_name", C.OTEL_NAME),
    ("otel_collector", "otel_collector_otlp_grpc_port", C.OTLP_GRPC_PORT),
    ("otel_collector", "otel_collector_otlp_http_port", C.OTLP_HTTP_PORT),
    ("ceph_bucket", "ceph_bucket_claim_name", C.CLAIM_NAME),
    ("jaeger_production", "jaeger_production_claim_name", C.CLAIM_NAME),
    ("otel_collector", "otel_collector_sampler_service", C.SAMPLER_NAME),
    ("otel_collector", "otel_collector_sampler_namespace", C.SAMPLER_NAMESPACE),
    ("otel_collector", "otel_collector_sampler_port", C.SAMPLER_PORT),
    ("ceph_bucket", "ceph_bucket_retention_days", C.RETENTION_DAYS),
    ("otel_collector", "otel_collector_image", C.COLLECTOR_IMAGE),
    # Tempo keeps the stack's default retention when the role runs alone (the site derives it)
    ("jaeger_production", "jaeger_production_tempo_block_retention", "%dh" % (C.RETENTION_DAYS * 24)),
    ("tail_sampler", "tail_sampler_name", C.SAMPLER_NAME),
    ("tail_sampler", "tail_sampler_namespace", C.SAMPLER_NAMESPACE),
    ("tail_sampler", "tail_sampler_otlp_grpc_port", C.SAMPLER_PORT),
])
def test_literal_defaults_equal_the_shared_constants(role, var, value):
    defaults = _load(role, "defaults", "main.yml") or {}
    options = _load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert defaults[var] == value, "%s: defaults/main.yml %r != constants.py %r" % (var, defaults[var], value)
    if "default" in options[var]:
        assert options[var]["default"] == value, "%s: argument spec default %r != constants.py %r" % (var, options[var]["default"], value)
