"""A small stand-in for the Ceph RBD CSI provisioner on the real backend: claims of the block
StorageClass get a PersistentVolume.

Upstream: kubernetes-csi/external-provisioner at v5.2.0, pkg/controller/controller.go (the PV is
named ``pvc-<claim uid>``, annotated ``pv.kubernetes.io/provisioned-by`` with the driver name,
``claimRef`` pointing at the claim, the class' reclaimPolicy, the claim's capacity and access
modes; the volume source is ``csi`` with the driver and a volume handle).  Only claims whose
StorageClass' provisioner is ``PROVISIONER`` are served, after the real PV controller marked them
for it (annotation ``volume.kubernetes.io/storage-provisioner``, kubernetes v1.34.4
pkg/controller/volume/persistentvolume/pv_controller.go).  The real PV controller then binds the
pair and the real scheduler's VolumeBinding plugin schedules the claim's pods.
"""

from __future__ import annotations

PROVISIONER = "rook-ceph.rbd.csi.ceph.com"  # cluster.py's ceph-block StorageClass
ANNOTATION = "volume.kubernetes.io/storage-provisioner"


class BlockProvisioner:
    """Creates the PV of every pending claim of a ``PROVISIONER`` StorageClass."""

    def __init__(self, store) -> None:
        self.store = store

    def reconcile(self) -> None:
        classes = {sc["metadata"]["name"]: sc for sc in self.store.list_kind("storage.k8s.io/v1", "StorageClass")
                   if sc.get("provisioner") == PROVISIONER}
        for pvc in self.store.list_kind("v1", "PersistentVolumeClaim"):
            sc = classes.get((pvc.get("spec") or {}).get("storageClassName") or "")
            if sc is None or (pvc.get("spec") or {}).get("volumeName") or pvc["metadata"].get("deletionTimestamp"):
                continue
            if (pvc["metadata"].get("annotations") or {}).get(ANNOTATION) != PROVISIONER:
                continue  # the PV controller has not handed it to the provisioner yet
            name = f"pvc-{pvc['metadata']['uid']}"
            if self.store.find("v1", "PersistentVolume", None, name) is not None:
                continue
            self.store.upsert(self.volume(pvc, sc, name))

    @staticmethod
    def volume(pvc: dict, sc: dict, name: str) -> dict:
        spec = pvc.get("spec") or {}
        meta = pvc["metadata"]
        return {
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
            "spec": {
                "capacity": {"storage": ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")},
                "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                "storageClassName": sc["metadata"]["name"],
                "volumeMode": spec.get("volumeMode", "Filesystem"),
                "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "namespace": meta["namespace"],
                             "name": meta["name"], "uid": meta["uid"]},
                "csi": {"driver": PROVISIONER, "volumeHandle": f"0001-0009-rook-ceph-{meta['uid']}",
                        "fsType": (sc.get("parameters") or {}).get("csi.storage.k8s.io/fstype", "ext4")},
            },
        }
