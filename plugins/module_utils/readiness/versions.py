# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers that read versions and durations in the snapshot (image references: module_utils/images.py)."""

from __future__ import annotations

import re
from typing import Any


# ------------------------------------------------------------------ images and versions
def version_text(version: tuple[int, ...] | None) -> str:
    return ".".join(str(x) for x in version) if version else "?"


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
