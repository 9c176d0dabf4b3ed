"""Issue 20's acceptance on the twin's real backend (``--backend real``: kube-apiserver,
kube-controller-manager and kube-scheduler configured like Talos, tests/twin/controlplane):

* a DaemonSet whose updated pods crash-loop stops after ``maxUnavailable`` pods, and the old pods
  keep running and ready -- the real DaemonSet controller's rolling update (kubernetes v1.34.4
  pkg/controller/daemon/update.go rollingUpdate), which the emulator did not have;
* Pod Security admission (enforce ``baseline``, as Talos configures it) refuses the collector's
  hostPath pods once the ``pod-security.kubernetes.io/enforce: privileged`` label the role sets is
  removed from its namespace; the role's own run puts the label back and passes.

Both start their own real-backend twin (3 nodes) and skip when the control plane is not built.
"""

from __future__ import annotations

import os
import time

import pytest

from runner import PLAYBOOK_BIN, failure_messages, run_role, wait_for

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")
NS = "opentelemetry"
SELECTOR = "app.kubernetes.io/name=otel-collector"
PRIVILEGED = "pod-security.kubernetes.io/enforce"


@pytest.fixture
def real_twin(twin_factory):
    from tests.twin.controlplane import NotBuilt, binaries

    try:
        binaries(build=False)
    except NotBuilt as e:
        pytest.skip(f"the real control plane is not built ({e})")
    return twin_factory(before_state=True, nodes=3, backend="real")


def _api(env):
    from kubernetes import client

    return client.CoreV1Api(env["kube"]), client.AppsV1Api(env["kube"])


def _ready(pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def _pods(env) -> list:
    core, _apps = _api(env)
    return [p for p in core.list_namespaced_pod(NS, label_selector=SELECTOR).items if not p.metadata.deletion_timestamp]


def test_a_crash_looping_update_stops_after_max_unavailable(real_twin):
    env = real_twin
    rc, _recap, out = run_role(env, "otel_collector")
    assert rc == 0, out[-3000:]
    _core, apps = _api(env)
    ds = apps.read_namespaced_daemon_set("otel-collector", NS)
    good = {p.metadata.name: p.metadata.labels["controller-revision-hash"] for p in _pods(env)}
    assert len(good) == 3 and all(_ready(p) for p in _pods(env))
    max_unavailable = int(ds.spec.update_strategy.rolling_update.max_unavailable)
    assert max_unavailable < 3

    # a key otelcol-contrib refuses at start-up (test_site_startup_refusal.py has the binary's text)
    rc, _recap, out = run_role(env, "otel_collector", {
        "otel_collector_config_overrides": {"processors": {"batch": {"send_batch_size": None, "send_batch_sise": 8192}}},
        "otel_collector_wait_retries": 10, "otel_collector_wait_delay": 2})
    assert rc != 0, out[-3000:]
    assert failure_messages(out)[-1].startswith("Failed to roll out DaemonSet opentelemetry/otel-collector"), out[-3000:]

    time.sleep(10)  # the controller has had time to go on, if it were to
    pods = _pods(env)
    new = [p for p in pods if p.metadata.name not in good]
    old = [p for p in pods if p.metadata.name in good]
    assert len(new) == max_unavailable, [p.metadata.name for p in pods]
    for pod in new:
        (cs,) = pod.status.container_statuses
        assert cs.state.waiting.reason == "CrashLoopBackOff"
        assert "has invalid keys: send_batch_sise" in cs.last_state.terminated.message  # the binary's words (0.159.0: 'batchprocessor.Config' has ...)
        assert not _ready(pod)
    assert len(old) == 3 - max_unavailable
    assert all(_ready(p) and p.status.phase == "Running" for p in old)
    assert {p.metadata.labels["controller-revision-hash"] for p in old} == set(good.values())
    status = apps.read_namespaced_daemon_set("otel-collector", NS).status
    assert (status.number_ready, status.updated_number_scheduled) == (3 - max_unavailable, max_unavailable), status


def test_pod_security_refuses_hostpath_pods_without_the_role_s_label(real_twin):
    env = real_twin
    core, apps = _api(env)
    rc, _recap, out = run_role(env, "otel_collector")
    assert rc == 0, out[-3000:]
    assert core.read_namespace(NS).metadata.labels.get(PRIVILEGED) == "privileged"
    assert any(v.host_path for v in apps.read_namespaced_daemon_set("otel-collector", NS).spec.template.spec.volumes)

    core.patch_namespace(NS, {"metadata": {"labels": {PRIVILEGED: None}}})
    victim = _pods(env)[0].metadata.name
    core.delete_namespaced_pod(victim, NS)

    def refusal():
        events = core.list_namespaced_event(NS, field_selector="reason=FailedCreate").items
        return [e.message for e in events if 'violates PodSecurity "baseline:latest"' in e.message]

    messages = wait_for(refusal, timeout=60)
    assert any("hostPath volumes" in m and '"hostfs"' in m for m in messages), messages
    assert len(_pods(env)) == 2

    rc, recap, out = run_role(env, "otel_collector")
    assert rc == 0 and recap["changed"] >= 1, out[-3000:]
    assert core.read_namespace(NS).metadata.labels.get(PRIVILEGED) == "privileged"
    ready = wait_for(lambda: len([p for p in _pods(env) if _ready(p)]) == 3, timeout=60)
    assert ready, [(p.metadata.name, p.status.phase) for p in _pods(env)]
