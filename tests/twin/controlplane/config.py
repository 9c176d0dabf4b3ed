"""The configuration files of the control plane, as Talos writes them (JSON, which the components
read as YAML).  Sources, siderolabs/talos at v1.11.6:

* Pod Security admission: pkg/machinery/config/generate/init.go, the PodSecurity plugin's
  PodSecurityConfiguration (enforce baseline, audit and warn restricted, all at version latest;
  exempt namespace kube-system);
* audit policy: pkg/machinery/config/types/v1alpha1/v1alpha1_apiserverconfig.go,
  APIServerDefaultAuditPolicy (one rule, level Metadata);
* authorisation: the same file's APIServerDefaultAuthorizationConfigAuthorizers (Node "node", RBAC
  "rbac"), written as an AuthorizationConfiguration by
  internal/app/machined/pkg/controllers/k8s/render_config_static_pods.go;
* the scheduler: render_config_static_pods.go schedulerConfig (KubeSchedulerConfiguration v1 with
  clientConnection.kubeconfig).
"""

from __future__ import annotations

import json
import os
from typing import Any

from .pki import Pair

POD_SECURITY = {
    "apiVersion": "pod-security.admission.config.k8s.io/v1alpha1",
    "kind": "PodSecurityConfiguration",
    "defaults": {
        "enforce": "baseline",
        "enforce-version": "latest",
        "audit": "restricted",
        "audit-version": "latest",
        "warn": "restricted",
        "warn-version": "latest",
    },
    "exemptions": {"usernames": [], "runtimeClasses": [], "namespaces": ["kube-system"]},
}

AUDIT_POLICY = {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "Metadata"}]}


def write_json(path: str, obj: Any, private: bool = False) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1)
    return path


def admission_config(folder: str) -> str:
    """The AdmissionConfiguration with the PodSecurity plugin's configuration inline."""
    return write_json(
        os.path.join(folder, "admission-control-config.yaml"),
        {
            "apiVersion": "apiserver.config.k8s.io/v1",
            "kind": "AdmissionConfiguration",
            "plugins": [{"name": "PodSecurity", "configuration": POD_SECURITY}],
        },
    )


def audit_policy(folder: str) -> str:
    return write_json(os.path.join(folder, "auditpolicy.yaml"), AUDIT_POLICY)


def authorization_config(folder: str) -> str:
    """Node then RBAC, as an AuthorizationConfiguration (apiserver.config.k8s.io/v1, Kubernetes >= 1.32)."""
    return write_json(
        os.path.join(folder, "authorization-config.yaml"),
        {
            "apiVersion": "apiserver.config.k8s.io/v1",
            "kind": "AuthorizationConfiguration",
            "authorizers": [{"type": "Node", "name": "node"}, {"type": "RBAC", "name": "rbac"}],
        },
    )


def scheduler_config(folder: str, kubeconfig: str) -> str:
    return write_json(
        os.path.join(folder, "scheduler-config.yaml"),
        {
            "apiVersion": "kubescheduler.config.k8s.io/v1",
            "kind": "KubeSchedulerConfiguration",
            "clientConnection": {"kubeconfig": kubeconfig},
        },
    )


def kubeconfig(path: str, server: str, ca: str, client: Pair, user: str, cluster: str = "twin") -> str:
    """A kubeconfig with one context ``<user>@<cluster>`` that authenticates with a client certificate."""
    context = f"{user}@{cluster}"
    return write_json(
        path,
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": {"server": server, "certificate-authority": ca}}],
            "users": [{"name": context, "user": {"client-certificate": client.cert, "client-key": client.key}}],
            "contexts": [{"name": context, "context": {"cluster": cluster, "user": context, "namespace": "default"}}],
            "current-context": context,
            "preferences": {},
        },
        private=True,
    )
