# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both OpenTelemetry Collector configurations of the collection, rendered from the roles' values (pure).

* ``agent.py``: ``agent_config(values)`` and ``agent_sizing(values)``, the agents (role otel_collector);
* ``sampler.py``: ``sampler_config(values)``, the samplers (role tail_sampler; policies in ``sampling.py``);
* ``sizing.py``: ``sampler_sizing(values)``, the samplers' memory by the rule measured with the real Collector;
* ``batch.py``: the batch processor's settings, bounded by the next hop's gRPC message limit;
* ``profiles.py``: the component names of each supported Collector release;
* ``merge.py``: the deep merge of the user's overrides.

``plan(collector, values)`` is what filter ``talos_homelab.tracing.otel_collector_config`` returns:
``{config, sizing}`` of ``collector`` ``agent`` or ``sampler``; the agents' also ``hostfs``, where the
pod mounts the host's root for hostmetrics (the receiver's ``root_path``). Bad values raise ``TracingError``
(the samplers' values are checked as the preflight checks them; the agents' by the role's preflight,
here only the overrides).
"""

from __future__ import annotations


from typing import Any, Dict, Mapping

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.agent import HOSTFS, agent_config, agent_sizing
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.sampler import sampler_config
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.sizing import sampler_sizing

COLLECTORS = ("agent", "sampler")


def plan(collector: str, values: Mapping) -> Dict[str, Any]:
    """``{config, sizing}`` of the ``agent`` or ``sampler`` Collector from its role's values."""
    values = dict(values or {})
    if collector == "agent":
        return dict(config=agent_config(values), sizing=agent_sizing(values), hostfs=HOSTFS)
    if collector == "sampler":
        errors = sampling.values_errors(values)
        if errors:
            fixes = []
            for err in errors:
                if err.fix not in fixes:
                    fixes.append(err.fix)
            raise TracingError("validate tail_sampler variables", " ".join(e.problem for e in errors), " ".join(fixes))
        return dict(config=sampler_config(values), sizing=sampler_sizing(values))
    raise TracingError("render a Collector configuration", "unknown collector %r." % (collector,),
                       "use one of %s." % ", ".join(COLLECTORS))
