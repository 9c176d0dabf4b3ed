# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: tail_sampler_plan
short_description: The tail-sampling tier's collector configuration and sizing from the tail_sampler variables
version_added: 0.1.0
description:
  - "Takes the C(tail_sampler_*) variables of role talos_homelab.tracing.tail_sampler as a dict and returns
    C(config) (the otelcol-contrib configuration: memory_limiter first, tail_sampling with the keep-errors and
    baseline policies, batch after sampling, OTLP to Tempo's distributor), C(sizing) (memory and num_traces from
    the expected load, the rule written in docs/storage.md section 5)."
  - Invalid values raise an error naming the variable and the fix (the same checks as the preflight).
options:
  _input:
    description: The tail_sampler_* variables.
    type: dict
    required: true
author:
  - talos_homelab.tracing contributors (@talos-homelab)
"""

EXAMPLES = r"""
- name: Render the sampler configuration
  ansible.builtin.set_fact:
    sampler_plan: "{{ {'tail_sampler_replicas': 3} | combine(other_values) | talos_homelab.tracing.tail_sampler_plan }}"
"""

RETURN = r"""
_value:
  description: C(config) (dict), C(sizing) (dict with limiter_mib, spike_mib, limit_mib, request_mib, gomemlimit_mib, num_traces).
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling


def tail_sampler_plan(values):
    """tail_sampler_* variables -> ``{config, sizing}``."""
    values = dict(values or {})
    errors = sampling.values_errors(values)
    if errors:
        raise AnsibleFilterError(" ".join(e.message for e in errors))
    return dict(config=sampling.sampler_config(values), sizing=sampling.sizing(values))


class FilterModule(object):
    def filters(self):
        return {"tail_sampler_plan": tail_sampler_plan}
