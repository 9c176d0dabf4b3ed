# -*- coding: utf-8 -*-
# Copyright: (c) 2026, talos_homelab.tracing contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/images.py: the one parser of image references, and that the preflight, the support
table, the sampler checks and the readiness report all read images through it."""

from __future__ import annotations

import ast
import os

import pytest

from ansible_collections.talos_homelab.tracing.plugins.module_utils import images

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


@pytest.mark.parametrize("ref, repo, tag, digest", [
    ("otel/opentelemetry-collector-contrib:0.114.0", "otel/opentelemetry-collector-contrib", "0.114.0", None),
    ("docker.io/grafana/tempo:2.10.8", "docker.io/grafana/tempo", "2.10.8", None),
    ("registry.local:5000/grafana/tempo", "registry.local:5000/grafana/tempo", None, None),  # a port is not a tag
    ("registry.local:5000/grafana/tempo:2.10.8@sha256:ab", "registry.local:5000/grafana/tempo", "2.10.8", "sha256:ab"),
    ("grafana/tempo@sha256:ab", "grafana/tempo", None, "sha256:ab"),
    ("", "", None, None),
    (None, "", None, None),
])
def test_split_image(ref, repo, tag, digest):
    assert images.split_image(ref) == (repo, tag, digest)
    assert images.image_tag(ref) == (tag or "")


@pytest.mark.parametrize("ref, repo, name", [
    ("docker.io/jaegertracing/jaeger-query:1.68.0", "jaegertracing/jaeger-query", "jaegertracing/jaeger-query"),
    ("index.docker.io/jaegertracing/jaeger-query:1.68.0", "jaegertracing/jaeger-query", "jaegertracing/jaeger-query"),
    ("quay.io/jaegertracing/jaeger-query:1.68.0", "quay.io/jaegertracing/jaeger-query", "jaegertracing/jaeger-query"),
    ("localhost/a/b:1", "localhost/a/b", "a/b"),
    ("busybox:1.36", "busybox", "busybox"),
])
def test_repo_with_and_without_registry(ref, repo, name):
    assert images.image_repo(ref) == repo
    assert images.image_repo_name(ref) == name


@pytest.mark.parametrize("ref, version", [
    ("otel/opentelemetry-collector-contrib:0.114.0", (0, 114, 0)),
    ("jaegertracing/all-in-one:v1.65", (1, 65, 0)),
    ("grafana/tempo:2.6.1-rc.0", (2, 6, 1)),
    ("grafana/tempo:latest", None),
    ("grafana/tempo", None),
    ("registry.local:5000/grafana/tempo", None),
])
def test_tag_version(ref, version):
    assert images.tag_version(ref) == version


def _defined_functions(path):
    tree = ast.parse(open(path).read())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_no_other_module_parses_image_references():
    """The four parsers of before (issue 24) stay gone: no module_utils defines its own."""
    own = {"split_image", "image_tag", "image_repo", "image_repo_name", "tag_version", "_tag_version", "_repo", "image_version"}
    offenders = []
    for base, _dirs, files in os.walk(os.path.join(ROOT, "plugins")):
        for f in files:
            path = os.path.join(base, f)
            if f.endswith(".py") and not path.endswith(os.path.join("module_utils", "images.py")):
                offenders += ["%s: %s" % (os.path.relpath(path, ROOT), n) for n in sorted(_defined_functions(path) & own)]
    assert offenders == []
