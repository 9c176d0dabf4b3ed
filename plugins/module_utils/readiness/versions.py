# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers that read images, versions and durations in the snapshot."""

from __future__ import annotations

import re
from typing import Any


# ------------------------------------------------------------------ images and versions
def split_image(image: Any) -> tuple[str, str]:
    """``repo[:tag][@digest]`` -> ``(repo, tag, digest)``."""
    image = image or ""
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    repo, tag = image, None
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = image.rsplit(":", 1)
    return repo, tag, digest


def version_tuple(tag: Any) -> tuple[int, ...] | None:
    """``v1.65.0`` / ``0.114.0`` / ``2.6.1-rc`` -> ``(1, 65, 0)``; ``None`` when not a version."""
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", tag or "")
    if not match:
        return None
    return tuple(int(x or 0) for x in match.groups())


def version_text(version: tuple[int, ...] | None) -> str:
    return ".".join(str(x) for x in version) if version else "?"


def image_repo_name(image: Any) -> str:
    """``docker.io/jaegertracing/jaeger-query:1.57`` -> ``jaegertracing/jaeger-query``."""
    repo = split_image(image)[0]
    parts = repo.split("/")
    if len(parts) > 2 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    return "/".join(parts)


# ------------------------------------------------------------------ durations
def duration_hours(text: Any) -> float | None:
    """Go-style duration (``168h``, ``7d``, ``1h30m``, ``336h0m0s``) -> hours (float); ``None`` if unparsable."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text) / 3600.0  # plain numbers are seconds
    text = str(text).strip()
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    factor = dict(ms=1.0 / 3600000, s=1.0 / 3600, m=1.0 / 60, h=1.0, d=24.0, w=168.0)
    return sum(float(n) * factor[u] for n, u in parts)
