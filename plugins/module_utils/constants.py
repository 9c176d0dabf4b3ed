# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts the collection's plugins share: one source each.

Object names, labels, annotations, API versions and the API answers worth a retry. Modules,
module_utils and the ``transient`` test plugin import them from here instead of repeating them.
"""

# --- Labels and annotations the collection puts on what it manages ------------------------
# app.kubernetes.io/* are Kubernetes' recommended labels
# (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_PART_OF = "app.kubernetes.io/part-of"
MANAGED_BY = "talos_homelab.tracing"
PART_OF = "tracing"
MANAGED_LABELS = {LABEL_MANAGED_BY: MANAGED_BY, LABEL_PART_OF: PART_OF}
# The collection's own keys.
LABEL_SOURCE_CLAIM = "tracing.talos-homelab.io/source-claim"
ANNOTATION_CHECKSUM = "tracing.talos-homelab.io/checksum"
# Rolls Tempo and Jaeger Query when tempo.yaml changes (roles/jaeger_production).
ANNOTATION_CONFIG_CHECKSUM = "tracing.talos-homelab.io/config-checksum"

# --- Object names (defaults of the roles and modules) -------------------------------------
STORAGE_SECRET_NAME = "jaeger-storage"

# --- API versions and plurals --------------------------------------------------------------
# lib-bucket-provisioner pkg/apis/objectbucket.io/v1alpha1 (the only served version).
OBC_API_VERSION = "objectbucket.io/v1alpha1"
OBC_PLURAL = "objectbucketclaims"
OBC_KIND = "ObjectBucketClaim"
CORE_API_VERSION = "v1"

# --- Rook bucket credentials ------------------------------------------------------------------
# rook pkg/operator/ceph/object/bucket/util.go: keys of the claim's Secret; BUCKET_REGION default.
CLAIM_SECRET_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
DEFAULT_REGION = "us-east-1"

# --- Transient API answers ------------------------------------------------------------------
# Answers a bounded retry of a read or of an idempotent write may clear: 409 Conflict (optimistic
# concurrency, k8s.io/apiserver etcd3 store GuaranteedUpdate), 429 Too Many Requests (API Priority
# and Fairness, with Retry-After), 500/502/503/504 (server or proxy errors). Every other answer
# (400, 401, 403, 404, 422, ...) is a problem a retry cannot fix.
TRANSIENT_STATUSES = (409, 429, 500, 502, 503, 504)
# The same codes in failure messages: kubernetes.core quotes the Status body ("code": 503) and the
# collection's TracingError says "answered 503".
TRANSIENT_MESSAGE_PATTERN = r'("code": ?|answered )(%s)\b' % "|".join(str(s) for s in TRANSIENT_STATUSES)

# --- Names and ports of the deployed stack (defaults of the roles, read by tracing_readiness) ---
# roles/otel_collector/defaults/main.yml
OTEL_NAMESPACE = "opentelemetry"
OTEL_NAME = "otel-collector"
OTLP_GRPC_PORT = 4317  # OTLP's registered ports (opentelemetry-proto: 4317 gRPC, 4318 HTTP)
OTLP_HTTP_PORT = 4318
# roles/jaeger_production: defaults/main.yml (namespace, CR name, Secret) and vars/main.yml (the tempo-mode
# objects, whose names docs/architecture.md fixes: the contract Service jaeger-collector.jaeger:4317).
JAEGER_NAMESPACE = "jaeger"
JAEGER_NAME = "jaeger"
TEMPO_NAME = "tempo"
TEMPO_HTTP_PORT = 3200
JAEGER_QUERY_NAME = "jaeger-query"
JAEGER_QUERY_PORT = 16686  # Jaeger Query's UI/HTTP API port
JAEGER_COLLECTOR_SERVICE = "jaeger-collector"
GRAFANA_NAMESPACE = "monitoring"
GRAFANA_DATASOURCE_CONFIGMAP = "tracing-tempo-datasource"
# roles/ceph_bucket/defaults/main.yml
CLAIM_NAME = "jaeger-traces"
RETENTION_DAYS = 7
# roles/tail_sampler/defaults/main.yml
SAMPLER_NAME = "otel-sampler"
SAMPLER_NAMESPACE = "jaeger"
SAMPLER_PORT = 4317

# --- What the roles read (lookup talos_homelab.tracing.facts, plugins/lookup/facts.py) ---------
# Kept small and explicit: each entry is a fact a role would otherwise copy. tests/unit/test_role_facts.py
# fails on a literal copy of one of these values in roles/ or playbooks/.
# The Collector release the agents and the samplers run by default (otel_config/profiles.py has its
# profile; tools/go/otelcol builds the same release; tag confirmed published: README "Dependencies").
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib:0.159.0"

ROLE_FACTS = {
    "collector_image": COLLECTOR_IMAGE,
    "managed_labels": MANAGED_LABELS,
    "checksum_annotation": ANNOTATION_CHECKSUM,
    "config_checksum_annotation": ANNOTATION_CONFIG_CHECKSUM,
    "source_claim_label": LABEL_SOURCE_CLAIM,
    "obc_api_version": OBC_API_VERSION,
    "obc_kind": OBC_KIND,
    "storage_secret_name": STORAGE_SECRET_NAME,
}
