"""Every configuration the roles render starts on the upstream facts; mutations of it are refused.

The roles' own templating renders the configurations (one ansible-playbook run: the roles'
defaults and private vars, each variant as task vars on top, the example inventory's values as a
variant). The twin's start-up checks (tests/twin/schemas/check.py, data extracted from upstream at
the pinned tags) must accept each, and refuse each mutation with the upstream wording.
"""

from __future__ import annotations

import copy
import json
import os
import sys

import pytest
import yaml

from runner import COLLECTIONS, ROOT, localhost_play, run_playbook
from tests.twin.controllers import startup
from tests.twin.controllers.tempo import expand_env
from tests.twin.schemas import check

if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.storage import wal_claim_template  # noqa: E402

OTEL_DEFAULTS = os.path.join(ROOT, "roles", "otel_collector", "defaults", "main.yml")
OTEL_VARS = os.path.join(ROOT, "roles", "otel_collector", "vars", "main.yml")
JAEGER_DEFAULTS = os.path.join(ROOT, "roles", "jaeger_production", "defaults", "main.yml")
JAEGER_VARS = os.path.join(ROOT, "roles", "jaeger_production", "vars", "main.yml")
EXAMPLE = os.path.join(ROOT, "examples", "inventory", "group_vars", "all.yml")


def _example_vars():
    with open(EXAMPLE) as fh:
        data = yaml.safe_load(fh) or {}
    return {k: v for k, v in data.items() if k.startswith(("otel_collector_", "jaeger_production_"))}


OTEL_VARIANTS = {
    "defaults": {},
    "example-inventory": _example_vars(),
    "all-receivers-off": {"otel_collector_hostmetrics_enabled": False, "otel_collector_kubeletstats_enabled": False},
    "remote-write-and-labels": {"otel_collector_prometheus_remote_write_enabled": True,
                                "otel_collector_prometheus_remote_write_endpoint": "http://prometheus:9090/api/v1/write",
                                "otel_collector_kubeletstats_extra_metadata_labels": ["container.id"]},
    "sampling-25": {"otel_collector_sampling_percentage": 25, "otel_collector_batch_send_batch_size": 1024},
    # head sampling: probabilistic_sampler and the otlp exporter (the default, tail, uses loadbalancing)
    "head": {"otel_collector_sampling": "head"},
}
# The twin's refusals of these renders are checked in 0.114.0's words against its extracted facts: every
# variant pins that image (the default, 0.159.0, is judged by the real binary: tests/unit/test_otelcol_validate.py).
OTEL_VARIANTS = {name: dict(variant, otel_collector_image="otel/opentelemetry-collector-contrib:0.114.0")
                 for name, variant in OTEL_VARIANTS.items()}
JAEGER_VARIANTS = {
    "defaults": {},
    "example-inventory": _example_vars(),
    "retention-30d": {"jaeger_production_tempo_block_retention": "720h", "jaeger_production_tempo_replicas": 1,
                      "jaeger_production_tempo_replication_factor": 1},
}
GRPC_PLUGIN = {"jaeger_production_storage_mode": "grpc-plugin", "jaeger_production_grpc_plugin_image": "registry.example/s3-plugin:1.0",
               "jaeger_production_grpc_plugin_binary": "/plugin/s3-plugin", "__jaeger_production_storage_checksum": "0"}
# Values the storage Secret gives Tempo (envFrom) when it expands ${VAR} in tempo.yaml.
TEMPO_ENV = {"S3_BUCKET": "jaeger-traces", "S3_ENDPOINT": "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80",
             "S3_REGION": "us-east-1", "S3_INSECURE": "true"}


def _load_yaml(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("rendered")
    tasks = []
    for name, variant in OTEL_VARIANTS.items():
        tasks.append({"name": f"otel {name}", "vars": variant,
                      "ansible.builtin.copy": {"dest": str(out / f"otel-{name}.json"),
                                               "content": "{{ {'config': __otel_collector_config_yaml, 'objects': __otel_collector_objects} | to_json }}"}})
    for name, variant in JAEGER_VARIANTS.items():
        # the preflight's hand-off the role renders Tempo's WAL claim from (a site run passes it down)
        handoff = {"effective": {"wal_storage_class": "ceph-block", "wal_claim_template": wal_claim_template(
            "ceph-block", variant.get("jaeger_production_tempo_wal_size") or _load_yaml(JAEGER_DEFAULTS)["jaeger_production_tempo_wal_size"])}}
        tasks.append({"name": f"jaeger {name}", "vars": {**variant, "__jaeger_production_storage_checksum": "0",
                                                         "__jaeger_production_site_preflight": handoff},
                      "ansible.builtin.copy": {"dest": str(out / f"jaeger-{name}.json"),
                                               "content": "{{ {'data': __jaeger_production_tempo_configmap_data, "
                                                          "'objects': __jaeger_production_tempo_objects} | to_json }}"}})
    tasks.append({"name": "jaeger grpc-plugin", "vars": GRPC_PLUGIN,
                  "ansible.builtin.copy": {"dest": str(out / "grpc-plugin.json"), "content": "{{ __jaeger_production_cr_spec | to_json }}"}})
    play = localhost_play(tasks, name="render")
    play["vars_files"] = [OTEL_DEFAULTS, OTEL_VARS, JAEGER_DEFAULTS, JAEGER_VARS]
    run = run_playbook([play])
    assert run.rc == 0, run.output
    result = {}
    for fname in os.listdir(out):
        with open(out / fname) as fh:
            result[fname[:-5]] = json.load(fh)
    return result


def _containers(objects, kind):
    for obj in objects:
        if obj.get("kind") == kind:
            yield from obj["spec"]["template"]["spec"]["containers"]


def _collector_container(objects):
    (c,) = list(_containers(objects, "DaemonSet"))
    return c


def _tempo_container(objects):
    return next(c for c in _containers(objects, "StatefulSet") if c["name"] == "tempo")


def _tempo_query_container(objects):
    return next(c for c in _containers(objects, "Deployment") if c["name"] == "tempo-query")


def _version(image):
    return check.parse_image(image)[1]


# ------------------------------------------------------------------ accepted
@pytest.mark.parametrize("variant", sorted(OTEL_VARIANTS))
def test_rendered_collector_config_starts(rendered, variant):
    r = rendered[f"otel-{variant}"]
    c = _collector_container(r["objects"])
    repo, tag = check.parse_image(c["image"])
    assert check.released(repo, tag) is True
    facts = check.collector_facts(tag)
    assert facts is not None, f"no upstream facts for {c['image']}"
    assert check.check_pflags(facts["flags"], c["args"]) is None
    assert check.check_collector(facts, r["config"]) is None


@pytest.mark.parametrize("variant", sorted(JAEGER_VARIANTS))
def test_rendered_tempo_and_query_start(rendered, variant):
    r = rendered[f"jaeger-{variant}"]
    tempo = _tempo_container(r["objects"])
    facts = check.tempo_facts(_version(tempo["image"]))
    assert facts is not None
    assert check.check_go_flags(facts["flags"], tempo["args"]) is None
    assert check.check_tempo(facts, expand_env(r["data"]["tempo.yaml"], TEMPO_ENV), "/conf/tempo.yaml") is None
    query = _tempo_query_container(r["objects"])
    qfacts = check.load(f"tempo-query-{_version(query['image'])}.json")
    assert check.check_go_flags(qfacts["flags"], query["args"]) is None
    for c in list(_containers(r["objects"], "StatefulSet")) + list(_containers(r["objects"], "Deployment")):
        repo, tag = check.parse_image(c["image"])
        assert check.released(repo, tag) is True, c["image"]
    jq = _jaeger_query_container(r["objects"])
    env = {e["name"]: e["value"] for e in jq["env"] if "value" in e}
    assert check.check_jaeger_storage(check.load(f"jaeger-{_version(jq['image'])}.json"), env) is None


def _jaeger_query_container(objects):
    return next(c for c in _containers(objects, "Deployment") if c["name"] == "jaeger-query")


def test_jaeger_query_storage_type_refused(rendered):
    jq = _jaeger_query_container(rendered["jaeger-defaults"]["objects"])
    facts = check.load(f"jaeger-{_version(jq['image'])}.json")
    err = check.check_jaeger_storage(facts, {"SPAN_STORAGE_TYPE": "grpc-plugin"})
    assert err["message"] == ("Cannot initialize storage factory: unknown storage type grpc-plugin. "
                              "Valid types are [cassandra opensearch elasticsearch memory kafka badger blackhole grpc]")


def test_rendered_grpc_plugin_images_are_released(rendered):
    spec = rendered["grpc-plugin"]
    images = sorted({v for k, v in _walk_items(spec) if k == "image"})
    jaeger = [i for i in images if "jaegertracing/" in i]
    assert len(jaeger) >= 2, images
    for image in jaeger:
        repo, tag = check.parse_image(image)
        assert check.released(repo, tag) is True, image


def _walk_items(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k, v
            yield from _walk_items(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _walk_items(v)


# ------------------------------------------------------------------ refused (mutations of the rendered defaults)
def _collector_error(rendered, mutate):
    # the head-mode rendering: it holds the core otlp exporter and probabilistic_sampler the mutations name
    r = rendered["otel-head"]
    cfg = yaml.safe_load(r["config"])
    mutate(cfg)
    facts = check.collector_facts(_version(_collector_container(r["objects"])["image"]))
    return check.check_collector(facts, yaml.safe_dump(cfg))


def _rename(d, old, new):
    d[new] = d.pop(old)


COLLECTOR_MISSPELT = {
    # component: (mutation, id, the mapstructure key path in the message)
    "receivers::otlp": (lambda c: _rename(c["receivers"]["otlp"]["protocols"]["grpc"], "endpoint", "endpont"), "otlp",
                        "'protocols.grpc' has invalid keys: endpont"),
    "processors::batch": (lambda c: _rename(c["processors"]["batch"], "send_batch_size", "send_batch_sise"), "batch",
                          "'' has invalid keys: send_batch_sise"),
    "processors::memory_limiter": (lambda c: _rename(c["processors"]["memory_limiter"], "limit_mib", "limit_mb"), "memory_limiter",
                                   "'' has invalid keys: limit_mb"),
    "exporters::otlp": (lambda c: _rename(c["exporters"]["otlp"]["tls"], "insecure", "insecur"), "otlp", "'tls' has invalid keys: insecur"),
}


@pytest.mark.parametrize("component", sorted(COLLECTOR_MISSPELT))
def test_collector_misspelt_key_refused(rendered, component):
    mutate, cid, text = COLLECTOR_MISSPELT[component]
    section = component.split("::")[0]
    err = _collector_error(rendered, mutate)
    assert err is not None
    assert err["message"] == (
        "Error: failed to get config: cannot unmarshal the configuration: decoding failed due to the following error(s):\n\n"
        f"error decoding '{section}': error reading configuration for \"{cid}\": decoding failed due to the following error(s):\n\n{text}")
    assert err["component"] == component


COLLECTOR_WRONG_TYPE = {
    "processors::batch": (lambda c: c["processors"]["batch"].update(send_batch_size="8k"),
                          "'send_batch_size' expected type 'uint32', got unconvertible type 'string', value: '8k'"),
    "processors::memory_limiter": (lambda c: c["processors"]["memory_limiter"].update(check_interval="5 seconds"),
                                   "error decoding 'check_interval': time: invalid duration \"5 seconds\""),
    "exporters::otlp": (lambda c: c["exporters"]["otlp"]["tls"].update(insecure="yes"),
                        "'tls.insecure' expected type 'bool', got unconvertible type 'string', value: 'yes'"),
    "receivers::otlp": (lambda c: c["receivers"]["otlp"]["protocols"]["grpc"].update(max_recv_msg_size_mib="4MiB"),
                        "'protocols.grpc.max_recv_msg_size_mib' expected type 'int', got unconvertible type 'string', value: '4MiB'"),
}


@pytest.mark.parametrize("component", sorted(COLLECTOR_WRONG_TYPE))
def test_collector_wrong_value_type_refused(rendered, component):
    mutate, text = COLLECTOR_WRONG_TYPE[component]
    err = _collector_error(rendered, mutate)
    assert err is not None and err["message"].endswith(text), err
    assert err["component"] == component


@pytest.mark.parametrize("section,old,new", [
    ("receivers", "otlp", "otlpp"), ("processors", "batch", "batching"), ("processors", "probabilistic_sampler", "probabilisticsampling"),
    ("processors", "memory_limiter", "memorylimiter"), ("exporters", "otlp", "otlp_grpc"), ("extensions", "health_check", "healthcheck"),
])
def test_collector_unknown_component_type_refused(rendered, section, old, new):
    def mutate(c):
        _rename(c[section], old, new)

    err = _collector_error(rendered, mutate)
    assert err is not None
    prefix = ("Error: failed to get config: cannot unmarshal the configuration: decoding failed due to the following error(s):\n\n"
              f"error decoding '{section}': unknown type: \"{new}\" for id: \"{new}\" (valid values: [")
    assert err["message"].startswith(prefix), err["message"]
    assert f" {old} " in err["message"] or f"[{old} " in err["message"] or f" {old}]" in err["message"]


def test_collector_pipeline_reference_refused(rendered):
    err = _collector_error(rendered, lambda c: c["service"]["pipelines"]["traces"]["processors"].append("tail_sampling"))
    assert err["message"] == 'Error: invalid configuration: service::pipelines::traces: references processor "tail_sampling" which is not configured'


def test_collector_unknown_flag_refused(rendered):
    c = _collector_container(rendered["otel-defaults"]["objects"])
    facts = check.collector_facts(_version(c["image"]))
    assert check.check_pflags(facts["flags"], c["args"] + ["--config-file=/x"])["message"] == "unknown flag: --config-file"
    assert check.check_pflags(facts["flags"], ["-config=/conf/config.yaml"])["message"] == "unknown shorthand flag: 'c' in -config=/conf/config.yaml"


def _tempo_error(rendered, mutate):
    r = rendered["jaeger-defaults"]
    cfg = yaml.safe_load(expand_env(r["data"]["tempo.yaml"], TEMPO_ENV))
    mutate(cfg)
    facts = check.tempo_facts(_version(_tempo_container(r["objects"])["image"]))
    return check.check_tempo(facts, yaml.safe_dump(cfg, sort_keys=True), "/conf/tempo.yaml")


@pytest.mark.parametrize("mutate,field,gotype", [
    (lambda c: _rename(c["compactor"]["compaction"], "block_retention", "block_retension"), "block_retension", "tempodb.CompactorConfig"),
    (lambda c: _rename(c["storage"]["trace"]["s3"], "forcepathstyle", "force_path_style"), "force_path_style", "s3.Config"),
    (lambda c: _rename(c, "multitenancy_enabled", "multi_tenancy_enabled"), "multi_tenancy_enabled", "app.Config"),
    (lambda c: _rename(c["server"], "http_listen_port", "http_port"), "http_port", "server.Config"),
])
def test_tempo_misspelt_key_refused(rendered, mutate, field, gotype):
    err = _tempo_error(rendered, mutate)
    assert err is not None
    assert err["message"].startswith("failed parsing config: failed to parse configFile /conf/tempo.yaml: yaml: unmarshal errors:\n  line ")
    assert err["message"].endswith(f": field {field} not found in type {gotype}"), err["message"]
    assert err["key"] == field


def test_tempo_wrong_value_type_refused(rendered):
    err = _tempo_error(rendered, lambda c: c["server"].update(http_listen_port="http"))
    assert err["message"].endswith(": cannot unmarshal !!str `http` into int"), err["message"]


def test_tempo_and_tempo_query_unknown_flag_refused(rendered):
    objects = rendered["jaeger-defaults"]["objects"]
    tempo = _tempo_container(objects)
    facts = check.tempo_facts(_version(tempo["image"]))
    err = check.check_go_flags(facts["flags"], tempo["args"] + ["-storage.trace.backnd=s3"])
    assert err["message"] == "flag provided but not defined: -storage.trace.backnd"
    query = _tempo_query_container(objects)
    qfacts = check.load(f"tempo-query-{_version(query['image'])}.json")
    assert check.check_go_flags(qfacts["flags"], ["-config.file=/conf/tempo-query.yaml"])["message"] == "flag provided but not defined: -config.file"


@pytest.mark.parametrize("image", ["otel/opentelemetry-collector-contrib:0.114.9", "docker.io/grafana/tempo:2.6.9",
                                   "docker.io/grafana/tempo-query:2.6.2-rc.1", "docker.io/jaegertracing/jaeger-query:1.62.1",
                                   "docker.io/jaegertracing/jaeger-collector:1.57.1"])
def test_unreleased_tag_cannot_be_pulled(image):
    repo, tag = check.parse_image(image)
    assert check.released(repo, tag) is False
    pod = {"metadata": {"name": "p", "namespace": "n", "uid": "u"}, "spec": {"containers": [{"name": "c", "image": image}]}}
    state = startup.container_start(None, pod, pod["spec"]["containers"][0], {})
    ref = startup.full_ref(image)
    assert state == {"waiting": {"reason": "ErrImagePull", "message": startup.pull_error(image)}}
    assert state["waiting"]["message"].endswith(f'failed to resolve reference "{ref}": {ref}: not found')
    again = startup.container_start(None, pod, pod["spec"]["containers"][0], {"state": state})
    assert again == {"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}}


def test_mutations_are_copies(rendered):
    before = copy.deepcopy(rendered["otel-defaults"])
    _collector_error(rendered, lambda c: c.clear())
    assert rendered["otel-defaults"] == before
