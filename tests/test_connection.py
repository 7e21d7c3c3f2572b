"""The client's identity and TLS context: PKCS12 in, a verifying TLS 1.2+ context out, no key on disk;
what is wrong with a PKCS12 or the FMC's certificate, named."""
import os
import re
import socket
import ssl
import subprocess
import sys
import threading

import pytest

from estreamer.connection import (
    ConnectError,
    IdentityError,
    closed_after_request_hint,
    connect,
    load_identity,
    server_certificate_failure,
    tls_failure,
)
from pkcs12_files import openssl_needed, rc2_pkcs12, with_kdf_rounds, with_mac_iterations


def read(path):
    with open(path, "rb") as f:
        return f.read()


@pytest.mark.parametrize("which", ["client", "client_legacy"])
def test_a_pkcs12_opens_with_its_password_in_modern_and_legacy_encryption(pki, which):
    identity = load_identity(read(getattr(pki, which)), "s3cret")
    assert identity.info.common_name == "127.0.0.1"
    assert "127.0.0.1" in identity.info.addresses
    assert identity.ca_certificates


@pytest.mark.parametrize("password", ["wrong", "", None])
def test_a_wrong_password_says_so_in_one_line(pki, password):
    with pytest.raises(IdentityError) as e:
        load_identity(read(pki.client), password)
    assert str(e.value) == "the PKCS12 password is wrong"


@pytest.mark.parametrize("data, message", [
    (b"", "the PKCS12 file is empty"),
    (b"-----BEGIN CERTIFICATE-----\nnot a pkcs12\n", "the file is not a readable PKCS12"),
])
def test_a_file_that_is_not_a_pkcs12_is_named_as_such(data, message):
    with pytest.raises(IdentityError, match=message):
        load_identity(data, "x")


def test_the_identity_never_shows_its_key(pki):
    identity = load_identity(read(pki.client), "s3cret")
    assert "PRIVATE" not in repr(identity) and "key" not in repr(identity).lower()


def test_the_client_context_requires_tls_1_2_and_verifies_the_fmc_by_default(pki):
    context = load_identity(read(pki.client), "s3cret").client_context()
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_turning_verification_off_logs_a_warning(pki, caplog):
    context = load_identity(read(pki.client), "s3cret").client_context(verify=False)
    assert context.verify_mode == ssl.CERT_NONE
    assert "verification is off" in caplog.text


def test_loading_the_key_writes_no_file_anywhere(pki, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    load_identity(read(pki.client), "s3cret").client_context()
    assert os.listdir(tmp_path) == []


class TlsServer(threading.Thread):
    """A one-shot TLS server with one of the simulator's server certificates (requires a client
    certificate)."""

    def __init__(self, pki, ca=None, certificate="server"):
        super().__init__(daemon=True)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*pki.server_files(certificate))
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.context.load_verify_locations(ca or pki.ca)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]

    def run(self):
        conn, _ = self.listener.accept()
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"ok")
        except (ssl.SSLError, OSError):
            pass
        finally:
            self.listener.close()


def test_a_handshake_with_the_fmc_that_issued_the_client_succeeds(pki):
    server = TlsServer(pki)
    server.start()
    tls = connect("127.0.0.1", server.port, load_identity(read(pki.client), "s3cret").client_context())
    assert tls.recv(2) == b"ok" and tls.version() in ("TLSv1.2", "TLSv1.3")
    tls.close()


def test_a_server_not_signed_by_the_pkcs12_ca_is_refused_by_the_client(pki):
    server = TlsServer(pki)
    server.start()
    context = load_identity(read(pki.client_other_ca), "s3cret").client_context()
    with pytest.raises(ConnectError) as e:
        connect("127.0.0.1", server.port, context)
    assert e.value.cause == "server-certificate"
    assert re.match(
        f"the FMC's certificate at 127.0.0.1:{server.port} failed verification, unknown CA: it "
        f"is not signed by the CA in the PKCS12 \\(OpenSSL: [^)]+\\): this is not the FMC that "
        f"created the client, or that FMC's CA was renewed; create a new client", str(e.value))


def test_a_closed_port_says_eStreamer_is_not_listening():
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    with pytest.raises(ConnectError, match="refused the connection: eStreamer is not enabled"):
        connect("127.0.0.1", port, ssl.create_default_context(), timeout=2)


def test_an_unknown_host_name_says_to_check_the_name():
    with pytest.raises(ConnectError, match="cannot resolve the FMC host 'fmc.invalid'") as e:
        connect("fmc.invalid", 8302, ssl.create_default_context(), timeout=2)
    assert e.value.cause == "dns"


def test_a_close_after_the_request_names_the_certificate_address_and_ours(pki):
    identity = load_identity(read(pki.client_wrong_ip), "s3cret")
    hint = closed_after_request_hint(identity, "127.0.0.1")
    assert "certificate is for 10.9.9.9 but this host connects from 127.0.0.1" in hint


def test_an_fmc_that_refuses_our_certificate_is_reported_as_such(pki):
    server = TlsServer(pki, ca=pki.other_ca)  # the FMC does not trust the client's CA
    server.start()
    context = load_identity(read(pki.client), "s3cret").client_context()
    with pytest.raises((ConnectError, ssl.SSLError)) as e:
        tls = connect("127.0.0.1", server.port, context)
        tls.recv(2)  # TLS 1.3: the verdict arrives as an alert on the first read
    message = str(e.value) if isinstance(e.value, ConnectError) else tls_failure(e.value)
    assert message.startswith("the FMC refused the client certificate")


# --- which check of the FMC's certificate failed ------------------------------------------------

def refused_certificate(pki, certificate, pkcs12="client"):
    server = TlsServer(pki, certificate=certificate)
    server.start()
    context = load_identity(read(getattr(pki, pkcs12)), "s3cret").client_context()
    with pytest.raises(ConnectError) as e:
        connect("127.0.0.1", server.port, context)
    assert e.value.cause == "server-certificate"
    return str(e.value)


def test_an_expired_fmc_certificate_is_named_expired(pki):
    message = refused_certificate(pki, "server-expired")
    assert "failed verification, expired (OpenSSL: certificate has expired)" in message
    assert "renewed on the FMC; check this host's clock too (it reads 20" in message


def test_an_fmc_certificate_not_valid_yet_points_at_the_clocks(pki):
    message = refused_certificate(pki, "server-not-yet-valid")
    assert "failed verification, not yet valid (OpenSSL: certificate is not yet valid)" in message
    assert "this host's clock or the FMC's is wrong" in message


def test_a_client_purpose_certificate_is_named_wrong_purpose(pki):
    message = refused_certificate(pki, "server-wrong-purpose")
    assert ("failed verification, wrong purpose: it is not a TLS server certificate "
            "(OpenSSL: unsuitable certificate purpose)") in message
    assert "not the FMC's eStreamer; check the host and port" in message


def test_a_name_mismatch_is_named(pki):
    """The client does not check names (the FMC's certificate names its UUID); where a context
    does, OpenSSL's verdict is read as such."""
    server = TlsServer(pki)
    server.start()
    context = ssl.create_default_context(cafile=pki.ca)
    context.load_cert_chain(pki.server_cert, pki.server_key)  # any certificate the server trusts
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        with pytest.raises(ssl.SSLCertVerificationError) as e:
            context.wrap_socket(sock, server_hostname="fmc.example.test")
    message = server_certificate_failure(e.value, "fmc.example.test", server.port)
    assert message.startswith(f"the FMC's certificate at fmc.example.test:{server.port} failed "
                              f"verification, name mismatch: it is not issued to "
                              f"fmc.example.test (OpenSSL: Hostname mismatch")


@pytest.mark.parametrize("certificate, pkcs12", [
    ("server-expired", "client"), ("server-not-yet-valid", "client"),
    ("server-wrong-purpose", "client"), ("server", "client_other_ca")])
def test_no_verify_failure_suggests_turning_verification_off(pki, certificate, pkcs12):
    message = refused_certificate(pki, certificate, pkcs12)
    assert "turn off" not in message and "verification off" not in message


# --- the client certificate's expiry ------------------------------------------------------------

def test_an_expired_client_certificate_says_to_create_a_new_client(pki):
    identity = load_identity(read(pki.client_expired), "s3cret")
    message = identity.expired()
    assert message.startswith(f"the client certificate expired on {identity.info.not_after}: ")
    assert message.endswith("create a new client on the FMC (System > Integration > eStreamer) "
                            "and upload its PKCS12")
    assert identity.days_left() == -2  # expired yesterday, a few seconds ago


def test_a_valid_client_certificate_counts_its_days_left(pki):
    identity = load_identity(read(pki.client), "s3cret")
    assert identity.expired() is None
    assert identity.days_left() == 824  # 825 days from when it was minted, in whole days
    assert identity.days_left(now=identity.not_after.timestamp() - 29.5 * 86400) == 29


# --- PKCS12 files refused before they are opened --------------------------------------------------

@pytest.fixture
def opened(monkeypatch):
    """Records whether cryptography's PKCS12 loader ran (where rounds are spent)."""
    from cryptography.hazmat.primitives.serialization import pkcs12
    calls = []
    real = pkcs12.load_key_and_certificates

    def spy(data, password, *args):
        calls.append(len(data))
        return real(data, password, *args)
    monkeypatch.setattr(pkcs12, "load_key_and_certificates", spy)
    return calls


def test_a_mac_of_more_than_a_million_rounds_is_refused_unopened(pki, opened):
    data = with_mac_iterations(read(pki.client), 2_000_000)
    with pytest.raises(IdentityError) as e:
        load_identity(data, "s3cret")
    assert opened == []
    message = str(e.value)
    assert message.startswith("the PKCS12 uses 2,000,000 key-derivation rounds for the MAC, "
                              "more than 1,000,000: opening it would cost seconds of CPU on "
                              "every save and every input start. Re-export it with the default "
                              "2,048 rounds")
    assert "openssl pkcs12 -in client.pkcs12 -passin env:PKCS12_PASSWORD" in message
    assert "-iter 2048" in message


def test_key_derivation_of_more_than_a_million_rounds_is_refused_unopened(pki, opened):
    data = with_kdf_rounds(read(pki.client), "s3cret", 1_000_001)
    opened.clear()  # making the file opened the simulator's
    with pytest.raises(IdentityError, match="uses 1,000,001 key-derivation rounds for the "
                                            "certificates \\(AES-256\\)"):
        load_identity(data, "s3cret")
    assert opened == []


def test_a_million_rounds_are_still_opened(pki, opened):
    data = with_mac_iterations(read(pki.client), 1_000_000)  # the MAC no longer verifies
    with pytest.raises(IdentityError, match="the PKCS12 password is wrong"):
        load_identity(data, "s3cret")
    assert opened == [len(data)]


@pytest.mark.parametrize("which, kind", [
    ("ca", "it is a PEM certificate (text starting with -----BEGIN CERTIFICATE-----)"),
    ("ca_key", "it is a PEM private key (-----BEGIN PRIVATE KEY-----)"),
])
def test_a_pem_upload_is_named_with_what_is_expected(pki, which, kind):
    with pytest.raises(IdentityError) as e:
        load_identity(read(getattr(pki, which)), "s3cret")
    assert str(e.value) == (f"the file is not a readable PKCS12: {kind}; expected the .pkcs12 "
                            f"file the FMC created for this client (System > Integration > "
                            f"eStreamer, the client's download link)")


def test_a_der_certificate_upload_is_named(pki):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    der = x509.load_pem_x509_certificate(read(pki.ca)).public_bytes(serialization.Encoding.DER)
    with pytest.raises(IdentityError, match="^the file is not a readable PKCS12: it is a DER "
                                            "certificate without a key \\("):
        load_identity(der, "s3cret")


def test_garbage_is_named_as_such():
    with pytest.raises(IdentityError, match="^the file is not a readable PKCS12: it is 300 bytes "
                                            "of unrecognised data \\(starting 00010203\\); "
                                            "expected the .pkcs12 file"):
        load_identity(bytes(range(256)) + bytes(44), "s3cret")


# --- RC2 files where OpenSSL's legacy provider is missing ---------------------------------------

OPEN_IN_SUBPROCESS = """
import sys
from estreamer.connection import IdentityError, load_identity
try:
    load_identity(open(sys.argv[1], "rb").read(), sys.argv[2])
    print("opened")
except IdentityError as e:
    print(e)
"""


def open_without_legacy_provider(path, password):
    """load_identity in a Python whose OpenSSL runs without the legacy provider, as on FIPS
    builds (cryptography's documented switch CRYPTOGRAPHY_OPENSSL_NO_LEGACY)."""
    from simulator import ENV
    proc = subprocess.run([sys.executable, "-c", OPEN_IN_SUBPROCESS, str(path), password],
                          capture_output=True, text=True, timeout=60,
                          env=dict(ENV, CRYPTOGRAPHY_OPENSSL_NO_LEGACY="1"))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture
def rc2_file(pki, tmp_path):
    path = tmp_path / "client.pkcs12"
    path.write_bytes(rc2_pkcs12(pki.client, "s3cret", tmp_path))
    return path


@openssl_needed
def test_an_rc2_pkcs12_opens_where_openssl_has_the_legacy_provider(rc2_file):
    identity = load_identity(rc2_file.read_bytes(), "s3cret")
    assert identity.info.common_name == "127.0.0.1" and identity.ca_certificates


@openssl_needed
def test_an_rc2_pkcs12_without_the_legacy_provider_says_so_with_the_reexport_command(rc2_file):
    message = open_without_legacy_provider(rc2_file, "s3cret")
    assert message.startswith("the PKCS12 is encrypted with RC2-40, which needs OpenSSL's legacy "
                              "provider, and this Python's OpenSSL has none (FIPS builds leave "
                              "it out). Re-export it with AES on a machine with OpenSSL 3")
    assert "openssl pkcs12 -legacy -in client.pkcs12 -passin env:PKCS12_PASSWORD" in message
    assert "password is wrong" not in message


@openssl_needed
def test_an_rc2_pkcs12_with_a_wrong_password_is_still_a_wrong_password(rc2_file):
    assert open_without_legacy_provider(rc2_file, "nope") == "the PKCS12 password is wrong"


@openssl_needed
def test_the_reexport_command_makes_a_file_that_opens_without_the_legacy_provider(rc2_file):
    from estreamer.pkcs12_layout import reexport_command
    subprocess.run(reexport_command(legacy=True), shell=True, check=True, timeout=60,
                   cwd=str(rc2_file.parent), capture_output=True,
                   env=dict(os.environ, PKCS12_PASSWORD="s3cret"))
    assert open_without_legacy_provider(rc2_file.parent / "client-aes.pkcs12", "s3cret") == \
        "opened"
    assert not list(rc2_file.parent.glob("*.pem"))  # the intermediate PEM is gone
