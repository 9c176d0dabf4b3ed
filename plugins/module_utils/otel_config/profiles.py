# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-release profiles of otelcol-contrib: the component names the rendered configurations use (pure).

A profile maps each component the roles configure (a stable key of this collection, e.g.
``otlp_exporter``) to its type name in one Collector release. Releases rename components and keep the
old names as deprecated aliases for a while (domain facts, section 9: ``otlp`` exporter -> ``otlp_grpc``
in core 0.144.0, ``loadbalancing`` -> ``load_balancing`` contrib #48533, ``kubeletstats`` ->
``kubelet_stats`` contrib #47957, ``prometheusremotewrite`` -> ``prometheus_remote_write`` 0.154.0); a
profile for such a release lists the new names, and the render functions never spell a component
themselves.

``profile_for(version)`` picks the newest profile whose release is not newer than ``version``; a version
older than every profile, or an image tag without a version, gets the oldest profile (the names every
release since 0.114.0 accepts). Profiles: 0.114.0 and 0.159.0 (the default image's). The preflight
refuses a version that is not exactly one of them (``has_profile``), before anything is written.
"""

from __future__ import annotations


from typing import Dict, NamedTuple, Optional, Tuple

Version = Tuple[int, int, int]


class Profile(NamedTuple):
    """One Collector release: its version and the type name of each component the roles configure."""

    release: Version
    names: Dict[str, str]

    def name(self, component: str) -> str:
        """The type name of ``component`` (a key of ``COMPONENTS``) in this release."""
        return self.names[component]


# The components the roles configure, by the key the render functions use.
COMPONENTS = (
    "otlp_receiver", "hostmetrics_receiver", "kubeletstats_receiver",
    "memory_limiter_processor", "resource_processor", "batch_processor",
    "probabilistic_sampler_processor", "tail_sampling_processor",
    "otlp_exporter", "loadbalancing_exporter", "prometheusremotewrite_exporter",
    "health_check_extension",
    # not a component: the key under loadbalancing's ``protocol`` that holds the OTLP exporter settings
    "loadbalancing_protocol",
)

# otelcol-contrib v0.114.0 (2024-11): the READMEs of receiver/otlpreceiver, receiver/hostmetricsreceiver,
# receiver/kubeletstatsreceiver, processor/{memorylimiter,resource,batch,probabilisticsampler,
# tailsampling}processor, exporter/{otlp,loadbalancing,prometheusremotewrite}exporter,
# extension/healthcheckextension at that tag.
V0_114_0 = Profile((0, 114, 0), {
    "otlp_receiver": "otlp",
    "hostmetrics_receiver": "hostmetrics",
    "kubeletstats_receiver": "kubeletstats",
    "memory_limiter_processor": "memory_limiter",
    "resource_processor": "resource",
    "batch_processor": "batch",
    "probabilistic_sampler_processor": "probabilistic_sampler",
    "tail_sampling_processor": "tail_sampling",
    "otlp_exporter": "otlp",
    "loadbalancing_exporter": "loadbalancing",
    "prometheusremotewrite_exporter": "prometheusremotewrite",
    "health_check_extension": "health_check",
    "loadbalancing_protocol": "otlp",
})

# otelcol-contrib v0.159.0 (2026-08): the type names without deprecated aliases, each the ``type:`` of the
# component's metadata.yaml at that tag (read from the module zips of the Go module cache that
# tools/go/otelcol builds from; ``deprecated_type:`` is the 0.114.0 name the release still accepts):
#   go.opentelemetry.io/collector/receiver/otlpreceiver@v0.159.0            type: otlp
#   contrib receiver/hostmetricsreceiver@v0.159.0                             type: host_metrics (deprecated_type: hostmetrics; contrib #45449, 0.151.0)
#   contrib receiver/kubeletstatsreceiver@v0.159.0                            type: kubelet_stats (deprecated_type: kubeletstats; #45339, 0.152.0)
#   go.opentelemetry.io/collector/processor/memorylimiterprocessor@v0.159.0  type: memory_limiter
#   contrib processor/resourceprocessor@v0.159.0                              type: resource
#   go.opentelemetry.io/collector/processor/batchprocessor@v0.159.0          type: batch
#   contrib processor/probabilisticsamplerprocessor@v0.159.0                  type: probabilistic_sampler
#   contrib processor/tailsamplingprocessor@v0.159.0                          type: tail_sampling
#   go.opentelemetry.io/collector/exporter/otlpexporter@v0.159.0              type: otlp_grpc (deprecated_type: otlp; core #14403, 0.144.0)
#   contrib exporter/loadbalancingexporter@v0.159.0                           type: load_balancing (deprecated_type: loadbalancing; #45339, 0.153.0)
#   contrib exporter/prometheusremotewriteexporter@v0.159.0                   type: prometheus_remote_write
#       (deprecated_type: prometheusremotewrite; #45339, 0.154.0)
#   contrib extension/healthcheckextension@v0.159.0                           type: health_check
# loadbalancing_protocol stays ``otlp``: exporter/loadbalancingexporter config.go at v0.159.0,
# ``Protocol.OTLP otlpexporter.Config `mapstructure:"otlp"```.
V0_159_0 = Profile((0, 159, 0), dict(
    V0_114_0.names,
    hostmetrics_receiver="host_metrics",
    kubeletstats_receiver="kubelet_stats",
    otlp_exporter="otlp_grpc",
    loadbalancing_exporter="load_balancing",
    prometheusremotewrite_exporter="prometheus_remote_write",
))

# Oldest first. A later release is one more entry, e.g. Profile((0, X, Y), dict(V0_159_0.names, ...)).
PROFILES = (V0_114_0, V0_159_0)


def supported_releases() -> Tuple[str, ...]:
    """The releases the collection has a profile for, as ``"0.114.0"`` strings (oldest first)."""
    return tuple(".".join(str(part) for part in profile.release) for profile in PROFILES)


def has_profile(version: Optional[Version]) -> bool:
    """Whether ``version`` is exactly a release the collection has a profile for (``None``: no)."""
    return version is not None and any(profile.release == tuple(version) for profile in PROFILES)


def profile_for(version: Optional[Version]) -> Profile:
    """The profile for otelcol-contrib ``version`` (a ``(major, minor, patch)`` tuple or ``None``)."""
    chosen = PROFILES[0]
    if version is None:
        return chosen
    for profile in PROFILES:
        if profile.release <= tuple(version):
            chosen = profile
    return chosen


def canonical_type(type_name: str) -> str:
    """The oldest profile's name of a component type a later profile renamed (``load_balancing`` ->
    ``loadbalancing``, ``otlp_grpc`` -> ``otlp``); any other name unchanged. Lets a reader of a deployed
    configuration (the readiness checks) treat a release's name and its deprecated alias alike."""
    for profile in PROFILES[1:]:
        for component, name in profile.names.items():
            if name == type_name and component != "loadbalancing_protocol":
                return PROFILES[0].names[component]
    return type_name
