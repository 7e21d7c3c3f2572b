"""The FMC's certificate pinned by fingerprint: against the simulator's PKI, where a second server
certificate from the same CA passes CA verification but is not the FMC's."""
import subprocess
import sys
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from estreamer.bookmark import MemoryBookmarkStore
from estreamer.client import ClientConfig, FatalError, StreamClient
from estreamer.connection import connect, load_identity
from estreamer.pinning import CertificateChanged, check_pinned, fingerprint, normalize
from estreamer.wire import Subscription
from simulator import ENV, PASSWORD
from test_connection import TlsServer, read


def sha256_of(pem_path):
    """What `openssl x509 -noout -fingerprint -sha256` shows for the certificate."""
    digest = x509.load_pem_x509_certificate(read(pem_path)).fingerprint(hashes.SHA256())
    return ":".join("{:02X}".format(b) for b in digest)


@pytest.fixture(scope="module")
def fmc(pki):
    """The fingerprints of the FMC's certificate and of the other one its CA signed."""
    return {"own": sha256_of(pki.server_files("server")[0]),
            "other": sha256_of(pki.server_files("server-2")[0])}


def handshake(pki, certificate):
    server = TlsServer(pki, certificate=certificate)
    server.start()
    return connect("127.0.0.1", server.port,
                   load_identity(read(pki.client), PASSWORD).client_context()), server.port


# --- fingerprints -----------------------------------------------------------------------------

def test_a_fingerprint_is_written_as_openssl_writes_it(pki, fmc):
    from cryptography.hazmat.primitives import serialization
    der = x509.load_pem_x509_certificate(read(pki.server_cert)).public_bytes(
        serialization.Encoding.DER)
    assert fingerprint(der) == fmc["own"]
    assert len(fmc["own"]) == 95 and fmc["own"] != fmc["other"]


@pytest.mark.parametrize("typed", [
    "ab:" * 31 + "ef", "AB" * 31 + "EF", " AB " * 30 + "ABEF ",
    "sha256 Fingerprint=" + "AB:" * 31 + "EF",
])
def test_a_pasted_fingerprint_is_normalized(typed):
    assert normalize(typed) == "AB:" * 31 + "EF"


@pytest.mark.parametrize("typed", ["AB:CD", "zz" * 32, "AB" * 33])
def test_a_wrong_fingerprint_says_what_one_looks_like(typed):
    with pytest.raises(ValueError, match="is not a SHA-256 fingerprint: 64 hexadecimal digits"):
        normalize(typed)


def test_no_fingerprint_is_no_pin():
    assert normalize("") == normalize(None) == normalize("  ") == ""


# --- the check on a live connection -------------------------------------------------------------

def test_another_certificate_from_the_same_ca_is_refused_naming_both(pki, fmc):
    tls, port = handshake(pki, "server-2")  # CA verification passes: the same CA signed it
    with pytest.raises(CertificateChanged) as e:
        check_pinned(tls, "127.0.0.1", port, fmc["own"].lower().replace(":", ""))
    tls.close()
    assert e.value.cause == "certificate-changed"
    assert (e.value.presented, e.value.pinned) == (fmc["other"], fmc["own"])
    assert str(e.value) == (
        f"the FMC at 127.0.0.1:{port} presented a certificate with SHA-256 {fmc['other']}, but "
        f"the certificate pinned for it is {fmc['own']}: if the FMC's certificate was replaced on "
        f"purpose, accept the new one by saving the FMC server again with its field "
        f"server_cert_sha256 (FMC certificate SHA-256) cleared, or set to the new fingerprint "
        f"(command line: --server-cert-sha256); otherwise another server answers at that address")


def test_the_pinned_certificate_passes(pki, fmc):
    tls, port = handshake(pki, "server")
    assert check_pinned(tls, "127.0.0.1", port, fmc["own"]) == fmc["own"]
    tls.close()


def test_without_a_pin_any_certificate_of_the_ca_passes_and_is_reported(pki, fmc):
    tls, port = handshake(pki, "server-2")
    assert check_pinned(tls, "127.0.0.1", port, "") == fmc["other"]
    tls.close()


# --- the streaming client -----------------------------------------------------------------------

class Sink:
    def __init__(self):
        self.records = []

    def write(self, record):
        self.records.append(record)

    def flush(self):
        pass


def client_for(sim, pki, pin, pkcs12=None):
    config = ClientConfig(host="127.0.0.1", port=sim.port, pkcs12=read(pkcs12 or pki.client),
                          password=PASSWORD, server_cert_sha256=pin,
                          subscription=Subscription(families=("connection",)),
                          backoff_min=0.1, backoff_max=0.2, connect_timeout=5)
    return StreamClient(config, Sink(), MemoryBookmarkStore())


def run_briefly(client, seconds=10.0):
    """``client.run`` until it returns or ``seconds`` pass (a client retrying forever would
    otherwise hang the test)."""
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    try:
        client.run(stop)
    finally:
        timer.cancel()
    return stop.is_set()


def test_a_changed_fmc_certificate_stops_the_client_instead_of_retrying(simulator, pki, fmc):
    sim = simulator("--records", 20, "--server-cert", "server-2")
    client = client_for(sim, pki, fmc["own"])
    with pytest.raises(FatalError) as e:
        run_briefly(client)
    assert str(e.value).startswith(
        f"the FMC at 127.0.0.1:{sim.port} presented a certificate with SHA-256 {fmc['other']}, "
        f"but the certificate pinned for it is {fmc['own']}")
    assert client.stats.reconnects == 0 and client.sink.records == []


def test_the_pinned_fmc_streams(simulator, pki, fmc):
    sim = simulator("--records", 20)
    client = client_for(sim, pki, fmc["own"])
    stop = threading.Event()
    client.tick = lambda: client.sink.records and stop.set()
    timer = threading.Timer(20, stop.set)
    timer.start()
    client.run(stop)
    timer.cancel()
    assert client.sink.records and client.stats.reconnects == 0


# --- the command line ---------------------------------------------------------------------------

def cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "estreamer"] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout,
                          env=dict(ENV, ESTREAMER_PKCS12_PASSWORD=PASSWORD))


def test_stream_with_a_pin_exits_on_a_changed_certificate(simulator, pki, fmc, tmp_path):
    sim = simulator("--records", 20, "--server-cert", "server-2")
    proc = cli("stream", "--host", "127.0.0.1", "--port", sim.port, "--pkcs12", pki.client,
               "--server-cert-sha256", fmc["own"], "--backoff", "0.1", "--monitor", "0",
               "--output", tmp_path / "out.jsonl", timeout=30)
    assert proc.returncode == 2
    assert (f"error: the FMC at 127.0.0.1:{sim.port} presented a certificate with SHA-256 "
            f"{fmc['other']}, but the certificate pinned for it is {fmc['own']}") in proc.stderr
    assert "reconnecting" not in proc.stderr


def test_test_shows_the_fmc_certificate_fingerprint(simulator, pki, fmc):
    sim = simulator("--records", 20)
    proc = cli("test", "--host", "127.0.0.1", "--port", sim.port, "--pkcs12", pki.client,
               "--wait", "3", "--records", "5")
    assert proc.returncode == 0, proc.stdout
    assert f", SHA-256 {fmc['own']}" in proc.stdout
    assert "FMC certificate:" not in proc.stdout  # nothing pinned, nothing compared


def test_test_with_the_pinned_fingerprint_says_it_matched(simulator, pki, fmc):
    sim = simulator("--records", 20)
    proc = cli("test", "--host", "127.0.0.1", "--port", sim.port, "--pkcs12", pki.client,
               "--wait", "3", "--records", "5", "--server-cert-sha256", fmc["own"])
    assert proc.returncode == 0, proc.stdout
    assert "ok   FMC certificate: the pinned certificate" in proc.stdout


def test_test_with_another_pin_fails_naming_both_fingerprints(simulator, pki, fmc):
    sim = simulator("--records", 20, "--server-cert", "server-2")
    proc = cli("test", "--host", "127.0.0.1", "--port", sim.port, "--pkcs12", pki.client,
               "--wait", "3", "--server-cert-sha256", fmc["own"])
    assert proc.returncode == 1
    assert (f"verdict: FAILED - the FMC at 127.0.0.1:{sim.port} presented a certificate with "
            f"SHA-256 {fmc['other']}, but the certificate pinned for it is {fmc['own']}"
            in proc.stdout)


def test_a_malformed_pin_on_the_command_line_is_refused(pki):
    proc = cli("test", "--host", "127.0.0.1", "--pkcs12", pki.client,
               "--server-cert-sha256", "AB:CD")
    assert proc.returncode == 2
    assert "--server-cert-sha256: 'AB:CD' is not a SHA-256 fingerprint" in proc.stderr
