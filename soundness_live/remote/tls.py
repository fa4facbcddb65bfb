"""The remote's own certificate for HTTPS (``--remote-tls``), made once per installation.

A self-signed certificate and its key live in ``remote/`` of the data directory (owner-only),
made the first time TLS is asked for and kept after, so a tablet that trusted it once keeps
trusting it. Both are written whole or not at all, owner-only, and made owner-only again when
found readable by others; a damaged pair (not PEM, or a key that is not the certificate's) is
one line saying so, never replaced behind the therapist's back (the tablets check the
fingerprint). Its SHA-256 fingerprint is shown beside the address, for the therapist to compare
with what the tablet's browser shows before accepting it. It names the address served (and
localhost), and lasts ten years: it is checked by its fingerprint, not by a CA.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..audio.private_file import write_private_files
from ..config import private_dir
from ..errors import DeviceError, FileFormatError

if TYPE_CHECKING:
    from cryptography import x509

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
        from cryptography.hazmat.primitives import hashes
    except ImportError:
        raise DeviceError(
            "--remote-tls needs the 'cryptography' package: pip install 'soundness-live[remote]'"
        ) from None
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    if not (cert_path.exists() and key_path.exists()):
        _make(private_dir(folder), cert_path, key_path, host)
    for path in (key_path, cert_path):
        _owner_only(path)
    cert = _checked_pair(cert_path, key_path)
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
    # both written and synced before either is named: a pair is never half made
    write_private_files(
        {key_path: key_bytes, cert_path: cert.public_bytes(serialization.Encoding.PEM)}
    )


def _owner_only(path: Path) -> None:
    """Make ``path`` owner-only (0o600) when group or others may read it (the key would let
    anyone on this machine pass for the remote)."""
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)


def _checked_pair(cert_path: Path, key_path: Path) -> x509.Certificate:
    """The certificate of ``cert_path``; FileFormatError (one line) when it or the key of
    ``key_path`` cannot be read, or the key is not the certificate's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    fix = (
        f"delete {cert_path.name} and {key_path.name} to make a new certificate "
        "(its fingerprint must then be checked again on each tablet)"
    )
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError) as error:
        raise FileFormatError(f"{cert_path}: expected a PEM certificate ({error}); {fix}") from None
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise FileFormatError(f"{key_path}: expected a PEM private key ({error}); {fix}") from None
    if _public_der(key.public_key()) != _public_der(cert.public_key()):
        raise FileFormatError(
            f"{key_path}: expected the key of {cert_path.name}, got another; {fix}"
        )
    return cert


def _public_der(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
