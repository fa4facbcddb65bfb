"""The remote's own certificate for HTTPS (``--remote-tls``), made once per installation.

A self-signed certificate and its key live in ``remote/`` of the data directory (owner-only),
made the first time TLS is asked for and kept after, so a tablet that trusted it once keeps
trusting it. Its SHA-256 fingerprint is shown beside the address, for the therapist to compare
with what the tablet's browser shows before accepting it. It names the address served (and
localhost), and lasts ten years: it is checked by its fingerprint, not by a CA.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from ..config import private_dir
from ..errors import DeviceError

CERT_NAME = "remote-cert.pem"
KEY_NAME = "remote-key.pem"
VALID_DAYS = 3650


@dataclass(frozen=True)
class Certificate:
    """Where the certificate and its key are, and the certificate's SHA-256 fingerprint."""

    cert_path: Path
    key_path: Path
    fingerprint: str  # colon-separated hex, as browsers show it


def installation_certificate(folder: Path, host: str) -> Certificate:
    """The installation's certificate in ``folder`` (made when missing)."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
    except ImportError:
        raise DeviceError(
            "--remote-tls needs the 'cryptography' package: pip install 'soundness-live[remote]'"
        ) from None
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    if not (cert_path.exists() and key_path.exists()):
        _make(private_dir(folder), cert_path, key_path, host)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return Certificate(cert_path, key_path, ":".join(digest[i : i + 2] for i in range(0, 64, 2)))


def _make(folder: Path, cert_path: Path, key_path: Path, host: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Soundness Live remote")])
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for address in {host, "127.0.0.1"}:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
        except ValueError:
            names.append(x509.DNSName(address))
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(key_path, key_bytes)
    _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
