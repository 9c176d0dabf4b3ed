# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: service_takeover
short_description: Split manifests into those applied now and the Services taken over from another controller later
version_added: 0.2.0
positional: _input, desired, owner_kind
description:
  - "Make before break (plugins/module_utils/takeover.py): of the O(desired) objects, the Services whose name a live
    Service of O(_input) holds with an ownerReference of kind O(owner_kind) are returned apart, as patches that replace
    labels, selector and ports whole and drop the ownerReferences; role jaeger_production applies them once Tempo and
    jaeger-query are ready, before it deletes the Jaeger CR."
options:
  _input:
    description: The live Services of the namespace (as kubernetes.core.k8s_info returns them).
    type: list
    elements: dict
    required: true
  desired:
    description: The manifests to apply.
    type: list
    elements: dict
    required: true
  owner_kind:
    description: Kind of the owner whose Services are taken over.
    type: str
    default: Jaeger
author:
  - talos_homelab.tracing contributors (@talos-homelab)
"""

EXAMPLES = r"""
- name: Objects to apply now, Services to take over later
  ansible.builtin.set_fact:
    plan: "{{ live_services | talos_homelab.tracing.service_takeover(manifests) }}"
"""

RETURN = r"""
_value:
  description: C(apply) (the objects to apply now), C(take_over) (the Services as takeover patches), C(names) (their names).
  type: dict
"""

from ansible_collections.talos_homelab.tracing.plugins.module_utils import takeover


def service_takeover(live, desired, owner_kind="Jaeger"):
    return takeover.plan(live, desired, owner_kind)


class FilterModule(object):
    def filters(self):
        return {"service_takeover": service_takeover}
