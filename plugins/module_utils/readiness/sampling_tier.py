# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sampling chain agents -> tail samplers -> Tempo as found in the snapshot (``snap["sampling"]``,
collect.py ``collect_sampling``), derived once per Facts, and which sampling runs in one phrase.
Read by sampling_checks.py and by the tempo mode's jaeger_sampling check (checks_tempo.py).
"""

from __future__ import annotations

from typing import Any, TYPE_CHECKING

from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling as model
from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness import parse as p

if TYPE_CHECKING:  # annotations only
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.readiness.facts import Facts

HEAD_PROCESSORS = ("probabilistic_sampler", "tail_sampling")


class Tier(object):
    """The chain as found in the snapshot (derived once per Facts)."""

    def __init__(self, f):
        self.f = f
        self.data = f.snap.get("sampling") or {}
        conf = f.otel_config or {}
        self.traces = dict((n, pl or {}) for n, pl in p.pipelines(conf).items() if p.type_of(n) == "traces")
        exporters = conf.get("exporters") or {}
        self.lb = []  # (pipeline, exporter id, conf)
        self.head = []  # (pipeline, processor id)
        for name, pipe in sorted(self.traces.items()):
            for exp in pipe.get("exporters") or []:
                if p.type_of(exp) == "loadbalancing":
                    self.lb.append((name, exp, exporters.get(exp) or {}))
            for proc in pipe.get("processors") or []:
                if p.type_of(proc) in HEAD_PROCESSORS:
                    self.head.append((name, proc))
        self.target = None
        if self.lb:
            endpoint = p.loadbalancing_endpoint(self.lb[0][2])
            if endpoint:
                self.target = p.parse_endpoint(endpoint, f.otel_ns)
        self.service = self.data.get("service")
        self.workload = None
        if self.service is not None:
            for wl in self.data.get("deployments") or []:
                if p.service_selects(self.service, p.template_labels(wl)):
                    self.workload = wl
                    break
        self.pods = p.pods_of(self.workload, self.data.get("pods") or []) if self.workload else []
        self.config, self.config_error = None, "no sampler workload"
        if self.workload is not None:
            _name, self.config, self.config_error = p.otel_config(dict(deployment=self.workload, configmaps=self.data.get("configmaps")))
        self.policies = None
        if self.config is not None:
            for name, proc in sorted((self.config.get("processors") or {}).items()):
                if p.type_of(name) == "tail_sampling":
                    self.policies = (proc or {}).get("policies") or []
                    break

    def label(self) -> str:
        if not self.target:
            return "no sampler tier"
        return "%s/%s" % (self.target.get("namespace"), self.target.get("service"))


def tier(f: Facts) -> Tier:
    if getattr(f, "_sampling_tier", None) is None:
        f._sampling_tier = Tier(f)
    return f._sampling_tier


def pct_text(value: Any) -> str:
    """10, 10.0 and "10" all read 10; a value that is not a number is shown as it is."""
    try:
        return "%g" % float(value)
    except (TypeError, ValueError):
        return str(value)


def _head_text(f):
    procs = (f.otel_config or {}).get("processors") or {}
    for _pipe, proc in tier(f).head:
        if p.type_of(proc) == "probabilistic_sampler":
            return "head sampling runs: %s %s%% on the agents (error traces kept only at that rate)" % (
                proc, pct_text((procs.get(proc) or {}).get("sampling_percentage")))
    return None


def sampling_summary(f: Facts) -> str:
    """Which sampling runs, in one phrase (also used by the jaeger_sampling check)."""
    t = tier(f)
    if f.otel_config is None:
        return "collector config unreadable: %s" % f.otel_config_error
    if t.lb and t.policies is not None:
        try:
            keeps, baseline = model.keeps_errors_and_baseline(t.policies)
        except (TypeError, ValueError) as exc:
            return "tail sampling on %s: policies not understood (%s)" % (t.label(), exc)
        return "tail sampling runs on %s: %s, baseline %s" % (
            t.label(), "every error trace kept" if keeps else "error traces NOT kept",
            ("%g%%" % baseline) if baseline is not None else "none")
    head = _head_text(f)
    if head:
        return head
    if t.lb:
        return "agents route to %s, but no tail_sampling policies were found there (%s)" % (t.label(), t.config_error)
    return "no sampling: every trace is kept"
