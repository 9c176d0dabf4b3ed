"""The simulated homelab cluster that ``up`` creates (docs/architecture.md, "Cluster that up creates").

``bootstrap(store, ...)`` writes the baseline objects straight into the store (no HTTP, not
counted); the controllers then bring them to life (node/pod status, OBCs bound in the RGW).
``load_before_state(store)`` adds the seed's starting point (domain-facts.md section 1).
"""

from __future__ import annotations

import json
import time

from .store import ApiError

NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "rook-ceph", "observability", "monitoring", "loki", "velero"]
RGW_SERVICE_HOST = "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc"
NEIGHBOURS = [
    # (namespace, claim, bucket, rule id, days)
    ("loki", "loki", "loki-chunks", "loki-retention", 30),
    ("velero", "velero", "velero-backups", "velero-retention", 90),
]


def _put(store, obj: dict) -> dict:
    try:
        return store.upsert(obj)
    except ApiError as e:  # pragma: no cover - bootstrap bug
        raise RuntimeError(f"bootstrap of {obj['kind']} {obj['metadata'].get('name')} failed: {e.message}") from e


def _meta(name: str, ns: str | None = None, labels: dict | None = None) -> dict:
    m = {"name": name}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    return m


def _obj_schema(props: dict | None = None, preserve: bool = False, required: list | None = None) -> dict:
    s: dict = {"type": "object"}
    if props:
        s["properties"] = props
    if preserve:
        s["x-kubernetes-preserve-unknown-fields"] = True
    if required:
        s["required"] = required
    return s


def _crd(
    group: str,
    kind: str,
    plural: str,
    version: str,
    spec_schema: dict,
    scope: str = "Namespaced",
    short: list | None = None,
    status: bool = True,
    status_schema: dict | None = None,
    singular: str | None = None,
) -> dict:
    schema = _obj_schema(
        {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec_schema,
            "status": status_schema or _obj_schema(preserve=True),
        }
    )
    v = {"name": version, "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}
    if status:
        v["subresources"] = {"status": {}}
    names = {"kind": kind, "listKind": kind + "List", "plural": plural, "singular": singular or kind.lower()}
    if short:
        names["shortNames"] = short
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {"group": group, "names": names, "scope": scope, "versions": [v]},
    }


def crds() -> list[dict]:
    # Jaeger: jaegertracing/jaeger-operator bundle/manifests/jaegertracing.io_jaegers.yaml is huge and
    # permissive (preserve-unknown-fields); strategy is a string there too.
    jaeger = _crd(
        "jaegertracing.io",
        "Jaeger",
        "jaegers",
        "v1",
        _obj_schema({"strategy": {"type": "string"}}, preserve=True),
        short=["jaeger", "jaegers"],
        status_schema=_obj_schema({"phase": {"type": "string"}, "version": {"type": "string"}}, preserve=True),
    )
    # ObjectBucketClaim: rook deploy/examples/crds.yaml (objectbucket.io_objectbucketclaims)
    obc = _crd(
        "objectbucket.io",
        "ObjectBucketClaim",
        "objectbucketclaims",
        "v1alpha1",
        _obj_schema(
            {
                "bucketName": {"type": "string"},
                "generateBucketName": {"type": "string"},
                "storageClassName": {"type": "string"},
                "objectBucketName": {"type": "string"},
                "additionalConfig": {"type": "object", "nullable": True, "additionalProperties": {"type": "string"}},
            },
            required=["storageClassName"],
        ),
        short=["obc", "obcs"],
        status_schema=_obj_schema({"phase": {"type": "string"}}, preserve=True),
    )
    ob = _crd("objectbucket.io", "ObjectBucket", "objectbuckets", "v1alpha1", _obj_schema(preserve=True), scope="Cluster", short=["ob", "obs"])
    cos = _crd("ceph.rook.io", "CephObjectStore", "cephobjectstores", "v1", _obj_schema(preserve=True), short=["cephos"])
    return [jaeger, obc, ob, cos]


def lifecycle_json(rule_id: str, days: int) -> str:
    """Rook >= 1.17 bucketLifecycle: AWS-format JSON, rules sorted by ID (domain-facts 4)."""
    return json.dumps(
        {"Rules": [{"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": days}}]}, separators=(",", ":")
    )


def _deployment(ns: str, name: str, image: str, labels: dict, replicas: int = 1, **pod) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(name, ns, labels),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": name, "image": image, **pod}]}},
        },
    }


def _service(ns: str, name: str, selector: dict, ports: list, cluster_ip: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, ns),
        "spec": {
            "type": "ClusterIP",
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "selector": selector,
            "ports": [{"name": n, "port": p, "targetPort": t, "protocol": "TCP"} for n, p, t in ports],
            "sessionAffinity": "None",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
        },
    }


def bootstrap(
    store,
    nodes: int = 6,
    rook_version: str = "1.17",
    obc_allowed_fields: str = "maxObjects,maxSize,bucketLifecycle",
    jaeger_operator: bool = True,
    block_storage_class: bool = True,
    real: bool = False,
) -> None:
    """``real``: the store is kube_store.KubeStore; the node agent registers the Nodes and the API
    server keeps the ``kubernetes`` Service, so neither is written here."""
    for i in range(1, 0 if real else nodes + 1):
        name = f"talos-node-{i:02d}"
        labels = {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64",
            "cluster": "talos-homelab",
        }
        if i <= 3:
            labels["node-role.kubernetes.io/control-plane"] = ""
        _put(
            store,
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": _meta(name, labels=labels),
                "spec": {"podCIDR": f"10.244.{i - 1}.0/24", "podCIDRs": [f"10.244.{i - 1}.0/24"]},
            },
        )
    for ns in NAMESPACES:
        _put(
            store,
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": _meta(ns, labels={"kubernetes.io/metadata.name": ns}),
                "spec": {"finalizers": ["kubernetes"]},
            },
        )
    if not real:
        kube_svc = _service("default", "kubernetes", {}, [("https", 443, 6443)], "10.96.0.1")
        kube_svc["spec"].pop("selector")
        kube_svc["metadata"]["labels"] = {"component": "apiserver", "provider": "kubernetes"}
        _put(store, kube_svc)
    for crd in crds():
        if crd["spec"]["group"] == "jaegertracing.io" and not jaeger_operator:
            continue
        _put(store, crd)
    # Jaeger operator (jaegertracing/jaeger-operator 1.65.0 manifests: namespace observability)
    if jaeger_operator:
        _put(store, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("jaeger-operator", "observability")})
        _put(
            store,
            _deployment("observability", "jaeger-operator", "jaegertracing/jaeger-operator:1.65.0", {"name": "jaeger-operator"}, args=["start"]),
        )
    # Rook
    _put(
        store,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("rook-ceph-operator-config", "rook-ceph"),
            "data": {"ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS": obc_allowed_fields, "ROOK_LOG_LEVEL": "INFO", "ROOK_CSI_ENABLE_CEPHFS": "false"},
        },
    )
    _put(store, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("rook-ceph-system", "rook-ceph")})
    _put(
        store, _deployment("rook-ceph", "rook-ceph-operator", f"rook/ceph:v{rook_version}", {"app": "rook-ceph-operator"}, args=["ceph", "operator"])
    )
    rgw_labels = {"app": "rook-ceph-rgw", "rook_object_store": "ceph-objectstore", "rgw": "ceph-objectstore"}
    _put(
        store,
        _deployment(
            "rook-ceph", "rook-ceph-rgw-ceph-objectstore-a", "quay.io/ceph/ceph:v18.2.4", rgw_labels, ports=[{"name": "http", "containerPort": 8080}]
        ),
    )
    _put(
        store,
        {
            "apiVersion": "ceph.rook.io/v1",
            "kind": "CephObjectStore",
            "metadata": _meta("ceph-objectstore", "rook-ceph"),
            "spec": {
                "metadataPool": {"replicated": {"size": 3}},
                "dataPool": {"erasureCoded": {"dataChunks": 2, "codingChunks": 1}},
                "preservePoolsOnDelete": True,
                "gateway": {"port": 80, "instances": 1},
            },
        },
    )
    store.set_status(
        "ceph.rook.io/v1",
        "CephObjectStore",
        "rook-ceph",
        "ceph-objectstore",
        {"phase": "Ready", "info": {"endpoint": f"http://{RGW_SERVICE_HOST}:80"}},
    )
    _put(store, _service("rook-ceph", "rook-ceph-rgw-ceph-objectstore", rgw_labels, [("http", 80, 8080)], "10.96.20.80"))
    _put(
        store,
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": _meta("rook-ceph-bucket"),
            "provisioner": "rook-ceph.ceph.rook.io/bucket",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "Immediate",
            "parameters": {"objectStoreName": "ceph-objectstore", "objectStoreNamespace": "rook-ceph"},
        },
    )
    if block_storage_class:
        # The block StorageClass of a rook-ceph-cluster Helm install (rook deploy/charts/rook-ceph-cluster
        # values.yaml cephBlockPools[0].storageClass: name ceph-block, isDefault true, provisioner
        # <operator namespace>.rbd.csi.ceph.com, templates/cephblockpool.yaml).
        _put(
            store,
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {**_meta("ceph-block"), "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                "provisioner": "rook-ceph.rbd.csi.ceph.com",
                "reclaimPolicy": "Delete",
                "allowVolumeExpansion": True,
                "volumeBindingMode": "Immediate",
                "parameters": {
                    "clusterID": "rook-ceph",
                    "pool": "ceph-blockpool",
                    "imageFormat": "2",
                    "imageFeatures": "layering",
                    "csi.storage.k8s.io/fstype": "ext4",
                },
            },
        )
    # Prometheus (kube-prometheus-stack naming)
    prom_labels = {"app.kubernetes.io/name": "prometheus", "prometheus": "kube-prometheus-stack-prometheus"}
    _put(store, _service("monitoring", "kube-prometheus-stack-prometheus", prom_labels, [("http-web", 9090, 9090)], "10.96.30.90"))
    _put(
        store,
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": _meta("prometheus-kube-prometheus-stack-prometheus", "monitoring", prom_labels),
            "spec": {
                "replicas": 1,
                "serviceName": "prometheus-operated",
                "selector": {"matchLabels": prom_labels},
                "updateStrategy": {"type": "RollingUpdate"},
                "template": {
                    "metadata": {"labels": prom_labels},
                    "spec": {
                        "containers": [
                            {
                                "name": "prometheus",
                                "image": "quay.io/prometheus/prometheus:v2.55.1",
                                "args": ["--web.enable-remote-write-receiver"],
                                "ports": [{"name": "http-web", "containerPort": 9090}],
                            }
                        ]
                    },
                },
            },
        },
    )
    # neighbours sharing the RGW (Loki, Velero)
    allowed = {x.strip() for x in obc_allowed_fields.split(",")}
    declare = tuple(int(x) for x in rook_version.split(".")[:2]) >= (1, 17) and "bucketLifecycle" in allowed
    for ns, claim, bucket, rule, days in NEIGHBOURS:
        spec = {"bucketName": bucket, "storageClassName": "rook-ceph-bucket"}
        if declare:
            spec["additionalConfig"] = {"bucketLifecycle": lifecycle_json(rule, days)}
        _put(
            store,
            {
                "apiVersion": "objectbucket.io/v1alpha1",
                "kind": "ObjectBucketClaim",
                "metadata": _meta(claim, ns, {"app.kubernetes.io/name": claim}),
                "spec": spec,
            },
        )


def finish_neighbours(store, s3, timeout: float = 30) -> None:
    """Wait until the neighbours' claims are Bound; put their rules through S3 when Rook does not."""
    deadline = time.monotonic() + timeout
    for ns, claim, bucket, rule, days in NEIGHBOURS:
        while True:
            obc = store.find("objectbucket.io/v1alpha1", "ObjectBucketClaim", ns, claim) or {}
            if (obc.get("status") or {}).get("phase") == "Bound":
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"claim {ns}/{claim} not Bound after {timeout}s (status {obc.get('status')})")
            time.sleep(0.1)
        if "bucketLifecycle" not in ((obc.get("spec") or {}).get("additionalConfig") or {}):
            s3.client().put_bucket_lifecycle_configuration(
                Bucket=bucket,
                LifecycleConfiguration={"Rules": [{"ID": rule, "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": days}}]},
            )


OTEL_CONFIG = """\
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
      http:
        endpoint: 0.0.0.0:4318
  hostmetrics:
    collection_interval: 30s
    scrapers:
      cpu: {}
      memory: {}
      disk: {}
      network: {}
processors:
  batch:
    timeout: 5s
    send_batch_size: 1024
  memory_limiter:
    check_interval: 1s
    limit_mib: 400
exporters:
  otlp/jaeger:
    endpoint: jaeger-collector.jaeger-system:14250
    tls:
      insecure: true
  debug:
    verbosity: basic
extensions:
  health_check:
    endpoint: 0.0.0.0:13133
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch, memory_limiter]
      exporters: [otlp/jaeger]
    metrics:
      receivers: [otlp, hostmetrics]
      processors: [batch, memory_limiter]
      exporters: [debug]
"""


def load_before_state(store) -> None:
    """The seed's cluster: OTel DaemonSet exporting to the wrong Jaeger address, Jaeger allInOne/memory."""
    for ns in ("opentelemetry", "jaeger"):
        _put(
            store,
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": _meta(ns, labels={"kubernetes.io/metadata.name": ns}),
                "spec": {"finalizers": ["kubernetes"]},
            },
        )
    labels = {"app.kubernetes.io/name": "otel-collector"}
    _put(
        store,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta("otel-collector-config", "opentelemetry", labels),
            "data": {"config.yaml": OTEL_CONFIG},
        },
    )
    _put(store, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("otel-collector", "opentelemetry", labels)})
    _put(
        store,
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": _meta("otel-collector", "opentelemetry", labels),
            "spec": {
                "selector": {"matchLabels": labels},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "otel-collector",
                        "containers": [
                            {
                                "name": "otel-collector",
                                "image": "otel/opentelemetry-collector-contrib:0.114.0",
                                "args": ["--config=/conf/config.yaml"],
                                "ports": [{"name": "otlp-grpc", "containerPort": 4317}, {"name": "otlp-http", "containerPort": 4318}],
                                "volumeMounts": [{"name": "config", "mountPath": "/conf"}],
                            }
                        ],
                        "volumes": [{"name": "config", "configMap": {"name": "otel-collector-config"}}],
                    },
                },
            },
        },
    )
    if store.registry.by_kind("jaegertracing.io/v1", "Jaeger") is not None:
        _put(
            store,
            {
                "apiVersion": "jaegertracing.io/v1",
                "kind": "Jaeger",
                "metadata": _meta("jaeger", "jaeger"),
                "spec": {
                    "strategy": "allInOne",
                    "storage": {"type": "memory", "options": {"memory": {"max-traces": 100000}}},
                    "allInOne": {"options": {"log-level": "info"}},
                },
            },
        )


def before_state_unsettled(store) -> list[str]:
    """What of the seed's starting point is not running yet (empty once it is).

    The seed describes a cluster that has been up for a while: every DaemonSet pod ready and the
    all-in-one Jaeger Deployment available.  ``serve --before-state`` waits for this before it
    reports ready, so that tests see that state however slow the machine is.
    """
    waiting = []
    for ns in ("opentelemetry", "jaeger"):
        for kind in ("DaemonSet", "Deployment"):
            for obj in store.list_kind("apps/v1", kind, ns):
                st = obj.get("status") or {}
                name = f"{kind} {ns}/{obj['metadata']['name']}"
                if kind == "DaemonSet":
                    desired = st.get("desiredNumberScheduled")
                    if desired is None or st.get("numberReady", 0) != desired:
                        waiting.append(f"{name}: {st.get('numberReady', 0)}/{desired} ready")
                elif st.get("availableReplicas", 0) < (obj.get("spec") or {}).get("replicas", 1):
                    waiting.append(f"{name}: {st.get('availableReplicas', 0)} available")
    if store.registry.by_kind("jaegertracing.io/v1", "Jaeger") is not None and not store.list_kind("apps/v1", "Deployment", "jaeger"):
        waiting.append("Deployment jaeger/jaeger: not created yet")
    return waiting
