# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hand-built snapshots from the names in docs/architecture.md (before-state and target state)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import yaml

from ansible_collections.talos_homelab.tracing.plugins.module_utils import otel_config
from ansible_collections.talos_homelab.tracing.plugins.module_utils import sampling as sampling_model

OTEL_NS, JAEGER_NS = "opentelemetry", "jaeger"
OTEL_LABELS = {"app.kubernetes.io/name": "otel-collector"}
TEMPO_LABELS = {"app.kubernetes.io/name": "tempo", "app.kubernetes.io/component": "receiver"}
QUERY_LABELS = {"app.kubernetes.io/name": "jaeger-query"}
SAMPLER_LABELS = {"app.kubernetes.io/name": "otel-sampler"}
SAMPLER_VALUES = dict(
    tail_sampler_namespace="jaeger", tail_sampler_name="otel-sampler", tail_sampler_image="", tail_sampler_replicas=3,
    tail_sampler_baseline_percentage=10, tail_sampler_hash_salt="", tail_sampler_decision_wait="10s", tail_sampler_num_traces=0,
    tail_sampler_expected_new_traces_per_sec=100, tail_sampler_expected_spans_per_sec=1000, tail_sampler_span_bytes=1024,
    tail_sampler_otlp_grpc_port=4317, tail_sampler_otlp_http_port=4318, tail_sampler_health_check_port=13133,
    tail_sampler_tempo_endpoint="jaeger-collector.jaeger:4317", tail_sampler_tempo_insecure=True,
)
SPREAD = [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
           "labelSelector": {"matchLabels": TEMPO_LABELS}}]


def params(**over):
    out = dict(otel_namespace=OTEL_NS, otel_name="otel-collector", jaeger_namespace=JAEGER_NS, storage_mode="auto",
               claim_name="jaeger-traces", claim_namespace=JAEGER_NS, retention_days=7, today="2026-12-02")
    out.update(over)
    return out


def nodes(count=6):
    out = []
    for idx in range(1, count + 1):
        labels = {"kubernetes.io/hostname": "talos-node-%02d" % idx}
        if idx <= 3:
            labels["node-role.kubernetes.io/control-plane"] = ""
        out.append(dict(name="talos-node-%02d" % idx, labels=labels, ready=True, unschedulable=False, taints=[]))
    return out


def meta(name, ns, labels=None):
    return {"name": name, "namespace": ns, "labels": dict(labels or {})}


def workload(kind, name, ns, labels, containers, replicas, ready, volumes=None, spread=None):
    spec = {"containers": containers}
    if volumes:
        spec["volumes"] = volumes
    if spread:
        spec["topologySpreadConstraints"] = spread
    obj = {"kind": kind, "metadata": meta(name, ns, labels),
           "spec": {"selector": {"matchLabels": dict(labels)}, "template": {"metadata": {"labels": dict(labels)}, "spec": spec}}}
    if kind == "DaemonSet":
        obj["status"] = {"numberReady": ready, "desiredNumberScheduled": ready}
    else:
        obj["spec"]["replicas"] = replicas
        obj["status"] = {"readyReplicas": ready, "replicas": replicas}
    return obj


def container(name, image, env=None, args=None, resources=True, env_from=None):
    c = {"name": name, "image": image}
    if env:
        c["env"] = [{"name": k, "value": v} for k, v in env.items()]
    if args:
        c["args"] = list(args)
    if env_from:
        c["envFrom"] = [{"secretRef": {"name": env_from}}]
    if resources:
        c["resources"] = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}
    return c


def service(name, ns, ports, selector):
    return {"metadata": meta(name, ns), "spec": {"selector": dict(selector), "ports": [{"port": p} for p in ports]}}


def configmap(name, ns, data):
    return {"metadata": meta(name, ns), "data": dict(data)}


def pods(labels, node_names):
    return [dict(name="pod-%d" % i, labels=dict(labels), node=n, phase="Running", ready=True) for i, n in enumerate(node_names)]


def pdb(name, labels, **spec):
    spec["selector"] = {"matchLabels": dict(labels)}
    return {"metadata": meta(name, JAEGER_NS), "spec": spec}


# ------------------------------------------------------------------ collector configs
def before_collector_config():
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {}, "http": {}}}},
        "processors": {"batch": {}},
        "exporters": {"otlp/jaeger": {"endpoint": "jaeger-collector.jaeger-system:14250", "tls": {"insecure": True}}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["otlp/jaeger"]}}},
    }


def target_collector_config():
    return {
        "receivers": {
            "otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"}, "http": {"endpoint": "0.0.0.0:4318"}}},
            "hostmetrics": {"root_path": "/hostfs", "scrapers": {"cpu": {}, "memory": {}, "disk": {}, "network": {}}},
            "kubeletstats": {"auth_type": "serviceAccount", "endpoint": "${env:K8S_NODE_NAME}:10250", "insecure_skip_verify": True},
        },
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_mib": 400, "spike_limit_mib": 80},
            "batch": {"timeout": "5s", "send_batch_size": 1024},
            "resource": {"attributes": [{"key": "cluster", "value": "talos-homelab", "action": "upsert"}]},
        },
        "exporters": {
            "loadbalancing": {"routing_key": "traceID", "protocol": {"otlp": {"tls": {"insecure": True}}},
                              "resolver": {"k8s": {"service": "otel-sampler.jaeger", "ports": [4317]}}},
            "prometheusremotewrite": {"endpoint": "http://kube-prometheus-stack-prometheus.monitoring:9090/api/v1/write"},
        },
        "extensions": {"health_check": {"endpoint": "0.0.0.0:13133"}},
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "resource", "batch"],
                           "exporters": ["loadbalancing"]},
                "metrics": {"receivers": ["otlp", "hostmetrics", "kubeletstats"], "processors": ["memory_limiter", "resource", "batch"],
                            "exporters": ["prometheusremotewrite"]},
            },
        },
    }


def head_collector_config():
    """otel_collector_sampling: head - 10% probabilistic_sampler on the agents, OTLP straight to Jaeger."""
    cfg = target_collector_config()
    cfg["processors"]["probabilistic_sampler"] = {"sampling_percentage": 10, "hash_seed": 22}
    cfg["exporters"].pop("loadbalancing")
    cfg["exporters"]["otlp/jaeger"] = {"endpoint": "jaeger-collector.jaeger:4317", "tls": {"insecure": True}}
    cfg["service"]["pipelines"]["traces"].update(processors=["memory_limiter", "probabilistic_sampler", "resource", "batch"],
                                                 exporters=["otlp/jaeger"])
    return cfg


def sampler_tier(jaeger_collector):
    """What role tail_sampler makes (its configuration rendered by module_utils/sampling.py) and the
    resolver's Role of role otel_collector, as collect.collect_sampling reads them."""
    dep = workload("Deployment", "otel-sampler", JAEGER_NS, SAMPLER_LABELS,
                   [dict(container("otel-sampler", "otel/opentelemetry-collector-contrib:0.114.0", args=["--config=/conf/config.yaml"]),
                         ports=[{"name": "otlp-grpc", "containerPort": 4317}])], 3, 3,
                   volumes=[{"name": "config", "configMap": {"name": "otel-sampler-config"}}],
                   spread=[dict(SPREAD[0], labelSelector={"matchLabels": SAMPLER_LABELS})])
    cm = configmap("otel-sampler-config", JAEGER_NS, {"config.yaml": yaml.safe_dump(otel_config.sampler_config(SAMPLER_VALUES))})
    svc = service("otel-sampler", JAEGER_NS, [4317, 4318], SAMPLER_LABELS)
    role = {"metadata": meta("otel-collector-resolver", JAEGER_NS), "rules": sampling_model.resolver_rules((0, 114, 0))}
    binding = {"metadata": meta("otel-collector-resolver", JAEGER_NS),
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "otel-collector-resolver"},
               "subjects": [{"kind": "ServiceAccount", "name": "otel-collector", "namespace": OTEL_NS}]}
    return dict(namespace=JAEGER_NS, service=svc, deployments=[dep], configmaps=[cm],
                pods=pods(SAMPLER_LABELS, ["talos-node-04", "talos-node-05", "talos-node-06"]),
                pdbs=[pdb("otel-sampler", SAMPLER_LABELS, maxUnavailable=1)], roles=[role], rolebindings=[binding],
                clusterroles=[], services={"jaeger/jaeger-collector": jaeger_collector})


def otel(config, resources=True, count=6):
    ds = workload("DaemonSet", "otel-collector", OTEL_NS, OTEL_LABELS,
                  [container("otel-collector", "otel/opentelemetry-collector-contrib:0.114.0", resources=resources)], None, count,
                  volumes=[{"name": "config", "configMap": {"name": "otel-collector-config"}}])
    ds["spec"]["template"]["spec"]["serviceAccountName"] = "otel-collector"
    return dict(daemonset=ds, deployment=None, pods=pods(OTEL_LABELS, ["talos-node-%02d" % i for i in range(1, count + 1)]),
                configmaps=[configmap("otel-collector-config", OTEL_NS, {"config.yaml": yaml.safe_dump(config)})])


def empty_storage():
    return dict(crd_missing=False, claim=None, claim_secret_keys=None, claim_configmap=None, bucket=None, endpoint_url=None,
                s3_checked=False, bucket_exists=None, lifecycle=None, s3_error=None)


def target_storage(lifecycle_days=8):
    """Tempo mode: lifecycle = block_retention + 1 day (docs/storage.md 4); grpc-plugin mode: 7 days."""
    return dict(
        crd_missing=False,
        claim={"metadata": meta("jaeger-traces", JAEGER_NS),
               "spec": {"bucketName": "jaeger-traces", "storageClassName": "rook-ceph-bucket"}, "status": {"phase": "Bound"}},
        claim_secret_keys=["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        claim_configmap={"BUCKET_HOST": "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc", "BUCKET_NAME": "jaeger-traces",
                         "BUCKET_PORT": "80", "BUCKET_REGION": "us-east-1"},
        bucket="jaeger-traces", endpoint_url="http://127.0.0.1:7480", s3_checked=True, bucket_exists=True,
        lifecycle=[{"ID": "jaeger-traces-retention", "Status": "Enabled", "Prefix": "", "Expiration": {"Days": lifecycle_days}}],
        s3_error=None,
    )


def storage_secret():
    return dict(name="jaeger-storage",
                keys=["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_BUCKET", "S3_ENDPOINT", "S3_INSECURE", "S3_REGION"],
                labels={"tracing.talos-homelab.io/source-claim": "jaeger-traces"},
                annotations={"tracing.talos-homelab.io/checksum": "abc"})


def _services_map(svcs, extra=None):
    out = {"%s/%s" % (JAEGER_NS, s["metadata"]["name"]): s for s in svcs}
    out.update(extra or {})
    return out


# ------------------------------------------------------------------ states
def before_state(node_count=6):
    """The twin's --before-state: Jaeger allInOne/memory/1 replica, exporter to jaeger-system:14250."""
    aio = {"app": "jaeger", "app.kubernetes.io/instance": "jaeger", "app.kubernetes.io/component": "all-in-one"}
    svcs = [
        service("jaeger-collector", JAEGER_NS, [9411, 14250, 14267, 14268, 14269, 4317, 4318], aio),
        service("jaeger-collector-headless", JAEGER_NS, [9411, 14250, 14267, 14268, 14269, 4317, 4318], aio),
        service("jaeger-query", JAEGER_NS, [16686, 16685, 16687], aio),
        service("jaeger-agent", JAEGER_NS, [5775, 5778, 6831, 6832], aio),
    ]
    cr = {"metadata": meta("jaeger", JAEGER_NS),
          "spec": {"strategy": "allInOne", "storage": {"type": "memory", "options": {"memory": {"max-traces": 100000}}}},
          "status": {"phase": "Running", "version": "1.65.0"}}
    return dict(
        params=params(),
        nodes=nodes(node_count),
        otel=otel(before_collector_config(), resources=False, count=node_count),
        services=_services_map(svcs, {"jaeger-system/jaeger-collector": None}),
        jaeger=dict(
            crd_missing=False, crs=[cr],
            deployments=[workload("Deployment", "jaeger", JAEGER_NS, aio,
                                  [container("jaeger", "jaegertracing/all-in-one:1.65.0", resources=False)], 1, 1)],
            statefulsets=[], services=svcs,
            configmaps=[configmap("jaeger-sampling-configuration", JAEGER_NS, {"sampling": "{}"}),
                        configmap("jaeger-ui-configuration", JAEGER_NS, {"ui": "{}"})],
            pods=pods(aio, ["talos-node-01"]), pdbs=[], storage_secret=None,
        ),
        storage=empty_storage(),
        errors=[],
    )


TEMPO_YAML = {
    "server": {"http_listen_port": 3200, "grpc_listen_port": 9095},
    "distributor": {"receivers": {"otlp": {"protocols": {"grpc": {"endpoint": "0.0.0.0:4317"},
                                                         "http": {"endpoint": "0.0.0.0:4318"}}}}},
    "compactor": {"compaction": {"block_retention": "168h", "compacted_block_retention": "1h"}},
    "memberlist": {"bind_port": 7946, "join_members": ["tempo-gossip.jaeger.svc.cluster.local:7946"]},
    "querier": {"frontend_worker": {"frontend_address": "tempo.jaeger.svc.cluster.local:9095"}},
    "storage": {"trace": {"backend": "s3", "s3": {"bucket": "${S3_BUCKET}", "endpoint": "${S3_ENDPOINT}",
                                                  "access_key": "${AWS_ACCESS_KEY_ID}", "secret_key": "${AWS_SECRET_ACCESS_KEY}",
                                                  "insecure": True, "forcepathstyle": True}}},
}


def target_tempo(node_count=6):
    """What the site playbook produces in the default storage mode tempo."""
    tempo = container("tempo", "docker.io/grafana/tempo:2.10.8", args=["-config.file=/conf/tempo.yaml", "-config.expand-env=true"],
                      env_from="jaeger-storage")
    tempo["volumeMounts"] = [{"name": "conf", "mountPath": "/conf"}, {"name": "data", "mountPath": "/var/tempo"}]
    sts = workload("StatefulSet", "tempo", JAEGER_NS, TEMPO_LABELS, [tempo], 3, 3,
                   volumes=[{"name": "conf", "configMap": {"name": "tempo"}}], spread=SPREAD)
    sts["spec"]["volumeClaimTemplates"] = [{"metadata": {"name": "data"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "storageClassName": "ceph-block", "resources": {"requests": {"storage": "10Gi"}}}}]
    claims = [{"metadata": meta("data-tempo-%d" % i, JAEGER_NS), "spec": {"storageClassName": "ceph-block"},
               "status": {"phase": "Bound"}} for i in range(3)]
    query = workload("Deployment", "jaeger-query", JAEGER_NS, QUERY_LABELS,
                     [container("jaeger-query", "docker.io/jaegertracing/jaeger-query:1.68.0",
                                env={"SPAN_STORAGE_TYPE": "grpc", "GRPC_STORAGE_SERVER": "localhost:7777"}),
                      container("tempo-query", "docker.io/grafana/tempo-query:2.10.8", args=["-config=/conf/tempo-query.yaml"])],
                     2, 2,
                     volumes=[{"name": "config", "configMap": {"name": "tempo", "items": [
                         {"key": "tempo-query.yaml", "path": "tempo-query.yaml"}]}}],
                     spread=[dict(SPREAD[0], whenUnsatisfiable="ScheduleAnyway")])
    svcs = [
        service("tempo", JAEGER_NS, [3200, 9095], TEMPO_LABELS),
        service("tempo-gossip", JAEGER_NS, [7946], TEMPO_LABELS),
        service("jaeger-collector", JAEGER_NS, [4317, 4318], TEMPO_LABELS),
        service("jaeger-query", JAEGER_NS, [16686, 16685], QUERY_LABELS),
    ]
    tier = sampler_tier(svcs[2])
    svcs.append(tier["service"])
    return dict(
        sampling=tier,
        params=params(),
        nodes=nodes(node_count),
        otel=otel(target_collector_config(), count=node_count),
        services=_services_map(svcs, {"monitoring/kube-prometheus-stack-prometheus": service(
            "kube-prometheus-stack-prometheus", "monitoring", [9090], {"app": "prometheus"})}),
        jaeger=dict(
            crd_missing=False, crs=[], deployments=[query] + tier["deployments"], statefulsets=[sts], services=svcs,
            configmaps=[configmap("tempo", JAEGER_NS, {"tempo.yaml": yaml.safe_dump(TEMPO_YAML),
                                                       "tempo-query.yaml": "address: 0.0.0.0:7777\nbackend: tempo:3200\n"}),
                        configmap("jaeger-traces", JAEGER_NS, {"BUCKET_HOST": "rook-ceph-rgw-ceph-objectstore.rook-ceph.svc",
                                                               "BUCKET_NAME": "jaeger-traces", "BUCKET_PORT": "80"})] + tier["configmaps"],
            pods=pods(TEMPO_LABELS, ["talos-node-01", "talos-node-02", "talos-node-03"])
            + pods(QUERY_LABELS, ["talos-node-04", "talos-node-05"]) + tier["pods"],
            pdbs=[pdb("tempo", TEMPO_LABELS, minAvailable=2), pdb("jaeger-query", QUERY_LABELS, minAvailable=1)] + tier["pdbs"],
            pvcs=claims,
            storage_secret=storage_secret(),
        ),
        storage=target_storage(),
        errors=[],
    )


def target_grpc_plugin(node_count=6):
    """grpc-plugin (operator) mode: Jaeger CR production with the guards (Jaeger < 1.60 pinned)."""
    col = {"app": "jaeger", "app.kubernetes.io/instance": "jaeger", "app.kubernetes.io/component": "collector"}
    qry = {"app": "jaeger", "app.kubernetes.io/instance": "jaeger", "app.kubernetes.io/component": "query"}
    cr = {"metadata": meta("jaeger", JAEGER_NS),
          "spec": {"strategy": "production",
                   "storage": {"type": "grpc-plugin", "secretName": "jaeger-storage",
                               "grpcPlugin": {"image": "ghcr.io/example/jaeger-s3-plugin:0.3.0"},
                               "options": {"grpc-storage-plugin": {"binary": "/plugin/s3-plugin",
                                                                   "configuration-file": "/plugin-config/config.yaml"}}},
                   "collector": {"replicas": 3, "image": "jaegertracing/jaeger-collector:1.57.0"},
                   "query": {"replicas": 2, "image": "jaegertracing/jaeger-query:1.57.0"},
                   "sampling": {"options": {"default_strategy": {"type": "probabilistic", "param": 0.1}}}},
          "status": {"phase": "Running", "version": "1.57.0"}}
    svcs = [service("jaeger-collector", JAEGER_NS, [9411, 14250, 14267, 14268, 14269, 4317, 4318], col),
            service("jaeger-query", JAEGER_NS, [16686, 16685, 16687], qry)]
    snap = target_tempo(node_count)
    snap["sampling"] = sampler_tier(svcs[0])
    svcs.append(snap["sampling"]["service"])
    snap["params"] = params(storage_mode="grpc-plugin")
    snap["storage"] = target_storage(lifecycle_days=7)
    snap["services"] = _services_map(svcs, {"monitoring/kube-prometheus-stack-prometheus": snap["services"][
        "monitoring/kube-prometheus-stack-prometheus"]})
    snap["jaeger"] = dict(
        crd_missing=False, crs=[cr],
        deployments=[
            workload("Deployment", "jaeger-collector", JAEGER_NS, col,
                     [container("jaeger-collector", "jaegertracing/jaeger-collector:1.57.0", env_from="jaeger-storage")], 3, 3,
                     spread=SPREAD),
            workload("Deployment", "jaeger-query", JAEGER_NS, qry,
                     [container("jaeger-query", "jaegertracing/jaeger-query:1.57.0", env_from="jaeger-storage")], 2, 2,
                     spread=SPREAD),
        ],
        statefulsets=[], services=svcs,
        configmaps=[configmap("jaeger-sampling-configuration", JAEGER_NS, {"sampling": "{}"})],
        pods=pods(col, ["talos-node-01", "talos-node-02", "talos-node-03"]) + pods(qry, ["talos-node-04", "talos-node-05"]),
        pdbs=[pdb("jaeger-collector", col, minAvailable=2), pdb("jaeger-query", qry, minAvailable=1)],
        storage_secret=storage_secret(),
    )
    return snap


def converged_0_1_0(node_count=6):
    """What release 0.1.0's defaults converged: Tempo 2.6.1 / tempo-query 2.6.1 / jaeger-query 1.62.0, WAL on emptyDir."""
    snap = target_tempo(node_count)
    sts = snap["jaeger"]["statefulsets"][0]
    del sts["spec"]["volumeClaimTemplates"]
    sts["spec"]["template"]["spec"]["volumes"].append({"name": "data", "emptyDir": {}})
    sts["spec"]["template"]["spec"]["containers"][0]["image"] = "docker.io/grafana/tempo:2.6.1"
    query = snap["jaeger"]["deployments"][0]["spec"]["template"]["spec"]["containers"]
    query[0]["image"] = "docker.io/jaegertracing/jaeger-query:1.62.0"
    query[1]["image"] = "docker.io/grafana/tempo-query:2.6.1"
    snap["jaeger"]["pvcs"] = []
    return snap


def clone(snap):
    return copy.deepcopy(snap)
