"""The upstream facts (tests/twin/schemas), their extractor, and the twin's start-up emulation."""

import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.twin import cluster  # noqa: E402
from tests.twin.controllers import Controllers, startup  # noqa: E402
from tests.twin.schemas import check, extract, gostruct  # noqa: E402
from tests.twin.store import Store  # noqa: E402
from tests.unit.twin.test_controllers import FakeS3  # noqa: E402

from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import facts as readiness_checks  # noqa: E402
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import collect  # noqa: E402


def _types(facts, node):
    return facts["types"][node["struct"]]


# ------------------------------------------------------------------ facts checked by hand upstream
def test_pinned_collector_facts():
    facts = check.collector_facts("0.114.0")
    comps = facts["components"]
    # open-telemetry/opentelemetry-collector v0.114.0 processor/batchprocessor/config.go:24
    #   SendBatchSize uint32 `mapstructure:"send_batch_size"`
    assert _types(facts, comps["processors"]["batch"]["config"])["keys"]["send_batch_size"] == {"scalar": "uint32"}
    # v0.114.0 internal/memorylimiter/config.go:31  MemoryLimitMiB uint32 `mapstructure:"limit_mib"`
    assert _types(facts, comps["processors"]["memory_limiter"]["config"])["keys"]["limit_mib"] == {"scalar": "uint32"}
    # v0.114.0 config/configgrpc/configgrpc.go:168 NetAddr confignet.AddrConfig `mapstructure:",squash"`
    # + config/confignet/confignet.go:77,81 endpoint/transport: squashed into the gRPC server keys
    otlp = _types(facts, comps["receivers"]["otlp"]["config"])
    grpc = _types(facts, _types(facts, otlp["keys"]["protocols"])["keys"]["grpc"])
    assert {"endpoint", "transport", "tls"} <= set(grpc["keys"]) and "NetAddr" not in grpc["keys"]
    # v0.114.0 config/configtls/configtls.go:93  Insecure bool `mapstructure:"insecure"`
    tls = _types(facts, _types(facts, comps["exporters"]["otlp"]["config"])["keys"]["tls"])
    assert tls["keys"]["insecure"] == {"scalar": "bool"}
    # opentelemetry-collector-releases v0.114.0 distributions/otelcol-contrib/manifest.yaml:21,101,109
    assert comps["extensions"]["health_check"]["module"].endswith("/extension/healthcheckextension")
    assert comps["processors"]["probabilistic_sampler"]["module"].endswith("/processor/probabilisticsamplerprocessor")
    assert "tail_sampling" in comps["processors"] and "loadbalancing" in comps["exporters"]
    # featuregate/flag.go:14 featureGatesFlag = "feature-gates"; otelcol/flags.go:15 configFlag = "config"
    assert facts["flags"]["names"] == ["config", "feature-gates", "set"]


def test_newest_collector_renames_otlp_exporter():
    # open-telemetry/opentelemetry-collector v0.159.0 exporter/otlpexporter/metadata.yaml:2-3
    #   type: otlp_grpc / deprecated_type: otlp
    comps = check.collector_facts("0.159.0")["components"]["exporters"]
    assert comps["otlp"]["deprecated_alias_of"] == "otlp_grpc" and "otlp_grpc" in comps


def test_pinned_tempo_facts():
    facts = check.tempo_facts("2.6.1")
    root = _types(facts, facts["root"])
    # grafana/tempo v2.6.1 cmd/tempo/app/config.go:36  MultitenancyEnabled bool `yaml:"multitenancy_enabled,omitempty"`
    assert root["go"] == "app.Config" and root["keys"]["multitenancy_enabled"] == {"scalar": "bool"}
    # v2.6.1 tempodb/config.go:133  BlockRetention time.Duration `yaml:"block_retention"`
    compaction = _types(facts, _types(facts, root["keys"]["compactor"])["keys"]["compaction"])
    assert compaction["go"] == "tempodb.CompactorConfig" and compaction["keys"]["block_retention"] == {"scalar": "duration"}
    # v2.6.1 tempodb/backend/s3/config.go:29  ForcePathStyle bool `yaml:"forcepathstyle"`
    s3 = _types(facts, _types(facts, _types(facts, root["keys"]["storage"])["keys"]["trace"])["keys"]["s3"])
    assert s3["keys"]["forcepathstyle"] == {"scalar": "bool"}
    # v2.6.1 cmd/tempo/app/config.go:72 f.StringVar(&c.Target, "target", ...); main.go config.file/expand-env
    assert {"target", "config.file", "config.expand-env"} <= set(facts["flags"]["names"])
    # v2.6.1 cmd/tempo-query/main.go:33 flag.StringVar(&configPath, "config", ...)
    assert "config" in check.load("tempo-query-2.6.1.json")["flags"]["names"]


def test_pinned_jaeger_storage_types():
    # jaegertracing/jaeger v1.57.0 plugin/storage/factory.go:47 grpcPluginStorageType = "grpc-plugin";
    # v1.62.0 plugin/storage/factory.go:37 grpcStorageType = "grpc" (grpc-plugin gone since 1.60)
    assert "grpc-plugin" in check.load("jaeger-1.57.0.json")["storage_types"]
    assert "grpc" in check.load("jaeger-1.62.0.json")["storage_types"]
    assert "grpc-plugin" not in check.load("jaeger-1.62.0.json")["storage_types"]
    assert check.load("jaeger-1.68.0.json")["sources"]["storage_types"] == "internal/storage/v1/factory/factory.go AllStorageTypes"


def test_pinned_image_tags():
    tags = check.load("image-tags.json")["tags"]
    assert "0.114.0" in tags["otel/opentelemetry-collector-contrib"] and "0.159.0" in tags["otel/opentelemetry-collector-contrib"]
    assert {"2.6.1", "2.10.8"} <= set(tags["grafana/tempo"]) and "2.6.0-rc.1" not in tags["grafana/tempo"]
    assert {"1.57.0", "1.62.0", "1.68.0"} <= set(tags["jaegertracing/jaeger-query"])
    assert not any(t.startswith("2.") for t in tags["jaegertracing/jaeger-query"])


@pytest.mark.parametrize("version", extract.TEMPO_VERSIONS)
def test_tempo_key_tree_covers_the_docs_manifest(version):
    """docs/sources/tempo/configuration/manifest.md at the tag: every key path it shows is in the tree."""
    facts = check.tempo_facts(version)
    missing = []
    for path in facts["manifest_keys"]:
        node = facts["root"]
        for key in path:
            if "any" in node or "list" in node or "scalar" in node:
                break  # below an open node, a list or a scalar with a custom decoder: nothing to compare
            if "map" in node:
                node = node["map"]
                continue
            keys = facts["types"][node["struct"]]["keys"]
            if key not in keys:
                missing.append(".".join(path))
                break
            node = keys[key]
    assert len(facts["manifest_keys"]) > 500 and missing == []


# ------------------------------------------------------------------ the parser and the extractor
GO_CONFIG = '''package demo // import "example.com/demo"

import (
    "time"

    net "example.com/demo/netcfg"
)

/* a comment with a brace { that must not count */
type (
    Config struct {
        Timeout time.Duration `mapstructure:"timeout"` // trailing } brace
        net.Addr `mapstructure:",squash"`
        A, B    int           `mapstructure:"ab"`
        Inline  struct {
            Deep []string `mapstructure:"deep"`
        } `mapstructure:"inline"`
        Opt     Optional[Leaf] `mapstructure:"opt"`
        Rest    map[string]any `mapstructure:",remain"`
        hidden  string
        Skipped string `mapstructure:"-"`
    }
    Leaf struct{ Name string `mapstructure:"name"` }
)

type Optional[T any] struct{ v T }

func (o *Optional[T]) Unmarshal(conf any) error { return nil }

const label = "demo"
'''
GO_NET = '''package netcfg

type Addr struct {
    Endpoint string `mapstructure:"endpoint"`
    Kind     Kind   `mapstructure:"kind"`
}

type Kind string
'''


def _git_tree(tmp_path):
    repo = tmp_path / "repo"
    (repo / "netcfg").mkdir(parents=True)
    (repo / "demo.go").write_text(GO_CONFIG)
    (repo / "netcfg" / "addr.go").write_text(GO_NET)
    (repo / "demo_test.go").write_text("package demo\n\ntype Config struct{ X int }\n")
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "x"], ["tag", "v1.0.0"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env, capture_output=True)
    return extract.GitTree(str(repo / ".git"), "v1.0.0", "example/demo")


def _demo_schema(tree):
    sb = extract.SchemaBuilder(extract.Resolver([("example.com/demo", tree, "")]), "mapstructure")
    root = sb.named("example.com/demo", "Config", [], None)
    return extract.dump({"root": root, "types": sb.types})


def test_parser_follows_squash_generics_inline_and_skips_comments(tmp_path):
    data = json.loads(_demo_schema(_git_tree(tmp_path)))
    cfg = data["types"][data["root"]["struct"]]
    assert set(cfg["keys"]) == {"timeout", "endpoint", "kind", "ab", "inline", "opt"}
    assert cfg["open"] == "remain"
    assert cfg["keys"]["timeout"] == {"scalar": "duration"} and cfg["keys"]["kind"] == {"scalar": "string"}
    assert data["types"][cfg["keys"]["inline"]["struct"]]["keys"] == {"deep": {"list": {"scalar": "string"}}}
    # Optional[T] has an Unmarshal method: decoded as T
    assert data["types"][cfg["keys"]["opt"]["struct"]]["keys"] == {"name": {"scalar": "string"}}
    pkg = gostruct.parse_package("", {"demo.go": GO_CONFIG})
    assert pkg.consts["label"] == "demo" and pkg.name == "demo"


def test_extractor_output_is_byte_identical_from_the_same_tag(tmp_path):
    tree = _git_tree(tmp_path)
    first = _demo_schema(tree)
    second = _demo_schema(extract.GitTree(tree.gitdir, "v1.0.0", "example/demo"))
    assert first == second and first.endswith("\n")
    assert json.dumps(json.loads(first), indent=1, sort_keys=True, ensure_ascii=True) + "\n" == first


# ------------------------------------------------------------------ the twin at pod start
def _make():
    store = Store()
    cluster.bootstrap(store, nodes=1)
    ctrl = Controllers(store, FakeS3())
    store.upsert({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "t"}})
    return store, ctrl


COLLECTOR_CFG = {
    "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}}}},
    "processors": {"batch": {"send_batch_size": 8192, "timeout": "5s"}},
    "exporters": {"otlp": {"endpoint": "jaeger:4317", "tls": {"insecure": True}}},
    "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["otlp"]}}},
}


def _collector(store, config, image="otel/opentelemetry-collector-contrib:0.114.0", args=("--config=/conf/config.yaml",)):
    store.upsert({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "t"},
                  "data": {"config.yaml": yaml.safe_dump(config)}})
    store.upsert({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "col", "namespace": "t"},
                  "spec": {"containers": [{"name": "otel", "image": image, "args": list(args),
                                           "volumeMounts": [{"name": "config", "mountPath": "/conf"}]}],
                           "volumes": [{"name": "config", "configMap": {"name": "cfg"}}]}})


def _status(store):
    return store.find("v1", "Pod", "t", "col")["status"]["containerStatuses"][0]


def test_collector_with_a_misspelt_key_crash_loops_with_the_upstream_error(monkeypatch):
    store, ctrl = _make()
    cfg = json.loads(json.dumps(COLLECTOR_CFG))
    cfg["processors"]["batch"]["send_batch_sise"] = cfg["processors"]["batch"].pop("send_batch_size")
    clock = [1000.0]
    monkeypatch.setattr(startup.time, "monotonic", lambda: clock[0])
    _collector(store, cfg)
    ctrl.settle()
    cs = _status(store)
    assert cs["ready"] is False and cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["state"]["waiting"]["message"].startswith("back-off 10s restarting failed container=otel pod=col_t(")
    term = cs["lastState"]["terminated"]
    assert term["exitCode"] == 1 and term["reason"] == "Error"
    assert term["message"] == (
        "Error: failed to get config: cannot unmarshal the configuration: decoding failed due to the following error(s):\n\n"
        "error decoding 'processors': error reading configuration for \"batch\": decoding failed due to the following error(s):\n\n"
        "'' has invalid keys: send_batch_sise")
    assert cs["restartCount"] == 1
    clock[0] += 75  # back-off 10 + 20 + 40 s: three more restarts
    ctrl.workloads.reconcile()
    assert _status(store)["restartCount"] == 4 and "back-off 1m20s" in _status(store)["state"]["waiting"]["message"]
    # the readiness report's evidence names the component and key (values hidden)
    pod = store.find("v1", "Pod", "t", "col")
    evidence = readiness_checks.failing_evidence([collect._trim_pod(pod)])
    assert 'error reading configuration for "batch"' in evidence and "invalid keys: send_batch_sise" in evidence
    assert evidence.startswith("col/otel CrashLoopBackOff (exit 1, 4 restarts): Error: failed to get config")
    # fixed: the container runs
    _collector(store, COLLECTOR_CFG)
    ctrl.settle()
    assert "running" in _status(store)["state"] and "lastState" not in _status(store)


def test_no_churn_while_crash_looping():
    store, ctrl = _make()
    _collector(store, {**COLLECTOR_CFG, "extension": {}})
    ctrl.settle()
    rev = store.revision
    ctrl.reconcile_all()
    assert store.revision == rev
    assert _status(store)["lastState"]["terminated"]["message"].endswith("'' has invalid keys: extension")


def test_unknown_collector_flag_crash_loops():
    store, ctrl = _make()
    _collector(store, COLLECTOR_CFG, args=("--config=/conf/config.yaml", "--log-level=debug"))
    ctrl.settle()
    assert _status(store)["lastState"]["terminated"]["message"] == "Error: unknown flag: --log-level"


def test_unreleased_tag_err_image_pull_then_back_off():
    store, ctrl = _make()
    _collector(store, COLLECTOR_CFG, image="otel/opentelemetry-collector-contrib:0.114.5")
    ctrl.settle()
    st = _status(store)["state"]["waiting"]
    assert st["reason"] == "ImagePullBackOff"  # settle runs several passes: ErrImagePull came first
    assert st["message"] == 'Back-off pulling image "otel/opentelemetry-collector-contrib:0.114.5"'


def test_released_version_without_facts_runs_and_is_reported_unchecked():
    store, ctrl = _make()
    _collector(store, {**COLLECTOR_CFG, "bogus": 1}, image="otel/opentelemetry-collector-contrib:0.113.0")
    ctrl.settle()
    assert "running" in _status(store)["state"]
    events = [e for e in store.list_kind("v1", "Event", "t") if e["reason"] == "StartupNotChecked"]
    assert [e["message"] for e in events] == ["twin: otel/opentelemetry-collector-contrib:0.113.0: no upstream facts for otelcol-contrib 0.113.0"]
    assert events[0]["involvedObject"]["name"] == "col"


def test_contrib_component_keys_reported_unchecked():
    store, ctrl = _make()
    cfg = json.loads(json.dumps(COLLECTOR_CFG))
    cfg["processors"]["probabilistic_sampler"] = {"sampling_percentage": 10, "anything": 1}
    _collector(store, cfg)
    ctrl.settle()
    assert "running" in _status(store)["state"]
    (event,) = [e for e in store.list_kind("v1", "Event", "t") if e["reason"] == "StartupNotChecked"]
    assert "keys of processors::probabilistic_sampler not checked" in event["message"]


def test_pull_error_and_back_off_wording():
    assert startup.pull_error("otel/opentelemetry-collector-contrib:0.1.0") == (
        'Failed to pull image "otel/opentelemetry-collector-contrib:0.1.0": rpc error: code = NotFound desc = failed to pull and unpack '
        'image "docker.io/otel/opentelemetry-collector-contrib:0.1.0": failed to resolve reference '
        '"docker.io/otel/opentelemetry-collector-contrib:0.1.0": docker.io/otel/opentelemetry-collector-contrib:0.1.0: not found')
    assert startup.full_ref("ghcr.io/x/y:1") == "ghcr.io/x/y:1" and startup.full_ref("busybox:1") == "docker.io/library/busybox:1"
    assert [startup.go_duration(d) for d in (10, 80, 160, 300)] == ["10s", "1m20s", "2m40s", "5m0s"]
    assert [startup._restarts(t) for t in (0, 9, 10, 30, 70)] == [(1, 10), (1, 10), (2, 20), (3, 40), (4, 80)]


def test_failing_evidence_hides_values():
    pods = [{"name": "p", "failing": [{"name": "c", "reason": "CrashLoopBackOff", "exit_code": 1, "restarts": 2,
                                       "message": "x: 'a' expected type 'uint32', got unconvertible type 'string', value: 's3cr3t'\n"
                                                  "line 3: cannot unmarshal !!str `hunter2` into int"}]}]
    text = readiness_checks.failing_evidence(pods)
    assert "s3cr3t" not in text and "hunter2" not in text and "value: (hidden)" in text


def _pod(store, name, container, data=None):
    if data is not None:
        store.upsert({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "t"}, "data": data})
        container["volumeMounts"] = [{"name": "config", "mountPath": "/conf"}]
    store.upsert({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "t"},
                  "spec": {"containers": [container], **({"volumes": [{"name": "config", "configMap": {"name": name}}]} if data is not None else {})}})


def _cs(store, name):
    return store.find("v1", "Pod", "t", name)["status"]["containerStatuses"][0]


def test_tempo_misspelt_key_crash_loops_and_unknown_flags_exit_2():
    store, ctrl = _make()
    tempo_yaml = ("server:\n  http_listen_port: 3200\nstorage:\n  trace:\n    backend: local\n"
                  "    local:\n      path: /var/tempo\n    wal:\n      pth: /var/tempo/wal\n")
    _pod(store, "tempo", {"name": "tempo", "image": "docker.io/grafana/tempo:2.6.1",
                          "args": ["-target=scalable-single-binary", "-config.file=/conf/tempo.yaml"]}, {"tempo.yaml": tempo_yaml})
    _pod(store, "tq", {"name": "tq", "image": "docker.io/grafana/tempo-query:2.6.1", "args": ["--config.file=/conf/x.yaml"]})
    _pod(store, "jq", {"name": "jq", "image": "docker.io/jaegertracing/jaeger-query:1.62.0",
                       "env": [{"name": "SPAN_STORAGE_TYPE", "value": "grpc-plugin"}]})
    ctrl.settle()
    term = _cs(store, "tempo")["lastState"]["terminated"]
    assert (term["exitCode"], term["message"]) == (1, "failed parsing config: failed to parse configFile /conf/tempo.yaml: yaml: unmarshal errors:\n"
                                                      "  line 9: field pth not found in type wal.Config")
    term = _cs(store, "tq")["lastState"]["terminated"]
    assert (term["exitCode"], term["message"]) == (2, "flag provided but not defined: -config.file")
    term = _cs(store, "jq")["lastState"]["terminated"]
    assert term["message"].startswith("Cannot initialize storage factory: unknown storage type grpc-plugin. Valid types are [cassandra")
