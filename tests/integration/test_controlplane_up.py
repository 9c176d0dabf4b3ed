"""The real control plane (tests/twin/controlplane) comes up like Talos': TLS with a client
certificate for the admin (O=system:masters, as ``talosctl kubeconfig`` gives), no anonymous access,
the version that tools/go built, and running controllers."""

from __future__ import annotations

import os
import ssl
import urllib.error
import urllib.request

from kubernetes import client, config


def _api(cp):
    return config.new_client_from_config(config_file=cp.kubeconfig)


def test_ready_and_versioned(controlplane):
    status, body = controlplane.get("/readyz?verbose")
    assert status == 200, body
    assert "[+]etcd ok" in body
    version = controlplane.version()
    minor = os.environ.get("TWIN_KUBE_VERSION", "1.34")
    assert version.startswith(f"v{minor}."), version
    with _api(controlplane) as api:
        info = client.VersionApi(api).get_code()
    assert (info.major, info.minor) == ("1", minor.split(".")[1])


def test_kubeconfig_authenticates_with_a_client_certificate(controlplane):
    with _api(controlplane) as api:
        assert api.configuration.cert_file and api.configuration.key_file
        review = client.AuthenticationV1Api(api).create_self_subject_review(
            client.V1SelfSubjectReview(api_version="authentication.k8s.io/v1", kind="SelfSubjectReview"))
    user = review.status.user_info
    assert user.username == "admin"
    assert "system:masters" in user.groups and "system:authenticated" in user.groups


def test_anonymous_is_refused(controlplane):
    ctx = ssl.create_default_context(cafile=controlplane.ca.pair.cert)  # trusts the server, shows no certificate
    for path in ("/version", "/readyz", "/api/v1/namespaces"):
        try:
            urllib.request.urlopen(controlplane.server + path, context=ctx, timeout=5)  # noqa: S310
            raise AssertionError(f"anonymous GET {path} was answered")
        except urllib.error.HTTPError as e:
            assert e.code == 401, (path, e.code)


def test_controllers_run(controlplane):
    """The controller-manager's ServiceAccount controller made ``default`` in a new namespace, and
    both controller-manager and scheduler hold their leader leases."""
    with _api(controlplane) as api:
        core = client.CoreV1Api(api)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="cp-up-sa")))
        try:
            assert controlplane.wait_service_account("cp-up-sa", timeout=30) < 30
            leases = client.CoordinationV1Api(api).list_namespaced_lease("kube-system").items
        finally:
            core.delete_namespace("cp-up-sa")
    holders = {lease.metadata.name: lease.spec.holder_identity for lease in leases}
    assert holders.get("kube-controller-manager") and holders.get("kube-scheduler"), holders
    assert all(c.alive() for c in controlplane.children), [c.name for c in controlplane.children if not c.alive()]
