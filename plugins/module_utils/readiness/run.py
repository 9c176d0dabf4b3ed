# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``tracing_readiness``: collect, assess (pure), report, write, fail_under."""

from __future__ import annotations

import io
import os
import tempfile
from typing import Any, Callable

from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C
from ansible_collections.talos_homelab.tracing.plugins.module_utils.args import K8S_AUTH_ARGS
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.canary import run_canary
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import registry
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import report as report_mod
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import score as score_mod
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.collect import collect


def assess(snapshot: dict[str, Any], fail_under: int | None = None) -> dict[str, Any]:
    """Pure: snapshot -> result dict (score, verdict, storage_mode, components, report).

    ``fail_under``: the threshold the run enforces; the verdict is never PRODUCTION-READY below it."""
    facts, results = registry.run_checks(snapshot)
    summary = score_mod.summarize(results, registry.COMPONENTS, fail_under=fail_under)
    titles = [(c, registry.COMPONENT_TITLES[c]) for c in registry.COMPONENTS]
    summary["storage_mode"] = facts.mode
    summary["report"] = report_mod.render(summary, titles, mode=facts.mode)
    summary["collection_errors"] = list(snapshot.get("errors") or [])
    return summary


def read_text(path: str) -> str | None:
    try:
        with io.open(path, "r", encoding="utf-8") as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def write_report(path: str | None, text: str, check_mode: bool) -> bool:
    """Write ``text`` to ``path`` when it differs. Returns True when it was (or, in check mode, would be) written."""
    path = os.path.abspath(os.path.expanduser(path))
    if read_text(path) == text:
        return False
    if check_mode:
        return True
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise TracingError("write the report to %s" % path, "the directory %s does not exist." % directory,
                           "create it first or choose another report_path.")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tracing-readiness-")
        with io.open(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except (IOError, OSError) as exc:
        raise TracingError("write the report to %s" % path, str(exc), "check the path and its permissions.")
    return True


def run(module: Any, client_factory: Callable[[dict[str, Any]], Any], s3_factory: Callable[[dict[str, Any]], Any]) -> tuple[dict[str, Any], str | None]:
    """Returns ``(result, failed_message_or_None)``."""
    params = dict(module.params)
    params["claim_namespace"] = params.get("claim_namespace") or params["jaeger_namespace"]
    client = client_factory(params)
    snapshot = collect(client, params, s3_factory=s3_factory)
    result = assess(snapshot, fail_under=params.get("fail_under"))
    result["api_requests"] = client.requests
    result["changed"] = False
    result["report_written"] = False
    if params.get("report_path"):
        written = write_report(params["report_path"], result["report"], module.check_mode)
        result["changed"] = written
        result["report_written"] = written and not module.check_mode
        result["report_path"] = os.path.abspath(os.path.expanduser(params["report_path"]))
    failed = None
    fail_under = params.get("fail_under")
    if fail_under is not None and result["score"] < fail_under:
        failed = "Failed to reach the readiness threshold: the overall score is %d/100, below fail_under=%d (%s)." % (
            result["score"], fail_under, result["verdict"])
    if params.get("canary") and not module.check_mode:
        canary = run_canary(client, params, parse.otel_config(snapshot["otel"])[1], params["canary_timeout"])
        result["canary"] = canary
        result["report"] += "\n" + canary_line(canary)
        if not canary["passed"]:
            failed = " ".join(filter(None, [failed, "Failed the end-to-end canary at the %s: %s Fix: %s" % (
                canary["hop"], canary["problem"], canary["fix"])]))
    return result, failed


def canary_line(canary: dict[str, Any]) -> str:
    """The report's canary line."""
    if canary["passed"]:
        return "Canary: error trace %s found in jaeger-query after %ss (agents -> samplers -> Tempo -> query)." % (
            canary["error_trace_id"], canary["seconds"])
    return "Canary: FAILED at the %s: %s Fix: %s" % (canary["hop"], canary["problem"], canary["fix"])


def readiness_argument_spec() -> dict[str, Any]:
    """The module's argument spec (its DOCUMENTATION describes each option)."""
    spec = dict(
        otel_namespace=dict(type="str", default=C.OTEL_NAMESPACE),
        otel_name=dict(type="str", default=C.OTEL_NAME),
        jaeger_namespace=dict(type="str", default=C.JAEGER_NAMESPACE),
        storage_mode=dict(type="str", default="auto", choices=["auto", "tempo", "grpc-plugin"]),
        claim_name=dict(type="str", default=C.CLAIM_NAME),
        claim_namespace=dict(type="str"),
        retention_days=dict(type="int", default=C.RETENTION_DAYS),
        s3_endpoint_url=dict(type="str"),
        s3_validate_certs=dict(type="bool", default=True),
        report_path=dict(type="path"),
        fail_under=dict(type="int"),
        grafana_datasource=dict(type="bool", default=False),
        grafana_namespace=dict(type="str", default=C.GRAFANA_NAMESPACE),
        otel_otlp_grpc_port=dict(type="int", default=C.OTLP_GRPC_PORT),
        otel_otlp_http_port=dict(type="int", default=C.OTLP_HTTP_PORT),
        jaeger_name=dict(type="str", default=C.JAEGER_NAME),
        tempo_name=dict(type="str", default=C.TEMPO_NAME),
        query_name=dict(type="str", default=C.JAEGER_QUERY_NAME),
        query_port=dict(type="int", default=C.JAEGER_QUERY_PORT),
        collector_service=dict(type="str", default=C.JAEGER_COLLECTOR_SERVICE),
        collector_otlp_grpc_port=dict(type="int", default=C.OTLP_GRPC_PORT),
        collector_otlp_http_port=dict(type="int", default=C.OTLP_HTTP_PORT),
        storage_secret_name=dict(type="str", default=C.STORAGE_SECRET_NAME),
        sampler_name=dict(type="str", default=C.SAMPLER_NAME),
        sampler_namespace=dict(type="str"),
        sampler_port=dict(type="int", default=C.SAMPLER_PORT),
    )
    spec.update(canary=dict(type="bool", default=False), canary_timeout=dict(type="int", default=60))
    spec.update(K8S_AUTH_ARGS)
    return spec
