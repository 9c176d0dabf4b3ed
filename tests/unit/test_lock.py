"""The locks and the venv (issue 19): .venv holds exactly requirements.lock, which is resolved from
requirements-test.txt; every transitive package is pinned with hashes."""
import importlib.metadata
import json
import os
import pathlib
import re
import shutil
import sys

import pytest
import yaml
from ansible.utils.version import SemanticVersion

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "lock"))
import inputs  # noqa: E402  (scripts/lock/inputs.py: one source for make lock and this test)


def test_locks_agree_with_the_input_files():
    assert inputs.disagreements(ROOT) == []


def _copy_inputs(tmp_path):
    for name in ("requirements.txt", "requirements-test.txt", *inputs.LOCKS.values()):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("edit, expected", [
    (lambda t: t + "leftpad==1.0.0\n", "requirements.lock lacks leftpad (leftpad==1.0.0)"),
    (lambda t: t.replace("pytest==8.4.2", "pytest==8.4.1"), "requirements.lock pins pytest==8.4.2, the input says pytest==8.4.1"),
    (lambda t: t.replace("ansible-core==2.19.14", "ansible-core==2.19.13"), "requirements-sanity.lock pins ansible-core==2.19.14"),
    (lambda t: t.replace("ruff==0.17.6\n", ""), "requirements.lock was not resolved from the current input lines"),
])
def test_a_changed_input_file_is_caught(tmp_path, edit, expected):
    root = _copy_inputs(tmp_path)
    path = root / "requirements-test.txt"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    problems = inputs.disagreements(root)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_runtime_requirement_missing_from_the_lock_is_caught(tmp_path):
    root = _copy_inputs(tmp_path)
    (root / "requirements.txt").write_text((root / "requirements.txt").read_text() + "leftpad==1.0.0\n")
    assert any("lacks leftpad" in p for p in inputs.disagreements(root))


def test_every_locked_package_carries_hashes():
    for lock in inputs.LOCKS.values():
        blocks = re.split(r"\n(?=[a-z0-9])", (ROOT / lock).read_text(encoding="utf-8"))[1:]
        assert blocks, lock
        for block in blocks:
            assert "--hash=sha256:" in block, f"{lock}: {block.splitlines()[0]} has no hash"


def test_holds_are_lifted_only_in_latest_mode():
    held = [r for r, h in inputs.requirement_lines(ROOT) if h]
    assert held, "requirements-test.txt holds no package: drop this test with the last hold"
    assert set(held) <= set(inputs.inputs(ROOT)["requirements"])
    assert not set(held) & set(inputs.inputs(ROOT, latest=True)["requirements"])


def _installed():
    return {inputs.project_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="not running in a virtual environment")
def test_the_venv_holds_exactly_the_lock():
    # make deps-latest runs the unit tests in its scratch venv with its own lock (LOCK_FILE).
    lock = pathlib.Path(os.environ.get("LOCK_FILE", ROOT / "requirements.lock"))
    pins = inputs.lock_pins(lock.read_text(encoding="utf-8"))
    installed = _installed()
    extra = {n: v for n, v in installed.items() if n not in pins}
    assert not extra, f"the venv holds packages {lock.name} does not name: {extra}"
    other = {n: (v, pins[n]) for n, v in installed.items() if pins[n] != v}
    assert not other, f"installed versions differ from {lock.name} (installed, locked): {other}"
    assert set(pins) <= set(installed), f"locked but not installed: {sorted(set(pins) - set(installed))}"


def test_requirements_yml_pins_the_kubernetes_core_the_tests_run_with():
    import ansible_collections.kubernetes.core as bundled

    pinned = yaml.safe_load((ROOT / "requirements.yml").read_text())["collections"]
    assert [c["name"] for c in pinned] == ["kubernetes.core"]
    version = pinned[0]["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"requirements.yml: {version!r} is not one exact version"
    manifest = pathlib.Path(bundled.__path__[0]) / "MANIFEST.json"
    assert json.loads(manifest.read_text())["collection_info"]["version"] == version
    supported = yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"]["kubernetes.core"]
    for bound in supported.split(","):
        op, ref = re.fullmatch(r"([<>=!]=?)(.+)", bound.strip()).groups()
        v, r = SemanticVersion(version), SemanticVersion(ref)
        assert {">=": v >= r, "<": v < r, ">": v > r, "<=": v <= r, "==": v == r, "!=": v != r}[op], (version, bound)


def test_moves_names_each_changed_pin_once():
    old = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    new = old.replace("cryptography==46.0.7", "cryptography==51.0.1").replace("pytest==8.4.2", "pytest==9.0.0")
    assert inputs.moves(old, new) == ["cryptography 46.0.7 -> 51.0.1", "pytest 8.4.2 -> 9.0.0"]
    assert inputs.moves(old, old) == []
