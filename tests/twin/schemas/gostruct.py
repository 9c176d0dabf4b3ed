"""A small parser of Go declarations: enough to read configuration structs and flag registrations.

It understands what configuration structs are made of: ``type`` declarations (single and grouped,
generic type parameters, aliases), struct fields with several names, embedded fields, struct tags,
pointer/slice/array/map/inline-struct/generic-instance types, imports (with aliases), and the
methods that change how a type is decoded (``Unmarshal``, ``UnmarshalText``, ``UnmarshalYAML``).
Comments, interpreted strings, raw strings and runes are skipped before anything is read, so a
brace inside a string or comment cannot break the nesting.

It does not type-check, evaluate constants other than string literals, or follow build tags
(files named ``*_test.go`` are skipped; ``//go:build`` constraints are ignored, which is harmless
for configuration structs, which are the same on every platform).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments(src: str) -> str:
    """Blank out comments, keeping strings (interpreted, raw, runes) and line structure."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "/" and i + 1 < n and src[i + 1] == "/":
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "/" and i + 1 < n and src[i + 1] == "*":
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * src.count("\n", i, j) or " ")
            i = j
            continue
        if c in "\"'`":
            j = _string_end(src, i)
            out.append(src[i:j])
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _string_end(src: str, i: int) -> int:
    q = src[i]
    j = i + 1
    n = len(src)
    while j < n:
        if q != "`" and src[j] == "\\":
            j += 2
            continue
        if src[j] == q:
            return j + 1
        if q != "`" and src[j] == "\n":
            return j  # unterminated: stop at the line end
        j += 1
    return n


def match_close(src: str, i: int) -> int:
    """Index just past the bracket closing the one at ``src[i]`` (strings are skipped)."""
    pairs = {"{": "}", "[": "]", "(": ")"}
    stack = [pairs[src[i]]]
    j = i + 1
    n = len(src)
    while j < n and stack:
        c = src[j]
        if c in "\"'`":
            j = _string_end(src, j)
            continue
        if c in pairs:
            stack.append(pairs[c])
        elif c == stack[-1]:
            stack.pop()
        j += 1
    return j


def split_top(body: str, seps: str = "\n;") -> list[str]:
    """Split at separators that are outside brackets and strings."""
    parts, cur, depth, i = [], [], 0, 0
    n = len(body)
    while i < n:
        c = body[i]
        if c in "\"'`":
            j = _string_end(body, i)
            cur.append(body[i:j])
            i = j
            continue
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
        if depth == 0 and c in seps:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def go_unquote(lit: str) -> str:
    if lit.startswith("`"):
        return lit[1:-1]
    body = lit[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def parse_tag(tag: str, key: str) -> Optional[str]:
    """reflect.StructTag.Get semantics for ``key:"value"`` pairs."""
    for m in re.finditer(r'([A-Za-z0-9_.-]+):"((?:[^"\\]|\\.)*)"', tag):
        if m.group(1) == key:
            return m.group(2)
    return None


# ------------------------------------------------------------------ type expressions
@dataclass
class TypeExpr:
    kind: str  # name | pointer | slice | array | map | struct | interface | func | chan
    pkg: str = ""  # package qualifier (import alias) for kind=name
    name: str = ""
    args: list = field(default_factory=list)  # generic arguments (TypeExpr)
    elem: Optional["TypeExpr"] = None
    key: Optional["TypeExpr"] = None
    fields: list = field(default_factory=list)  # for inline struct


def parse_type(s: str) -> TypeExpr:
    s = s.strip()
    if s.startswith("*"):
        return TypeExpr("pointer", elem=parse_type(s[1:]))
    if s.startswith("[]"):
        return TypeExpr("slice", elem=parse_type(s[2:]))
    if s.startswith("["):
        j = match_close(s, 0)
        return TypeExpr("array", elem=parse_type(s[j:]))
    if s.startswith("map["):
        j = match_close(s, 3)
        return TypeExpr("map", key=parse_type(s[4 : j - 1]), elem=parse_type(s[j:]))
    if re.match(r"struct\s*\{", s):
        i = s.index("{")
        j = match_close(s, i)
        return TypeExpr("struct", fields=parse_fields(s[i + 1 : j - 1]))
    if re.match(r"interface\s*\{", s) or s == "any":
        return TypeExpr("interface")
    if s.startswith("func"):
        return TypeExpr("func")
    if s.startswith("chan") or s.startswith("<-"):
        return TypeExpr("chan")
    m = re.match(rf"(?:({IDENT})\.)?({IDENT})\s*(\[.*\])?$", s, re.S)
    if not m:
        return TypeExpr("interface", name=s)  # unknown shape: treated as open
    args = []
    if m.group(3):
        args = [parse_type(a) for a in split_top(m.group(3)[1:-1], ",")]
    return TypeExpr("name", pkg=m.group(1) or "", name=m.group(2), args=args)


@dataclass
class Field:
    names: list  # empty for an embedded field
    type: TypeExpr
    tag: str = ""


def parse_fields(body: str) -> list:
    fields = []
    for line in split_top(body):
        tag = ""
        m = re.search(r'(`[^`]*`|"(?:[^"\\]|\\.)*")\s*$', line)
        if m:
            tag = go_unquote(m.group(1))
            line = line[: m.start()].strip()
        m = re.match(rf"({IDENT}(?:\s*,\s*{IDENT})*)\s+(\S.*)$", line, re.S)
        if m and not re.match(rf"^{IDENT}\.{IDENT}", line):
            names = [x.strip() for x in m.group(1).split(",")]
            fields.append(Field(names, parse_type(m.group(2)), tag))
        else:
            fields.append(Field([], parse_type(line), tag))
    return fields


# ------------------------------------------------------------------ packages
@dataclass
class TypeDecl:
    name: str
    params: list  # generic parameter names
    expr: TypeExpr
    alias: bool
    file: str
    line: int


@dataclass
class Package:
    path: str  # where it was read (repo-relative directory)
    name: str = ""
    file_imports: dict = field(default_factory=dict)  # file -> {"alias": {alias: path}, "plain": [path]}
    types: dict = field(default_factory=dict)
    methods: dict = field(default_factory=dict)  # type name -> set of method names
    consts: dict = field(default_factory=dict)  # name -> string literal value
    sources: dict = field(default_factory=dict)  # file -> comment-stripped source


def parse_package(path: str, files: dict) -> Package:
    """``files``: {file name: Go source} of one directory (tests already excluded)."""
    pkg = Package(path)
    for fname in sorted(files):
        src = strip_comments(files[fname])
        pkg.sources[fname] = src
        m = re.search(rf"^\s*package\s+({IDENT})", src, re.M)
        if m and not pkg.name:
            pkg.name = m.group(1)
        imps: dict = {"alias": {}, "plain": []}
        for block in re.finditer(r"^import\s*\((.*?)\)", src, re.M | re.S):
            for ln in block.group(1).splitlines():
                _imp(ln, imps)
        for ln in re.finditer(r'^import\s+((?:[A-Za-z_.][A-Za-z0-9_]*\s+)?"[^"]+")', src, re.M):
            _imp(ln.group(1), imps)
        pkg.file_imports[fname] = imps
        _read_types(pkg, fname, src)
        for mm in re.finditer(rf"^func\s*\(\s*{IDENT}?\s*\*?\s*({IDENT})(?:\[[^\]]*\])?\s*\)\s*({IDENT})\s*\(", src, re.M):
            pkg.methods.setdefault(mm.group(1), set()).add(mm.group(2))
        for cm in re.finditer(rf"^\s*(?:const\s+)?({IDENT})\s*(?:string\s*)?=\s*(\"(?:[^\"\\\n]|\\.)*\"|`[^`]*`)\s*$", src, re.M):
            pkg.consts.setdefault(cm.group(1), go_unquote(cm.group(2)))
    return pkg


def _imp(line: str, imps: dict) -> None:
    m = re.match(r'\s*([A-Za-z_.][A-Za-z0-9_]*)?\s*"([^"]+)"', line)
    if not m:
        return
    alias, path = m.group(1), m.group(2)
    if alias in ("_", "."):
        return
    if alias:
        imps["alias"][alias] = path
    else:
        imps["plain"].append(path)


def _read_types(pkg: Package, fname: str, src: str) -> None:
    for m in re.finditer(r"^type\s*\(", src, re.M):
        i = src.index("(", m.start())
        j = match_close(src, i)
        line0 = src.count("\n", 0, i) + 1
        for spec in split_top(src[i + 1 : j - 1], "\n;"):
            _type_spec(pkg, fname, spec, line0)
    for m in re.finditer(rf"^type\s+({IDENT})", src, re.M):
        start = m.start() + len("type")
        rest = src[start:]
        # one spec: up to the end of its (possibly multi-line, bracketed) expression
        k = 0
        depth = 0
        while k < len(rest):
            c = rest[k]
            if c in "\"'`":
                k = _string_end(rest, k)
                continue
            if c in "{[(":
                depth += 1
            elif c in "}])":
                depth -= 1
            elif c == "\n" and depth == 0 and rest[:k].strip():
                break
            k += 1
        _type_spec(pkg, fname, rest[:k], src.count("\n", 0, m.start()) + 1)


def _type_spec(pkg: Package, fname: str, spec: str, line: int) -> None:
    m = re.match(rf"\s*({IDENT})\s*(\[[^\]=]*\])?\s*(=)?\s*(.*)$", spec, re.S)
    if not m or not m.group(4).strip():
        return
    name, params = m.group(1), []
    expr_src = m.group(4)
    if m.group(2):
        inner = m.group(2)[1:-1].strip()
        # a generic parameter list is "T any, U constraint"; an array type "[N]T" has no space
        if re.match(rf"{IDENT}\s+\S", inner) or re.match(rf"{IDENT}(\s*,\s*{IDENT})*\s+\S", inner):
            params = [p.split()[0] for p in split_top(inner, ",")]
        else:
            expr_src = m.group(2) + expr_src
    if name in pkg.types:
        return
    pkg.types[name] = TypeDecl(name, params, parse_type(expr_src), bool(m.group(3)), fname, line)


# ------------------------------------------------------------------ flag registrations
# Registrations on a flag set (dskit and Tempo name it f/fs/flagSet) or on the flag package itself.
FLAG_CALL = re.compile(
    r"\b(?:f|fs|flags|flagSet|flagset|set|flag|flagext)\.(?:StringVar|BoolVar|IntVar|Int64Var|UintVar|Uint64Var|Float64Var|DurationVar|Var|"
    r"String|Bool|Int|Int64|Uint|Uint64|Float64|Duration|Func|TextVar|IgnoredFlag|DeprecatedFlag)\s*\("
)


def flag_names(pkg: Package) -> tuple[set, set]:
    """Flag names registered in the package: (literal full names, suffixes after a dynamic prefix).

    Reads calls like ``f.StringVar(&x, "name", ...)``, ``f.IntVar(&x, prefix+"name", ...)`` and
    ``f.Bool(name, ...)`` where ``name`` is a string constant of the package."""
    full, suffixes = set(), set()
    for src in pkg.sources.values():
        for m in FLAG_CALL.finditer(src):
            i = src.index("(", m.end() - 1)
            j = match_close(src, i)
            args = split_top(src[i + 1 : j - 1], ",")
            for a in args[:3]:
                a = a.strip()
                lit = re.fullmatch(r'"([A-Za-z0-9_.\-]+)"', a)
                if lit:
                    full.add(lit.group(1))
                    break
                cat = re.fullmatch(r'.*\+\s*"([A-Za-z0-9_.\-]+)"', a, re.S)
                if cat:
                    suffixes.add(cat.group(1).lstrip("."))
                    break
                if a in pkg.consts and re.fullmatch(r"[A-Za-z0-9_.\-]+", pkg.consts[a]):
                    full.add(pkg.consts[a])
                    break
    return full, suffixes
