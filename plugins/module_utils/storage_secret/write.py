# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The I/O of ``jaeger_storage_secret``: wait for the claim, read its Secret and ConfigMap, write the storage Secret.

``run`` is the module's entry point: it waits (bounded) for the claim to be Bound, reads the
claim's Secret and ConfigMap and creates or replaces the target Secret only when its data, our
labels or our annotation differ.  Given what an earlier task of the run read of the claim and its
ConfigMap (``known_claim``, ``known_claim_config``, never a credential), it reads only the claim's
Secret, and uses them while that Secret is still owned by that claim (``claim_reads``); else it reads
the claim as before.  Secret values never appear in results, messages or exceptions.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError
from ansible_collections.talos_homelab.tracing.plugins.module_utils.retry import WRITES, is_transient
from ansible_collections.talos_homelab.tracing.plugins.module_utils.storage_secret.data import (
    ANNOTATION_CHECKSUM, OBC_API_VERSION, OBC_PLURAL, SECRET_KEYS, build_data, checksum, decode_data, desired_secret, redacted_diff,
    scrub, secret_differs,
)


POLL_INTERVAL = 1.0


def _events_about(k8s, claim_name, claim_namespace):
    try:
        events = k8s.list(
            "v1", "events", claim_namespace,
            field_selector="involvedObject.name=%s" % claim_name,
            action="list the events of ObjectBucketClaim %s/%s" % (claim_namespace, claim_name),
        )
    except TracingError:
        return []
    out = []
    for ev in events:
        involved = ev.get("involvedObject") or {}
        if involved.get("kind") not in (None, "ObjectBucketClaim"):
            continue
        out.append("%s %s: %s" % (ev.get("type") or "Normal", ev.get("reason") or "", ev.get("message") or ""))
    return out[-5:]


def wait_bound(k8s: Any, claim_name: str, claim_namespace: str, timeout: float | None, sleep: Callable[[float], Any] = time.sleep,
               clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """Poll the claim until Bound; return it. Errors when missing, Failed, or not Bound in ``timeout`` s."""
    action = "wait for ObjectBucketClaim %s/%s to be Bound" % (claim_namespace, claim_name)
    deadline = clock() + max(0, timeout or 0)
    while True:
        claim = k8s.get(OBC_API_VERSION, OBC_PLURAL, claim_name, claim_namespace, action=action)
        if claim is None:
            raise TracingError(
                action, "the claim does not exist.",
                "create it first (role talos_homelab.tracing.ceph_bucket), or check claim_name and claim_namespace.",
            )
        status = claim.get("status") or {}
        phase = status.get("phase") or "Pending"
        if phase == "Bound":
            return claim
        if phase in ("Failed", "Released"):
            events = _events_about(k8s, claim_name, claim_namespace)
            raise TracingError(
                action,
                "the claim is %s (status %s)%s." % (
                    phase, json.dumps(status, sort_keys=True), ("; events: " + " | ".join(events)) if events else ""),
                "read the events and the rook-ceph-operator log; a claim asking for an additionalConfig key not listed in"
                " ROOK_OBC_ALLOW_ADDITIONAL_CONFIG_FIELDS fails. Fix the claim, delete it and re-create it.",
                phase=phase,
            )
        if clock() >= deadline:
            events = _events_about(k8s, claim_name, claim_namespace)
            raise TracingError(
                action,
                "the claim is still %s after %ss (status %s)%s." % (
                    phase, timeout, json.dumps(status, sort_keys=True),
                    ("; events: " + " | ".join(events)) if events else "; no events mention it"),
                "check that the StorageClass %r exists and that the rook-ceph-operator runs (kubectl -n %s describe"
                " objectbucketclaim %s), or raise wait_timeout." % (
                    (claim.get("spec") or {}).get("storageClassName"), claim_namespace, claim_name),
                phase=phase,
            )
        sleep(min(POLL_INTERVAL, max(0.0, deadline - clock())) or POLL_INTERVAL)


def _from_handoff(k8s, params, claim_name, claim_namespace, read_action):
    """The claim's Secret (read now) and ConfigMap (handed on), when an earlier task's read is current.

    ``known_claim`` / ``known_claim_config`` are what this run's step 2 read of the claim and its
    ConfigMap (``ceph_bucket_lifecycle``'s ``claim`` / ``claim_config``, no credential). They are used
    only for a Bound claim of this name whose Secret, read here, is still owned by it; else
    ``(None, None)`` and the caller reads the claim (waiting for Bound), its Secret and ConfigMap.
    """
    from ansible_collections.talos_homelab.tracing.plugins.module_utils import claim_reads

    known = claim_reads.known_claim(params.get("known_claim"), claim_name, claim_namespace)
    config = params.get("known_claim_config") or {}
    if known is None or not all(config.get(k) for k in ("BUCKET_NAME",) + (() if params.get("endpoint") else ("BUCKET_HOST",))):
        return None, None
    claim_secret = k8s.get("v1", "secrets", claim_name, claim_namespace, action=read_action)
    if not claim_reads.owned_by(claim_secret, known["metadata"]["uid"]):
        return None, None
    return claim_secret, dict(metadata=dict(name=claim_name, namespace=claim_namespace), data=dict(config))


def _failed_write(exc: BaseException) -> bool:
    """A write that a transient answer refused: the whole read-compare-write is worth running again."""
    return bool(getattr(exc, "write_failed", False)) and is_transient(exc)


def run(params: dict[str, Any], check_mode: bool = False, diff: bool = False, k8s_factory: Callable[..., Any] | None = None,
        sleep: Callable[[float], Any] = time.sleep, clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
    """Run ``jaeger_storage_secret``: returns the module result or raises ``TracingError``.

    The reads are retried by ``K8sClient``; a write refused with a transient answer re-runs the whole
    read-compare-write (``retry.WRITES``), so a write that landed after all is not sent twice.
    """
    if k8s_factory is None:
        from ansible_collections.talos_homelab.tracing.plugins.module_utils.k8s import K8sClient as k8s_factory
    # Check mode sends no write at all (not even a dry run): a dry-run request would carry the
    # credentials to the API server for nothing.  run() also never calls a write in check mode.
    k8s = k8s_factory(params, check_mode=check_mode, dry_run_writes=False)
    return WRITES.call(lambda: _run_once(k8s, params, check_mode, sleep, clock), sleep=sleep, retryable=_failed_write)[0]


def _write(call, secrets=()):
    """``call()`` (a write); its failure is marked ``write_failed`` and carries no secret value."""
    try:
        return call()
    except TracingError as err:
        # An API error message could quote the request; keep secret values out of it.
        err.problem = scrub(err.problem, secrets)
        err.args = (err.message,)
        err.write_failed = True
        raise


def _run_once(k8s, params, check_mode, sleep, clock):
    name = params.get("name") or C.STORAGE_SECRET_NAME
    namespace = params["namespace"]
    claim_name = params["claim_name"]
    claim_namespace = params.get("claim_namespace") or namespace
    state = params.get("state") or "present"
    action = "write Secret %s/%s" % (namespace, name)

    existing = k8s.get("v1", "secrets", name, namespace, action="read Secret %s/%s" % (namespace, name))
    result = dict(changed=False, name=name, namespace=namespace, keys=[], checksum=None)

    if state == "absent":
        if existing is not None:
            if not check_mode:
                _write(lambda: k8s.delete("v1", "secrets", name, namespace, action="delete Secret %s/%s" % (namespace, name)))
            result["changed"] = True
        before = decode_data(existing) if existing is not None else None
        result["diff"] = redacted_diff(before, None)
        return result

    if existing is None and k8s.get("v1", "namespaces", namespace, action="read namespace %s" % namespace) is None:
        raise TracingError(
            action, "the target namespace %r does not exist." % namespace,
            "create the namespace first (role talos_homelab.tracing.ceph_bucket creates it), or check namespace.",
        )

    read_action = "read the Secret and ConfigMap of ObjectBucketClaim %s/%s" % (claim_namespace, claim_name)
    claim_secret, claim_config = _from_handoff(k8s, params, claim_name, claim_namespace, read_action)
    if claim_secret is None or claim_config is None:
        wait_bound(k8s, claim_name, claim_namespace, params.get("wait_timeout", 120), sleep=sleep, clock=clock)
        claim_secret = k8s.get("v1", "secrets", claim_name, claim_namespace, action=read_action)
        claim_config = k8s.get("v1", "configmaps", claim_name, claim_namespace, action=read_action)
    if claim_secret is None or claim_config is None:
        raise TracingError(
            read_action,
            "the claim is Bound but its %s %s/%s is missing." % (
                "Secret" if claim_secret is None else "ConfigMap", claim_namespace, claim_name),
            "wait for Rook to finish provisioning, or delete and re-create the claim.",
        )
    source = decode_data(claim_secret)
    data = build_data(
        source, claim_config.get("data") or {}, backend=params.get("backend") or "tempo",
        endpoint=params.get("endpoint"), insecure=params.get("insecure", True) is not False,
        claim="%s/%s" % (claim_namespace, claim_name),
    )
    secrets = [data[k] for k in SECRET_KEYS]
    digest = checksum(data)
    result.update(keys=sorted(data), checksum=digest)

    before = decode_data(existing) if existing is not None else None
    before_meta = None
    if existing is not None:
        before_meta = dict(checksum=((existing.get("metadata") or {}).get("annotations") or {}).get(ANNOTATION_CHECKSUM))
    result["diff"] = redacted_diff(before, data, before_meta, dict(checksum=digest))

    if not secret_differs(existing, data, claim_name):
        return result
    result["changed"] = True
    if check_mode:
        return result
    obj = desired_secret(name, namespace, data, claim_name, existing)
    if existing is None:
        _write(lambda: k8s.create(obj, "secrets", action=action), secrets)
    else:
        _write(lambda: k8s.replace(obj, "secrets", action=action), secrets)
    return result
