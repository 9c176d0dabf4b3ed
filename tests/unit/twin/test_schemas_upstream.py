"""Upstream facts added for issue 10's remainder: the decoder wording per Collector version,
jaeger-query's flags, Tempo's exact flag list (each fact checked by hand in the source named)."""

import json
import os
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.twin.schemas import check  # noqa: E402
from tests.unit.twin.test_schemas import COLLECTOR_CFG, _collector, _make, _status  # noqa: E402

PREFIX = "Error: failed to get config: cannot unmarshal the configuration: decoding failed due to the following error(s):\n\n"


def _cfg(**batch):
    cfg = json.loads(json.dumps(COLLECTOR_CFG))
    cfg["processors"]["batch"] = batch
    return yaml.safe_dump(cfg)


# ------------------------------------------------------------------ (b) mapstructure wording per version
def test_decoder_version_is_the_one_in_the_core_tags_confmap_go_mod():
    # open-telemetry/opentelemetry-collector v0.114.0 confmap/go.mod: github.com/go-viper/mapstructure/v2 v2.2.1
    # v0.159.0 confmap/go.mod: github.com/go-viper/mapstructure/v2 v2.5.0
    assert check.collector_facts("0.114.0")["decoder"]["version"] == "v2.2.1"
    assert check.collector_facts("0.159.0")["decoder"]["version"] == "v2.5.0"
    assert isinstance(check.wording(check.collector_facts("0.114.0")), check.Wording)
    assert isinstance(check.wording(check.collector_facts("0.159.0")), check.Wording23)


def test_pinned_collector_keeps_the_v2_2_1_wording():
    # go-viper/mapstructure v2.2.1 mapstructure.go:507 "error decoding '%s': %w", :1520 "'%s' has invalid keys: %s"
    err = check.check_collector(check.collector_facts("0.114.0"), _cfg(send_batch_sise=1))
    assert err["message"] == (PREFIX + "error decoding 'processors': error reading configuration for \"batch\": "
                              "decoding failed due to the following error(s):\n\n'' has invalid keys: send_batch_sise")
    assert err["component"] == "processors::batch" and err["key"] == "send_batch_sise"


def test_newest_collector_uses_the_decode_error_wording():
    # go-viper/mapstructure since v2.3.0 errors.go DecodeError.Error "'%s' %s"; main 6ffa40ae mapstructure.go
    # decodeStructFromMap: an empty name is replaced by val.Type().String() (PR #113)
    facts = check.collector_facts("0.159.0")
    err = check.check_collector(facts, _cfg(send_batch_sise=1))
    assert err["message"] == (PREFIX + "'processors' error reading configuration for \"batch\": "
                              "decoding failed due to the following error(s):\n\n'batchprocessor.Config' has invalid keys: send_batch_sise")
    assert err["key"] == "send_batch_sise"
    # UnconvertibleTypeError "expected type '%s', got unconvertible type '%s'" (no value: nothing secret shown)
    err = check.check_collector(facts, _cfg(send_batch_size="many"))
    assert err["message"].endswith("'send_batch_size' expected type 'uint32', got unconvertible type 'string'")
    # StringToTimeDurationHookFunc + wrapTimeParseDurationError: the quoted value is dropped
    err = check.check_collector(facts, _cfg(timeout="5 seconds"))
    assert err["message"].endswith("'timeout' time: invalid duration")
    # the top level: otelcol/unmarshaler.go configSettings decoded with an empty name
    err = check.check_collector(facts, "bogus: 1\n" + _cfg())
    assert err["message"] == PREFIX + "'otelcol.configSettings' has invalid keys: bogus"
    # configunmarshaler/configs.go "unknown type: %q for id: %q (valid values: %v)" behind the DecodeError
    bad = json.loads(json.dumps(COLLECTOR_CFG))
    bad["processors"] = {"bacth": {}}
    bad["service"]["pipelines"]["traces"]["processors"] = ["bacth"]
    err = check.check_collector(facts, yaml.safe_dump(bad))
    assert err["message"].startswith(PREFIX + "'processors' unknown type: \"bacth\" for id: \"bacth\" (valid values: [")


def test_newest_collector_crash_loops_on_the_twin_with_its_own_wording():
    store, ctrl = _make()
    cfg = json.loads(json.dumps(COLLECTOR_CFG))
    cfg["processors"]["batch"]["send_batch_sise"] = cfg["processors"]["batch"].pop("send_batch_size")
    cfg["exporters"] = {"otlp_grpc": cfg["exporters"]["otlp"]}
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["otlp_grpc"]
    _collector(store, cfg, image="otel/opentelemetry-collector-contrib:0.159.0")
    ctrl.settle()
    cs = _status(store)
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["lastState"]["terminated"]["message"].endswith("'batchprocessor.Config' has invalid keys: send_batch_sise")


# ------------------------------------------------------------------ (a) jaeger-query 1.68.0 flags
def _query_container():
    """The jaeger-query container the role deploys (roles/jaeger_production/vars/main.yml, tempo mode)."""
    with open(os.path.join(ROOT, "roles/jaeger_production/vars/main.yml"), encoding="utf-8") as fh:
        objs = yaml.safe_load(fh)["__jaeger_production_tempo_objects"]
    with open(os.path.join(ROOT, "roles/jaeger_production/defaults/main.yml"), encoding="utf-8") as fh:
        image = yaml.safe_load(fh)["jaeger_production_query_image"]
    dep = next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "jaeger-query")
    c = next(x for x in dep["spec"]["template"]["spec"]["containers"] if x["name"] == "jaeger-query")
    assert "{{" not in json.dumps({k: c.get(k) for k in ("env", "args", "command")})  # literal: what the cluster gets
    return {"name": "jaeger-query", "image": image, "env": c.get("env") or [], **({"args": c["args"]} if c.get("args") else {})}


def test_pinned_jaeger_query_flags():
    facts = check.load("jaeger-query-1.68.0.json")
    f = facts["flags"]
    # jaegertracing/jaeger v1.68.0 cmd/query/app/flags.go:36 queryBasePath = "query.base-path";
    # :52-54 tlscfg.ServerFlagsConfig{Prefix: "query.grpc"} + internal/config/tlscfg/flags.go:18 ".tls" + ".enabled"
    assert {"query.base-path", "query.grpc.tls.enabled", "query.http.tls.reload-interval"} <= set(f["common"])
    # cmd/internal/flags/admin.go:28 "admin.http.host-port"; flags.go:19-20 log-level/config-file;
    # opentelemetry-collector featuregate/v1.29.0 featuregate/flag.go:14 "feature-gates"
    assert {"admin.http.host-port", "log-level", "config-file", "feature-gates", "span-storage.type"} <= set(f["common"])
    # internal/storage/v1/grpc/options.go:18-21 remotePrefix "grpc-storage" + ".server"; archive: ".enabled"
    assert {"grpc-storage.server", "grpc-storage.tls.enabled", "grpc-storage-archive.enabled"} <= set(f["storage"]["grpc"])
    assert "grpc-storage.enabled" not in f["storage"]["grpc"]  # only the archive namespace registers .enabled
    assert f["storage"]["blackhole"] == [] and "cassandra" in f["storage_not_extracted"]
    assert "github.com/spf13/pflag v1.0.6" in facts["sources"]["parser"]


def test_jaeger_query_flags_match_the_documented_cli_reference():
    """jaegertracing/documentation data/cli/1.68 (generated by the binary's docs command) lists the
    same flags: exactly, for every storage the extractor computed, and for the common part of the rest."""
    facts = check.load("jaeger-query-1.68.0.json")
    f = facts["flags"]
    assert facts["documented"], "the documentation tree was not present at extraction"
    for stype, doc in facts["documented"].items():
        documented = set(doc["names"])
        if stype in f["storage"]:
            assert documented == set(f["common"]) | set(f["storage"][stype]) | set(f["cobra"]), stype
        else:
            assert set(f["common"]) | set(f["cobra"]) <= documented
            assert all(n.startswith(stype) for n in documented - set(f["common"]) - set(f["cobra"])), stype


def test_deployed_jaeger_query_starts_and_a_misspelt_flag_crash_loops():
    store, ctrl = _make()
    from tests.unit.twin.test_schemas import _cs, _pod

    deployed = _query_container()
    _pod(store, "jq", json.loads(json.dumps(deployed)))
    _pod(store, "jq2", {**json.loads(json.dumps(deployed)), "args": ["--query.base-path=/jaeger", "--grpc-storage.connection-timeout", "10s"]})
    _pod(store, "typo", {**json.loads(json.dumps(deployed)), "args": ["--query.base-pth=/jaeger"]})
    _pod(store, "single", {**json.loads(json.dumps(deployed)), "args": ["-query.base-path=/"]})
    ctrl.settle()
    assert "running" in _cs(store, "jq")["state"] and "running" in _cs(store, "jq2")["state"]
    cs = _cs(store, "typo")
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert (cs["lastState"]["terminated"]["exitCode"], cs["lastState"]["terminated"]["message"]) == (1, "Error: unknown flag: --query.base-pth")
    # pflag reads one dash as shorthands (flag.go:1042): cobra defines only -h
    assert _cs(store, "single")["lastState"]["terminated"]["message"] == "Error: unknown shorthand flag: 'q' in -query.base-path=/"
    events = [e["message"] for e in store.list_kind("v1", "Event", "t") if e["reason"] == "StartupNotChecked"]
    assert not any("jaeger-query:1.68.0" in m for m in events)


def test_jaeger_query_flags_depend_on_the_storage_type():
    facts = check.load("jaeger-query-1.68.0.json")
    grpc = {"SPAN_STORAGE_TYPE": "grpc"}
    assert check.check_jaeger_query_flags(facts, grpc, ["--grpc-storage.server=x:7777"]) == (None, None)
    err, _note = check.check_jaeger_query_flags(facts, {"SPAN_STORAGE_TYPE": "memory"}, ["--grpc-storage.server=x:7777"])
    assert err["message"] == "Error: unknown flag: --grpc-storage.server"
    # cassandra (the default) was not computed exactly: unchecked, and said so
    err, note = check.check_jaeger_query_flags(facts, {}, ["--anything"])
    assert err is None and note.startswith("flags of storage type cassandra not extracted")


# ------------------------------------------------------------------ (c) Tempo's flags, exactly
def test_tempo_flags_are_exact_at_the_pinned_version():
    facts = check.tempo_facts("2.10.8")
    names = set(facts["flags"]["names"])
    assert facts["flags"]["suffixes"] == []  # no suffix matching any more: the list is the whole truth
    # grafana/tempo v2.10.8 cmd/tempo/app/config.go:88 "target"; :97 c.Server.LogLevel.RegisterFlags(f) (dskit "log.level");
    # :116 "server.http-listen-port"; cmd/tempo/main.go:193 flagext.IgnoredFlag(flag.CommandLine, configFileOption, ...)
    assert {"target", "log.level", "server.http-listen-port", "config.file", "config.expand-env", "version"} <= names
    # modules/compactor/config.go:27 flagext.DefaultValues(&cfg.ShardingRing) registers on a throwaway flag set
    # (vendor/github.com/grafana/dskit/flagext/register.go:43): compactor_ring.go's names are not flags of tempo
    assert "compactor.ring.heartbeat-period" not in names
    # dskit crypto/tls/tls.go:55 strings.TrimRight(prefix, ".") + ".tls-cert-path" under etcd's prefix
    assert "ingester.partition-ring.etcd.tls-cert-path" in names


def test_tempo_refuses_a_flag_the_loose_check_let_through():
    facts = check.tempo_facts("2.10.8")
    deployed = ["-target=scalable-single-binary", "-config.file=/conf/tempo.yaml", "-config.expand-env=true"]
    assert check.check_go_flags(facts["flags"], deployed) is None  # roles/jaeger_production/vars/main.yml tempo args
    # registered only by flagext.DefaultValues: the real binary says (Go flag.go failf)
    bad = check.check_go_flags(facts["flags"], deployed + ["-compactor.ring.heartbeat-period=5s"])
    assert bad["message"] == "flag provided but not defined: -compactor.ring.heartbeat-period"
    # a made-up prefix before a registered suffix (".ring.store" was enough before)
    bad = check.check_go_flags(facts["flags"], ["-made.up.ring.store=memberlist"])
    assert bad["message"] == "flag provided but not defined: -made.up.ring.store"


# ------------------------------------------------------------------ the flag evaluator on a small tree
GO_FLAGS = '''package demo

import (
    "flag"
    "strings"

    "example.com/demo/tlscfg"
)

const (
    prefix = "store"
    server = prefix + ".server" // a "string" in a comment { brace
)

var serverTLS = tlscfg.Config{Prefix: "query.grpc"}

type options struct {
    namespace string
    archive   bool
}

func newOptions(ns string) *options {
    o := &options{namespace: ns}
    return o
}

func (o *options) addFlags(fs *flag.FlagSet) {
    fs.String(o.namespace+".server", "", "x")
    if o.namespace == "archive" {
        fs.Bool(o.namespace+".enabled", false, "only the archive")
    } else if len(o.namespace) > 0 {
        fs.Bool(join(o.namespace, "primary"), false, "y")
    }
    fresh := flag.NewFlagSet("", flag.PanicOnError)
    fresh.String("throwaway", "", "a flag set of its own: not this one's")
    tlscfg.Config{Prefix: strings.TrimRight(o.namespace+".", ".")}.AddFlags(fs)
}

func join(a, b string) string {
    if len(a) > 0 {
        return a + "." + b
    }
    return b
}

func AddFlags(flagSet *flag.FlagSet) {
    flagSet.Duration(server, 0, "z")
    serverTLS.AddFlags(flagSet)
    newOptions("primary").addFlags(flagSet)
    newOptions("archive").addFlags(flagSet)
}

func Loop(flagSet *flag.FlagSet) {
    for _, n := range []string{"a", "b"} {
        flagSet.String(n, "", "")
    }
}
'''.replace("    ", "\t")  # Go source is tab-indented (gofmt)
GO_TLS = '''package tlscfg

import "flag"

const tlsEnabled = ".tls" + ".enabled"

type Config struct{ Prefix string }

func (c Config) AddFlags(flags *flag.FlagSet) {
    flags.Bool(c.Prefix+tlsEnabled, false, "tls")
}
'''.replace("    ", "\t")  # Go source is tab-indented (gofmt)


def _flag_tree(tmp_path):
    import subprocess

    from tests.twin.schemas import extract

    repo = tmp_path / "repo"
    (repo / "tlscfg").mkdir(parents=True)
    (repo / "demo.go").write_text(GO_FLAGS)
    (repo / "tlscfg" / "tls.go").write_text(GO_TLS)
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "x"], ["tag", "v1.0.0"]):
        subprocess.run(["git", "-C", str(repo), *cmd], check=True, env=env, capture_output=True)
    tree = extract.GitTree(str(repo / ".git"), "v1.0.0", "example/demo")
    return extract.Resolver([("example.com/demo", tree, "")])


def test_flag_evaluator_computes_prefixes_and_refuses_what_it_cannot_run(tmp_path):
    from tests.twin.schemas import goflags

    prog = goflags.Program(_flag_tree(tmp_path))
    names = [n for n, _where in prog.run("example.com/demo", "AddFlags(flagSet)")]
    assert names == ["store.server", "query.grpc.tls.enabled",
                     "primary.server", "primary.primary", "primary.tls.enabled",
                     "archive.server", "archive.enabled", "archive.tls.enabled"]
    with pytest.raises(goflags.Unsupported, match="cannot run 'for _, n := range"):
        prog.run("example.com/demo", "Loop(flagSet)")
