#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: jaeger_storage_secret
short_description: Write the Jaeger/Tempo storage Secret from an ObjectBucketClaim
version_added: 0.1.0
description:
  - Waits (bounded by O(wait_timeout)) for an ObjectBucketClaim to be C(Bound), reads the Secret and
    ConfigMap that Rook wrote for it, and writes a Secret in the Jaeger namespace with the keys the
    storage backend needs - C(S3_ENDPOINT), C(S3_BUCKET), C(AWS_ACCESS_KEY_ID), C(AWS_SECRET_ACCESS_KEY),
    C(S3_REGION), C(S3_INSECURE).
  - The Secret is labelled C(tracing.talos-homelab.io/source-claim=<claim>) and
    C(app.kubernetes.io/managed-by=talos_homelab.tracing), and annotated with
    C(tracing.talos-homelab.io/checksum), a sha256 over its data, so workloads can roll when credentials rotate.
  - The Secret is written only when its data, these labels or the annotation differ.
  - Secret values are never returned, printed or shown in a diff, at any verbosity; the diff names the keys
    and whether each was added, removed, changed or unchanged.
author:
  - talos_homelab.tracing contributors (@talos-homelab)
options:
  claim_name:
    description:
      - Name of the ObjectBucketClaim.
    type: str
    required: true
  claim_namespace:
    description:
      - Namespace of the ObjectBucketClaim. Defaults to O(namespace).
    type: str
  namespace:
    description:
      - Namespace of the Secret to write. It must exist.
    type: str
    required: true
  name:
    description:
      - Name of the Secret to write.
    type: str
    default: jaeger-storage
  backend:
    description:
      - Storage backend that reads the Secret.
      - V(tempo) writes C(S3_ENDPOINT) as C(host:port) (Tempo's C(storage.trace.s3.endpoint)).
      - V(grpc-plugin) writes C(S3_ENDPOINT) as C(http(s)://host:port).
    type: str
    choices: [tempo, grpc-plugin]
    default: tempo
  endpoint:
    description:
      - Overrides the claim's C(BUCKET_HOST:BUCKET_PORT), as C(host:port) or C(http(s)://host:port).
    type: str
  insecure:
    description:
      - Plain HTTP to the RGW (the in-cluster Rook RGW Service listens on port 80 without TLS).
      - Written as C(S3_INSECURE) V("true")/V("false") and used for the scheme of C(S3_ENDPOINT).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the claim to be C(Bound). The claim is polled about once a second.
    type: int
    default: 120
  known_claim:
    description:
      - The ObjectBucketClaim as an earlier task of this run read it (RV(talos_homelab.tracing.ceph_bucket_lifecycle#module:claim)).
      - With O(known_claim_config), when it is this claim, has a uid and is C(Bound), neither the claim nor its
        ConfigMap is read again. The claim's Secret (the credentials) is always read, and it must still be
        owned by that claim; else (the claim was deleted and created again) the claim is read (and waited for)
        and its Secret and ConfigMap too, as without this option.
      - Only its C(metadata) and C(status.phase) are used.
    type: dict
  known_claim_config:
    description:
      - The non-secret keys of the claim's ConfigMap as the same earlier task read them
        (RV(talos_homelab.tracing.ceph_bucket_lifecycle#module:claim_config)); used only with O(known_claim).
    type: dict
  state:
    description:
      - V(present) writes the Secret, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - talos_homelab.tracing.k8s_auth
attributes:
  check_mode:
    support: full
    description: Writes are sent as server-side dry runs (C(dryRun=All)); nothing is persisted.
  diff_mode:
    support: full
    description: Shows key names and their change (added/removed/changed/unchanged), never values.
"""

EXAMPLES = r"""
- name: Storage Secret for Tempo from the jaeger-traces claim
  talos_homelab.tracing.jaeger_storage_secret:
    claim_name: jaeger-traces
    claim_namespace: jaeger
    namespace: jaeger
  register: storage_secret

- name: Roll Tempo when credentials rotate
  ansible.builtin.debug:
    msg: "checksum {{ storage_secret.checksum }}"

- name: Secret for a Jaeger grpc-plugin deployment, RGW through TLS
  talos_homelab.tracing.jaeger_storage_secret:
    claim_name: jaeger-traces
    claim_namespace: jaeger
    namespace: jaeger
    backend: grpc-plugin
    endpoint: https://rgw.homelab.lan
    insecure: false
    wait_timeout: 300
"""

RETURN = r"""
name:
  description: Name of the Secret.
  returned: always
  type: str
  sample: jaeger-storage
namespace:
  description: Namespace of the Secret.
  returned: always
  type: str
  sample: jaeger
keys:
  description: Keys of the Secret (never the values).
  returned: when O(state=present)
  type: list
  elements: str
  sample: [AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_BUCKET, S3_ENDPOINT, S3_INSECURE, S3_REGION]
checksum:
  description: sha256 over the Secret's data sorted by key; also the Secret's C(tracing.talos-homelab.io/checksum) annotation.
  returned: when O(state=present)
  type: str
  sample: 3f7a0c...
diff:
  description: Redacted diff; C(keys) maps each key to C(added), C(removed), C(changed) or C(unchanged).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.talos_homelab.tracing.plugins.module_utils.args import K8S_AUTH_ARGS
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.storage_secret import run


def argument_spec():
    spec = dict(
        claim_name=dict(type="str", required=True),
        claim_namespace=dict(type="str"),
        namespace=dict(type="str", required=True),
        name=dict(type="str", default="jaeger-storage"),
        backend=dict(type="str", choices=["tempo", "grpc-plugin"], default="tempo"),
        endpoint=dict(type="str"),
        insecure=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        known_claim=dict(type="dict"),
        known_claim_config=dict(type="dict"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    spec.update(K8S_AUTH_ARGS)
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        result = run(module.params, check_mode=module.check_mode, diff=module._diff)
    except TracingError as err:
        module.fail_json(**err.fail_json_kwargs())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
