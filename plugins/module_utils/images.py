# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image references: the one place that splits ``[registry/]repo[:tag][@digest]`` and reads a tag's version.

The grammar is the distribution reference's (github.com/distribution/reference, reference.go): a tag
follows the last ``:`` of the last path component, a digest follows ``@``; ``docker.io`` (also
``index.docker.io``) is the default registry.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_REGISTRIES = ("docker.io/", "index.docker.io/")


def split_image(image: Any) -> tuple[str, str | None, str | None]:
    """``repo[:tag][@digest]`` -> ``(repo, tag, digest)``; ``tag``/``digest`` are ``None`` when absent."""
    text = str(image or "")
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
    repo, tag = text, None
    if ":" in text.rsplit("/", 1)[-1]:
        repo, tag = text.rsplit(":", 1)
    return repo, tag, digest


def image_tag(image: Any) -> str:
    """The tag of an image reference (``""`` when it has none)."""
    return split_image(image)[1] or ""


def image_repo(image: Any) -> str:
    """The repository without tag and digest, and without the default registry (``docker.io/``)."""
    repo = split_image(image)[0]
    for prefix in DEFAULT_REGISTRIES:
        if repo.startswith(prefix):
            return repo[len(prefix):]
    return repo


def image_repo_name(image: Any) -> str:
    """The repository without any registry host: ``quay.io/jaegertracing/jaeger-query:1.57`` -> ``jaegertracing/jaeger-query``."""
    parts = split_image(image)[0].split("/")
    if len(parts) > 2 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    return "/".join(parts)


def version_tuple(tag: Any) -> tuple[int, ...] | None:
    """A tag's version: ``v1.65.0`` / ``0.114.0`` / ``2.6.1-rc`` -> ``(1, 65, 0)`` (a missing patch is 0);
    ``None`` when the tag does not start with a version."""
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", str(tag or ""))
    if not match:
        return None
    return tuple(int(x or 0) for x in match.groups())


def tag_version(image: Any) -> tuple[int, ...] | None:
    """The version of an image's tag (``version_tuple(image_tag(image))``)."""
    return version_tuple(image_tag(image))
