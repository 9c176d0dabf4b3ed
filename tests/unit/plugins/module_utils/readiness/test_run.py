# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import run as run_mod

from . import snapshots as s


class FakeModule(object):
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = dict(s.params(), report_path=None, fail_under=None, s3_endpoint_url=None)
        self.params.update(params)


class FakeClient(object):
    requests = 7


@pytest.fixture
def snapshot(monkeypatch):
    holder = dict(snap=s.before_state())
    monkeypatch.setattr(run_mod, "collect", lambda client, params, s3_factory=None: holder["snap"])
    return holder


def go(module):
    return run_mod.run(module, client_factory=lambda params: FakeClient(), s3_factory=None)


def test_read_only_without_report_path(snapshot):
    result, failed = go(FakeModule())
    assert result["changed"] is False and failed is None
    assert result["components"]["jaeger"]["score"] == 30
    assert result["api_requests"] == 7


def test_fail_under(snapshot):
    result, failed = go(FakeModule(fail_under=100))
    assert failed and "below fail_under=100" in failed and "%d/100" % result["score"] in failed
    assert "VERDICT:" in result["report"]
    _result, failed = go(FakeModule(fail_under=0))
    assert failed is None
    snapshot["snap"] = s.target_tempo()
    _result, failed = go(FakeModule(fail_under=100))
    assert failed is None


def test_report_written_only_when_different(snapshot, tmp_path):
    path = tmp_path / "report.md"
    result, _failed = go(FakeModule(report_path=str(path)))
    assert result["changed"] and result["report_written"]
    assert path.read_text(encoding="utf-8") == result["report"]
    mtime = path.stat().st_mtime_ns
    result, _failed = go(FakeModule(report_path=str(path)))
    assert not result["changed"] and not result["report_written"]
    assert path.stat().st_mtime_ns == mtime


def test_check_mode_never_writes_the_report(snapshot, tmp_path):
    path = tmp_path / "report.md"
    result, _failed = go(FakeModule(check_mode=True, report_path=str(path)))
    assert result["changed"] is True and result["report_written"] is False
    assert not path.exists()
    path.write_text(u"old", encoding="utf-8")
    go(FakeModule(check_mode=True, report_path=str(path)))
    assert path.read_text(encoding="utf-8") == "old"


def test_report_dir_missing_is_an_error(snapshot, tmp_path):
    with pytest.raises(run_mod.TracingError) as err:
        go(FakeModule(report_path=str(tmp_path / "nope" / "r.md")))
    assert "does not exist" in err.value.message


def one_node_tempo():
    """The target state squeezed onto one node: every Tempo and query pod on talos-node-01."""
    snap = s.target_tempo(node_count=1)
    for pod in snap["jaeger"]["pods"]:
        pod["node"] = "talos-node-01"
    return snap


def test_verdict_never_ready_below_the_enforced_threshold(snapshot):
    """Issue 9 item 5: 98/100 with fail_under=100 failed the run but printed PRODUCTION-READY."""
    snapshot["snap"] = one_node_tempo()
    result, failed = go(FakeModule(fail_under=100))
    assert 90 <= result["score"] < 100, result["score"]
    assert failed and "below fail_under=100" in failed
    assert result["verdict"] == "NOT PRODUCTION-READY"
    assert "VERDICT: NOT PRODUCTION-READY" in result["report"]
    assert "VERDICT: PRODUCTION-READY" not in result["report"]
    # The verdict line names the threshold the run enforced.
    assert "fail_under 100" in result["report"]
    # Sibling: a lower threshold the score meets keeps the verdict of the component rule.
    result, failed = go(FakeModule(fail_under=90))
    assert failed is None and result["verdict"] == "PRODUCTION-READY"
    # Sibling: no threshold (fail_under unset) is judged on the component rule alone.
    result, failed = go(FakeModule(fail_under=None))
    assert failed is None and result["verdict"] == "PRODUCTION-READY"


def test_verdict_ready_at_full_score_with_threshold_100(snapshot):
    snapshot["snap"] = s.target_tempo()
    result, failed = go(FakeModule(fail_under=100))
    assert failed is None and result["score"] == 100 and result["verdict"] == "PRODUCTION-READY"
    assert "VERDICT: PRODUCTION-READY (overall 100/100" in result["report"]
