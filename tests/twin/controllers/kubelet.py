"""The kubelet's part of the twin: the status a node reports for a pod bound to it.

One implementation for both backends: the emulator's workloads controller (workloads.Workloads
subclasses ``Kubelet``) and the real backend's node agent (nodeagent.PodStatusAgent), which
writes it through pods/status of the real API server.

Upstream behaviours emulated (kubernetes/kubernetes at v1.34.4):
* pkg/kubelet/kubelet_pods.go makeEnvironmentVariables: a container whose env/envFrom references
  a missing Secret/ConfigMap (or key) and is not ``optional`` stays Waiting with reason
  ``CreateContainerConfigError``; a missing Secret/ConfigMap volume keeps the pod in
  ``ContainerCreating`` (pkg/kubelet/volumemanager, FailedMount); the phase stays Pending then;
* pkg/kubelet/kubelet_pods.go getPhase / generateAPIPodStatus: Running once a container runs,
  conditions PodReadyToStartContainers/Initialized/Ready/ContainersReady/PodScheduled
  (pkg/kubelet/status/generate.go); a Job pod's containers run to completion (Succeeded);
* container start-up (image pull, flags, configuration): controllers/startup.py; readiness hooks
  of the other simulations (controllers/jaeger.py, tempo.py);
* env ``$(VAR)`` expansion: third_party/forked/golang/expansion.
"""

from __future__ import annotations

import base64
from typing import Optional

from ..store import now_iso
from . import merge_condition, stable_hash, startup


def job_pod(pod: dict) -> bool:
    """A pod whose controller is a Job."""
    return any(r.get("kind") == "Job" and r.get("controller") for r in pod["metadata"].get("ownerReferences") or [])


def qos_class(pod: dict) -> str:
    """The pod's QoS class (kubernetes v1.34.4 pkg/apis/core/helper/qos/qos.go GetPodQOS): BestEffort
    without any request or limit, Guaranteed when every container limits cpu and memory and requests
    equal limits (a missing request defaults to the limit), else Burstable.  The API server sets it at
    create and refuses to change it, so a status carries it unchanged."""
    containers = (pod["spec"].get("containers") or []) + (pod["spec"].get("initContainers") or [])
    res = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in res):
        return "BestEffort"
    for r in res:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        if any(k not in limits or requests.get(k, limits[k]) != limits[k] for k in ("cpu", "memory")):
            return "Burstable"
    return "Guaranteed"


class Kubelet:
    """Pod status from the kubelet's rules; ``store`` and ``hooks`` as the controllers'."""

    def __init__(self, store, hooks) -> None:
        self.store = store
        self.hooks = hooks

    def pod_ip(self, pod: dict, node: str) -> str:
        """The pod's IP: stable per pod name, in a /24 per node."""
        return f"10.244.{self.node_index(node)}.{2 + int(stable_hash(pod['metadata']['name'], 6), 36) % 250}"

    def host_ip(self, node: str) -> str:
        return f"10.0.0.{10 + self.node_index(node)}"

    def node_index(self, name: str) -> int:
        for i, n in enumerate(self.store.list_kind("v1", "Node")):
            if n["metadata"]["name"] == name:
                return i
        return 0

    def _lookup(self, kind: str, ns: str, name: str) -> Optional[dict]:
        return self.store.find("v1", kind, ns, name)

    def config_error(self, pod: dict, c: dict) -> Optional[str]:
        """makeEnvironmentVariables: the message kubelet reports for CreateContainerConfigError."""
        ns = pod["metadata"]["namespace"]
        for ef in c.get("envFrom") or []:
            for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
                ref = ef.get(key)
                if ref and not ref.get("optional") and self._lookup(kind, ns, ref.get("name", "")) is None:
                    return f'{kind.lower()} "{ref.get("name")}" not found'
        for e in c.get("env") or []:
            vf = e.get("valueFrom") or {}
            for kind, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
                ref = vf.get(key)
                if not ref or ref.get("optional"):
                    continue
                obj = self._lookup(kind, ns, ref.get("name", ""))
                if obj is None:
                    return f'{kind.lower()} "{ref.get("name")}" not found'
                data = {**(obj.get("data") or {}), **(obj.get("binaryData") or {})}
                if ref.get("key") not in data:
                    return f"couldn't find key {ref.get('key')} in {kind} {ns}/{ref.get('name')}"
        return None

    def volume_error(self, pod: dict) -> Optional[str]:
        ns = pod["metadata"]["namespace"]
        for v in pod["spec"].get("volumes") or []:
            for kind, key, nk in (("Secret", "secret", "secretName"), ("ConfigMap", "configMap", "name")):
                src = v.get(key)
                if src and not src.get("optional") and self._lookup(kind, ns, src.get(nk, "")) is None:
                    return f'MountVolume.SetUp failed for volume "{v.get("name")}" : {kind.lower()} "{src.get(nk)}" not found'
        return None

    def container_env(self, pod: dict, c: dict) -> dict:
        """The environment kubelet would give the container (envFrom then env; decoded)."""
        ns = pod["metadata"]["namespace"]
        env: dict = {}
        for ef in c.get("envFrom") or []:
            prefix = ef.get("prefix", "")
            if ef.get("secretRef"):
                obj = self._lookup("Secret", ns, ef["secretRef"].get("name", "")) or {}
                for k, v in (obj.get("data") or {}).items():
                    env[prefix + k] = _b64(v)
            if ef.get("configMapRef"):
                obj = self._lookup("ConfigMap", ns, ef["configMapRef"].get("name", "")) or {}
                for k, v in (obj.get("data") or {}).items():
                    env[prefix + k] = v
        for e in c.get("env") or []:
            if "value" in e:
                env[e["name"]] = _expand(e["value"], env)
            vf = e.get("valueFrom") or {}
            if vf.get("secretKeyRef"):
                obj = self._lookup("Secret", ns, vf["secretKeyRef"].get("name", "")) or {}
                if vf["secretKeyRef"].get("key") in (obj.get("data") or {}):
                    env[e["name"]] = _b64(obj["data"][vf["secretKeyRef"]["key"]])
            if vf.get("configMapKeyRef"):
                obj = self._lookup("ConfigMap", ns, vf["configMapKeyRef"].get("name", "")) or {}
                if vf["configMapKeyRef"].get("key") in (obj.get("data") or {}):
                    env[e["name"]] = obj["data"][vf["configMapKeyRef"]["key"]]
        return env

    def pod_ready(self, pod: dict) -> bool:
        st = pod.get("status") or {}
        if st.get("phase") in (None, ""):
            st = self.compute_status(pod)
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or [])

    def compute_status(self, pod: dict) -> dict:
        """The status the kubelet of ``pod``'s node reports (the pod is bound: ``spec.nodeName``)."""
        cur = pod.get("status") or {}
        now = now_iso()
        spec = pod["spec"]
        node = spec["nodeName"]
        ip = self.pod_ip(pod, node)
        vol_err = self.volume_error(pod)
        statuses = []
        any_running = False
        all_ready = True
        for c in spec.get("containers") or []:
            old = next((x for x in cur.get("containerStatuses") or [] if x.get("name") == c.get("name")), {})
            # startup.py: image pull and the binary's own start-up checks (upstream facts)
            state = None if vol_err or self.config_error(pod, c) else startup.container_start(self, pod, c, old)
            last, restarts = (state.pop("lastState", None), state.pop("restartCount", 0)) if state else (None, None)
            state, ready = (state, False) if state else self._container_state(pod, c, vol_err)
            any_running = any_running or "running" in state
            all_ready = all_ready and ready
            if "running" in state and "running" in (old.get("state") or {}):
                state = old["state"]  # keep startedAt
            cs = {
                "name": c.get("name"),
                "image": c.get("image", ""),
                "imageID": "",
                "ready": ready,
                "restartCount": restarts if restarts is not None else 5 if state.get("waiting", {}).get("reason") == "CrashLoopBackOff" else 0,
                "started": "running" in state,
                "state": state,
                **({"lastState": last} if last else {}),
            }
            if "running" in state:
                cs["containerID"] = f"containerd://{stable_hash([pod['metadata'].get('uid'), c.get('name')], 32)}"
            statuses.append(cs)
        init_done = vol_err is None and all(self.config_error(pod, c) is None for c in spec.get("initContainers") or [])
        phase = "Running" if any_running else "Pending"

        def cond(t, ok, reason=None):
            return merge_condition(
                cur.get("conditions"),
                {"type": t, "status": "True" if ok else "False", **({"reason": reason} if not ok and reason else {})},
                now,
            )

        status = {
            "phase": phase,
            "hostIP": self.host_ip(node),
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "qosClass": cur.get("qosClass") or qos_class(pod),
            "startTime": cur.get("startTime", now),
            "conditions": [
                cond("PodReadyToStartContainers", vol_err is None),
                cond("Initialized", init_done, "ContainersNotInitialized"),
                cond("Ready", all_ready, "ContainersNotReady"),
                cond("ContainersReady", all_ready, "ContainersNotReady"),
                cond("PodScheduled", True),
            ],
            "containerStatuses": statuses,
        }
        return status

    def _container_state(self, pod: dict, c: dict, vol_err: Optional[str]) -> tuple[dict, bool]:
        if vol_err:
            return {"waiting": {"reason": "ContainerCreating"}}, False
        err = self.config_error(pod, c)
        if err:
            return {"waiting": {"reason": "CreateContainerConfigError", "message": err}}, False
        for hook in self.hooks.container_hooks:
            res = hook(self, pod, c)
            if res:
                reason, message, kind = res
                if kind == "waiting":
                    return {"waiting": {"reason": reason, "message": message}}, False
                return {"running": {"startedAt": now_iso()}}, False
        return {"running": {"startedAt": (pod.get("status") or {}).get("startTime") or now_iso()}}, True

    def pod_status(self, pod: dict) -> Optional[dict]:
        """The status to write for ``pod``, or None when the kubelet leaves it alone."""
        if pod["metadata"].get("deletionTimestamp"):
            return None
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return None  # terminal phases never change (pkg/kubelet/status/status_manager.go)
        status = self.compute_status(pod)
        if job_pod(pod) and pod["spec"].get("restartPolicy") != "Always" and _all_ready_status(status):
            # a Job's container runs to completion: exit 0 -> phase Succeeded (kubelet_pods.go getPhase)
            status = _completed_status(pod, status)
        return status

    def _pod(self, pod: dict) -> None:
        status = self.pod_status(pod)
        if status is not None and status != pod.get("status"):
            self.store.set_status("v1", "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"], status)


def _all_ready_status(status: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


def _completed_status(pod: dict, status: dict) -> dict:
    now = now_iso()
    out = dict(status)
    out["phase"] = "Succeeded"
    out["containerStatuses"] = [
        {
            **{k: v for k, v in cs.items() if k not in ("state", "started", "ready")},
            "ready": False,
            "started": False,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": status.get("startTime", now), "finishedAt": now}},
        }
        for cs in status.get("containerStatuses") or []
    ]
    out["conditions"] = [
        {**c, "status": "False", "reason": "PodCompleted"} if c.get("type") in ("Ready", "ContainersReady") else c for c in status.get("conditions") or []
    ]
    return out


def _b64(v: str) -> str:
    try:
        return base64.b64decode(v).decode()
    except Exception:  # noqa: BLE001
        return ""


def _expand(value: str, env: dict) -> str:
    """$(VAR) expansion of env values (third_party/forked/golang/expansion)."""
    import re

    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), value)
