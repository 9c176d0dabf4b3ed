#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: tracing_preflight
short_description: Validate the inputs of the tracing site playbook and its roles against the cluster, writing nothing
version_added: 0.2.0
description:
  - Checks every input the given sections need and the cluster capabilities they rely on, and fails with one message
    that lists every problem with its fix. Only reads (GET requests); never writes, in check mode or not.
  - O(site) - the site playbook's retention, storage mode and threshold, and how C(tracing_retention_days) and
    C(ceph_bucket_retention_days) combine (returned in RV(effective)).
  - O(ceph_bucket) - bucket and claim names (S3 and Kubernetes rules), retention rule, extra C(additionalConfig),
    the StorageClass (a Rook bucket class), the Rook version and the OBC fields the operator allows.
  - O(jaeger_production) - replicas, sampling rate, image tags for the storage mode, the grpc-plugin guards, and in
    C(grpc-plugin) mode the Jaeger operator (CRD and Deployment).
author:
  - talos_homelab.tracing contributors (@talos-homelab)
options:
  site:
    description:
      - Site variables as the user set them; a key left out or null is unset.
      - Keys C(retention_days), C(bucket_retention_days) (the user's C(ceph_bucket_retention_days)), C(storage_mode),
        C(fail_under), C(canary) (C(tracing_canary), a boolean).
    type: dict
  ceph_bucket:
    description:
      - The effective C(ceph_bucket_*) variables of role ceph_bucket, by their names.
    type: dict
  jaeger_production:
    description:
      - The effective C(jaeger_production_*) variables of role jaeger_production, by their names.
    type: dict
  tail_sampler:
    description:
      - The effective C(tail_sampler_*) variables of role tail_sampler, by their names (checks of
        plugins/module_utils/sampling.py; the sampler namespace is read to tell check mode whether it exists).
    type: dict
  otel_collector:
    description:
      - The effective C(otel_collector_*) variables of role otel_collector, by their names. Only C(otel_collector_image)
        is validated here (its version must be a release the collection has a configuration profile for, as
        C(tail_sampler_image)'s; the role's own checks do the rest); the collector namespace, the DaemonSet it takes over
        and, in tail mode, the sampler namespace are read once for the role (RV(effective)).
    type: dict
  nothing_written:
    description:
      - Whether the caller knows that nothing was written before this check (the site playbook before step 1, a role
        run alone). Only then does the failure message say "Nothing was written".
    type: bool
    default: false
extends_documentation_fragment:
  - talos_homelab.tracing.k8s_auth
attributes:
  check_mode:
    support: full
    description: The module only reads.
notes:
  - Part of the action group C(talos_homelab.tracing.tracing).
"""

EXAMPLES = r"""
- name: Validate the bucket inputs before writing anything
  talos_homelab.tracing.tracing_preflight:
    ceph_bucket:
      ceph_bucket_bucket_name: jaeger-traces
      ceph_bucket_storage_class: rook-ceph-bucket
      ceph_bucket_rook_namespace: rook-ceph
    nothing_written: true
"""

RETURN = r"""
effective:
  description:
    - Derived values - C(retention_days), C(bucket_retention_days), C(tempo_block_retention), C(storage_mode) (with O(site));
      C(rook_version), C(lifecycle_in_claim), C(allowed_fields) (with O(ceph_bucket));
      C(warnings), C(support) (the support table's verdict per image), C(wal_storage_class) and
      C(tempo_statefulset_replace) (why StatefulSet tempo must be replaced, or null) (with O(jaeger_production) in storage mode tempo).
    - What the roles would read again otherwise - C(otel_namespace_exists), C(otel_daemonset_selector) (null without a
      DaemonSet), C(otel_sampler_namespace_missing), C(otel_samplers_serving) (tail sampling, whether the sampler Deployment named
      C(otel_collector_sampler_service) has rolled out, so the agents may export to it) (with O(otel_collector));
      C(ceph_namespace_exists) (with O(ceph_bucket));
      C(jaeger_namespace_exists) and C(jaeger_cr) (the Jaeger CR as a list of zero or one, metadata and spec only) (with
      O(jaeger_production)).
  returned: always
  type: dict
  sample: {retention_days: 7, bucket_retention_days: 8, tempo_block_retention: 168h, storage_mode: tempo}
errors:
  description: One message per problem found (empty when none).
  returned: always
  type: list
  elements: str
api_requests:
  description: Kubernetes API requests sent (all reads).
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.talos_homelab.tracing.plugins.module_utils.args import K8S_AUTH_ARGS
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.k8s import K8sClient
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight import run


def main():
    argument_spec = dict(
        site=dict(type="dict"),
        ceph_bucket=dict(type="dict"),
        jaeger_production=dict(type="dict"),
        tail_sampler=dict(type="dict"),
        otel_collector=dict(type="dict"),
        nothing_written=dict(type="bool", default=False),
    )
    argument_spec.update(K8S_AUTH_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        # Reads only: in check mode too, the client never sends a write.
        result, failed = run(module.params, client_factory=lambda params: K8sClient(params, check_mode=True))
    except TracingError as err:
        module.fail_json(**err.fail_json_kwargs())
    # The support table's warnings (jaeger_production_allow_unsupported), through the warning API.
    for warning in (result.get("effective") or {}).get("warnings") or []:
        module.warn(warning)
    if failed:
        module.fail_json(msg=failed, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
