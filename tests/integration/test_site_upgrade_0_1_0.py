"""Upgrade of a cluster that release 0.1.0 converged (issue 11 acceptance), driven like a user does.

The starting point is built by running release 0.1.0's own site playbook: the collection at commit
``RELEASE_0_1_0`` (CHANGELOG "v0.1.0", galaxy.yml version 0.1.0) is extracted with ``git archive``
and run against a fresh twin with the example inventory, so the twin holds exactly what 0.1.0's
defaults converge (Tempo 2.6.1, tempo-query 2.6.1, jaeger-query 1.62.0, the WAL on emptyDir).

Then, with this branch's site playbook and the same inventory: check mode previews the StatefulSet
replacement and writes nothing; one run moves the cluster to the new defaults (every Tempo pod on
2.10.8 with its WAL on a Bound claim, readiness 100/100); a re-run changes and writes nothing.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from runner import PLAYBOOK_BIN, ROOT, k8s_get, run_playbook, run_site, twin_stats

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

RELEASE_0_1_0 = "5c43aa5"  # "changelog released 0.1.0": the last commit of release 0.1.0's quality gates
GALAXY = os.path.join(ROOT, ".build", "galaxy")


def get(env, path):
    obj = k8s_get(env, path)
    assert obj is not None, "%s does not exist" % path
    return obj


def tempo_state(env):
    sts = get(env, "/apis/apps/v1/namespaces/jaeger/statefulsets/tempo")
    pods = [p for p in get(env, "/api/v1/namespaces/jaeger/pods")["items"] if p["metadata"]["name"].startswith("tempo-")]
    claims = {c["metadata"]["name"]: c for c in get(env, "/api/v1/namespaces/jaeger/persistentvolumeclaims")["items"]}
    return sts, pods, claims


@pytest.fixture(scope="module")
def converged_0_1_0(tmp_path_factory, module_twin_factory):
    tree = tmp_path_factory.mktemp("release-0.1.0")
    target = tree / "ansible_collections" / "talos_homelab" / "tracing"
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", ROOT, "archive", RELEASE_0_1_0], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    env = module_twin_factory(before_state=True)
    run = run_playbook(playbook=str(target / "playbooks" / "site.yml"), inventory=str(target / "examples" / "inventory" / "hosts.yml"),
                       extra_vars={"tracing_kubeconfig": env["KUBECONFIG"], "ceph_bucket_s3_endpoint": env["S3_ENDPOINT"]},
                       collection=False, env={"ANSIBLE_COLLECTIONS_PATH": "%s:%s" % (tree, GALAXY)}, cwd=str(target), timeout=600)
    assert run.rc == 0, run.output[-4000:]
    return env


def test_one_site_run_upgrades_0_1_0_and_a_rerun_writes_nothing(converged_0_1_0):
    env = converged_0_1_0
    sts, pods, _claims = tempo_state(env)
    # the starting point is 0.1.0's: Tempo 2.6.1 with the WAL on emptyDir, no claim templates
    assert sts["spec"]["template"]["spec"]["containers"][0]["image"] == "docker.io/grafana/tempo:2.6.1"
    assert {"name": "data", "emptyDir": {}} in sts["spec"]["template"]["spec"]["volumes"]
    assert not sts["spec"].get("volumeClaimTemplates") and len(pods) == 3
    old_sts_uid = sts["metadata"]["uid"]

    # check mode: previews the replacement, writes nothing, leaves the StatefulSet as it was
    before = twin_stats(env)["writes"]
    rc, recap, out = run_site(env, "--check", timeout=600)
    assert rc == 0, out[-4000:]
    assert "StatefulSet jaeger/tempo has volumeClaimTemplates none, wanted: data 10Gi on ceph-block" in out
    assert "Check mode: nothing is deleted or recreated." in out
    assert twin_stats(env)["writes"] == before
    assert tempo_state(env)[0]["metadata"]["uid"] == old_sts_uid

    # one run: the new defaults, the WAL of every Tempo pod on a Bound claim, readiness 100/100
    rc, recap, out = run_site(env, timeout=900)
    assert rc == 0, out[-4000:]
    assert "VERDICT: PRODUCTION-READY (overall 100/100, fail_under 100)" in out
    sts, pods, claims = tempo_state(env)
    assert sts["metadata"]["uid"] != old_sts_uid  # replaced (delete with propagationPolicy Orphan, then recreated)
    assert sts["spec"]["template"]["spec"]["containers"][0]["image"] == "docker.io/grafana/tempo:2.10.8"
    assert [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]] == ["data"]
    assert not [v for v in sts["spec"]["template"]["spec"].get("volumes") or [] if "emptyDir" in v]
    assert sorted(p["metadata"]["name"] for p in pods) == ["tempo-0", "tempo-1", "tempo-2"]
    for pod in pods:
        assert pod["metadata"]["ownerReferences"][0]["uid"] == sts["metadata"]["uid"]
        assert pod["spec"]["containers"][0]["image"] == "docker.io/grafana/tempo:2.10.8"
        claim = next(v["persistentVolumeClaim"]["claimName"] for v in pod["spec"]["volumes"] if v["name"] == "data")
        assert claim == "data-" + pod["metadata"]["name"]
        assert claims[claim]["status"]["phase"] == "Bound" and claims[claim]["spec"]["storageClassName"] == "ceph-block"
        assert claims[claim]["spec"]["resources"]["requests"]["storage"] == "10Gi"
        assert pod["status"]["phase"] == "Running"
    query = get(env, "/apis/apps/v1/namespaces/jaeger/deployments/jaeger-query")["spec"]["template"]["spec"]["containers"]
    assert [c["image"] for c in query] == ["docker.io/jaegertracing/jaeger-query:1.68.0", "docker.io/grafana/tempo-query:2.10.8"]

    # a re-run changes nothing and writes nothing
    before = twin_stats(env)["writes"]
    rc, recap, out = run_site(env, timeout=900)
    assert rc == 0, out[-4000:]
    assert recap["changed"] == 0, out[-4000:]
    assert twin_stats(env)["writes"] == before
    assert "has volumeClaimTemplates" not in out  # nothing left to replace


def test_allow_unsupported_runs_an_end_of_life_tempo_with_a_warning(converged_0_1_0):
    """The support table's refusal becomes a warning with jaeger_production_allow_unsupported (check mode: no write)."""
    env = converged_0_1_0
    before = twin_stats(env)["writes"]
    rc, _recap, out = run_site(env, "--check", extra={"jaeger_production_tempo_image": "docker.io/grafana/tempo:2.8.1",
                                                      "jaeger_production_allow_unsupported": True}, timeout=600)
    assert rc == 0, out[-4000:]
    assert "[WARNING]: jaeger_production_tempo_image: tempo 2.8 is past end of support (2026-03-10)" in out, out[-4000:]
    assert "running it anyway because jaeger_production_allow_unsupported is true" in out
    assert "Passing `warnings` to `exit_json`" not in out
    assert twin_stats(env)["writes"] == before
