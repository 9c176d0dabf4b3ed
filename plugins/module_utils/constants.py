# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts the collection's plugins share: one source each.

Object names, labels, annotations, API versions and the API answers worth a retry. Modules,
module_utils and the ``transient`` test plugin import them from here instead of repeating them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
