"""CEF over syslog end to end: the FMC simulator, ``python -m estreamer stream --syslog ...`` and
a real rsyslog, each its own process on loopback. What rsyslog writes, message by message, is
compared with the CEF lines the library makes of the same simulator archive in this process."""
import collections
import re
import subprocess
import time

import pytest

from rsyslog import Rsyslog
from simulator import ENV, PASSWORD, REPO_ROOT, stream_command

RFC5424 = re.compile(r"<13>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \S+ estreamer \d+ - - "
                     r"(CEF:0\|.*)")
RFC3164 = re.compile(r"<13>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d \S+ (CEF:0\|.*)")


@pytest.fixture
def rsyslog(tmp_path):
    receiver = Rsyslog(tmp_path)
    yield receiver
    receiver.stop()


def expected_lines(records: int) -> list:
    """The CEF lines of the simulator's archive for ``stream --families all`` (no packets, no
    extra data; metadata first, as the simulator sends it; the newest event generation, which
    ``stream`` asks for first and the simulator grants), made in this process."""
    from estreamer.cef import CefFormatter
    from estreamer.decoder import RecordDecoder
    from estreamer.events import EventMapper
    from estreamer.metadata import MetadataCache
    from estreamer.wire import ALL_FAMILIES, GENERATIONS, Subscription
    from fmcsim.traffic import record_bodies
    decoder, cache, formatter = RecordDecoder(), MetadataCache(), CefFormatter()
    mapper, lines = EventMapper(cache, "127.0.0.1"), []
    subscription = Subscription(families=ALL_FAMILIES, packets=False, extra_data=False,
                                generation=GENERATIONS[0])
    for body in record_bodies(subscription, records):
        record = decoder.decode(body)
        if record.get("archiveTimestamp") is None:
            cache.learn(record)
        event = mapper.map(record)
        if event is not None:
            lines.append(formatter.line(event))
    return lines


def cef_of(lines, header) -> list:
    """The CEF part of each received message; every message must be a whole one."""
    out = []
    for line in lines:
        match = header.fullmatch(line)
        assert match, f"not a whole message: {line[:200]!r}"
        out.append(match.group(1))
    return out


class SyslogStream:
    def __init__(self, sim, pki, tmp_path, *args):
        self.err_path = tmp_path / f"stream-{time.monotonic_ns()}.err"
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(
            stream_command(sim.port, pki.client, "--monitor", "1", *args),
            stdout=subprocess.DEVNULL, stderr=self.err,
            env=dict(ENV, ESTREAMER_PKCS12_PASSWORD=PASSWORD), cwd=str(REPO_ROOT))

    def stderr(self) -> str:
        self.err.flush()
        return self.err_path.read_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(30)
        finally:
            self.err.close()


def wait_for_lines(receiver, stream, count, timeout):
    deadline = time.monotonic() + timeout
    while len(receiver.lines()) < count:
        assert stream.proc.poll() is None, stream.stderr()[-3000:]
        assert time.monotonic() < deadline, (
            f"{len(receiver.lines())} of {count} messages after {timeout} s\n"
            + stream.stderr()[-3000:] + receiver.output()[-2000:])
        time.sleep(0.2)


def test_over_tcp_every_event_arrives_once_and_whole_across_a_paused_receiver(
        simulator, pki, tmp_path, rsyslog):
    records = 20000
    sim = simulator("--records", records, "--families", "all")
    expected = expected_lines(records)
    stream = SyslogStream(sim, pki, tmp_path, "--syslog", f"tcp://127.0.0.1:{rsyslog.tcp_port}")
    try:
        wait_for_lines(rsyslog, stream, 300, 60)
        rsyslog.pause()  # SIGSTOP: reads nothing, writes nothing for 10 s
        paused_at = len(rsyslog.lines())
        time.sleep(10)
        assert len(rsyslog.lines()) == paused_at < len(expected)
        rsyslog.resume()
        wait_for_lines(rsyslog, stream, len(expected), 180)
        time.sleep(1)  # anything sent twice would arrive by now
    finally:
        assert stream.stop() == 0, stream.stderr()[-3000:]
    received = cef_of(rsyslog.lines(), RFC5424)
    assert collections.Counter(received) == collections.Counter(expected)


def test_over_udp_at_a_modest_rate_every_event_arrives_whole(simulator, pki, tmp_path, rsyslog):
    records = 400
    sim = simulator("--records", records, "--families", "all")
    expected = expected_lines(records)
    stream = SyslogStream(sim, pki, tmp_path, "--syslog", f"udp://127.0.0.1:{rsyslog.udp_port}",
                          "--syslog-format", "rfc3164")
    try:
        wait_for_lines(rsyslog, stream, len(expected), 60)
        time.sleep(1)
    finally:
        assert stream.stop() == 0, stream.stderr()[-3000:]
    received = cef_of(rsyslog.lines(), RFC3164)
    assert collections.Counter(received) == collections.Counter(expected)


def test_a_message_longer_than_rsyslogs_limit_is_cut_not_split(simulator, pki, tmp_path,
                                                                rsyslog):
    """Every message fits --syslog-max-bytes, whatever the events hold (packets here)."""
    sim = simulator("--records", 100, "--families", "intrusion")
    stream = SyslogStream(sim, pki, tmp_path, "--syslog", f"tcp://127.0.0.1:{rsyslog.tcp_port}",
                          "--families", "intrusion", "--packets", "--syslog-max-bytes", "600")
    try:
        wait_for_lines(rsyslog, stream, 60, 60)  # 20 each of 400, 2 and 9 (no extra data)
    finally:
        assert stream.stop() == 0, stream.stderr()[-3000:]
    lines = rsyslog.lines()
    assert all(len(line.encode()) <= 600 for line in lines)
    assert any("[truncated]" in line for line in cef_of(lines, RFC5424))
