# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Jaeger/Tempo storage Secret built from an ObjectBucketClaim.

``data`` is the pure part (the Secret's data, checksum, redacted diff, whether a write is needed);
``write`` the module's I/O (``wait_bound``, ``run``).  Every public name stays importable from here.
Secret values never appear in results, messages or exceptions.
"""

from ansible_collections.talos_homelab.tracing.plugins.module_utils.storage_secret.data import (
    ANNOTATION_CHECKSUM, BACKENDS, DEFAULT_REGION, KEYS, LABEL_SOURCE, MANAGED_LABELS, OBC_API_VERSION, OBC_PLURAL, SECRET_KEYS,
    build_data, checksum, decode_data, desired_secret, encode_data, key_changes, redacted_diff, scrub, secret_differs,
)
from ansible_collections.talos_homelab.tracing.plugins.module_utils.storage_secret.write import POLL_INTERVAL, run, wait_bound

__all__ = [
    "ANNOTATION_CHECKSUM", "BACKENDS", "DEFAULT_REGION", "KEYS", "LABEL_SOURCE", "MANAGED_LABELS", "OBC_API_VERSION",
    "OBC_PLURAL", "POLL_INTERVAL", "SECRET_KEYS", "build_data", "checksum", "decode_data", "desired_secret", "encode_data",
    "key_changes", "redacted_diff", "run", "scrub", "secret_differs", "wait_bound",
]
