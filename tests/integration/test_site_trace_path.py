"""Make before break (issue 23): while the site playbook upgrades the seed's cluster, the agents always
have a trace path to ready pods.

Starting point: the twin's before-state with the seed's own fix applied (the agents' OTLP exporter on
``jaeger-collector.jaeger:4317``, served by the all-in-one Jaeger). A thread samples, every 0.2 s
during the whole site run, whether every Service the agents' configuration (ConfigMap
``otel-collector-config``) exports traces to has a ready pod behind it (runner.TracePathSampler).
Measured before the fix: 20.7 s without a path in a ~28 s run (138 samples) (step 1 pointed the agents at the sampler
Service, which has no pods until the end of step 4; step 4 deleted the all-in-one before Tempo
served ``jaeger-collector``).
"""

from __future__ import annotations

import os

import pytest

from runner import PLAYBOOK_BIN, TracePathSampler, run_site, seed_fixed_agents, trace_path

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")


def test_site_run_from_the_seed_never_leaves_the_agents_without_a_path(twin_factory):
    env = twin_factory(before_state=True)
    seed_fixed_agents(env)
    with TracePathSampler(env) as sampler:
        rc, recap, out = run_site(env, timeout=900)
    assert rc == 0, out[-4000:]
    assert len(sampler.samples) > 20
    print("samples %d, seconds without a path %.1f, gaps %s" % (len(sampler.samples), sampler.seconds_without(), sampler.gaps()))
    assert sampler.seconds_without() == 0, (sampler.seconds_without(), sampler.gaps())
    # and at the end the agents go through the samplers
    ok, detail = trace_path(env)
    assert ok and "jaeger/otel-sampler" in detail, detail
