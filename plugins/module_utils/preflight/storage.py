# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Step 4 of the preflight, storage mode tempo: the StorageClass of Tempo's WAL and the StatefulSet's claim template."""

from __future__ import annotations

from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError


# Where Tempo's WAL goes when jaeger_production_tempo_wal_storage_class is empty, in this order:
# the rook-ceph-cluster Helm chart's block class (rook deploy/charts/rook-ceph-cluster/values.yaml
# cephBlockPools[0].storageClass.name), the plain Rook examples' one (rook deploy/examples/csi/rbd/
# storageclass.yaml), then the cluster default (annotation of
# kubernetes.io/docs/concepts/storage/storage-classes, "Default StorageClass").
WAL_STORAGE_CLASSES = ("ceph-block", "rook-ceph-block")
DEFAULT_CLASS_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")
WAL_CLASS_VAR = "jaeger_production_tempo_wal_storage_class"


def is_default_class(sc: dict[str, Any]) -> bool:
    annotations = (sc.get("metadata") or {}).get("annotations") or {}
    return any(str(annotations.get(a, "")).lower() == "true" for a in DEFAULT_CLASS_ANNOTATIONS)


def wal_storage_class(jaeger: dict[str, Any], cluster: dict[str, Any]) -> tuple[list[TracingError], str | None]:
    """``(errors, name)``: the StorageClass of Tempo's WAL claims (see WAL_STORAGE_CLASSES)."""
    classes = dict(((sc.get("metadata") or {}).get("name"), sc) for sc in cluster.get("storage_classes") or [])
    wanted = str(jaeger.get(WAL_CLASS_VAR) or "")
    fix = ("set %s to a block StorageClass of the cluster (kubectl get storageclass), or create Rook's block pool"
           " and StorageClass ceph-block (rook-ceph-cluster Helm chart, cephBlockPools)." % WAL_CLASS_VAR)
    if wanted:
        if wanted in classes:
            return [], wanted
        return [TracingError(
            "choose the StorageClass of Tempo's WAL", "%s is '%s', which does not exist (found: %s)." % (
                WAL_CLASS_VAR, wanted, ", ".join(sorted(n for n in classes if n)) or "none"), fix)], None
    for name in WAL_STORAGE_CLASSES:
        if name in classes:
            return [], name
    defaults = sorted(n for n, sc in classes.items() if n and is_default_class(sc))
    if len(defaults) >= 1:
        # More than one default: the API server's admission picks the newest; name the first, explicitly.
        return [], defaults[0]
    return [TracingError(
        "choose the StorageClass of Tempo's WAL",
        "no StorageClass %s exists and none is the cluster default (annotation %s), so Tempo's WAL claims would stay"
        " Pending and no Tempo pod would start (found: %s)." % (
            " or ".join(WAL_STORAGE_CLASSES), DEFAULT_CLASS_ANNOTATIONS[0],
            ", ".join(sorted(n for n in classes if n)) or "none"), fix)], None


WAL_CLAIM_TEMPLATE = "data"
WAL_ACCESS_MODES = ["ReadWriteOnce"]


def wal_claim_template(storage_class: str, size: str) -> dict[str, Any]:
    """Tempo's WAL claim template (the one description of it): the role renders
    ``volumeClaimTemplates`` from this (labels added there) and the preflight compares the live
    StatefulSet with it."""
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": WAL_CLAIM_TEMPLATE},
            "spec": {"accessModes": list(WAL_ACCESS_MODES), "storageClassName": storage_class,
                     "resources": {"requests": {"storage": size}}}}


def _claim_templates(templates):
    """The parts of volumeClaimTemplates this role sets: ``[(name, class, size, access modes)]``."""
    out = []
    for tpl in templates or []:
        spec = tpl.get("spec") or {}
        out.append((str((tpl.get("metadata") or {}).get("name") or ""), str(spec.get("storageClassName") or ""),
                    str(((spec.get("resources") or {}).get("requests") or {}).get("storage") or ""),
                    list(spec.get("accessModes") or [])))
    return out


def statefulset_replacement(jaeger: dict[str, Any], cluster: dict[str, Any], storage_class: str | None) -> str | None:
    """Why the live StatefulSet ``tempo`` must be deleted (Orphan) and recreated, or ``None``.

    An API server refuses any change of ``spec.volumeClaimTemplates`` in place
    (pkg/apis/apps/validation ValidateStatefulSetUpdate), so a StatefulSet whose templates differ
    from the wanted WAL claim is replaced; its pods keep running meanwhile and are adopted.
    """
    live = cluster.get("tempo_statefulset")
    if not live or not storage_class:
        return None
    want = _claim_templates([wal_claim_template(storage_class, str(jaeger.get("jaeger_production_tempo_wal_size") or ""))])
    have = _claim_templates((live.get("spec") or {}).get("volumeClaimTemplates"))
    if have == want:
        return None

    def show(items):
        return ", ".join("%s %s on %s" % (n, size or "?", cls or "the default class") for n, cls, size, _m in items) or "none"

    meta = live.get("metadata") or {}
    return ("StatefulSet %s/%s has volumeClaimTemplates %s, wanted: %s" % (
        meta.get("namespace"), meta.get("name"), show(have), show(want)))
