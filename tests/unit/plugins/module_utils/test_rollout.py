# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The waits' pure logic: rollout-done conditions (kubectl rollout status), the poll loop, its messages."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils import rollout as R

DS = {"kind": "DaemonSet", "name": "otel-collector", "namespace": "opentelemetry"}
DEPLOY = {"kind": "Deployment", "name": "jaeger-query", "namespace": "jaeger", "replicas": 2}
STS = {"kind": "StatefulSet", "name": "tempo", "namespace": "jaeger", "replicas": "3"}
OBC = {"kind": "ObjectBucketClaim", "name": "jaeger-traces", "namespace": "jaeger"}


def ds(generation=2, observed=2, desired=3, updated=3, ready=3, available=3):
    status = {"observedGeneration": observed, "desiredNumberScheduled": desired, "updatedNumberScheduled": updated,
              "numberReady": ready}
    if available:  # omitempty
        status["numberAvailable"] = available
    return {"kind": "DaemonSet", "metadata": {"name": "otel-collector", "namespace": "opentelemetry", "generation": generation},
            "status": status}


def workload(kind="Deployment", spec_replicas=2, generation=1, **status):
    status.setdefault("observedGeneration", generation)
    return {"kind": kind, "metadata": {"name": "x", "namespace": "jaeger", "generation": generation},
            "spec": {"replicas": spec_replicas}, "status": status}


def test_daemonset_done_only_when_the_current_generation_is_updated_ready_and_available():
    assert R.is_done(ds(), DS) == (True, "")
    assert not R.is_done(ds(observed=1), DS)[0]
    assert not R.is_done(ds(updated=2), DS)[0]
    assert not R.is_done(ds(ready=2), DS)[0]
    assert not R.is_done(ds(available=0), DS)[0]
    # No node scheduled yet: the controller has not counted the nodes, not "0 of 0 done".
    assert not R.is_done(ds(desired=0, updated=0, ready=0, available=0), DS)[0]
    assert "numberReady 2 of 3 desired" in R.is_done(ds(ready=2), DS)[1]


def test_deployment_done_with_every_replica_updated_ready_available_and_no_old_one():
    full = dict(replicas=2, updatedReplicas=2, readyReplicas=2, availableReplicas=2)

    def but(**changes):
        status = dict(full)
        status.update(changes)
        return workload(**status)

    assert R.is_done(workload(**full), DEPLOY)[0]
    assert not R.is_done(but(availableReplicas=1), DEPLOY)[0]
    assert not R.is_done(but(updatedReplicas=1), DEPLOY)[0]
    done, why = R.is_done(but(replicas=3), DEPLOY)
    assert not done and "old replicas" in why
    # The target's replicas win over spec.replicas; without either the default is 1.
    assert not R.is_done(workload(spec_replicas=1, replicas=1, updatedReplicas=1, readyReplicas=1, availableReplicas=1), DEPLOY)[0]
    no_count = {"kind": "Deployment", "name": "x", "namespace": "jaeger"}
    one = workload(replicas=1, updatedReplicas=1, readyReplicas=1, availableReplicas=1)
    del one["spec"]["replicas"]
    assert R.is_done(one, no_count)[0]


def test_statefulset_and_a_stale_generation():
    full = dict(replicas=3, updatedReplicas=3, readyReplicas=3, availableReplicas=3)
    assert R.is_done(workload("StatefulSet", 3, **full), STS)[0]
    stale = workload("StatefulSet", 3, generation=4, **dict(full, observedGeneration=3))
    done, why = R.is_done(stale, STS)
    assert not done and "generation 4" in why


def test_claim_bound_and_jaeger_running():
    assert R.is_done({"status": {"phase": "Bound"}}, OBC)[0]
    assert R.is_done({"status": {}}, OBC) == (False, "phase 'unset' (Bound expected)")
    jaeger = {"kind": "Jaeger", "name": "jaeger", "namespace": "jaeger"}
    assert R.is_done({"status": {"phase": "Running"}}, jaeger)[0]
    assert not R.is_done({"status": {"phase": "Failed"}}, jaeger)[0]


def test_validate_targets():
    assert R.validate_targets([DS, DEPLOY, STS, OBC]) == []
    problems = R.validate_targets([{"kind": "Pod", "name": "x"}, {"kind": "Deployment"}, dict(DEPLOY, replicas="two")])
    assert len(problems) == 3 and "wait[0]" in problems[0] and "wait[2].replicas" in problems[2]


class Clock(object):
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_an_object_the_apply_returned_done_needs_no_read():
    reads = []
    out = R.wait_for([DS], reads.append, first=R.first_looks([ds()]), timeout=300, delay=5)
    assert reads == [] and out[0]["reads"] == 0 and out[0]["id"] == "DaemonSet opentelemetry/otel-collector"


def test_polls_until_done_then_the_next_target():
    clock = Clock()
    answers = [ds(ready=1), ds(ready=2), ds()]
    out = R.wait_for([DS, OBC], lambda t: answers.pop(0) if t is DS else {"status": {"phase": "Bound"}},
                     first=R.first_looks([ds(observed=1)]), timeout=300, delay=5, clock=clock, sleep=clock.sleep)
    assert [o["reads"] for o in out] == [3, 1]
    assert clock.sleeps == [5, 5, 5]


def test_a_missing_object_fails_at_once_with_the_fix():
    clock = Clock()
    with pytest.raises(R.WaitError) as err:
        R.wait_for([DS], lambda t: None, timeout=300, delay=5, fix={"missing": "re-run the role."}, clock=clock,
                   sleep=clock.sleep)
    assert err.value.reason == "missing" and clock.sleeps == []
    assert err.value.msg == ("Failed to roll out DaemonSet opentelemetry/otel-collector: it does not exist, so it cannot roll"
                             " out (stopped at once instead of polling for 300 s). Fix: re-run the role.")


def test_the_timeout_fails_with_the_last_status():
    clock = Clock()
    with pytest.raises(R.WaitError) as err:
        R.wait_for([DS], lambda t: ds(ready=0), timeout=15, delay=5, clock=clock, sleep=clock.sleep)
    assert err.value.reason == "timeout" and clock.now <= 15
    assert err.value.msg.startswith("Failed to roll out DaemonSet opentelemetry/otel-collector within 15 s:")
    assert '"numberReady": 0' in err.value.msg and "Fix:" in err.value.msg


class Transient(Exception):
    status = 503


def test_transient_read_errors_are_polled_again_others_fail_at_once():
    clock = Clock()
    answers = [Transient("answered 503"), ds()]

    def read(target):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def is_transient(exc):
        return getattr(exc, "status", None) == 503

    out = R.wait_for([DS], read, timeout=300, delay=5, is_transient=is_transient, clock=clock, sleep=clock.sleep)
    assert out[0]["reads"] == 2

    def refused(target):
        raise ValueError("answered 403 Forbidden")

    with pytest.raises(R.WaitError) as err:
        R.wait_for([DS], refused, timeout=300, delay=5, is_transient=is_transient, clock=clock, sleep=clock.sleep)
    assert err.value.reason == "error" and "403 Forbidden" in err.value.msg


def test_a_transient_error_until_the_timeout_says_so():
    clock = Clock()

    def read(target):
        raise Transient("answered 503")

    with pytest.raises(R.WaitError) as err:
        R.wait_for([OBC], read, timeout=10, delay=5, is_transient=lambda exc: True, clock=clock, sleep=clock.sleep)
    assert err.value.reason == "timeout" and "the last read failed: answered 503" in err.value.msg
    assert err.value.msg.startswith("Failed to bind ObjectBucketClaim jaeger/jaeger-traces within 10 s")


def test_a_written_object_is_read_again_and_only_unchanged_ones_count_as_a_first_look():
    looks = R.first_looks([ds(), dict(ds(), metadata={"name": "other", "namespace": "opentelemetry"})],
                          written=["DaemonSet/opentelemetry/other"])
    assert list(looks) == [("DaemonSet", "opentelemetry", "otel-collector")]


def test_deployments_an_operator_makes_from_a_written_cr_may_appear_later():
    cr = {"apiVersion": "jaegertracing.io/v1", "kind": "Jaeger", "metadata": {"name": "jaeger", "namespace": "jaeger"}}
    targets = [{"kind": "Jaeger", "name": "jaeger", "namespace": "jaeger"},
               {"kind": "Deployment", "name": "jaeger-collector", "namespace": "jaeger"}]
    assert R.operator_made(targets, [cr], written=[]) == set()
    later = R.operator_made(targets, [cr], written=["Jaeger/jaeger/jaeger"])
    assert later == {("Deployment", "jaeger", "jaeger-collector")}
    clock = Clock()
    answers = [None, None, workload(spec_replicas=1, replicas=1, updatedReplicas=1, readyReplicas=1, availableReplicas=1)]
    out = R.wait_for(targets[1:], lambda t: answers.pop(0), timeout=60, delay=5, may_appear=later, clock=clock,
                     sleep=clock.sleep)
    assert out[0]["reads"] == 3
    with pytest.raises(R.WaitError) as err:
        R.wait_for(targets[1:], lambda t: None, timeout=10, delay=5, may_appear=later, clock=clock, sleep=clock.sleep)
    assert err.value.reason == "timeout" and "it does not exist yet" in err.value.msg
