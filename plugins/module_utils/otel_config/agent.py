# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agents' Collector configuration (role otel_collector, a DaemonSet) from the otel_collector_* values (pure).

* ``agent_sizing(values)``: memory_limiter ``limit_mib`` / ``spike_limit_mib`` and GOMEMLIMIT, derived
  from the container's memory limit and the three percentages (each step truncated to whole MiB).
* ``agent_config(values)``: the configuration, the role's ConfigMap once dumped with ``to_nice_yaml``:
  an OTLP receiver on all interfaces (receivers bind localhost by default since 0.104), hostmetrics and
  kubeletstats when on, memory_limiter first in every pipeline, the cluster attribute, batch (its
  ``send_batch_max_size`` from ``otel_collector_span_bytes``, ``batch.py``: a batch fits the next hop's
  4 MiB gRPC limit); tail mode
  exports traces by trace ID (loadbalancing, k8s resolver on the sampler Service), head mode samples on
  the agent (probabilistic_sampler) and exports OTLP to Jaeger; metrics go to Prometheus remote write
  when it is on. Component names come from the profile of the image's release (``profiles.py``), and
  ``otel_collector_config_overrides`` is deep-merged last (``merge.py``), except an override that
  moves a port a variable owns, which raises ``TracingError`` naming the variable.

The values arrive as the role has them (a number may be text when it came from ``-e``): they are used
as the role's Jinja used them, ports and memory figures as whole numbers, the head sampler's percentage
as a float, everything else as given.
"""

from __future__ import annotations


import copy
from typing import Any, Dict, List, Mapping, Tuple

from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.batch import batch_settings
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.merge import merge_overrides
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config.profiles import Profile, profile_for
from ansible_collections.talos_homelab.tracing.plugins.module_utils.images import tag_version

HOSTFS = "/hostfs"
ANY_HOST = "0.0.0.0:%s"
# Pseudo and virtual filesystems and the kubelet's, containerd's and Talos' own mounts: not the host's disks.
FILESYSTEM_SCRAPER = {
    "exclude_fs_types": {"match_type": "strict", "fs_types": [
        "autofs", "binfmt_misc", "bpf", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs", "fusectl",
        "hugetlbfs", "mqueue", "nsfs", "overlay", "proc", "procfs", "pstore", "rpc_pipefs", "securityfs",
        "selinuxfs", "squashfs", "sysfs", "tracefs"]},
    "exclude_mount_points": {"match_type": "regexp", "mount_points": [
        "/dev/*", "/proc/*", "/sys/*", "/run/containerd/*", "/var/lib/kubelet/*", "/system/*"]},
}
KUBELET_METRIC_GROUPS = ["node", "pod", "container"]
_ACTION = "render the agents' Collector configuration"


def whole(value: Any) -> int:
    """A whole number as Jinja's ``int`` filter reads it (text or number; 0 when it is neither)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return 0


def _real(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def agent_sizing(values: Mapping) -> Dict[str, Any]:
    """``limit_mib`` (the container's), ``limiter_mib``, ``spike_mib``, ``gomemlimit_mib`` and ``gomemlimit``."""
    limit = whole(values["otel_collector_memory_limit_mib"])
    limiter = int(limit * whole(values["otel_collector_memory_limiter_percent"]) / 100)
    spike = int(limiter * whole(values["otel_collector_memory_limiter_spike_percent"]) / 100)
    gomem = int(limit * whole(values["otel_collector_gomemlimit_percent"]) / 100)
    return dict(limit_mib=limit, limiter_mib=limiter, spike_mib=spike, gomemlimit_mib=gomem, gomemlimit="%dMiB" % gomem)


def _receivers(values: Mapping, profile: Profile) -> Dict[str, Any]:
    receivers = {profile.name("otlp_receiver"): {"protocols": {
        "grpc": {"endpoint": ANY_HOST % (values["otel_collector_otlp_grpc_port"],)},
        "http": {"endpoint": ANY_HOST % (values["otel_collector_otlp_http_port"],)}}}}
    if values["otel_collector_hostmetrics_enabled"]:
        scrapers = values["otel_collector_hostmetrics_scrapers"]
        conf = {name: {} for name in scrapers}
        if "filesystem" in scrapers:
            conf["filesystem"] = copy.deepcopy(FILESYSTEM_SCRAPER)
        receivers[profile.name("hostmetrics_receiver")] = {
            "collection_interval": values["otel_collector_hostmetrics_collection_interval"],
            "root_path": HOSTFS, "scrapers": conf}
    if values["otel_collector_kubeletstats_enabled"]:
        kubelet = {"collection_interval": values["otel_collector_kubeletstats_collection_interval"],
                   "auth_type": "serviceAccount", "endpoint": "${env:K8S_NODE_NAME}:10250",
                   "insecure_skip_verify": values["otel_collector_kubeletstats_insecure_skip_verify"],
                   "metric_groups": list(KUBELET_METRIC_GROUPS)}
        if len(values["otel_collector_kubeletstats_extra_metadata_labels"]) > 0:
            kubelet["extra_metadata_labels"] = list(values["otel_collector_kubeletstats_extra_metadata_labels"])
        receivers[profile.name("kubeletstats_receiver")] = kubelet
    return receivers


def _processors(values: Mapping, profile: Profile, tail: bool) -> Dict[str, Any]:
    size = agent_sizing(values)
    processors = {
        profile.name("memory_limiter_processor"): {
            "check_interval": values["otel_collector_memory_limiter_check_interval"],
            "limit_mib": size["limiter_mib"], "spike_limit_mib": size["spike_mib"]},
        profile.name("resource_processor"): {"attributes": [
            {"key": "cluster", "value": values["otel_collector_cluster_name"], "action": "upsert"}]},
        profile.name("batch_processor"): batch_settings(values["otel_collector_batch_timeout"],
                                                        whole(values["otel_collector_batch_send_batch_size"]),
                                                        whole(values["otel_collector_span_bytes"])),
    }
    if not tail:
        processors[profile.name("probabilistic_sampler_processor")] = {
            "sampling_percentage": _real(values["otel_collector_sampling_percentage"]),
            "hash_seed": whole(values["otel_collector_sampling_hash_seed"])}
    return processors


def _trace_exporter(values: Mapping, profile: Profile, tail: bool) -> Dict[str, Any]:
    """One exporter: by trace ID to the sampler pods (tail), or OTLP to Jaeger (head).

    Tail: exporter/loadbalancingexporter README (routing_key traceID, resolver k8s on <service>.<namespace>
    with the pods' port; docs/storage.md section 5)."""
    tls = {"insecure": values["otel_collector_jaeger_insecure"]}
    if tail:
        service = "%s.%s" % (values["otel_collector_sampler_service"], values["otel_collector_sampler_namespace"])
        return {profile.name("loadbalancing_exporter"): {
            "routing_key": "traceID",
            "protocol": {profile.name("loadbalancing_protocol"): {"tls": tls}},
            "resolver": {"k8s": {"service": service, "ports": [whole(values["otel_collector_sampler_port"])]}}}}
    return {profile.name("otlp_exporter"): {"endpoint": values["otel_collector_jaeger_endpoint"], "tls": tls}}


def _owned_ports(values: Mapping, profile: Profile) -> List[Tuple[Tuple[str, ...], str, int, str]]:
    otlp, health = profile.name("otlp_receiver"), profile.name("health_check_extension")
    return [(("receivers", otlp, "protocols", "grpc", "endpoint"), "otel_collector_otlp_grpc_port",
             whole(values["otel_collector_otlp_grpc_port"]), "the DaemonSet's containerPort otlp-grpc and the Service"),
            (("receivers", otlp, "protocols", "http", "endpoint"), "otel_collector_otlp_http_port",
             whole(values["otel_collector_otlp_http_port"]), "the DaemonSet's containerPort otlp-http and the Service"),
            (("extensions", health, "endpoint"), "otel_collector_health_check_port",
             whole(values["otel_collector_health_check_port"]),
             "the DaemonSet's containerPort health and its liveness and readiness probes")]


def agent_config(values: Mapping) -> Dict[str, Any]:
    """The agents' Collector configuration from the otel_collector_* ``values`` (overrides merged)."""
    profile = profile_for(tag_version(values.get("otel_collector_image")))
    tail = values["otel_collector_sampling"] == "tail"
    remote_write = bool(values["otel_collector_prometheus_remote_write_enabled"])
    memory_limiter, resource, batch = (profile.name(c) for c in ("memory_limiter_processor", "resource_processor",
                                                                 "batch_processor"))
    otlp, health = profile.name("otlp_receiver"), profile.name("health_check_extension")
    # Make before break (issue 23): in tail mode the agents keep exporting straight to the backend until the
    # samplers serve (role otel_collector's __otel_collector_traces_to_samplers); nothing is head-sampled meanwhile.
    traces_exporter = _trace_exporter(values, profile, tail and values.get("_traces_to_samplers", True) is not False)
    exporters = dict(traces_exporter)
    pipelines = {"traces": {
        "receivers": [otlp],
        "processors": [memory_limiter] + ([] if tail else [profile.name("probabilistic_sampler_processor")])
        + [resource, batch],
        "exporters": [next(iter(traces_exporter))]}}
    if remote_write:
        prw = profile.name("prometheusremotewrite_exporter")
        exporters[prw] = {"endpoint": values["otel_collector_prometheus_remote_write_endpoint"]}
        receivers = [otlp]
        receivers += [profile.name("hostmetrics_receiver")] if values["otel_collector_hostmetrics_enabled"] else []
        receivers += [profile.name("kubeletstats_receiver")] if values["otel_collector_kubeletstats_enabled"] else []
        pipelines["metrics"] = {"receivers": receivers, "processors": [memory_limiter, resource, batch], "exporters": [prw]}
    config = {
        "extensions": {health: {"endpoint": ANY_HOST % (values["otel_collector_health_check_port"],)}},
        "receivers": _receivers(values, profile),
        "processors": _processors(values, profile, tail),
        "exporters": exporters,
        "service": {"extensions": [health], "pipelines": pipelines},
    }
    return merge_overrides(config, values.get("otel_collector_config_overrides"), _owned_ports(values, profile),
                           "otel_collector_config_overrides", _ACTION)
