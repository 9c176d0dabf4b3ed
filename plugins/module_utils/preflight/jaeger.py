# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Step 4 of the preflight: role jaeger_production's variables and images, and the cluster objects its storage mode needs."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.images import image_repo, image_tag
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.common import (
    _DURATION_RE, STORAGE_MODES, _float, _int, _json,
)
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.storage import wal_storage_class


JAEGER_CRD = "jaegers.jaegertracing.io"
# Jaeger removed the sidecar plugin model in 1.58 and the grpc-plugin type in 1.60 (docs/storage.md 1).
GRPC_PLUGIN_MAX_VERSION = (1, 58)

FORBIDDEN_IMAGES = ("jaegertracing/jaeger-s3",)

_JAEGER_FIX = "Fix: correct the variables listed in roles/jaeger_production/meta/argument_specs.yml."


def jaeger_images(jaeger: dict[str, Any]) -> list[tuple[str, str]]:
    """The images the storage mode uses, ``[(variable, image)]`` (the plugin image apart)."""
    if jaeger.get("jaeger_production_storage_mode") == "grpc-plugin":
        keys = ("jaeger_production_collector_image", "jaeger_production_grpc_plugin_query_image")
    else:
        keys = ("jaeger_production_tempo_image", "jaeger_production_tempo_query_image", "jaeger_production_query_image")
    return [(k, str(jaeger.get(k) or "")) for k in keys]


def jaeger_values_errors(jaeger: dict[str, Any]) -> list[TracingError]:
    errors = []
    mode = jaeger.get("jaeger_production_storage_mode")
    counts = dict((k, _int(jaeger.get("jaeger_production_%s_replicas" % k))) for k in ("tempo", "query", "collector"))
    factor = _int(jaeger.get("jaeger_production_tempo_replication_factor"))
    rate = _float(jaeger.get("jaeger_production_sampling_rate"))
    timeout = _int(jaeger.get("jaeger_production_wait_timeout"))
    block = str(jaeger.get("jaeger_production_tempo_block_retention") or "")
    ok = (mode in STORAGE_MODES and all(c is not None and c >= 1 for c in counts.values())
          and factor is not None and counts["tempo"] is not None and 1 <= factor <= counts["tempo"]
          and rate is not None and 0 < rate <= 1 and timeout is not None and timeout >= 0 and _DURATION_RE.match(block))
    if not ok:
        errors.append(TracingError(
            "validate jaeger_production settings",
            "storage_mode must be tempo or grpc-plugin (got %s); every replica count must be >= 1 (tempo %s, query %s,"
            " collector %s); the replication factor (%s) must be between 1 and the Tempo replicas; the sampling rate"
            " must satisfy 0 < rate <= 1 (got %s); block_retention must be a Go duration in h/m/s (got %s)." % (
                mode, jaeger.get("jaeger_production_tempo_replicas"), jaeger.get("jaeger_production_query_replicas"),
                jaeger.get("jaeger_production_collector_replicas"), jaeger.get("jaeger_production_tempo_replication_factor"),
                jaeger.get("jaeger_production_sampling_rate"), block),
            _JAEGER_FIX[len("Fix: "):]))
    for key, image in jaeger_images(jaeger):
        tag = image_tag(image)
        if not image or (not tag and "@" not in image) or tag == "latest":
            errors.append(TracingError(
                "validate %s" % key, "'%s' has no pinned tag or is tagged 'latest'." % image,
                "pin an explicit version tag (see the defaults in roles/jaeger_production/defaults/main.yml) or a digest."))
    plugin_image = str(jaeger.get("jaeger_production_grpc_plugin_image") or "")
    for key, image in jaeger_images(jaeger) + ([("jaeger_production_grpc_plugin_image", plugin_image)] if plugin_image else []):
        if image and image_repo(image) in FORBIDDEN_IMAGES:
            errors.append(TracingError(
                "validate %s" % key,
                "'%s' does not exist. Jaeger publishes no jaegertracing/jaeger-s3 image, and the jaeger-s3 project needs"
                " AWS Athena/Glue, so it cannot run on Ceph RGW." % image,
                "use the default storage mode 'tempo' (docs/storage.md), or name a storage plugin image you built."))
    size = str(jaeger.get("jaeger_production_tempo_wal_size") or "")
    if mode == "tempo" and not re.match(r"^[0-9]+(Mi|Gi|Ti)$", size):
        errors.append(TracingError(
            "validate jaeger_production_tempo_wal_size",
            "%s is not a size in Mi, Gi or Ti." % _json(jaeger.get("jaeger_production_tempo_wal_size")),
            "e.g. jaeger_production_tempo_wal_size: 10Gi (the tempo-operator default)."))
    if mode == "grpc-plugin":
        binary = str(jaeger.get("jaeger_production_grpc_plugin_binary") or "")
        tag = image_tag(plugin_image)
        if not plugin_image or not binary or (not tag and "@" not in plugin_image) or tag == "latest":
            errors.append(TracingError(
                "validate the grpc-plugin storage",
                "jaeger_production_grpc_plugin_image ('%s') and jaeger_production_grpc_plugin_binary ('%s') must both be"
                " set, and the image needs a pinned tag other than 'latest'. No official S3 storage plugin image exists."
                % (plugin_image, binary),
                "name the plugin image you built and the path of its binary under /plugin, or use storage mode 'tempo'."))
        for key, image in jaeger_images(jaeger):
            match = re.match(r"^v?([0-9]+)\.([0-9]+)", image_tag(image))
            if not match or (int(match.group(1)), int(match.group(2))) >= GRPC_PLUGIN_MAX_VERSION:
                errors.append(TracingError(
                    "validate %s" % key,
                    "'%s' cannot run storage type grpc-plugin. Jaeger removed the sidecar plugin model in 1.58 and the"
                    " grpc-plugin type in 1.60 (it crash-loops)." % image,
                    "use a Jaeger image with a version tag below %d.%d (for example 1.57.0), or the default storage mode"
                    " 'tempo' (docs/storage.md)." % GRPC_PLUGIN_MAX_VERSION))
    return errors


def jaeger_cluster_errors(jaeger: dict[str, Any], cluster: dict[str, Any]) -> list[TracingError]:
    if jaeger.get("jaeger_production_storage_mode") == "tempo":
        return wal_storage_class(jaeger, cluster)[0]
    if jaeger.get("jaeger_production_storage_mode") != "grpc-plugin":
        return []
    crd, operator = cluster.get("jaeger_crd"), cluster.get("jaeger_operator")
    if crd and operator:
        return []
    return [TracingError(
        "find the Jaeger operator",
        "CRD %s %s, Deployment %s/%s %s. Storage mode grpc-plugin needs the Jaeger operator (and cert-manager >= 1.6.1)." % (
            JAEGER_CRD, "exists" if crd else "is missing", jaeger.get("jaeger_production_operator_namespace"),
            jaeger.get("jaeger_production_operator_name"), "exists" if operator else "is missing"),
        "install the Jaeger operator, set jaeger_production_operator_namespace/_name, or use storage mode 'tempo'.")]
