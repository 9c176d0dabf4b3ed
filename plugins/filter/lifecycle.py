# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: lifecycle_json
short_description: Render lifecycle rules as the AWS JSON document Rook's bucketLifecycle takes
version_added: 0.1.0
description:
  - "Takes lifecycle rules in the shape of the P(talos_homelab.tracing.ceph_bucket_lifecycle#module) module's
    O(talos_homelab.tracing.ceph_bucket_lifecycle#module:rules) option and returns the JSON string
    C({\"Rules\": [...]}) with the rules sorted by ID, for an ObjectBucketClaim's C(additionalConfig.bucketLifecycle) (Rook >= 1.17)."
  - The rules are validated as Ceph RGW refuses them (IDs required, at most 255 characters and unique, days >= 1,
    status V(Enabled)/V(Disabled), at least one action); each rule is rendered by the same function
    as the document the P(talos_homelab.tracing.ceph_bucket_lifecycle#module) module puts through S3.
options:
  _input:
    description: List of rules, each a dict with C(id) and at least one of C(expiration_days),
      C(abort_incomplete_multipart_upload_days), C(noncurrent_version_expiration_days); optional C(prefix), C(status).
    type: list
    elements: dict
    required: true
author:
  - talos_homelab.tracing contributors (@talos-homelab)
"""

EXAMPLES = r"""
- name: Claim a bucket with a 7 day retention declared through Rook
  kubernetes.core.k8s:
    definition:
      apiVersion: objectbucket.io/v1alpha1
      kind: ObjectBucketClaim
      metadata:
        name: jaeger-traces
        namespace: jaeger
      spec:
        bucketName: jaeger-traces
        storageClassName: rook-ceph-bucket
        additionalConfig:
          bucketLifecycle: "{{ [{'id': 'jaeger-traces-retention', 'expiration_days': 7}] | talos_homelab.tracing.lifecycle_json }}"
"""

RETURN = r"""
_value:
  description: The AWS lifecycle document as compact JSON with sorted keys.
  type: str
  sample: '{"Rules":[{"Expiration":{"Days":7},"Filter":{"Prefix":""},"ID":"jaeger-traces-retention","Status":"Enabled"}]}'
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle import to_json, validate_rules


def lifecycle_json(rules):
    """Rules in module shape -> ``{"Rules": [...]}`` JSON sorted by ID."""
    try:
        return to_json(validate_rules(list(rules or []), state="present"))
    except TracingError as err:
        raise AnsibleFilterError(err.message)
    except TypeError as err:
        raise AnsibleFilterError("lifecycle_json expects a list of rule dicts: %s" % err)


class FilterModule(object):
    def filters(self):
        return {"lifecycle_json": lifecycle_json}
