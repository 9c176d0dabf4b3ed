"""Workload controllers + scheduler + kubelet, reduced to what decides "what becomes ready, when".

Upstream behaviours emulated (kubernetes/kubernetes):
* Node status Ready (pkg/kubelet/kubelet_node_status.go) - every node is Ready.
* DaemonSet: one Pod per node matching ``nodeSelector``/required node affinity
  (pkg/controller/daemon/daemon_controller.go, NodeShouldRunDaemonPod); status fields
  desiredNumberScheduled/currentNumberScheduled/updatedNumberScheduled/numberReady/
  numberAvailable/numberUnavailable/numberMisscheduled/observedGeneration (daemon_controller
  updateDaemonSetStatus).  Pods carry ``controller-revision-hash``.
* Deployment -> ReplicaSet ``<name>-<pod-template-hash>`` -> Pods ``<rs>-<suffix>``
  (pkg/controller/deployment/sync.go, replicaset.go); a template change creates a new
  ReplicaSet, i.e. new pod names.  Status: replicas/updatedReplicas/readyReplicas/
  availableReplicas/unavailableReplicas (omitted when 0, Go ``omitempty``), observedGeneration,
  conditions Available (MinimumReplicasAvailable) and Progressing (NewReplicaSetAvailable)
  (pkg/controller/deployment/util/deployment_util.go).
* StatefulSet: pods ``<name>-<ordinal>`` (pkg/controller/statefulset/stateful_set_utils.go),
  PVCs from volumeClaimTemplates ``<tmpl>-<name>-<ordinal>`` and the pod volume ``<tmpl>`` pointing
  at its claim (stateful_set_utils.go getPersistentVolumeClaimName/updateStorage); status
  replicas/readyReplicas/currentReplicas/updatedReplicas/availableReplicas/currentRevision/
  updateRevision/observedGeneration.  Orphaned pods matching the selector (e.g. after a delete
  with ``propagationPolicy: Orphan``) are adopted (pkg/controller/controller_ref_manager.go
  ClaimPods/AdoptPod) and then rolled like any pod of an older revision.
* PersistentVolumeClaims (pkg/controller/volume/persistentvolume/pv_controller.go): a claim
  without ``storageClassName`` gets the default StorageClass (annotation
  ``storageclass.kubernetes.io/is-default-class``, retroactive assignment, GA in 1.28); a claim
  whose StorageClass exists is provisioned (a PV ``pvc-<claim uid>`` with ``claimRef``, the
  external-provisioner's naming) and bound (``spec.volumeName``, annotation
  ``pv.kubernetes.io/bind-completed``, phase Bound); otherwise it stays Pending.
* Scheduler VolumeBinding (pkg/scheduler/framework/plugins/volumebinding/volume_binding.go
  PreFilter): a pod whose claim is missing or not Bound stays Pending, PodScheduled False reason
  Unschedulable, message per FitError.Error (pkg/scheduler/framework/types.go) plus the default
  preemption's postfilter text, e.g. ``0/6 nodes are available: pod has unbound immediate
  PersistentVolumeClaims. preemption: 0/6 nodes are available: 6 Preemption is not helpful for
  scheduling.``
* Job (batch/v1, pkg/controller/job/job_controller.go): ``parallelism``/``completions`` pods
  ``<job>-<suffix>`` owned by the Job (controller ownerReference) with the job-name/controller-uid
  labels of the server-generated selector; a Job pod whose containers start and are ready runs to
  completion (phase Succeeded, containers terminated ``Completed`` exit 0); status active/ready/
  succeeded/terminating/startTime/completionTime/uncountedTerminatedPods and, once
  ``completions`` pods succeeded, conditions ``SuccessCriteriaMet`` then ``Complete`` (reason
  ``CompletionsReached``, 1.31+ job_controller.go with JobSuccessPolicy) -- no failures/backoff.
* A paused Deployment (``spec.paused``) does not roll out a changed template and carries
  ``Progressing`` status Unknown, reason ``DeploymentPaused``, message "Deployment is paused"
  (pkg/controller/deployment/sync.go checkPausedConditions, util.PausedDeployReason).
* Scheduler (pkg/scheduler/framework/plugins): NodeAffinity/nodeSelector, InterPodAffinity
  (required anti-affinity on a topologyKey), PodTopologySpread (maxSkew, DoNotSchedule ->
  pending with FailedScheduling-like condition, ScheduleAnyway -> preference), default spreading
  (least loaded node).  Only the ``kubernetes.io/hostname`` topology is meaningful here.
* Kubelet (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables, kuberuntime): a container whose
  env/envFrom references a missing Secret/ConfigMap (or a missing key) and is not ``optional``
  stays Waiting with reason ``CreateContainerConfigError``; a missing Secret/ConfigMap volume
  keeps the pod in ``ContainerCreating`` (FailedMount).  The pod phase stays Pending then.

Divergences: every StorageClass provisions (no CSI driver is emulated; WaitForFirstConsumer
binds at once), rollouts are instantaneous (no maxSurge/maxUnavailable pacing), old ReplicaSets
are deleted instead of scaled to 0, no taints/tolerations, no resource fitting, no probes
other than the readiness hooks of the other simulations.
"""

from __future__ import annotations

import copy
from typing import Optional

from ..store import now_iso
from . import ensure, merge_condition, owned_by, owner_ref, stable_hash
from .kubelet import Kubelet, job_pod

HOST = "kubernetes.io/hostname"


# ---------------------------------------------------------------- selectors
def match_selector(sel: Optional[dict], labels: dict) -> bool:
    """metav1.LabelSelector semantics (apimachinery pkg/apis/meta/v1/helpers.go)."""
    if sel is None:
        return False
    labels = labels or {}
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def node_matches(spec: dict, node: dict) -> bool:
    labels = node["metadata"].get("labels") or {}
    for k, v in (spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    req = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = req.get("nodeSelectorTerms") or []
    if terms:
        ok = False
        for t in terms:
            exprs = t.get("matchExpressions") or []
            if match_selector({"matchExpressions": exprs}, labels):
                ok = True
        if not ok:
            return False
    return True


class Workloads(Kubelet):
    """The emulator's workload controllers and scheduler; the pod status is the kubelet's (kubelet.py)."""

    def __init__(self, store, hooks) -> None:
        super().__init__(store, hooks)

    # ------------------------------------------------------------ pass
    def reconcile(self) -> None:
        s = self.store
        self.nodes = list(s.list_kind("v1", "Node"))
        self._node_status()
        self.pods = s.list_kind("v1", "Pod")
        for pvc in s.list_kind("v1", "PersistentVolumeClaim"):
            if not pvc["metadata"].get("deletionTimestamp"):
                self._claim(pvc)
        rev = s.revision
        for ds in s.list_kind("apps/v1", "DaemonSet"):
            if not ds["metadata"].get("deletionTimestamp"):
                self._daemonset(ds)
        for d in s.list_kind("apps/v1", "Deployment"):
            if not d["metadata"].get("deletionTimestamp"):
                self._deployment(d)
        for st in s.list_kind("apps/v1", "StatefulSet"):
            if not st["metadata"].get("deletionTimestamp"):
                self._statefulset(st)
        for job in s.list_kind("batch/v1", "Job"):
            if not job["metadata"].get("deletionTimestamp"):
                self._job(job)
        # kubelet: status of every pod (also bare pods); scheduling of unscheduled pods
        if s.revision != rev:
            self.pods = s.list_kind("v1", "Pod")
        for pod in self.pods:
            self._pod(pod)

    # ------------------------------------------------------------ claims
    def _claim(self, pvc: dict) -> None:
        """pv_controller.go syncUnboundClaim: default class, provision, bind; else Pending."""
        s = self.store
        if (pvc.get("status") or {}).get("phase") == "Bound":
            return
        spec = pvc.get("spec") or {}
        classes = s.list_kind("storage.k8s.io/v1", "StorageClass")
        name = spec.get("storageClassName")
        if name is None:
            defaults = [c for c in classes if ((c["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class")) == "true"]
            if defaults:
                # the newest default wins (pkg/volume/util/storageclass.go GetDefaultClass)
                name = sorted(defaults, key=lambda c: c["metadata"].get("creationTimestamp", ""))[-1]["metadata"]["name"]
                pvc = copy.deepcopy(pvc)
                pvc["spec"]["storageClassName"] = name
                pvc = s.upsert(pvc)
        sc = next((c for c in classes if c["metadata"]["name"] == name), None) if name else None
        ns, cname = pvc["metadata"]["namespace"], pvc["metadata"]["name"]
        if sc is None:
            if (pvc.get("status") or {}).get("phase") != "Pending":
                s.set_status("v1", "PersistentVolumeClaim", ns, cname, {"phase": "Pending"})
            return
        requests = (spec.get("resources") or {}).get("requests") or {}
        access = spec.get("accessModes") or ["ReadWriteOnce"]
        pv_name = f"pvc-{pvc['metadata']['uid']}"
        if s.find("v1", "PersistentVolume", None, pv_name) is None:
            s.upsert(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": {"name": pv_name, "annotations": {"pv.kubernetes.io/provisioned-by": sc.get("provisioner", "")}},
                    "spec": {
                        "capacity": {"storage": requests.get("storage", "1Gi")},
                        "accessModes": access,
                        "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                        "storageClassName": name,
                        "volumeMode": spec.get("volumeMode", "Filesystem"),
                        "claimRef": {"kind": "PersistentVolumeClaim", "namespace": ns, "name": cname, "uid": pvc["metadata"]["uid"], "apiVersion": "v1"},
                        "csi": {"driver": sc.get("provisioner", ""), "volumeHandle": pv_name},
                    },
                }
            )
            s.set_status("v1", "PersistentVolume", None, pv_name, {"phase": "Bound"})
        bound = copy.deepcopy(s.find("v1", "PersistentVolumeClaim", ns, cname))
        bound["spec"]["volumeName"] = pv_name
        bound["metadata"].setdefault("annotations", {}).update({"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes"})
        s.upsert(bound)
        capacity = {"storage": requests.get("storage", "1Gi")}
        s.set_status("v1", "PersistentVolumeClaim", ns, cname, {"phase": "Bound", "accessModes": access, "capacity": capacity})

    def claims_error(self, pod: dict) -> Optional[str]:
        """volume_binding.go PreFilter: the reason a pod's claims keep it unschedulable, else None."""
        ns = pod["metadata"]["namespace"]
        for v in pod["spec"].get("volumes") or []:
            ref = v.get("persistentVolumeClaim")
            if not ref:
                continue
            pvc = self.store.find("v1", "PersistentVolumeClaim", ns, ref.get("claimName", ""))
            if pvc is None:
                return f'persistentvolumeclaim "{ref.get("claimName")}" not found'
            if (pvc.get("status") or {}).get("phase") != "Bound":
                return "pod has unbound immediate PersistentVolumeClaims"
        return None

    # ------------------------------------------------------------ nodes
    def _node_status(self) -> None:
        rev = self.store.revision
        for i, n in enumerate(self.nodes):
            cur = n.get("status") or {}
            want = copy.deepcopy(cur)
            now = now_iso()
            want["conditions"] = [
                merge_condition(
                    cur.get("conditions"),
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                        "lastHeartbeatTime": cur.get("conditions", [{}])[0].get("lastHeartbeatTime", now) if cur.get("conditions") else now,
                    },
                    now,
                )
            ]
            want.setdefault(
                "addresses",
                [
                    {"type": "InternalIP", "address": f"10.0.0.{10 + i}"},
                    {"type": "Hostname", "address": n["metadata"]["name"]},
                ],
            )
            want.setdefault(
                "nodeInfo",
                {
                    # every field NodeSystemInfo requires (k8s.io/api core/v1 types.go); typed clients
                    # refuse a Node without them
                    "machineID": stable_hash([n["metadata"]["name"], "machine"], 32),
                    "systemUUID": stable_hash([n["metadata"]["name"], "uuid"], 32),
                    "bootID": stable_hash([n["metadata"]["name"], "boot"], 32),
                    "kubeletVersion": "v1.33.0",  # = apiserver.KUBE_VERSION (Talos 1.10 default)
                    "kubeProxyVersion": "v1.33.0",
                    "osImage": "Talos (v1.10.0)",
                    "containerRuntimeVersion": "containerd://2.0.1",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                    "kernelVersion": "6.12.6-talos",
                },
            )
            want.setdefault("daemonEndpoints", {"kubeletEndpoint": {"Port": 10250}})
            want.setdefault("capacity", {"cpu": "4", "memory": "16Gi", "pods": "110"})
            want.setdefault("allocatable", {"cpu": "4", "memory": "15Gi", "pods": "110"})
            if want != cur:
                self.store.set_status("v1", "Node", None, n["metadata"]["name"], want)
        if self.store.revision != rev:
            self.nodes = self.store.list_kind("v1", "Node")

    def node_index(self, name: str) -> int:
        for i, n in enumerate(self.nodes):
            if n["metadata"]["name"] == name:
                return i
        return 0

    # ------------------------------------------------------------ scheduling
    def schedule(self, pod: dict, owner_uid: Optional[str] = None) -> tuple[Optional[str], str]:
        spec, ns = pod["spec"], pod["metadata"]["namespace"]
        claims = self.claims_error(pod)
        if claims:
            n = len(self.nodes)
            return None, f"0/{n} nodes are available: {claims}. preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."
        eligible = [n for n in self.nodes if node_matches(spec, n)]
        if not eligible:
            return None, f"0/{len(self.nodes)} nodes are available: {len(self.nodes)} node(s) didn't match Pod's node affinity/selector."
        placed = [
            p
            for p in self.pods
            if p["spec"].get("nodeName") and p["metadata"]["name"] != pod["metadata"]["name"] and not p["metadata"].get("deletionTimestamp")
        ]
        feasible = []
        reasons = set()
        aff = spec.get("affinity") or {}
        anti_terms = (aff.get("podAntiAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or []
        tsc = spec.get("topologySpreadConstraints") or []

        def count(sel, node, namespaces=None):
            nss = namespaces or [ns]
            return sum(
                1
                for p in placed
                if p["spec"]["nodeName"] == node and p["metadata"]["namespace"] in nss and match_selector(sel, p["metadata"].get("labels") or {})
            )

        for n in eligible:
            name = n["metadata"]["name"]
            ok = True
            for t in anti_terms:
                if t.get("topologyKey") == HOST and count(t.get("labelSelector"), name, t.get("namespaces")) > 0:
                    ok = False
                    reasons.add("didn't match pod anti-affinity rules")
            for c in tsc:
                if c.get("topologyKey") != HOST or c.get("whenUnsatisfiable", "DoNotSchedule") != "DoNotSchedule":
                    continue
                counts = [count(c.get("labelSelector"), m["metadata"]["name"]) for m in eligible]
                if count(c.get("labelSelector"), name) + 1 - min(counts) > int(c.get("maxSkew", 1)):
                    ok = False
                    reasons.add("didn't match pod topology spread constraints")
            if ok:
                feasible.append(n)
        if not feasible:
            return None, f"0/{len(self.nodes)} nodes are available: " + ", ".join(f"{len(eligible)} node(s) {r}" for r in sorted(reasons)) + "."

        def score(n):
            name = n["metadata"]["name"]
            same = sum(
                1
                for p in placed
                if p["spec"]["nodeName"] == name and owner_uid and any(r.get("uid") == owner_uid for r in p["metadata"].get("ownerReferences") or [])
            )
            soft = sum(count(c.get("labelSelector"), name) for c in tsc if c.get("whenUnsatisfiable") == "ScheduleAnyway")
            total = sum(1 for p in placed if p["spec"]["nodeName"] == name)
            return (same + soft, total, name)

        return min(feasible, key=score)["metadata"]["name"], ""

    def _create_pod(self, pod: dict, owner_uid: Optional[str]) -> dict:
        node, _unused = self.schedule(pod, owner_uid)
        if node:
            pod["spec"]["nodeName"] = node
        created = self.store.upsert(pod)
        self.pods.append(created)
        return created

    def _delete_pod(self, pod: dict) -> None:
        self.store.delete_kind("v1", "Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        self.pods = [p for p in self.pods if p["metadata"]["uid"] != pod["metadata"]["uid"]]

    def _pod_from_template(self, owner: dict, name: str, template: dict, extra_labels: dict) -> dict:
        tmeta = template.get("metadata") or {}
        meta = {
            "name": name,
            "namespace": owner["metadata"]["namespace"],
            "labels": {**(tmeta.get("labels") or {}), **extra_labels},
            "ownerReferences": [owner_ref(owner)],
        }
        if tmeta.get("annotations"):
            meta["annotations"] = dict(tmeta["annotations"])
        spec = copy.deepcopy(template.get("spec") or {})
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("serviceAccountName", spec.get("serviceAccount", "default"))
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}

    def _owned_pods(self, owner: dict) -> list[dict]:
        uid = owner["metadata"]["uid"]
        return [p for p in self.pods if any(r.get("uid") == uid for r in p["metadata"].get("ownerReferences") or [])]

    # ------------------------------------------------------------ DaemonSet
    def _daemonset(self, ds: dict) -> None:
        tmpl = ds["spec"].get("template") or {}
        rev = stable_hash(tmpl)
        tspec = tmpl.get("spec") or {}
        want_nodes = [n["metadata"]["name"] for n in self.nodes if node_matches(tspec, n)]
        pods = self._owned_pods(ds)
        by_node: dict[str, list] = {}
        for p in pods:
            node = p["spec"].get("nodeName")
            if node not in want_nodes or (p["metadata"].get("labels") or {}).get("controller-revision-hash") != rev:
                self._delete_pod(p)  # misscheduled or old revision (rolling update done at once)
                continue
            by_node.setdefault(node, []).append(p)
        for node in want_nodes:
            if node in by_node:
                for extra in by_node[node][1:]:
                    self._delete_pod(extra)
                continue
            name = f"{ds['metadata']['name']}-{stable_hash([rev, node], 5)}"
            pod = self._pod_from_template(
                ds, name, tmpl, {"controller-revision-hash": rev, "pod-template-generation": str(ds["metadata"].get("generation", 1))}
            )
            # daemon pods are bound by the DaemonSet controller via node affinity on the node name
            pod["spec"]["nodeName"] = node
            created = self.store.upsert(pod)
            self.pods.append(created)
            by_node[node] = [created]
        pods = self._owned_pods(ds)
        ready = sum(1 for p in pods if self.pod_ready(p))
        desired = len(want_nodes)
        status = {
            "currentNumberScheduled": len(pods),
            "desiredNumberScheduled": desired,
            "numberMisscheduled": 0,
            "numberReady": ready,
            "observedGeneration": ds["metadata"].get("generation", 1),
        }
        if len(pods):
            status["updatedNumberScheduled"] = len(pods)
        if ready:
            status["numberAvailable"] = ready
        if desired - ready > 0:
            status["numberUnavailable"] = desired - ready
        self._set_status(ds, status)

    # ------------------------------------------------------------ Deployment
    def _deployment(self, d: dict) -> None:
        s = self.store
        ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
        tmpl = d["spec"].get("template") or {}
        h = stable_hash(tmpl)
        paused = bool(d["spec"].get("paused"))
        if paused:
            # a paused Deployment keeps its current ReplicaSet (no rollout of a changed template)
            owned = [r for r in s.list_kind("apps/v1", "ReplicaSet", ns) if owned_by(r, d)]
            if owned:
                tmpl = copy.deepcopy(owned[0]["spec"].get("template") or {})
                (tmpl.get("metadata") or {}).get("labels", {}).pop("pod-template-hash", None)
                h = owned[0]["metadata"]["name"][len(name) + 1 :]
        replicas = int(d["spec"].get("replicas", 1))
        rs_name = f"{name}-{h}"
        rs_tmpl = copy.deepcopy(tmpl)
        rs_tmpl.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
        sel = copy.deepcopy(d["spec"].get("selector") or {})
        sel.setdefault("matchLabels", {})["pod-template-hash"] = h
        rs = ensure(
            s,
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs_name,
                    "namespace": ns,
                    "labels": dict(rs_tmpl["metadata"]["labels"]),
                    "annotations": {"deployment.kubernetes.io/desired-replicas": str(replicas), "deployment.kubernetes.io/revision": "1"},
                    "ownerReferences": [owner_ref(d)],
                },
                "spec": {"replicas": replicas, "selector": sel, "template": rs_tmpl},
            },
        )
        for old in s.list_kind("apps/v1", "ReplicaSet", ns):
            if old["metadata"]["name"] != rs_name and any(r.get("uid") == d["metadata"]["uid"] for r in old["metadata"].get("ownerReferences") or []):
                s.delete_kind("apps/v1", "ReplicaSet", ns, old["metadata"]["name"])  # GC removes its pods
                self.pods = [
                    p for p in self.pods if not any(r.get("uid") == old["metadata"]["uid"] for r in p["metadata"].get("ownerReferences") or [])
                ]
        pods = self._owned_pods(rs)
        if len(pods) > replicas:
            # scale down: unscheduled, then not ready, then highest name first (controller.ActivePods ordering)
            pods.sort(key=lambda p: (bool(p["spec"].get("nodeName")), self.pod_ready(p), p["metadata"]["name"]))
            for p in pods[: len(pods) - replicas]:
                self._delete_pod(p)
        else:
            names = {p["metadata"]["name"] for p in pods}
            i = 0
            while len(names) < replicas:
                pname = f"{rs_name}-{stable_hash([rs_name, i], 5)}"
                i += 1
                if pname in names:
                    continue
                self._create_pod(self._pod_from_template(rs, pname, rs_tmpl, {}), rs["metadata"]["uid"])
                names.add(pname)
        pods = self._owned_pods(rs)
        ready = sum(1 for p in pods if self.pod_ready(p))
        rs_status = {"replicas": len(pods), "fullyLabeledReplicas": len(pods), "observedGeneration": rs["metadata"].get("generation", 1)}
        if ready:
            rs_status["readyReplicas"] = ready
            rs_status["availableReplicas"] = ready
        self._set_status(rs, rs_status)
        cur = d.get("status") or {}
        now = now_iso()
        status = {"observedGeneration": d["metadata"].get("generation", 1)}
        for k, v in (
            ("replicas", len(pods)),
            ("updatedReplicas", len(pods)),
            ("readyReplicas", ready),
            ("availableReplicas", ready),
            ("unavailableReplicas", max(0, replicas - ready)),
        ):
            if v:
                status[k] = v
        avail = ready >= replicas - _max_unavailable(d, replicas)
        conds = [
            merge_condition(
                cur.get("conditions"),
                {
                    "type": "Available",
                    "status": "True" if avail else "False",
                    "reason": "MinimumReplicasAvailable" if avail else "MinimumReplicasUnavailable",
                    "message": "Deployment has minimum availability." if avail else "Deployment does not have minimum availability.",
                    "lastUpdateTime": now,
                },
                now,
            ),
            merge_condition(
                cur.get("conditions"),
                {"type": "Progressing", "status": "Unknown", "reason": "DeploymentPaused", "message": "Deployment is paused", "lastUpdateTime": now},
                now,
            )
            if paused
            else merge_condition(
                cur.get("conditions"),
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable" if ready >= replicas else "ReplicaSetUpdated",
                    "message": f'ReplicaSet "{rs_name}" has successfully progressed.'
                    if ready >= replicas
                    else f'ReplicaSet "{rs_name}" is progressing.',
                    "lastUpdateTime": now,
                },
                now,
            ),
        ]
        status["conditions"] = conds
        self._set_status(d, status)

    # ------------------------------------------------------------ StatefulSet
    def _statefulset(self, st: dict) -> None:
        s = self.store
        ns, name = st["metadata"]["namespace"], st["metadata"]["name"]
        tmpl = st["spec"].get("template") or {}
        rev = f"{name}-{stable_hash(tmpl)}"
        replicas = int(st["spec"].get("replicas", 1))
        self._adopt_orphans(st)
        pods = {p["metadata"]["name"]: p for p in self._owned_pods(st)}
        for pname, p in list(pods.items()):
            ordinal = pname.rsplit("-", 1)[-1]
            if (p["metadata"].get("labels") or {}).get("controller-revision-hash") != rev or not ordinal.isdigit() or int(ordinal) >= replicas:
                self._delete_pod(p)
                del pods[pname]
        for i in range(replicas):
            pname = f"{name}-{i}"
            for vct in st["spec"].get("volumeClaimTemplates") or []:
                cname = f"{vct['metadata']['name']}-{pname}"
                if s.find("v1", "PersistentVolumeClaim", ns, cname) is None:
                    s.upsert(
                        {
                            "apiVersion": "v1",
                            "kind": "PersistentVolumeClaim",
                            "metadata": {"name": cname, "namespace": ns, "labels": dict((tmpl.get("metadata") or {}).get("labels") or {})},
                            "spec": copy.deepcopy(vct.get("spec") or {}),
                        }
                    )
            if pname not in pods:
                pod = self._pod_from_template(
                    st,
                    pname,
                    tmpl,
                    {"controller-revision-hash": rev, "statefulset.kubernetes.io/pod-name": pname, "apps.kubernetes.io/pod-index": str(i)},
                )
                pod["spec"]["hostname"] = pname
                claimed = {t["metadata"]["name"] for t in st["spec"].get("volumeClaimTemplates") or []}
                vols = [v for v in pod["spec"].get("volumes") or [] if v.get("name") not in claimed]
                for vct in st["spec"].get("volumeClaimTemplates") or []:
                    vols.append({"name": vct["metadata"]["name"], "persistentVolumeClaim": {"claimName": f"{vct['metadata']['name']}-{pname}"}})
                pod["spec"]["volumes"] = vols
                if st["spec"].get("serviceName"):
                    pod["spec"]["subdomain"] = st["spec"]["serviceName"]
                pods[pname] = self._create_pod(pod, st["metadata"]["uid"])
        ready = sum(1 for p in pods.values() if self.pod_ready(p))
        status = {
            "replicas": len(pods),
            "availableReplicas": ready,
            "observedGeneration": st["metadata"].get("generation", 1),
            "currentRevision": rev,
            "updateRevision": rev,
            "collisionCount": 0,
        }
        if ready:
            status["readyReplicas"] = ready
        if pods:
            status["currentReplicas"] = len(pods)
            status["updatedReplicas"] = len(pods)
        self._set_status(st, status)

    def _adopt_orphans(self, st: dict) -> None:
        """controller_ref_manager.go ClaimPods: orphans matching the selector get this controller."""
        sel = (st.get("spec") or {}).get("selector")
        for i, p in enumerate(self.pods):
            meta = p["metadata"]
            if meta.get("deletionTimestamp") or meta["namespace"] != st["metadata"]["namespace"]:
                continue
            if any(r.get("controller") for r in meta.get("ownerReferences") or []):
                continue
            if not match_selector(sel, meta.get("labels") or {}):
                continue
            adopted = copy.deepcopy(p)
            adopted["metadata"]["ownerReferences"] = list(meta.get("ownerReferences") or []) + [owner_ref(st)]
            self.pods[i] = self.store.upsert(adopted)

    # ------------------------------------------------------------ Job
    def _job(self, job: dict) -> None:
        spec = job.get("spec") or {}
        tmpl = spec.get("template") or {}
        completions = int(spec.get("completions", 1))
        parallelism = int(spec.get("parallelism", 1))
        pods = self._owned_pods(job)
        succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
        active = [p for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        cur = job.get("status") or {}
        done = succeeded >= completions
        if not done and not spec.get("suspend"):
            want = min(parallelism, completions - succeeded) - len(active)
            i = 0
            while want > 0:
                pname = f"{job['metadata']['name']}-{stable_hash([job['metadata']['uid'], len(pods), i], 5)}"
                i += 1
                if any(p["metadata"]["name"] == pname for p in pods):
                    continue
                pod = self._pod_from_template(job, pname, tmpl, {})
                pod["spec"]["restartPolicy"] = (tmpl.get("spec") or {}).get("restartPolicy", "Never")
                active.append(self._create_pod(pod, job["metadata"]["uid"]))
                pods.append(active[-1])
                want -= 1
        now = now_iso()
        status = {
            "startTime": cur.get("startTime", now),
            "ready": sum(1 for p in active if self.pod_ready(p)),
            "terminating": 0,
            "uncountedTerminatedPods": {},
        }
        if active and not done:
            status["active"] = len(active)
        if succeeded:
            status["succeeded"] = succeeded
        if done:
            status["completionTime"] = cur.get("completionTime", now)
            conds = []
            for t in ("SuccessCriteriaMet", "Complete"):
                conds.append(
                    merge_condition(
                        cur.get("conditions"),
                        {
                            "type": t,
                            "status": "True",
                            "reason": "CompletionsReached",
                            "message": "Reached expected number of succeeded pods",
                            "lastProbeTime": now,
                        },
                        now,
                    )
                )
            status["conditions"] = conds
        self._set_status(job, status)

    @staticmethod
    def _job_pod(pod: dict) -> bool:
        return job_pod(pod)

    def compute_status(self, pod: dict) -> dict:
        """Schedule an unbound pod (the scheduler's Bind), then the kubelet's status (kubelet.py)."""
        if not pod["spec"].get("nodeName"):
            node, msg = self.schedule(pod)
            if not node:
                cond = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg}
                cur = pod.get("status") or {}
                return {"phase": "Pending", "qosClass": "BestEffort",
                        "conditions": [merge_condition(cur.get("conditions"), cond, now_iso())]}
            # binding (the scheduler's Bind); pods/binding is the real path
            pod["spec"]["nodeName"] = node
            self.store.upsert(pod)
        return super().compute_status(pod)

    def _set_status(self, obj: dict, status: dict) -> None:
        if obj.get("status") != status:
            self.store.set_status(obj["apiVersion"], obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"], status)


def _max_unavailable(d: dict, replicas: int) -> int:
    strat = d["spec"].get("strategy") or {}
    if strat.get("type") == "Recreate":
        return 0
    mu = (strat.get("rollingUpdate") or {}).get("maxUnavailable", "25%")
    if isinstance(mu, str) and mu.endswith("%"):
        return int(replicas * int(mu[:-1]) // 100)  # rounds down (intstr.GetScaledValueFromIntOrPercent)
    return int(mu)
