# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rollout failures name their cause from the cluster (issue 23): pods + events -> diagnosis -> message,
and the wait stops at once on a reason waiting cannot clear."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils import diagnosis as D
from ansible_collections.talos_homelab.tracing.plugins.module_utils import rollout as R

DS = {"kind": "DaemonSet", "name": "otel-collector", "namespace": "opentelemetry"}
MAPSTRUCTURE = ("Error: failed to get config: cannot unmarshal the configuration: decoding failed due to the following error(s):\n\n"
                "error decoding 'processors': error reading configuration for \"batch\": decoding failed due to the following "
                "error(s):\n\n'' has invalid keys: send_batch_sise")
PULL = ('failed to pull and unpack image "docker.io/otel/opentelemetry-collector-contrib:0.999.0": not found; '
        'Failed to pull image "otel/opentelemetry-collector-contrib:0.999.0": rpc error: code = NotFound')


def pod(name, rev="new", ready=False, waiting=None, last=None, phase="Running", running=False, conditions=None):
    cs = {"name": "otel-collector", "ready": ready, "restartCount": 3 if last else 0, "image": "otel/x:1",
          "state": {"waiting": waiting} if waiting else ({"running": {}} if running or ready else {})}
    if last:
        cs["lastState"] = {"terminated": last}
    conds = conditions or [{"type": "Ready", "status": "True" if ready else "False"}]
    return {"metadata": {"name": name, "labels": {"controller-revision-hash": rev}},
            "status": {"phase": phase, "conditions": conds, "containerStatuses": [cs]}}


CRASH = pod("otel-collector-a", waiting={"reason": "CrashLoopBackOff", "message": "back-off 10s restarting failed container"},
            last={"exitCode": 1, "reason": "Error", "message": MAPSTRUCTURE})
PULLING = pod("otel-collector-b", waiting={"reason": "ImagePullBackOff", "message": 'Back-off pulling image "otel/x:0.999.0"'})
ERR_PULL = pod("otel-collector-b", waiting={"reason": "ErrImagePull", "message": PULL})
CONFIG = pod("otel-collector-c", waiting={"reason": "CreateContainerConfigError", "message": 'secret "jaeger-storage" not found'})
OLD_READY = pod("otel-collector-d", rev="old", ready=True)
FAILED_CREATE = {"reason": "FailedCreate", "involvedObject": {"name": "otel-collector"},
                 "message": 'Error creating: pods "otel-collector-x" is forbidden: violates PodSecurity "baseline:latest": '
                            'hostPath volumes (volume "hostfs")'}


def test_offending_names_the_key_flag_image_or_object():
    assert D.offending(MAPSTRUCTURE) == "key 'send_batch_sise'"
    assert D.offending("Error: unknown flag: --query.base-pth") == "flag '--query.base-pth'"
    assert D.offending(PULL) == "image 'otel/opentelemetry-collector-contrib:0.999.0'"
    assert D.offending("line 3: field ingestr not found in type app.Config") == "key 'ingestr'"
    assert D.offending('secret "jaeger-storage" not found') == "object 'jaeger-storage'"
    assert D.offending("all good") == ""


def test_diagnose_reports_each_pod_not_ready_events_and_revisions():
    diag = D.diagnose({"status": {}}, [CRASH, CONFIG, OLD_READY], [FAILED_CREATE, {"reason": "Scheduled", "message": "x"}])
    assert diag["pods"] == 3 and diag["revisions"] == {"new": 2, "old": 1}
    assert [p["pod"] for p in diag["not_ready"]] == ["otel-collector-a", "otel-collector-c"]
    crash = diag["not_ready"][0]["containers"][0]
    assert crash["reason"] == "CrashLoopBackOff" and crash["exit_code"] == 1 and crash["last_message"].endswith("send_batch_sise")
    assert diag["failed_create"] == [FAILED_CREATE["message"]]
    text = D.summary(diag)
    assert "2 of 3 pods not ready" in text
    assert "pod otel-collector-a container otel-collector: CrashLoopBackOff" in text
    assert "last termination (exit 1)" in text and "has invalid keys: send_batch_sise" in text
    assert "CreateContainerConfigError (secret \"jaeger-storage\" not found)" in text
    assert "the refusal names key 'send_batch_sise', object 'jaeger-storage'" in text
    assert "FailedCreate: Error creating" in text and "violates PodSecurity" in text
    assert "pods by revision: new 2, old 1" in text


def test_pending_unschedulable_and_running_not_ready_and_deleted_pods():
    pending = {"metadata": {"name": "p"}, "status": {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/6 nodes are available"}]}}
    unready = pod("tempo-0", running=True)
    gone = dict(CRASH, metadata=dict(CRASH["metadata"], deletionTimestamp="now"))
    diag = D.diagnose({}, [pending, unready, gone], [])
    assert diag["pods"] == 2
    text = D.summary(diag)
    assert "pod p: Unschedulable (0/6 nodes are available)" in text
    assert "Running, not ready (readiness probe failing)" in text
    assert D.fatal(diag) == []
    assert D.summary(D.diagnose({}, [], [FAILED_CREATE])).startswith("no pod exists. FailedCreate:")


def test_fatal_only_for_reasons_waiting_cannot_clear():
    assert D.fatal(D.diagnose({}, [CRASH, CONFIG], [])) == ["otel-collector-a/otel-collector: CrashLoopBackOff"]
    assert D.fatal(D.diagnose({}, [PULLING], [])) == ["otel-collector-b/otel-collector: ImagePullBackOff"]
    assert D.fatal(D.diagnose({}, [CONFIG, OLD_READY], [])) == []


def test_long_texts_are_clipped():
    long = pod("x", waiting={"reason": "CrashLoopBackOff"}, last={"exitCode": 2, "message": "e" * 5000})
    assert len(D.diagnose({}, [long])["not_ready"][0]["containers"][0]["last_message"]) == D.MAX_TEXT


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


NOT_READY = {"kind": "DaemonSet", "metadata": {"name": "otel-collector", "generation": 1},
             "spec": {"selector": {"matchLabels": {"a": "b"}}},
             "status": {"observedGeneration": 1, "desiredNumberScheduled": 2, "updatedNumberScheduled": 2, "numberReady": 0}}


def test_the_wait_stops_at_the_second_poll_of_a_crash_loop_not_at_its_timeout():
    clock = Clock()
    looks = []

    def inspect(target, obj):
        looks.append(target["name"])
        return D.diagnose(obj, [CRASH], [])

    with pytest.raises(R.WaitError) as err:
        R.wait_for([DS], lambda t: NOT_READY, timeout=300, delay=5, clock=clock, sleep=clock.sleep, inspect=inspect,
                   fix={"back": "The agents still export to jaeger-collector.jaeger:4317."})
    assert err.value.reason == "stuck" and clock.now == 5 and len(looks) == 2
    msg = err.value.msg
    assert msg.startswith("Failed to roll out DaemonSet opentelemetry/otel-collector: stopped after 5 s of the 300 s allowed, "
                          "because waiting cannot help (otel-collector-a/otel-collector: CrashLoopBackOff).")
    assert "has invalid keys: send_batch_sise" in msg and "the refusal names key 'send_batch_sise'" in msg
    assert "The agents still export to jaeger-collector.jaeger:4317." in msg and "Fix:" in msg


def test_an_image_pull_error_stops_once_stable_and_a_config_error_waits_to_the_timeout():
    clock = Clock()
    seq = iter([ERR_PULL, PULLING, PULLING])
    with pytest.raises(R.WaitError) as err:
        R.wait_for([DS], lambda t: NOT_READY, timeout=300, delay=5, clock=clock, sleep=clock.sleep,
                   inspect=lambda t, o: D.diagnose(o, [next(seq)], []))
    assert err.value.reason == "stuck" and clock.now == 10, clock.now  # ErrImagePull then twice ImagePullBackOff
    # the last look has the back-off only; the registry's answer of the first look is kept
    assert 'Back-off pulling image "otel/x:0.999.0"' in err.value.msg
    assert "the pull failed with: " + PULL in err.value.msg
    assert "the refusal names image 'otel/opentelemetry-collector-contrib:0.999.0'" in err.value.msg
    assert "kubectl -n opentelemetry rollout undo daemonset/otel-collector" in err.value.msg

    clock = Clock()
    with pytest.raises(R.WaitError) as err:
        R.wait_for([DS], lambda t: NOT_READY, timeout=20, delay=5, clock=clock, sleep=clock.sleep,
                   inspect=lambda t, o: D.diagnose(o, [CONFIG], [FAILED_CREATE]))
    assert err.value.reason == "timeout" and clock.now == 20
    assert "CreateContainerConfigError" in err.value.msg and "violates PodSecurity" in err.value.msg


def test_a_transient_inspect_error_costs_only_the_diagnosis():
    class Transient(Exception):
        status = 503

    clock = Clock()

    def inspect(target, obj):
        raise Transient()

    with pytest.raises(R.WaitError) as err:
        R.wait_for([DS], lambda t: NOT_READY, timeout=10, delay=5, clock=clock, sleep=clock.sleep, inspect=inspect,
                   is_transient=lambda e: isinstance(e, Transient))
    assert err.value.reason == "timeout" and "The cluster says" not in err.value.msg


def test_the_kubelets_pull_event_names_the_pull_error_and_other_pod_warnings_are_shown():
    pull_event = {"reason": "Failed", "type": "Warning", "involvedObject": {"kind": "Pod", "name": "otel-collector-b"},
                  "message": PULL}
    probe = {"reason": "Unhealthy", "type": "Warning", "involvedObject": {"kind": "Pod", "name": "tempo-0"},
             "message": "Readiness probe failed: HTTP probe failed with statuscode: 503"}
    other_workload = dict(FAILED_CREATE, involvedObject={"name": "otel-sampler-abc"})
    diag = D.diagnose({"metadata": {"name": "otel-collector"}}, [PULLING, pod("tempo-0", running=True)],
                      [pull_event, probe, other_workload, dict(FAILED_CREATE, involvedObject={"name": "otel-collector"})])
    assert diag["not_ready"][0]["containers"][0]["pull_error"] == PULL
    assert diag["failed_create"] == [FAILED_CREATE["message"]]  # not the other workload's
    text = D.summary(diag)
    assert "ImagePullBackOff (Back-off pulling image \"otel/x:0.999.0\"); the pull failed with: " + PULL in text
    assert "the refusal names image 'otel/opentelemetry-collector-contrib:0.999.0'" in text
    assert "event Unhealthy: Readiness probe failed" in text
