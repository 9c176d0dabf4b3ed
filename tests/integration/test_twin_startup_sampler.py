"""The tail-sampling configurations the roles render start on the upstream facts (issue 10's checks).

One ansible-playbook run renders, with the roles' own templating: the sampler's configuration and
Deployment (role tail_sampler: defaults, a custom load, a hash salt) and the agents' configuration
in both sampling modes (role otel_collector: tail, head). Each must be accepted by the twin's
start-up checks for its pinned otelcol-contrib version (tests/twin/schemas: flags, component
types - loadbalancing and tail_sampling are components of 0.114.0 and 0.159.0 - and core keys),
and a misspelt core key in the sampler's configuration is refused with the Collector's wording. At the
release tools/go/otelcol builds (0.159.0, the default) the twin judges with the real binary, and so do
these tests (``_verdict``): the extracted facts list the contrib types by their 0.114.0-era names.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml

from runner import ROOT, localhost_play, run_playbook
from tests import otelcol
from tests.twin.schemas import check

FILES = [os.path.join(ROOT, "roles", role, sub, "main.yml") for role in ("otel_collector", "tail_sampler") for sub in ("defaults", "vars")]
SAMPLER_VARIANTS = {
    "defaults": {},
    "load-and-salt": {"tail_sampler_expected_spans_per_sec": 50000, "tail_sampler_hash_salt": "homelab",
                      "tail_sampler_decision_wait": "30s", "tail_sampler_num_traces": 200000},
    "newest-image": {"tail_sampler_image": "otel/opentelemetry-collector-contrib:0.159.0"},
}
AGENT_VARIANTS = {"tail": {"otel_collector_sampling": "tail"}, "head": {"otel_collector_sampling": "head"}}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("rendered-sampling")
    tasks = []
    for name, variant in SAMPLER_VARIANTS.items():
        tasks.append({"name": f"sampler {name}", "vars": variant, "ansible.builtin.copy": {
            "dest": str(out / f"sampler-{name}.json"),
            "content": "{{ {'config': __tail_sampler_config_yaml, 'objects': __tail_sampler_objects} | to_json }}"}})
    for name, variant in AGENT_VARIANTS.items():
        tasks.append({"name": f"agents {name}", "vars": variant, "ansible.builtin.copy": {
            "dest": str(out / f"agents-{name}.json"),
            "content": "{{ {'config': __otel_collector_config_yaml, 'objects': __otel_collector_all_objects} | to_json }}"}})
    play = localhost_play(tasks, name="render")
    play["vars_files"] = FILES
    play["vars"]["__otel_collector_sampler_ns_info"] = {"resources": [{"metadata": {"name": "jaeger"}}]}
    run = run_playbook([play])
    assert run.rc == 0, run.output
    return {f[:-5]: json.load(open(out / f)) for f in os.listdir(out)}


def _container(objects, kind):
    (obj,) = [o for o in objects if o["kind"] == kind]
    (c,) = obj["spec"]["template"]["spec"]["containers"]
    return c


def _verdict(tag, text, mounts=None):
    """None when the Collector of ``tag`` accepts ``text``, as the twin judges it: the real binary at its
    release (tests/twin/controllers/startup.py ``_collector``), the extracted facts otherwise."""
    if tag == otelcol.RELEASE and otelcol.available():
        ok, message = otelcol.validate(text, mounts=mounts, service_account="opentelemetry")
        return None if ok else message
    return check.check_collector(check.collector_facts(tag), text)


@pytest.mark.parametrize("variant", sorted(SAMPLER_VARIANTS))
def test_rendered_sampler_starts(rendered, variant):
    r = rendered[f"sampler-{variant}"]
    c = _container(r["objects"], "Deployment")
    repo, tag = check.parse_image(c["image"])
    assert check.released(repo, tag) is True
    facts = check.collector_facts(tag)
    assert facts is not None, c["image"]
    assert check.check_pflags(facts["flags"], c["args"]) is None
    assert _verdict(tag, r["config"]) is None
    conf = yaml.safe_load(r["config"])
    assert conf["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "tail_sampling", "batch"]


def test_sampler_image_defaults_to_the_agents_pinned_version(rendered):
    agents = _container(rendered["agents-tail"]["objects"], "DaemonSet")
    assert _container(rendered["sampler-defaults"]["objects"], "Deployment")["image"] == agents["image"]


@pytest.mark.parametrize("variant", sorted(AGENT_VARIANTS))
def test_rendered_agents_start_in_both_modes(rendered, variant):
    r = rendered[f"agents-{variant}"]
    c = _container(r["objects"], "DaemonSet")
    assert _verdict(check.parse_image(c["image"])[1], r["config"], mounts={"/hostfs": "/"}) is None
    conf = yaml.safe_load(r["config"])
    roles = [o for o in r["objects"] if o["kind"] == "Role"]
    if variant == "tail":
        assert conf["service"]["pipelines"]["traces"]["exporters"] == ["load_balancing"]
        assert [o["metadata"]["namespace"] for o in roles] == ["jaeger"]
    else:
        assert "probabilistic_sampler" in conf["service"]["pipelines"]["traces"]["processors"] and roles == []


def test_misspelt_batch_key_in_the_sampler_is_refused(rendered):
    conf = yaml.safe_load(rendered["sampler-defaults"]["config"])
    conf["processors"]["batch"]["send_batch_sise"] = conf["processors"]["batch"].pop("send_batch_size")
    err = check.check_collector(check.collector_facts("0.114.0"), yaml.safe_dump(conf))
    assert err is not None and "'' has invalid keys: send_batch_sise" in err["message"]
