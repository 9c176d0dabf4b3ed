"""Flag names a Go program registers: a small evaluator of its flag-registration functions.

Flags are registered by functions such as ``func AddFlags(flagSet *flag.FlagSet)`` that call
``flagSet.String(prefix+".server", ...)`` and hand the flag set on to other functions and methods
(``tlsCfg.AddFlags(flagSet)``, ``c.Ring.RegisterFlagsWithPrefix(prefix+"ring.", f)``). The evaluator
runs such a function over the parsed source (gostruct): string constants and their concatenations,
struct values built by composite literals and constructors (``newOptions(remotePrefix)``), fields
read from them (zero values when unset, as in Go), ``if``/``else`` on values it can compute,
``fmt.Sprintf`` with ``%s``/``%v``, and calls that receive the flag set. Every registration call's
name must evaluate to a string; a statement it cannot run that mentions the flag set raises
``Unsupported``, so a flag can never be skipped silently (the extraction fails instead).

Go semantics kept: struct fields default to their zero value; methods are found on the named type
and on embedded (promoted) fields; a package's constants may be typed or grouped with ``iota``-free
expressions. Not evaluated (raise when they touch the flag set): loops, switches, closures,
interface values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from . import gostruct

IDENT = gostruct.IDENT

# flag.FlagSet methods that register a flag, and the index of the name argument.
REGISTER = {
    **{m: 0 for m in ("String", "Bool", "Int", "Int64", "Uint", "Uint64", "Float64", "Duration", "Func", "BoolFunc")},
    **{m: 1 for m in ("StringVar", "BoolVar", "IntVar", "Int64Var", "UintVar", "Uint64Var", "Float64Var", "DurationVar", "Var", "TextVar")},
}


# The standard library's string functions that flag prefixes are built with (Go semantics).
STRINGS = {
    "TrimRight": lambda x, cut: x.rstrip(cut),
    "TrimLeft": lambda x, cut: x.lstrip(cut),
    "Trim": lambda x, cut: x.strip(cut),
    "TrimSuffix": lambda x, suf: x[: -len(suf)] if suf and x.endswith(suf) else x,
    "TrimPrefix": lambda x, pre: x[len(pre):] if pre and x.startswith(pre) else x,
    "ToLower": str.lower,
    "ToUpper": str.upper,
    "ReplaceAll": lambda x, old, new: x.replace(old, new),
    "Replace": lambda x, old, new, n: x.replace(old, new) if n < 0 else x.replace(old, new, n),
}


class Unsupported(Exception):
    """A construct the evaluator does not run touched the flag set."""


class FlagSet:
    def __repr__(self) -> str:
        return "<flag set>"


UNKNOWN = object()  # a value the evaluator does not compute (fine unless a flag name needs it)


@dataclass
class Obj:
    pkg: str  # import path of the type's package
    type: str
    fields: dict = field(default_factory=dict)


@dataclass
class Func:
    name: str
    recv: str  # receiver variable ("" for none)
    recv_type: str  # receiver's type name ("" for a function)
    params: list  # parameter names ("_" kept)
    variadic: bool
    body: str
    file: str


def parse_funcs(pkg: gostruct.Package) -> dict:
    """{(receiver type or "", name): Func} of a package (bodies kept as comment-stripped text)."""
    out = {}
    rx = re.compile(rf"^func\s*(\(\s*({IDENT})?\s*\*?\s*({IDENT})(?:\[[^\]]*\])?\s*\))?\s*({IDENT})\s*(?:\[[^\]]*\])?\s*\(", re.M)
    for fname, src in pkg.sources.items():
        for m in rx.finditer(src):
            i = m.end() - 1
            j = gostruct.match_close(src, i)
            params, variadic = _params(src[i + 1 : j - 1])
            k = src.find("{", j)
            # the result list may contain braces only inside types such as struct{}/interface{}: skip them
            while k >= 0 and re.search(r"(struct|interface)\s*$", src[j:k]):
                k = src.find("{", gostruct.match_close(src, k))
            if k < 0:
                continue
            end = gostruct.match_close(src, k)
            out.setdefault((m.group(3) or "", m.group(4)), Func(m.group(4), m.group(2) or "", m.group(3) or "", params, variadic, src[k + 1 : end - 1], fname))
    return out


def _params(s: str) -> tuple:
    names, pending, variadic = [], [], False
    for part in gostruct.split_top(s, ","):
        bits = part.split(None, 1)
        if len(bits) == 2 and re.fullmatch(IDENT, bits[0]):
            names += pending + [bits[0]]
            pending = []
            variadic = bits[1].startswith("...")
        else:
            pending.append(bits[0] if re.fullmatch(IDENT, bits[0]) and len(bits) == 1 else "_")
    return names + pending, variadic


class Program:
    """Packages by import path (through an extract.Resolver) with their functions and values."""

    def __init__(self, resolver) -> None:
        self.r = resolver
        self.funcs: dict = {}
        self.registered: list = []  # (name, "pkg:file")
        self.depth = 0
        self.stack: list = []  # the calls being run, for the error message

    # ---------------------------------------------------------------- packages
    def pkg(self, path: str) -> gostruct.Package:
        p = self.r.package(path)
        if p is None:
            raise Unsupported(f"package {path} is not in the trees read")
        return p

    def functions(self, path: str) -> dict:
        if path not in self.funcs:
            self.funcs[path] = parse_funcs(self.pkg(path))
        return self.funcs[path]

    def import_path(self, path: str, file: str, alias: str) -> Optional[str]:
        pkg = self.r.package(path)
        imps = pkg.file_imports.get(file, {"alias": {}, "plain": []})
        if alias in imps["alias"]:
            return imps["alias"][alias]
        for p in imps["plain"]:
            q = self.r.package(p)
            if q is not None and q.name == alias:
                return p
        for p in imps["plain"]:
            last = p.split("/")[-1]
            if re.fullmatch(r"v\d+", last):
                last = p.split("/")[-2]
            if last == alias:
                return p
        return None

    # ---------------------------------------------------------------- entry
    def run(self, path: str, expr: str, file: Optional[str] = None) -> list:
        """Evaluate ``expr`` (a call that registers flags on ``flagSet``) in package ``path``."""
        pkg = self.pkg(path)
        file = file or sorted(pkg.sources)[0]
        self.registered = []
        self.stack = []
        Frame(self, path, file, {"flagSet": FlagSet()}).stmt(expr)
        return list(self.registered)


class Frame:
    def __init__(self, prog: Program, path: str, file: str, env: dict) -> None:
        self.p, self.path, self.file, self.env = prog, path, file, env

    # ---------------------------------------------------------------- statements
    def block(self, body: str):
        for st in gostruct.split_top(body, "\n;"):
            r = self.stmt(st)
            if isinstance(r, _Return):
                return r
        return None

    def _mentions_flagset(self, st: str) -> bool:
        return any(isinstance(v, FlagSet) and re.search(rf"\b{re.escape(k)}\b", st) for k, v in self.env.items())

    def stmt(self, st: str):
        st = st.strip()
        if not st or st in ("{", "}"):
            return None
        if st.startswith("if ") or st.startswith("if("):
            return self._if(st)
        m = re.match(r"return\b(.*)$", st, re.S)
        if m:
            vals = gostruct.split_top(m.group(1), ",") if m.group(1).strip() else []
            return _Return(self.expr(vals[0]) if vals else None)
        m = re.match(rf"((?:{IDENT}\s*,\s*)*{IDENT})\s*(:=|=)\s*(.+)$", st, re.S)
        if m and not st.startswith("var "):
            names = [x.strip() for x in m.group(1).split(",")]
            val = self.expr(m.group(3)) if len(names) == 1 else UNKNOWN
            for n in names:
                if n != "_":
                    self.env[n] = val
            return None
        m = re.match(rf"var\s+({IDENT})\s+(?:[^=]+?)?(?:=\s*(.+))?$", st, re.S)
        if m:
            self.env[m.group(1)] = self.expr(m.group(2)) if m.group(2) else UNKNOWN
            return None
        m = re.match(rf"({IDENT}(?:\.{IDENT})+)\s*=\s*(.+)$", st, re.S)
        if m:  # field assignment: only what it sets matters when it names a flag later
            obj_path, val = m.group(1).split("."), self.expr(m.group(2))
            target = self.expr(".".join(obj_path[:-1]))
            if isinstance(target, Obj):
                target.fields[obj_path[-1]] = val
            return None
        if st.startswith(("defer ", "go ")):
            return None
        if re.match(r"(for|switch|select)\b", st) or st.startswith("func"):
            if self._mentions_flagset(st):
                raise Unsupported(f"{self.path}/{self.file}: cannot run {st.split(chr(10))[0]!r}")
            return None
        if st.endswith(")"):
            self.call(st)
            return None
        if self._mentions_flagset(st):
            raise Unsupported(f"{self.path}/{self.file}: cannot run {st!r}")
        return None

    def _if(self, st: str):
        m = re.match(r"if\s+", st)
        rest = st[m.end():]
        k = _top_brace(rest)
        cond, body_start = rest[:k], k
        end = gostruct.match_close(rest, body_start)
        body, tail = rest[body_start + 1 : end - 1], rest[end:].strip()
        if ";" in cond:  # if x := f(); cond
            init, cond = cond.rsplit(";", 1)
            self.stmt(init)
        c = self.expr(cond)
        if c is UNKNOWN or not isinstance(c, bool):
            if self._mentions_flagset(body + tail):
                raise Unsupported(f"{self.path}/{self.file}: condition {cond.strip()!r} not computable")
            if re.search(r"\breturn\b", body + tail):
                return _Return(UNKNOWN)  # the function's result is not known either
            return None
        if c:
            return self.block(body)
        if tail.startswith("else"):
            tail = tail[4:].strip()
            if tail.startswith("if"):
                return self._if(tail)
            return self.block(tail[1:-1])
        return None

    # ---------------------------------------------------------------- expressions
    def expr(self, e: str):
        e = e.strip()
        if not e:
            return UNKNOWN
        parts = _split_binary(e, ("||",))
        if len(parts) > 1:
            vals = [self.expr(x) for x in parts]
            return any(v is True for v in vals) if all(isinstance(v, bool) for v in vals) else UNKNOWN
        parts = _split_binary(e, ("&&",))
        if len(parts) > 1:
            vals = [self.expr(x) for x in parts]
            return all(v is True for v in vals) if all(isinstance(v, bool) for v in vals) else UNKNOWN
        for op in ("==", "!=", ">=", "<=", ">", "<"):
            parts = _split_binary(e, (op,))
            if op in (">", "<") and len(parts) == 2 and (parts[1].startswith(("=", "-")) or parts[0].endswith(("<", ">", "-"))):
                continue  # part of >=, <=, <-, << or >>
            if op in (">=", "<=", ">", "<") and len(parts) == 2:
                a, b = self.expr(parts[0]), self.expr(parts[1])
                if not all(isinstance(x, int) and not isinstance(x, bool) for x in (a, b)):
                    return UNKNOWN
                return {">=": a >= b, "<=": a <= b, ">": a > b, "<": a < b}[op]
            if len(parts) == 2:
                a, b = self.expr(parts[0]), self.expr(parts[1])
                if a is UNKNOWN or b is UNKNOWN or isinstance(a, Obj) or isinstance(b, Obj):
                    return UNKNOWN
                return (a == b) if op == "==" else (a != b)
        parts = _split_binary(e, ("+",))
        if len(parts) > 1:
            vals = [self.expr(x) for x in parts]
            if all(isinstance(v, str) for v in vals):
                return "".join(vals)
            if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
                return sum(vals)
            return UNKNOWN
        if e.startswith("!"):
            v = self.expr(e[1:])
            return (not v) if isinstance(v, bool) else UNKNOWN
        if e.startswith("&"):
            return self.expr(e[1:])
        if e.startswith("(") and gostruct.match_close(e, 0) == len(e):
            return self.expr(e[1:-1])
        if e[0] in "\"`":
            return gostruct.go_unquote(e)
        if re.fullmatch(r"\d+", e):
            return int(e)
        if e in ("true", "false"):
            return e == "true"
        if e == "nil":
            return None
        m = re.match(rf"((?:{IDENT}\.)?{IDENT})\s*\{{", e, re.S)
        if m and gostruct.match_close(e, m.end() - 1) == len(e):
            return self.composite(m.group(1), e[m.end() : -1])
        if e.endswith(")"):
            return self.call(e)
        if re.fullmatch(rf"{IDENT}(\.{IDENT})*", e):
            return self.selector(e.split("."))
        return UNKNOWN

    def composite(self, typename: str, body: str) -> Obj:
        path, name = self.type_ref(typename)
        obj = Obj(path, name)
        for part in gostruct.split_top(body, ",\n"):
            m = re.match(rf"({IDENT})\s*:\s*(.+)$", part, re.S)
            if m:
                obj.fields[m.group(1)] = self.expr(m.group(2))
        return obj

    def type_ref(self, typename: str) -> tuple:
        if "." in typename:
            alias, name = typename.split(".", 1)
            path = self.p.import_path(self.path, self.file, alias)
            return (path or alias), name
        return self.path, typename

    def selector(self, chain: list):
        head, rest = chain[0], chain[1:]
        if head in self.env:
            val = self.env[head]
        else:
            val, rest = self.package_value(self.path, chain)
        for f in rest:
            val = self.field(val, f)
        return val

    def package_value(self, path: str, chain: list) -> tuple:
        """(value, the rest of the chain) of ``a`` or ``pkg.a`` at package level."""
        pkg = self.p.pkg(path)
        name = chain[0]
        v = self.p_const(path, name)
        if v is not None:
            return v, chain[1:]
        if path == self.path:
            imp = self.p.import_path(self.path, self.file, name)
            if imp is not None and len(chain) > 1:
                if self.p.r.package(imp) is None:
                    return UNKNOWN, []
                return Frame(self.p, imp, sorted(self.p.pkg(imp).sources)[0], {}).package_value(imp, chain[1:])
        del pkg
        return UNKNOWN, []

    def p_const(self, path: str, name: str):
        pkg = self.p.pkg(path)
        if name in pkg.consts:
            return pkg.consts[name]
        for fname, src in pkg.sources.items():
            m = re.search(rf"^\s*(?:const\s+|var\s+)?{name}\s*(?:{IDENT}(?:\.{IDENT})?\s*)?=\s*(.+)$", src, re.M)
            if m and _at_package_level(src, m.start()):
                rhs = m.group(1).strip()
                if rhs.endswith("{") or rhs.endswith("("):  # multi-line value
                    start = m.start(1) + len(rhs) - 1
                    rhs = rhs + src[start + 1 : gostruct.match_close(src, start)]
                return Frame(self.p, path, fname, {}).expr(rhs)
        return None

    def field(self, val, name: str):
        if not isinstance(val, Obj):
            return UNKNOWN
        if name in val.fields:
            return val.fields[name]
        # zero value of the declared field type; a promoted field of an embedded struct
        decl = self._decl(val)
        if decl is None:
            return UNKNOWN
        for f in decl.expr.fields:
            t = f.type.elem if f.type.kind == "pointer" else f.type
            names = f.names or [t.name]
            if name in names:
                return self._zero(val.pkg, decl.file, t)
        for f in decl.expr.fields:
            if not f.names:
                inner = self._zero(val.pkg, decl.file, f.type.elem if f.type.kind == "pointer" else f.type)
                got = self.field(inner, name)
                if got is not UNKNOWN:
                    return got
        return UNKNOWN

    def _decl(self, val: Obj):
        try:
            pkg = self.p.pkg(val.pkg)
        except Unsupported:
            return None
        decl = pkg.types.get(val.type)
        if decl is None or decl.expr.kind != "struct":
            return None
        return decl

    def _zero(self, path: str, file: str, t):
        if t.kind != "name":
            return UNKNOWN
        if not t.pkg:
            if t.name == "string":
                return ""
            if t.name == "bool":
                return False
            if t.name.startswith(("int", "uint")):
                return 0
            return Obj(path, t.name)
        imp = self.p.import_path(path, file, t.pkg)
        return Obj(imp or t.pkg, t.name)

    # ---------------------------------------------------------------- calls
    def call(self, e: str):
        i = _call_paren(e)
        callee, args = e[:i].strip(), gostruct.split_top(e[i + 1 : -1], ",")
        vals = None

        def argvals():
            nonlocal vals
            if vals is None:
                vals = [self.expr(a) for a in args]
            return vals

        if "." in callee:
            recv_src, method = callee.rsplit(".", 1)
            recv = self.expr(recv_src) if not self._is_import(recv_src) else None
            if isinstance(recv, FlagSet):
                if method in REGISTER:
                    name = self.expr(args[REGISTER[method]])
                    if not isinstance(name, str):
                        raise Unsupported(f"{self.path}/{self.file}: flag name {args[REGISTER[method]]!r} not computable")
                    self.p.registered.append((name, f"{self.path}/{self.file}"))
                    return UNKNOWN
                if method in ("Parse", "Lookup", "VisitAll", "Visit", "Set", "SetOutput", "Args", "Usage"):
                    return UNKNOWN
                raise Unsupported(f"{self.path}/{self.file}: flag set method {method}")
            if recv is None:  # pkg.Func(...)
                path = self.p.import_path(self.path, self.file, recv_src)
                if path is None:
                    return self._unknown_call(e, argvals())
                if path in ("fmt",) and method == "Sprintf":
                    return _sprintf(argvals())
                if path == "strings" and method in STRINGS:
                    v = argvals()
                    return STRINGS[method](*v) if all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in v) else UNKNOWN
                if self.p.r.package(path) is None:
                    return self._unknown_call(e, argvals())
                fn = self.p.functions(path).get(("", method))
                if fn is None:
                    return self._unknown_call(e, argvals())
                return self.invoke(path, fn, None, argvals())
            if isinstance(recv, Obj):
                found = self.method(recv, method)
                if found is None:
                    return self._unknown_call(e, argvals())
                path, fn, target = found
                return self.invoke(path, fn, target, argvals())
            return self._unknown_call(e, argvals())
        if callee == "len":
            v = argvals()
            return len(v[0]) if v and isinstance(v[0], str) else UNKNOWN
        if callee in ("append", "make", "new", "string", "int", "errors.New", "panic"):
            return UNKNOWN
        fn = self.p.functions(self.path).get(("", callee)) if re.fullmatch(IDENT, callee) else None
        if fn is None:
            return self._unknown_call(e, argvals())
        return self.invoke(self.path, fn, None, argvals())

    def _is_import(self, src: str) -> bool:
        return re.fullmatch(IDENT, src) is not None and src not in self.env and self.p.import_path(self.path, self.file, src) is not None \
            and self.p_const(self.path, src) is None

    def _unknown_call(self, e: str, vals: list):
        if any(isinstance(v, FlagSet) for v in vals):
            raise Unsupported(f"{self.path}/{self.file}: cannot follow {e.split('(')[0]!r} (it receives the flag set)")
        return UNKNOWN

    def method(self, obj: Obj, name: str):
        try:
            fns = self.p.functions(obj.pkg)
        except Unsupported:
            return None
        fn = fns.get((obj.type, name))
        if fn is not None:
            return obj.pkg, fn, obj
        decl = self._decl(obj)
        if decl is None:
            return None
        for f in decl.expr.fields:  # promoted through an embedded field
            if not f.names:
                inner = self.field(obj, (f.type.elem if f.type.kind == "pointer" else f.type).name)
                if isinstance(inner, Obj):
                    got = self.method(inner, name)
                    if got:
                        return got
        return None

    def invoke(self, path: str, fn: Func, recv, vals: list):
        if self.p.depth > 60:
            raise Unsupported(f"{path}: call depth")
        env = {}
        if fn.recv:
            env[fn.recv] = recv
        for i, n in enumerate(fn.params):
            if n != "_":
                env[n] = vals[i] if i < len(vals) else UNKNOWN
        self.p.depth += 1
        shown = tuple(v if isinstance(v, str) else "?" for v in vals)
        self.p.stack.append(f"{path.rsplit('/', 1)[-1]}.{(fn.recv_type + '.') if fn.recv_type else ''}{fn.name}{shown}")
        try:
            r = Frame(self.p, path, fn.file, env).block(fn.body)
        except Unsupported as e:
            if not getattr(e, "traced", False):
                e.args = (f"{e.args[0]} (via {' > '.join(self.p.stack)})",)
                e.traced = True
            raise
        finally:
            self.p.depth -= 1
            self.p.stack.pop()
        return r.value if isinstance(r, _Return) else None


@dataclass
class _Return:
    value: object


def _sprintf(vals: list):
    if not vals or not isinstance(vals[0], str):
        return UNKNOWN
    fmt, args = vals[0], list(vals[1:])
    out, i = [], 0
    for m in re.finditer(r"%[sv%d]|[^%]+|%", fmt):
        t = m.group(0)
        if t == "%%":
            out.append("%")
        elif t in ("%s", "%v", "%d"):
            if i >= len(args) or args[i] is UNKNOWN or isinstance(args[i], Obj):
                return UNKNOWN
            out.append(str(args[i]))
            i += 1
        else:
            out.append(t)
    return "".join(out)


def _split_binary(e: str, ops: tuple) -> list:
    """Split at top-level binary operators (outside brackets and strings)."""
    parts, cur, depth, i = [], [], 0, 0
    n = len(e)
    while i < n:
        c = e[i]
        if c in "\"'`":
            j = gostruct._string_end(e, i)
            cur.append(e[i:j])
            i = j
            continue
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
        if depth == 0:
            hit = next((op for op in ops if e.startswith(op, i)), None)
            if hit and not (hit in ("==", "!=") and e.startswith("=", i + 2)) and not (hit == "+" and (e.startswith("++", i) or e.startswith("+=", i))):
                if "".join(cur).strip():
                    parts.append("".join(cur))
                    cur = []
                    i += len(hit)
                    continue
        cur.append(c)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts]


def _top_brace(s: str) -> int:
    """Index of the ``{`` opening an if body (the first at bracket depth 0)."""
    depth, i = 0, 0
    while i < len(s):
        c = s[i]
        if c in "\"'`":
            i = gostruct._string_end(s, i)
            continue
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "{" and depth == 0:
            return i
        i += 1
    raise Unsupported(f"no body in {s[:60]!r}")


def _call_paren(e: str) -> int:
    """Index of the ``(`` of the outermost call at the end of ``e``."""
    depth = 0
    for i in range(len(e) - 1, -1, -1):
        c = e[i]
        if c == ")":
            depth += 1
        elif c == "(":
            depth -= 1
            if depth == 0:
                return i
    raise Unsupported(f"not a call: {e[:60]!r}")


def _at_package_level(src: str, pos: int) -> bool:
    """True when ``pos`` is outside every function body (brace depth 0)."""
    depth, i = 0, 0
    while i < pos:
        c = src[i]
        if c in "\"'`":
            i = gostruct._string_end(src, i)
            continue
        depth += {"{": 1, "}": -1}.get(c, 0)
        i += 1
    return depth == 0
