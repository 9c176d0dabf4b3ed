"""RBAC on the real API server: a ServiceAccount without a role may not list endpoints or
endpointslices (what the collector's resolver needs), both by SubjectAccessReview and by an
impersonated request; a Role and RoleBinding grant exactly that."""

from __future__ import annotations

import time

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

NS = "cp-rbac"
SA = "resolver"
USER = f"system:serviceaccount:{NS}:{SA}"


def _allowed(api, verb: str, resource: str, group: str = "") -> bool:
    review = client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
        user=USER, groups=["system:serviceaccounts", f"system:serviceaccounts:{NS}", "system:authenticated"],
        resource_attributes=client.V1ResourceAttributes(namespace=NS, verb=verb, resource=resource, group=group)))
    return bool(client.AuthorizationV1Api(api).create_subject_access_review(review).status.allowed)


@pytest.fixture(scope="module")
def api(controlplane):
    with config.new_client_from_config(config_file=controlplane.kubeconfig) as api:
        core = client.CoreV1Api(api)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
        core.create_namespaced_service_account(NS, client.V1ServiceAccount(metadata=client.V1ObjectMeta(name=SA)))
        try:
            yield api
        finally:
            core.delete_namespace(NS)


def test_service_account_without_a_role_is_denied(api):
    for verb in ("list", "watch"):
        assert not _allowed(api, verb, "endpoints")
        assert not _allowed(api, verb, "endpointslices", "discovery.k8s.io")


def test_impersonated_request_is_forbidden(controlplane):
    with config.new_client_from_config(config_file=controlplane.kubeconfig) as api:
        api.set_default_header("Impersonate-User", USER)
        with pytest.raises(ApiException) as denied:
            client.DiscoveryV1Api(api).list_namespaced_endpoint_slice(NS)
    assert denied.value.status == 403
    assert USER in denied.value.body and "endpointslices" in denied.value.body


def test_role_binding_grants_list_and_watch(api):
    rbac = client.RbacAuthorizationV1Api(api)
    rbac.create_namespaced_role(NS, client.V1Role(
        metadata=client.V1ObjectMeta(name=SA),
        rules=[client.V1PolicyRule(api_groups=[""], resources=["endpoints"], verbs=["list", "watch"]),
               client.V1PolicyRule(api_groups=["discovery.k8s.io"], resources=["endpointslices"], verbs=["list", "watch"])]))
    rbac.create_namespaced_role_binding(NS, client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name=SA),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name=SA),
        subjects=[client.RbacV1Subject(kind="ServiceAccount", name=SA, namespace=NS)]))
    deadline = time.monotonic() + 15  # the authorizer reads roles from its informers
    while not _allowed(api, "list", "endpointslices", "discovery.k8s.io") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _allowed(api, "list", "endpointslices", "discovery.k8s.io") and _allowed(api, "watch", "endpoints")
    assert not _allowed(api, "delete", "endpointslices", "discovery.k8s.io")
    assert not _allowed(api, "list", "secrets")
