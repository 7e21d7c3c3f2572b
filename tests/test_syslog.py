"""Syslog transport (estreamer.syslog) and the CEF sinks, over real loopback sockets: RFC 5424
and RFC 3164 headers, RFC 6587 octet counting on TCP, one datagram per message on UDP (RFC
5426), reconnects, backpressure from a receiver that does not read, and the size limit."""
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from cim.fixtures import scenario_events
from estreamer.cef import TRUNCATED, CefFormatter
from estreamer.sinks import CefLinesSink, SyslogSink
from estreamer.syslog import (
    DeliveryError,
    Rfc3164Header,
    Rfc5424Header,
    SyslogTarget,
    TcpTransport,
    UdpTransport,
    parse_target,
)

EVENTS = [event for _, _, event in scenario_events()]


# --- targets and headers -----------------------------------------------------------------------

@pytest.mark.parametrize("text, target", [
    ("tcp://siem.example.com:514", SyslogTarget("tcp", "siem.example.com", 514)),
    ("udp://127.0.0.1:5514", SyslogTarget("udp", "127.0.0.1", 5514)),
    ("tcp://[::1]:6514", SyslogTarget("tcp", "::1", 6514)),
])
def test_a_target_is_a_protocol_a_host_and_a_port(text, target):
    assert parse_target(text) == target
    assert str(target) == text


@pytest.mark.parametrize("text, message", [
    ("siem.example.com:514", "expected udp://HOST:PORT or tcp://HOST:PORT"),
    ("http://siem.example.com:514", "expected udp://HOST:PORT or tcp://HOST:PORT"),
    ("tcp://siem.example.com", "name the receiver's host and port"),
    ("tcp://:514", "name the receiver's host and port"),
    ("udp://siem.example.com:port", "the port must be a number"),
    ("udp://siem.example.com:70000", "the port must be a number"),
])
def test_a_bad_target_says_what_is_expected(text, message):
    with pytest.raises(ValueError, match=message):
        parse_target(text)


def test_an_rfc5424_header_has_version_utc_time_host_app_and_process():
    header = Rfc5424Header("sensor-host", clock=lambda: 1700000000.25)
    assert re.fullmatch(rb"<13>1 2023-11-14T22:13:20\.250Z sensor-host estreamer \d+ - - ",
                        header.prefix())


def test_an_rfc3164_header_has_local_time_with_a_space_padded_day():
    moment = time.mktime((2024, 5, 3, 4, 5, 6, 0, 0, -1))  # local time, as RFC 3164 wants
    assert Rfc3164Header("sensor-host", clock=lambda: moment).prefix() == \
        b"<13>May  3 04:05:06 sensor-host "


# --- a receiver for the tests -----------------------------------------------------------------

class Receiver:
    """A TCP syslog receiver on loopback that keeps what each connection sent, or stops
    reading (``reading`` cleared) so that the sender's writes block."""

    def __init__(self, reading=True, port=0, rcvbuf=None):
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if rcvbuf:
            self.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.server.bind(("127.0.0.1", port))
        self.server.listen(5)
        self.port = self.server.getsockname()[1]
        self.reading = threading.Event()
        if reading:
            self.reading.set()
        self.streams, self.connections, self.closed = [], [], False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def data(self) -> bytes:
        return b"".join(bytes(stream) for stream in self.streams)

    def _serve(self):
        self.server.settimeout(0.1)
        while not self.closed:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.connections.append(conn)
            stream = bytearray()
            self.streams.append(stream)
            conn.settimeout(0.1)
            while not self.closed:
                if not self.reading.wait(0.1):
                    continue
                try:
                    chunk = conn.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                stream += chunk

    def messages(self, cut_ok=False):
        """The frames received, ``<length> <message>`` each with nothing in between; a frame a
        connection's end cut short is an error unless ``cut_ok``."""
        out = []
        for stream in self.streams:
            data, offset = bytes(stream), 0
            while offset < len(data):
                space = data.find(b" ", offset)
                length = int(data[offset:space]) if space > 0 else -1
                if space < 0 or space + 1 + length > len(data):
                    assert cut_ok, f"a frame was cut at byte {offset} of a connection"
                    break
                out.append(data[space + 1:space + 1 + length])
                offset = space + 1 + length
        return out

    def drop_connections(self):
        for conn in self.connections:
            conn.close()

    def close(self):
        self.closed = True
        self.thread.join(5)
        self.server.close()
        self.drop_connections()


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def receivers():
    made = []

    def make(**kw):
        receiver = Receiver(**kw)
        made.append(receiver)
        return receiver
    yield make
    for receiver in made:
        receiver.close()


def tcp(port, **kw):
    return TcpTransport(SyslogTarget("tcp", "127.0.0.1", port), **kw)


# --- TCP -------------------------------------------------------------------------------------

def test_tcp_messages_are_octet_counted(receivers):
    receiver = receivers()
    transport = tcp(receiver.port)
    messages = [b"<13>1 - h a 1 - - CEF:0|x", b"with\nnewline and \xc3\xa9", b"3 4 5"]
    for message in messages:
        transport.add(message)
    transport.flush()
    expected = b"25 <13>1 - h a 1 - - CEF:0|x19 with\nnewline and \xc3\xa95 3 4 5"
    assert wait_for(lambda: receiver.data == expected)
    assert receiver.messages() == messages


def test_flush_returns_once_every_message_is_in_the_sockets_hands(receivers):
    receiver = receivers()
    transport = tcp(receiver.port, buffer_limit=1 << 20)
    for n in range(100):
        transport.add(b"message %d" % n)
    assert transport.sent == 0 and transport.buffered > 0  # below the limit: still buffered
    transport.flush()
    assert transport.sent == 100 and transport.buffered == 0


def test_a_receiver_that_stops_reading_blocks_the_writer_and_memory_stays_bounded(receivers):
    receiver = receivers(reading=False, rcvbuf=4096)
    transport = tcp(receiver.port, buffer_limit=8192)
    added, message = [0], b"x" * 500

    def writer():
        for _ in range(20000):  # 10 MB: far more than the sockets' buffers hold
            transport.add(message)
            added[0] += 1
        transport.flush()

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    time.sleep(1.0)
    stalled = added[0]
    time.sleep(1.0)
    assert added[0] == stalled < 20000, "the writer went on while nobody read"
    assert transport.buffered <= 8192 + len(message) + 8
    receiver.reading.set()
    thread.join(30)
    assert not thread.is_alive()
    assert wait_for(lambda: len(receiver.data) >= 20000 * 504)
    assert receiver.messages() == [message] * 20000


def test_a_closed_connection_is_opened_again_and_nothing_is_lost(receivers):
    receiver = receivers()
    transport = tcp(receiver.port)
    transport.add(b"first")
    transport.flush()
    assert wait_for(lambda: receiver.data == b"5 first")
    receiver.drop_connections()   # e.g. the receiver restarted
    time.sleep(0.2)
    transport.add(b"second")
    transport.flush()
    assert wait_for(lambda: len(receiver.connections) == 2 and receiver.data.endswith(b"second"))
    assert receiver.messages() == [b"first", b"second"]
    assert transport.connects == 2


def test_a_receiver_that_is_down_is_retried_until_it_listens(receivers, caplog):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    transport = tcp(port, backoff_min=0.1, backoff_max=0.2)
    transport.add(b"waited")
    done = threading.Thread(target=transport.flush, daemon=True)
    with caplog.at_level("WARNING", logger="estreamer.syslog"):
        done.start()
        time.sleep(0.5)
        assert done.is_alive()  # blocked: the FMC is not read meanwhile
        receiver = receivers(port=port)
        done.join(10)
    assert not done.is_alive()
    assert wait_for(lambda: receiver.data == b"6 waited")
    assert [r.getMessage() for r in caplog.records] == [
        f"syslog receiver tcp://127.0.0.1:{port}: Connection refused; retrying (the FMC is not "
        f"read meanwhile)"]


def test_a_stop_while_the_receiver_does_not_read_gives_up_after_the_linger(receivers):
    receiver = receivers(reading=False, rcvbuf=4096)
    stop = threading.Event()
    transport = tcp(receiver.port, stop=stop, buffer_limit=1 << 30, linger=1.0)
    for _ in range(20000):
        transport.add(b"y" * 500)
    stop.set()
    started = time.monotonic()
    with pytest.raises(DeliveryError, match=r"tcp://127\.0\.0\.1:\d+ took no more messages "
                                            r"within 1 s of the stop: 20000 messages not sent; "
                                            r"the bookmark stays before them"):
        transport.flush()
    assert time.monotonic() - started < 5


# --- UDP -------------------------------------------------------------------------------------

def test_udp_sends_one_datagram_per_message_without_framing():
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    transport = UdpTransport(SyslogTarget("udp", "127.0.0.1", server.getsockname()[1]))
    try:
        for message in (b"<13>1 one", b"<13>1 two \xc3\xa9"):
            transport.add(message)
        transport.flush()
        assert [server.recv(65536) for _ in range(2)] == [b"<13>1 one", b"<13>1 two \xc3\xa9"]
        assert transport.sent == 2
    finally:
        transport.close()
        server.close()


# --- the sinks -------------------------------------------------------------------------------

class Mapped:
    """A mapper double for the sinks: the records are the events already."""

    def map(self, event):
        return event


def test_the_syslog_sink_writes_header_and_cef_line_per_event(receivers):
    receiver = receivers()
    header = Rfc5424Header("h", clock=lambda: 0.0)
    sink = SyslogSink(tcp(receiver.port), Mapped(), CefFormatter(), header)
    for event in EVENTS:
        sink.write(event)
    sink.flush()
    assert wait_for(lambda: len(receiver.messages()) == len(EVENTS) if receiver.data else False)
    lines = [CefFormatter().line(event).encode() for event in EVENTS]
    assert receiver.messages() == [header.prefix() + line for line in lines]


def test_no_syslog_message_exceeds_the_size_limit_and_none_is_split(receivers):
    receiver = receivers()
    event = EVENTS[0]
    big = type(event)(event.time, event.sourcetype, event.host,
                      {**event.event, "url": "https://e.example/" + "p" * 50000})
    sink = SyslogSink(tcp(receiver.port), Mapped(), CefFormatter(), Rfc5424Header(), 1024)
    sink.write(big)
    sink.write(event)
    sink.flush()
    assert wait_for(lambda: receiver.data.count(b"CEF:0|") == 2)
    first, second = receiver.messages()
    assert len(first) <= 1024 and TRUNCATED.encode() in first
    assert second.endswith(CefFormatter().line(event).encode())


def test_the_cef_file_sink_writes_one_line_per_event(tmp_path):
    path = tmp_path / "out.cef"
    with open(path, "w", encoding="utf-8") as out:
        sink = CefLinesSink(out, Mapped(), CefFormatter("encore"))
        for event in EVENTS:
            sink.write(event)
        sink.flush()
    assert path.read_text(encoding="utf-8").splitlines() == \
        [CefFormatter("encore").line(event) for event in EVENTS]


# --- the command line against a receiver that stops reading -------------------------------------

def _rss_bytes(pid) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _syslog_stream(sim, pkcs12, port, bookmark, err):
    from simulator import ENV, PASSWORD, REPO_ROOT, stream_command
    return subprocess.Popen(
        stream_command(sim.port, pkcs12, "--families", "connection", "--syslog",
                       f"tcp://127.0.0.1:{port}", "--bookmark", bookmark, "--monitor", "0"),
        stdout=subprocess.DEVNULL, stderr=err, env=dict(ENV, ESTREAMER_PKCS12_PASSWORD=PASSWORD),
        cwd=str(REPO_ROOT))


def test_a_stalled_receiver_holds_the_fmc_read_and_the_bookmark(simulator, pki, tmp_path,
                                                                receivers):
    """The stream blocks on the receiver, reads no more from the FMC, keeps its memory and its
    bookmark; stopped then, it says what was not sent; the next run sends it."""
    from estreamer.bookmark import FileBookmarkStore
    records, last_second = 20000, 1_700_000_000 + (20000 - 1) // 5
    receiver = receivers(reading=False, rcvbuf=4096)
    sim = simulator("--records", records, "--families", "connection")
    store, err_path = FileBookmarkStore(str(tmp_path / "bookmark.json")), tmp_path / "err"
    with open(err_path, "w") as err:
        proc = _syslog_stream(sim, pki.client, receiver.port, store.path, err)
        try:
            held, since = None, time.monotonic()
            deadline = since + 60
            while time.monotonic() - since < 3:  # the bookmark holds still for 3 s
                assert time.monotonic() < deadline, "the bookmark kept moving: no backpressure"
                assert proc.poll() is None, err_path.read_text()
                mark = store.load()
                if mark != held:
                    held, since = mark, time.monotonic()
                time.sleep(0.2)
            assert held is not None and held.timestamp < last_second  # far from the end
            rss = _rss_bytes(proc.pid)
            time.sleep(3)
            assert store.load() == held
            assert _rss_bytes(proc.pid) - rss < 4 << 20
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 3
        finally:
            if proc.poll() is None:
                proc.kill()
    assert re.search(r"error: syslog receiver tcp://127\.0\.0\.1:\d+ took no more messages "
                     r"within 2 s of the stop: \d+ messages not sent; the bookmark stays before "
                     r"them", err_path.read_text())
    assert store.load() == held

    receiver.reading.set()  # the receiver reads again; a second run resumes from the bookmark
    with open(err_path, "w") as err:
        proc = _syslog_stream(sim, pki.client, receiver.port, store.path, err)
        try:
            assert wait_for(lambda: store.load().timestamp == last_second and
                            store.load().count == 5, 120), err_path.read_text()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    counters = {int(re.search(rb"externalId=(\d+)", m).group(1))
                for m in receiver.messages(cut_ok=True)}
    assert counters == set(range(1, records + 1))  # none lost (externalId: the serial)
