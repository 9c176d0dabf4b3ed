# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tail sampling: the sampler tier's sizing, its policies, and which traces it keeps (pure).

The samplers' Collector configuration is rendered by ``otel_config/sampler.py`` from these figures.

* the samplers' memory and num_traces from the expected load: ``otel_config/sizing.py``.
* ``decide(policies, trace)`` / ``simulate(policies, traces)``: which synthetic traces the rendered
  ``tail_sampling`` policies keep. The probabilistic policy is modelled as
  opentelemetry-collector-contrib processor/tailsamplingprocessor/internal/sampling/probabilistic.go
  computes it (v0.114.0; the same algorithm in later releases): FNV-1a 64 over the hash salt
  (``default-hash-seed`` when empty) followed by the 16 trace-ID bytes, sampled when the hash is
  <= ``MaxUint64 x percentage / 100`` (``calculateThreshold``: a big.Float product, 64-bit mantissa,
  truncated to uint64). The status_code policy (internal/sampling/status_code.go) samples a trace when
  any span's status is in ``status_codes``. Policies are OR-ed: the trace is kept when one samples it
  (processor.go ``makeDecision``; ``invert_match`` and the other policy types are not modelled and
  are refused). No Collector runs here: this is the decision of the configuration, not a measurement.
* ``values_errors(values)``: the preflight's checks of the tail_sampler_* variables.
* ``resolver_rules(version)``: the RBAC rules the loadbalancing exporter's k8s resolver needs at a
  given otelcol-contrib version (docs/storage.md section 5).
"""

from __future__ import annotations

import hashlib
import math
import re
from fractions import Fraction

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.images import image_tag

MAX_UINT64 = (1 << 64) - 1
# probabilistic.go defaultHashSalt
DEFAULT_HASH_SALT = "default-hash-seed"
_FNV64_OFFSET = 0xcbf29ce484222325  # Go hash/fnv offset64
_FNV64_PRIME = 0x100000001b3  # Go hash/fnv prime64
ERROR = "ERROR"
SUPPORTED_POLICIES = ("status_code", "probabilistic", "always_sample")

# The k8s resolver of the loadbalancing exporter. v0.114.0 exporter/loadbalancingexporter/resolver_k8s.go
# lists and watches core/v1 Endpoints of the Service (field selector metadata.name); the switch to
# discovery.k8s.io/v1 EndpointSlices (contrib PR #44079) shipped after 0.137.0: users upgrading
# 0.137.0 -> 0.140.1 needed the extra grant (contrib issue #44494, documented by PR #44500).
# ENDPOINTSLICES_FROM is the first release known to need it. At v0.159.0 resolver_k8s.go (module
# github.com/open-telemetry/opentelemetry-collector-contrib/exporter/loadbalancingexporter@v0.159.0 in the
# Go module cache) lists and watches only EndpointSlices: DiscoveryV1().EndpointSlices(svcNs) List/Watch
# with label selector kubernetes.io/service-name=<service>; no Endpoints call is left. So Endpoints up to
# 0.137.x, EndpointSlices from 0.140.0, both in between (the release of the switch is not pinned down).
ENDPOINTS_UNTIL = (0, 138, 0)
ENDPOINTSLICES_FROM = (0, 140, 0)
RESOLVER_VERBS = ["get", "list", "watch"]

_DURATION_RE = re.compile(r"^([0-9]+)(ms|s|m)$")
_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_IMAGE_RE = re.compile(r"^[^@\s]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_FIX = "correct the tail_sampler_* variables (roles/tail_sampler/meta/argument_specs.yml)."


# ====================================================================== decisions
def fnv1a64(data: bytes) -> int:
    """Go ``hash/fnv`` New64a over ``data`` (bytes)."""
    h = _FNV64_OFFSET
    for byte in bytearray(data):
        h ^= byte
        h = (h * _FNV64_PRIME) & MAX_UINT64
    return h


def threshold(percentage: float) -> int:
    """probabilistic.go calculateThreshold(percentage / 100): MaxUint64 x ratio in a 64-bit mantissa, truncated."""
    ratio = Fraction(float(percentage) / 100)  # the float64 the Go code multiplies by
    exact = Fraction(MAX_UINT64) * ratio
    if exact <= 0:
        return 0
    if exact >= MAX_UINT64:
        return MAX_UINT64
    # big.Float rounds the product to the receiver's precision (64 bits: SetInt of MaxUint64), to nearest even
    exponent = int(math.floor(math.log(exact, 2)))
    while Fraction(2) ** exponent > exact:
        exponent -= 1
    while Fraction(2) ** (exponent + 1) <= exact:
        exponent += 1
    ulp = Fraction(2) ** (exponent - 63)
    units = exact / ulp
    whole = units.numerator // units.denominator
    rest = units - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    rounded = whole * ulp
    return int(min(rounded.numerator // rounded.denominator, MAX_UINT64))


def trace_id_bytes(trace_id: str | bytes) -> bytes:
    """The 16 bytes of a trace ID given as 32 hex digits."""
    text = str(trace_id).lower()
    if not re.match(r"^[0-9a-f]{32}$", text):
        raise ValueError("trace ID %r is not 32 hex digits" % (trace_id,))
    return bytes(bytearray.fromhex(text))


def probabilistic_samples(trace_id: str | bytes, percentage: float, hash_salt: str = "") -> bool:
    """The probabilistic policy's decision for one trace ID."""
    salt = hash_salt or DEFAULT_HASH_SALT
    return fnv1a64(salt.encode("utf-8") + trace_id_bytes(trace_id)) <= threshold(percentage)


def decide(policies: list[dict], trace: dict) -> tuple[bool, list[str]]:
    """``(kept, [names of the policies that sampled it])`` for ``trace`` = ``{trace_id, error}``.

    ``policies``: the ``tail_sampling.policies`` list as rendered. An unknown policy type raises
    ``ValueError`` naming it (its decision is not modelled, so no claim is made)."""
    sampled = []
    for policy in policies or []:
        kind = policy.get("type")
        if kind not in SUPPORTED_POLICIES or policy.get("invert_match"):
            raise ValueError("policy %r of type %r is not modelled (only %s)" % (
                policy.get("name"), kind, ", ".join(SUPPORTED_POLICIES)))
        if kind == "always_sample":
            hit = True
        elif kind == "status_code":
            codes = [str(c).upper() for c in (policy.get("status_code") or {}).get("status_codes") or []]
            hit = bool(trace.get("error")) and ERROR in codes
        else:
            conf = policy.get("probabilistic") or {}
            hit = probabilistic_samples(trace["trace_id"], conf.get("sampling_percentage", 0), conf.get("hash_salt") or "")
        if hit:
            sampled.append(policy.get("name"))
    return bool(sampled), sampled


def synthetic_traces(count: int, error_every: int) -> list[dict]:
    """``count`` deterministic trace IDs (sha256 of ``trace-<i>``), every ``error_every``-th an error trace."""
    out = []
    for i in range(count):
        tid = hashlib.sha256(("trace-%d" % i).encode("ascii")).hexdigest()[:32]
        out.append(dict(trace_id=tid, error=bool(error_every) and i % error_every == 0))
    return out


def simulate(policies: list[dict], traces: list[dict]) -> dict:
    """Counts of kept traces: ``{errors, errors_kept, others, others_kept, kept_ids}``."""
    res = dict(errors=0, errors_kept=0, others=0, others_kept=0, kept_ids=[])
    for trace in traces:
        kept, _by = decide(policies, trace)
        key = "errors" if trace.get("error") else "others"
        res[key] += 1
        if kept:
            res[key + "_kept"] += 1
            res["kept_ids"].append(trace["trace_id"])
    return res


def keeps_errors_and_baseline(policies: list[dict]) -> tuple[bool, float | None]:
    """``(keeps_errors, baseline percentage or None)`` of rendered policies, from their decisions.

    Errors: a non-error trace ID set aside, an error trace must be kept whatever its ID (checked on
    64 synthetic error traces). Baseline: the highest probabilistic percentage (None without one)."""
    try:
        errors = all(decide(policies, t)[0] for t in synthetic_traces(64, 1))
    except ValueError:
        return False, None
    pcts = [float((x.get("probabilistic") or {}).get("sampling_percentage", 0))
            for x in policies or [] if x.get("type") == "probabilistic"]
    return errors, (max(pcts) if pcts else None)


# ====================================================================== values, sizing, policies
def duration_seconds(text: object) -> float | None:
    """Seconds of a ``10s`` / ``500ms`` / ``1m`` duration (None when it is not one)."""
    match = _DURATION_RE.match(str(text))
    if not match:
        return None
    value, unit = int(match.group(1)), match.group(2)
    return value / 1000.0 if unit == "ms" else value * (60 if unit == "m" else 1)


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def resolver_rules(version: tuple[int, ...] | None) -> list[dict]:
    """RBAC rules of the agents' k8s resolver in the sampler namespace for otelcol-contrib ``version``
    (what that release lists and watches; both for an unknown version)."""
    rules = []
    if version is None or tuple(version) < ENDPOINTSLICES_FROM:
        rules.append(dict(apiGroups=[""], resources=["endpoints"], verbs=list(RESOLVER_VERBS)))
    if version is None or tuple(version) >= ENDPOINTS_UNTIL:
        rules.append(dict(apiGroups=["discovery.k8s.io"], resources=["endpointslices"], verbs=list(RESOLVER_VERBS)))
    return rules


def policies(values: dict) -> list[dict]:
    """The two policies of the samplers' tail_sampling processor: keep-errors OR baseline."""
    prob = {"sampling_percentage": float(values["tail_sampler_baseline_percentage"])}
    if values.get("tail_sampler_hash_salt"):
        prob["hash_salt"] = str(values["tail_sampler_hash_salt"])
    return [
        {"name": "keep-errors", "type": "status_code", "status_code": {"status_codes": [ERROR]}},
        {"name": "baseline", "type": "probabilistic", "probabilistic": prob},
    ]


def values_errors(values: dict) -> list[str]:
    """One ``TracingError`` per bad tail_sampler_* value (nothing read from the cluster)."""
    errors = []

    def bad(problem, fix=_FIX):
        errors.append(TracingError("validate tail_sampler variables", problem, fix))

    for key in ("tail_sampler_namespace", "tail_sampler_name"):
        if not _NAME_RE.match(str(values.get(key) or "")):
            bad("%s %r is not a DNS label." % (key, values.get(key)))
    image = values.get("tail_sampler_image")
    if image and (not _IMAGE_RE.match(str(image)) or image_tag(image) == "latest"):
        bad("tail_sampler_image %r must carry a pinned tag other than 'latest'." % (image,),
            "leave tail_sampler_image empty (the agents' image) or pin e.g. otel/opentelemetry-collector-contrib:0.159.0.")
    replicas = _number(values.get("tail_sampler_replicas"))
    if replicas is None or replicas != int(replicas) or replicas < 1:
        bad("tail_sampler_replicas %r must be a whole number >= 1." % (values.get("tail_sampler_replicas"),))
    pct = _number(values.get("tail_sampler_baseline_percentage"))
    if pct is None or not 0 < pct <= 100:
        bad("tail_sampler_baseline_percentage %r must be a number in (0, 100]." % (values.get("tail_sampler_baseline_percentage"),))
    wait = duration_seconds(values.get("tail_sampler_decision_wait"))
    if wait is None or wait <= 0:
        bad("tail_sampler_decision_wait %r must be a positive duration like 10s, 500ms or 1m." % (values.get("tail_sampler_decision_wait"),))
    for key in ("tail_sampler_expected_new_traces_per_sec", "tail_sampler_expected_spans_per_sec", "tail_sampler_span_bytes"):
        num = _number(values.get(key))
        if num is None or num <= 0 or num != int(num):
            bad("%s %r must be a whole number > 0." % (key, values.get(key)))
    num_traces = values.get("tail_sampler_num_traces")
    if num_traces not in (None, "", 0, "0"):
        num = _number(num_traces)
        if num is None or num < 1 or num != int(num):
            bad("tail_sampler_num_traces %r must be a whole number >= 1 (or 0: derived from the load)." % (num_traces,))
    ports = []
    for key in ("tail_sampler_otlp_grpc_port", "tail_sampler_otlp_http_port", "tail_sampler_health_check_port"):
        num = _number(values.get(key))
        if num is None or num != int(num) or not 0 < num < 65536:
            bad("%s %r must be a port number 1-65535." % (key, values.get(key)))
        ports.append(num)
    if len(set(ports)) != len(ports):
        bad("the sampler's ports %s must be distinct." % ", ".join(str(values.get(k)) for k in (
            "tail_sampler_otlp_grpc_port", "tail_sampler_otlp_http_port", "tail_sampler_health_check_port")))
    overrides = values.get("tail_sampler_config_overrides")
    if overrides is not None and not isinstance(overrides, dict):
        bad("tail_sampler_config_overrides must be a mapping (got %s)." % type(overrides).__name__)
    if not re.match(r"^[^/:\s]+:[0-9]+$", str(values.get("tail_sampler_tempo_endpoint") or "")):
        bad("tail_sampler_tempo_endpoint %r must be host:port without a scheme." % (values.get("tail_sampler_tempo_endpoint"),),
            "e.g. jaeger-collector.jaeger:4317 (Tempo's distributor).")
    if overrides and isinstance(overrides, dict) and not errors:
        # The overrides are checked where they are merged (an owned port moved); imported here because
        # that module builds on this one.
        from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.sampler import sampler_config
        try:
            sampler_config(values)
        except TracingError as err:
            errors.append(err)
    return errors
