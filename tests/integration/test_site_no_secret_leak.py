"""The bucket's secret key never appears in the output of the site playbook (issue 5).

On a private twin in the before-state: ``--check --diff -vvv`` (a plan, zero persisted writes),
then the real run at ``-vvv --diff``, then ``--check --diff -vvv`` on the converged stack (the
storage Secret now exists, so every diff and read of it is a chance to leak). The secret key is
read from the claim's Secret after the real run and looked for in all three outputs, as text and
in the base64 form Kubernetes stores it in.
"""

from __future__ import annotations

import base64
import os
import re

import pytest

from runner import PLAYBOOK_BIN, k8s_get, readiness_score, run_site, twin_stats

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")


@pytest.fixture(scope="module")
def leak_twin(module_twin_factory):
    return module_twin_factory(before_state=True, nodes=3)


def forms(secret: str) -> list[str]:
    """The secret as text and base64 (Secret.data), plus a long prefix (a truncated print still leaks)."""
    return [secret, base64.b64encode(secret.encode()).decode(), secret[:24]]


def assert_absent(secret: str, out: str, what: str) -> None:
    for form in forms(secret):
        assert form not in out, f"{what}: the secret key (or its base64 form) is in the output"


def test_site_at_vvv_never_prints_the_bucket_secret_key(leak_twin):
    env = leak_twin
    outputs = {}

    # 1. The plan on the before-state: zero persisted writes, a diff is printed.
    twin_stats(env, reset=True)
    rc, recap, out = run_site(env, "--check", "--diff", "-vvv")
    outputs["check on the before-state"] = out
    assert rc == 0, out[-6000:]
    counted = twin_stats(env)
    assert counted["writes"] == 0, counted
    assert recap["changed"] > 0, "the plan must show the upgrade"
    assert re.search(r"^--- before", out, re.M) and re.search(r"^\+\+\+ after", out, re.M), "no diff in the plan"
    # The collector takeover is in the plan: its exporter moves off the legacy endpoint.
    assert re.search(r"^-.*jaeger-system:14250", out, re.M) and re.search(r"^\+.*jaeger-collector\.jaeger:4317", out, re.M)
    assert k8s_get(env, "/apis/objectbucket.io/v1alpha1/namespaces/jaeger/objectbucketclaims/jaeger-traces") is None

    # 2. The real run, as verbose as it gets.
    rc, recap, out = run_site(env, "--diff", "-vvv")
    outputs["run at -vvv --diff"] = out
    assert rc == 0, out[-8000:]
    assert readiness_score(out) == 100

    # 3. The plan again, now that the storage Secret exists.
    twin_stats(env, reset=True)
    rc, recap, out = run_site(env, "--check", "--diff", "-vvv")
    outputs["check on the converged stack"] = out
    assert rc == 0, out[-6000:]
    assert twin_stats(env)["writes"] == 0

    claim_secret = k8s_get(env, "/api/v1/namespaces/jaeger/secrets/jaeger-traces")
    secret_key = base64.b64decode(claim_secret["data"]["AWS_SECRET_ACCESS_KEY"]).decode()
    assert len(secret_key) >= 20
    storage = k8s_get(env, "/api/v1/namespaces/jaeger/secrets/jaeger-storage")
    assert base64.b64decode(storage["data"]["AWS_SECRET_ACCESS_KEY"]).decode() == secret_key  # the same key flows on
    for what, out in outputs.items():
        assert len(out) > 10000, f"{what}: suspiciously little output for -vvv"
        assert_absent(secret_key, out, what)
        assert_absent(env["S3_SECRET_KEY"], out, what)  # the RGW admin key is never handed to the playbook
