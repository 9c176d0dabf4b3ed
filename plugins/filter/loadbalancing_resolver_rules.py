# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
name: loadbalancing_resolver_rules
short_description: RBAC rules the loadbalancing exporter's k8s resolver needs for a Collector image
version_added: 0.1.0
description:
  - "Takes an otelcol-contrib image reference and returns the Role rules its loadbalancing exporter's k8s resolver
    needs in the sampler's namespace: get/list/watch on C(endpoints) up to 0.137.x (v0.114.0 resolver_k8s.go watches
    core/v1 Endpoints), on C(discovery.k8s.io) C(endpointslices) only from 0.140.0 (contrib PR #44079, issue #44494;
    v0.159.0 resolver_k8s.go watches EndpointSlices only; docs/storage.md section 5), both in between or when the
    version cannot be read."
options:
  _input:
    description: Image reference with a version tag, e.g. C(otel/opentelemetry-collector-contrib:0.114.0).
    type: str
    required: true
author:
  - talos_homelab.tracing contributors (@talos-homelab)
"""

EXAMPLES = r"""
- name: Rules of the agents' resolver
  ansible.builtin.debug:
    msg: "{{ 'otel/opentelemetry-collector-contrib:0.114.0' | talos_homelab.tracing.loadbalancing_resolver_rules }}"
"""

RETURN = r"""
_value:
  description: List of RBAC PolicyRules (apiGroups, resources, verbs).
  type: list
  elements: dict
"""

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling
from ansible_collections.talos_homelab.tracing.plugins.module_utils.images import tag_version


def loadbalancing_resolver_rules(image):
    return sampling.resolver_rules(tag_version(image))


class FilterModule(object):
    def filters(self):
        return {"loadbalancing_resolver_rules": loadbalancing_resolver_rules}
