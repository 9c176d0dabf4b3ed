#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ceph_bucket_lifecycle
short_description: Manage lifecycle rules of a bucket on Ceph RGW (or any S3 endpoint)
version_added: 0.1.0
description:
  - Adds, updates, removes or reads lifecycle rules of one bucket, matched by rule ID.
  - Rules with other IDs are kept unless O(purge_rules=true), so the buckets of neighbours sharing
    the RGW (Loki, Velero) never lose their retention to this module.
  - "S3 has one lifecycle document per bucket, so rules with other IDs are written back with ours. They are
    written with the same meaning (same scope, same actions) in the one form Ceph RGW 16.2 reads back
    identically, whatever spelling RGW returned (RGW 16.2 returns an C(And) of a prefix and tags as
    C(Filter: {Prefix, And: {Tags}}), which it would read back as tags only)."
  - "A rule with another ID that cannot be written back with the same meaning (object size filters or
    C(NewerNoncurrentVersions), which RGW 16.2 drops; an ambiguous filter; parts this module does not know;
    actions RGW 16.2 refuses) makes the task fail before any write, naming the rule ID and the fix.
    Nothing is refused when no write is needed, with O(state=query), or with O(purge_rules=true)."
  - Rules are validated before any request exactly as Ceph RGW 16.2 refuses them (days >= 1,
    IDs required, at most 255 characters and unique, status V(Enabled)/V(Disabled), at least one action,
    valid bucket name), so moto and RGW give the same answer.
  - Idempotent against RGW's round-trip differences (rules come back sorted by ID, an empty filter comes
    back as a top-level empty C(Prefix)).
  - Credentials are given directly, or read from an ObjectBucketClaim's Secret and ConfigMap
    (O(claim_name), O(claim_namespace)); O(endpoint_url) then overrides the claim's in-cluster C(BUCKET_HOST).
  - With Rook >= 1.17, Rook re-applies the claim's C(additionalConfig.bucketLifecycle) and deletes a lifecycle
    set through S3 on an ObjectBucketClaim bucket; declare the rules in the claim there (filter
    P(talos_homelab.tracing.lifecycle_json#filter)) and use this module for other buckets or older Rook.
author:
  - talos_homelab.tracing contributors (@talos-homelab)
options:
  bucket:
    description:
      - Name of the bucket. Defaults to the claim's C(BUCKET_NAME) when O(claim_name) is given.
    type: str
  rules:
    description:
      - The rules to put (O(state=present)) or whose IDs to remove (O(state=absent)).
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description:
          - Rule ID, at most 255 characters, unique. Always sent, so that runs are idempotent.
        type: str
        required: true
      expiration_days:
        description:
          - Delete current objects this many days after creation (>= 1).
        type: int
      abort_incomplete_multipart_upload_days:
        description:
          - Abort multipart uploads not completed this many days after initiation (>= 1).
        type: int
      noncurrent_version_expiration_days:
        description:
          - Delete noncurrent object versions this many days after they became noncurrent (>= 1).
        type: int
      prefix:
        description:
          - Key prefix the rule applies to; V("") means the whole bucket.
        type: str
        default: ""
      status:
        description:
          - Whether the rule is active.
        type: str
        choices: [Enabled, Disabled]
        default: Enabled
  purge_rules:
    description:
      - Remove rules whose IDs are not in O(rules) (O(state=present) only).
    type: bool
    default: false
  state:
    description:
      - V(present) puts the rules, V(absent) removes the rules with the given IDs only, V(query) reads.
    type: str
    choices: [present, absent, query]
    default: present
  claim_name:
    description:
      - Name of the ObjectBucketClaim whose Secret and ConfigMap hold the endpoint and credentials.
      - Uses the Kubernetes connection options.
    type: str
  claim_namespace:
    description:
      - Namespace of O(claim_name).
    type: str
    default: default
  known_claim:
    description:
      - The ObjectBucketClaim O(claim_name) as an earlier task of this run returned it (for example among the
        RV(talos_homelab.tracing.k8s_apply#module:objects) of the apply that wrote it), so that it is not read again.
      - Used only when it is that claim, has a uid and is C(Bound). The claim's Secret and ConfigMap are read all
        the same; when they are not owned by that claim (it was deleted and created again), the claim is read again.
      - Only its C(metadata) and C(status.phase) are used.
    type: dict
extends_documentation_fragment:
  - talos_homelab.tracing.s3
  - talos_homelab.tracing.k8s_auth
attributes:
  check_mode:
    support: full
    description: Reads only; no S3 write is sent in check mode.
  diff_mode:
    support: full
    description: Returns the rules before and after.
notes:
  - S3 requests use path-style addressing, a 5 second connect timeout and at most 2 attempts.
  - When O(state=present) leaves no rule at all, the bucket's lifecycle configuration is deleted
    (S3 refuses an empty rule list).
"""

EXAMPLES = r"""
- name: Keep traces for 7 days in the jaeger-traces bucket
  talos_homelab.tracing.ceph_bucket_lifecycle:
    bucket: jaeger-traces
    endpoint_url: http://rgw.homelab.lan
    access_key: "{{ rgw_access_key }}"
    secret_key: "{{ rgw_secret_key }}"
    rules:
      - id: jaeger-traces-retention
        expiration_days: 7
        abort_incomplete_multipart_upload_days: 1

- name: Same, with the credentials of the ObjectBucketClaim
  talos_homelab.tracing.ceph_bucket_lifecycle:
    claim_name: jaeger-traces
    claim_namespace: jaeger
    endpoint_url: http://localhost:8080  # kubectl -n rook-ceph port-forward svc/rook-ceph-rgw-ceph-objectstore 8080:80
    rules:
      - id: jaeger-traces-retention
        expiration_days: 7

- name: Remove only our rule
  talos_homelab.tracing.ceph_bucket_lifecycle:
    bucket: jaeger-traces
    endpoint_url: http://rgw.homelab.lan
    access_key: "{{ rgw_access_key }}"
    secret_key: "{{ rgw_secret_key }}"
    state: absent
    rules:
      - id: jaeger-traces-retention

- name: Read the rules
  talos_homelab.tracing.ceph_bucket_lifecycle:
    bucket: loki-chunks
    endpoint_url: http://rgw.homelab.lan
    access_key: "{{ rgw_access_key }}"
    secret_key: "{{ rgw_secret_key }}"
    state: query
  register: loki_lifecycle
"""

RETURN = r"""
bucket:
  description: The bucket.
  returned: always
  type: str
  sample: jaeger-traces
rules:
  description:
    - All rules of the bucket after the task (what they would be in check mode), sorted by ID.
    - Parts the module does not model (tag filters, dates, transitions) are under C(extra) in AWS shape.
  returned: always
  type: list
  elements: dict
  sample:
    - id: jaeger-traces-retention
      status: Enabled
      prefix: ""
      expiration_days: 7
      abort_incomplete_multipart_upload_days: null
      noncurrent_version_expiration_days: null
managed_rules:
  description: The rules of O(rules) as they are after the task (empty for O(state=absent) and O(state=query)).
  returned: always
  type: list
  elements: dict
claim:
  description:
    - The ObjectBucketClaim read for the credentials, trimmed to C(metadata) name, namespace, uid, resourceVersion
      and C(status.phase), for a later task of the run (O(talos_homelab.tracing.jaeger_storage_secret#module:known_claim)).
    - Never a credential.
  returned: with O(claim_name), when its ConfigMap is owned by the claim
  type: dict
claim_config:
  description:
    - The non-secret keys of the claim's ConfigMap (C(BUCKET_HOST), C(BUCKET_PORT), C(BUCKET_NAME), C(BUCKET_REGION)),
      for O(talos_homelab.tracing.jaeger_storage_secret#module:known_claim_config).
  returned: with RV(claim)
  type: dict
  sample: {BUCKET_HOST: rook-ceph-rgw-ceph-objectstore.rook-ceph.svc, BUCKET_NAME: jaeger-traces, BUCKET_PORT: "80",
           BUCKET_REGION: us-east-1}
diff:
  description: The rules before and after.
  returned: always
  type: dict
  contains:
    before:
      description: C(rules) before the task.
      type: dict
    after:
      description: C(rules) after the task.
      type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.talos_homelab.tracing.plugins.module_utils.args import K8S_AUTH_ARGS, S3_ARGS
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.lifecycle import run


def argument_spec():
    spec = dict(
        bucket=dict(type="str"),
        rules=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                id=dict(type="str", required=True),
                expiration_days=dict(type="int"),
                abort_incomplete_multipart_upload_days=dict(type="int"),
                noncurrent_version_expiration_days=dict(type="int"),
                prefix=dict(type="str", default=""),
                status=dict(type="str", choices=["Enabled", "Disabled"], default="Enabled"),
            ),
        ),
        purge_rules=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent", "query"], default="present"),
        claim_name=dict(type="str"),
        claim_namespace=dict(type="str", default="default"),
        known_claim=dict(type="dict"),
    )
    spec.update(S3_ARGS)
    spec.update(K8S_AUTH_ARGS)
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_one_of=[("bucket", "claim_name")],
        required_together=[("access_key", "secret_key")],
    )
    try:
        result = run(module.params, check_mode=module.check_mode, diff=module._diff)
    except TracingError as err:
        module.fail_json(**err.fail_json_kwargs())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
