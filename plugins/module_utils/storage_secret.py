# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Jaeger/Tempo storage Secret built from an ObjectBucketClaim.

Pure part: ``build_data`` (the keys of docs/architecture.md for backend ``tempo`` or
``grpc-plugin``), ``checksum`` (sha256 over the sorted data), ``redacted_diff`` (key
names with added/removed/changed/unchanged, never values), ``desired_secret`` and
``secret_differs``.

``run`` is the module's entry point: it waits (bounded) for the claim to be Bound,
reads the claim's Secret and ConfigMap and creates or replaces the target Secret
only when its data, our labels or our annotation differ.  Given what an earlier task
of the run read of the claim and its ConfigMap (``known_claim``, ``known_claim_config``,
never a credential), it reads only the claim's Secret, and uses them while that Secret
is still owned by that claim (``claim_reads``); else it reads the claim as before.  Secret values never
appear in results, messages or exceptions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import json
import time

from ansible_collections.talos_homelab.tracing.plugins.module_utils import constants as C
from ansible_collections.talos_homelab.tracing.plugins.module_utils.errors import TracingError

BACKENDS = ("tempo", "grpc-plugin")
KEYS = ("S3_ENDPOINT", "S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_REGION", "S3_INSECURE")
# Shared facts (module_utils/constants.py), under the names this module has always used.
SECRET_KEYS = C.CLAIM_SECRET_KEYS
LABEL_SOURCE = C.LABEL_SOURCE_CLAIM
ANNOTATION_CHECKSUM = C.ANNOTATION_CHECKSUM
MANAGED_LABELS = C.MANAGED_LABELS
DEFAULT_REGION = C.DEFAULT_REGION
OBC_API_VERSION = C.OBC_API_VERSION
OBC_PLURAL = C.OBC_PLURAL
POLL_INTERVAL = 1.0


# ---------------------------------------------------------------------- pure
def decode_data(secret):
    """A Secret's ``data`` decoded to text (``stringData`` merged in)."""
    out = {}
    for key, value in ((secret or {}).get("data") or {}).items():
        out[key] = base64.b64decode(value or "").decode("utf-8")
    for key, value in ((secret or {}).get("stringData") or {}).items():
        out[key] = value
    return out


def encode_data(data):
    return dict((k, base64.b64encode(v.encode("utf-8")).decode("ascii")) for k, v in data.items())


def _split_endpoint(endpoint):
    """``(scheme or None, host:port)`` of ``http(s)://host:port[/]`` or ``host:port``."""
    scheme = None
    if "://" in endpoint:
        scheme, endpoint = endpoint.split("://", 1)
        scheme = scheme.lower()
    return scheme, endpoint.rstrip("/")


def build_data(claim_secret, claim_config, backend="tempo", endpoint=None, insecure=True, claim=None):
    """Return the target Secret's data (text values) for ``backend``.

    ``claim_secret``: decoded data of the claim's Secret; ``claim_config``: data of its
    ConfigMap; ``endpoint`` overrides ``BUCKET_HOST:BUCKET_PORT``.  Raises
    ``TracingError`` naming the missing keys (never their values).
    """
    if backend not in BACKENDS:
        raise TracingError("build the storage Secret", "backend %r is not one of %s." % (backend, ", ".join(BACKENDS)),
                           "set backend to tempo or grpc-plugin.")
    claim_secret = claim_secret or {}
    claim_config = claim_config or {}
    missing = [k for k in SECRET_KEYS if not claim_secret.get(k)]
    missing += [k for k in ("BUCKET_NAME",) if not claim_config.get(k)]
    if not endpoint:
        missing += [k for k in ("BUCKET_HOST",) if not claim_config.get(k)]
    if missing:
        raise TracingError(
            "build the storage Secret%s" % ((" from claim %s" % claim) if claim else ""),
            "keys %s are missing in the claim's Secret/ConfigMap." % ", ".join(missing),
            "check that the claim is provisioned by a Rook bucket provisioner (its Secret must hold AWS_ACCESS_KEY_ID"
            " and AWS_SECRET_ACCESS_KEY, its ConfigMap BUCKET_HOST, BUCKET_PORT and BUCKET_NAME), or pass endpoint.",
        )
    if endpoint:
        scheme, hostport = _split_endpoint(endpoint)
    else:
        scheme = None
        host = claim_config["BUCKET_HOST"]
        port = str(claim_config.get("BUCKET_PORT") or "")
        hostport = host + ((":" + port) if port else "")
    if scheme is None:
        scheme = "http" if insecure else "https"
    if backend == "tempo":
        s3_endpoint = hostport
    else:
        s3_endpoint = "%s://%s" % (scheme, hostport)
    return {
        "S3_ENDPOINT": s3_endpoint,
        "S3_BUCKET": claim_config["BUCKET_NAME"],
        "AWS_ACCESS_KEY_ID": claim_secret["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": claim_secret["AWS_SECRET_ACCESS_KEY"],
        "S3_REGION": claim_config.get("BUCKET_REGION") or DEFAULT_REGION,
        "S3_INSECURE": "true" if insecure else "false",
    }


def checksum(data):
    """sha256 (hex) over the data sorted by key."""
    blob = json.dumps(sorted((data or {}).items()), separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def key_changes(before, after):
    """``{key: added|removed|changed|unchanged}`` between two data dicts (values compared, never shown)."""
    before = before or {}
    after = after or {}
    out = {}
    for key in sorted(set(before) | set(after)):
        if key not in before:
            out[key] = "added"
        elif key not in after:
            out[key] = "removed"
        elif before[key] != after[key]:
            out[key] = "changed"
        else:
            out[key] = "unchanged"
    return out


def redacted_diff(before, after, before_meta=None, after_meta=None):
    """A diff for ``--diff`` that shows key names and their change, never values.

    ``before``/``after`` are data dicts (``before`` is ``None`` when the Secret does not
    exist); ``*_meta`` may add non-secret fields (labels, checksum annotation).
    """
    changes = key_changes(before, after)
    out_before = dict(before_meta or {})
    out_after = dict(after_meta or {})
    if before is not None:
        out_before["data"] = dict((k, "<hidden, %s>" % v) for k, v in changes.items() if v != "added")
    if after is not None:
        out_after["data"] = dict((k, "<hidden, %s>" % v) for k, v in changes.items() if v != "removed")
    return dict(before=out_before, after=out_after, keys=changes)


def desired_secret(name, namespace, data, claim_name, existing=None):
    """The Secret object to write; keeps foreign labels/annotations of ``existing``."""
    meta = (existing or {}).get("metadata") or {}
    labels = dict(meta.get("labels") or {})
    labels.update(MANAGED_LABELS)
    labels[LABEL_SOURCE] = claim_name
    annotations = dict(meta.get("annotations") or {})
    annotations[ANNOTATION_CHECKSUM] = checksum(data)
    metadata = dict(name=name, namespace=namespace, labels=labels, annotations=annotations)
    if meta.get("resourceVersion"):
        metadata["resourceVersion"] = meta["resourceVersion"]
    return dict(apiVersion="v1", kind="Secret", type="Opaque", metadata=metadata, data=encode_data(data))


def secret_differs(existing, data, claim_name):
    """True when ``existing`` (a Secret object or ``None``) needs a write to hold ``data``."""
    if existing is None:
        return True
    meta = existing.get("metadata") or {}
    labels = meta.get("labels") or {}
    annotations = meta.get("annotations") or {}
    if decode_data(existing) != data:
        return True
    if (existing.get("type") or "Opaque") != "Opaque":
        return True
    want = dict(MANAGED_LABELS)
    want[LABEL_SOURCE] = claim_name
    if any(labels.get(k) != v for k, v in want.items()):
        return True
    return annotations.get(ANNOTATION_CHECKSUM) != checksum(data)


def scrub(text, secrets):
    """Replace every secret value in ``text`` by ``********``."""
    text = str(text)
    for value in secrets:
        if value and len(value) >= 4:
            text = text.replace(value, "********")
    return text


# ---------------------------------------------------------------------- I/O
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


def wait_bound(k8s, claim_name, claim_namespace, timeout, sleep=time.sleep, clock=time.monotonic):
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


def run(params, check_mode=False, diff=False, k8s_factory=None, sleep=time.sleep, clock=time.monotonic):
    """Run ``jaeger_storage_secret``: returns the module result or raises ``TracingError``."""
    if k8s_factory is None:
        from ansible_collections.talos_homelab.tracing.plugins.module_utils.k8s import K8sClient as k8s_factory
    name = params.get("name") or C.STORAGE_SECRET_NAME
    namespace = params["namespace"]
    claim_name = params["claim_name"]
    claim_namespace = params.get("claim_namespace") or namespace
    state = params.get("state") or "present"
    # Check mode sends no write at all (not even a dry run): a dry-run request would carry the
    # credentials to the API server for nothing.  run() also never calls a write in check mode.
    k8s = k8s_factory(params, check_mode=check_mode, dry_run_writes=False)
    action = "write Secret %s/%s" % (namespace, name)

    existing = k8s.get("v1", "secrets", name, namespace, action="read Secret %s/%s" % (namespace, name))
    result = dict(changed=False, name=name, namespace=namespace, keys=[], checksum=None)

    if state == "absent":
        if existing is not None:
            if not check_mode:
                k8s.delete("v1", "secrets", name, namespace, action="delete Secret %s/%s" % (namespace, name))
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
    try:
        if existing is None:
            k8s.create(obj, "secrets", action=action)
        else:
            k8s.replace(obj, "secrets", action=action)
    except TracingError as err:
        # An API error message could quote the request; keep secret values out of it.
        err.problem = scrub(err.problem, secrets)
        err.args = (err.message,)
        raise
    return result
