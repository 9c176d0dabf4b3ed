"""Jaeger operator simulation (jaegertracing/jaeger-operator 1.65.0, the last release).

Sources (domain-facts.md section 2):
* ``apis/v1/jaeger_types.go``: strategy normalisation (``allinone``/``production``/``streaming``,
  case-insensitive, anything else -> allInOne); storage types memory, cassandra,
  elasticsearch, kafka, badger, grpc-plugin.
* ``pkg/strategy/controller.go``: memory/badger storage force allInOne; an unknown storage type
  falls back to memory with only a log line.
* ``pkg/deployment/collector.go``, ``query.go``, ``all_in_one.go``: Deployments, images
  ``jaegertracing/{all-in-one,jaeger-collector,jaeger-query}:<version>``, ``SPAN_STORAGE_TYPE``,
  ``envFrom`` secretRef for ``spec.storage.secretName``; options flattened to ``--a.b=x``.
* ``apis/v1/options.go`` Filter: only options under the storage type's prefix survive
  (``grpc-storage-plugin.`` for grpc-plugin; ``es.``/``es-archive.`` for elasticsearch ...).
* ``pkg/autoscale``: with ``collector.replicas`` unset (and autoscale not disabled) an HPA
  ``<name>-collector`` with min ``minReplicas`` (1) / max ``maxReplicas`` (100) and the
  Deployment starts at 1 replica; ``replicas`` disables the HPA.
* ``pkg/service/*.go``: Services with their real ports.
* ``pkg/config/sampling``, ``pkg/config/ui``: ConfigMaps ``<name>-sampling-configuration``
  (default ``{"default_strategy":{"type":"probabilistic","param":1}}``) and ``<name>-ui-configuration``.
* ``pkg/storage/grpc_plugin.go``: init container ``install-plugin`` copying the plugin to ``/plugin``.

status.phase: the operator reconciles, then waits for its Deployments to become stable
(``pkg/controller/jaeger``); success -> ``Running``, an error -> ``Failed``.  The twin sets
``Running`` when every Deployment of the CR is available, ``Failed`` as soon as one of its pods
crash-loops (the real operator reports Failed only after its stability wait times out; the twin
skips the wait so tests do not sleep for minutes), and leaves it empty/unchanged while pods
are merely not ready yet (e.g. a missing storage Secret), which is what the real CR shows
while the operator is still waiting.

Crash-loop of Jaeger >= 1.60 with ``SPAN_STORAGE_TYPE=grpc-plugin``: jaegertracing/jaeger
CHANGELOG 1.60.0 removed the grpc-plugin storage type (renamed ``grpc`` in 1.58); the binary
exits at start-up with an unknown storage type error.  Implemented as a readiness hook on the
container image/env, so it also applies to hand-written Deployments.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Optional

from ..store import now_iso
from . import ensure, owner_ref, stable_hash

log = logging.getLogger("twin.jaeger")

OPERATOR_VERSION = "1.65.0"
API = "jaegertracing.io/v1"
STORAGE_TYPES = ("memory", "cassandra", "elasticsearch", "kafka", "badger", "grpc-plugin")
OPTION_PREFIXES = {
    "memory": ("memory.",),
    "badger": ("badger.",),
    "cassandra": ("cassandra.", "cassandra-archive."),
    "elasticsearch": ("es.", "es-archive."),
    "kafka": ("kafka.",),
    "grpc-plugin": ("grpc-storage-plugin.",),
}
COLLECTOR_PORTS = [
    ("http-zipkin", 9411),
    ("grpc-jaeger", 14250),
    ("c-tchan-trft", 14267),
    ("http-c-binary-trft", 14268),
    ("admin-http", 14269),
    ("grpc-otlp", 4317),
    ("http-otlp", 4318),
]
# The container ports carry the operator's shorter names (a container port name is an IANA_SVC_NAME, at
# most 15 characters, which the real API server checks): jaeger-operator 1.65.0 pkg/deployment/
# collector.go and all_in_one.go name 14268 "c-binary-trft", 9411 "zipkin", 14250 "grpc", 16686 "query",
# while pkg/service/collector.go names the Service ports as COLLECTOR_PORTS above.
CONTAINER_PORT_NAMES = {"http-c-binary-trft": "c-binary-trft", "http-zipkin": "zipkin", "grpc-jaeger": "grpc", "http-query": "query"}
QUERY_PORTS = [("http-query", 16686), ("grpc-query", 16685), ("admin-http", 16687)]
AGENT_PORTS = [("zk-compact-trft", 5775, "UDP"), ("config-rest", 5778, "TCP"), ("jg-compact-trft", 6831, "UDP"), ("jg-binary-trft", 6832, "UDP")]


def parse_version(image: str) -> Optional[tuple]:
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    m = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", tag)
    if not m:
        return None  # latest / digest: treated as the newest release
    return tuple(int(x or 0) for x in m.groups())


def flatten(options: dict, prefix: str = "") -> dict:
    """apis/v1/options.go: nested maps become dotted keys."""
    out = {}
    for k, v in (options or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = "true" if v is True else "false" if v is False else str(v)
    return out


def normalise_strategy(value) -> str:
    v = str(value or "").lower()
    return {"production": "production", "streaming": "streaming"}.get(v, "allInOne")


def plan(cr: dict) -> dict:
    """Pure: what the operator decides for a CR."""
    spec = cr.get("spec") or {}
    storage = spec.get("storage") or {}
    stype = str(storage.get("type") or "memory").lower()
    logs = []
    if stype not in STORAGE_TYPES:
        logs.append(f'unknown storage type "{stype}", falling back to memory')
        stype = "memory"
    strategy = normalise_strategy(spec.get("strategy"))
    if stype in ("memory", "badger") and strategy != "allInOne":
        logs.append(f"storage type {stype} requires the allInOne strategy: using allInOne")
        strategy = "allInOne"
    opts = flatten(storage.get("options") or {})
    kept = {k: v for k, v in opts.items() if k.startswith(OPTION_PREFIXES[stype])}
    args = [f"--{k}={v}" for k, v in sorted(kept.items())]
    return {"strategy": strategy, "storage": stype, "args": args, "dropped": sorted(set(opts) - set(kept)), "logs": logs}


def crashloop_hook(workloads, pod: dict, c: dict):
    """Jaeger >= 1.60 refuses SPAN_STORAGE_TYPE=grpc-plugin at start-up (CHANGELOG 1.60.0); 1.58/1.59 no longer load plugins."""
    image = c.get("image", "")
    if "jaegertracing/" not in image:
        return None
    env = {e.get("name"): e.get("value") for e in c.get("env") or [] if "value" in e}
    args = " ".join(c.get("args") or [])
    if env.get("SPAN_STORAGE_TYPE") != "grpc-plugin" and "--span-storage.type=grpc-plugin" not in args:
        return None
    v = parse_version(image)
    if v is None or v >= (1, 60, 0):
        return (
            "CrashLoopBackOff",
            f"back-off 5m0s restarting failed container={c.get('name')}: unknown storage type grpc-plugin "
            "(removed in Jaeger 1.60; use grpc remote storage)",
            "waiting",
        )
    if v >= (1, 58, 0) and "--grpc-storage.server" not in args and not env.get("GRPC_STORAGE_SERVER"):
        # 1.58 removed the sidecar plugin model (jaegertracing/jaeger PR #5388, docs/storage.md 1):
        # `grpc-plugin` only names remote storage now, the plugin binary is never started, and
        # without a remote server address the storage factory fails at start-up. The exact
        # start-up message of 1.58/1.59 is UNCONFIRMED; that it cannot serve traces is not.
        return (
            "CrashLoopBackOff",
            f"back-off 5m0s restarting failed container={c.get('name')}: grpc-plugin storage without a remote "
            "server (plugin binaries are not loaded since Jaeger 1.58)",
            "waiting",
        )
    return None


class JaegerOperator:
    def __init__(self, store, hooks, enabled: bool = True) -> None:
        self.store = store
        self.enabled = enabled
        self.logged: set = set()
        hooks.container_hooks.append(crashloop_hook)

    def reconcile(self) -> None:
        if not self.enabled or self.store.registry.by_kind(API, "Jaeger") is None:
            return
        for cr in self.store.list_kind(API, "Jaeger"):
            if cr["metadata"].get("deletionTimestamp"):
                continue
            self._one(cr)

    # ------------------------------------------------------------ objects
    def _labels(self, cr: dict, component: str) -> dict:
        name = cr["metadata"]["name"]
        return {
            "app": "jaeger",
            "app.kubernetes.io/name": f"{name}" if component == "all-in-one" else f"{name}-{component}",
            "app.kubernetes.io/instance": name,
            "app.kubernetes.io/component": component,
            "app.kubernetes.io/part-of": "jaeger",
            "app.kubernetes.io/managed-by": "jaeger-operator",
        }

    def _meta(self, cr: dict, name: str, component: str) -> dict:
        return {"name": name, "namespace": cr["metadata"]["namespace"], "labels": self._labels(cr, component), "ownerReferences": [owner_ref(cr)]}

    def _service(self, cr: dict, name: str, component: str, selector: dict, ports: list, headless: bool = False) -> dict:
        spec = {
            "selector": selector,
            "ports": [{"name": p[0], "port": p[1], "targetPort": p[1], "protocol": p[2] if len(p) > 2 else "TCP"} for p in ports],
        }
        spec.update({"type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster"})
        if headless:
            spec["clusterIP"] = "None"
            spec["clusterIPs"] = ["None"]
        else:
            # stand-in for the apiserver's clusterIP allocation (ipallocator), deterministic per name
            h = int(stable_hash([cr["metadata"]["namespace"], name], 8), 36)
            spec["clusterIP"] = f"10.96.{100 + h % 150}.{2 + (h // 150) % 250}"
            spec["clusterIPs"] = [spec["clusterIP"]]
            spec.update({"ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack"})
        return {"apiVersion": "v1", "kind": "Service", "metadata": self._meta(cr, name, "service-" + component), "spec": spec}

    def _container(self, cr: dict, component: str, image: str, p: dict, ports: list) -> dict:
        spec = cr.get("spec") or {}
        storage = spec.get("storage") or {}
        env = [{"name": "SPAN_STORAGE_TYPE", "value": p["storage"]}]
        if component in ("collector", "all-in-one"):
            env += [{"name": "COLLECTOR_ZIPKIN_HOST_PORT", "value": ":9411"}, {"name": "COLLECTOR_OTLP_ENABLED", "value": "true"}]
        c = {
            "name": "jaeger" if component == "all-in-one" else f"jaeger-{component}",
            "image": image,
            "args": list(p["args"]) + (["--sampling.strategies-file=/etc/jaeger/sampling/sampling.json"] if component != "query" else []),
            "env": env,
            "ports": [{"name": CONTAINER_PORT_NAMES.get(n, n), "containerPort": port} for n, port in ports],
            "readinessProbe": {
                "httpGet": {"path": "/", "port": 14269 if component == "collector" else 14269 if component == "all-in-one" else 16687}
            },
            "volumeMounts": [],
        }
        if storage.get("secretName"):
            c["envFrom"] = [{"secretRef": {"name": storage["secretName"]}}]
        if component != "query":
            c["volumeMounts"].append(
                {"name": f"{cr['metadata']['name']}-sampling-configuration-volume", "mountPath": "/etc/jaeger/sampling", "readOnly": True}
            )
        if component != "collector":
            c["volumeMounts"].append({"name": f"{cr['metadata']['name']}-ui-configuration-volume", "mountPath": "/etc/config", "readOnly": True})
        if p["storage"] == "grpc-plugin":
            c["volumeMounts"].append({"name": "plugin-volume", "mountPath": "/plugin"})
        c["volumeMounts"] += list(spec.get("volumeMounts") or []) + list((spec.get(component) or {}).get("volumeMounts") or [])
        return c

    def _deployment(self, cr: dict, name: str, component: str, image: str, p: dict, ports: list, replicas: int) -> dict:
        spec = cr.get("spec") or {}
        labels = self._labels(cr, component)
        cname = cr["metadata"]["name"]
        volumes = []
        if component != "query":
            volumes.append(
                {
                    "name": f"{cname}-sampling-configuration-volume",
                    "configMap": {"name": f"{cname}-sampling-configuration", "items": [{"key": "sampling", "path": "sampling.json"}]},
                }
            )
        if component != "collector":
            volumes.append(
                {
                    "name": f"{cname}-ui-configuration-volume",
                    "configMap": {"name": f"{cname}-ui-configuration", "items": [{"key": "ui", "path": "ui.json"}]},
                }
            )
        pod_spec = {
            "containers": [self._container(cr, component, image, p, ports)],
            "serviceAccountName": cname,
            "volumes": volumes + list(spec.get("volumes") or []) + list((spec.get(component) or {}).get("volumes") or []),
        }
        storage = spec.get("storage") or {}
        if p["storage"] == "grpc-plugin":
            plug = (storage.get("grpcPlugin") or {}).get("image")
            pod_spec["volumes"].append({"name": "plugin-volume", "emptyDir": {}})
            if plug:
                pod_spec["initContainers"] = [
                    {"name": "install-plugin", "image": plug, "volumeMounts": [{"name": "plugin-volume", "mountPath": "/plugin"}]}
                ]
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self._meta(cr, name, component),
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "strategy": {"type": "Recreate"} if component == "all-in-one" else {"type": "RollingUpdate"},
                "template": {
                    "metadata": {"labels": labels, "annotations": {"sidecar.istio.io/inject": "false", "prometheus.io/scrape": "true"}},
                    "spec": pod_spec,
                },
            },
        }

    def _one(self, cr: dict) -> None:
        s = self.store
        ns, name = cr["metadata"]["namespace"], cr["metadata"]["name"]
        spec = cr.get("spec") or {}
        p = plan(cr)
        for line in p["logs"]:
            key = (cr["metadata"]["uid"], line)
            if key not in self.logged:
                self.logged.add(key)
                log.warning("jaeger %s/%s: %s", ns, name, line)
        version = OPERATOR_VERSION
        base_image = spec.get("image")
        want: list[dict] = []
        # ConfigMaps (all strategies)
        sampling = (spec.get("sampling") or {}).get("options") or {"default_strategy": {"type": "probabilistic", "param": 1}}
        want.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": self._meta(cr, f"{name}-sampling-configuration", "sampling-configuration"),
                "data": {"sampling": json.dumps(sampling)},
            }
        )
        want.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": self._meta(cr, f"{name}-ui-configuration", "ui-configuration"),
                "data": {
                    "ui": json.dumps(
                        (spec.get("ui") or {}).get("options")
                        or {
                            "menu": [
                                {"label": "About Jaeger", "items": [{"label": "Documentation", "url": "https://www.jaegertracing.io/docs/latest"}]}
                            ]
                        }
                    )
                },
            }
        )
        want.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": self._meta(cr, name, "service-account")})
        deployments = []
        if p["strategy"] == "allInOne":
            image = (spec.get("allInOne") or {}).get("image") or base_image or f"jaegertracing/all-in-one:{version}"
            sel = self._labels(cr, "all-in-one")
            d = self._deployment(cr, name, "all-in-one", image, p, COLLECTOR_PORTS + QUERY_PORTS[:2], 1)
            deployments.append(d)
            coll_sel = query_sel = sel
        else:
            cspec, qspec = spec.get("collector") or {}, spec.get("query") or {}
            cimage = cspec.get("image") or base_image or f"jaegertracing/jaeger-collector:{version}"
            qimage = qspec.get("image") or base_image or f"jaegertracing/jaeger-query:{version}"
            hpa = cspec.get("replicas") is None and cspec.get("autoscale", True) is not False
            creplicas = int(cspec["replicas"]) if cspec.get("replicas") is not None else int(cspec.get("minReplicas") or 1)
            deployments.append(self._deployment(cr, f"{name}-collector", "collector", cimage, p, COLLECTOR_PORTS, creplicas))
            deployments.append(self._deployment(cr, f"{name}-query", "query", qimage, p, QUERY_PORTS, int(qspec.get("replicas") or 1)))
            coll_sel, query_sel = self._labels(cr, "collector"), self._labels(cr, "query")
            if hpa:
                want.append(
                    {
                        "apiVersion": "autoscaling/v2",
                        "kind": "HorizontalPodAutoscaler",
                        "metadata": self._meta(cr, f"{name}-collector", "collector"),
                        "spec": {
                            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{name}-collector"},
                            "minReplicas": int(cspec.get("minReplicas") or 1),
                            "maxReplicas": int(cspec.get("maxReplicas") or 100),
                            "metrics": [
                                {"type": "Resource", "resource": {"name": n, "target": {"type": "Utilization", "averageUtilization": 90}}}
                                for n in ("cpu", "memory")
                            ],
                        },
                    }
                )
            else:
                s.delete_kind("autoscaling/v2", "HorizontalPodAutoscaler", ns, f"{name}-collector") if s.find(
                    "autoscaling/v2", "HorizontalPodAutoscaler", ns, f"{name}-collector"
                ) else None
        want += deployments
        want.append(self._service(cr, f"{name}-collector", "collector", coll_sel, COLLECTOR_PORTS))
        want.append(self._service(cr, f"{name}-collector-headless", "collector", coll_sel, COLLECTOR_PORTS, headless=True))
        want.append(self._service(cr, f"{name}-query", "query", query_sel, QUERY_PORTS[:2]))
        want.append(
            self._service(
                cr, f"{name}-agent", "agent", coll_sel if p["strategy"] == "allInOne" else self._labels(cr, "agent"), AGENT_PORTS, headless=True
            )
        )
        wanted_keys = set()
        for obj in want:
            ensure(s, obj)
            wanted_keys.add((obj["kind"], obj["metadata"]["name"]))
        # strategy changes: delete what this CR owns but no longer wants (operator inventory diff)
        for kind, api in (("Deployment", "apps/v1"), ("Service", "v1"), ("HorizontalPodAutoscaler", "autoscaling/v2")):
            for o in s.list_kind(api, kind, ns):
                if (kind, o["metadata"]["name"]) not in wanted_keys and any(
                    r.get("uid") == cr["metadata"]["uid"] for r in o["metadata"].get("ownerReferences") or []
                ):
                    s.delete_kind(api, kind, ns, o["metadata"]["name"])
        self._status(cr, [d["metadata"]["name"] for d in deployments])

    def _status(self, cr: dict, deployment_names: list) -> None:
        s = self.store
        ns = cr["metadata"]["namespace"]
        crash = False
        ready = True
        for dn in deployment_names:
            d = s.find("apps/v1", "Deployment", ns, dn)
            st = (d or {}).get("status") or {}
            if (
                not d
                or st.get("observedGeneration") != d["metadata"].get("generation")
                or (st.get("availableReplicas") or 0) < int(d["spec"].get("replicas", 1))
            ):
                ready = False
            if not d:
                continue
            rs_uids = {
                rs["metadata"]["uid"]
                for rs in s.list_kind("apps/v1", "ReplicaSet", ns)
                if any(r.get("uid") == d["metadata"]["uid"] for r in rs["metadata"].get("ownerReferences") or [])
            }
            for pod in s.list_kind("v1", "Pod", ns):
                if any(r.get("uid") in rs_uids for r in pod["metadata"].get("ownerReferences") or []):
                    for c in (pod.get("status") or {}).get("containerStatuses") or []:
                        if (c.get("state") or {}).get("waiting", {}).get("reason") == "CrashLoopBackOff":
                            crash = True
        cur = cr.get("status") or {}
        phase = "Failed" if crash else "Running" if ready else cur.get("phase", "")
        want = dict(cur)
        want["version"] = OPERATOR_VERSION if not (cr.get("spec") or {}).get("image") else want.get("version", OPERATOR_VERSION)
        if phase:
            want["phase"] = phase
        if want != cur:
            s.set_status(API, "Jaeger", ns, cr["metadata"]["name"], want)


_unused = now_iso  # imported for symmetry with other controllers
