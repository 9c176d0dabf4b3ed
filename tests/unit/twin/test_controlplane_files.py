"""The control plane launcher's files without running it: certificates (subjects, usages, SANs,
issuer), the Talos configurations, the kubeconfig, the argv, and the tool names per version."""

from __future__ import annotations

import json
import os

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.twin.controlplane import config, gotools, pki
from tests.twin.controlplane.launch import ControlPlane


def _cert(path: str) -> x509.Certificate:
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def test_client_and_serving_certificates(tmp_path):
    ca = pki.Authority(str(tmp_path), "ca", "kubernetes")
    admin = _cert(ca.issue("admin", "admin", ("system:masters",)).cert)
    assert admin.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "admin"
    assert [a.value for a in admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == ["system:masters"]
    assert admin.issuer == ca.cert.subject
    usages = admin.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    serving = _cert(ca.issue("apiserver", "kube-apiserver", server_names=("127.0.0.1", "kubernetes"), client=False).cert)
    sans = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert sans.get_values_for_type(x509.DNSName) == ["kubernetes"]
    assert list(serving.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert oct(os.stat(tmp_path / "admin.key").st_mode & 0o777) == "0o600"


def test_talos_admission_and_audit_configuration(tmp_path):
    with open(config.admission_config(str(tmp_path)), encoding="utf-8") as f:
        admission = json.load(f)
    (plugin,) = admission["plugins"]
    assert plugin["name"] == "PodSecurity"
    psa = plugin["configuration"]
    assert (psa["defaults"]["enforce"], psa["defaults"]["audit"], psa["defaults"]["warn"]) == ("baseline", "restricted", "restricted")
    assert psa["exemptions"]["namespaces"] == ["kube-system"]
    with open(config.audit_policy(str(tmp_path)), encoding="utf-8") as f:
        assert json.load(f)["rules"] == [{"level": "Metadata"}]
    with open(config.authorization_config(str(tmp_path)), encoding="utf-8") as f:
        assert [a["type"] for a in json.load(f)["authorizers"]] == ["Node", "RBAC"]


def test_files_and_apiserver_argv(tmp_path, monkeypatch):
    cp = ControlPlane(str(tmp_path), "/kube", "/kine")
    cp.port = 6443
    cp._write_files()
    with open(cp.kubeconfig, encoding="utf-8") as f:
        kc = json.load(f)
    assert kc["current-context"] == "admin@twin"
    assert kc["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert os.path.exists(kc["users"][0]["user"]["client-certificate"])
    monkeypatch.setattr("tests.twin.controlplane.launch.kube_minor", lambda _: 34)
    argv = cp._apiserver_argv("http://127.0.0.1:2379")
    flags = dict(a[2:].split("=", 1) for a in argv[1:] if "=" in a)
    assert flags["anonymous-auth"] == "false" and flags["enable-admission-plugins"] == "NodeRestriction"
    assert flags["bind-address"] == "127.0.0.1" and flags["service-cluster-ip-range"] == "10.96.0.0/12"
    assert flags["authorization-config"].endswith("authorization-config.yaml") and "authorization-mode" not in flags
    monkeypatch.setattr("tests.twin.controlplane.launch.kube_minor", lambda _: 31)
    flags = dict(a[2:].split("=", 1) for a in cp._apiserver_argv("http://x")[1:] if "=" in a)
    assert flags["authorization-mode"] == "Node,RBAC" and "authorization-config" not in flags


def test_tool_per_version(monkeypatch):
    monkeypatch.delenv("TWIN_KUBE_VERSION", raising=False)
    assert gotools.kube_tool() == "kube"
    assert gotools.kube_tool("1.31") == "kube-1.31"
    monkeypatch.setenv("TWIN_KUBE_VERSION", "1.37")
    assert gotools.kube_tool() == "kube-1.37"
    for name in ("kube", "kube-1.31", "kube-1.37", "kine"):
        assert os.path.isfile(os.path.join(gotools.ROOT, "tools", "go", name, "go.mod")), name
