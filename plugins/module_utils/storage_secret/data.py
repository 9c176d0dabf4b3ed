# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure: the storage Secret's data from the claim's Secret and ConfigMap, its checksum, and a diff without values.

``build_data`` (the keys of docs/architecture.md for backend ``tempo`` or ``grpc-plugin``),
``checksum`` (sha256 over the sorted data), ``redacted_diff`` (key names with
added/removed/changed/unchanged, never values), ``desired_secret`` and ``secret_differs``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Iterable

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


def decode_data(secret: dict[str, Any] | None) -> dict[str, str]:
    """A Secret's ``data`` decoded to text (``stringData`` merged in)."""
    out = {}
    for key, value in ((secret or {}).get("data") or {}).items():
        out[key] = base64.b64decode(value or "").decode("utf-8")
    for key, value in ((secret or {}).get("stringData") or {}).items():
        out[key] = value
    return out


def encode_data(data: dict[str, str]) -> dict[str, str]:
    return dict((k, base64.b64encode(v.encode("utf-8")).decode("ascii")) for k, v in data.items())


def _split_endpoint(endpoint):
    """``(scheme or None, host:port)`` of ``http(s)://host:port[/]`` or ``host:port``."""
    scheme = None
    if "://" in endpoint:
        scheme, endpoint = endpoint.split("://", 1)
        scheme = scheme.lower()
    return scheme, endpoint.rstrip("/")


def build_data(claim_secret: dict[str, str] | None, claim_config: dict[str, str] | None, backend: str = "tempo",
               endpoint: str | None = None, insecure: bool = True, claim: str | None = None) -> dict[str, str]:
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


def checksum(data: dict[str, str] | None) -> str:
    """sha256 (hex) over the data sorted by key."""
    blob = json.dumps(sorted((data or {}).items()), separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def key_changes(before: dict[str, str] | None, after: dict[str, str] | None) -> dict[str, str]:
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


def redacted_diff(before: dict[str, str] | None, after: dict[str, str] | None, before_meta: dict[str, Any] | None = None,
                  after_meta: dict[str, Any] | None = None) -> dict[str, Any]:
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


def desired_secret(name: str, namespace: str, data: dict[str, str], claim_name: str, existing: dict[str, Any] | None = None) -> dict[str, Any]:
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


def secret_differs(existing: dict[str, Any] | None, data: dict[str, str], claim_name: str) -> bool:
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


def scrub(text: Any, secrets: Iterable[str]) -> str:
    """Replace every secret value in ``text`` by ``********``."""
    text = str(text)
    for value in secrets:
        if value and len(value) >= 4:
            text = text.replace(value, "********")
    return text
