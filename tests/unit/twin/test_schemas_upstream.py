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
