# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's own modules inside the Ansible worker, when that is the same as running them.

Every module of this collection talks to the Kubernetes API (and RGW) from the controller: the site
playbook runs on localhost with the local connection and the controller's own Python. Started as a
separate process, each module run costs a Python start-up plus the import of the ``kubernetes``
client (about 0.6 s of the 1.2-2 s a module task takes here, tests/bench/site_rerun.py), and the site
runs eight of them. ansible.netcommon runs network modules the same way ("direct execution" in its
network action plugin, hooked through ``AnsibleModule._record_module_result``, whose ansible-core 2.19
docstring names that use).

How: the action plugin gives the module its arguments exactly as AnsiballZ does (the task arguments
plus ActionBase's internal ``_ansible_*`` ones, JSON-encoded with the module's serialization profile),
runs the module's own ``main()`` with its standard output captured, and parses that output with
ActionBase's own parser. Argument validation, check mode, diff and no_log masking are the module's,
unchanged.

It runs in the worker only when that changes nothing but the time: the ansible-core release is one the
tests run (``TESTED_CORE``: the path sets AnsibleModule internals of that release), the connection is
local, the task uses the controller's Python as its interpreter, and has no become, async or task
environment. Otherwise, or with ``tracing_modules_in_worker: false``, the module runs as usual, as a
separate process (``-vvv`` says why).

The five action plugins are one file, ``plugins/action/k8s_apply.py``; the others are symlinks to it (as
kubernetes.core's ``plugins/action/k8s_info.py``), and each serves the module it is named after.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import traceback

from ansible import constants as C
from ansible.release import __version__ as CORE_VERSION
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.vars.clean import remove_internal_keys

try:  # ansible-core 2.19 and later: module messages are encoded with a serialization profile
    from ansible.module_utils.common.json import Direction, get_module_encoder
except ImportError:  # older ansible-core: the module always runs as a separate process
    get_module_encoder = None

display = Display()

COLLECTION = "talos_homelab.tracing"
# The profile ansible-core gives a module without metadata (executor/module_common.py
# _DEFAULT_LEGACY_METADATA); the collection's modules declare none.
PROFILE = "legacy"
# The variable that turns it off (default on).
SWITCH = "tracing_modules_in_worker"
_AUTO = ("auto", "auto_legacy", "auto_silent", "auto_legacy_silent")
# The ansible-core releases the in-worker path is tested with (requirements.lock, tests/integration/
# test_module_in_worker.py): it sets AnsibleModule's private _ANSIBLE_ARGS, _ANSIBLE_PROFILE and
# _PARSED_MODULE_ARGS, which another release may rename. Beyond them a module runs as a process.
TESTED_CORE = ((2, 19),)


def core_release(version: str) -> tuple[int, int] | None:
    """``(major, minor)`` of an ansible-core version string (``"2.19.14"`` -> ``(2, 19)``), ``None`` when unreadable."""
    parts = str(version).split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def module_name(action_name: str) -> str:
    """The module an action plugin serves: the last part of its Python name (the file or symlink it is loaded as)."""
    return action_name.rsplit(".", 1)[-1]


def module_package(name):
    """The Python name of one of the collection's modules, e.g. ``...plugins.modules.k8s_apply``."""
    return "ansible_collections.%s.plugins.modules.%s" % (COLLECTION, name)


def preload(name):
    """Import the module (and so the ``kubernetes`` client it imports) once, where the plugin is loaded.

    ansible-core's linear strategy loads the action plugin class in the main process for every task
    (plugins/strategy/linear.py, BYPASS_HOST_LOOP check); the workers it forks then find the imports
    done. A failed import is left to the module's run, which reports it with the fix.
    """
    try:
        importlib.import_module(module_package(name))
    except Exception:  # pylint: disable=broad-except
        pass


def why_not(connection, interpreter, executable, become, async_val, environment, switch, core_version=CORE_VERSION):
    """Why the module must run as a separate process; ``None`` when the worker is the same place."""
    if get_module_encoder is None:
        return "ansible-core is older than 2.19"
    if core_release(core_version) not in TESTED_CORE:
        return "ansible-core %s is not a release the in-worker path is tested with (%s)" % (
            core_version, ", ".join("%d.%d.x" % release for release in TESTED_CORE))
    if not switch:
        return "%s is false" % SWITCH
    if connection != "local":
        return "the connection is %s, not local" % connection
    if become:
        return "the task uses become"
    if async_val:
        return "the task is async"
    if any(environment or []):
        return "the task sets an environment"
    if not interpreter or os.path.abspath(interpreter) != os.path.abspath(executable):
        return "the interpreter %s is not the controller's %s" % (interpreter, executable)
    return None


def run_main(main, args):
    """Run a module's ``main()`` the way AnsiballZ runs it: ``{"rc", "stdout", "stderr"}``."""
    from ansible.module_utils import basic

    encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
    # What AnsiballZ hands the module (ansible/module_utils/basic.py _load_params); reset for every
    # run, since a loop or an until retry runs the action again in the same worker.
    basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}, cls=encoder).encode()
    basic._ANSIBLE_PROFILE = PROFILE
    basic._PARSED_MODULE_ARGS = None
    out, err = io.StringIO(), io.StringIO()
    rc = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception:  # pylint: disable=broad-except
        # What AnsiballZ does with a module's uncaught exception: a traceback on stderr, rc 1.
        rc = 1
        err.write(traceback.format_exc())
    finally:
        basic._ANSIBLE_ARGS = None
        basic._PARSED_MODULE_ARGS = None
    return {"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue()}


class ModuleInWorker(ActionBase):
    """The action plugin of each of the collection's modules (plugins/action/<module>.py, one file symlinked)."""

    _supports_check_mode = True
    _supports_async = True

    def _interpreter(self, task_vars):
        value = self._templar.template(C.config.get_config_value("INTERPRETER_PYTHON", variables=task_vars))
        if value in _AUTO:
            value = (task_vars.get("ansible_facts") or {}).get("discovered_interpreter_python")
        return value

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ModuleInWorker, self).run(tmp, task_vars)
        name = (self._task.resolved_action or self._task.action).split(".")[-1]
        fqcn = "%s.%s" % (COLLECTION, name)
        reason = why_not(
            connection=self._connection.transport,
            interpreter=self._interpreter(task_vars),
            executable=sys.executable,
            become=self._play_context.become,
            async_val=self._task.async_val,
            environment=self._task.environment,
            switch=boolean(self._templar.template(task_vars.get(SWITCH, True)), strict=False),
        )
        if reason:
            display.vvv("%s runs as a separate process: %s." % (fqcn, reason))
            result.update(self._execute_module(module_name=fqcn, task_vars=task_vars, wrap_async=self._task.async_val))
            return result
        display.vvv("%s runs in the worker (local connection, the controller's Python)." % fqcn)
        args = dict(self._task.args)
        self._update_module_args(fqcn, args, task_vars)
        main = importlib.import_module(module_package(name)).main
        data = self._parse_returned_data(run_main(main, args), PROFILE)
        # As ActionBase._execute_module does after parsing.
        data.pop("_ansible_suppress_tmpdir_delete", None)
        remove_internal_keys(data)
        result.update(data)
        return result
