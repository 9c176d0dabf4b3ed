# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight's reads of the cluster (GETs only, each path once) and the failure of a first read that never got through."""

from __future__ import annotations

from typing import Any

from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.common import _NS_RE
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.jaeger import JAEGER_CRD
from ansible_collections.talos_homelab.tracing.plugins.module_utils.preflight.otel import read_otel


class _OnceReader(object):
    """``client`` whose ``get`` sends each path once per run (the sections share namespaces)."""

    def __init__(self, client):
        self._client = client
        self._seen = {}

    def get(self, *args, **kwargs):
        key = args + tuple(kwargs.get(k) for k in ("namespace",))
        if key not in self._seen:
            self._seen[key] = self._client.get(*args, **kwargs)
        return self._seen[key]

    def list(self, *args, **kwargs):
        return self._client.list(*args, **kwargs)


def read_cluster(client: Any, ceph: dict[str, Any] | None = None, jaeger: dict[str, Any] | None = None, tail_sampler: dict[str, Any] | None = None,
                 otel: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read what ``validate`` needs (GETs only; a missing object reads as ``None``).

    Also what the roles' tasks need (``cluster_facts``): the collector's namespace and DaemonSet, the
    claim's and Jaeger's namespaces and the Jaeger CR, so a run reads each of them once.
    """
    client = _OnceReader(client)
    out = {}
    if otel is not None:
        out.update(read_otel(client, otel))
    if tail_sampler is not None and _NS_RE.match(str(tail_sampler.get("tail_sampler_namespace") or "")):
        out["tail_sampler_namespace"] = client.get("v1", "namespaces", tail_sampler["tail_sampler_namespace"],
                                                   action="read the sampler namespace")
    if ceph is not None:
        if ceph.get("ceph_bucket_storage_class"):
            out["storage_class"] = client.get("storage.k8s.io/v1", "storageclasses", ceph["ceph_bucket_storage_class"],
                                              action="read the StorageClass")
        ns = ceph.get("ceph_bucket_rook_namespace")
        if not str(ceph.get("ceph_bucket_rook_version") or ""):
            out["rook_operator"] = client.get("apps/v1", "deployments", ceph.get("ceph_bucket_rook_operator_deployment"), ns,
                                              action="read the Rook operator Deployment")
        out["rook_operator_config"] = client.get("v1", "configmaps", ceph.get("ceph_bucket_rook_operator_config"), ns,
                                                 action="read the Rook operator settings")
        if _NS_RE.match(str(ceph.get("ceph_bucket_namespace") or "")):
            out["ceph_namespace"] = client.get("v1", "namespaces", ceph["ceph_bucket_namespace"],
                                               action="read the claim namespace")
    if jaeger is not None and _NS_RE.match(str(jaeger.get("jaeger_production_namespace") or "")):
        jns = jaeger["jaeger_production_namespace"]
        out["jaeger_namespace"] = client.get("v1", "namespaces", jns, action="read the Jaeger namespace")
        # The before-state's CR (storage mode tempo removes it; grpc-plugin patches it); 404 without the CRD.
        out["jaeger_cr"] = (client.get("jaegertracing.io/v1", "jaegers", jaeger.get("jaeger_production_name") or "jaeger", jns,
                                       action="read the Jaeger CR") if out["jaeger_namespace"] is not None else None)
    if jaeger is not None and jaeger.get("jaeger_production_storage_mode") == "tempo":
        out["storage_classes"] = client.list("storage.k8s.io/v1", "storageclasses", action="list the StorageClasses")
        out["tempo_statefulset"] = client.get("apps/v1", "statefulsets", "tempo", jaeger.get("jaeger_production_namespace"),
                                              action="read the StatefulSet tempo")
    if jaeger is not None and jaeger.get("jaeger_production_storage_mode") == "grpc-plugin":
        out["jaeger_crd"] = client.get("apiextensions.k8s.io/v1", "customresourcedefinitions", JAEGER_CRD,
                                       action="look for the Jaeger CRD")
        out["jaeger_operator"] = client.get("apps/v1", "deployments", jaeger.get("jaeger_production_operator_name"),
                                            jaeger.get("jaeger_production_operator_namespace"),
                                            action="look for the Jaeger operator Deployment")
    return out


def unreachable(err: TracingError, params: dict[str, Any]) -> TracingError:
    """The failure of a first read that never reached the API server, naming the kubeconfig and the cause.

    The preflight's reads are the run's first requests, so they are also its probe of the cluster access
    (before this, the site playbook read namespace default with one more module run).
    """
    from ansible_collections.talos_homelab.tracing.plugins.module_utils.k8s import resolve_kubeconfig

    cause = err.__context__ or err.__cause__
    path = resolve_kubeconfig(params) or "(host %s)" % params.get("host")
    context = (" (context %s)" % params["context"]) if params.get("context") else ""
    problem = err.problem + ((" %s" % str(cause)[:400].rstrip(".")) + "." if cause is not None else "")
    tail = " Nothing was written." if params.get("nothing_written") else ""
    return TracingError("reach the Kubernetes API with kubeconfig %s%s" % (path, context), problem + tail,
                        "check that the cluster is up and that the kubeconfig's server address, credentials and context"
                        " are right (kubectl cluster-info), then run again.")
