"""The control plane's certificates and keys, made with the ``cryptography`` package.

One cluster CA signs the API server's serving certificate and every client certificate (the admin's,
the controller-manager's, the scheduler's, the API server's kubelet client and the nodes'), as on
Talos, whose kubeconfig (``talosctl kubeconfig``) carries a client certificate with CN ``admin`` and
O ``system:masters`` (siderolabs/talos v1.11.6 pkg/machinery/constants/constants.go,
KubernetesAdminCertCommonName, KubernetesAdminCertOrganization).  A second CA (the aggregator's)
signs the front-proxy client.  All keys are ECDSA P-256: quick to make, accepted everywhere
(service-account tokens are then signed ES256).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=365)


@dataclass(frozen=True)
class Pair:
    """A certificate and its key, as PEM files."""

    cert: str
    key: str


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    return x509.Name([*attrs, x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write(path: str, data: bytes, private: bool = False) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


class Authority:
    """A self-signed CA that issues certificates into a folder."""

    def __init__(self, folder: str, name: str, cn: str) -> None:
        self.folder = folder
        self.key = _key()
        now = datetime.datetime.now(datetime.timezone.utc)
        subject = _name(cn)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.pair = Pair(
            _write(os.path.join(folder, name + ".crt"), self.cert.public_bytes(serialization.Encoding.PEM)),
            _write(os.path.join(folder, name + ".key"), _key_pem(self.key), private=True),
        )

    def issue(self, name: str, cn: str, orgs: tuple[str, ...] = (), server_names: tuple[str, ...] = (), client: bool = True) -> Pair:
        """Write ``<name>.crt``/``<name>.key``: a client certificate, or a serving one with ``server_names``."""
        key = _key()
        now = datetime.datetime.now(datetime.timezone.utc)
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else []
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn, orgs))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
        )
        if server_names:
            usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
            sans: list[x509.GeneralName] = []
            for n in server_names:
                try:
                    sans.append(x509.IPAddress(ipaddress.ip_address(n)))
                except ValueError:
                    sans.append(x509.DNSName(n))
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False).sign(self.key, hashes.SHA256())
        return Pair(
            _write(os.path.join(self.folder, name + ".crt"), cert.public_bytes(serialization.Encoding.PEM)),
            _write(os.path.join(self.folder, name + ".key"), _key_pem(key), private=True),
        )


def service_account_keys(folder: str) -> Pair:
    """The service-account signing key and its public key (``cert`` holds the public key here)."""
    key = _key()
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return Pair(
        _write(os.path.join(folder, "service-account.pub"), pub),
        _write(os.path.join(folder, "service-account.key"), _key_pem(key), private=True),
    )
