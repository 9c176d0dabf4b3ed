# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One preflight for the site playbook and the roles (pure, except ``read_cluster``).

``validate(site, ceph, jaeger, cluster)`` returns ``(errors, effective)``:

* ``errors``: one ``TracingError`` per problem ("Failed to <action>: <problem> Fix: <fix>"), in
  the order of the steps that would hit them;
* ``effective``: the values derived for the run (retention of the stack, of the bucket, Tempo's
  block_retention; the Rook version and where the lifecycle rule goes; the allowed OBC fields).

``site``, ``ceph`` and ``jaeger`` are the effective variables of the site playbook
(``retention_days``, ``bucket_retention_days``, ``storage_mode``, ``fail_under``: what the user
set, ``None`` when unset), of role ceph_bucket (``ceph_bucket_*``) and of role jaeger_production
(``jaeger_production_*``); a ``None`` section is not checked. ``cluster`` holds what
``read_cluster`` read (all reads, no write).

One file per step: ``retention`` (the site's values), ``otel`` (step 1's reads), ``bucket`` (step 2,
role ceph_bucket and Rook), ``jaeger`` and ``storage`` (step 4, role jaeger_production and Tempo's
WAL), ``access`` (the reads of the cluster), ``common`` (parsing shared by the steps). This file puts
them together (``validate``, ``run``) and keeps every public name importable from here.
"""

from __future__ import annotations

from typing import Any, Callable

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling
from ansible_collections.talos_homelab.tracing.plugins.module_utils import support
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle import bucket_name_problem
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.access import read_cluster, unreachable
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.bucket import (
    ROOK_ALLOWED_FIELDS_KEY, ROOK_DEFAULT_ALLOWED_FIELDS, ROOK_LIFECYCLE_VERSION, ceph_values_errors, rook_facts, storage_class_errors,
)
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.common import (
    STORAGE_MODES, version_tuple,
)
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.jaeger import (
    FORBIDDEN_IMAGES, GRPC_PLUGIN_MAX_VERSION, JAEGER_CRD, jaeger_cluster_errors, jaeger_images, jaeger_values_errors,
)
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.otel import collector_image_errors, read_otel, samplers_serving
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.retention import effective_retention
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.storage import (
    DEFAULT_CLASS_ANNOTATIONS, WAL_ACCESS_MODES, WAL_CLAIM_TEMPLATE, WAL_CLASS_VAR, WAL_STORAGE_CLASSES, is_default_class,
    statefulset_replacement, wal_claim_template, wal_storage_class,
)

__all__ = [
    "DEFAULT_CLASS_ANNOTATIONS", "FORBIDDEN_IMAGES", "GRPC_PLUGIN_MAX_VERSION", "JAEGER_CRD",
    "ROOK_ALLOWED_FIELDS_KEY", "ROOK_DEFAULT_ALLOWED_FIELDS", "ROOK_LIFECYCLE_VERSION", "STORAGE_MODES", "TracingError",
    "WAL_ACCESS_MODES", "WAL_CLAIM_TEMPLATE", "WAL_CLASS_VAR", "WAL_STORAGE_CLASSES", "bucket_name_problem",
    "ceph_values_errors", "cluster_facts", "collector_image_errors", "effective_retention", "is_default_class",
    "jaeger_cluster_errors", "jaeger_images", "jaeger_values_errors", "message", "read_cluster", "read_otel", "rook_facts",
    "run", "statefulset_replacement", "storage_class_errors", "unreachable", "validate", "version_tuple", "wal_claim_template", "wal_storage_class",
]


def validate(site: dict[str, Any] | None = None, ceph: dict[str, Any] | None = None, jaeger: dict[str, Any] | None = None,
             cluster: dict[str, Any] | None = None, today: str | None = None,
             tail_sampler: dict[str, Any] | None = None,
             otel: dict[str, Any] | None = None) -> tuple[list[TracingError], dict[str, Any]]:
    """Every problem of the given sections; see the module docstring (tail_sampler: module_utils/sampling.py;
    otel, role otel_collector's: its image's version must have a configuration profile, as tail_sampler's).

    ``today`` (ISO date, default the current date) is the day the support table is read for;
    ``effective`` gains ``warnings``, ``support`` (the table's verdict per image) and, in storage
    mode tempo, ``wal_storage_class``.
    """
    if today is None:
        import datetime

        today = datetime.date.today().isoformat()
    cluster = cluster or {}
    errors, effective = [], {}
    if otel is not None:
        errors += collector_image_errors(otel)
    if site is not None:
        site_errors, effective = effective_retention(site)
        errors += site_errors
        if ceph is not None and effective:
            ceph = dict(ceph, ceph_bucket_retention_days=effective["bucket_retention_days"])
        if jaeger is not None and effective:
            jaeger = dict(jaeger, jaeger_production_storage_mode=effective["storage_mode"],
                          jaeger_production_tempo_block_retention=effective["tempo_block_retention"])
    if ceph is not None:
        errors += ceph_values_errors(ceph)
        errors += storage_class_errors(ceph, cluster)
        rook_errors, facts = rook_facts(ceph, cluster)
        errors += rook_errors
        effective.update(facts)
    if jaeger is not None:
        errors += jaeger_values_errors(jaeger)
        errors += jaeger_cluster_errors(jaeger, cluster)
        effective.setdefault("warnings", [])
        if jaeger.get("jaeger_production_storage_mode") == "tempo":
            support_errors, warnings, rows = support.assess(jaeger, today)
            errors += support_errors
            effective["warnings"] += warnings
            effective["support"] = rows
            effective["wal_storage_class"] = wal_storage_class(jaeger, cluster)[1]
            effective["tempo_statefulset_replace"] = statefulset_replacement(jaeger, cluster, effective["wal_storage_class"])
            effective["wal_claim_template"] = wal_claim_template(
                effective["wal_storage_class"] or "", str(jaeger.get("jaeger_production_tempo_wal_size") or ""))
    if tail_sampler is not None:
        errors += sampling.values_errors(tail_sampler)
        errors += collector_image_errors({"tail_sampler_image": tail_sampler.get("tail_sampler_image")})
        if "tail_sampler_namespace" in cluster:
            effective["tail_sampler_namespace_missing"] = cluster["tail_sampler_namespace"] is None
    effective.update(cluster_facts(cluster))
    return errors, effective


def cluster_facts(cluster: dict[str, Any]) -> dict[str, Any]:
    """What the roles would otherwise read again themselves (see ``read_cluster``), for the roles' tasks."""
    out = {}
    if "otel_namespace" in cluster:
        daemonset = cluster.get("otel_daemonset")
        out["otel_namespace_exists"] = cluster["otel_namespace"] is not None
        out["otel_daemonset_selector"] = ((daemonset or {}).get("spec") or {}).get("selector") if daemonset else None
    if "otel_sampler_namespace" in cluster:
        out["otel_sampler_namespace_missing"] = cluster["otel_sampler_namespace"] is None
    if "otel_sampler_deployment" in cluster:
        out["otel_samplers_serving"] = samplers_serving(cluster["otel_sampler_deployment"])
    if "ceph_namespace" in cluster:
        out["ceph_namespace_exists"] = cluster["ceph_namespace"] is not None
    if "jaeger_namespace" in cluster:
        out["jaeger_namespace_exists"] = cluster["jaeger_namespace"] is not None
        cr = cluster.get("jaeger_cr")
        # As kubernetes.core.k8s_info returns it: the spec is all the roles look at.
        out["jaeger_cr"] = [{"metadata": cr.get("metadata") or {}, "spec": cr.get("spec") or {}}] if cr else []
    return out


def message(errors: list[TracingError], nothing_written: bool | None) -> str:
    """One failure message for all problems. "Nothing was written" only when the caller knows it."""
    tail = (" Nothing was written." if nothing_written else
            " This preflight wrote nothing; earlier steps of the run may have.")
    if len(errors) == 1:
        return errors[0].message + tail
    return "Failed to validate the inputs of the run (%d problems): %s%s" % (
        len(errors), " ".join("%d) %s" % (i + 1, e.message) for i, e in enumerate(errors)), tail)


def run(params: dict[str, Any], client_factory: Callable[[dict[str, Any]], Any]) -> tuple[dict[str, Any], str | None]:
    """The module: read, validate, report. Returns ``(result, failure message or None)``."""
    site, ceph, jaeger = params.get("site"), params.get("ceph_bucket"), params.get("jaeger_production")
    tail = params.get("tail_sampler")
    otel = params.get("otel_collector")
    if site is not None and jaeger is not None:
        # The site passes its storage mode to step 4: check what step 4 will get.
        jaeger = dict(jaeger, jaeger_production_storage_mode=site.get("storage_mode") or "tempo")
    client = client_factory(params)
    try:
        cluster = read_cluster(client, ceph=ceph, jaeger=jaeger, tail_sampler=tail, otel=otel)
    except TracingError as err:
        raise unreachable(err, params) if getattr(err, "status", None) is None else err
    errors, effective = validate(site=site, ceph=ceph, jaeger=jaeger, cluster=cluster, tail_sampler=tail, otel=otel)
    result = dict(changed=False, effective=effective, errors=[e.message for e in errors],
                  api_requests=getattr(client, "requests", None))
    return result, (message(errors, params.get("nothing_written")) if errors else None)
