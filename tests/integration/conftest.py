"""Shared fixtures of the integration tests: the twin (tests/twin) brought up through its CLI.

* ``twin`` (session): one twin with ``--before-state``; yields a dict with the env-file values
  (KUBECONFIG, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, TWIN_URL, TWIN_STATE_DIR, S3_BACKEND),
  plus ``env_file`` and ``kube`` (a ``kubernetes.client.ApiClient`` for the twin).
  Shared by all tests: do not change its cluster-wide options; use your own namespaces.
* ``twin_factory(**opts)`` (function): start an extra twin with options, e.g.
  ``twin_factory(rook_version="1.16", obc_allowed_fields="maxObjects,maxSize", nodes=3,
  before_state=False, no_jaeger_operator=True, s3_backend="moto")``; all are stopped at teardown.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.twin.__main__ import read_env  # noqa: E402


def _cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.twin", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)


def _opts_to_args(opts: dict) -> list:
    args = []
    for key, value in opts.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is False or value is None:
            continue
        else:
            args += [flag, str(value)]
    return args


def start_twin(**opts) -> dict:
    fd, env_file = tempfile.mkstemp(prefix="twin-env-", suffix=".env")
    os.close(fd)
    p = _cli("up", "--env-file", env_file, *_opts_to_args(opts))
    if p.returncode != 0:
        _cli("down", "--env-file", env_file)
        raise RuntimeError(f"twin up failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    env = read_env(env_file)
    env["env_file"] = env_file
    from kubernetes import config

    env["kube"] = config.new_client_from_config(config_file=env["KUBECONFIG"])
    return env


def stop_twin(env: dict) -> None:
    kube = env.get("kube")
    if kube is not None:
        try:
            kube.close()
        except Exception:  # noqa: BLE001
            pass
    p = _cli("down", "--env-file", env["env_file"], timeout=120)
    try:
        os.unlink(env["env_file"])
    except OSError:
        pass
    if p.returncode != 0:
        sys.stderr.write(f"twin down reported a problem:\n{p.stderr}\n")


@pytest.fixture(scope="session")
def twin():
    env = start_twin(before_state=True)
    try:
        yield env
    finally:
        stop_twin(env)


@pytest.fixture
def twin_factory():
    started = []

    def make(**opts) -> dict:
        env = start_twin(**opts)
        started.append(env)
        return env

    try:
        yield make
    finally:
        for env in reversed(started):
            stop_twin(env)
