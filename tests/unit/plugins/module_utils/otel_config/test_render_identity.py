# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Python renders each Collector configuration byte for byte as recorded from the old Jinja (issues 21, 24).

tests/data/collector_renders.json holds, per variant of tests/data/collector_variants.yml, the sha256 of
the ConfigMap text the roles rendered before the agents' configuration moved to Python (written by
tests/integration/test_role_render_identity.py over roles/otel_collector/vars/main.yml's Jinja programs,
commit 2f08b3d), GOMEMLIMIT and the container's resources. Here each variant goes through
``otel_config.plan`` with the role's defaults and is dumped as the roles dump it (Ansible's
``to_nice_yaml(indent=2, width=4096)``). The integration test renders the whole objects through the roles.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os

import pytest
import yaml
from ansible.plugins.filter.core import to_nice_yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C
from ansible_collections.talos_homelab.tracing.plugins.module_utils import otel_config
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[os.pardir] * 5))
DATA = os.path.join(ROOT, "tests", "data")
# Overrides that moved a port silently before and are refused now (the integration test checks the same).
REFUSED = {"overrides-port-mismatch": "otel_collector_otlp_grpc_port",
           "overrides-health-port-mismatch": "otel_collector_health_check_port"}


def _load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


VARIANTS = _load(os.path.join(DATA, "collector_variants.yml"))
RECORDED = _load(os.path.join(DATA, "collector_renders.json"))
ROLE = {"agent": "otel_collector", "sampler": "tail_sampler"}


def role_values(kind, variant):
    """The role's defaults with the variant on top, as the role's vars hand them to the filter."""
    role = ROLE[kind]
    values = _load(os.path.join(ROOT, "roles", role, "defaults", "main.yml"))
    values.update(variant)
    if kind == "sampler":
        default = C.COLLECTOR_IMAGE  # vars/main.yml __tail_sampler_default_image reads it through the facts lookup
        values["tail_sampler_image"] = values["tail_sampler_image"] or variant.get("otel_collector_image") or default
    return {k: v for k, v in values.items() if k.startswith(role + "_")}


def config_sha256(config):
    return hashlib.sha256(to_nice_yaml(config, indent=2, width=4096).encode("utf-8")).hexdigest()


def test_every_variant_is_recorded():
    assert {k: set(v) for k, v in VARIANTS.items()} == {k: set(v) for k, v in RECORDED.items()}
    assert len(VARIANTS["agent"]) >= 30 and len(VARIANTS["sampler"]) >= 5


@pytest.mark.parametrize("name", sorted(set(VARIANTS["agent"]) - set(REFUSED)))
def test_agent_config_is_the_recorded_one(name):
    plan = otel_config.plan("agent", role_values("agent", VARIANTS["agent"][name]))
    recorded = RECORDED["agent"][name]
    assert config_sha256(plan["config"]) == recorded["config_sha256"], to_nice_yaml(plan["config"], indent=2, width=4096)
    assert plan["sizing"]["gomemlimit"] == recorded["gomemlimit"]
    assert "%sMi" % plan["sizing"]["limit_mib"] == recorded["resources"]["limits"]["memory"]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_agent_override_moving_an_owned_port_is_refused(name):
    with pytest.raises(TracingError) as err:
        otel_config.plan("agent", role_values("agent", VARIANTS["agent"][name]))
    assert REFUSED[name] in err.value.message and "Fix: set %s" % REFUSED[name] in err.value.message


@pytest.mark.parametrize("name", sorted(VARIANTS["sampler"]))
def test_sampler_config_is_the_recorded_one(name):
    plan = otel_config.plan("sampler", role_values("sampler", VARIANTS["sampler"][name]))
    recorded = RECORDED["sampler"][name]
    assert config_sha256(plan["config"]) == recorded["config_sha256"], to_nice_yaml(plan["config"], indent=2, width=4096)
    assert "%dMiB" % plan["sizing"]["gomemlimit_mib"] == recorded["gomemlimit"]
    assert "%dMi" % plan["sizing"]["limit_mib"] == recorded["resources"]["limits"]["memory"]
    assert "%dMi" % plan["sizing"]["request_mib"] == recorded["resources"]["requests"]["memory"]


def test_recorded_file_is_the_one_the_integration_test_writes():
    """Same keys per variant as tests/integration/test_role_render_identity.py's digest()."""
    with open(os.path.join(DATA, "collector_renders.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    for kind in data.values():
        for rec in kind.values():
            assert set(rec) == {"config_sha256", "objects_sha256", "gomemlimit", "resources"}


# The renders of every variant while otel_collector_image defaulted to 0.114.0 (recorded at 7a8ff6d, the
# commit before the default moved to 0.159.0). A user who pins 0.114.0 must get exactly those bytes. The
# sampler entries were re-recorded with the measured memory sizing (a change for every release; their
# objects_sha256 is not recorded, null).
PINNED_0_114_0 = _load(os.path.join(DATA, "collector_renders_0.114.0.json"))
IMAGE_0_114_0 = "otel/opentelemetry-collector-contrib:0.114.0"


def _own_image(variant):
    return "otel_collector_image" in variant or bool(variant.get("tail_sampler_image"))


@pytest.mark.parametrize("name", sorted(n for n, v in VARIANTS["agent"].items() if n not in REFUSED and not _own_image(v)))
def test_agent_config_pinned_to_0_114_0_is_unchanged(name):
    variant = dict(VARIANTS["agent"][name], otel_collector_image=IMAGE_0_114_0)
    plan = otel_config.plan("agent", role_values("agent", variant))
    assert config_sha256(plan["config"]) == PINNED_0_114_0["agent"][name]["config_sha256"], to_nice_yaml(plan["config"])


@pytest.mark.parametrize("name", sorted(n for n, v in VARIANTS["sampler"].items() if not _own_image(v)))
def test_sampler_config_pinned_to_0_114_0_is_unchanged(name):
    variant = dict(VARIANTS["sampler"][name], tail_sampler_image=IMAGE_0_114_0)
    plan = otel_config.plan("sampler", role_values("sampler", variant))
    assert config_sha256(plan["config"]) == PINNED_0_114_0["sampler"][name]["config_sha256"], to_nice_yaml(plan["config"])
