# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one retry policy (plugins/module_utils/retry.py) where it applies: K8sClient's GETs and the storage Secret's write.

(k8s_apply's plan/write retries and the policy's backoff are in test_apply.py.)
"""

import json

import pytest
from kubernetes.client.exceptions import ApiException

from ansible_collections.talos_homelab.tracing.plugins.module_utils import k8s as K
from ansible_collections.talos_homelab.tracing.plugins.module_utils import retry as R
from ansible_collections.talos_homelab.tracing.plugins.module_utils import storage_secret as ss
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

from .test_storage_secret import PARAMS, cluster


class _Resp:
    def __init__(self, status, headers=None):
        self.status, self.reason = status, "Reason%d" % status
        self.data = json.dumps({"kind": "Status", "code": status, "message": "answer %d" % status}).encode()
        self._headers = headers or {}

    def getheaders(self):
        return self._headers


class ScriptedApi:
    """``call_api`` answering the scripted statuses in turn (an int raises ApiException), then ``{}``."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def call_api(self, path, method, **kwargs):
        self.calls.append(method)
        answer = self.answers.pop(0) if self.answers else {}
        if isinstance(answer, tuple):
            raise ApiException(http_resp=_Resp(*answer))
        if isinstance(answer, int):
            raise ApiException(http_resp=_Resp(answer))
        return answer


def client(answers):
    c = K.K8sClient.__new__(K.K8sClient)
    c.api, c.requests, c.timeout, c.host = ScriptedApi(answers), 0, 30, "https://api"
    c.check_mode, c.dry_run_writes, c.skipped_writes = False, True, 0
    c.sleeps = []
    c.sleep = c.sleeps.append
    return c


def test_reads_policy_waits_as_before():
    assert [R.backoff(n, R.READS.delay) for n in range(R.READS.retries)] == [0.5, 1.0, 2.0]


def test_a_get_is_retried_on_a_transient_answer_with_the_one_policy():
    c = client([503, 409, {"kind": "Namespace"}])
    assert c.get("v1", "namespaces", "jaeger") == {"kind": "Namespace"}
    assert c.requests == 3 and c.sleeps == [0.5, 1.0]


def test_a_get_honours_retry_after_on_429():
    c = client([(429, {"Retry-After": "4"}), {"kind": "Namespace"}])
    assert c.get("v1", "namespaces", "jaeger") == {"kind": "Namespace"}
    assert c.sleeps == [4.0]


def test_a_get_is_bounded_and_says_how_often_it_tried():
    c = client([503] * 10)
    with pytest.raises(TracingError) as exc:
        c.get("v1", "namespaces", "jaeger", action="read the namespace")
    assert c.requests == 1 + R.READS.retries and c.sleeps == [0.5, 1.0, 2.0]
    assert exc.value.status == 503 and "answered 503 Reason503 (4 attempts): answer 503" in exc.value.message


def test_other_answers_and_writes_are_not_retried():
    c = client([404])
    assert c.get("v1", "namespaces", "gone") is None and c.requests == 1 and c.sleeps == []
    c = client([503])
    with pytest.raises(TracingError) as exc:
        c.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}}, "secrets")
    assert c.requests == 1 and c.sleeps == [] and "(1 attempts)" not in exc.value.message


def refused(status, times):
    """A write that answers ``status`` ``times`` times, like K8sClient's TracingError, then lands."""
    calls = []

    def write(k8s, real):
        def call(obj, plural, action=None):
            calls.append(plural)
            if len(calls) <= times:
                err = TracingError(action, "the API server answered %d Reason." % status, "retry")
                err.status = status
                raise err
            return real(obj, plural, action=action)
        return call
    return write, calls


def test_the_storage_secret_write_re_runs_read_compare_write_on_a_transient_answer():
    k8s = cluster()
    write, calls = refused(503, 2)
    k8s.create = write(k8s, k8s.create)
    sleeps = []
    res = ss.run(dict(PARAMS), k8s_factory=k8s, sleep=sleeps.append)
    assert res["changed"] and len(calls) == 3 and sleeps == [2.0, 4.0]
    # Each attempt read the target Secret again before writing.
    assert [c for c in k8s.calls if c[1:] == ("secrets", "jaeger", "jaeger-storage")] == [("get", "secrets", "jaeger", "jaeger-storage")] * 3


def test_the_storage_secret_write_is_not_retried_on_other_answers_nor_forever():
    k8s = cluster()
    write, calls = refused(422, 5)
    k8s.create = write(k8s, k8s.create)
    with pytest.raises(TracingError):
        ss.run(dict(PARAMS), k8s_factory=k8s, sleep=lambda s: None)
    assert len(calls) == 1
    k8s = cluster()
    write, calls = refused(503, 99)
    k8s.create = write(k8s, k8s.create)
    with pytest.raises(TracingError) as exc:
        ss.run(dict(PARAMS), k8s_factory=k8s, sleep=lambda s: None)
    assert len(calls) == 1 + R.WRITES.retries and exc.value.attempts == 1 + R.WRITES.retries
