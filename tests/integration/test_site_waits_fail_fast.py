"""The roles' waits stop at once, with the reason, when the object they wait for does not exist
(issue 9 item 6): before, a Deployment whose create was lost made the wait poll to its 600 s timeout.

Each row runs one role's wait tasks (``tasks_from: wait``) against a namespace where nothing exists,
with the role's default (long) timeout, and asserts the failure names the missing object and that the
twin saw at most two reads of that kind (one poll, not a poll every few seconds).
"""

from __future__ import annotations

import os

import pytest

from runner import PLAYBOOK_BIN, assert_clean_failure, localhost_play, run_playbook, twin_stats

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

# (id, role, role vars, resource counted by the twin, needles of the message)
CASES = [
    ("jaeger-tempo", "jaeger_production", {"jaeger_production_namespace": "nothing-here"}, "statefulsets.apps",
     ["StatefulSet nothing-here/tempo", "does not exist", "stopped at once instead of polling for 600 s"]),
    ("jaeger-grpc-plugin", "jaeger_production",
     {"jaeger_production_namespace": "nothing-here", "jaeger_production_storage_mode": "grpc-plugin"}, "jaegers.jaegertracing.io",
     ["Jaeger nothing-here/jaeger", "does not exist", "stopped at once"]),
    ("otel-collector", "otel_collector", {"otel_collector_namespace": "nothing-here"}, "daemonsets.apps",
     ["DaemonSet nothing-here/otel-collector", "does not exist", "stopped at once instead of polling for 300 s"]),
]


@pytest.mark.parametrize("case_id, role, role_vars, resource, needles", CASES, ids=[c[0] for c in CASES])
def test_wait_for_a_missing_object_fails_at_once(twin, case_id, role, role_vars, resource, needles):
    task = {"name": "wait tasks of " + role, "ansible.builtin.include_role": {
        "name": "talos_homelab.tracing." + role, "tasks_from": "wait"}, "vars": dict(role_vars, **(
            {"jaeger_production_kubeconfig": twin["KUBECONFIG"]} if role == "jaeger_production" else {}))}
    # The waits are talos_homelab.tracing.k8s_apply tasks (its wait option): the collection's group.
    play = localhost_play([task], module_defaults={"group/kubernetes.core.k8s": {"kubeconfig": twin["KUBECONFIG"]},
                                                   "group/talos_homelab.tracing.tracing": {"kubeconfig": twin["KUBECONFIG"]}})
    twin_stats(twin, reset=True)
    run = run_playbook([play], timeout=240)
    assert run.rc != 0, run.output[-3000:]
    msg = assert_clean_failure(run.output)
    for needle in needles:
        assert needle in msg, f"{needle!r} not in: {msg}"
    assert "Fix:" in msg
    stats = twin_stats(twin)
    assert stats["by_resource"].get(resource, 0) <= 2, stats["by_resource"]
    assert stats["writes"] == 0
