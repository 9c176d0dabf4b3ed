# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: facts
short_description: The collection's shared facts (labels, annotations, API versions, names) by name
version_added: 0.1.0
description:
  - Returns the facts of C(plugins/module_utils/constants.py) that the collection's roles use, so that a role reads
    a label, an annotation key or an API version from the one place the modules read it from, instead of a copy.
  - One value per term, in the order of the terms. An unknown name fails and lists the known names.
  - The known names are V(managed_labels) (the labels C(app.kubernetes.io/managed-by) and C(app.kubernetes.io/part-of)
    of every managed object, a dictionary), V(checksum_annotation) (the storage Secret's checksum annotation key),
    V(config_checksum_annotation) (the annotation key that rolls Tempo and Jaeger Query on a new C(tempo.yaml)),
    V(source_claim_label) (the label naming the storage Secret's ObjectBucketClaim), V(obc_api_version) and
    V(obc_kind) (Rook's ObjectBucketClaim), V(storage_secret_name) (the storage Secret's default name),
    V(collector_image) (the OpenTelemetry Collector image the agents and the samplers run by default).
options:
  _terms:
    description: Names of the facts.
    type: list
    elements: str
    required: true
author:
  - talos_homelab.tracing contributors (@talos-homelab)
"""

EXAMPLES = r"""
- name: Label a ConfigMap as the collection labels what it manages
  ansible.builtin.set_fact:
    my_labels: "{{ lookup('talos_homelab.tracing.facts', 'managed_labels') | combine({'app.kubernetes.io/name': 'demo'}) }}"

- name: Several facts at once, as a list
  ansible.builtin.debug:
    msg: "{{ query('talos_homelab.tracing.facts', 'obc_api_version', 'obc_kind') }}"
"""

RETURN = r"""
_raw:
  description: The value of each named fact (a string, or a dictionary for V(managed_labels)).
  type: list
  elements: raw
"""

import copy

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.lookup import LookupBase

from ansible_collections.talos_homelab.tracing.plugins.module_utils.constants import ROLE_FACTS


def fact(name):
    """The value of one exported fact (a copy: a caller cannot change the shared one)."""
    name = to_text(name)
    if name not in ROLE_FACTS:
        raise KeyError("unknown fact %r; known facts: %s" % (name, ", ".join(sorted(ROLE_FACTS))))
    return copy.deepcopy(ROLE_FACTS[name])


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        values = []
        for term in terms:
            try:
                values.append(fact(term))
            except KeyError as exc:
                raise AnsibleLookupError("talos_homelab.tracing.facts: %s" % exc.args[0])
        return values
