"""The FMC simulator, driven from the outside: a real `python -m fmcsim serve` subprocess, a plain
ssl client and the library's wire module."""
from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "package" / "bin")]

from estreamer.catalog.records import FAMILY_OF  # noqa: E402
from estreamer.decoder import RecordDecoder  # noqa: E402
from estreamer.wire import (  # noqa: E402
    NOW,
    NULL,
    FrameParser,
    MessageType,
    ProtocolError,
    Subscription,
    event_stream_request,
    parse_error,
    parse_streaming_information,
    split_bundle,
    streaming_request,
)
from fmcsim.pki import mint  # noqa: E402
from fmcsim.traffic import record_key  # noqa: E402

CAPTURE = Path("/work/shared/vectors/fmc-capture-2020")
PASSWORD = "estreamer"


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    mint(directory)
    return directory


@pytest.fixture
def serve(pki_dir, tmp_path):
    """Start simulators; each is killed when the test ends."""
    procs = []

    def start(*args, manifest=False):
        err = open(tmp_path / f"stderr-{len(procs)}.log", "w+")
        extra = ["--manifest", str(tmp_path / "manifest.jsonl")] if manifest else []
        proc = subprocess.Popen([sys.executable, "-m", "fmcsim", "serve", "--pki", str(pki_dir),
                                 *extra, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=err,
                                text=True)
        procs.append(proc)
        line = proc.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:"), line
        proc.port = int(line.rsplit(":", 1)[1])
        proc.log = lambda: Path(err.name).read_text()
        if manifest:
            proc.manifest = [json.loads(x) for x in open(tmp_path / "manifest.jsonl")]
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(5)


class Client:
    def __init__(self, port, pki_dir, p12="client.pkcs12", tls=None, tmp=None):
        key, cert, chain = pkcs12.load_key_and_certificates(
            (Path(pki_dir) / p12).read_bytes(), PASSWORD.encode())
        tmp = Path(tmp or pki_dir)
        certfile, keyfile = tmp / f"{p12}.crt", tmp / f"{p12}.key"
        certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(Path(pki_dir) / "ca.pem")
        context.load_cert_chain(certfile, keyfile)
        if tls:
            context.minimum_version = context.maximum_version = tls
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock = context.wrap_socket(raw, server_hostname="localhost")
        self.parser = FrameParser()
        self.raw_messages = []

    def send(self, data):
        self.sock.sendall(data)

    def read(self, timeout=5.0, ack=True):
        """Messages that arrive within ``timeout`` (at least one unless the line is idle);
        None when the server closed the connection."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            return []
        except (ssl.SSLError, ConnectionError) as exc:
            self.closed = repr(exc)
            return None
        if not data:
            self.closed = "EOF"
            return None
        messages = self.parser.feed(data)
        if ack:
            try:
                self.send(NULL * len(messages))
            except OSError:  # the server may already have closed; what arrived still counts
                pass
        return messages

    def start(self, since=0, subscription=Subscription()):
        self.send(event_stream_request(since, subscription.flags))
        info = self.expect(MessageType.STREAMING_INFORMATION)
        self.send(streaming_request(since, subscription.flags, subscription.events))
        return parse_streaming_information(info.body)

    def expect(self, message_type, timeout=5.0):
        deadline = time.monotonic() + timeout
        self.pending = getattr(self, "pending", [])
        while time.monotonic() < deadline:
            while self.pending:
                message = self.pending.pop(0)
                if message.type == message_type:
                    return message
            got = self.read(0.5)
            assert got is not None, f"connection closed: {self.closed}"
            self.pending += got
        raise AssertionError(f"no message of type {message_type}")

    def records(self, events, timeout=10.0):
        """Decode bundles until ``events`` event records arrived; returns (records, bundles)."""
        decoder, out, bundles = RecordDecoder(), [], []
        deadline, seen = time.monotonic() + timeout, 0
        queue = list(getattr(self, "pending", []))
        while seen < events and time.monotonic() < deadline:
            if not queue:
                got = self.read(0.5)
                assert got is not None, f"connection closed: {self.closed}"
                queue += got
                continue
            message = queue.pop(0)
            if message.type != MessageType.MESSAGE_BUNDLE:
                continue
            bundle = split_bundle(message.body)
            assert bundle.error is None
            bundles.append(bundle)
            for body in bundle.bodies:
                record = decoder.decode(body)
                out.append(record)
                seen += "archiveTimestamp" in record
        assert decoder.stats.unknown_types == decoder.stats.unknown_blocks == 0
        assert decoder.stats.malformed == 0 and decoder.stats.trailing_bytes == 0
        return out, bundles

    def close(self):
        self.sock.close()


def events_of(records):
    return [r for r in records if "archiveTimestamp" in r]


# --- PKI ------------------------------------------------------------------------------------------

def test_pki_files_load_with_both_encryptions_and_look_like_the_fmc_s(tmp_path):
    started = time.monotonic()
    pki = mint(tmp_path)
    assert time.monotonic() - started < 5
    assert all(os.path.exists(p) for p in pki.files())
    ca = x509.load_pem_x509_certificate(Path(pki.ca).read_bytes())
    for name, marker in (("client.pkcs12", bytes.fromhex("060960864801650304012a")),  # AES-256
                         ("client-legacy.pkcs12", bytes.fromhex("2a864886f70d010c0103"))):
        data = (tmp_path / name).read_bytes()
        assert marker in data, name
        key, cert, chain = pkcs12.load_key_and_certificates(data, PASSWORD.encode())
        assert key is not None
        assert [c.subject for c in chain] == [ca.subject]
        cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
        assert cn == "127.0.0.1" and "O=Cisco Systems\\, Inc" in cert.subject.rfc4514_string()
        assert "OU=Intrusion Management System" in cert.subject.rfc4514_string()
        assert "InternalCA" in cert.issuer.rfc4514_string()
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert [str(i) for i in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
        assert san.get_values_for_type(x509.DNSName) == ["127.0.0.1"]
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(eku) == [x509.ExtendedKeyUsageOID.CLIENT_AUTH]
        with pytest.raises(ValueError):
            pkcs12.load_key_and_certificates(data, b"wrong")
    _, wrong, _ = pkcs12.load_key_and_certificates(
        (tmp_path / "client-wrong-ip.pkcs12").read_bytes(), PASSWORD.encode())
    assert wrong.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "10.9.9.9"
    _, other, _ = pkcs12.load_key_and_certificates(
        (tmp_path / "client-other-ca.pkcs12").read_bytes(), PASSWORD.encode())
    other_ca = x509.load_pem_x509_certificate(Path(pki.other_ca).read_bytes())
    assert other.issuer == other_ca.subject != ca.subject
    server = x509.load_pem_x509_certificate(Path(pki.server_cert).read_bytes())
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)


def test_pki_cli_prints_the_files(tmp_path):
    out = subprocess.run([sys.executable, "-m", "fmcsim", "pki", str(tmp_path / "p"),
                          "--client-ip", "10.1.2.3", "--password", "pw"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    assert str(tmp_path / "p" / "client.pkcs12") in out and len(out) == 18
    assert all(Path(path).is_file() for path in out)
    _, cert, _ = pkcs12.load_key_and_certificates((tmp_path / "p" / "client.pkcs12").read_bytes(),
                                                  b"pw")
    assert cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "10.1.2.3"


# --- session --------------------------------------------------------------------------------------

@pytest.mark.parametrize("tls", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_session_sequence_bundles_and_keepalives(serve, pki_dir, tmp_path, tls):
    sim = serve("--records", "60", "--keepalive", "0.3", "--bundle-bytes", "2048")
    client = Client(sim.port, pki_dir, tls=tls, tmp=tmp_path)
    assert client.sock.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                     ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[tls]
    services = client.start()
    assert [s.id for s in services] == [5001, 5000, 6667]
    records, bundles = client.records(60)
    assert [b.sequence for b in bundles] == list(range(1, len(bundles) + 1))
    assert len({b.connection_id for b in bundles}) == 1 and len(bundles) > 3
    started = time.monotonic()
    nulls = 0
    while time.monotonic() - started < 1.2:
        for message in client.read(0.5) or []:
            assert message.type == MessageType.NULL
            nulls += 1
    assert 2 <= nulls <= 6
    log = sim.log()
    assert "connection from 127.0.0.1" in log and "streaming request" in log


def test_window_limits_unacknowledged_bundles(serve, pki_dir, tmp_path):
    sim = serve("--records", "500", "--window", "3", "--bundle-bytes", "1024")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    got = []
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        got += client.read(0.3, ack=False) or []
    assert len(got) == 3 and all(m.type == MessageType.MESSAGE_BUNDLE for m in got)
    for _ in got:
        client.send(NULL)
    assert client.read(2.0, ack=False)


@pytest.mark.parametrize("generation", ["6.0", "7.0"])
def test_every_family_decodes_and_metadata_precedes_first_use(serve, pki_dir, tmp_path,
                                                             generation):
    sim = serve("--records", "400", manifest=True)
    for _session in range(2):  # metadata is sent again in every session
        client = Client(sim.port, pki_dir, tmp=tmp_path)
        client.start(0, Subscription(generation=generation))
        records, _ = client.records(400)
        client.close()
        events = events_of(records)
        assert [record_key(r) for r in events] == [m["key"] for m in sim.manifest]
        assert [r["archiveTimestamp"] for r in events] == [m["archive"] for m in sim.manifest]
        families = {f for f, types in FAMILY_OF.items() for r in events if r["recordType"] in types}
        assert families == set(FAMILY_OF)
        _check_metadata_first(records)
    if generation == "7.0":
        assert {r.get("blockType") for r in events if r["recordType"] == 71} == {174}
        assert any(r.get("natInitiatorIp") for r in events if r["recordType"] == 71)
    conn = [r for r in events if r["recordType"] == 71]
    assert any(r["securityIntelligenceList1"] for r in conn)
    assert any(r["dnsQuery"] for r in conn) and any(r["sslServerName"] for r in conn)
    assert len({r["deviceId"] for r in events}) >= 3


def _check_metadata_first(records):
    seen = set()
    refs = {71: ((123, "deviceId"), (115, "ingressZone"), (116, "egressInterface"),
                 (119, "ruleId"), (98, "userId"), (63, "applicationId"), (520, "responderCountry")),
            400: ((66, "ruleId"), (67, "classificationId"), (4, "priorityId"), (123, "deviceId")),
            500: ((510, "fileTypeId"),), 502: ((510, "fileTypeId"),),
            125: ((128, "eventTypeId"), (123, "deviceId")), 112: ((69, "policyId"),
                                                                  (70, "ruleId")),
            110: ((111, "type"),)}
    for record in records:
        t = record["recordType"]
        if "archiveTimestamp" not in record:
            key = record.get("id", record.get("uuid", record.get("countryCode", record.get("type"))))
            if t == 66:
                key = record["ruleId"]
            seen.add((t, key))
            continue
        for meta, name in refs.get(t, ()):
            if record[name]:
                assert (meta, record[name]) in seen, (t, meta, name, record[name])
        if t in (94, 95, 93):
            assert (98, record["user"]["userId"]) in seen


def test_since_semantics(serve, pki_dir, tmp_path):
    sim = serve("--records", "200", "--keepalive", "0.3", manifest=True)
    middle = sim.manifest[103]["archive"]
    expected = [m["key"] for m in sim.manifest if m["archive"] >= middle]
    assert sim.manifest[102]["archive"] == middle  # the second is shared: inclusive matters
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start(middle)
    records, _ = client.records(len(expected))
    assert [record_key(r) for r in events_of(records)] == expected
    client.close()

    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start(NOW)
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        for message in client.read(0.3) or []:
            assert message.type == MessageType.NULL


@pytest.mark.parametrize("skew", [7, -7])
def test_archive_skew_shifts_only_the_archive_timestamps(serve, pki_dir, tmp_path, skew):
    """Two simulators, one ``--archive-skew``ed: an HA pair's FMCs. The same records in the same
    order with the same content (event times included); only each record's archive timestamp
    differs, by exactly the skew."""
    first = serve("--records", "150", "--keepalive", "0.3", manifest=True)
    other = serve("--records", "150", "--keepalive", "0.3", "--archive-skew", str(skew),
                  manifest=True)
    assert [m["key"] for m in other.manifest] == [m["key"] for m in first.manifest]
    assert [m["archive"] for m in other.manifest] == [m["archive"] + skew
                                                      for m in first.manifest]
    got = []
    for sim in (first, other):
        client = Client(sim.port, pki_dir, tmp=tmp_path)
        client.start(0, Subscription(families=("connection", "intrusion", "discovery")))
        records, _ = client.records(150)
        got.append(events_of(records))
        client.close()
    assert len(got[0]) == len(got[1]) > 100
    for a, b in zip(*got):
        assert b["archiveTimestamp"] == a["archiveTimestamp"] + skew
        assert {k: v for k, v in b.items() if k != "archiveTimestamp"} == \
            {k: v for k, v in a.items() if k != "archiveTimestamp"}


def test_archive_skew_reads_the_since_timestamp_on_the_shifted_clock(serve, pki_dir, tmp_path):
    sim = serve("--records", "200", "--keepalive", "0.3", "--archive-skew", "7", manifest=True)
    middle = sim.manifest[103]["archive"]
    expected = [m["key"] for m in sim.manifest if m["archive"] >= middle]
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start(middle)
    records, _ = client.records(len(expected))
    assert [record_key(r) for r in events_of(records)] == expected
    assert events_of(records)[0]["archiveTimestamp"] == middle
    client.close()


def test_live_records_follow_now(serve, pki_dir, tmp_path):
    sim = serve("--records", "10", "--live", "40")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start(NOW)
    records, _ = client.records(5, timeout=5)
    assert all(abs(r["archiveTimestamp"] - time.time()) < 5 for r in events_of(records))
    assert all(int(record_key(r).split(":")[2]) > 10 for r in events_of(records))


def test_replay_is_byte_identical(serve, pki_dir, tmp_path):
    sim = serve("--replay", str(CAPTURE))
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.send(event_stream_request(0, Subscription().flags))
    info = client.expect(MessageType.STREAMING_INFORMATION)
    assert (CAPTURE / "streaming-info.bin").read_bytes()[8:] == info.body
    client.send(streaming_request(0, Subscription().flags, Subscription().events))
    index = json.loads((CAPTURE / "index.json").read_text())
    files = [f["file"] for f in index["files"] if f["file"].startswith("bundle-")]
    got = []
    while len(got) < len(files):
        got.append(client.expect(MessageType.MESSAGE_BUNDLE))
    for name, message in zip(files, got):
        raw = (CAPTURE / name).read_bytes()
        assert raw[8:] == message.body and raw[2:4] == b"\x0f\xa2"


# --- certificates ---------------------------------------------------------------------------------

def _refused(client):
    return client.read(3.0) is None


def test_certificate_for_another_ip_is_refused(serve, pki_dir, tmp_path):
    sim = serve()
    client = Client(sim.port, pki_dir, "client-wrong-ip.pkcs12", tmp=tmp_path)
    client.send(event_stream_request(0, Subscription().flags))
    assert _refused(client)
    time.sleep(0.2)
    assert ("client certificate is for 10.9.9.9 but the connection comes from 127.0.0.1"
            in sim.log())
    relaxed = serve("--no-ip-check")
    client = Client(relaxed.port, pki_dir, "client-wrong-ip.pkcs12", tmp=tmp_path)
    assert [s.id for s in client.start()] == [5001, 5000, 6667]


def test_certificate_from_another_ca_is_refused(serve, pki_dir, tmp_path):
    sim = serve()
    try:
        client = Client(sim.port, pki_dir, "client-other-ca.pkcs12", tmp=tmp_path)
        client.send(event_stream_request(0, Subscription().flags))
        assert _refused(client)
    except (ssl.SSLError, ConnectionError):
        pass
    time.sleep(0.2)
    assert "TLS handshake failed" in sim.log()


# --- faults ---------------------------------------------------------------------------------------

def _stream_until_closed(client, timeout=10.0):
    """Messages until the server closes; returns (messages, closed)."""
    out, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = client.read(0.5)
        if got is None:
            return out, True
        out += got
    return out, False


def test_fault_drop_closes_mid_bundle(serve, pki_dir, tmp_path):
    sim = serve("--records", "300", "--fault", "drop@50")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    messages, closed = _stream_until_closed(client)
    assert closed and client.parser.pending > 0
    events = sum(len(split_bundle(m.body).bodies) for m in messages
                 if m.type == MessageType.MESSAGE_BUNDLE)
    assert events >= 50
    assert "fault drop@50" in sim.log()


def test_fault_stall_stops_everything(serve, pki_dir, tmp_path):
    sim = serve("--records", "300", "--keepalive", "0.2", "--fault", "stall@20:1.5")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    last, gaps = time.monotonic(), []
    deadline = last + 4
    while time.monotonic() < deadline:
        got = client.read(0.1)
        assert got is not None
        if got:
            now = time.monotonic()
            gaps.append(now - last)
            last = now
    assert max(gaps) >= 1.3
    assert "fault stall@20:1.5" in sim.log()


def test_fault_garbage_breaks_framing(serve, pki_dir, tmp_path):
    sim = serve("--records", "300", "--fault", "garbage@10")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    with pytest.raises(ProtocolError, match="version 7"):
        _stream_until_closed(client, timeout=5)
    client.close()
    time.sleep(0.3)
    assert "fault garbage@10" in sim.log()


def test_fault_error_message_then_close(serve, pki_dir, tmp_path):
    sim = serve("--records", "300", "--fault", "error@10:19:No space")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    messages, closed = _stream_until_closed(client)
    assert closed and messages[-1].type == MessageType.ERROR
    error = parse_error(messages[-1].body)
    assert (error.code, error.text) == (19, "No space")
    assert "fault error@10:19:No space" in sim.log()


def test_fault_bad_error_sends_the_spec_malformed_error_shape_then_closes(serve, pki_dir,
                                                                         tmp_path):
    sim = serve("--records", "300", "--fault", "bad-error@10:19:No space")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    messages, closed = _stream_until_closed(client)
    assert closed and messages[-1].type == MessageType.ERROR
    assert messages[-1].body == bytes.fromhex("00000013000a4e6f20737061636500")  # eNcore's vector


def test_fault_flood_sends_one_bundle_of_empty_records_then_streams_on(serve, pki_dir, tmp_path):
    sim = serve("--records", "300", "--families", "connection", "--fault", "flood@10:5000")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    bundles, deadline = [], time.monotonic() + 10
    while sum(len(b.bodies) for b in bundles if b.bodies != [b""] * 5000) < 300 \
            and time.monotonic() < deadline:
        bundles += [split_bundle(m.body) for m in client.read(0.5) or []
                    if m.type == MessageType.MESSAGE_BUNDLE]
    floods = [b for b in bundles if b.bodies == [b""] * 5000]
    assert len(floods) == 1 and floods[0].error is None
    assert len({b.sequence for b in bundles}) == len(bundles)


def test_fault_corrupt_bundle_breaks_one_inner_length_then_streams_on(serve, pki_dir, tmp_path):
    sim = serve("--records", "300", "--families", "connection", "--fault", "corrupt-bundle@10")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    bundles, deadline = [], time.monotonic() + 10
    while len(bundles) < 8 and time.monotonic() < deadline:
        bundles += [split_bundle(m.body) for m in client.read(0.5) or []
                    if m.type == MessageType.MESSAGE_BUNDLE]
    damaged = [b for b in bundles if b.error]
    assert len(damaged) == 1 and "declares 4294967280 bytes" in damaged[0].error
    assert damaged[0].bodies and bundles[-1].error is None


def test_fault_refuse_cert_hits_the_next_connection_only(serve, pki_dir, tmp_path):
    sim = serve("--records", "20", "--fault", "refuse-cert")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.send(event_stream_request(0, Subscription().flags))
    assert _refused(client)
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    assert client.start()
    assert "fault refuse-cert" in sim.log()


def test_fault_restart_resets_the_bundle_sequence(serve, pki_dir, tmp_path):
    sim = serve("--records", "400", "--bundle-bytes", "2048", "--fault", "restart@30")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    messages, closed = _stream_until_closed(client)
    assert closed and client.parser.pending == 0
    last = [split_bundle(m.body) for m in messages if m.type == MessageType.MESSAGE_BUNDLE][-1]
    assert last.sequence > 1
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    _, bundles = client.records(5)
    assert bundles[0].sequence == 1
    assert "fault restart@30" in sim.log()


def test_fault_silent_sends_only_keepalives(serve, pki_dir, tmp_path):
    sim = serve("--records", "50", "--keepalive", "0.2", "--fault", "silent")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    kinds = []
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        kinds += [m.type for m in client.read(0.3) or []]
    assert kinds and set(kinds) == {MessageType.NULL}
    assert "fault silent" in sim.log()


def test_fault_close_after_request(serve, pki_dir, tmp_path):
    sim = serve("--fault", "close-after-request")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.send(event_stream_request(0, Subscription().flags))
    messages, closed = _stream_until_closed(client, timeout=3)
    assert closed and messages == []
    assert "fault close-after-request" in sim.log()


def test_sigterm_exits_cleanly(serve, pki_dir, tmp_path):
    sim = serve()
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start()
    sim.send_signal(signal.SIGTERM)
    assert sim.wait(5) == 0


# --- an older FMC: --max-generation ---------------------------------------------------------------

def test_an_older_fmc_closes_right_after_a_streaming_request_for_newer_versions(
        serve, pki_dir, tmp_path):
    sim = serve("--records", "50", "--max-generation", "6.2")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    assert [s.id for s in client.start(0, Subscription(generation="7.0"))] == [5001, 5000, 6667]
    messages, closed = _stream_until_closed(client, timeout=3)
    assert closed and messages == []
    time.sleep(0.2)
    assert "71v17" in sim.log() and "an FMC of generation 6.2 refuses it" in sim.log()


@pytest.mark.parametrize("generation", ["6.2", "6.0"])
def test_an_older_fmc_streams_its_own_generation_and_older_ones(serve, pki_dir, tmp_path,
                                                              generation):
    sim = serve("--records", "50", "--max-generation", "6.2")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start(0, Subscription(generation=generation))
    records, _ = client.records(50)
    assert {r["blockType"] for r in records if r["recordType"] == 71} == {160}


def test_an_older_fmc_can_refuse_with_an_error_message(serve, pki_dir, tmp_path):
    sim = serve("--records", "50", "--max-generation", "6.2", "--refusal", "error")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start(0, Subscription(generation="7.0"))
    messages, closed = _stream_until_closed(client, timeout=3)
    assert closed and [m.type for m in messages] == [MessageType.ERROR]
    assert "event version 11 of event type 12 is not supported" in parse_error(
        messages[0].body).text


def test_fault_close_after_streaming_request_refuses_whatever_was_asked(serve, pki_dir, tmp_path):
    sim = serve("--records", "20", "--fault", "close-after-streaming-request")
    client = Client(sim.port, pki_dir, tmp=tmp_path)
    client.start(0, Subscription(generation="6.0"))
    messages, closed = _stream_until_closed(client, timeout=3)
    assert closed and messages == []
    client = Client(sim.port, pki_dir, tmp=tmp_path)  # a fault fires once
    client.start(0, Subscription(generation="6.0"))
    assert client.records(5)[0]
    assert "fault close-after-streaming-request" in sim.log()
