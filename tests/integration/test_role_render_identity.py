"""The objects the roles otel_collector and tail_sampler render are the recorded ones (issues 21 and 24).

Every variant of tests/data/collector_variants.yml is rendered by the roles' own vars (defaults/main.yml
and vars/main.yml, the variant as task vars, one ansible-playbook run on localhost, no cluster) and the
sha256 of each Collector configuration (the ConfigMap's text) and of each object list (JSON, sorted keys)
is compared with tests/data/collector_renders.json. That file was written by this test from the Jinja
programs of roles/otel_collector/vars/main.yml before the agents' configuration moved to Python
(plugins/module_utils/otel_config), so a change of any rendered byte fails here.

The variants in REFUSED are overrides that used to change a value silently (a port that the DaemonSet's
containerPort, the Service and the probes take from a role variable): they are refused now, with the
variable to set instead.

``COLLECTOR_RENDERS_WRITE=1`` rewrites the recorded file from the current roles (only for a deliberate
change of the rendered objects; say so in the commit).
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest
import yaml

from runner import COLLECTOR_RENDERED, PLAYBOOK_BIN, ROOT, localhost_play, run_playbook

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK_BIN), reason="ansible-playbook not in the venv")

DATA = os.path.join(ROOT, "tests", "data")
VARIANTS_FILE = os.path.join(DATA, "collector_variants.yml")
RECORDED_FILE = os.path.join(DATA, "collector_renders.json")
ROLE_FILES = {
    "agent": [os.path.join(ROOT, "roles", "otel_collector", d, "main.yml") for d in ("defaults", "vars")],
    "sampler": [os.path.join(ROOT, "roles", "tail_sampler", d, "main.yml") for d in ("defaults", "vars")],
}
# The preflight's reading of the cluster (the site's hand-off): namespace there, sampler namespace missing,
# so the sampler Namespace object is rendered whenever the role would create it.
PREFLIGHT = {"effective": {"otel_namespace_exists": True, "otel_sampler_namespace_missing": True}}
# Silent before, refused now: variant -> words the refusal must contain.
REFUSED = {
    "overrides-port-mismatch": ["receivers.otlp.protocols.grpc.endpoint", "otel_collector_otlp_grpc_port"],
    "overrides-health-port-mismatch": ["extensions.health_check.endpoint", "otel_collector_health_check_port"],
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest(rendered: dict) -> dict:
    """The recorded facts of one rendering: hashes, and the sizes the Python must derive alike."""
    objects = rendered["objects"]
    env = {}
    resources = {}
    for obj in objects:
        if obj["kind"] in ("DaemonSet", "Deployment"):
            (container,) = obj["spec"]["template"]["spec"]["containers"]
            env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
            resources = container["resources"]
    return {"config_sha256": sha256(rendered["config"]),
            "objects_sha256": sha256(json.dumps(objects, sort_keys=True, separators=(",", ":"), ensure_ascii=False)),
            "gomemlimit": env.get("GOMEMLIMIT"), "resources": resources}


def load_variants() -> dict:
    with open(VARIANTS_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def load_recorded() -> dict:
    with open(RECORDED_FILE, encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("renders")
    plays = []
    for kind, variants in load_variants().items():
        tasks = [{"name": f"{kind} {name}", "vars": values, "ignore_errors": True,
                  "ansible.builtin.copy": {"dest": str(out / f"{kind}--{name}.json"), "content": COLLECTOR_RENDERED[kind]}}
                 for name, values in variants.items()]
        play = localhost_play(tasks, name=f"render {kind}")
        play["vars_files"] = ROLE_FILES[kind]
        play["vars"]["__otel_collector_site_preflight"] = PREFLIGHT
        plays.append(play)
    run = run_playbook(plays, timeout=600)
    assert run.recap, run.output[-3000:]
    result = {}
    for kind, variants in load_variants().items():
        for name in variants:
            path = out / f"{kind}--{name}.json"
            if path.exists():
                result[(kind, name)] = json.loads(path.read_text(encoding="utf-8"))
    return result, run.output


def test_rendered_objects_are_the_recorded_ones(rendered):
    result, output = rendered
    digests = {kind: {name: digest(result[(kind, name)]) for (k, name) in sorted(result) if k == kind}
               for kind in ("agent", "sampler")}
    if os.environ.get("COLLECTOR_RENDERS_WRITE") == "1":
        # the refused variants render nothing now: their entries (the Jinja's renders) are kept as recorded
        kept = load_recorded().get("agent", {})
        digests["agent"].update({name: kept[name] for name in REFUSED if name in kept})
        with open(RECORDED_FILE, "w", encoding="utf-8") as fh:
            json.dump(digests, fh, indent=1, sort_keys=True)
            fh.write("\n")
    recorded = load_recorded()
    variants = load_variants()
    assert set(recorded) == set(variants)
    differ = []
    for kind, names in variants.items():
        for name in names:
            if name in REFUSED and kind == "agent":
                continue
            if (kind, name) not in result:
                differ.append(f"{kind} {name}: not rendered")
            elif digests[kind][name] != recorded[kind].get(name):
                differ.append(f"{kind} {name}: {digests[kind][name]} != {recorded[kind].get(name)}")
    assert not differ, "\n".join(differ) + "\n" + output[-2000:]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_silent_override_of_a_port_is_refused(rendered, name):
    result, output = rendered
    if ("agent", name) in result:
        pytest.fail(f"agent {name} was rendered; expected a refusal naming {REFUSED[name]}")
    task = output.split(f"TASK [agent {name}]", 1)[1].split("TASK [", 1)[0]
    for words in REFUSED[name]:
        assert words in task, task


def test_the_role_preflight_refuses_a_moved_port_before_reading_the_cluster():
    """The role's own preflight renders the configuration: the refusal comes before any read or write."""
    overrides = load_variants()["agent"]["overrides-port-mismatch"]
    play = localhost_play([{"name": "otel_collector preflight", "ansible.builtin.include_role": {
        "name": "talos_homelab.tracing.otel_collector", "tasks_from": "preflight"}, "vars": overrides}], name="preflight")
    run = run_playbook([play], timeout=300)
    assert run.rc != 0 and run.recap.get("failed") == 1, run.output[-3000:]
    failed = run.output.split("TASK [talos_homelab.tracing.otel_collector : Preflight | Check the receivers and render the configuration]", 1)
    assert len(failed) == 2, run.output[-3000:]
    assert "Failed to render the agents' Collector configuration" in failed[1], failed[1]
    assert "Fix: set otel_collector_otlp_grpc_port" in failed[1], failed[1]
    assert "Read the namespaces" not in failed[1]


def test_sampler_overrides_reach_the_configmap_and_roll_the_pods(tmp_path):
    """tail_sampler_config_overrides (new with the move) is merged into the ConfigMap the role renders."""
    overrides = {"processors": {"tail_sampling": {"num_traces": 4321}}, "exporters": {"otlp_grpc": {"sending_queue": {"queue_size": 77}}}}
    tasks = [{"name": f"sampler {name}", "vars": {"tail_sampler_config_overrides": value},
              "ansible.builtin.copy": {"dest": str(tmp_path / f"{name}.json"), "content": COLLECTOR_RENDERED["sampler"]}}
             for name, value in (("plain", {}), ("overridden", overrides))]
    play = localhost_play(tasks, name="render sampler overrides")
    play["vars_files"] = ROLE_FILES["sampler"]
    run = run_playbook([play], timeout=300)
    assert run.rc == 0, run.output[-3000:]
    plain, overridden = (json.loads((tmp_path / f"{n}.json").read_text(encoding="utf-8")) for n in ("plain", "overridden"))
    conf = yaml.safe_load(overridden["config"])
    assert conf["processors"]["tail_sampling"]["num_traces"] == 4321
    assert conf["exporters"]["otlp_grpc"]["sending_queue"] == {"queue_size": 77}
    assert conf["processors"]["tail_sampling"]["decision_wait"] == yaml.safe_load(plain["config"])["processors"]["tail_sampling"]["decision_wait"]
    assert digest(plain) == load_recorded()["sampler"]["defaults"]

    def annotation(rendered):
        (deploy,) = [o for o in rendered["objects"] if o["kind"] == "Deployment"]
        return deploy["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    assert annotation(overridden) == sha256(overridden["config"]) != annotation(plain)
