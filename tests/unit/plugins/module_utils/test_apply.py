# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""k8s_apply's pure logic: plan/select, per-object retry with backoff (the one policy, module_utils/retry.py), diffs, Secret redaction.

Failures are the exception types the module really sees: kubernetes.core's CoreException raised from
the kubernetes client's ApiException (DynamicApiError), with the Status body and headers a server sends.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import api_exception

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.talos_homelab.tracing.plugins.module_utils import apply as A
from ansible_collections.talos_homelab.tracing.plugins.module_utils import retry as R
from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import TRANSIENT_STATUSES
from ansible_collections.talos_homelab.tracing.plugins.test.transient import transient


class _Resp(object):
    def __init__(self, status, headers):
        self.status, self.reason, self.data = status, "Reason%d" % status, json.dumps(
            {"kind": "Status", "code": status, "message": "answer %d" % status}).encode()
        self._headers = headers

    def getheaders(self):
        return self._headers


def api_error(status, headers=None):
    """What kubernetes.core's K8sService raises for an API answer: CoreException from DynamicApiError."""
    dynamic = api_exception(ApiException(http_resp=_Resp(status, headers or {})))
    try:
        raise CoreException("Failed to patch object: %s" % dynamic.body) from dynamic
    except CoreException as exc:
        return exc


NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "obs"}}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "conf", "namespace": "obs"}, "data": {"a": "1"}}
SA = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa", "namespace": "obs"}}
SECRET_VALUE = "hunter2-never-shown"
SECRET = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "obs"},
          "data": {"password": base64.b64encode(SECRET_VALUE.encode()).decode()}, "stringData": {"token": "tok-123"}}


class FakeApi(object):
    """Scripted plan/write: ``changed`` ids differ from the cluster; ``failures[(step, id)]`` raise in turn."""

    def __init__(self, changed=(), failures=None):
        self.changed = set(changed)
        self.failures = dict((k, list(v)) for k, v in (failures or {}).items())
        self.calls = []

    def _call(self, step, definition):
        oid = A.object_id(definition)
        self.calls.append((step, oid))
        queue = self.failures.get((step, oid))
        if queue:
            raise queue.pop(0)
        changed = oid in self.changed
        result = {"changed": changed, "method": "update", "result": dict(definition, status={"from": step})}
        if step == "plan" and changed:
            result["diff"] = {"before": {"data": {"a": "0"}}, "after": {"data": definition.get("data")}}
        return result

    def plan(self, definition):
        return self._call("plan", definition)

    def write(self, definition):
        return self._call("write", definition)


def run(api, objects, **kwargs):
    sleeps = []
    kwargs.setdefault("retries", 3)
    kwargs.setdefault("delay", 1)
    out = A.apply_objects(objects, api.plan, api.write, sleep=sleeps.append, **kwargs)
    return out, sleeps


# ------------------------------------------------------------------ identities and input
def test_object_id_and_new_namespace_flags():
    assert A.object_id(NS) == "Namespace/obs"
    assert A.object_id(CM) == "ConfigMap/obs/conf"
    assert A.in_new_namespace(NS, ["obs"]) and A.in_new_namespace(CM, ["obs"])
    assert not A.in_new_namespace(CM, ["other"]) and not A.in_new_namespace(NS, [])


def test_validate_objects_names_the_index_and_the_missing_fields():
    problems = A.validate_objects([CM, {"kind": "Service", "metadata": {}}, "x"])
    assert problems == ["objects[1] (Service) lacks apiVersion, metadata.name.", "objects[2] is a str, not a manifest (a mapping)."]


# ------------------------------------------------------------------ transient answers
@pytest.mark.parametrize("status", TRANSIENT_STATUSES)
def test_transient_statuses_are_retryable(status):
    assert R.transient_status(api_error(status)) == status


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_statuses_are_not(status):
    assert R.transient_status(api_error(status)) is None


def test_transient_from_message_only_and_unrelated_errors():
    assert R.transient_status(CoreException('Failed: {"kind":"Status","code": 503}')) == 503
    assert R.transient_status(ValueError("Failed to load resource definition")) is None


def test_backoff_doubles_is_capped_and_honours_retry_after_on_429():
    assert [R.backoff(n, 2) for n in range(6)] == [2, 4, 8, 16, 30, 30]
    assert R.backoff(0, 2, api_error(429, {"Retry-After": "7"})) == 7
    assert R.backoff(0, 2, api_error(429, {"Retry-After": "3600"})) == R.MAX_DELAY
    # Retry-After shorter than the backoff: the backoff wins; on a 503 the header is not a throttle.
    assert R.backoff(2, 2, api_error(429, {"Retry-After": "1"})) == 8
    assert R.backoff(0, 2, api_error(503, {"Retry-After": "9"})) == 2


def test_call_with_retry_retries_transient_then_succeeds():
    errors = [api_error(503), api_error(409)]
    sleeps = []

    def fn():
        if errors:
            raise errors.pop(0)
        return "ok"

    assert R.call_with_retry(fn, retries=3, delay=1, sleep=sleeps.append) == ("ok", 3)
    assert sleeps == [1, 2]


def test_call_with_retry_is_bounded_and_does_not_retry_other_answers():
    sleeps = []

    def always_503():
        raise api_error(503)

    with pytest.raises(CoreException) as info:
        R.call_with_retry(always_503, retries=2, delay=1, sleep=sleeps.append)
    assert info.value.attempts == 3 and sleeps == [1, 2]

    def invalid():
        raise api_error(422)

    with pytest.raises(CoreException) as info:
        R.call_with_retry(invalid, retries=5, delay=1, sleep=sleeps.append)
    assert info.value.attempts == 1 and sleeps == [1, 2]


# ------------------------------------------------------------------ plan and select
def test_converged_list_is_planned_once_and_never_written():
    api = FakeApi()
    out, sleeps = run(api, [NS, SA, CM])
    assert api.calls == [("plan", "Namespace/obs"), ("plan", "ServiceAccount/obs/sa"), ("plan", "ConfigMap/obs/conf")]
    assert out["changed"] is False and out["changed_objects"] == [] and sleeps == []
    assert [o["status"] for o in out["objects"]] == [{"from": "plan"}] * 3


def test_only_what_differs_is_written_after_the_whole_plan():
    api = FakeApi(changed={"ConfigMap/obs/conf"})
    out, _sleeps = run(api, [NS, CM, SA])
    assert api.calls[:3] == [("plan", "Namespace/obs"), ("plan", "ConfigMap/obs/conf"), ("plan", "ServiceAccount/obs/sa")]
    assert api.calls[3:] == [("write", "ConfigMap/obs/conf")]
    assert out["changed"] is True and out["changed_objects"] == ["ConfigMap/obs/conf"]
    assert [o["status"]["from"] for o in out["objects"]] == ["plan", "write", "plan"]


def test_check_mode_plans_and_writes_nothing():
    api = FakeApi(changed={"ConfigMap/obs/conf", "ServiceAccount/obs/sa"})
    out, _sleeps = run(api, [NS, CM, SA], check_mode=True)
    assert [c for c in api.calls if c[0] == "write"] == []
    assert out["changed_objects"] == ["ConfigMap/obs/conf", "ServiceAccount/obs/sa"]


def test_new_namespace_objects_are_not_planned_check_mode_warns_real_run_creates():
    api = FakeApi()
    out, _sleeps = run(api, [NS, CM], new_namespaces=["obs"], check_mode=True)
    assert api.calls == [] and out["changed_objects"] == ["Namespace/obs", "ConfigMap/obs/conf"]
    assert "namespace obs does not exist yet" in out["warnings"][0]
    assert "would create Namespace/obs, ConfigMap/obs/conf" in out["warnings"][0]
    api = FakeApi()
    out, _sleeps = run(api, [NS, CM], new_namespaces=["obs"])
    assert api.calls == [("write", "Namespace/obs"), ("write", "ConfigMap/obs/conf")] and "warnings" not in out


def test_kubernetes_core_warnings_are_passed_on_with_the_object():
    api = FakeApi()
    plan = api.plan
    api.plan = lambda d: dict(plan(d), warnings=["No meaningful diff was generated"])
    out, _sleeps = run(api, [CM])
    assert out["warnings"] == ["ConfigMap/obs/conf: No meaningful diff was generated"]


# ------------------------------------------------------------------ per-object retry
def test_a_transient_plan_failure_retries_that_object_only():
    api = FakeApi(failures={("plan", "ConfigMap/obs/conf"): [api_error(503), api_error(429, {"Retry-After": "5"})]})
    out, sleeps = run(api, [NS, CM, SA], delay=1)
    assert api.calls.count(("plan", "Namespace/obs")) == 1 and api.calls.count(("plan", "ServiceAccount/obs/sa")) == 1
    assert api.calls.count(("plan", "ConfigMap/obs/conf")) == 3
    assert sleeps == [1, 5]  # backoff 1, then the 429's Retry-After (longer than 2)
    assert [r["attempts"] for r in out["results"]] == [1, 3, 1] and out["changed"] is False


def test_a_transient_write_failure_retries_that_write_only_and_reports_changed():
    api = FakeApi(changed={"ConfigMap/obs/conf", "ServiceAccount/obs/sa"},
                  failures={("write", "ServiceAccount/obs/sa"): [api_error(500), api_error(409)]})
    out, sleeps = run(api, [CM, SA])
    assert [c for c in api.calls if c[0] == "write"] == [("write", "ConfigMap/obs/conf")] + [("write", "ServiceAccount/obs/sa")] * 3
    assert out["changed_objects"] == ["ConfigMap/obs/conf", "ServiceAccount/obs/sa"] and sleeps == [1, 2]


def test_a_create_kubernetes_core_swallowed_on_409_is_retried_not_counted_as_written():
    """K8sService.create turns a 409 into an empty result and a warning: the object may not exist."""
    api = FakeApi(changed={"Service/obs/tempo"})
    write = api.write
    answers = [{"changed": True, "method": "create", "result": {}}]

    def swallowing_write(definition):
        if answers:
            api.calls.append(("write", A.object_id(definition)))
            return answers.pop(0)
        return dict(write(definition), method="create")

    api.write = swallowing_write
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "tempo", "namespace": "obs"}}
    out, sleeps = run(api, [svc])
    assert api.calls.count(("write", "Service/obs/tempo")) == 2 and sleeps == [1]
    assert out["objects"][0]["status"] == {"from": "write"} and out["results"][0]["attempts"] == 3


def test_a_non_transient_plan_failure_stops_before_any_write():
    api = FakeApi(changed={"Namespace/obs"}, failures={("plan", "ConfigMap/obs/conf"): [api_error(422)]})
    with pytest.raises(A.ApplyError) as info:
        run(api, [NS, CM, SA])
    err = info.value
    assert err.object_id == "ConfigMap/obs/conf" and err.step == "plan" and err.attempts == 1 and err.written == []
    assert "Failed to plan (server-side dry run) ConfigMap/obs/conf" in err.msg and "Correct the manifest" in err.msg
    assert [c for c in api.calls if c[0] == "write"] == []


def test_persistent_transient_write_failure_names_the_object_and_what_was_written():
    api = FakeApi(changed={"ConfigMap/obs/conf", "ServiceAccount/obs/sa"},
                  failures={("write", "ServiceAccount/obs/sa"): [api_error(503)] * 10})
    with pytest.raises(A.ApplyError) as info:
        run(api, [CM, SA], retries=2)
    err = info.value
    assert err.step == "write" and err.attempts == 3 and err.written == ["ConfigMap/obs/conf"]
    assert "(after 3 attempts)" in err.msg and "kept answering 503" in err.msg


# ------------------------------------------------------------------ diffs and secrets
def test_diff_mode_returns_one_diff_per_changed_object_with_headers():
    api = FakeApi(changed={"ConfigMap/obs/conf"})
    out, _sleeps = run(api, [NS, CM], check_mode=True, want_diff=True)
    assert out["diff"] == [{"before_header": "ConfigMap/obs/conf (cluster)", "after_header": "ConfigMap/obs/conf (manifest)",
                            "before": {"data": {"a": "0"}}, "after": {"data": {"a": "1"}}}]
    out, _sleeps = run(FakeApi(), [NS, CM], want_diff=True)
    assert out["diff"] == []


def test_a_created_object_diffs_against_nothing():
    out, _sleeps = run(FakeApi(), [NS, CM], new_namespaces=["obs"], check_mode=True, want_diff=True)
    assert [(d["before"], d["after"]["kind"]) for d in out["diff"]] == [("", "Namespace"), ("", "ConfigMap")]


def test_secret_values_never_in_results_or_diffs():
    api = FakeApi(changed={"Secret/obs/s"})
    out, _sleeps = run(api, [SECRET], want_diff=True)
    text = json.dumps(out)
    for value in [SECRET_VALUE, SECRET["data"]["password"], "tok-123"]:
        assert value not in text
    assert out["objects"][0]["data"] == {"password": A.REDACTED}
    assert out["diff"][0]["after"]["data"] == {"password": A.REDACTED}
    assert A.secret_values(SECRET) == {SECRET_VALUE, SECRET["data"]["password"], "tok-123"}
    assert A.secret_values(CM) == set() and A.redact(CM) is CM


# ------------------------------------------------------------------ the transient test plugin
def test_transient_test_plugin():
    assert transient({"failed": True, "msg": 'Failed to get: {"kind":"Status","code": 503}'}) is True
    assert transient({"failed": True, "msg": "Failed to read Secret: the API server answered 429 TooManyRequests."}) is True
    assert transient({"failed": True, "msg": 'Failed: {"code": 422, "reason": "Invalid"}'}) is False
    assert transient({"failed": True, "msg": "answered 5030 times"}) is False
    assert transient({"changed": False, "msg": '"code": 503'}) is False  # a success is never retried
    assert transient("the API server answered 504 GatewayTimeout") is True
