# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight's tail_sampler section: the role's defaults pass, a bad value fails before any write."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils import preflight as pf

from .test_preflight import FakeClient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def defaults():
    with open(os.path.join(ROOT, "roles", "tail_sampler", "defaults", "main.yml")) as f:
        return yaml.safe_load(f)


def test_role_defaults_pass_and_the_namespace_is_read():
    client = FakeClient({("namespaces", "jaeger"): {"metadata": {"name": "jaeger"}}})
    result, failed = pf.run(dict(tail_sampler=defaults(), nothing_written=True), client_factory=lambda p: client)
    assert failed is None
    assert client.calls == [("namespaces", None, "jaeger")]
    assert result["effective"]["tail_sampler_namespace_missing"] is False


def test_missing_namespace_is_reported_for_check_mode():
    result, failed = pf.run(dict(tail_sampler=defaults()), client_factory=lambda p: FakeClient({}))
    assert failed is None and result["effective"]["tail_sampler_namespace_missing"] is True


def test_bad_values_fail_with_the_variable_and_the_fix():
    bad = dict(defaults(), tail_sampler_baseline_percentage=150, tail_sampler_decision_wait="soon")
    result, failed = pf.run(dict(tail_sampler=bad, nothing_written=True), client_factory=lambda p: FakeClient({}))
    assert failed.startswith("Failed to validate the inputs of the run (2 problems)")
    assert "tail_sampler_baseline_percentage 150 must be a number in (0, 100]" in failed
    assert "tail_sampler_decision_wait 'soon' must be a positive duration" in failed
    assert "Fix: correct the tail_sampler_* variables" in failed and failed.endswith("Nothing was written.")


def test_no_section_no_read():
    client = FakeClient({})
    pf.run(dict(nothing_written=True), client_factory=lambda p: client)
    assert client.calls == []
