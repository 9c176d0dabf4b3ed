# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Step 1 of the preflight: what role otel_collector needs read before it writes, and the Collector
images' versions (``collector_image_errors``: only releases with a configuration profile)."""

from __future__ import annotations

from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.otel_config import profiles
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.common import _NS_RE
from ansible_collections.talos_homelab.tracing.plugins.module_utils.images import tag_version


def read_otel(client: Any, otel: dict[str, Any]) -> dict[str, Any]:
    """The collector's namespace, the DaemonSet it takes over and, in tail mode, the sampler namespace."""
    out = {}
    ns, name = str(otel.get("otel_collector_namespace") or ""), str(otel.get("otel_collector_name") or "")
    if not (_NS_RE.match(ns) and _NS_RE.match(name)):
        return out  # the role's own checks name the problem
    out["otel_namespace"] = client.get("v1", "namespaces", ns, action="read the collector namespace")
    out["otel_daemonset"] = (client.get("apps/v1", "daemonsets", name, ns, action="read the DaemonSet to take over")
                             if out["otel_namespace"] is not None else None)
    sampler_ns = str(otel.get("otel_collector_sampler_namespace") or "")
    if otel.get("otel_collector_sampling") == "tail" and sampler_ns != ns and _NS_RE.match(sampler_ns):
        out["otel_sampler_namespace"] = client.get("v1", "namespaces", sampler_ns, action="read the sampler namespace")
    # Make before break (issue 23): the agents export to the samplers only once these serve.
    sampler = str(otel.get("otel_collector_sampler_service") or "")
    if otel.get("otel_collector_sampling") == "tail" and _NS_RE.match(sampler_ns) and _NS_RE.match(sampler):
        missing_ns = out.get("otel_sampler_namespace" if sampler_ns != ns else "otel_namespace") is None
        out["otel_sampler_deployment"] = None if missing_ns else client.get(
            "apps/v1", "deployments", sampler, sampler_ns, action="read the sampler Deployment")
    return out


# The image variables whose release picks the configuration profile (plugins/module_utils/otel_config/profiles.py).
COLLECTOR_IMAGE_VARIABLES = ("otel_collector_image", "tail_sampler_image")


def collector_image_errors(values: dict[str, Any]) -> list[TracingError]:
    """One ``TracingError`` per Collector image of ``values`` (``otel_collector_image``, ``tail_sampler_image``;
    empty or absent: not checked) whose version has no configuration profile: the roles would render names
    and keys for another release. The version is read as the renderers read it (``images.tag_version``)."""
    errors = []
    supported = profiles.supported_releases()
    for variable in COLLECTOR_IMAGE_VARIABLES:
        image = values.get(variable)
        if not image:
            continue
        version = tag_version(image)
        if profiles.has_profile(version):
            continue
        what = ("version %s" % ".".join(str(x) for x in version)) if version else "a tag without an X.Y.Z version"
        repo = str(image).rsplit(":", 1)[0] if ":" in str(image).rsplit("/", 1)[-1] else str(image)
        errors.append(TracingError(
            "validate the Collector image",
            "%s %r has %s, for which the collection has no configuration profile; supported: %s." % (
                variable, image, what, ", ".join(supported)),
            "set %s to a supported release, e.g. %s:%s (the default image is "
            "otel/opentelemetry-collector-contrib:%s)%s." % (
                variable, repo, supported[-1], supported[-1],
                ", or leave tail_sampler_image empty to use the agents' image" if variable == "tail_sampler_image" else "")))
    return errors


def samplers_serving(deployment: dict[str, Any] | None) -> bool:
    """True when the sampler Deployment has rolled out (every replica of its current spec ready)."""
    if not deployment:
        return False
    status, spec = deployment.get("status") or {}, deployment.get("spec") or {}
    want = spec.get("replicas", 1)
    generation = (deployment.get("metadata") or {}).get("generation") or 0
    return (want > 0 and (status.get("observedGeneration") or 0) >= generation
            and status.get("readyReplicas") == want and status.get("updatedReplicas") == want)
