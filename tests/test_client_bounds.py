"""The streaming client bounded and honest whatever the FMC or the network does: a flood of bad
records costs a log line a minute, a bundle of millions is flushed in batches without the
bookmark ever passing what was written, a malformed Error message still says why, and a stop
is a stop, even in the middle of a TLS handshake with a host that never answers."""
import contextlib
import re
import signal
import socket
import subprocess
import threading
import time

from simulator import ENV, PASSWORD, Stream, event_records, records, stream_command

CONNECTION = {71}
STOP_SECONDS = 5.0  # what splunkd and a shell may expect of a stop


@contextlib.contextmanager
def listener(backlog=8):
    """A real listening TCP socket on 127.0.0.1 that never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(backlog)
    try:
        yield server
    finally:
        server.close()


def wait_for_client_hello(server):
    """Accept the client's connection and read the start of its TLS ClientHello: the client is
    now waiting in the handshake for an answer that never comes. Returns the connection."""
    server.settimeout(60)
    conn, _ = server.accept()
    conn.settimeout(60)
    assert conn.recv(5)[:1] == b"\x16"  # a TLS handshake record
    return conn


def syn_sent_to(port) -> bool:
    """A connection to ``port`` waits for its SYN to be answered (Linux /proc/net/tcp)."""
    with open("/proc/net/tcp") as f:
        for line in f.read().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].split(":")[1], 16) == port and fields[3] == "02":
                return True
    return False


def stopped_within(proc, seconds) -> float:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(seconds + 30)
    return time.monotonic() - started


def log_lines(stream, text):
    return [line for line in stream.stderr().splitlines() if text in line]


# --- floods ------------------------------------------------------------------------------------

def test_a_bundle_of_100000_empty_records_logs_one_line_and_counts_the_rest(simulator, pki,
                                                                            tmp_path):
    sim = simulator("--records", 300, "--families", "connection", "--fault", "flood@50:100000")
    out = tmp_path / "out.jsonl"
    started = time.monotonic()
    s = Stream(sim.port, pki.client, out, "--families", "connection", "--monitor", 0)
    expected = sim.manifest_keys(CONNECTION)
    s.wait_for(lambda: len(event_records(out)) >= len(expected), 120, "every record")
    assert s.terminate() == 0
    minutes = int((time.monotonic() - started) // 60) + 1  # one line per kind and minute
    malformed = [r for r in records(out) if r.get("malformed")]
    assert len(malformed) == 100000  # every one kept, as a record
    logged = [line for line in log_lines(s, "malformed record") if "left out" not in line]
    counted = log_lines(s, "left out")
    assert 1 <= len(logged) <= minutes and 1 <= len(counted) <= minutes, s.stderr()[-3000:]
    left_out = [int(re.search(r"left out (\d+) more log lines like this in the last", line)[1])
                for line in counted]
    assert len(logged) + sum(left_out) == 100000
    assert all("malformed record: offset 0: record header needs 8 bytes, the message has 0"
               in line for line in counted)


class RecordingSink:
    """Remembers the archive timestamps written and which of them a flush delivered."""

    def __init__(self):
        self.written, self.flushed, self.most_unflushed = [], 0, 0

    def write(self, record):
        archive = record.get("archiveTimestamp")
        if archive is not None:
            self.written.append(archive)
        self.most_unflushed = max(self.most_unflushed, len(self.written) - self.flushed)

    def flush(self):
        self.flushed = len(self.written)


class CheckingBookmarks:
    """Checks the bookmark contract at every save: the records it covers (those older than its
    second, and ``count`` of that second; they arrive in archive order) were all flushed."""

    def __init__(self, sink):
        self.sink, self.saved, self.broken = sink, [], []

    def load(self):
        return None

    def save(self, bookmark):
        timestamp, count = bookmark.timestamp, bookmark.count
        covered = sum(t < timestamp for t in self.sink.written) + count
        if covered > self.sink.flushed:
            self.broken.append((bookmark, covered, self.sink.flushed))
        self.saved.append(bookmark)


def test_a_bundle_larger_than_the_batch_is_flushed_inside_with_the_bookmark_behind_the_flush(
        simulator, pki):
    from estreamer.client import ClientConfig, StreamClient
    from estreamer.wire import Subscription

    sim = simulator("--records", 3000, "--families", "connection", "--per-second", 3,
                    "--bundle-bytes", 4_000_000)
    sink = RecordingSink()
    bookmarks = CheckingBookmarks(sink)
    with open(pki.client, "rb") as f:
        config = ClientConfig(host="127.0.0.1", port=sim.port, pkcs12=f.read(),
                              password=PASSWORD, batch_size=100, flush_interval=5,
                              subscription=Subscription(families=("connection",)))
    client, stop = StreamClient(config, sink, bookmarks), threading.Event()
    thread = threading.Thread(target=client.run, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while len(sink.written) < 3000 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(30)
    assert len(sink.written) == 3000
    assert sink.most_unflushed <= 100  # bundles of ~3,000 records, flushed every 100
    assert len(bookmarks.saved) >= 30 and not bookmarks.broken
    assert bookmarks.saved[-1][:2] == (sink.written[-1], sink.written.count(sink.written[-1]))


# --- what the FMC says, even when it says it badly ---------------------------------------------

def test_a_malformed_error_message_still_names_its_code_and_text(simulator, pki, tmp_path):
    sim = simulator("--records", 300, "--families", "connection",
                    "--fault", "bad-error@10:19:No space")
    s = Stream(sim.port, pki.client, tmp_path / "out.jsonl", "--families", "connection",
               "--monitor", 0)
    s.wait_for(lambda: log_lines(s, "refused the request"), 30, "the FMC's error")
    assert s.terminate() == 0
    assert ("the FMC refused the request: error 19: No space (Error message text length 10 "
            "does not match its 9-byte body)") in log_lines(s, "refused the request")[0]


# --- stopping ------------------------------------------------------------------------------------

def test_sigterm_stops_the_stream_within_5_s_during_a_tls_handshake_nobody_answers(pki,
                                                                                  tmp_path):
    with listener() as server:
        s = Stream(server.getsockname()[1], pki.client, tmp_path / "out.jsonl", "--timeout", 300,
                   "--monitor", 0)
        conn = wait_for_client_hello(server)
        try:
            assert stopped_within(s.proc, STOP_SECONDS) < STOP_SECONDS
            assert s.proc.returncode == 0
        finally:
            conn.close()
            s.kill()


def test_sigterm_stops_the_stream_within_5_s_while_its_tcp_connect_waits(pki, tmp_path):
    with listener(backlog=0) as server:
        port = server.getsockname()[1]
        filler = socket.create_connection(("127.0.0.1", port))  # the accept queue is full now
        s = Stream(port, pki.client, tmp_path / "out.jsonl", "--timeout", 300, "--monitor", 0)
        try:
            s.wait_for(lambda: syn_sent_to(port), 60, "the connect to wait for an answer")
            assert stopped_within(s.proc, STOP_SECONDS) < STOP_SECONDS
            assert s.proc.returncode == 0
        finally:
            filler.close()
            s.kill()


def test_stream_duration_does_not_outlive_a_sigterm(simulator, pki, tmp_path):
    sim = simulator("--records", 100, "--families", "connection")
    out = tmp_path / "out.jsonl"
    s = Stream(sim.port, pki.client, out, "--families", "connection", "--duration", 120,
               "--monitor", 0)
    s.wait_for(lambda: len(event_records(out)) >= 100, 60, "every record")
    assert stopped_within(s.proc, STOP_SECONDS) < STOP_SECONDS
    assert s.proc.returncode == 0


def test_stream_duration_ends_the_stream_during_a_tls_handshake_nobody_answers(pki, tmp_path):
    with listener() as server:
        started = time.monotonic()
        s = Stream(server.getsockname()[1], pki.client, tmp_path / "out.jsonl", "--timeout", 300,
                   "--duration", 3, "--monitor", 0)
        conn = wait_for_client_hello(server)
        try:
            assert s.proc.wait(3 + STOP_SECONDS + 30) == 0
            assert time.monotonic() - started < 3 + STOP_SECONDS
        finally:
            conn.close()
            s.kill()


def test_stream_duration_ends_the_stream_even_when_its_output_is_blocked(simulator, pki):
    """stdout is a pipe nobody reads: the client blocks writing and never sees the stop, so the
    stream ends itself STOP_GRACE seconds after the duration."""
    sim = simulator("--records", 200_000, "--families", "connection")
    env = dict(ENV, ESTREAMER_PKCS12_PASSWORD=PASSWORD)
    started = time.monotonic()
    proc = subprocess.Popen(stream_command(sim.port, pki.client, "--families", "connection",
                                           "--monitor", 0, "--duration", 3),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        code = proc.wait(3 + STOP_SECONDS + 30)
        elapsed = time.monotonic() - started
        assert code == 1 and elapsed < 3 + STOP_SECONDS + 5
        assert b"error: the stream did not stop within 5 s" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
