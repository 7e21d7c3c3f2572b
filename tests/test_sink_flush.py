"""Who flushes a sink: the client, always through its own flush, which journals the identities
of the events the sink holds before they leave it (estreamer.journal) and then saves the
bookmark. A buffering sink only says how much it holds (``buffered``); when that reaches about
1 MiB (``SINK_BUFFER``) the client flushes, inside a bundle too, so a bundle of huge events
never grows the buffer past about 1 MiB and no event ever leaves un-journaled."""
import io
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import REPO_ROOT
from estreamer.bookmark import MemoryBookmarkStore, Resume
from estreamer.client import SINK_BUFFER, ClientConfig, StreamClient
from estreamer.events import Event, event_json
from estreamer.sinks import JsonLinesSink
from estreamer.wire import Records
from estreamer_splunk.xml_stream import SplunkEventSink
from handmade import record
from modinput import parse_events
from simulator import ENV, PASSWORD

ST = "cisco:firepower:estreamer:connection"
BIG = Event(1.0, ST, "fmc", {"uri": "/" + "x" * 1000})  # about 1.1 KB of event text


class BigEvents:
    """A mapper giving every record the same 1 KB event: from the record's bytes (``render``,
    the compiled path), or, ``compiled`` False, only from the decoded record (``map``)."""

    errors, host = 0, "fmc"

    def __init__(self, compiled=True):
        self.compiled = compiled

    def map(self, record):
        return BIG

    def render(self, body):
        return (ST, BIG.time, None, event_json(BIG.event)) if self.compiled else None


class WatchedSink(SplunkEventSink):
    """Remembers the most it ever held (just before a flush) and how often it was flushed."""

    most = flushes = 0

    def flush(self):
        self.most = max(self.most, self.buffered)
        self.flushes += bool(self.pending)
        super().flush()


def test_the_sink_holds_its_events_until_it_is_flushed_and_says_how_much():
    out = io.BytesIO()
    sink = SplunkEventSink(BigEvents(), out)
    for _ in range(2500):  # 5 MB of events, as one huge bundle brings them, either way
        sink.write(None)
        sink.write_body(b"")
    assert out.getvalue() == b"" and sink.pending == 5000
    assert sink.buffered > 5 * SINK_BUFFER
    sink.flush()
    assert sink.buffered == 0 and sink.events == 5000 and len(out.getvalue()) > 5 * SINK_BUFFER


def test_the_json_lines_sink_holds_its_lines_until_it_is_flushed_and_says_how_much():
    out = io.StringIO()
    sink = JsonLinesSink(out, BigEvents())
    for _ in range(1000):
        sink.write(None)
        sink.write_body(b"")
    assert out.getvalue() == "" and sink.buffered > SINK_BUFFER
    sink.flush()
    assert sink.buffered == 0 and out.getvalue().count("\n") == 2000


@pytest.mark.parametrize("compiled", [True, False], ids=["from-bytes", "decoded"])
def test_a_bundle_of_huge_events_never_grows_the_buffer_past_about_1_mib(compiled):
    out = io.BytesIO()
    sink = WatchedSink(BigEvents(compiled), out)
    client = StreamClient(ClientConfig(host="fmc", batch_size=1_000_000), sink,
                          MemoryBookmarkStore(), wallclock=lambda: 1_700_000_000)
    bodies = [record(9999, bytes(8), archive=1_600_000_000 + i // 10) for i in range(5000)]
    client._records(Records(bodies), Resume(None))  # one bundle, far below the batch size
    one = SplunkEventSink(BigEvents(), io.BytesIO())
    one.write(None)  # the characters of one event
    assert sink.most < SINK_BUFFER + one.buffered  # flushed right after the write reaching it
    assert sink.flushes >= 4  # the client flushed inside the bundle
    client.flush()
    assert len(parse_events(out.getvalue() + b"</stream>")) == 5000
    assert client.stats.bookmark == (1_600_000_499, 10, "")


# A client whose process dies (os._exit, as a SIGKILL would) as the second batch of events is
# about to leave its sink; the first left because the sink held about 1 MiB (batch size and
# flush interval never trigger here). Resumed, it must send none of the first batch again.
CLIENT = textwrap.dedent("""
    import os, signal, sys, threading
    from estreamer.bookmark import FileBookmarkStore
    from estreamer.client import ClientConfig, StreamClient
    from estreamer.events import EventMapper
    from estreamer.journal import IdentityJournal
    from estreamer.metadata import MetadataCache
    from estreamer.wire import Subscription
    from estreamer_splunk.xml_stream import SplunkEventSink

    port, pkcs12, password, out, bookmark, mode = sys.argv[1:7]

    class Pipe:
        '''splunkd's end of the pipe: in "crash" mode the process dies as the second batch
        is written.'''

        def __init__(self, f):
            self.f, self.flushed = f, False

        def write(self, data):
            if mode == "crash" and self.flushed:
                os._exit(9)
            self.f.write(data)

        def flush(self):
            self.f.flush()
            self.flushed = self.flushed or self.f.tell() > 0

    crash = mode == "crash"
    with open(pkcs12, "rb") as f:
        config = ClientConfig(host="127.0.0.1", port=int(port), pkcs12=f.read(),
                              password=password, batch_size=1_000_000 if crash else 200,
                              flush_interval=3600.0 if crash else 0.2,
                              subscription=Subscription(families=("connection",)))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    cache = MetadataCache()
    with open(out, "ab") as f:
        sink = SplunkEventSink(EventMapper(cache, "fmc"), Pipe(f))
        client = StreamClient(config, sink, FileBookmarkStore(bookmark), cache,
                              journal=IdentityJournal(bookmark + ".journal", 600))
        client.run(stop)
        sink.flush()
""")


def connection_ids(path):
    raw = path.read_bytes()
    return [e["event"]["connection_id"] for e in parse_events(raw)
            if e["sourcetype"] == ST]


def test_a_crash_after_a_size_triggered_flush_repeats_nothing(simulator, pki, tmp_path):
    sim = simulator("--records", 3000, "--families", "connection", "--per-second", 9)
    out, bookmark = tmp_path / "stream.xml", tmp_path / "bookmark.json"
    args = [sys.executable, "-c", CLIENT, str(sim.port), str(pki.client), PASSWORD, str(out),
            str(bookmark)]
    crashed = subprocess.run(args + ["crash"], env=ENV, cwd=str(REPO_ROOT),
                             capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 9, crashed.stderr[-2000:]
    first = connection_ids(out)
    assert 0 < len(first) < 3000  # about 1 MiB of events left before the crash
    resumed = subprocess.Popen(args + ["resume"], env=ENV, cwd=str(REPO_ROOT),
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(connection_ids(out)) < 3000 and time.monotonic() < deadline \
                and resumed.poll() is None:
            time.sleep(0.2)
        time.sleep(1.0)  # anything sent twice would be here by now
    finally:
        resumed.send_signal(signal.SIGTERM)
        resumed.wait(30)
    written = connection_ids(out)
    assert [i for i in set(written) if written.count(i) > 1] == []
    assert len(written) == len(sim.manifest_keys({71})) == 3000
