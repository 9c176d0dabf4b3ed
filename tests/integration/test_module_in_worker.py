# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's modules run in the worker (plugins/plugin_utils/in_worker.py) with the same effect.

Through real ansible-playbook against a twin: each module, run in the worker and as a separate
process (tracing_modules_in_worker: false), returns the same result, fails the same way, masks the
same secrets at -vvvv with --diff, writes nothing in check mode, and keeps loop items apart.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from runner import localhost_play, run_playbook, twin_module_defaults, twin_stats

IN_WORKER = "runs in the worker"
PROCESS = "runs as a separate process: tracing_modules_in_worker is false"
SECRET = "in-worker-s3cr3t-7f31"


def _run(env, task, in_worker, check=False, diff=False, verbosity=3):
    task = dict(task, register="r", ignore_errors=True, vars={"tracing_modules_in_worker": in_worker})
    play = localhost_play([task], module_defaults=twin_module_defaults(env))
    run = run_playbook([play], check=check, diff=diff, verbosity=verbosity, dump=("r",))
    assert "r" in run.results, run.output
    assert (IN_WORKER if in_worker else PROCESS) in run.output, run.output[-3000:]
    return run.results["r"], run.output


@pytest.fixture(scope="module")
def own_twin(module_twin_factory):
    return module_twin_factory(before_state=True)


def _both(env, task, **kwargs):
    worker, worker_out = _run(env, task, True, **kwargs)
    process, process_out = _run(env, task, False, **kwargs)
    return worker, process, worker_out + process_out


def test_readiness_report_is_the_same(own_twin):
    task = {"name": "score", "talos_homelab.tracing.tracing_readiness": {"fail_under": 0}}
    worker, process, _out = _both(own_twin, task)
    assert worker["report"] == process["report"] and "Jaeger: 30/100" in worker["report"]
    assert worker == process


def test_a_refusal_is_the_same_and_writes_nothing(own_twin):
    task = {"name": "apply", "talos_homelab.tracing.k8s_apply": {
        "objects": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "default"}}]}}
    twin_stats(own_twin, reset=True)
    worker, process, _out = _both(own_twin, task)
    assert worker["failed"] and worker["msg"] == process["msg"] and "Nothing was sent" in worker["msg"]
    assert twin_stats(own_twin)["writes"] == 0


def _secret_task(name):
    return {"name": "apply", "talos_homelab.tracing.k8s_apply": {"objects": [{
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"},
        "stringData": {"token": SECRET}}]}}


@pytest.mark.parametrize("in_worker", [True, False])
def test_secrets_masked_and_check_mode_writes_nothing(own_twin, in_worker):
    name = "in-worker-%s" % ("yes" if in_worker else "no")
    twin_stats(own_twin, reset=True)
    planned, out = _run(own_twin, _secret_task(name), in_worker, check=True, diff=True, verbosity=4)
    assert not planned.get("failed"), out[-3000:]
    assert planned["changed"] is True and twin_stats(own_twin)["writes"] == 0
    applied, out2 = _run(own_twin, _secret_task(name), in_worker, diff=True, verbosity=4)
    assert applied["changed"] is True and twin_stats(own_twin)["writes"] >= 1
    again, out3 = _run(own_twin, _secret_task(name), in_worker, diff=True, verbosity=4)
    assert again["changed"] is False
    assert SECRET not in out + out2 + out3


def test_loop_items_keep_their_own_arguments(own_twin):
    task = {"name": "apply", "loop": ["in-worker-a", "in-worker-b"], "talos_homelab.tracing.k8s_apply": {"objects": [{
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "{{ item }}", "namespace": "default"},
        "data": {"name": "{{ item }}"}}]}}
    result, out = _run(own_twin, task, True)
    ids = [item["results"][0]["id"] for item in result["results"]]
    assert ids == ["ConfigMap/default/in-worker-a", "ConfigMap/default/in-worker-b"], out[-3000:]
