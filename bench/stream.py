"""End to end through real TLS: simulator → client, against a bare TLS read of the same stream.

The simulator runs as its own process (one core); the client runs here (the other core). Each
figure streams the same N connection records from the same simulator:

* ``tls_read``: the transport ceiling — a loop that only reads the TLS stream and acknowledges
  each message (no decoding);
* ``client_null``: the streaming client (frames, acks, decoding, bookmarks) into a null sink;
* ``client_events``: the same with the CIM mapper and the Splunk XML writer into /dev/null.
"""
from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from .common import REPO

RECORDS = int(os.environ.get("BENCH_STREAM_RECORDS", "300000"))
PASSWORD = "bench"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tls_read(port, pkcs12, records):
    """Read until ``records`` records went by: TLS, framing, bundle splitting and acks only
    (the protocol's minimum), no decoding."""
    from estreamer import wire
    from estreamer.connection import connect, load_identity
    context = load_identity(pkcs12, PASSWORD).client_context()
    sock = connect("127.0.0.1", port, context)
    session = wire.ClientSession(wire.Subscription(families=("connection",)), wire.GENESIS)
    session.start()
    sock.sendall(session.data_to_send())
    seen, records_event = 0, wire.Records
    started, cpu = time.perf_counter(), _cpu()
    while seen < records:
        for event in session.receive_data(sock.recv(1 << 18)):
            if type(event) is records_event:
                seen += len(event.bodies)
        sock.sendall(session.data_to_send())
    elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    sock.close()
    return seen - 10, elapsed, cpu  # the simulator's metadata records are not events


def client(port, pkcs12, records, sink_factory):
    from estreamer.bookmark import MemoryBookmarkStore
    from estreamer.client import ClientConfig, StreamClient
    from estreamer.metadata import MetadataCache
    from estreamer.wire import Subscription
    stop = threading.Event()
    cache = MetadataCache()
    sink = sink_factory(cache)
    counting = _Counting(sink, records, stop)
    config = ClientConfig(host="127.0.0.1", port=port, pkcs12=pkcs12, password=PASSWORD,
                          subscription=Subscription(families=("connection",)),
                          batch_size=5000)
    started, cpu = time.perf_counter(), _cpu()
    StreamClient(config, counting, MemoryBookmarkStore(), cache).run(stop)
    return counting.seen, time.perf_counter() - started, _cpu() - cpu, sink


class _Counting:
    """Stops the client once ``records`` events went through (metadata not counted)."""

    def __init__(self, sink, records, stop):
        self.sink, self.records, self.stop, self.seen = sink, records, stop, 0

    def write(self, record):
        self.sink.write(record)
        if record.get("archiveTimestamp") is not None:
            self.seen += 1
            if self.seen >= self.records:
                self.stop.set()

    def flush(self):
        self.sink.flush()


def run(report):
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "package" / "bin"), str(REPO)]
    from simulator import Simulator

    from estreamer.events import EventMapper
    from estreamer.sinks import NullSink
    from estreamer_splunk.xml_stream import SplunkEventSink
    from fmcsim import pki as fmc_pki

    tmp = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    devnull = open(os.devnull, "w")
    try:
        pki = fmc_pki.mint(str(tmp / "pki"), password=PASSWORD)
        with open(pki.client, "rb") as f:
            pkcs12 = f.read()
        figures = {}
        for name, measure in (
                ("tls_read", lambda port: tls_read(port, pkcs12, RECORDS)),
                ("client_null", lambda port: client(port, pkcs12, RECORDS,
                                                    lambda cache: NullSink())[:3]),
                ("client_events", lambda port: client(
                    port, pkcs12, RECORDS,
                    lambda cache: SplunkEventSink(EventMapper(cache, "fmc"), devnull,
                                                  index="main", source="bench"))[:3])):
            sim = Simulator(pki, tmp, "--records", RECORDS + 10, "--families", "connection",
                            "--window", 64, manifest=False)
            try:
                figures[name] = measure(sim.port)
            finally:
                sim.stop()
        ceiling = figures["tls_read"][0] / figures["tls_read"][1]
        report.add("stream_tls_read_records_per_s", ceiling, "records/s")
        for name in ("client_null", "client_events"):
            seen, elapsed, cpu = figures[name]
            rate = seen / elapsed
            unit = "events/s" if name == "client_events" else "records/s"
            report.add(f"stream_{name}_per_s", rate, unit)
            report.add(f"stream_{name}_cpu_s_per_100k", cpu / seen * 100_000, "cpu-s")
            report.add(f"stream_{name}_vs_tls_read", rate / ceiling, "ratio")
    finally:
        devnull.close()
        shutil.rmtree(tmp, ignore_errors=True)
