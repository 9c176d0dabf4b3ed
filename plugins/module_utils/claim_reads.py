# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one task of a run read of an ObjectBucketClaim, reused by the next one instead of a second read.

The site playbook reads the bucket claim in step 2 (the apply's plan, then the lifecycle verify with
the claim's Secret and ConfigMap) and needs it again in step 3 (the storage Secret).  The claim and
its ConfigMap hold no secret, so what was read of them can be handed on in a registered result:

* ``known_claim(obj, name, namespace)``: the claim an earlier task returned, trimmed to what a
  later task needs (``metadata`` name/namespace/uid/resourceVersion, ``status.phase``), or ``None``
  when it is not this claim, not Bound, being deleted, or has no uid;
* ``config_handoff(configmap)``: the non-secret keys of the claim's ConfigMap (``HANDOFF_KEYS``);
* ``owned_by(obj, uid)``: whether a Secret/ConfigMap read now is still the one the provisioner wrote
  for that claim (its owner reference, not being deleted).

The claim's Secret is never handed on: whoever uses the credentials reads it, and that read is the
witness that the hand-off is current.  The provisioner writes the Secret and ConfigMap with an owner
reference to the claim's uid; a claim deleted and created again between two tasks has another uid,
so ``owned_by`` is false and the later task reads the claim and its ConfigMap again.  For one claim
uid the ConfigMap's keys do not change (the bucket name is fixed once provisioned, the host comes
from the StorageClass, whose parameters are immutable).  The phase comes from the earlier read, seconds
before in the same run: a Bound claim of one uid leaves Bound when it is deleted, and a Secret being
deleted (``deletionTimestamp``) is not taken as current.

``Reads`` is a read-through view of a ``K8sClient``: ``get`` answers the objects it was given
(``prime``) without a request and records every object it returned, so an existing reader
(``s3_claim.s3_params_from_claim``, ``storage_secret.wait_bound``) runs unchanged on it.
"""

from __future__ import annotations

from typing import Any, Iterable

from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C

# The ConfigMap keys a storage Secret or an S3 client needs; none is a credential.
HANDOFF_KEYS = ("BUCKET_HOST", "BUCKET_PORT", "BUCKET_NAME", "BUCKET_REGION")


def _meta(obj):
    return (obj or {}).get("metadata") or {}


def uid(obj: dict[str, Any] | None) -> str | None:
    """The ``metadata.uid`` of ``obj`` (``None`` for no object or no uid)."""
    return _meta(obj).get("uid")


def known_claim(obj: dict[str, Any] | None, name: str, namespace: str) -> dict[str, Any] | None:
    """``obj`` trimmed to a Bound claim ``namespace/name`` usable without a read, else ``None``."""
    if not isinstance(obj, dict):
        return None
    meta = _meta(obj)
    if obj.get("kind") not in (None, C.OBC_KIND) or meta.get("name") != name or meta.get("namespace") != namespace:
        return None
    if not meta.get("uid") or meta.get("deletionTimestamp"):
        return None
    phase = (obj.get("status") or {}).get("phase")
    if phase != "Bound":
        return None
    return dict(
        apiVersion=C.OBC_API_VERSION, kind=C.OBC_KIND,
        metadata=dict(name=name, namespace=namespace, uid=meta["uid"], resourceVersion=meta.get("resourceVersion")),
        status=dict(phase=phase),
    )


def owned_by(obj: dict[str, Any] | None, uid: str | None) -> bool:
    """True when ``obj`` (read now) has an owner reference to ``uid`` and is not being deleted."""
    meta = _meta(obj)
    if not uid or not obj or meta.get("deletionTimestamp"):
        return False
    return any(ref.get("uid") == uid for ref in meta.get("ownerReferences") or [])


def config_handoff(configmap: dict[str, Any] | None) -> dict[str, str]:
    """The non-secret keys of the claim's ConfigMap that a later task needs (``HANDOFF_KEYS``)."""
    data = (configmap or {}).get("data") or {}
    return dict((k, str(data[k])) for k in HANDOFF_KEYS if data.get(k) is not None)


class Reads(object):
    """A read-through view of a ``K8sClient``: primed objects are answered without a request."""

    def __init__(self, k8s: Any, primed: Iterable[tuple[str, str, dict[str, Any]]] = ()) -> None:
        self._k8s = k8s
        self._primed = {}
        self.returned = {}
        for api_version, plural, obj in primed:
            self.prime(api_version, plural, obj)

    @staticmethod
    def _key(api_version, plural, name, namespace):
        return (api_version, plural, namespace or "", name)

    def prime(self, api_version: str, plural: str, obj: dict[str, Any]) -> None:
        meta = _meta(obj)
        self._primed[self._key(api_version, plural, meta.get("name"), meta.get("namespace"))] = obj

    def get(self, api_version: str, plural: str, name: str, namespace: str | None = None, action: str | None = None) -> dict[str, Any] | None:
        key = self._key(api_version, plural, name, namespace)
        if key in self._primed:
            obj = self._primed.pop(key)  # answered once: a poll (wait_bound) reads again
        else:
            obj = self._k8s.get(api_version, plural, name, namespace, action=action)
        self.returned[key] = obj
        return obj

    def last(self, api_version: str, plural: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """The object ``get`` last returned for this key (``None`` when never asked or missing)."""
        return self.returned.get(self._key(api_version, plural, name, namespace))

    def __getattr__(self, attr):
        return getattr(self._k8s, attr)
