"""Shared fixtures of the integration tests: the twin (tests/twin) brought up through its CLI.

* ``TWIN_BACKEND=real|emulator`` (default ``emulator``) selects the twin's backend for every twin the
  fixtures start (``--backend``): the real control plane of tests/twin/controlplane, or the emulator.
* ``twin`` (session): one twin with ``--before-state``; yields a dict with the env-file values
  (KUBECONFIG, S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, TWIN_URL, TWIN_STATE_DIR, S3_BACKEND),
  plus ``env_file`` and ``kube`` (a ``kubernetes.client.ApiClient`` for the twin).
  Shared by all tests: do not change its cluster-wide options; use your own namespaces.
* ``twin_factory(**opts)`` (function): start an extra twin with options, e.g.
  ``twin_factory(rook_version="1.16", obc_allowed_fields="maxObjects,maxSize", nodes=3,
  before_state=False, no_jaeger_operator=True, s3_backend="moto")``; all are stopped at teardown.
* ``module_twin_factory(**opts)`` (module): the same for twins that the tests of one module share
  (stopped when the module's tests are done).
* ``apiserver_factory(store, controllers=False)`` (function) and ``module_apiserver_factory`` (module):
  the twin's API server alone, in this process, serving ``store`` (tests of the emulator itself, which
  read ``srv.store`` and ``srv.stats`` directly); ``srv.kubeconfig`` is its kubeconfig file, ``srv.env``
  the environment for kubernetes.core (KUBECONFIG, K8S_AUTH_KUBECONFIG, TMPDIR for its discovery cache).
  ``controllers=True`` also runs the twin's controllers on the store.
* ``private_rgw`` (module): a radosgw of its own for one test module (``endpoint``, ``access_key``,
  ``secret_key``, ``state``); skips without the Ceph packages (tests/twin/install-ceph.sh).
* ``controlplane`` (session): the real control plane of tests/twin/controlplane (kine,
  kube-apiserver, kube-controller-manager, kube-scheduler, configured like Talos), a
  ``ControlPlane`` with ``kubeconfig``, ``audit_log``, ``server``; ``TWIN_KUBE_VERSION`` picks the
  minor.  Skips when its binaries are not built yet, unless ``TWIN_KUBE_BUILD=1`` (then it builds
  them: about 20 min cold on 2 cores; tools/go/build.sh kube and kine do the same by hand).

These fixtures are the only way a test starts a twin (tests/unit/test_harness_rules.py); the twin's CLI
is run through ``runner.twin_command``.
"""

from __future__ import annotations

import os
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from runner import twin_command as _cli  # noqa: E402
from tests.twin.__main__ import kubeconfig_text, read_env  # noqa: E402


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
    opts.setdefault("backend", os.environ.get("TWIN_BACKEND") or "emulator")
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


def _factory():
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


@pytest.fixture
def twin_factory():
    yield from _factory()


@pytest.fixture(scope="module")
def module_twin_factory():
    yield from _factory()


def _apiserver_factory(tmp_path_factory):
    from tests.twin.apiserver import serve
    from tests.twin.controllers import Controllers

    started = []

    def make(store, controllers=False):
        tmp = tmp_path_factory.mktemp("apiserver")
        srv = serve(store)
        started.append([srv, None])
        if controllers:
            started[-1][1] = Controllers(store, None).start()
        kubeconfig = tmp / "kubeconfig"
        kubeconfig.write_text(kubeconfig_text(srv.url))
        srv.kubeconfig = str(kubeconfig)
        srv.env = {"KUBECONFIG": srv.kubeconfig, "K8S_AUTH_KUBECONFIG": srv.kubeconfig, "TMPDIR": str(tmp)}
        return srv

    try:
        yield make
    finally:
        for srv, ctrl in reversed(started):
            if ctrl is not None:
                ctrl.stop()
            srv.stop()


@pytest.fixture
def apiserver_factory(tmp_path_factory):
    yield from _apiserver_factory(tmp_path_factory)


@pytest.fixture(scope="module")
def module_apiserver_factory(tmp_path_factory):
    yield from _apiserver_factory(tmp_path_factory)


@pytest.fixture(scope="module")
def private_rgw():
    from tests.twin import rgw

    if not rgw.ceph_available():
        pytest.skip("needs the real Ceph RGW (tests/twin/install-ceph.sh)")
    state = tempfile.mkdtemp(prefix="it-rgw-")
    try:
        info = rgw.start(state)
        yield dict(info, state=state)
    finally:
        rgw.stop(state)


@pytest.fixture(scope="session")
def controlplane(tmp_path_factory):
    from tests.twin.controlplane import ControlPlane, NotBuilt, binaries

    try:
        kube_bin, kine_bin = binaries(build=os.environ.get("TWIN_KUBE_BUILD") == "1")
    except NotBuilt as e:
        pytest.skip(f"the real control plane is not built ({e}; or set TWIN_KUBE_BUILD=1)")
    cp = ControlPlane(str(tmp_path_factory.mktemp("controlplane")), kube_bin, kine_bin).start()
    try:
        cp.wait_service_account()
        yield cp
    finally:
        cp.stop()
