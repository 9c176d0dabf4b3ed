# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readiness check registry: every check's id, component, title, severity, weight and fix, and the
function that runs it in each storage mode, in report order (``ALL_CHECKS``).

A check function (checks_*.py, sampling_checks.py) is a pure function of the ``Facts`` (facts.py) and
returns ``(passed, evidence)`` or ``(passed, evidence, fix)`` when the fix depends on what it found.
``weight`` is the check's importance; ``score.py`` turns it into points (danger counts double). The
Jaeger weights are chosen so that the checks which pass on the before-state (running, OTLP,
credentials, no broken combination: danger 3 each; pinned images, query wired: warning 3 each) give
exactly 30 of 100 points, the user's own assessment. Titles and fixes name the objects with
``{placeholders}`` of facts.py ``names_of`` (the module's names and ports).

To add a check: write its function in the module of its component (and mode), then add one ``Check``
here; tests/unit/plugins/module_utils/readiness/test_registry.py fails on a function left out.
"""

from __future__ import annotations

from typing import Any, Callable, TYPE_CHECKING

from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.profiles import supported_releases
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import checks_jaeger as jaeger
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import checks_jaeger_operator as operator
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import checks_otel as otel
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import checks_storage as storage
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import checks_tempo as tempo
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import sampling_checks as sampling
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import OPERATOR, TEMPO, Facts, no_jaeger

if TYPE_CHECKING:  # annotations only
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import Facts

COMPONENTS = ("otel_collector", "jaeger", "sampling", "storage")
COMPONENT_TITLES = dict(otel_collector="OpenTelemetry Collector", jaeger="Jaeger", storage="Storage",
                        sampling="Sampling (agents -> tail samplers -> Tempo)")
DANGER = "danger"
WARNING = "warning"


class Check(object):
    """One check: ``meta`` (what the report shows besides the outcome) and its function per mode.

    ``run``: the function of both modes; ``tempo`` / ``operator``: the function of one mode (a check
    without one does not apply in that mode). ``needs_cr``: in operator mode without a Jaeger CR the
    check fails with "no Jaeger" instead of running. ``needs_otel_config``: without a readable agents'
    configuration the check fails with the reason instead of running. ``enabled(facts)``: whether the
    run includes it.
    """

    def __init__(self, cid, component, title, severity, weight, fix, run=None, tempo=None, operator=None,
                 needs_cr=False, needs_otel_config=False, enabled=None):
        self.meta = dict(id=cid, component=component, title=title, severity=severity, weight=weight, fix=fix)
        self.impls = {TEMPO: tempo or run, OPERATOR: operator or run}
        self.needs_cr = needs_cr
        self.needs_otel_config = needs_otel_config
        self.enabled = enabled

    def functions(self) -> list[Callable[..., Any]]:
        """The distinct functions this check runs (to verify that each is registered once)."""
        out = []
        for func in self.impls.values():
            if func is not None and func not in out:
                out.append(func)
        return out


def _no_jaeger(f):
    return False, no_jaeger(f)


def _no_otel_config(f):
    return False, f.otel_config_error


def implementation(check: Check, facts: Facts) -> Callable[[Facts], Any] | None:
    """The one place that picks by storage mode: the function ``check`` runs with ``facts``, or None."""
    if check.enabled is not None and not check.enabled(facts):
        return None
    func = check.impls.get(facts.mode)
    if func is not None and facts.mode == OPERATOR and check.needs_cr and not facts.cr:
        return _no_jaeger
    if func is not None and check.needs_otel_config and facts.otel_config is None:
        return _no_otel_config
    return func


SUPPORTED_COLLECTORS = ", ".join(supported_releases())
TAIL_FIX = ("set tracing_sampling: tail (the default) and run the site playbook: the agents export with the"
            " loadbalancing exporter (routing_key traceID) to role tail_sampler's replicas.")
WAL_FIX = ("run the site playbook (role jaeger_production): Tempo's WAL goes on volumeClaimTemplates claims"
           " (jaeger_production_tempo_wal_size, jaeger_production_tempo_wal_storage_class), the StatefulSet is replaced"
           " with its pods orphaned, then adopted.")
OTEL, JAEGER, STORAGE, SAMPLING = COMPONENTS[0], COMPONENTS[1], COMPONENTS[3], COMPONENTS[2]

ALL_CHECKS = [
    # ------------------------------------------------------------------ OpenTelemetry Collector (checks_otel.py)
    Check("otel_version", OTEL, "Collector version supported", WARNING, 5, "run a pinned"
          " otel/opentelemetry-collector-contrib image of a release the collection supports, " + SUPPORTED_COLLECTORS
          + " (role otel_collector, otel_collector_image).", run=otel.check_otel_version),
    Check("otel_daemonset", OTEL, "DaemonSet mode (one agent per node)", DANGER, 5,
          "deploy the collector as a DaemonSet (role otel_collector).", run=otel.check_otel_daemonset),
    Check("otel_ready", OTEL, "Ready pods = schedulable nodes", DANGER, 8, "make the DaemonSet tolerate every node's"
          " taints and fix the failing pods (kubectl -n <ns> describe ds).", run=otel.check_otel_ready),
    Check("otel_otlp_receivers", OTEL, "OTLP receivers on 0.0.0.0:{otel_otlp_grpc_port}/{otel_otlp_http_port}", DANGER, 7,
          "set receivers.otlp.protocols.grpc.endpoint 0.0.0.0:{otel_otlp_grpc_port} and http.endpoint"
          " 0.0.0.0:{otel_otlp_http_port} (they default to localhost since 0.104) and use otlp in the traces pipeline.",
          run=otel.check_otel_otlp, needs_otel_config=True),
    Check("otel_node_metrics", OTEL, "hostmetrics and kubeletstats receivers", WARNING, 10, "add hostmetrics (root_path"
          " /hostfs) and kubeletstats (auth_type serviceAccount) receivers to a metrics pipeline.",
          run=otel.check_otel_node_metrics, needs_otel_config=True),
    Check("otel_memory_limiter", OTEL, "memory_limiter first in every pipeline", DANGER, 6, "put memory_limiter"
          " (check_interval 1s, limit_mib, spike_limit_mib) first in every pipeline's processors.",
          run=otel.check_otel_memory_limiter, needs_otel_config=True),
    Check("otel_processors", OTEL, "batch and resource processors", WARNING, 8, "add a batch processor and a resource"
          " processor (e.g. cluster attribute) to every pipeline.", run=otel.check_otel_processors, needs_otel_config=True),
    Check("otel_exporters", OTEL, "Exporter endpoints resolve to existing Service ports", DANGER, 10, "point the trace"
          " exporter at {collector_service}.{jaeger_namespace}:{collector_otlp_grpc_port} (OTLP gRPC, tls insecure)"
          " (role otel_collector).", run=otel.check_otel_exporters, needs_otel_config=True),
    Check("otel_resources", OTEL, "Resource requests and limits set", WARNING, 5, "set resources.requests (cpu, memory)"
          " and resources.limits.memory on the collector container, and GOMEMLIMIT.", run=otel.check_otel_resources),
    # ------------------------------------------------------------------ Jaeger (checks_jaeger*.py, checks_tempo.py)
    Check("jaeger_running", JAEGER, "Jaeger running", DANGER, 3, "check the pods and events in the Jaeger namespace"
          " (kubectl -n {jaeger_namespace} get pods,events).", tempo=tempo.check_tempo_running,
          operator=operator.check_operator_running, needs_cr=True),
    Check("jaeger_strategy", JAEGER, "Production deployment strategy", DANGER, 6, "deploy with role jaeger_production:"
          " receivers and query as separate, replicated workloads (strategy production).",
          tempo=tempo.check_tempo_strategy, operator=operator.check_operator_strategy, needs_cr=True),
    Check("jaeger_storage", JAEGER, "Persistent trace storage", DANGER, 8, "store traces in the Ceph bucket: Tempo with"
          " the S3 backend (storage_mode tempo) and credentials from Secret {storage_secret_name}.",
          tempo=tempo.check_tempo_storage, operator=operator.check_operator_storage, needs_cr=True),
    Check("jaeger_replicas", JAEGER, "HA: >= 2 ready receiver and query replicas", DANGER, 5, "run 3 receiver replicas"
          " ({tempo_name} StatefulSet, or spec.collector.replicas: 3) and spec.query.replicas: 2.",
          run=jaeger.check_jaeger_replicas, needs_cr=True),
    Check("jaeger_spread", JAEGER, "Replicas spread over distinct nodes", WARNING, 3, jaeger.SPREAD_FIX,
          run=jaeger.check_jaeger_spread, needs_cr=True),
    Check("jaeger_retention", JAEGER, "Trace retention configured", DANGER, 5, "keep traces for retention_days: Tempo"
          " compactor.compaction.block_retention (tempo mode) or a bucket lifecycle rule (grpc-plugin mode); memory"
          " storage has none.", tempo=tempo.check_tempo_retention, operator=operator.check_operator_retention,
          needs_cr=True),
    Check("jaeger_otlp", JAEGER, "OTLP enabled on {collector_service}:{collector_otlp_grpc_port}/{collector_otlp_http_port}",
          DANGER, 3, "expose {collector_otlp_grpc_port} (grpc-otlp) and {collector_otlp_http_port} (http-otlp) on Service"
          " {collector_service}, selecting the receiver pods.", tempo=tempo.check_tempo_otlp, operator=jaeger.check_jaeger_otlp),
    Check("jaeger_sampling", JAEGER, "Sampling configured", WARNING, 5, "tempo mode: the tail-sampling tier"
          " (tracing_sampling: tail) or a probabilistic_sampler processor (sampling_percentage, hash_seed) in the"
          " collector's traces pipeline; operator mode: spec.sampling.options.", tempo=tempo.check_tempo_sampling,
          operator=operator.check_operator_sampling, needs_cr=True),
    Check("jaeger_credentials", JAEGER, "Credentials only via Secret", DANGER, 3, "move keys to Secret"
          " {storage_secret_name} (jaeger_storage_secret) and reference it (envFrom / spec.storage.secretName).",
          run=jaeger.check_jaeger_credentials),
    Check("jaeger_image_tags", JAEGER, "Images pinned (no latest)", WARNING, 3,
          "pin every image to a released version tag (or digest).", run=jaeger.check_jaeger_image_tags),
    Check("jaeger_known_broken", JAEGER, "No known-broken storage/version combination", DANGER, 3, "use storage_mode"
          " tempo (Jaeger dropped plugins in 1.58 and grpc-plugin in 1.60; jaegertracing/jaeger-s3 does not exist).",
          tempo=tempo.check_tempo_known_broken, operator=operator.check_operator_known_broken),
    Check("jaeger_query_wired", JAEGER, "Query reads the trace store", WARNING, 3, "tempo mode: {query_name} with"
          " SPAN_STORAGE_TYPE=grpc on localhost:7777 and a tempo-query sidecar reading {tempo_name}:{tempo_http_port}.",
          tempo=tempo.check_tempo_query_wired, operator=operator.check_operator_query_wired, needs_cr=True),
    Check("jaeger_pdb", JAEGER, "PodDisruptionBudgets", WARNING, 4, "add PodDisruptionBudgets: {tempo_name}"
          " minAvailable 2, {query_name} minAvailable 1.", run=jaeger.check_jaeger_pdb, needs_cr=True),
    Check("jaeger_wal_persistent", JAEGER, "Receiver WAL on persistent volumes (claims Bound)", DANGER, 3, WAL_FIX,
          tempo=tempo.check_tempo_wal_persistent, operator=operator.check_operator_wal_persistent, needs_cr=True),
    Check("jaeger_versions_supported", JAEGER, "Component versions within upstream support", WARNING, 4, "run the"
          " defaults of role jaeger_production (Tempo 2.10.8, tempo-query 2.10.8, jaeger-query 1.68.0).",
          tempo=tempo.check_tempo_versions_supported, operator=operator.check_operator_versions_supported),
    Check("jaeger_grafana_datasource", JAEGER, "Grafana Tempo data source", WARNING, 2, "run role jaeger_production"
          " with jaeger_production_grafana_datasource: true (ConfigMap {grafana_datasource_configmap} labelled for the"
          " Grafana sidecar).", run=jaeger.check_jaeger_grafana_datasource,
          enabled=lambda f: f.params.get("grafana_datasource")),  # only when the run enables the data source
    # ------------------------------------------------------------------ Storage (checks_storage.py)
    Check("storage_claim", STORAGE, "ObjectBucketClaim Bound", DANGER, 10, "create the claim with role ceph_bucket"
          " (OBC {claim_namespace}/{claim_name}, StorageClass rook-ceph-bucket).", run=storage.check_storage_claim),
    Check("storage_secret", STORAGE, "Storage Secret from the claim", DANGER, 10, "write it with jaeger_storage_secret"
          " (claim_name {claim_name}, namespace {jaeger_namespace}).", run=storage.check_storage_secret),
    Check("storage_bucket", STORAGE, "Bucket exists", DANGER, 10, "let Rook provision the bucket (claim Bound); pass"
          " s3_endpoint_url when the controller cannot reach BUCKET_HOST.", run=storage.check_storage_bucket),
    Check("storage_lifecycle", STORAGE, "Lifecycle retention", DANGER, 10, "declare the rule with role ceph_bucket (rule"
          " jaeger-traces-retention): expiration = retention_days (grpc-plugin mode) or at least retention_days (tempo"
          " mode backstop).", tempo=storage.check_storage_lifecycle_tempo, operator=storage.check_storage_lifecycle_operator),
    Check("storage_store_retention", STORAGE, "Tempo retention consistent with the bucket backstop", DANGER, 10, "keep"
          " Tempo block_retention = retention_days (168h for 7) and set the bucket lifecycle to block_retention + 1 day"
          " (8 days), docs/storage.md section 4.", tempo=storage.check_storage_store_retention),
    # ------------------------------------------------------------------ Sampling (sampling_checks.py)
    Check("sampling_tail", SAMPLING, "Tail sampling keeps every error trace and a baseline", DANGER, 8, TAIL_FIX,
          run=sampling.check_sampling_tail),
    Check("sampling_routing", SAMPLING, "Agents route traces by trace ID to the samplers", DANGER, 5, TAIL_FIX,
          run=sampling.check_sampling_routing),
    Check("sampling_no_head", SAMPLING, "No head sampler before the tail tier", DANGER, 5, "remove probabilistic_sampler"
          " from the agents' traces pipeline (otel_collector_sampling: tail): a head sampler drops 90% of the error"
          " traces before any tail decision.", run=sampling.check_sampling_no_head),
    Check("sampling_resolver", SAMPLING, "Exporter resolves the sampler pods", DANGER, 5, "deploy the sampler tier (role"
          " tail_sampler) and point otel_collector_sampler_service/_namespace/_port at its Service.",
          run=sampling.check_sampling_resolver),
    Check("sampling_rbac", SAMPLING, "Resolver RBAC in the sampler namespace", DANGER, 5, "grant the agents'"
          " ServiceAccount get/list/watch on endpoints (discovery.k8s.io endpointslices instead from otelcol-contrib 0.140)"
          " with a Role and RoleBinding in the sampler namespace (role otel_collector, otel_collector_sampling: tail).",
          run=sampling.check_sampling_rbac),
    Check("sampling_pipeline", SAMPLING, "Sampler pipeline: memory_limiter first, batch after tail_sampling, OTLP to"
          " Tempo", DANGER, 4, "use role tail_sampler's configuration (memory_limiter, tail_sampling, batch; otlp exporter"
          " to {collector_service}.{jaeger_namespace}:{collector_otlp_grpc_port}).", run=sampling.check_sampling_pipeline),
    Check("sampling_replicas", SAMPLING, "Sampler replicas ready and spread over nodes", WARNING, 4, "run 3 sampler"
          " replicas with a topologySpreadConstraint on kubernetes.io/hostname (role tail_sampler).",
          run=sampling.check_sampling_replicas),
    Check("sampling_pdb", SAMPLING, "Sampler PodDisruptionBudget", WARNING, 3, "add a PodDisruptionBudget"
          " (maxUnavailable 1) for the sampler pods (role tail_sampler).", run=sampling.check_sampling_pdb),
    Check("sampling_version", SAMPLING, "Sampler Collector version supported", WARNING, 2, "run the samplers on a"
          " release the collection supports, " + SUPPORTED_COLLECTORS + " (role tail_sampler: leave tail_sampler_image"
          " empty for the agents' image, or pin one).", run=sampling.check_sampling_version),
]


def run_checks(snapshot: dict[str, Any]) -> tuple[Facts, list[dict[str, Any]]]:
    """Run every applicable check; returns ``(facts, [check dict])``."""
    facts = Facts(snapshot)
    results = []
    for check in ALL_CHECKS:
        func = implementation(check, facts)
        if func is None:
            continue
        meta = dict(check.meta)
        meta["title"] = meta["title"].format(**facts.names)
        meta["fix"] = meta["fix"].format(**facts.names)
        try:
            outcome = func(facts)
            passed, evidence = outcome[0], outcome[1]
            # A check may return a third element: the fix for what it found, instead of its static one.
            if len(outcome) > 2 and outcome[2]:
                meta["fix"] = outcome[2]
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            passed, evidence = False, "could not evaluate (%s: %s)" % (exc.__class__.__name__, exc)
        meta.update(passed=bool(passed), evidence=evidence)
        results.append(meta)
    return facts, results
