"""A clinic server on another host is reached only over TLS that checks its certificate.

A private PostgreSQL listens on 127.0.0.1 with a certificate for ``clinic.test`` signed by a
test CA made here; URLs name the host ``clinic.test`` (so it counts as remote) and reach it at
``hostaddr=127.0.0.1``, which is how libpq checks a name it cannot resolve.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest

from soundness_live.errors import ParameterError, StoreError
from soundness_live.store.clinic.connection import ClinicAddress, connect_server
from tests.conftest import require
from tests.pgserver import SUPERUSER_PASSWORD, PgServer, free_port, pg_bin, pg_server


def _key() -> object:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: object) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _certificate(
    subject: str, key: object, issuer: tuple[str, object] | None, host: str | None
) -> bytes:
    """A PEM certificate for ``subject`` (a CA when ``issuer`` is None: self-signed)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, signer = (
        (x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer[0])]), issuer[1])
        if issuer
        else (name, key)
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if host:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), False)
    certificate = builder.sign(signer, hashes.SHA256())  # type: ignore[arg-type]
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PgServer, Path]]:
    """The private server with TLS, and the folder holding ``ca.pem`` and ``other-ca.pem``."""
    require(pg_bin() is not None, "PostgreSQL not found (apt-get install postgresql)")
    try:
        import cryptography  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as error:
        require(False, f"{error.name} not installed (pip install -e '.[test]')")
    folder = tmp_path_factory.mktemp("tls")
    ca_key, other_key, server_key = _key(), _key(), _key()
    (folder / "ca.pem").write_bytes(_certificate("Clinic test CA", ca_key, None, None))
    (folder / "other-ca.pem").write_bytes(_certificate("Another CA", other_key, None, None))
    (folder / "server.crt").write_bytes(
        _certificate("clinic.test", server_key, ("Clinic test CA", ca_key), "clinic.test")
    )
    (folder / "server.key").write_bytes(_pem_key(server_key))
    with pg_server((folder / "server.crt", folder / "server.key")) as server:
        yield server, folder


def _url(server: PgServer, host: str = "clinic.test", **query: str) -> str:
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    return f"postgresql://postgres@{host}:{server.port}/postgres?hostaddr=127.0.0.1{extra}"


def test_a_remote_server_is_verified_against_the_clinic_ca(
    tls_server: tuple[PgServer, Path],
) -> None:
    server, folder = tls_server
    address = ClinicAddress.parse(_url(server, sslrootcert=str(folder / "ca.pem")))
    assert not address.local and address.sslmode == "verify-full"
    with connect_server(address, None, SUPERUSER_PASSWORD) as conn:
        row = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
        assert row == (True,)
    with pytest.raises(StoreError, match="cannot connect to the clinic server .*certificate"):
        connect_server(
            ClinicAddress.parse(_url(server, sslrootcert=str(folder / "other-ca.pem"))),
            None,
            SUPERUSER_PASSWORD,
        )
    with pytest.raises(StoreError, match="does not match host name|server certificate for"):
        connect_server(  # a certificate for clinic.test does not vouch for another name
            ClinicAddress.parse(_url(server, "records.test", sslrootcert=str(folder / "ca.pem"))),
            None,
            SUPERUSER_PASSWORD,
        )


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer", "require"])
def test_a_remote_server_without_checked_tls_is_refused_before_connecting(mode: str) -> None:
    nobody = free_port()  # nothing listens: a refusal here is ours, not the network's
    url = f"postgresql://laptops@clinic.example.org:{nobody}/therapy?sslmode={mode}"
    with pytest.raises(ParameterError, match=f"must use TLS that checks the server.*{mode}"):
        ClinicAddress.parse(url)
    local = ClinicAddress.parse(f"postgresql://laptops@localhost:{nobody}/therapy?sslmode={mode}")
    assert local.local and local.sslmode == mode  # on this machine no network is crossed


def test_a_remote_server_that_offers_no_tls_is_refused(tls_server: tuple[PgServer, Path]) -> None:
    server, folder = tls_server
    server.sql("ALTER SYSTEM SET ssl = off")
    server.sql("SELECT pg_reload_conf()")
    try:
        with pytest.raises(StoreError, match="does not support SSL"):
            connect_server(
                ClinicAddress.parse(_url(server, sslrootcert=str(folder / "ca.pem"))),
                None,
                SUPERUSER_PASSWORD,
            )
    finally:
        server.sql("ALTER SYSTEM RESET ssl")
        server.sql("SELECT pg_reload_conf()")
