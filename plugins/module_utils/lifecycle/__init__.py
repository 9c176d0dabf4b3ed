# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 bucket lifecycle rules: pure rules (``validate``, ``canonical``, ``rules``) and the module's I/O (``bucket``).

Two shapes are used:

* the *module* shape, the user's input: ``id``, ``status``, ``prefix``,
  ``expiration_days``, ``abort_incomplete_multipart_upload_days``,
  ``noncurrent_version_expiration_days``;
* the *AWS* shape, what S3 takes and returns (``ID``, ``Status``, ``Filter``, ...).

``validate`` refuses what Ceph RGW 16.2 refuses; ``canonical`` is the one normal form of a rule and
names what of a foreign rule cannot be written back; ``rules`` converts between the shapes and
plans (merge / remove / compare by rule ID); ``bucket`` holds ``run``, the only part that reads or
writes (the claim through ``K8sClient``, the lifecycle through ``S3Client``).  Every public name
stays importable from here.
"""

from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle.bucket import run
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle.canonical import (
    canonical, canonical_rules, check_round_trip, render_filter, round_trip_problems,
)
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle.rules import (
    compare, document, from_aws, managed, merge, plan, remove, rule_to_aws, to_aws, to_json,
)
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle.validate import (
    DAY_FIELDS, MAX_ID_LENGTH, MAX_RULES, RULE_KEYS, STATUSES, bucket_name_problem, validate_bucket, validate_rules,
)

__all__ = [
    "DAY_FIELDS", "MAX_ID_LENGTH", "MAX_RULES", "RULE_KEYS", "STATUSES", "bucket_name_problem", "canonical",
    "canonical_rules", "check_round_trip", "compare", "document", "from_aws", "managed", "merge", "plan", "remove",
    "render_filter", "round_trip_problems", "rule_to_aws", "run", "to_aws", "to_json", "validate_bucket", "validate_rules",
]
