# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jaeger checks in operator mode (``grpc-plugin``, component ``jaeger``): the Jaeger CR and what the
operator made of it. registry.py runs them in this mode only, and answers "no Jaeger" itself for the
checks that need a CR when there is none; checks_tempo.py holds the same checks for Tempo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import checks_jaeger as common
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse as p
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import versions as v
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import flatten, service_evidence

if TYPE_CHECKING:  # annotations only
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import Facts, Outcome

PERSISTENT_OPERATOR_STORAGE = ("elasticsearch", "opensearch", "cassandra", "grpc-plugin", "grpc", "kafka")


def check_operator_running(f: Facts) -> Outcome:
    phase = ((f.cr.get("status") or {}).get("phase")) or "(none)"
    return phase == "Running", "Jaeger %s/%s phase %s" % (f.jaeger_ns, p.name_of(f.cr), phase)


def check_operator_strategy(f: Facts) -> Outcome:
    declared = f.cr_spec().get("strategy") or "allInOne (default)"
    effective = f.strategy()
    if effective == "allInOne" and str(declared).lower() in ("production", "streaming"):
        return False, "strategy %s forced to allInOne by storage %s" % (declared, f.storage_type())
    return effective != "allInOne", "strategy %s" % (declared if effective != "allInOne" else "allInOne")


def check_operator_storage(f: Facts) -> Outcome:
    stype = f.storage_type()
    return stype in PERSISTENT_OPERATOR_STORAGE, "storage %s" % stype


def check_operator_retention(f: Facts) -> Outcome:
    want = f.retention_days
    stype = f.storage_type()
    if stype in ("memory", "badger"):
        return False, "storage %s: no retention (traces live until restart or eviction)" % stype
    if stype == "grpc-plugin":
        days = f.lifecycle_days()
        ok = any(d == want for _i, d in days)
        return ok, "bucket lifecycle %s" % (", ".join("%s %dd" % x for x in days) or "absent")
    if stype in ("elasticsearch", "opensearch"):
        cleaner = (f.cr_spec().get("storage") or {}).get("esIndexCleaner") or {}
        ok = bool(cleaner.get("enabled")) and int(cleaner.get("numberOfDays") or 0) == want
        return ok, "esIndexCleaner enabled=%s numberOfDays=%s" % (cleaner.get("enabled"), cleaner.get("numberOfDays"))
    ttl = [k for k in flatten((f.cr_spec().get("storage") or {}).get("options") or {}) if "ttl" in k.lower()]
    return bool(ttl), "storage %s, ttl options %s" % (stype, ", ".join(ttl) or "none")


def check_operator_sampling(f: Facts) -> Outcome:
    options = (f.cr_spec().get("sampling") or {}).get("options") or {}
    if not options:
        return False, "spec.sampling empty (operator default: 100% probabilistic)"
    default = options.get("default_strategy") or {}
    return True, "default_strategy %s %s" % (default.get("type", "?"), default.get("param", ""))


def check_operator_known_broken(f: Facts) -> Outcome:
    broken = common.broken_combinations(f)
    if broken:
        return False, "; ".join(broken)
    return True, "storage %s with Jaeger %s" % (f.storage_type() if f.cr else "-", v.version_text(common.jaeger_version(f)[0]))


def check_operator_wal_persistent(f: Facts) -> Outcome:
    stype = f.storage_type()
    if stype in PERSISTENT_OPERATOR_STORAGE:
        return True, "storage %s: the collectors write to the store, no local WAL" % stype
    return False, "storage %s keeps recent traces in the pod (no WAL volume): a restart loses them" % stype


def check_operator_versions_supported(f: Facts) -> Outcome:
    when = common.today(f)
    version, source = common.jaeger_version(f)
    return False, "Jaeger %s (%s) is Jaeger v1, past end of life 2025-12-31 (checked %s); only the tempo mode's" \
                  " jaeger-query 1.68.0 + tempo-query pairing is in the support table" % (v.version_text(version), source, when)


def check_operator_query_wired(f: Facts) -> Outcome:
    svc = f.jaeger_service(f.query_service_name)
    ok = svc is not None and f.names["query_port"] in p.service_ports(svc) and f.query is not None
    return ok, "%s serves the CR's storage; %s" % (f.query_label, service_evidence(svc, f.query_service_name))
