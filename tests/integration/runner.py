# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared helpers of the integration tests: run ansible-playbook against the twin, read its counters.

* ``ROOT``, ``COLLECTIONS``, ``PYTHON`` (the venv's interpreter when there is one), ``PLAYBOOK_BIN``.
* ``ensure_collection_link()``: ``COLLECTIONS/ansible_collections/talos_homelab/tracing`` -> ``ROOT``.
* ``run_playbook(plays=None, playbook=None, ...)``: one ansible-playbook run (inline plays or a
  playbook path/FQCN) with extra vars, ``--check``/``--diff``/``-v``, extra arguments, environment
  (KUBECONFIG, ...), cwd and timeout; returns a ``PlaybookRun`` (``rc``, ``stdout``, ``stderr``,
  ``output``, ``recap`` counts of localhost, ``results``: the registered results named in ``dump``).
* ``run_module(module, args, ...)``: one task of ``module`` (``ignore_errors``), returns
  ``(result, output, rc)``.
* ``twin_stats(env, reset=False)``: the twin's request counters (``/_twin/stats``), reset first on demand.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
VENV_PY = os.path.join(ROOT, ".venv", "bin", "python")
PYTHON = VENV_PY if os.path.exists(VENV_PY) else sys.executable
PLAYBOOK_BIN = os.path.join(os.path.dirname(PYTHON), "ansible-playbook")

# Plain, quiet output; the union of what the tests used to set one by one.
ANSIBLE_ENV = {
    "ANSIBLE_NOCOLOR": "1",
    "ANSIBLE_FORCE_COLOR": "0",
    "ANSIBLE_LOCALHOST_WARNING": "false",
    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
    "ANSIBLE_RETRY_FILES_ENABLED": "false",
    "ANSIBLE_HOST_KEY_CHECKING": "false",
}
RECAP_RE = re.compile(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def ensure_collection_link():
    """Make the repository importable as talos_homelab.tracing under ``COLLECTIONS``."""
    link = os.path.join(COLLECTIONS, "ansible_collections", "talos_homelab", "tracing")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)


def parse_recap(output):
    """``{ok, changed, unreachable, failed}`` of localhost from the PLAY RECAP, ``{}`` without one."""
    match = RECAP_RE.search(output)
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups()))) if match else {}


class PlaybookRun(object):
    """The outcome of one ansible-playbook run."""

    def __init__(self, rc, stdout, stderr, results):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.output = stdout + stderr
        self.recap = parse_recap(self.output)
        self.results = results


def _dump_tasks(names, tmp, no_log):
    """Tasks that write each registered variable of ``names`` to ``tmp/result-NAME.json``."""
    tasks = []
    for name in names:
        task = {"name": "dump %s" % name, "ansible.builtin.copy": {"content": "{{ %s | to_json }}" % name,
                                                                   "dest": os.path.join(tmp, "result-%s.json" % name)},
                "check_mode": False, "diff": False}
        if no_log:
            task["no_log"] = True
        tasks.append(task)
    return tasks


def run_playbook(plays=None, playbook=None, extra_vars=None, check=False, diff=False, verbosity=0, args=(),
                 env=None, inventory=None, cwd=ROOT, timeout=300, dump=(), dump_no_log=False, collection=True):
    """Run ansible-playbook once and return a ``PlaybookRun``.

    ``plays``: a list of plays written to a temporary playbook; or ``playbook``: a path or FQCN.
    ``dump``: names registered by the (last) play's tasks; each is appended as a dump task and read
    back into ``results[name]`` (missing when the play stopped before it). ``inventory``: ``-i`` value
    (none: the implicit localhost). ``env`` is added to ``os.environ`` and ``ANSIBLE_ENV``;
    ``collection`` links this repository and sets ``ANSIBLE_COLLECTIONS_PATH``.
    """
    if (plays is None) == (playbook is None):
        raise ValueError("give either plays or playbook")
    run_env = dict(os.environ, **ANSIBLE_ENV)
    if collection:
        ensure_collection_link()
        run_env["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS
    run_env.update(env or {})
    with tempfile.TemporaryDirectory(prefix="it-play-") as tmp:
        if plays is not None:
            plays = [dict(play) for play in plays]
            if dump:
                plays[-1]["tasks"] = list(plays[-1].get("tasks", [])) + _dump_tasks(dump, tmp, dump_no_log)
            playbook = os.path.join(tmp, "play.yml")
            with open(playbook, "w") as f:
                json.dump(plays, f)
        cmd = [PLAYBOOK_BIN]
        if inventory is not None:
            cmd += ["-i", inventory]
        cmd.append(playbook)
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        cmd += list(args)
        proc = subprocess.run(cmd, cwd=cwd, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)
        results = {}
        for name in dump:
            path = os.path.join(tmp, "result-%s.json" % name)
            if os.path.exists(path):
                with open(path) as f:
                    results[name] = json.load(f)
    return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, results)


def localhost_play(tasks, name="integration", interpreter=PYTHON, module_defaults=None):
    """A play on localhost (local connection, no facts) running ``tasks``."""
    play = {"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars": {"ansible_python_interpreter": interpreter}, "tasks": tasks}
    if module_defaults:
        play["module_defaults"] = module_defaults
    return play


def run_module(module, args, check=False, diff=False, verbosity=0, env=None, inventory="localhost,",
               interpreter=PYTHON, dump_no_log=False, timeout=300):
    """Run one task of ``module`` with ``args`` (errors ignored) through ansible-playbook.

    Returns ``(result, output, rc)``; ``result`` is the registered task result.
    """
    task = {"name": "module under test", module: args, "register": "r", "ignore_errors": True}
    run = run_playbook([localhost_play([task], interpreter=interpreter)], check=check, diff=diff, verbosity=verbosity,
                       env=env, inventory=inventory, timeout=timeout, dump=("r",), dump_no_log=dump_no_log)
    if "r" not in run.results:
        raise AssertionError("ansible-playbook produced no result (rc %s):\n%s" % (run.rc, run.output))
    return run.results["r"], run.output, run.rc


def twin_stats(env, reset=False):
    """The twin's request counters (what ``python -m tests.twin stats --env-file F [--reset]`` prints)."""
    path = "/_twin/stats/reset" if reset else "/_twin/stats"
    req = urllib.request.Request(env["TWIN_URL"] + path, data=b"{}" if reset else None, method="POST" if reset else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")
