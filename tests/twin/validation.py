"""Schema validation, unknown-field pruning and patch metadata for the twin's API server.

Upstream behaviour emulated here, each with its source:

* built-in kinds are validated against the OpenAPI schemas of Kubernetes 1.33 as shipped by the
  ``kubernetes-validate`` package (JSON-schema conversion of the upstream ``api/openapi-spec``);
  upstream does this with hand-written validation in k8s.io/kubernetes pkg/apis/*/validation, so
  the twin catches type errors and missing required fields, not every semantic rule;
* metadata.name / labels / annotations follow k8s.io/apimachinery pkg/api/validation
  (ValidateObjectMeta) and pkg/util/validation (IsDNS1123Subdomain, IsDNS1123Label,
  IsQualifiedName, IsValidLabelValue);
* unknown fields are dropped ("pruned") and reported in a ``Warning`` header, which is the
  server-side field validation default ``fieldValidation=Warn`` (KEP-2885,
  k8s.io/apiserver pkg/endpoints/handlers/fieldmanager and apiextensions-apiserver
  pkg/apiserver/schema/pruning); ``fieldValidation=Strict`` turns them into errors;
* custom resources are validated against their CRD's ``openAPIV3Schema``
  (k8s.io/apiextensions-apiserver pkg/apiserver/validation, a subset: type, required,
  properties, items, enum, additionalProperties, x-kubernetes-preserve-unknown-fields,
  minimum/maximum (+exclusive), minLength/maxLength, minItems/maxItems, pattern, nullable,
  x-kubernetes-int-or-string, anyOf/oneOf/allOf of value checks);
* the strategic-merge-patch metadata (``x-kubernetes-patch-merge-key`` and
  ``x-kubernetes-patch-strategy``) is read from the same OpenAPI schemas, the way
  k8s.io/apimachinery pkg/util/strategicpatch uses PatchMetaFromOpenAPI.

Compiled validators are cached per kind; validating a Deployment costs a few milliseconds.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from typing import Any, Optional

# The emulated Kubernetes minor (apiserver.KUBE_VERSION): kubernetes-validate 1.33.1 ships
# per-version schemas v1.22.0 ... v1.33.0 (kubernetes_validate/kubernetes-json-schema/); 1.33 is
# the newest one a Talos release (1.10) ships. In these schemas StatefulSetSpec.serviceName is no
# longer required (it became optional in 1.33's OpenAPI; the hand-written validation of
# pkg/apis/apps/validation never required it).
SCHEMA_VERSION = "1.33.0"

_DEF_PREFIXES = ("#/$defs/", "/api/_definitions.json#/$defs/", "_definitions.json#/$defs/")


class FieldError:
    """One cause of a 422 (k8s.io/apimachinery pkg/util/validation/field.Error)."""

    def __init__(self, field: str, reason: str, message: str):
        self.field = field
        self.reason = reason  # FieldValueRequired, FieldValueInvalid, FieldValueNotSupported...
        self.message = message

    def cause(self) -> dict:
        return {"reason": self.reason, "message": self.message, "field": self.field}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    __repr__ = __str__


def _fmt_path(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


# ------------------------------------------------------------------ built-in schemas
def _schema_dir(strict: bool = False) -> str:
    import kubernetes_validate

    base = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    return os.path.join(base, f"v{SCHEMA_VERSION}-local" + ("-strict" if strict else ""))


class BuiltinSchemas:
    """Schemas of the built-in kinds, from kubernetes-validate's files (loaded once, cached)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._defs: dict[bool, dict] = {}
        self._validators: dict[tuple, Any] = {}
        self._roots: dict[tuple, Optional[dict]] = {}

    def _definitions(self, strict: bool = False) -> dict:
        if strict not in self._defs:
            with open(os.path.join(_schema_dir(strict), "_definitions.json")) as f:
                self._defs[strict] = json.load(f)
        return self._defs[strict]

    @staticmethod
    def _filename(api_version: str, kind: str) -> str:
        # same mapping as kubernetes_validate.utils.validate: rbac.authorization.k8s.io/v1 -> rbac-v1
        av = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        return f"{kind.lower()}-{av}.json"

    def root(self, api_version: str, kind: str) -> Optional[dict]:
        key = (api_version, kind)
        with self._lock:
            if key not in self._roots:
                path = os.path.join(_schema_dir(False), self._filename(api_version, kind))
                try:
                    with open(path) as f:
                        self._roots[key] = json.load(f)
                except FileNotFoundError:
                    self._roots[key] = None
                self._definitions(False)
            return self._roots[key]

    def resolve(self, node: Optional[dict]) -> Optional[dict]:
        """Follow ``$ref`` into _definitions.json."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            ref = node["$ref"]
            for p in _DEF_PREFIXES:
                if ref.startswith(p):
                    node = self._definitions(False)["$defs"].get(ref[len(p) :])
                    break
            else:
                return None
            seen += 1
        return node

    def child(self, node: Optional[dict], key: str) -> Optional[dict]:
        node = self.resolve(node)
        if not isinstance(node, dict):
            return None
        props = node.get("properties")
        if props and key in props:
            return props[key]
        ap = node.get("additionalProperties")
        if isinstance(ap, dict):
            return ap
        return None

    def items(self, node: Optional[dict]) -> Optional[dict]:
        node = self.resolve(node)
        return node.get("items") if isinstance(node, dict) else None

    def _validator(self, api_version: str, kind: str, strict: bool):
        key = (api_version, kind, strict)
        with self._lock:
            if key in self._validators:
                return self._validators[key]
        import jsonschema
        from referencing import Registry, Resource

        path = os.path.join(_schema_dir(strict), self._filename(api_version, kind))
        try:
            with open(path) as f:
                schema = json.load(f)
        except FileNotFoundError:
            v = None
        else:
            defs = self._definitions(strict)
            registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
            v = jsonschema.validators.Draft202012Validator(schema, registry=registry)
        with self._lock:
            self._validators[key] = v
        return v

    def validate(self, obj: dict, strict: bool = False) -> list[FieldError]:
        v = self._validator(obj.get("apiVersion", ""), obj.get("kind", ""), strict)
        if v is None:
            return []
        errors = []
        for e in v.iter_errors(obj):
            errors.append(_from_jsonschema(e))
            if len(errors) >= 20:
                break
        return errors


def _from_jsonschema(e) -> FieldError:
    path = _fmt_path(list(e.absolute_path))
    if e.validator == "required":
        m = re.match(r"'([^']+)' is a required property", e.message)
        missing = m.group(1) if m else "?"
        return FieldError((path + "." if path else "") + missing, "FieldValueRequired", "Required value")
    if e.validator == "enum":
        return FieldError(path, "FieldValueNotSupported", f"Unsupported value: {e.instance!r}: supported values: {e.validator_value}")
    if e.validator == "additionalProperties":
        return FieldError(path, "FieldValueInvalid", f"unknown field: {e.message}")
    if e.validator in ("type", "oneOf"):
        return FieldError(path, "FieldValueTypeInvalid", f"Invalid value: {json.dumps(e.instance)[:80]}: {e.message}")
    return FieldError(path, "FieldValueInvalid", f"Invalid value: {e.message}")


BUILTIN = BuiltinSchemas()


# ------------------------------------------------------------------ metadata (apimachinery)
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

# Kinds whose names must be DNS-1123 labels (pkg/apis/core/validation: ValidateNamespaceName,
# ValidateServiceName); path-segment-only kinds (RBAC) accept more (ValidatePathSegmentName).
_LABEL_NAMED = {("", "Namespace"), ("", "Service")}
_PATH_SEGMENT_NAMED = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}


def _qualified_key_errors(key: str, field: str) -> list[FieldError]:
    prefix, _unused, name = key.rpartition("/")
    errs = []
    if prefix and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.match(prefix)):
        errs.append(FieldError(field, "FieldValueInvalid", f"Invalid value: {key!r}: prefix part must be a DNS-1123 subdomain"))
    if not name or len(name) > 63 or not _QUALIFIED_NAME.match(name):
        errs.append(
            FieldError(
                field,
                "FieldValueInvalid",
                f"Invalid value: {key!r}: name part must consist of alphanumeric characters, '-', '_' or '.', "
                "and must start and end with an alphanumeric character",
            )
        )
    return errs


def validate_metadata(group: str, kind: str, meta: dict, namespaced: bool) -> list[FieldError]:
    errs: list[FieldError] = []
    if not isinstance(meta, dict):
        return [FieldError("metadata", "FieldValueTypeInvalid", "Invalid value: must be an object")]
    name = meta.get("name")
    if isinstance(name, str) and name:
        if kind in _PATH_SEGMENT_NAMED:
            bad = name in (".", "..") or "/" in name or "%" in name
            msg = "may not contain '/' or '%'"
        elif (group, kind) in _LABEL_NAMED:
            bad = len(name) > 63 or not _DNS1123_LABEL.match(name)
            msg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'"
        else:
            bad = len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name)
            msg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'"
        if bad:
            errs.append(FieldError("metadata.name", "FieldValueInvalid", f"Invalid value: {name!r}: {msg}"))
    labels = meta.get("labels") or {}
    if isinstance(labels, dict):
        for k, v in labels.items():
            errs += _qualified_key_errors(k, "metadata.labels")
            if not isinstance(v, str) or len(v) > 63 or not _LABEL_VALUE.match(v):
                errs.append(
                    FieldError(
                        "metadata.labels",
                        "FieldValueInvalid",
                        f"Invalid value: {v!r}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'",
                    )
                )
    annotations = meta.get("annotations") or {}
    if isinstance(annotations, dict):
        total = 0
        for k, v in annotations.items():
            errs += _qualified_key_errors(k, "metadata.annotations")
            if not isinstance(v, str):
                errs.append(FieldError(f"metadata.annotations.{k}", "FieldValueTypeInvalid", "Invalid value: must be a string"))
            total += len(k) + len(str(v))
        if total > 256 * 1024:  # TotalAnnotationSizeLimitB
            errs.append(FieldError("metadata.annotations", "FieldValueTooLong", "Too long: must have at most 262144 bytes"))
    return errs


# ------------------------------------------------------------------ explicit nulls
def drop_nulls(value) -> None:
    """Built-ins: a JSON null leaves the Go struct field at its zero value, i.e. unset
    (encoding/json Unmarshal: "null ... has no effect" on non-pointer values, nil for pointers,
    maps and slices), so it is removed before validation. Divergence: a null map VALUE (e.g.
    ``requests: {memory: null}``) is dropped too, where Go would keep the key with a zero value."""
    if isinstance(value, dict):
        for k in [k for k, v in value.items() if v is None]:
            del value[k]
        for v in value.values():
            drop_nulls(v)
    elif isinstance(value, list):
        for v in value:
            drop_nulls(v)


def drop_nulls_cr(schema: Optional[dict], obj: dict) -> None:
    """apiextensions-apiserver pkg/apiserver/schema/defaulting/prunenulls.go
    PruneNonNullableNullsWithoutDefaults: nulls of fields that are not ``nullable`` (and have
    no default) are removed; nullable fields keep their null."""

    def walk(s, v):
        if not isinstance(s, dict):
            return
        if isinstance(v, dict):
            props = s.get("properties") or {}
            ap = s.get("additionalProperties") if isinstance(s.get("additionalProperties"), dict) else None
            for k in list(v):
                sub = props.get(k, ap)
                if v[k] is None:
                    if isinstance(sub, dict) and not sub.get("nullable") and "default" not in sub:
                        del v[k]
                    continue
                walk(sub, v[k])
        elif isinstance(v, list) and isinstance(s.get("items"), dict):
            for item in v:
                walk(s["items"], item)

    if schema:
        walk(schema, obj)


# ------------------------------------------------------------------ pruning (built-ins)
def prune_builtin(obj: dict, strict: bool = False) -> list[str]:
    """Drop fields the 1.33 schema does not know; return their paths (for Warning / Strict errors)."""
    root = BUILTIN.root(obj.get("apiVersion", ""), obj.get("kind", ""))
    if root is None:
        return []
    dropped: list[str] = []
    _prune_builtin(root, obj, [], dropped, top=True)
    return dropped


def _prune_builtin(node, value, path, dropped, top=False):
    node = BUILTIN.resolve(node)
    if not isinstance(node, dict):
        return
    if isinstance(value, dict):
        props = node.get("properties")
        ap = node.get("additionalProperties")
        if props is not None:
            for k in list(value):
                if k in props:
                    _prune_builtin(props[k], value[k], path + [k], dropped)
                elif top and k in ("apiVersion", "kind"):
                    continue
                elif isinstance(ap, dict):
                    _prune_builtin(ap, value[k], path + [k], dropped)
                elif ap is None or ap is False:
                    dropped.append(_fmt_path(path + [k]))
                    del value[k]
        elif isinstance(ap, dict):
            for k in value:
                _prune_builtin(ap, value[k], path + [k], dropped)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(value):
            _prune_builtin(node["items"], item, path + [i], dropped)


# ------------------------------------------------------------------ CRD structural schemas
_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


@functools.lru_cache(maxsize=512)
def _regex(pattern: str):
    return re.compile(pattern)


def _tname(v) -> str:
    if v is None:
        return "null"
    for t in ("boolean", "integer", "number", "string", "array", "object"):
        if _TYPES[t](v):
            return t
    return type(v).__name__


def validate_cr(schema: Optional[dict], obj: dict) -> list[FieldError]:
    """Validate a custom resource against its CRD version's openAPIV3Schema.

    ``metadata`` is checked by validate_metadata only (apiextensions-apiserver ignores the
    schema's metadata beyond name restrictions).
    """
    if not schema:
        return []
    errs: list[FieldError] = []
    props = schema.get("properties") or {}
    for k, v in obj.items():
        if k in ("apiVersion", "kind", "metadata"):
            continue
        if k in props:
            _check(props[k], v, [k], errs)
    for req in schema.get("required") or []:
        if req not in ("apiVersion", "kind", "metadata") and req not in obj:
            errs.append(FieldError(req, "FieldValueRequired", "Required value"))
    return errs


def _check(s: dict, v, path: list, errs: list) -> None:
    if len(errs) >= 50 or not isinstance(s, dict):
        return
    p = _fmt_path(path)
    if v is None:
        if not s.get("nullable") and not s.get("x-kubernetes-preserve-unknown-fields") and s.get("type"):
            errs.append(FieldError(p, "FieldValueTypeInvalid", f'Invalid value: "null": {p} in body must be of type {s.get("type")}: "null"'))
        return
    t = s.get("type")
    if s.get("x-kubernetes-int-or-string"):
        if not (_TYPES["integer"](v) or isinstance(v, str)):
            errs.append(FieldError(p, "FieldValueTypeInvalid", f"Invalid value: {_tname(v)!r}: {p} in body must be of type int-or-string"))
            return
    elif t and t in _TYPES and not _TYPES[t](v):
        errs.append(FieldError(p, "FieldValueTypeInvalid", f'Invalid value: "{_tname(v)}": {p} in body must be of type {t}: "{_tname(v)}"'))
        return
    if "enum" in s and v not in s["enum"]:
        allowed = ", ".join(json.dumps(e) for e in s["enum"])
        errs.append(FieldError(p, "FieldValueNotSupported", f"Unsupported value: {json.dumps(v)}: supported values: {allowed}"))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in s and (v < s["minimum"] or (s.get("exclusiveMinimum") is True and v == s["minimum"])):
            errs.append(FieldError(p, "FieldValueInvalid", f"Invalid value: {v}: {p} in body should be greater than or equal to {s['minimum']}"))
        if "maximum" in s and (v > s["maximum"] or (s.get("exclusiveMaximum") is True and v == s["maximum"])):
            errs.append(FieldError(p, "FieldValueInvalid", f"Invalid value: {v}: {p} in body should be less than or equal to {s['maximum']}"))
    if isinstance(v, str):
        if "pattern" in s and not _regex(s["pattern"]).search(v):
            errs.append(FieldError(p, "FieldValueInvalid", f"Invalid value: {json.dumps(v)}: {p} in body should match '{s['pattern']}'"))
        if "maxLength" in s and len(v) > s["maxLength"]:
            errs.append(FieldError(p, "FieldValueTooLong", f"Too long: may not be longer than {s['maxLength']}"))
        if "minLength" in s and len(v) < s["minLength"]:
            errs.append(
                FieldError(p, "FieldValueInvalid", f"Invalid value: {json.dumps(v)}: {p} in body should be at least {s['minLength']} chars long")
            )
    if isinstance(v, list):
        if "maxItems" in s and len(v) > s["maxItems"]:
            errs.append(FieldError(p, "FieldValueTooMany", f"Too many: {len(v)}: must have at most {s['maxItems']} items"))
        if "minItems" in s and len(v) < s["minItems"]:
            errs.append(FieldError(p, "FieldValueInvalid", f"Invalid value: {p} in body should have at least {s['minItems']} items"))
        if isinstance(s.get("items"), dict):
            for i, item in enumerate(v):
                _check(s["items"], item, path + [i], errs)
    if isinstance(v, dict):
        props = s.get("properties") or {}
        ap = s.get("additionalProperties")
        for k, sub in v.items():
            if k in props:
                _check(props[k], sub, path + [k], errs)
            elif isinstance(ap, dict):
                _check(ap, sub, path + [k], errs)
            elif ap is False:
                errs.append(FieldError(_fmt_path(path + [k]), "FieldValueForbidden", "Forbidden: additional properties are not allowed"))
        for req in s.get("required") or []:
            if req not in v:
                errs.append(FieldError(_fmt_path(path + [req]), "FieldValueRequired", "Required value"))
        if "maxProperties" in s and len(v) > s["maxProperties"]:
            errs.append(FieldError(p, "FieldValueTooMany", f"Too many: must have at most {s['maxProperties']} items"))
    for comb in ("allOf",):
        for sub in s.get(comb) or []:
            _check(sub, v, path, errs)
    for comb in ("anyOf", "oneOf"):
        subs = s.get(comb)
        if subs:
            results = []
            for sub in subs:
                e2: list = []
                _check(sub, v, path, e2)
                results.append(not e2)
            ok = any(results) if comb == "anyOf" else results.count(True) == 1
            if not ok:
                errs.append(FieldError(p, "FieldValueInvalid", f"Invalid value: {p} must validate {comb} of its schemas"))
    if "not" in s and isinstance(s["not"], dict):
        e2 = []
        _check(s["not"], v, path, e2)
        if not e2:
            errs.append(FieldError(p, "FieldValueInvalid", f"Invalid value: {p} must not validate the schema (not)"))


def prune_cr(schema: Optional[dict], obj: dict) -> list[str]:
    """Structural pruning (apiextensions-apiserver pkg/apiserver/schema/pruning)."""
    if not schema or schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    dropped: list[str] = []
    props = schema.get("properties") or {}
    for k in list(obj):
        if k in ("apiVersion", "kind", "metadata"):
            continue
        if k in props:
            _prune_cr(props[k], obj[k], [k], dropped)
        elif not isinstance(schema.get("additionalProperties"), dict):
            dropped.append(k)
            del obj[k]
    return dropped


def _prune_cr(s, v, path, dropped) -> None:
    if not isinstance(s, dict) or s.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(v, dict):
        props = s.get("properties")
        ap = s.get("additionalProperties")
        if props is None and not isinstance(ap, dict):
            if s.get("type") == "object" and ap is not True:
                for k in list(v):
                    dropped.append(_fmt_path(path + [k]))
                    del v[k]
            return
        for k in list(v):
            if props and k in props:
                _prune_cr(props[k], v[k], path + [k], dropped)
            elif isinstance(ap, dict):
                _prune_cr(ap, v[k], path + [k], dropped)
            elif ap is True:
                continue
            else:
                dropped.append(_fmt_path(path + [k]))
                del v[k]
    elif isinstance(v, list) and isinstance(s.get("items"), dict):
        for i, item in enumerate(v):
            _prune_cr(s["items"], item, path + [i], dropped)
