# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One test harness (issue 13): every integration test goes through tests/integration/runner.py and the
fixtures of tests/integration/conftest.py.

Each ``tests/integration/test_*.py`` is parsed with ``ast`` and must not

* import another test module (``test_*``, ``tests.integration.test_*``) or conftest (fixtures are
  injected by pytest);
* run a playbook itself: a subprocess call naming ``ansible-playbook`` (a string or a name such as
  ``PLAYBOOK_BIN``), or a module-level name for the ansible-playbook binary (``runner.run_playbook``
  is the one way);
* start a twin itself: a subprocess call running ``tests.twin`` (``runner.twin_cli`` is the CLI), a
  function or class whose name says it starts a twin (``start_twin``, ``Twin``, ...), or a call of the
  launchers that conftest's fixtures wrap (``start_twin``, ``stop_twin``, ``serve``, ``rgw.start``,
  ``Controllers``).

The rule functions are tested on small sources too, so a rule that never fires fails here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import glob
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INTEGRATION = os.path.join(ROOT, "tests", "integration")
TEST_MODULES = sorted(glob.glob(os.path.join(INTEGRATION, "test_*.py")))

SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput"}
OS_CALLS = {"system", "popen", "execv", "execvp", "execve", "spawnv", "spawnvp"}
STARTER_NAME = re.compile(r"^_*(start|stop|launch|boot|spawn|make|new|run)_?(twin|apiserver|api_server|rgw|radosgw)s?$", re.I)
STARTER_CLASS = re.compile(r"^_*(Twin|ApiServer|Rgw|RGW)[A-Za-z]*$")
# Launchers that only conftest.py may call (its start_twin/twin/twin_factory/module_twin_factory,
# apiserver_factory/module_apiserver_factory, private_rgw and controlplane fixtures wrap them).
LAUNCHERS = {"start_twin", "stop_twin", "serve", "Controllers", "start_moto", "ControlPlane"}
RGW_LAUNCHERS = {"start", "stop"}


def _dotted(node):
    """``a.b.c`` of a Name/Attribute chain, else ''."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _strings_and_names(node):
    """Every string constant and every Name/Attribute identifier below ``node``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value
        elif isinstance(sub, ast.Name):
            yield sub.id
        elif isinstance(sub, ast.Attribute):
            yield sub.attr


def _is_process_call(call):
    name = _dotted(call.func)
    head, _sep, tail = name.rpartition(".")
    if head.endswith("subprocess") and tail in SUBPROCESS_CALLS:
        return True
    if head == "os" and tail in OS_CALLS:
        return True
    return name in ("Popen", "check_output", "check_call")  # from subprocess import ...


def _names_playbook(value):
    return value == "ansible-playbook" or value.endswith("/ansible-playbook") or "PLAYBOOK" in value.upper().replace("-", "_")


def _names_twin_cli(values):
    return "tests.twin" in values or any(v.startswith("tests.twin ") or v.startswith("-m tests.twin") for v in values)


def violations(source, filename="test_x.py"):
    """The harness rules broken by ``source`` (a test module), as readable strings."""
    tree = ast.parse(source, filename)
    found = []
    rgw_aliases = set()  # names bound to the module tests.twin.rgw
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "tests.twin":
            rgw_aliases.update(a.asname or a.name for a in node.names if a.name == "rgw")
        elif isinstance(node, ast.Import):
            rgw_aliases.update(a.asname for a in node.names if a.name == "tests.twin.rgw" and a.asname)
            if any(a.name == "tests.twin.rgw" and not a.asname for a in node.names):
                rgw_aliases.add("tests.twin.rgw")
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                last = alias.name.rpartition(".")[2]
                if last.startswith("test_") or last == "conftest":
                    found.append("line %d: imports %s (another test module or conftest)" % (line, alias.name))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            last = module.rpartition(".")[2]
            if last.startswith("test_") or last == "conftest":
                found.append("line %d: imports from %s (another test module or conftest)" % (line, module))
            elif node.level and any(a.name.startswith("test_") or a.name == "conftest" for a in node.names):
                found.append("line %d: imports a test module or conftest relatively" % line)
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if _is_process_call(node):
                values = list(_strings_and_names(node))
                if any(_names_playbook(v) for v in values):
                    found.append("line %d: runs ansible-playbook in a subprocess (use runner.run_playbook)" % line)
                if _names_twin_cli(values):
                    found.append("line %d: runs the twin's CLI in a subprocess (use runner.twin_cli or the conftest fixtures)" % line)
            last = name.rpartition(".")[2]
            if last in LAUNCHERS:
                found.append("line %d: calls %s (start twins with the conftest fixtures)" % (line, name))
            elif last in RGW_LAUNCHERS and name.rpartition(".")[0] in rgw_aliases:
                found.append("line %d: calls %s (a private RGW comes from conftest's private_rgw)" % (line, name))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if (STARTER_CLASS if isinstance(node, ast.ClassDef) else STARTER_NAME).match(node.name):
                found.append("line %d: defines %s (start twins with the conftest fixtures)" % (line, node.name))
        elif isinstance(node, ast.Assign):
            for value in _strings_and_names(node.value):
                if value == "ansible-playbook" or value.endswith("/ansible-playbook"):
                    targets = ", ".join(_dotted(t) for t in node.targets)
                    found.append("line %d: %s names the ansible-playbook binary (use runner.PLAYBOOK_BIN / run_playbook)" % (line, targets))
    return found


# ---------------------------------------------------------------------- the rules on the repository
def test_there_are_integration_test_modules():
    assert len(TEST_MODULES) >= 20, TEST_MODULES


@pytest.mark.parametrize("path", TEST_MODULES, ids=[os.path.basename(p) for p in TEST_MODULES])
def test_integration_module_uses_the_one_harness(path):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    found = violations(source, path)
    assert not found, "%s breaks the harness rules:\n  %s" % (os.path.relpath(path, ROOT), "\n  ".join(found))


def test_the_harness_itself_has_the_one_runner_and_the_twin_start():
    """runner.py runs ansible-playbook and the twin's CLI; conftest.py starts twins through it."""
    with open(os.path.join(INTEGRATION, "runner.py"), encoding="utf-8") as f:
        runner = ast.parse(f.read())
    defined = {n.name for n in runner.body if isinstance(n, ast.FunctionDef)}
    assert {"run_playbook", "twin_command", "twin_cli", "run_role", "run_play", "run_site", "k8s_get"} <= defined, defined
    with open(os.path.join(INTEGRATION, "conftest.py"), encoding="utf-8") as f:
        conftest = ast.parse(f.read())
    fixtures = {n.name for n in conftest.body if isinstance(n, ast.FunctionDef)
                and any("fixture" in _dotted(d.func if isinstance(d, ast.Call) else d) for d in n.decorator_list)}
    assert {"twin", "twin_factory", "module_twin_factory", "apiserver_factory", "module_apiserver_factory", "private_rgw",
            "controlplane"} <= fixtures, fixtures


# ---------------------------------------------------------------------- the rules on examples
BAD = [
    ("from test_role_otel_collector import run_role\n", "imports from test_role_otel_collector"),
    ("import test_site_reliability\n", "imports test_site_reliability"),
    ("from tests.integration.test_x import y\n", "imports from tests.integration.test_x"),
    ("from conftest import start_twin\n", "imports from conftest"),
    ("def f():\n    from conftest import stop_twin\n", "imports from conftest"),
    ("import subprocess\nsubprocess.run([PLAYBOOK_BIN, 'p.yml'])\n", "runs ansible-playbook"),
    ("import subprocess\nsubprocess.run([ANSIBLE_PLAYBOOK, str(path), *args], check=False)\n", "runs ansible-playbook"),
    ("import subprocess\nsubprocess.Popen(['ansible-playbook', '-i', 'localhost,'])\n", "runs ansible-playbook"),
    ("import os\nos.system('ansible-playbook site.yml')\n", "runs ansible-playbook"),
    ("import os, sys\nBIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')\n", "names the ansible-playbook binary"),
    ("import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'tests.twin', 'up', '--env-file', f])\n", "runs the twin's CLI"),
    ("def start_twin(*flags):\n    pass\n", "defines start_twin"),
    ("class Twin(object):\n    pass\n", "defines Twin"),
    ("class TwinProcess:\n    pass\n", "defines TwinProcess"),
    ("def _start_rgw(state):\n    pass\n", "defines _start_rgw"),
    ("def _start(**opts):\n    return start_twin(**opts)\n", "calls start_twin"),
    ("srv = serve(store)\n", "calls serve"),
    ("ctrl = Controllers(store, None).start()\n", "calls Controllers"),
    ("from tests.twin import rgw\ninfo = rgw.start(state)\n", "calls rgw.start"),
    ("def f():\n    from tests.twin import rgw as launcher\n    launcher.stop(state)\n", "calls launcher.stop"),
    ("import tests.twin.rgw\ntests.twin.rgw.start(state)\n", "calls tests.twin.rgw.start"),
    ("from tests.twin.controlplane import ControlPlane\ncp = ControlPlane(d, k, e).start()\n", "calls ControlPlane"),
]
GOOD = [
    'from runner import PLAYBOOK_BIN, run_playbook, run_role\n"""Runs ansible-playbook through the runner."""\n',
    "import subprocess\nsubprocess.run(['git', '-C', ROOT, 'archive', 'v1'], check=True)\n",
    "def test_x(twin_factory):\n    env = twin_factory(nodes=1)\n",
    "import pytest\n@pytest.fixture(scope='module')\ndef flaky_twin(module_twin_factory):\n    return module_twin_factory(before_state=True)\n",
    "from tests.twin import rgw\nrgw.Ceph(state).admin('lc', 'process')\n",
    "def test_stats(twin):\n    st = twin.stats.snapshot()\n",
    "@pytest.fixture\ndef twin(apiserver_factory):\n    return apiserver_factory(Store())\n",
    "class StatusThread(threading.Thread):\n    pass\n",
    "def test_down(t):\n    p = twin_cli(t, 'down', check=False)\n    thread.start()\n",
]


@pytest.mark.parametrize("source, needle", BAD, ids=[b[1] + " #%d" % i for i, b in enumerate(BAD)])
def test_rule_fires_on_a_violation(source, needle):
    found = violations(source)
    assert any(needle in f for f in found), found


@pytest.mark.parametrize("source", GOOD, ids=["good #%d" % i for i in range(len(GOOD))])
def test_rule_is_quiet_on_harness_use(source):
    assert violations(source) == []
