"""The client's identity and TLS context: PKCS12 in, a verifying TLS 1.2+ context out, no key on disk."""
import os
import socket
import ssl
import threading

import pytest

from estreamer.connection import (ConnectError, IdentityError, closed_after_request_hint, connect,
                                  load_identity, tls_failure)


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
    """A one-shot TLS server with the simulator's certificates (requires a client certificate)."""

    def __init__(self, pki, ca=None):
        super().__init__(daemon=True)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(pki.server_cert, pki.server_key)
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
    with pytest.raises(ConnectError, match="not signed by the CA in the PKCS12") as e:
        connect("127.0.0.1", server.port, context)
    assert e.value.cause == "server-certificate"


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
