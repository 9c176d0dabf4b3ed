"""Storage mode tempo needs the preflight's decisions (issue 11): run without it, it stops before writing."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import PLAYBOOK_BIN, twin_stats  # noqa: E402
from test_role_otel_collector import run_role  # noqa: E402
from test_site_reliability import assert_clean_failure  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")


def test_tempo_step_without_the_preflight_fails_naming_the_fix_and_writes_nothing(twin, tmp_path):
    twin_stats(twin, reset=True)
    rc, _recap, out = run_role(twin, tmp_path, "jaeger_production", {"jaeger_production_kubeconfig": twin["KUBECONFIG"]},
                               "--tags", "jaeger_production_tempo")
    assert rc != 0, out[-3000:]
    msg = assert_clean_failure(out)
    assert msg.startswith("Failed to apply storage mode tempo: the preflight of role jaeger_production did not run"), msg
    assert "Fix: run with --tags jaeger_production" in msg
    assert twin_stats(twin)["writes"] == 0
