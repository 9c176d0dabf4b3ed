"""Rook bucket provisioner simulation (lib-bucket-provisioner + Rook's object bucket provisioner).

Sources (domain-facts.md section 4):
* kube-object-storage/lib-bucket-provisioner ``pkg/provisioner/controller.go``: only claims whose
  StorageClass names this provisioner are handled (others are ignored: no status at all);
  provisioning creates an ObjectBucket ``obc-<namespace>-<name>`` (cluster-scoped), a Secret and a
  ConfigMap named like the claim with owner references to the claim, sets
  ``spec.bucketName``/``spec.objectBucketName`` on the claim, adds the finalizer
  ``objectbucket.io/finalizer`` and sets ``status.phase: Bound``; ``generateBucketName`` gets a
  random suffix.  Deleting the claim: reclaimPolicy ``Delete`` removes the bucket, ``Retain``
  keeps it; then the ObjectBucket is deleted and the finalizer removed.
* rook ``pkg/operator/ceph/object/bucket/provisioner.go`` / ``util.go``: S3 user ``obc-<ns>-<name>``
  with generated keys, bucket owned by it; Secret keys AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY;
  ConfigMap BUCKET_HOST (``rook-ceph-rgw-<store>.<store-namespace>.svc``), BUCKET_NAME,
  BUCKET_PORT, BUCKET_REGION (us-east-1), BUCKET_SUBREGION ("").
* additionalConfig keys are checked against ``ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS`` of
  ConfigMap ``rook-ceph-operator-config`` (default ``maxObjects,maxSize``); a key outside the
  list fails the claim: phase ``Failed`` and a Warning Event ``OBC config "<key>" is not allowed``.
* Rook >= 1.17 (``bucketLifecycle``): on every provision/update of the claim Rook puts the
  declared lifecycle JSON, or deletes the bucket lifecycle when none is declared; older Rook
  leaves the bucket lifecycle alone.  "Update" here = any change of the claim's spec, labels or
  annotations (the OBC informer's update events); status writes do not retrigger.

* Writes use optimistic concurrency like any client-go controller: an update carries the
  resourceVersion the controller read (k8s.io/apiserver etcd3 store ``GuaranteedUpdate`` answers a
  stale one with 409 Conflict), and on a conflict the claim is re-read and reconciled again
  (client-go ``util/retry.RetryOnConflict`` / the workqueue's requeue of the key).  So a Secret
  rotated by someone else between the controller's read and its write is never overwritten
  with the keys it read before.

Divergences: maxObjects/maxSize quotas are accepted but not applied to the RGW user; bucketPolicy
and bucketOwner are accepted but ignored; no periodic resync of lifecycle without a claim change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import string
from typing import Optional

from ..store import ApiError, now_iso
from . import ensure, owner_ref, spec_differs

log = logging.getLogger("twin.rook")

PROVISIONER = "rook-ceph.ceph.rook.io/bucket"
OB_API = "objectbucket.io/v1alpha1"
FINALIZER = "objectbucket.io/finalizer"
DEFAULT_ALLOWED = "maxObjects,maxSize"  # rook deploy/examples/operator.yaml default
# Attempts of one claim's reconcile on a 409 Conflict before it waits for the next pass (client-go
# util/retry DefaultRetry: Steps 5).
CONFLICT_ATTEMPTS = 5
KNOWN_KEYS = ("maxObjects", "maxSize", "bucketMaxObjects", "bucketMaxSize", "bucketPolicy", "bucketLifecycle", "bucketOwner")


def parse_version(v: str) -> tuple:
    parts = [int(p) for p in str(v).lstrip("v").split(".")[:2] if p.isdigit()]
    return tuple(parts + [0] * (2 - len(parts)))


class RookProvisioner:
    def __init__(self, store, s3, rook_version: str = "1.17", operator_namespace: str = "rook-ceph") -> None:
        self.store = store
        self.s3 = s3
        self.version = parse_version(rook_version)
        self.operator_namespace = operator_namespace
        self.applied_lifecycle: dict = {}  # claim uid -> fingerprint of the claim at the last lifecycle sync
        self.errors: dict = {}

    @property
    def enforces_lifecycle(self) -> bool:
        return self.version >= (1, 17)

    def allowed_fields(self) -> set:
        cm = self.store.find("v1", "ConfigMap", self.operator_namespace, "rook-ceph-operator-config") or {}
        raw = (cm.get("data") or {}).get("ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS", DEFAULT_ALLOWED)
        return {x.strip() for x in raw.split(",") if x.strip()}

    def reconcile(self) -> None:
        if self.store.registry.by_kind(OB_API, "ObjectBucketClaim") is None:
            return
        for obc in self.store.list_kind(OB_API, "ObjectBucketClaim"):
            try:
                self._one_retrying(obc)
            except Exception as e:  # noqa: BLE001 - the real provisioner retries with back-off
                key = obc["metadata"]["uid"]
                if self.errors.get(key) != str(e):
                    self.errors[key] = str(e)
                    log.error("provisioning %s/%s failed: %s", obc["metadata"]["namespace"], obc["metadata"]["name"], e)

    def _one_retrying(self, obc: dict) -> None:
        """Reconcile one claim; on 409 Conflict re-read it and reconcile again (RetryOnConflict)."""
        ns, name = obc["metadata"]["namespace"], obc["metadata"]["name"]
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                self._one(obc)
                return
            except ApiError as e:
                if e.code != 409 or attempt == CONFLICT_ATTEMPTS - 1:
                    raise
                log.info("conflict reconciling %s/%s, re-reading: %s", ns, name, e.message)
            obc = self.store.find(OB_API, "ObjectBucketClaim", ns, name)
            if obc is None:
                return

    def _update_read(self, read: Optional[dict], want: dict) -> Optional[dict]:
        """Write ``want`` over the object as the controller ``read`` it (None: it did not exist).

        A create of an object that appeared since is 409 AlreadyExists; an update carries the read
        resourceVersion, so a write by someone else since the read is 409 Conflict (never lost).
        """
        if not spec_differs(read, want):
            return read
        s = self.store
        meta = want["metadata"]
        rt = s.registry.by_kind(want["apiVersion"], want["kind"])
        if read is None:
            return s.create(rt, meta.get("namespace"), want)
        merged = dict(want)
        merged["metadata"] = {**read["metadata"], **meta, "resourceVersion": read["metadata"]["resourceVersion"]}
        return s.replace(rt, meta.get("namespace"), meta["name"], merged, check_rv=True)

    # ------------------------------------------------------------
    def _storage_class(self, obc: dict) -> Optional[dict]:
        name = (obc.get("spec") or {}).get("storageClassName")
        if not name:
            return None
        sc = self.store.find("storage.k8s.io/v1", "StorageClass", None, name)
        if not sc or sc.get("provisioner") != PROVISIONER:
            return None
        return sc

    def _event(self, obc: dict, reason: str, message: str, etype: str = "Warning") -> None:
        ns, name = obc["metadata"]["namespace"], obc["metadata"]["name"]
        ev_name = f"{name}.{hashlib.sha1((obc['metadata']['uid'] + message).encode()).hexdigest()[:16]}"
        if self.store.find("v1", "Event", ns, ev_name):
            return
        now = now_iso()
        self.store.upsert({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": ev_name, "namespace": ns},
            "involvedObject": {"apiVersion": OB_API, "kind": "ObjectBucketClaim", "name": name, "namespace": ns, "uid": obc["metadata"]["uid"]},
            "reason": reason, "message": message, "type": etype, "count": 1,
            "firstTimestamp": now, "lastTimestamp": now, "source": {"component": "rook-ceph.ceph.rook.io/bucket"},
        })

    def _one(self, obc: dict) -> None:
        s = self.store
        ns, name = obc["metadata"]["namespace"], obc["metadata"]["name"]
        sc = self._storage_class(obc)
        if obc["metadata"].get("deletionTimestamp"):
            self._delete(obc, sc)
            return
        if sc is None:
            return  # not ours: lib-bucket-provisioner ignores it, the claim stays Pending forever
        spec = obc.get("spec") or {}
        cfg = spec.get("additionalConfig") or {}
        allowed = self.allowed_fields()
        for key in sorted(cfg):
            if key not in allowed:
                msg = f'OBC config "{key}" is not allowed'
                self._event(obc, "ProvisioningFailed", f"error provisioning bucket: {msg}")
                s.set_status(OB_API, "ObjectBucketClaim", ns, name, {**(obc.get("status") or {}), "phase": "Failed"}) \
                    if (obc.get("status") or {}).get("phase") != "Failed" else None
                return
        params = sc.get("parameters") or {}
        store_name = params.get("objectStoreName", "ceph-objectstore")
        store_ns = params.get("objectStoreNamespace", self.operator_namespace)
        bucket = spec.get("bucketName")
        if not bucket:
            if not spec.get("generateBucketName"):
                return  # invalid claim: the library logs and skips it
            suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _unused in range(8))
            bucket = f"{spec['generateBucketName']}-{suffix}"
        uid = f"obc-{ns}-{name}"
        secret = s.find("v1", "Secret", ns, name)
        if secret and any(r.get("uid") == obc["metadata"]["uid"] for r in secret["metadata"].get("ownerReferences") or []):
            import base64

            access = base64.b64decode(secret["data"]["AWS_ACCESS_KEY_ID"]).decode()
            secret_key = base64.b64decode(secret["data"]["AWS_SECRET_ACCESS_KEY"]).decode()
        else:
            access, secret_key = self.s3.create_user(uid)
        self.s3.create_bucket(access, secret_key, bucket)
        # the claim first: finalizer + bucketName/objectBucketName (lib-bucket-provisioner updates the claim)
        ob_name = f"obc-{ns}-{name}"
        fins = list(obc["metadata"].get("finalizers") or [])
        if FINALIZER not in fins or spec.get("bucketName") != bucket or spec.get("objectBucketName") != ob_name:
            if FINALIZER not in fins:
                fins.append(FINALIZER)
            new = {"apiVersion": OB_API, "kind": "ObjectBucketClaim",
                   "metadata": {"name": name, "namespace": ns, "finalizers": fins},
                   "spec": {**spec, "bucketName": bucket, "objectBucketName": ob_name}}
            obc = s.upsert(new)
        oref = owner_ref(obc)
        labels = {"bucket-provisioner": PROVISIONER.replace("/", "-")}
        self._update_read(secret, {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                   "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": [oref],
                                                "finalizers": []},
                                   "data": _b64map({"AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret_key})})
        ensure(s, {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": [oref]},
                   "data": {"BUCKET_HOST": f"rook-ceph-rgw-{store_name}.{store_ns}.svc", "BUCKET_NAME": bucket,
                            "BUCKET_PORT": "80", "BUCKET_REGION": "us-east-1", "BUCKET_SUBREGION": ""}})
        ob = ensure(s, {"apiVersion": OB_API, "kind": "ObjectBucket",
                        "metadata": {"name": ob_name, "labels": labels, "finalizers": [FINALIZER]},
                        "spec": {"storageClassName": sc["metadata"]["name"], "reclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                                 "claimRef": {"apiVersion": OB_API, "kind": "ObjectBucketClaim", "name": name, "namespace": ns, "uid": obc["metadata"]["uid"]},
                                 "endpoint": {"bucketHost": f"rook-ceph-rgw-{store_name}.{store_ns}.svc", "bucketPort": 80, "bucketName": bucket,
                                              "region": "us-east-1", "subRegion": "", "additionalConfig": dict(cfg)},
                                 "authentication": {}}})
        if (ob.get("status") or {}).get("phase") != "Bound":
            s.set_status(OB_API, "ObjectBucket", None, ob_name, {"phase": "Bound"})
        self._lifecycle(obc, bucket, cfg)
        if (obc.get("status") or {}).get("phase") != "Bound":
            s.set_status(OB_API, "ObjectBucketClaim", ns, name, {**(obc.get("status") or {}), "phase": "Bound"})

    def _lifecycle(self, obc: dict, bucket: str, cfg: dict) -> None:
        if not self.enforces_lifecycle:
            return
        m = obc["metadata"]
        fp = json.dumps([obc.get("spec"), m.get("labels"), m.get("annotations"), m.get("generation")], sort_keys=True)
        if self.applied_lifecycle.get(m["uid"]) == fp:
            return
        client = self.s3.client()
        declared = cfg.get("bucketLifecycle")
        if declared:
            try:
                doc = json.loads(declared)
            except ValueError as e:
                self._event(obc, "ProvisioningFailed", f"failed to parse bucketLifecycle: {e}")
                self.applied_lifecycle[m["uid"]] = fp
                return
            rules = sorted(doc.get("Rules") or [], key=lambda r: r.get("ID", ""))
            try:
                client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
            except Exception as e:  # noqa: BLE001 - RGW refused the rules: Rook reports and retries
                self._event(obc, "ProvisioningFailed", f"failed to set lifecycle on bucket {bucket}: {e}")
        else:
            client.delete_bucket_lifecycle(Bucket=bucket)
        self.applied_lifecycle[m["uid"]] = fp

    def _delete(self, obc: dict, sc: Optional[dict]) -> None:
        s = self.store
        ns, name = obc["metadata"]["namespace"], obc["metadata"]["name"]
        fins = list(obc["metadata"].get("finalizers") or [])
        if FINALIZER not in fins:
            return
        ob_name = f"obc-{ns}-{name}"
        ob = s.find(OB_API, "ObjectBucket", None, ob_name)
        policy = ((ob or {}).get("spec") or {}).get("reclaimPolicy") or (sc or {}).get("reclaimPolicy", "Delete")
        bucket = (obc.get("spec") or {}).get("bucketName")
        if policy == "Delete" and bucket and self.s3 is not None:
            self.s3.delete_bucket(bucket)
            self.s3.delete_user(f"obc-{ns}-{name}")
        if ob:
            s.upsert({"apiVersion": OB_API, "kind": "ObjectBucket", "metadata": {"name": ob_name, "finalizers": []}, "spec": ob["spec"]})
            s.delete_kind(OB_API, "ObjectBucket", None, ob_name)
        self.applied_lifecycle.pop(obc["metadata"]["uid"], None)
        fins.remove(FINALIZER)
        s.upsert({"apiVersion": OB_API, "kind": "ObjectBucketClaim", "metadata": {"name": name, "namespace": ns, "finalizers": fins},
                  "spec": obc.get("spec") or {}})


def _b64map(d: dict) -> dict:
    import base64

    return {k: base64.b64encode(v.encode()).decode() for k, v in d.items()}
