#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: k8s_apply
short_description: Plan Kubernetes manifests with a server-side dry run, then write only the objects that differ
version_added: 0.1.0
description:
  - The collection's one way to apply manifests, used by the otel_collector, ceph_bucket and jaeger_production roles.
  - Plans every object of O(objects) (in list order) with a server-side dry run, then writes only the objects whose
    plan says changed, with the semantics of M(kubernetes.core.k8s) C(state=present) (create, or patch an existing
    object). A re-run on a converged cluster therefore sends no write at all.
  - A failing plan fails before anything is written.
  - Each request is retried on its own on a transient answer (409, 429, 500, 502, 503, 504) with a bounded exponential
    backoff; a 429's C(Retry-After) is honoured. Any other answer fails at once, naming the object.
  - Objects in a namespace listed in O(new_namespaces) (and those Namespaces) are not planned, since a dry run there
    answers 404. Check mode reports them as would-be-created, with a warning; a real run creates them.
  - With C(--diff), one diff per changed object. The values of Secrets never appear in results, diffs or logs.
  - Uses the API client and the create/patch logic of the kubernetes.core collection (its module_utils).
  - With O(wait), waits after the apply until the listed workloads have rolled out (or the claim is Bound), in the
    same task. The wait is an option of this module rather than a module of its own because the apply already holds
    each object's live status (a dry run or a write answers with it), so a converged re-run waits without a single
    read and without a second module start-up. The conditions are those of C(kubectl rollout status)
    (plugins/module_utils/rollout.py). A target that does not exist fails at once; a transient read error is polled
    again; the timeout fails with the last status. O(objects) may be empty to wait only. Check mode never waits.
  - While a workload is not rolled out, the wait reads its pods and FailedCreate events and every failure message
    says what the cluster says (each pod that is not ready with its containers' waiting reason and message and
    last termination message, FailedCreate events, pods per revision; plugins/module_utils/diagnosis.py). It stops
    at once, not at the timeout, when the same containers stay in CrashLoopBackOff or ImagePullBackOff on two
    polls in a row.
author:
  - talos_homelab.tracing contributors (@talos-homelab)
options:
  objects:
    description:
      - Manifests (full objects with C(apiVersion), C(kind), C(metadata.name)), applied in list order. List a Namespace
        before the objects inside it.
    type: list
    elements: dict
    required: true
  new_namespaces:
    description:
      - Namespaces the caller has read and found missing. Objects inside them, and those Namespaces, are not planned.
    type: list
    elements: str
    default: []
  retries:
    description:
      - Retries of one object's plan or write on a transient API answer.
    type: int
    default: 8
  retry_delay:
    description:
      - Seconds before the first retry; each further retry waits twice as long, at most 30 seconds.
    type: float
    default: 2
  merge_type:
    description:
      - How an existing object is patched, as in M(kubernetes.core.k8s); default strategic merge, then JSON merge when
        the API refuses it. C(merge) alone (RFC 7386) replaces lists whole and deletes map keys set to C(null), which a
        takeover of an object another controller made needs (plugins/module_utils/takeover.py).
    type: list
    elements: str
    choices: [json, merge, strategic-merge]
  wait:
    description:
      - Objects to wait for after the apply, in list order. Each has C(kind) (DaemonSet, Deployment, StatefulSet,
        ObjectBucketClaim or Jaeger), C(name), C(namespace) and, for Deployments and StatefulSets, optionally
        C(replicas) (the desired count; default C(spec.replicas)).
      - Not waited for in check mode.
    type: list
    elements: dict
    default: []
  wait_timeout:
    description:
      - Seconds the whole wait may take.
    type: int
    default: 300
  wait_sleep:
    description:
      - Seconds between two reads of an object that is not done yet.
    type: int
    default: 5
  wait_fix:
    description:
      - The fixes the failure messages name, C(missing) (the object does not exist), C(timeout) (not done in time),
        C(stuck) (pods in a reason waiting cannot clear) and C(back) (how to go back, or what still works; C(<namespace>),
        C(<kind>), C(<name>) are replaced by the target's).
    type: dict
    default: {}
extends_documentation_fragment:
  - talos_homelab.tracing.k8s_auth
attributes:
  check_mode:
    support: full
    description: Plans (server-side dry run) and reports; writes nothing.
  diff_mode:
    support: full
    description: One diff per object that differs; Secret values are redacted.
notes:
  - O(request_timeout) is not used; the kubernetes.core client's defaults apply.
  - Needs the kubernetes.core collection (a dependency of this collection) and the C(kubernetes) Python package.
"""

EXAMPLES = r"""
- name: Apply the collector objects
  talos_homelab.tracing.k8s_apply:
    objects:
      - apiVersion: v1
        kind: Namespace
        metadata:
          name: opentelemetry
      - apiVersion: v1
        kind: ServiceAccount
        metadata:
          name: otel-collector
          namespace: opentelemetry
    new_namespaces: []
  register: applied
"""

RETURN = r"""
changed_objects:
  description: C(Kind/[namespace/]name) of the objects written (in check mode, that would be written), in list order.
  returned: success
  type: list
  elements: str
  sample: [ConfigMap/opentelemetry/otel-collector-config]
objects:
  description: The objects as the API server returned them (dry run when unchanged or in check mode), in list order.
  returned: success
  type: list
  elements: dict
results:
  description: One entry per object, in list order.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: C(Kind/[namespace/]name).
      type: str
    changed:
      description: Whether the object differed (and, outside check mode, was written).
      type: bool
    planned:
      description: False for objects of O(new_namespaces), which are not dry-run.
      type: bool
    method:
      description: What the plan found to do, C(create) or C(update).
      type: str
    attempts:
      description: Requests of the plan and the write together, retries included.
      type: int
waited:
  description: With O(wait) (not in check mode), one entry per target, C(id), C(reads) (0 when the apply's answer showed
    it done) and C(status).
  returned: success
  type: list
  elements: dict
diff:
  description: With C(--diff), one C(before)/C(after) pair per changed object.
  returned: diff mode and changed
  type: list
  elements: dict
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.talos_homelab.tracing.plugins.module_utils.apply import (
    ApplyError, apply_objects, secret_values, validate_objects,
)
from ansible_collections.talos_homelab.tracing.plugins.module_utils.args import K8S_AUTH_ARGS
from ansible_collections.talos_homelab.tracing.plugins.module_utils.retry import is_transient
from ansible_collections.talos_homelab.tracing.plugins.module_utils.rollout import (
    WaitError, first_looks, operator_made, target_id, validate_targets, wait_for,
)
from ansible_collections.talos_homelab.tracing.plugins.module_utils.wait_reads import inspector, reader

try:
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import K8SClient, get_api_client
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.runner import perform_action
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.service import K8sService

    HAS_K8S_CORE = True
    K8S_CORE_IMPORT_ERROR = None
except ImportError:  # reported by main()
    HAS_K8S_CORE = False
    K8S_CORE_IMPORT_ERROR = traceback.format_exc()

# What kubernetes.core.k8s would get from a task `state: present, hidden_fields: [metadata.managedFields]`.
ACTION_PARAMS = dict(state="present", hidden_fields=["metadata.managedFields"], apply=False, force=False, wait=False)


def argument_spec():
    spec = dict(
        objects=dict(type="list", elements="dict", required=True),
        new_namespaces=dict(type="list", elements="str", default=[]),
        retries=dict(type="int", default=8),
        retry_delay=dict(type="float", default=2),
        merge_type=dict(type="list", elements="str", choices=["json", "merge", "strategic-merge"]),
        wait=dict(type="list", elements="dict", default=[]),
        wait_timeout=dict(type="int", default=300),
        wait_sleep=dict(type="int", default=5),
        wait_fix=dict(type="dict", default={}),
    )
    spec.update(K8S_AUTH_ARGS)
    return spec


class _Quiet(object):
    """The module for kubernetes.core's K8sService, minus the warning its create prints on a 409.

    That 409 is retried here (module_utils/apply.py ``UnconfirmedCreate``), so the warning
    ("... was not found, but creating it returned a 409 Conflict error") would be wrong.
    """

    def __init__(self, module):
        self._wrapped = module

    def __getattr__(self, name):
        return getattr(self._wrapped, name)

    def warn(self, *args, **kwargs):
        return None


def written_note(err):
    """What the run wrote before ``err`` (a plan only dry-runs; a failed write may still have landed)."""
    note = ("Written before the failure: %s." % ", ".join(err.written)) if err.written else "No earlier object was written."
    if err.step == "write":
        note += " The failed write of %s may or may not have been applied; a re-run converges either way." % err.object_id
    return note


def main():
    if not HAS_K8S_CORE:
        module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
        module.fail_json(msg=missing_required_lib("the kubernetes.core collection (ansible-galaxy collection install kubernetes.core)"),
                         exception=K8S_CORE_IMPORT_ERROR)
    module = AnsibleK8SModule(module_class=AnsibleModule, argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    objects = params["objects"]
    # Secret values never leave the module: AnsibleModule masks every no_log value in what it returns.
    for obj in objects:
        module._module.no_log_values.update(secret_values(obj))
    problems = validate_objects(objects) + validate_targets(params["wait"])
    if params["retries"] < 0 or params["retry_delay"] < 0:
        problems.append("retries and retry_delay must be 0 or more.")
    if problems:
        module.fail_json(msg="Failed to apply: %s Nothing was sent to the API server; correct the objects." % " ".join(problems))

    client = get_api_client(module)
    # One dynamic client (one discovery), two ways to use it: dry-run plans and real writes.
    quiet = _Quiet(module)
    plan_svc = K8sService(K8SClient(configuration=client.configuration, client=client.client, dry_run=True), quiet)
    write_svc = K8sService(K8SClient(configuration=client.configuration, client=client.client, dry_run=False), quiet)
    try:
        result = apply_objects(
            objects,
            plan=lambda d: perform_action(plan_svc, d, ACTION_PARAMS),
            write=lambda d: perform_action(write_svc, d, ACTION_PARAMS),
            new_namespaces=params["new_namespaces"],
            check_mode=module.check_mode,
            retries=params["retries"],
            delay=params["retry_delay"],
            want_diff=module._diff,
        )
    except ApplyError as err:
        module.fail_json(msg="%s %s" % (err.msg, written_note(err)), failed_object=err.object_id, failed_step=err.step,
                         attempts=err.attempts, changed=bool(err.written), changed_objects=err.written)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if params["wait"] and not module.check_mode:
        try:
            result["waited"] = wait_for(params["wait"], reader(client.client.client),
                                        first=first_looks(result["objects"], result["changed_objects"]),
                                        timeout=params["wait_timeout"], delay=params["wait_sleep"], fix=params["wait_fix"],
                                        is_transient=is_transient,
                                        may_appear=operator_made(params["wait"], objects, result["changed_objects"]),
                                        inspect=inspector(client.client.client))
        except WaitError as err:
            module.fail_json(msg=err.msg, wait_failed=dict(reason=err.reason, id=target_id(err.target), status=err.status),
                             **dict((k, v) for k, v in result.items() if k != "objects"))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
