# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
name: otel_collector_config
short_description: The OpenTelemetry Collector configuration of the agents or of the samplers, from their role's variables
version_added: 0.2.0
positional: _input, collector
description:
  - "Takes the variables of role talos_homelab.tracing.otel_collector (C(otel_collector_*), for the agents' DaemonSet) or of
    role talos_homelab.tracing.tail_sampler (C(tail_sampler_*), for the samplers' Deployment) as a dict and returns
    C(config), the otelcol-contrib configuration, and C(sizing), the memory figures derived from the same values
    (plugins/module_utils/otel_config, unit-tested)."
  - "Component names follow the release of the image (C(otel_collector_image), resp. the resolved C(tail_sampler_image)):
    the profile of the newest supported release not newer than it; today every release gets the names of 0.114.0."
  - "Agents: C(otel_collector_config_overrides) is deep-merged over the generated configuration, as Ansible's
    C(combine(recursive=true)) merges - mappings key by key, anything else (lists included) replaced, C(null) kept as an
    empty value. An override that moves the OTLP receiver's or the health_check extension's port off the role's port
    variable is refused with the variable to set."
  - Invalid sampler values raise an error naming the variable and the fix (the same checks as the preflight).
options:
  _input:
    description: The role's variables.
    type: dict
    required: true
  collector:
    description: Which configuration - C(agent) (role otel_collector) or C(sampler) (role tail_sampler).
    type: str
    required: true
    choices: [agent, sampler]
author:
  - talos_homelab.tracing contributors (@talos-homelab)
"""

EXAMPLES = r"""
- name: Render the samplers' configuration
  ansible.builtin.set_fact:
    sampler_plan: "{{ {'tail_sampler_replicas': 3} | combine(other_values) | talos_homelab.tracing.otel_collector_config('sampler') }}"

- name: Render the agents' configuration from every otel_collector_* variable
  vars:
    names: "{{ query('ansible.builtin.varnames', '^otel_collector_') }}"
  ansible.builtin.copy:
    dest: /tmp/agents.yaml
    mode: "0644"
    content: "{{ (dict(names | zip(query('ansible.builtin.vars', *names))) | talos_homelab.tracing.otel_collector_config('agent')).config
                 | to_nice_yaml(indent=2, width=4096) }}"
"""

RETURN = r"""
_value:
  description:
    - C(config) (dict), the Collector configuration.
    - C(sizing) (dict) - agents limit_mib, limiter_mib, spike_mib, gomemlimit_mib, gomemlimit (e.g. C(409MiB));
      samplers working_set_mib, expected_mib, limiter_mib, spike_mib, limit_mib, request_mib, gomemlimit_mib, num_traces.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.talos_homelab.tracing.plugins.module_utils import otel_config
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError


def otel_collector_config(values, collector):
    """Role variables -> ``{config, sizing}`` of the ``agent`` or ``sampler`` Collector."""
    try:
        return otel_config.plan(collector, values)
    except TracingError as err:
        raise AnsibleFilterError(err.message)
    except (KeyError, TypeError) as err:
        raise AnsibleFilterError("Failed to render the %s Collector configuration: value %s missing or of the wrong type." % (collector, err))


class FilterModule(object):
    def filters(self):
        return {"otel_collector_config": otel_collector_config}
