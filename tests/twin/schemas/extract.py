"""Extract start-up facts of the tracing stack's images from upstream source trees at a tag.

Usage (the upstream trees are bare git directories, e.g. from the search tool's ``fetch``)::

    python -m tests.twin.schemas.extract --mirror /work/.mirror [--out tests/twin/schemas/data]

Reads only ``git show TAG:path`` / ``git ls-tree TAG``; writes one JSON file per image version
with sorted keys, so the same tags always give byte-identical files. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from typing import Optional

import yaml

from . import goflags, gostruct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")

CORE_REPO = "open-telemetry/opentelemetry-collector"
CONTRIB_REPO = "open-telemetry/opentelemetry-collector-contrib"
RELEASES_REPO = "open-telemetry/opentelemetry-collector-releases"
TEMPO_REPO = "grafana/tempo"
JAEGER_REPO = "jaegertracing/jaeger"
CORE_MODULE = "go.opentelemetry.io/collector"

# The Collector distributions to extract: the pinned one and the newest release at extraction time.
COLLECTOR_VERSIONS = ["0.114.0", "0.159.0"]
TEMPO_VERSIONS = ["2.6.1", "2.10.8"]
JAEGER_VERSIONS = ["1.57.0", "1.62.0", "1.68.0"]

SCALARS = {
    "bool": "bool",
    "string": "string",
    "byte": "uint8",
    "rune": "int32",
    "uintptr": "uint64",
    **{t: t for t in ("int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64")},
}


# ------------------------------------------------------------------ git trees
class GitTree:
    def __init__(self, gitdir: str, tag: str, repo: str) -> None:
        self.gitdir, self.tag, self.repo = gitdir, tag, repo
        self._ls: Optional[list] = None

    def _git(self, *args: str) -> str:
        return subprocess.run(["git", "--git-dir", self.gitdir, *args], check=True, capture_output=True, text=True).stdout

    def files(self) -> list:
        if self._ls is None:
            self._ls = self._git("ls-tree", "-r", "--name-only", self.tag).splitlines()
        return self._ls

    def exists(self, path: str) -> bool:
        return path in set(self.files())

    def read(self, path: str) -> str:
        return self._git("show", f"{self.tag}:{path}")

    def go_files_in(self, directory: str) -> list:
        """Paths of the non-test Go files directly in ``directory`` ("" is the tree's root)."""
        d = directory.strip("/") + "/" if directory.strip("/") else ""
        return [f for f in self.files() if f.startswith(d) and "/" not in f[len(d):] and f.endswith(".go") and not f.endswith("_test.go")]

    def go_files(self, directory: str) -> dict:
        return {n.rsplit("/", 1)[-1]: self.read(n) for n in self.go_files_in(directory)}


def tags(gitdir: str) -> list:
    out = subprocess.run(["git", "--git-dir", gitdir, "tag"], check=True, capture_output=True, text=True).stdout
    return out.split()


# ------------------------------------------------------------------ resolution of import paths
class Resolver:
    """Maps import paths to (tree, directory) and caches parsed packages."""

    def __init__(self, roots: list) -> None:
        self.roots = roots  # [(import prefix, tree, directory prefix)] longest prefix first
        self.cache: dict = {}
        self.read_paths: set = set()

    def locate(self, import_path: str):
        for prefix, tree, base in self.roots:
            if not prefix or import_path == prefix or import_path.startswith(prefix + "/"):
                rest = import_path[len(prefix):].lstrip("/")
                d = "/".join(x for x in (base, rest) if x)
                if tree.go_files_in(d):
                    return tree, d
        return None

    def package(self, import_path: str) -> Optional[gostruct.Package]:
        if import_path not in self.cache:
            loc = self.locate(import_path)
            if loc is None:
                self.cache[import_path] = None
            else:
                tree, d = loc
                files = tree.go_files(d)
                for f in files:
                    self.read_paths.add(f"{tree.repo}@{tree.tag}:{d}/{f}")
                self.cache[import_path] = gostruct.parse_package(d, files)
        return self.cache[import_path]


# ------------------------------------------------------------------ schema building
class SchemaBuilder:
    """Turns Go types into the JSON schema nodes that tests/twin/schemas/check.py walks.

    Nodes: {"struct": id} (keys in the types table), {"scalar": go kind or "duration"},
    {"list": node}, {"map": node}, {"any": why} (open: anything accepted)."""

    def __init__(self, resolver: Resolver, tagkey: str) -> None:
        self.r = resolver
        self.tagkey = tagkey  # "mapstructure" or "yaml"
        self.types: dict = {}

    def _qualify(self, pkg: gostruct.Package, file: str, qual: str) -> Optional[str]:
        imps = pkg.file_imports.get(file, {"alias": {}, "plain": []})
        if qual in imps["alias"]:
            return imps["alias"][qual]
        for path in imps["plain"]:
            p = self.r.package(path)
            if p is not None and p.name == qual:
                return path
        for path in imps["plain"]:  # not in our trees: the Go convention (last element)
            last = path.split("/")[-1]
            if re.match(r"v\d+$", last):
                last = path.split("/")[-2]
            if last.split(".")[0].replace("go-", "") == qual:
                return path
        return None

    def named(self, import_path: str, name: str, args: list, ctx) -> dict:
        if import_path == "time" and name == "Duration":
            return {"scalar": "duration"}
        if import_path in ("time", "net/url", "regexp"):
            return {"any": f"{import_path}.{name}"}
        pkg = self.r.package(import_path)
        if pkg is None or name not in pkg.types:
            return {"any": f"unresolved {import_path}.{name}"}
        decl = pkg.types[name]
        methods = pkg.methods.get(name, set())
        arg_nodes = [self.node(a, ctx) for a in args]
        if decl.params and "Unmarshal" in methods and len(arg_nodes) == 1:
            return arg_nodes[0]  # configoptional.Optional[T]: decoded as T
        if "UnmarshalText" in methods:
            return {"scalar": "text", "go": f"{pkg.name}.{name}"}
        if self.tagkey == "yaml" and "UnmarshalYAML" in methods:
            return {"any": f"{pkg.name}.{name} has UnmarshalYAML"}
        if self.tagkey == "mapstructure" and "Unmarshal" in methods and decl.expr.kind != "struct":
            return {"any": f"{pkg.name}.{name} has Unmarshal"}
        subst = dict(zip(decl.params, arg_nodes))
        sub_ctx = (pkg, decl.file, import_path, subst)
        if decl.expr.kind != "struct":
            return self.node(decl.expr, sub_ctx)
        tid = f"{import_path}.{name}" + (("[" + ",".join(json.dumps(a, sort_keys=True) for a in arg_nodes) + "]") if arg_nodes else "")
        if tid not in self.types:
            self.types[tid] = {}  # placeholder: recursion
            keys, opener = self.struct_keys(decl.expr.fields, sub_ctx)
            entry = {"go": f"{pkg.name}.{name}", "keys": keys, "file": f"{pkg.path}/{decl.file}", "line": decl.line}
            if opener:
                entry["open"] = opener
            if "Unmarshal" in methods:
                entry["custom_unmarshal"] = True
            self.types[tid] = entry
        return {"struct": tid}

    def node(self, t: gostruct.TypeExpr, ctx) -> dict:
        pkg, file, import_path, subst = ctx
        if t.kind == "pointer":
            return self.node(t.elem, ctx)
        if t.kind in ("slice", "array"):
            if t.elem.kind == "name" and t.elem.name == "byte" and not t.elem.pkg:
                return {"scalar": "string"}
            return {"list": self.node(t.elem, ctx)}
        if t.kind == "map":
            return {"map": self.node(t.elem, ctx)}
        if t.kind == "interface":
            return {"any": "interface"}
        if t.kind in ("func", "chan"):
            return {"any": t.kind}
        if t.kind == "struct":
            tid = f"{import_path}.<inline {file}:{len(self.types)}>"
            keys, opener = self.struct_keys(t.fields, ctx)
            self.types[tid] = {"go": "struct { ... }", "keys": keys, **({"open": opener} if opener else {})}
            return {"struct": tid}
        if not t.pkg:
            if t.name in subst:
                return subst[t.name]
            if t.name in SCALARS:
                return {"scalar": SCALARS[t.name]}
            if t.name in ("any", "error"):
                return {"any": t.name}
            return self.named(import_path, t.name, t.args, ctx)
        path = self._qualify(pkg, file, t.pkg)
        if path is None:
            return {"any": f"unresolved {t.pkg}.{t.name}"}
        return self.named(path, t.name, t.args, ctx)

    def struct_keys(self, fields: list, ctx) -> tuple:
        keys: dict = {}
        opener = None
        for f in fields:
            tag = gostruct.parse_tag(f.tag, self.tagkey)
            name, _sep, opts = (tag or "").partition(",")
            opts = opts.split(",") if opts else []
            if tag == "-":  # only the whole tag "-" skips: yaml:"-,inline" inlines (yaml.v2 getStructInfo)
                continue
            inline = ("squash" in opts) if self.tagkey == "mapstructure" else ("inline" in opts)
            if "remain" in opts:
                opener = "remain"
                continue
            if inline:
                sub = self.node(f.type, ctx)
                if "struct" in sub:
                    st = self.types[sub["struct"]]
                    keys.update(st.get("keys", {}))
                    opener = opener or st.get("open")
                else:
                    opener = opener or "inlined non-struct"
                continue
            if not f.names:  # embedded without squash/inline: a key named after the type
                fnames = [f.type.elem.name if f.type.kind == "pointer" else f.type.name]
            else:
                fnames = f.names
            for fn in fnames:
                if not fn[:1].isupper():
                    continue
                key = name or (fn.lower() if self.tagkey == "yaml" else fn)
                keys[key] = self.node(f.type, ctx)
        return keys, opener


# ------------------------------------------------------------------ OpenTelemetry Collector
def _component_type(tree: GitTree, d: str) -> tuple:
    """(type, deprecated alias or None) from the component's metadata.yaml."""
    p = f"{d}/metadata.yaml"
    if tree.exists(p):
        meta = yaml.safe_load(tree.read(p)) or {}
        return meta.get("type"), meta.get("deprecated_type")
    return None, None


# Contrib component types read by hand from metadata.yaml (the search tool's file index holds one
# copy of the contrib repository, not the tags; a component's type is fixed once released). Every
# other contrib type is derived from the module path (see check.find_component).
CONTRIB_TYPES_READ = {
    "extension/healthcheckextension": ("health_check", "1257c9a552eb712726171a0cf1e5575dad4b659b"),
    "processor/probabilisticsamplerprocessor": ("probabilistic_sampler", "01c969f2cf48630b8937f32a74b79d9ae34bcb0a"),
    "processor/tailsamplingprocessor": ("tail_sampling", "0801b46527ecbbe63c5d63d9547c7390a924ad2b"),
    "exporter/loadbalancingexporter": ("loadbalancing", "0ae6f55f06d4a29db977a054e6a0d8188ce578a6"),
}
CONTRIB_MODULE = "github.com/open-telemetry/opentelemetry-collector-contrib"

KIND_SUFFIX = {"receivers": "receiver", "processors": "processor", "exporters": "exporter", "extensions": "extension", "connectors": "connector"}


def extract_collector(mirror: str, version: str) -> dict:
    rel = GitTree(os.path.join(mirror, "open-telemetry+opentelemetry-collector-releases", "repo"), f"v{version}", RELEASES_REPO)
    manifest_path = "distributions/otelcol-contrib/manifest.yaml"
    manifest = yaml.safe_load(rel.read(manifest_path))
    core_versions = set()
    for kind in KIND_SUFFIX:
        for ent in manifest.get(kind) or []:
            mod, ver = ent["gomod"].split()
            if mod.startswith(CORE_MODULE + "/") and ver.startswith("v0."):
                core_versions.add(ver)
    if len(core_versions) != 1:
        raise SystemExit(f"collector {version}: expected one core v0 version in the manifest, got {sorted(core_versions)}")
    core_tag = core_versions.pop()
    core = GitTree(os.path.join(mirror, "open-telemetry+opentelemetry-collector", "repo"), core_tag, CORE_REPO)
    resolver = Resolver([(CORE_MODULE, core, "")])
    sb = SchemaBuilder(resolver, "mapstructure")
    components: dict = {}
    for kind, suffix in KIND_SUFFIX.items():
        comps = components.setdefault(kind, {})
        for ent in manifest.get(kind) or []:
            mod, ver = ent["gomod"].split()
            if mod.startswith(CORE_MODULE + "/"):
                d = mod[len(CORE_MODULE) + 1:]
                ctype, alias = _component_type(core, d)
                entry = {"module": mod, "version": ver, "type_source": f"{CORE_REPO}@{core_tag}:{d}/metadata.yaml"}
                pkg = resolver.package(mod)
                if pkg is not None and "Config" in pkg.types:
                    entry["config"] = sb.named(mod, "Config", [], None)
                else:
                    entry["config"] = {"any": "no Config type found"}
                if alias:
                    entry["deprecated_alias_of"] = ctype
                    comps[alias] = dict(entry)
            else:
                # The contrib tree is not readable here (see README: snapshot over the size limit):
                # the type is the module directory without its kind suffix; keys are unchecked.
                last = mod.split("/")[-1]
                rel = mod[len(CONTRIB_MODULE) + 1:] if mod.startswith(CONTRIB_MODULE + "/") else None
                entry = {"module": mod, "version": ver, "config": {"unchecked": f"{CONTRIB_REPO} source at {ver} not read"}}
                if rel in CONTRIB_TYPES_READ:
                    ctype, commit = CONTRIB_TYPES_READ[rel]
                    entry["type_source"] = f"{CONTRIB_REPO}@{commit}:{rel}/metadata.yaml"
                else:
                    ctype = re.sub(rf"(.){suffix}$", r"\1", last)
                    entry["type_source"] = "derived from the module path"
                    entry["derived"] = True
                    entry["module_name"] = last
            if not ctype:
                raise SystemExit(f"no component type for {mod}")
            comps[ctype] = entry
    service_pkg = "go.opentelemetry.io/collector/service"
    service = sb.named(service_pkg, "Config", [], None)
    # otelcol/flags.go and featuregate/flag.go register on a Go flag set that otelcol/command.go
    # hands to cobra (rootCmd.Flags().AddGoFlagSet): pflag parses them, cobra adds help/version.
    flag_names = set()
    for d in ("otelcol", "featuregate"):
        names, _suffixes = gostruct.flag_names(gostruct.parse_package(d, core.go_files(d)))
        flag_names |= names
    # The decoder whose wording the refusals carry (check.wording): go-viper/mapstructure at the
    # version confmap's go.mod requires; the top-level struct names itself when the name is empty.
    ms = re.search(r"^\s*github\.com/go-viper/mapstructure/v2\s+(\S+)", core.read("confmap/go.mod"), re.M)
    if not ms:
        raise SystemExit(f"collector {version}: no go-viper/mapstructure/v2 in confmap/go.mod")
    otelcol = gostruct.parse_package("otelcol", core.go_files("otelcol"))
    if "configSettings" not in otelcol.types:
        raise SystemExit(f"collector {version}: no otelcol.configSettings (the decoded top-level struct)")
    return {
        "image": "otel/opentelemetry-collector-contrib",
        "version": version,
        "decoder": {"module": "github.com/go-viper/mapstructure/v2", "version": ms.group(1), "source": f"{CORE_REPO}@{core_tag}:confmap/go.mod"},
        "top_level_type": "otelcol.configSettings",
        "sources": {
            "distribution": f"{RELEASES_REPO}@v{version}:{manifest_path}",
            "core": f"{CORE_REPO}@{core_tag}",
            "read": sorted(resolver.read_paths),
        },
        "flags": {"names": sorted(flag_names), "cobra": ["help", "version"], "source": f"{CORE_REPO}@{core_tag}:otelcol/flags.go, featuregate/flag.go"},
        "top_level_keys": ["connectors", "exporters", "extensions", "processors", "receivers", "service"],
        "components": components,
        "service": service,
        "types": sb.types,
    }


# ------------------------------------------------------------------ Tempo
def extract_tempo(mirror: str, version: str) -> dict:
    tree = GitTree(os.path.join(mirror, "grafana+tempo", "repo"), f"v{version}", TEMPO_REPO)
    gomod = tree.read("go.mod")
    module = re.search(r"^module\s+(\S+)", gomod, re.M).group(1)
    resolver = Resolver([(module, tree, ""), ("", tree, "vendor")])
    sb = SchemaBuilder(resolver, "yaml")
    root = sb.named(f"{module}/cmd/tempo/app", "Config", [], None)
    # flags, exactly: main.go registers its own on flag.CommandLine (literal names and constants) and
    # hands flag.CommandLine to app.Config.RegisterFlagsAndApplyDefaults("", ...), whose calls are
    # evaluated (goflags.py; flagext.DefaultValues registers on a throwaway flag set: not flags).
    main_src = gostruct.strip_comments(tree.read("cmd/tempo/main.go"))
    if 'config.RegisterFlagsAndApplyDefaults("", flag.CommandLine)' not in main_src:
        raise SystemExit(f"tempo {version}: cmd/tempo/main.go no longer registers app.Config's flags on flag.CommandLine")
    full, _suffixes = gostruct.flag_names(gostruct.parse_package("cmd/tempo", {"main.go": tree.read("cmd/tempo/main.go")}))
    prog = goflags.Program(resolver)
    registered = prog.run(f"{module}/cmd/tempo/app", 'Config{}.RegisterFlagsAndApplyDefaults("", flagSet)')
    names = [n for n, _where in registered]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:  # Go's flag package panics on a redefined flag: a duplicate means a name computed wrongly
        raise SystemExit(f"tempo {version}: flags registered twice: {dups}")
    full |= set(names)
    manifest = "docs/sources/tempo/configuration/manifest.md"
    return {
        "image": "grafana/tempo",
        "version": version,
        "sources": {"repo": f"{TEMPO_REPO}@v{version}", "root": "cmd/tempo/app.Config", "read": sorted(resolver.read_paths), "manifest": manifest,
                    "flags": "cmd/tempo/main.go (flag.CommandLine) + app.Config.RegisterFlagsAndApplyDefaults(\"\", flag.CommandLine), evaluated"},
        "root": root,
        "types": sb.types,
        "flags": {"names": sorted(full), "suffixes": []},
        # the key paths (no values) of the documented configuration, to cross-check the tree
        "manifest_keys": _manifest_keys(tree.read(manifest)) if tree.exists(manifest) else None,
    }


def _manifest_keys(md: str) -> list:
    m = re.search(r"```yaml\n(.*?)```", md, re.S)
    out: list = []

    def walk(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                out.append(path + [str(k)])
                walk(v, path + [str(k)])

    walk(yaml.safe_load(m.group(1)) if m else {}, [])
    return sorted(out)


def extract_tempo_query(mirror: str, version: str) -> dict:
    tree = GitTree(os.path.join(mirror, "grafana+tempo", "repo"), f"v{version}", TEMPO_REPO)
    module = re.search(r"^module\s+(\S+)", tree.read("go.mod"), re.M).group(1)
    resolver = Resolver([(module, tree, ""), ("", tree, "vendor")])
    main = gostruct.parse_package("cmd/tempo-query", tree.go_files("cmd/tempo-query"))
    full, _s = gostruct.flag_names(main)
    sb = SchemaBuilder(resolver, "mapstructure")
    root = sb.named(f"{module}/cmd/tempo-query/tempo", "Config", [], None)
    return {
        "image": "grafana/tempo-query",
        "version": version,
        "sources": {"repo": f"{TEMPO_REPO}@v{version}", "main": "cmd/tempo-query/main.go", "read": sorted(resolver.read_paths)},
        # viper.Unmarshal without ErrorUnused: unknown keys are ignored (spf13/viper decodes with
        # mapstructure defaults), so only the key types are facts worth checking
        "config_strict": False,
        "root": root,
        "types": sb.types,
        "flags": {"names": sorted(full), "suffixes": []},
    }


# Where AllStorageTypes lives (the storage factory both jaeger-query and jaeger-collector build
# from SPAN_STORAGE_TYPE): moved from plugin/storage to internal/storage/v1/factory in 1.6x.
JAEGER_FACTORY_PATHS = ("plugin/storage/factory.go", "internal/storage/v1/factory/factory.go")


def extract_jaeger(mirror: str, version: str) -> dict:
    tree = GitTree(os.path.join(mirror, "jaegertracing+jaeger", "repo"), f"v{version}", JAEGER_REPO)
    path = next(p for p in JAEGER_FACTORY_PATHS if tree.exists(p))
    src = gostruct.strip_comments(tree.read(path))
    pkg = gostruct.parse_package(path.rsplit("/", 1)[0], {path.rsplit("/", 1)[1]: tree.read(path)})
    m = re.search(r"var\s+AllStorageTypes\s*=\s*\[\]string\s*\{([^}]*)\}", src)
    if not m:
        raise SystemExit(f"jaeger {version}: no AllStorageTypes in {path}")
    names = [x.strip() for x in m.group(1).split(",") if x.strip()]
    types = [pkg.consts[n] if n in pkg.consts else gostruct.go_unquote(n) for n in names]
    if "Valid types are" not in src:
        raise SystemExit(f"jaeger {version}: the refusal wording is not in {path}")
    return {
        "images": ["jaegertracing/jaeger-query", "jaegertracing/jaeger-collector"],
        "version": version,
        "sources": {"repo": f"{JAEGER_REPO}@v{version}", "storage_types": f"{path} AllStorageTypes",
                    "env": "SPAN_STORAGE_TYPE (plugin/storage/factory_config.go FactoryConfigFromEnvAndCLI)"},
        "storage_types": types,
    }


# jaeger-query's flags: cmd/query/main.go hands these registration functions to config.AddFlags
# (internal/config/config.go: one Go flag set, added to cobra's pflag set with AddGoFlagSet). The
# storage factory registers the flags of the types SPAN_STORAGE_TYPE names (factory.go AddFlags:
# each primary and archive factory that has AddFlags); the metrics factory those of
# METRICS_STORAGE_TYPE (unset: "disabled", no flags).
JAEGER_QUERY_VERSIONS = ["1.68.0"]
JAEGER_QUERY_MAIN = "cmd/query/main.go"
JAEGER_QUERY_COMMON = [  # (the argument of config.AddFlags in main.go, package, expression run on flagSet)
    ("svc.AddFlags", "cmd/internal/flags", "NewService(ports.QueryAdminHTTP).AddFlags(flagSet)"),
    ("app.AddFlags", "cmd/query/app", "AddFlags(flagSet)"),
    ("tenancy.AddFlags", "internal/tenancy", "AddFlags(flagSet)"),
]
FLAG_NAME = re.compile(r"[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*")


def _gomod_version(gomod: str, module: str) -> str:
    m = re.search(rf"^\s*(?:require\s+)?{re.escape(module)}\s+(v\S+)", gomod, re.M)
    if not m:
        raise SystemExit(f"{module} not in go.mod")
    return m.group(1)


def _switch_factories(src: str, func: str, ctor: str) -> dict:
    """{storage type const: package alias} from the ``switch`` of ``func`` (factory.go)."""
    i = src.index(f") {func}(")
    body = src[i : gostruct.match_close(src, src.index("{", src.index("switch", i)))]
    out = {}
    for m in re.finditer(rf"case\s+([^:]+):\s*return\s+({gostruct.IDENT})\.{ctor}\(\)", body):
        for c in m.group(1).split(","):
            out[c.strip()] = m.group(2)
    return out


def extract_jaeger_query(mirror: str, version: str) -> dict:
    tree = GitTree(os.path.join(mirror, "jaegertracing+jaeger", "repo"), f"v{version}", JAEGER_REPO)
    gomod = tree.read("go.mod")
    module = re.search(r"^module\s+(\S+)", gomod, re.M).group(1)
    main_src = gostruct.strip_comments(tree.read(JAEGER_QUERY_MAIN))
    call = main_src[main_src.index("config.AddFlags(") :]
    call = call[: gostruct.match_close(call, call.index("("))]
    handed = [a.strip() for a in gostruct.split_top(call[call.index("(") + 1 : -1], ",")][2:]
    expected = ["svc.AddFlags", "storageFactory.AddFlags", "app.AddFlags", "metricsReaderFactory.AddFlags", "tenancy.AddFlags"]
    if handed != expected:
        raise SystemExit(f"jaeger-query {version}: {JAEGER_QUERY_MAIN} config.AddFlags takes {handed}, the extractor knows {expected}")
    fg_version = _gomod_version(gomod, "go.opentelemetry.io/collector/featuregate")
    core = GitTree(os.path.join(mirror, "open-telemetry+opentelemetry-collector", "repo"), f"featuregate/{fg_version}", CORE_REPO)
    resolver = Resolver([(module, tree, ""), ("go.opentelemetry.io/collector/featuregate", core, "featuregate")])
    prog = goflags.Program(resolver)

    def run(d: str, expr: str) -> list:
        return sorted({n for n, _where in prog.run(f"{module}/{d}", expr)})

    common = set()
    for _arg, d, expr in JAEGER_QUERY_COMMON:
        common |= set(run(d, expr))
    # storage: internal/storage/v1/factory/factory.go getFactoryOfType / getArchiveFactoryOfType
    fdir = "internal/storage/v1/factory"
    fsrc = gostruct.strip_comments(tree.read(f"{fdir}/factory.go"))
    fpkg = resolver.package(f"{module}/{fdir}")
    storage, not_extracted = {}, {}
    for ctor, func in (("NewFactory", "getFactoryOfType"), ("NewArchiveFactory", "getArchiveFactoryOfType")):
        for const, alias in _switch_factories(fsrc, func, ctor).items():
            stype = fpkg.consts[const]
            path = prog.import_path(f"{module}/{fdir}", "factory.go", alias)
            if ("Factory", "AddFlags") not in prog.functions(path):
                storage.setdefault(stype, [])  # not storage.Configurable: no flags
                continue
            try:
                names = set(run(path[len(module) + 1 :], f"{ctor}().AddFlags(flagSet)"))
            except goflags.Unsupported as e:
                not_extracted[stype] = str(e)
                continue
            bad = sorted(n for n in names if not FLAG_NAME.fullmatch(n))
            if bad:  # a prefix set at run time that the evaluator took as a zero value
                not_extracted[stype] = f"names not computed exactly: {', '.join(bad)}"
                continue
            storage[stype] = sorted(set(storage.get(stype, [])) | names)
    for stype in not_extracted:
        storage.pop(stype, None)
    bad = sorted(n for n in common if not FLAG_NAME.fullmatch(n))
    if bad:
        raise SystemExit(f"jaeger-query {version}: flag names not computed exactly: {bad}")
    # cross-check: the flags the jaeger documentation lists for this version (generated by the
    # binary's docs command with the default storage, cassandra), when that repository is present
    docs = {}
    dgit = os.path.join(mirror, "jaegertracing+documentation", "repo")
    ddir = f"data/cli/{'.'.join(version.split('.')[:2])}"
    if not os.path.isdir(dgit):  # required: without it the output would differ (not byte-identical)
        raise SystemExit(f"jaeger-query {version}: {dgit} missing (fetch github:jaegertracing/documentation)")
    dtree = GitTree(dgit, "HEAD", "jaegertracing/documentation")
    if dtree.exists(f"{ddir}/config.json"):
        commit = dtree._git("rev-parse", "HEAD").strip()
        stores = json.loads(dtree.read(f"{ddir}/config.json"))["jaeger-query"]["storage"]
        # jaeger-query.yaml is generated with the default storage (cassandra, config.go)
        for stype, path in [("cassandra", f"{ddir}/jaeger-query.yaml")] + [(st, f"{ddir}/jaeger-query-{st}.yaml") for st in stores]:
            if dtree.exists(path):
                opts = yaml.safe_load(dtree.read(path)).get("options") or []
                docs[stype] = {"source": f"jaegertracing/documentation@{commit}:{path}", "names": sorted(o["name"] for o in opts)}
    return {
        "image": "jaegertracing/jaeger-query",
        "version": version,
        "sources": {
            "repo": f"{JAEGER_REPO}@v{version}",
            "main": f"{JAEGER_QUERY_MAIN} config.AddFlags({', '.join(expected)})",
            "storage": f"{fdir}/factory.go getFactoryOfType, getArchiveFactoryOfType, AddFlags",
            "featuregate": f"{CORE_REPO}@featuregate/{fg_version}:featuregate/flag.go",
            "parser": f"github.com/spf13/pflag {_gomod_version(gomod, 'github.com/spf13/pflag')} flag.go, "
                      f"github.com/spf13/cobra {_gomod_version(gomod, 'github.com/spf13/cobra')} command.go (go.mod)",
            "read": sorted(resolver.read_paths),
        },
        "flags": {
            "common": sorted(common),
            "storage": storage,
            "storage_not_extracted": not_extracted,
            "metrics_storage": {"": []},  # metricstore/disabled/factory.go: AddFlags registers nothing
            "cobra": ["help"],  # cobra's InitDefaultHelpFlag; no --version (the command sets no Version)
            "shorthands": ["h"],
        },
        "documented": docs,
    }


def release_tags(gitdir: str, pattern: str) -> list:
    rx = re.compile(pattern)
    return sorted({m.group(1) for t in tags(gitdir) for m in [rx.fullmatch(t)] if m}, key=_vkey)


def _vkey(v: str):
    return [int(x) if x.isdigit() else x for x in re.split(r"[.-]", v)]


def extract_tags(mirror: str) -> dict:
    rel = os.path.join(mirror, "open-telemetry+opentelemetry-collector-releases", "repo")
    tempo = os.path.join(mirror, "grafana+tempo", "repo")
    jaeger = os.path.join(mirror, "jaegertracing+jaeger", "repo")
    semver = r"v(\d+\.\d+\.\d+)"
    return {
        "sources": {
            "otel/opentelemetry-collector-contrib": f"{RELEASES_REPO} tags v<version> (release tags; nightlies excluded)",
            "grafana/tempo": f"{TEMPO_REPO} tags v<version> (release tags; -rc excluded)",
            "grafana/tempo-query": f"{TEMPO_REPO} tags v<version> (built from the same tag)",
            "jaegertracing/jaeger-query": f"{JAEGER_REPO} tags v1.<minor>.<patch> (v2 tags publish the jaegertracing/jaeger image)",
            "jaegertracing/jaeger-collector": f"{JAEGER_REPO} tags v1.<minor>.<patch>",
        },
        "tags": {
            "otel/opentelemetry-collector-contrib": release_tags(rel, semver),
            "grafana/tempo": release_tags(tempo, semver),
            "grafana/tempo-query": release_tags(tempo, semver),
            "jaegertracing/jaeger-query": release_tags(jaeger, r"v(1\.\d+\.\d+)"),
            "jaegertracing/jaeger-collector": release_tags(jaeger, r"v(1\.\d+\.\d+)"),
        },
    }


def dump(obj: dict) -> str:
    return json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def write(out: str, name: str, obj: dict) -> None:
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
        fh.write(dump(obj))


def main(argv: Optional[list] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mirror", required=True, help="directory holding <owner>+<name>/repo bare git directories")
    ap.add_argument("--out", default=DATA)
    a = ap.parse_args(argv)
    for v in COLLECTOR_VERSIONS:
        write(a.out, f"otelcol-contrib-{v}.json", extract_collector(a.mirror, v))
    for v in TEMPO_VERSIONS:
        write(a.out, f"tempo-{v}.json", extract_tempo(a.mirror, v))
        write(a.out, f"tempo-query-{v}.json", extract_tempo_query(a.mirror, v))
    for v in JAEGER_VERSIONS:
        write(a.out, f"jaeger-{v}.json", extract_jaeger(a.mirror, v))
    for v in JAEGER_QUERY_VERSIONS:
        write(a.out, f"jaeger-query-{v}.json", extract_jaeger_query(a.mirror, v))
    write(a.out, "image-tags.json", extract_tags(a.mirror))
    return 0


if __name__ == "__main__":
    sys.exit(main())
