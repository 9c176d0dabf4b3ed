"""The committed upstream facts regenerate byte-identical from the same upstream tags.

Needs the upstream trees as bare git directories (the search tool's ``fetch``: ``<owner>+<name>/repo``
under ``TWIN_SCHEMAS_MIRROR``, default /work/.mirror); skipped where they are not fetched.
"""

from __future__ import annotations

import os

import pytest

from runner import ROOT
from tests.twin.schemas import extract

DATA = os.path.join(ROOT, "tests", "twin", "schemas", "data")
MIRROR = os.environ.get("TWIN_SCHEMAS_MIRROR", "/work/.mirror")
NEEDED = ("open-telemetry+opentelemetry-collector", "open-telemetry+opentelemetry-collector-releases", "grafana+tempo", "jaegertracing+jaeger",
          "jaegertracing+documentation")


@pytest.mark.skipif(not all(os.path.isdir(os.path.join(MIRROR, n, "repo")) for n in NEEDED), reason="upstream trees not fetched")
def test_committed_data_regenerates_byte_identical(tmp_path):
    assert extract.main(["--mirror", MIRROR, "--out", str(tmp_path)]) == 0
    assert sorted(os.listdir(tmp_path)) == sorted(os.listdir(DATA))
    for name in sorted(os.listdir(DATA)):
        with open(os.path.join(DATA, name), "rb") as a, open(tmp_path / name, "rb") as b:
            assert a.read() == b.read(), name
