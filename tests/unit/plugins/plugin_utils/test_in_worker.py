# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plugin_utils/in_worker.py: when a module may run in the worker, and that it then runs as AnsiballZ runs it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.talos_homelab.tracing.plugins.plugin_utils import in_worker

PY = "/opt/venv/bin/python"
SAME = dict(connection="local", interpreter=PY, executable=PY, become=False, async_val=0, environment=[], switch=True)


def test_same_place_runs_in_worker():
    assert in_worker.why_not(**SAME) is None


@pytest.mark.parametrize("change, words", [
    (dict(switch=False), "tracing_modules_in_worker is false"),
    (dict(connection="ssh"), "connection is ssh"),
    (dict(become=True), "become"),
    (dict(async_val=30), "async"),
    (dict(environment=[{"K8S_AUTH_CONTEXT": "admin"}]), "environment"),
    (dict(interpreter="/usr/bin/python3"), "not the controller's"),
    (dict(interpreter=None), "not the controller's"),
    # A symlink to the same binary is another environment (a venv's python links to the base one).
    (dict(interpreter="/opt/venv/bin/../bin/python3"), "not the controller's"),
])
def test_every_difference_keeps_a_separate_process(change, words):
    assert words in in_worker.why_not(**dict(SAME, **change))


def test_empty_environment_entries_are_no_environment():
    args = dict(SAME)
    args["environment"] = [{}]
    assert in_worker.why_not(**args) is None


def _main():
    module = AnsibleModule(argument_spec=dict(name=dict(type="str", required=True),
                                              token=dict(type="str", no_log=True),
                                              boom=dict(type="bool", default=False)),
                           supports_check_mode=True)
    if module.params["boom"]:
        raise RuntimeError("uncaught")
    if module.params["name"] == "bad":
        module.fail_json(msg="bad name, token %s" % module.params["token"])
    module.exit_json(changed=not module.check_mode, name=module.params["name"], echo=module.params["token"])


def _result(run):
    return json.loads(run["stdout"])


def test_exit_json_is_captured_with_no_log_masked_and_check_mode_honoured():
    run = in_worker.run_main(_main, {"name": "a", "token": "s3cr3t-value", "_ansible_check_mode": True})
    assert run["rc"] == 0
    result = _result(run)
    assert result["name"] == "a" and result["changed"] is False
    assert "s3cr3t-value" not in run["stdout"] + run["stderr"]
    assert result["invocation"]["module_args"]["token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def test_fail_json_gives_rc_1_and_its_message_masked():
    run = in_worker.run_main(_main, {"name": "bad", "token": "s3cr3t-value"})
    assert run["rc"] == 1
    result = _result(run)
    assert result["failed"] is True and "bad name" in result["msg"] and "s3cr3t-value" not in run["stdout"]


def test_argument_errors_are_the_modules_own():
    run = in_worker.run_main(_main, {"token": "x"})
    assert run["rc"] == 1 and "missing required arguments: name" in _result(run)["msg"]


def test_an_uncaught_exception_is_a_traceback_on_stderr():
    run = in_worker.run_main(_main, {"name": "a", "boom": True})
    assert run["rc"] == 1 and run["stdout"] == "" and "RuntimeError: uncaught" in run["stderr"]


def test_each_run_gets_its_own_arguments():
    # A loop or an until retry runs the action again in the same worker: no arguments carry over.
    first = _result(in_worker.run_main(_main, {"name": "first", "token": "one"}))
    second = _result(in_worker.run_main(_main, {"name": "second"}))
    assert (first["name"], second["name"], second["echo"]) == ("first", "second", None)


def test_every_module_has_its_action_plugin():
    import importlib
    import os
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    action_dir = os.path.join(root, "plugins", "action")
    modules = sorted(f for f in os.listdir(os.path.join(root, "plugins", "modules")) if f.endswith(".py") and f != "__init__.py")
    actions = sorted(f for f in os.listdir(action_dir) if f.endswith(".py") and f != "__init__.py")
    assert modules == actions
    # One file, the others symlinks to it (as kubernetes.core's plugins/action/k8s_info.py).
    assert [f for f in actions if not os.path.islink(os.path.join(action_dir, f))] == ["k8s_apply.py"]
    assert all(os.readlink(os.path.join(action_dir, f)) == "k8s_apply.py" for f in actions if f != "k8s_apply.py")
    with open(os.path.join(action_dir, "k8s_apply.py")) as f:
        text = f.read()
    assert "preload(module_name(__name__))" in text and "class ActionModule(ModuleInWorker)" in text
    # Loaded under each name, the file preloads the module of that name.
    for name in actions:
        module = in_worker.module_package(name[:-3])
        sys.modules.pop(module, None)
        action = importlib.import_module("ansible_collections.talos_homelab.tracing.plugins.action.%s" % name[:-3])
        assert in_worker.module_name(action.__name__) == name[:-3] and module in sys.modules
        assert issubclass(action.ActionModule, in_worker.ModuleInWorker)


@pytest.mark.parametrize("version, runs_in_worker", [
    ("2.19.0", True), ("2.19.14", True), ("2.19.15rc1", True),
    ("2.20.0", False), ("2.18.9", False), ("3.0.0", False), ("devel", False),
])
def test_the_in_worker_path_is_capped_at_the_tested_ansible_core(version, runs_in_worker):
    reason = in_worker.why_not(**dict(SAME, core_version=version))
    if runs_in_worker:
        assert reason is None
    else:
        assert reason == "ansible-core %s is not a release the in-worker path is tested with (2.19.x)" % version


def test_the_installed_ansible_core_is_a_tested_one():
    """The cap follows the lock: moving to another ansible-core means running the tests and widening TESTED_CORE."""
    assert in_worker.core_release(in_worker.CORE_VERSION) in in_worker.TESTED_CORE
