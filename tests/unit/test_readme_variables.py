# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The README's variable table, the variables integration test and the roles' argument specs agree."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = ("otel_collector", "ceph_bucket", "jaeger_production", "tail_sampler")


def readme_rows():
    """``{variable: default cell}`` of the README's inventory variable table."""
    text = open(os.path.join(ROOT, "README.md")).read()
    table = text[text.index("| variable | default | meaning |"):]
    table = table[:table.index("\n\n")]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for name in re.findall(r"`([a-z0-9_]+)`", cells[0]):
            rows[name] = cells[1]
    return rows


def covered():
    """``VARIABLES`` of tests/integration/test_site_variables.py, read without importing it."""
    path = os.path.join(ROOT, "tests", "integration", "test_site_variables.py")
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "VARIABLES" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("no VARIABLES table in " + path)


def spec_options(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as f:
        return yaml.safe_load(f)["argument_specs"]["main"]["options"]


def test_readme_table_is_parsed():
    rows = readme_rows()
    assert "tracing_storage_mode" in rows and "ceph_bucket_retention_days" in rows and len(rows) >= 10


def test_every_documented_variable_has_a_row_in_the_variables_test():
    missing = sorted(set(readme_rows()) - set(covered()))
    assert not missing, "README variables without a row in tests/integration/test_site_variables.py: %s" % missing


def test_every_row_of_the_variables_test_is_documented():
    extra = sorted(set(covered()) - set(readme_rows()))
    assert not extra, "rows of test_site_variables.py missing from the README table: %s" % extra


def test_role_variables_of_the_readme_match_the_argument_specs():
    for name, default in readme_rows().items():
        role = [r for r in ROLES if name.startswith(r + "_")]
        if not role:
            assert name.startswith("tracing_"), name  # site-level variables are tracing_*
            continue
        options = spec_options(role[0])
        assert name in options, "%s is in the README but not in roles/%s/meta/argument_specs.yml" % (name, role[0])
        literal = re.match(r"^`([^`]*)`$", default)
        if literal:
            assert str(options[name].get("default")) == literal.group(1), (name, default, options[name].get("default"))
