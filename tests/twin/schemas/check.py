"""Start-up checks of the twin, from the facts in data/ (written by extract.py).

Each check returns ``None`` (the real binary would start) or the error text the real binary
prints, word for word, with the upstream source of the wording named beside it:

* Collector (otelcol-contrib): go.opentelemetry.io/collector at the distribution's core version -
  otelcol/collector.go ("failed to get config: %w", "invalid configuration: %w"),
  otelcol/configprovider.go ("cannot unmarshal the configuration: %w"),
  otelcol/internal/configunmarshaler/configs.go (unknown type, "error reading configuration for %q: %w"),
  otelcol/config.go (service references), confmap/confmap.go decodeConfig (ErrorUnused, no weak
  typing, string-to-duration and string-to-slice hooks); the mapstructure wording is that of the
  github.com/go-viper/mapstructure/v2 version in that core tag's confmap/go.mod (``decoder`` in the
  data; ``Wording`` below: v2.2.1 for 0.114.0, the v2.3+ ``DecodeError`` wording for 0.159.0's
  v2.5.0); cobra prints "Error: " before it.
* Tempo: cmd/tempo/main.go (``yaml.UnmarshalStrict`` into app.Config, "failed parsing config: %v",
  "failed to parse configFile %s: %w"); gopkg.in/yaml.v2 v2.4.0 decode.go ("line %d: field %s not
  found in type %s", "line %d: cannot unmarshal %s%s into %s", "yaml: unmarshal errors:\n  ...").
* Go flag package (flag.go, ExitOnError): "flag provided but not defined: -%s", exit code 2.
"""

from __future__ import annotations

import functools
import json
import os
import re
from typing import Optional

import yaml

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


@functools.lru_cache(maxsize=None)
def load(name: str) -> Optional[dict]:
    path = os.path.join(DATA, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def parse_image(image: str) -> tuple:
    """(repository without registry, tag or '') of an image reference."""
    ref = image.split("@", 1)[0]
    name, tag = ref, ""
    if ":" in ref.rsplit("/", 1)[-1]:
        name, tag = ref.rsplit(":", 1)
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) == 1:
        parts = ["library"] + parts
    return "/".join(parts), tag


def released(repo: str, tag: str) -> Optional[bool]:
    """True/False when upstream tags are known for the repository; None when not."""
    data = load("image-tags.json") or {}
    known = data.get("tags", {}).get(repo)
    if known is None:
        return None
    return tag in known


# ------------------------------------------------------------------ Go kinds of YAML values
def _go_kind(v) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, list):
        return "[]interface {}"
    return "interface {}"


def _go_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{_go_value(x)}" for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))) + "]"
    if isinstance(v, list):
        return "[" + " ".join(_go_value(x) for x in v) + "]"
    return str(v)


DURATION = re.compile(r"[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)")


# ------------------------------------------------------------------ mapstructure wording
class Wording:
    """go-viper/mapstructure v2.0-v2.2 (read at tag v2.2.1, mapstructure.go): plain fmt.Errorf texts.

    "'%s' has invalid keys: %s" (1520), "'%s' expected type '%s', got unconvertible type '%s',
    value: '%v'" (660...), "error decoding '%s': %w" (507, a decode hook's error), "'%s' expected a
    map, got '%s'" (1331), "'%s': source data must be an array or slice, got %s" (1193)."""

    since = (2, 0, 0)

    def invalid_keys(self, name, gotype, keys):
        return f"'{name}' has invalid keys: {', '.join(keys)}"

    def unconvertible(self, name, kind, value):
        return f"'{name}' expected type '{kind}', got unconvertible type '{_go_kind(value)}', value: '{_go_value(value)}'"

    def hook(self, name, err):
        return f"error decoding '{name}': {err}"

    def duration(self, name, value):
        return self.hook(name, f"time: invalid duration {json.dumps(value)}")

    def not_map(self, name, value):
        return f"'{name}' expected a map, got '{_kind_name(value)}'"

    def not_slice(self, name, value):
        return f"'{name}': source data must be an array or slice, got {_kind_name(value)}"


class Wording23(Wording):
    """go-viper/mapstructure from v2.3.0 (errors.go ``DecodeError``: "'%s' %s"), read at v2.4.0 and at
    main 6ffa40ae (2025-12-17, the newest commit of the snapshot; the v2.5.0 tag that collector 0.159.0
    requires is not in it): "has invalid keys: %s" named after the struct's Go type when the name is
    empty (PR #113, mapstructure.go decodeStructFromMap), ``UnconvertibleTypeError`` "expected type
    '%s', got unconvertible type '%s'" (no value), a hook's error as "'%s' <error>" with
    wrapTimeParseDurationError dropping the quoted value ("time: invalid duration"), "expected a map
    or struct, got %q" (decodeStruct), "source data must be an array or slice, got %s" (decodeSlice)."""

    since = (2, 3, 0)

    def invalid_keys(self, name, gotype, keys):
        return f"'{name or gotype}' has invalid keys: {', '.join(keys)}"

    def unconvertible(self, name, kind, value):
        return f"'{name}' expected type '{kind}', got unconvertible type '{_go_kind(value)}'"

    def hook(self, name, err):
        return f"'{name}' {err}"

    def duration(self, name, value):
        return self.hook(name, "time: invalid duration")

    def not_map(self, name, value):
        return f"'{name}' expected a map or struct, got {json.dumps(_kind_name(value))}"

    def not_slice(self, name, value):
        return f"'{name}' source data must be an array or slice, got {_kind_name(value)}"


def wording(facts: dict) -> Wording:
    """The wording of the mapstructure version the distribution's confmap module requires."""
    v = tuple(int(x) for x in re.findall(r"\d+", (facts.get("decoder") or {}).get("version", "v2.2.1"))[:3])
    return Wording23() if v >= Wording23.since else Wording()


# ------------------------------------------------------------------ mapstructure walk
def _ms_join(name: str, key: str) -> str:
    return f"{name}.{key}" if name else key


def ms_walk(node: dict, value, name: str, types: dict, w: Optional[Wording] = None) -> list:
    """Errors mapstructure (collector settings) reports decoding ``value`` into ``node``."""
    w = w or Wording()
    if value is None:
        return []
    if isinstance(value, str) and "${" in value:
        return []  # expanded by confmap providers before decoding: the result is not known here
    if "any" in node or "unchecked" in node:
        return []
    if "struct" in node:
        st = types[node["struct"]]
        if not isinstance(value, dict):
            return [w.not_map(name, value)]
        errs = []
        keys = st.get("keys", {})
        for k in sorted(value, key=str):
            if str(k) in keys:
                errs += ms_walk(keys[str(k)], value[k], _ms_join(name, str(k)), types, w)
        unused = sorted(str(k) for k in value if str(k) not in keys)
        if unused and not st.get("open"):
            errs.append(w.invalid_keys(name, st.get("go", ""), unused))
        return errs
    if "map" in node:
        if not isinstance(value, dict):
            return [w.not_map(name, value)]
        errs = []
        for k in sorted(value, key=str):
            errs += ms_walk(node["map"], value[k], f"{name}[{k}]", types, w)
        return errs
    if "list" in node:
        if isinstance(value, str) and node["list"].get("scalar") == "string":
            return []  # StringToSliceHookFunc(",")
        if not isinstance(value, list):
            return [w.not_slice(name, value)]
        errs = []
        for i, x in enumerate(value):
            errs += ms_walk(node["list"], x, f"{name}[{i}]", types, w)
        return errs
    kind = node.get("scalar")
    bad = False
    if kind == "duration":
        if isinstance(value, str):
            if not DURATION.fullmatch(value):
                return [w.duration(name, value)]
            return []
        bad = not isinstance(value, int) or isinstance(value, bool)
        kind = "time.Duration"
    elif kind == "string":
        bad = not isinstance(value, str)
    elif kind == "bool":
        bad = not isinstance(value, bool)
    elif kind in ("text",):
        bad = not isinstance(value, str)
        kind = node.get("go", "string")
    elif kind and (kind.startswith("int") or kind.startswith("uint") or kind.startswith("float")):
        bad = isinstance(value, (bool, str, dict, list))
    if bad:
        return [w.unconvertible(name, kind, value)]
    return []


def _kind_name(v) -> str:
    return {"bool": "bool", "int": "int", "float64": "float64", "string": "string"}.get(_go_kind(v), "map" if isinstance(v, dict) else "slice")


DECODING = "decoding failed due to the following error(s):\n\n"


# ------------------------------------------------------------------ Collector
def collector_facts(version: str) -> Optional[dict]:
    return load(f"otelcol-contrib-{version}.json")


def check_collector(facts: dict, text: str) -> Optional[dict]:
    """None, or {"message", "component", "key"} of the error the Collector exits with."""
    prefix = "Error: failed to get config: cannot unmarshal the configuration: "
    try:
        cfg = yaml.safe_load(text)
    except yaml.YAMLError as e:
        return {"message": f"{prefix}yaml: {e}", "component": None, "key": None}
    if not cfg:
        return {"message": "Error: failed to get config: cannot unmarshal the configuration: empty configuration file", "component": None, "key": None}
    w = wording(facts)
    if not isinstance(cfg, dict):
        return {"message": f"{prefix}{DECODING}{w.not_map('', cfg)}", "component": None, "key": None}
    unused = sorted(str(k) for k in cfg if k not in facts["top_level_keys"])
    if unused:
        top = w.invalid_keys("", facts.get("top_level_type", ""), unused)
        return {"message": f"{prefix}{DECODING}{top}", "component": None, "key": unused[0]}
    types = facts["types"]
    for section in ("receivers", "processors", "exporters", "connectors", "extensions"):
        comps = facts["components"].get(section, {})
        for cid in sorted(cfg.get(section) or {}, key=str):
            ctype = find_component(comps, str(cid).split("/", 1)[0])
            if ctype is None:
                ctype = str(cid).split("/", 1)[0]
                valid = "[" + " ".join(sorted(comps)) + "]"
                return {
                    "message": prefix + DECODING + w.hook(section, f'unknown type: "{ctype}" for id: "{cid}" (valid values: {valid})'),
                    "component": f"{section}::{cid}",
                    "key": ctype,
                }
            errs = ms_walk(comps[ctype]["config"], cfg[section][cid], "", types, w)
            if errs:
                m = re.search(r"invalid keys: ([^,\s]+)", errs[0]) or re.search(r"^'([^']*)'|error decoding '([^']*)'", errs[0])
                key = next((g for g in (m.groups() if m else ()) if g), None)
                return {
                    "message": prefix + DECODING + w.hook(section, f'error reading configuration for "{cid}": {DECODING}' + "\n".join(errs)),
                    "component": f"{section}::{cid}",
                    "key": key,
                }
    errs = ms_walk(facts["service"], cfg.get("service"), "service", types, w)
    if errs:
        m = re.search(r"invalid keys: ([^,\s]+)", errs[0])
        return {"message": f"{prefix}{DECODING}" + "\n".join(errs), "component": "service", "key": m.group(1) if m else None}
    # otelcol/config.go Validate: references to components that are not configured
    svc = cfg.get("service") or {}
    v = "Error: invalid configuration: "
    for ref in svc.get("extensions") or []:
        if ref not in (cfg.get("extensions") or {}):
            return {"message": f'{v}service::extensions: references extension "{ref}" which is not configured', "component": "service::extensions", "key": ref}
    for pid in sorted(svc.get("pipelines") or {}, key=str):
        p = svc["pipelines"][pid] or {}
        for what, section in (("receiver", "receivers"), ("processor", "processors"), ("exporter", "exporters")):
            for ref in p.get(section) or []:
                if ref not in (cfg.get(section) or {}) and ref not in (cfg.get("connectors") or {}):
                    return {
                        "message": f'{v}service::pipelines::{pid}: references {what} "{ref}" which is not configured',
                        "component": f"service::pipelines::{pid}",
                        "key": ref,
                    }
    return None


def find_component(comps: dict, ctype: str) -> Optional[str]:
    """The data's key of component type ``ctype``, or None when the distribution has no such type.

    Types read from metadata.yaml (core, and the contrib ones in extract.CONTRIB_TYPES_READ) match
    exactly. A type derived from a contrib module path (``kubeletstatsreceiver`` -> ``kubeletstats``)
    also matches without underscores or with the kind suffix, because several contrib types are
    spelt so (``k8s_cluster`` in ``k8sclusterreceiver``): no false refusal, at the price of also
    accepting a few spellings the real binary refuses (README: emulated, not verified)."""
    if ctype in comps:
        return ctype
    flat = ctype.replace("_", "")
    for key, c in comps.items():
        if c.get("derived") and flat in (key, c.get("module_name")):
            return key
    return None


def unchecked_components(facts: dict, text: str) -> list:
    """Configured components whose keys the data does not know (contrib source not read)."""
    cfg = yaml.safe_load(text) or {}
    out = []
    for section in ("receivers", "processors", "exporters", "connectors", "extensions"):
        for cid in sorted(cfg.get(section) or {}, key=str):
            comps = facts["components"].get(section, {})
            c = comps.get(find_component(comps, str(cid).split("/", 1)[0]) or "")
            if c and "unchecked" in c["config"]:
                out.append(f"{section}::{cid}")
    return out


# ------------------------------------------------------------------ Tempo (yaml.v2 strict)
def _yaml_tag(v) -> str:
    return {"bool": "!!bool", "int": "!!int", "float64": "!!float", "string": "!!str"}.get(_go_kind(v), "!!map" if isinstance(v, dict) else "!!seq")


def yaml_walk(node: dict, ynode, types: dict, gotype: str) -> list:
    """yaml.v2 UnmarshalStrict errors decoding the composed YAML node ``ynode`` into ``node``."""
    line = ynode.start_mark.line + 1
    if isinstance(ynode, yaml.ScalarNode) and ynode.tag == "tag:yaml.org,2002:null":
        return []
    if "any" in node or "unchecked" in node:
        return []
    if "struct" in node:
        st = types[node["struct"]]
        if not isinstance(ynode, yaml.MappingNode):
            return [f"line {line}: cannot unmarshal {_node_tag(ynode)}{_node_val(ynode)} into {st['go']}"]
        errs = []
        keys = st.get("keys", {})
        for k, v in ynode.value:
            if k.value in keys:
                errs += yaml_walk(keys[k.value], v, types, st["go"])
            elif not st.get("open"):
                errs.append(f"line {k.start_mark.line + 1}: field {k.value} not found in type {st['go']}")
        return errs
    if "map" in node:
        if not isinstance(ynode, yaml.MappingNode):
            return [f"line {line}: cannot unmarshal {_node_tag(ynode)}{_node_val(ynode)} into map"]
        errs = []
        for _k, v in ynode.value:
            errs += yaml_walk(node["map"], v, types, gotype)
        return errs
    if "list" in node:
        if not isinstance(ynode, yaml.SequenceNode):
            return [f"line {line}: cannot unmarshal {_node_tag(ynode)}{_node_val(ynode)} into []"]
        errs = []
        for v in ynode.value:
            errs += yaml_walk(node["list"], v, types, gotype)
        return errs
    kind = node.get("scalar")
    if not isinstance(ynode, yaml.ScalarNode):
        return [f"line {line}: cannot unmarshal {_node_tag(ynode)} into {kind}"]
    tag = ynode.tag.rsplit(":", 1)[-1]
    ok = {
        "string": ("str", "int", "float", "bool"),  # yaml.v2 decodes any scalar into a string
        "bool": ("bool",),
        "duration": ("str", "int"),
    }.get(kind, ("int",) if kind and ("int" in kind) else ("int", "float") if kind and kind.startswith("float") else None)
    if ok is None or tag in ok:
        if kind == "duration" and tag == "str" and not DURATION.fullmatch(ynode.value):
            return [f"line {line}: cannot unmarshal !!str `{ynode.value}` into time.Duration"]
        return []
    gk = "time.Duration" if kind == "duration" else kind
    return [f"line {line}: cannot unmarshal !!{tag} `{ynode.value}` into {gk}"]


def _node_tag(n) -> str:
    if isinstance(n, yaml.MappingNode):
        return "!!map"
    if isinstance(n, yaml.SequenceNode):
        return "!!seq"
    return "!!" + n.tag.rsplit(":", 1)[-1]


def _node_val(n) -> str:
    return f" `{n.value}`" if isinstance(n, yaml.ScalarNode) else ""


def tempo_facts(version: str) -> Optional[dict]:
    return load(f"tempo-{version}.json")


def check_tempo(facts: dict, text: str, path: str) -> Optional[dict]:
    prefix = f"failed parsing config: failed to parse configFile {path}: "
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as e:
        return {"message": f"{prefix}yaml: {e}", "component": "tempo", "key": None}
    if root is None:
        return None
    errs = yaml_walk(facts["root"], root, facts["types"], "app.Config")
    if not errs:
        return None
    m = re.search(r"field (\S+) not found", errs[0])
    return {"message": prefix + "yaml: unmarshal errors:\n  " + "\n  ".join(errs), "component": "tempo", "key": m.group(1) if m else None}


# ------------------------------------------------------------------ Go flag package
def check_go_flags(flags: dict, args: list) -> Optional[dict]:
    """flag.Parse over args (Go's flag package: -name, --name, -name=value; stops at the first non-flag)."""
    names = set(flags.get("names", []))
    suffixes = tuple(flags.get("suffixes", []))
    for a in args:
        if a == "--" or not a.startswith("-") or a == "-":
            return None
        name = a.lstrip("-").split("=", 1)[0]
        if name in ("h", "help"):
            continue
        if name in names or (suffixes and name.endswith(suffixes) and "." in name):
            continue
        return {"message": f"flag provided but not defined: -{name}", "component": "flags", "key": name}
    return None


def check_pflags(flags: dict, args: list) -> Optional[dict]:
    """spf13/pflag as cobra runs it (the Collector): --name[=v], -x shorthands; help/version added by cobra.

    Wording: spf13/pflag flag.go ("unknown flag: --%s", "unknown shorthand flag: %q in -%s")."""
    names = set(flags.get("names", [])) | set(flags.get("cobra", []))
    shorthands = set(flags.get("shorthands", ["h", "v"]))
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--":
            return None
        if a.startswith("--"):
            name = a[2:].split("=", 1)[0]
            if name not in names:
                return {"message": f"unknown flag: --{name}", "component": "flags", "key": name}
            skip = "=" not in a and name not in ("help", "version")
        elif a.startswith("-") and len(a) > 1:
            ch = a[1]
            if ch not in shorthands:
                return {"message": f"unknown shorthand flag: '{ch}' in {a}", "component": "flags", "key": a.lstrip("-").split("=", 1)[0]}
    return None


def check_jaeger_storage(facts: dict, env: dict) -> Optional[dict]:
    """The storage factory's refusal of SPAN_STORAGE_TYPE (comma-separated list; empty: cassandra).

    Wording: jaegertracing/jaeger plugin/storage/factory.go ("unknown storage type %s. Valid types
    are %v") behind cmd/query/main.go log.Fatalf("Cannot initialize storage factory: %v", err)."""
    value = env.get("SPAN_STORAGE_TYPE", "")
    for t in [x.strip() for x in value.split(",") if x.strip()]:
        if t not in facts["storage_types"]:
            valid = "[" + " ".join(facts["storage_types"]) + "]"
            return {"message": f"Cannot initialize storage factory: unknown storage type {t}. Valid types are {valid}",
                    "component": "SPAN_STORAGE_TYPE", "key": t}
    return None


def jaeger_query_flags(facts: dict, env: dict, args: list) -> tuple:
    """(flag names jaeger-query registers with this environment, or None; why not known).

    cmd/query/main.go: the storage factory is built from SPAN_STORAGE_TYPE (empty: the deprecated
    ``--span-storage.type`` argument, then cassandra; internal/storage/v1/factory/config.go
    ConfigFromEnvAndCLI) and DEPENDENCY_STORAGE_TYPE; it registers the flags of those types, primary
    and archive. METRICS_STORAGE_TYPE unset: the disabled metrics factory (no flags)."""
    f = facts["flags"]
    span = env.get("SPAN_STORAGE_TYPE", "")
    if not span:
        for i, a in enumerate(args):
            if a.startswith("--span-storage.type"):
                span = a.split("=", 1)[1] if "=" in a else (args[i + 1] if i + 1 < len(args) else "")
                break
    types = [t.strip() for t in (span or "cassandra").split(",")]
    types.append(env.get("DEPENDENCY_STORAGE_TYPE") or types[0])
    if env.get("SAMPLING_STORAGE_TYPE"):
        types.append(env["SAMPLING_STORAGE_TYPE"])
    names = set(f["common"]) | set(f["cobra"])
    for t in types:
        if t not in f["storage"]:
            return None, f"flags of storage type {t} not extracted" + (f" ({f['storage_not_extracted'][t]})" if t in f["storage_not_extracted"] else "")
        names |= set(f["storage"][t])
    metrics = env.get("METRICS_STORAGE_TYPE", "")
    if metrics not in f["metrics_storage"]:
        return None, f"flags of metrics storage {metrics} not extracted"
    return sorted(names | set(f["metrics_storage"][metrics])), None


def check_jaeger_query_flags(facts: dict, env: dict, args: list) -> tuple:
    """(refusal or None, note): pflag's parse of jaeger-query's arguments as cobra runs it.

    Wording: spf13/pflag v1.0.6 flag.go:985 ``unknown flag: --%s`` (and :1042 the shorthand form),
    which cobra v1.9.1 command.go ExecuteC prints as ``c.PrintErrln(cmd.ErrPrefix(), err.Error())``
    (ErrPrefix "Error:") before the usage; cmd/query/main.go then prints the error again and exits 1."""
    names, why = jaeger_query_flags(facts, env, args)
    if names is None:
        return None, why
    bad = check_pflags({"names": names, "shorthands": facts["flags"]["shorthands"]}, args)
    if bad:
        return {**bad, "message": "Error: " + bad["message"], "exitCode": 1}, None
    return None, None
