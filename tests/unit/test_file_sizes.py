# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No shipped Python file over 300 lines (house style): every ``*.py`` under plugins/, split by topic when it grows.

A symlink (the action plugins share one file) is counted once, as its target.
"""

import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, "plugins")
MAX_LINES = 300
# Files another branch is rewriting; each entry must name the branch, and the test fails (strict xfail)
# as soon as the file fits, so the entry is removed then.
BEING_MOVED = {
}


def shipped_python():
    out = []
    for folder, _dirs, files in os.walk(PLUGINS):
        for name in files:
            path = os.path.join(folder, name)
            if name.endswith(".py") and not os.path.islink(path):
                out.append(os.path.relpath(path, PLUGINS))
    return sorted(out)


def _case(rel):
    if rel in BEING_MOVED:
        return pytest.param(rel, marks=pytest.mark.xfail(strict=True, reason=BEING_MOVED[rel]), id=rel)
    return pytest.param(rel, id=rel)


def test_the_walk_finds_the_plugins():
    found = shipped_python()
    assert "modules/k8s_apply.py" in found and "module_utils/preflight/__init__.py" in found
    assert "module_utils/readiness/registry.py" in found
    assert set(BEING_MOVED) <= set(found), "remove entries of BEING_MOVED that no longer exist"


@pytest.mark.parametrize("rel", [_case(rel) for rel in shipped_python()])
def test_no_shipped_python_file_exceeds_300_lines(rel):
    with open(os.path.join(PLUGINS, rel)) as handle:
        lines = len(handle.read().splitlines())
    assert lines <= MAX_LINES, "plugins/%s has %d lines (at most %d): split it by topic" % (rel, lines, MAX_LINES)
