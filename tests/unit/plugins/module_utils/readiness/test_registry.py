# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check registry (readiness/registry.py) is complete (file sizes: tests/unit/test_file_sizes.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import glob
import importlib
import inspect
import os

from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import registry
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import OPERATOR, TEMPO, Facts

from . import snapshots as s

PACKAGE = "ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness"
DIRECTORY = os.path.dirname(registry.__file__)
CHECK_MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(DIRECTORY, "*checks*.py")))


def _defined_check_functions():
    """``(module, name)`` of every ``check_*`` function defined in the check modules."""
    out = []
    for name in CHECK_MODULES:
        module = importlib.import_module("%s.%s" % (PACKAGE, name))
        for fname, func in inspect.getmembers(module, inspect.isfunction):
            if fname.startswith("check_") and func.__module__ == module.__name__:
                out.append((name, fname))
    return out


def test_the_check_modules_are_found():
    assert {"checks_otel", "checks_jaeger", "checks_tempo", "checks_jaeger_operator", "checks_storage",
            "sampling_checks"} <= set(CHECK_MODULES)
    assert len(_defined_check_functions()) >= len(registry.ALL_CHECKS)


def test_every_check_function_is_registered_exactly_once():
    registered = collections.Counter(
        (func.__module__.rsplit(".", 1)[-1], func.__name__) for check in registry.ALL_CHECKS for func in check.functions())
    defined = _defined_check_functions()
    assert [f for f in defined if registered[f] == 0] == [], "check functions missing from registry.ALL_CHECKS"
    assert [f for f, n in registered.items() if n > 1] == [], "check functions registered more than once"
    assert sorted(registered) == sorted(defined)


def test_check_ids_are_unique_and_every_component_is_known():
    ids = [c.meta["id"] for c in registry.ALL_CHECKS]
    assert len(ids) == len(set(ids)) == 39
    assert set(c.meta["component"] for c in registry.ALL_CHECKS) == set(registry.COMPONENTS)
    assert set(registry.COMPONENT_TITLES) == set(registry.COMPONENTS)


def test_every_check_runs_in_at_least_one_mode_and_only_storage_store_retention_is_tempo_only():
    assert all(c.impls[TEMPO] or c.impls[OPERATOR] for c in registry.ALL_CHECKS)
    assert [c.meta["id"] for c in registry.ALL_CHECKS if c.impls[OPERATOR] is None] == ["storage_store_retention"]
    assert [c.meta["id"] for c in registry.ALL_CHECKS if c.impls[TEMPO] is None] == []


def test_operator_mode_without_a_cr_answers_no_jaeger_for_the_checks_that_need_one():
    snap = s.before_state()
    snap["params"]["storage_mode"] = "grpc-plugin"
    snap["jaeger"]["crs"] = []
    facts, results = registry.run_checks(snap)
    assert facts.mode == OPERATOR
    by_id = dict((r["id"], r) for r in results)
    needing = [c.meta["id"] for c in registry.ALL_CHECKS if c.needs_cr]
    assert needing and all(by_id[i]["evidence"].startswith("no Jaeger in namespace jaeger") for i in needing)
    assert all(not by_id[i]["passed"] for i in needing)


def test_titles_and_fixes_name_the_configured_objects():
    snap = s.target_tempo()
    snap["params"].update(otel_otlp_grpc_port=14317, collector_service="traces-in", storage_secret_name="s3-creds")
    _facts, results = registry.run_checks(snap)
    by_id = dict((r["id"], r) for r in results)
    assert by_id["otel_otlp_receivers"]["title"] == "OTLP receivers on 0.0.0.0:14317/4318"
    assert by_id["jaeger_otlp"]["title"] == "OTLP enabled on traces-in:4317/4318"
    assert "Secret s3-creds" in by_id["jaeger_storage"]["fix"]
    assert "traces-in.jaeger:4317" in by_id["otel_exporters"]["fix"]


def test_facts_fill_in_the_role_defaults():
    names = Facts(s.target_tempo()).names
    assert (names["tempo_name"], names["query_name"], names["collector_service"]) == ("tempo", "jaeger-query", "jaeger-collector")
    assert (names["otel_otlp_grpc_port"], names["otel_otlp_http_port"], names["query_port"]) == (4317, 4318, 16686)
    assert (names["sampler_namespace"], names["sampler_name"], names["sampler_port"]) == ("jaeger", "otel-sampler", 4317)
    assert names["storage_secret_name"] == "jaeger-storage"
