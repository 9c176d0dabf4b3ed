"""Storage mode tempo needs the preflight's decisions (issue 11): run without it, it stops before writing."""

from __future__ import annotations

import os

import pytest

from runner import PLAYBOOK_BIN, assert_clean_failure, run_role, twin_stats

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")


def test_tempo_step_without_the_preflight_fails_naming_the_fix_and_writes_nothing(twin):
    twin_stats(twin, reset=True)
    rc, _recap, out = run_role(twin, "jaeger_production", {"jaeger_production_kubeconfig": twin["KUBECONFIG"]},
                               "--tags", "jaeger_production_tempo")
    assert rc != 0, out[-3000:]
    msg = assert_clean_failure(out)
    assert msg.startswith("Failed to apply storage mode tempo: the preflight of role jaeger_production did not run"), msg
    assert "Fix: run with --tags jaeger_production" in msg
    assert twin_stats(twin)["writes"] == 0
