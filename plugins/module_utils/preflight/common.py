# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the preflight's steps: value coercion, Kubernetes name patterns, version and image-tag parsing."""

from __future__ import annotations

import json
import re
from typing import Any

STORAGE_MODES = ("tempo", "grpc-plugin")
# Kubernetes object names: a DNS-1123 label for namespaces, a DNS-1123 subdomain for claims
# (k8s.io/apimachinery pkg/util/validation/validation.go).
_NS_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_DURATION_RE = re.compile(r"^[0-9]+(h|m|s)$")


def _int(value):
    """``value`` as an int when it is a whole number (int or digit string), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip() if value is not None else ""
    if re.match(r"^-?[0-9]+$", text):
        return int(text)
    return None


def _float(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _json(value):
    return json.dumps(value)


def version_tuple(text: Any) -> tuple[int, ...] | None:
    """``"1.17.2"`` / ``"v1.17"`` -> ``(1, 17, 2)`` / ``(1, 17)``; ``None`` when not X.Y[.Z]."""
    match = re.match(r"^v?([0-9]+)\.([0-9]+)(?:\.([0-9]+))?$", str(text or ""))
    if not match:
        return None
    return tuple(int(x) for x in match.groups() if x is not None)
