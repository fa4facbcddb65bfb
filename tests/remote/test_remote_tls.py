"""--remote-tls: HTTPS with the installation's own certificate, made once, its fingerprint shown."""

from __future__ import annotations

import hashlib
import os
import ssl
import stat
from collections.abc import Iterator

import httpx
import pytest

from soundness_live.remote.tls import CERT_NAME, KEY_NAME
from tests.remote.conftest import Served


@pytest.fixture()
def over_tls(served: Served) -> Iterator[tuple[Served, ssl.SSLContext]]:
    """The module's remote stopped and started again with TLS, beside the same engine."""
    from soundness_live.remote.launch import start_remote, stop_remote

    stop_remote(served.remote)
    process, status = start_remote(served.home, "127.0.0.1:0", tls=True)
    served.remote, served.status = process, status
    trust = ssl.create_default_context(cafile=str(served.home / "remote" / CERT_NAME))
    yield served, trust


def test_the_remote_serves_https_with_the_certificate_whose_fingerprint_it_shows(
    over_tls: tuple[Served, ssl.SSLContext],
) -> None:
    served, trust = over_tls
    assert served.url.startswith("https://127.0.0.1:")
    pem = (served.home / "remote" / CERT_NAME).read_text()
    der = ssl.PEM_cert_to_DER_cert(pem)
    digest = hashlib.sha256(der).hexdigest().upper()
    assert served.status["fingerprint"].replace(":", "") == digest
    for name in (CERT_NAME, KEY_NAME):
        assert stat.S_IMODE(os.stat(served.home / "remote" / name).st_mode) == 0o600
    with httpx.Client(base_url=served.url, verify=trust, headers={"Origin": served.origin}) as web:
        assert web.get("api/state").status_code == 401
        paired = web.post("api/pair", json={"code": served.code()})
        assert paired.status_code == 200
        cookie = paired.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert web.cookies.get(served.cookie) and web.get("api/state").status_code == 200
        policy = web.get("/").headers["content-security-policy"]
        assert f"wss://{served.origin.removeprefix('https://')}" in policy
    with pytest.raises(httpx.TransportError):  # plain HTTP is not served beside it
        httpx.get(served.url.replace("https://", "http://") + "api/state")


def test_the_certificate_is_made_once_per_installation(
    over_tls: tuple[Served, ssl.SSLContext],
) -> None:
    from soundness_live.remote.launch import start_remote, stop_remote

    served, _ = over_tls
    first = served.status["fingerprint"]
    stop_remote(served.remote)
    served.remote, served.status = start_remote(served.home, "127.0.0.1:0", tls=True)
    assert served.status["fingerprint"] == first
    assert served.status["pairing_code"] != "" and len(served.status["pairing_code"]) == 6


def test_the_certificates_files_are_made_owner_only_again_and_a_damaged_pair_is_one_line(
    tmp_path,
) -> None:
    """A key found readable by others is made owner-only; a certificate that is not PEM, or a
    key that is not its own, is one line naming the file (never a traceback, never a new
    certificate made behind the tablets' back); nothing is left half written."""
    from soundness_live.errors import FileFormatError
    from soundness_live.remote.tls import installation_certificate

    folder = tmp_path / "remote"
    made = installation_certificate(folder, "127.0.0.1")
    assert sorted(p.name for p in folder.iterdir()) == sorted([CERT_NAME, KEY_NAME])
    for name in (CERT_NAME, KEY_NAME):
        os.chmod(folder / name, 0o644)
    assert installation_certificate(folder, "127.0.0.1") == made
    for name in (CERT_NAME, KEY_NAME):
        assert stat.S_IMODE(os.stat(folder / name).st_mode) == 0o600, name
    other = installation_certificate(tmp_path / "other", "127.0.0.1")
    key = (folder / KEY_NAME).read_bytes()
    (folder / KEY_NAME).write_bytes(other.key_path.read_bytes())
    with pytest.raises(FileFormatError, match=f"expected the key of {CERT_NAME}") as error:
        installation_certificate(folder, "127.0.0.1")
    assert "\n" not in str(error.value) and f"delete {CERT_NAME} and {KEY_NAME}" in str(error.value)
    (folder / KEY_NAME).write_bytes(key)
    (folder / CERT_NAME).write_bytes(made.cert_path.read_bytes()[:100])  # a write cut short
    with pytest.raises(FileFormatError, match=f"{CERT_NAME}: expected a PEM certificate") as cut:
        installation_certificate(folder, "127.0.0.1")
    assert "\n" not in str(cut.value)
    assert (folder / KEY_NAME).read_bytes() == key  # kept as it was
