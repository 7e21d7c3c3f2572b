"""End to end through real TLS, FMC 7 connection records (block 174): simulator → client, against
a bare TLS read of the same stream.

The simulator runs as its own process (one core); the client runs on the other. Each figure
streams the same N connection records from the same simulator:

* ``tls_read``: the transport ceiling — a loop that only reads the TLS stream and acknowledges
  each message (no decoding);
* ``client_null``: the streaming client in this process (frames, acks, decoding, bookmarks)
  into a null sink;
* ``client_events``: the streaming client in this process writing the modular input's XML
  stream to /dev/null (the records' bytes → the compiled events);
* ``cli_raw``: ``python -m estreamer stream`` writing the records as JSON lines to a file;
* ``cli_events``: ``python -m estreamer stream --events`` writing the events to a file.

The command-line figures are the steady state of the real command (a subprocess): from its
first line to its last, in wall time and in its own CPU time.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .common import GENERATION, PASSWORD, REPO, Steady, own_cpu, tls_read, use_test_helpers

RECORDS = int(os.environ.get("BENCH_STREAM_RECORDS", "300000"))


def client(port, pkcs12, records, sink_of):
    """The streaming client in this process until ``records`` events went through."""
    from estreamer.bookmark import MemoryBookmarkStore
    from estreamer.client import ClientConfig, StreamClient
    from estreamer.metadata import MetadataCache
    from estreamer.wire import Subscription
    stop = threading.Event()
    cache = MetadataCache()
    counting = _Counting(sink_of(cache), records, stop)
    config = ClientConfig(host="127.0.0.1", port=port, pkcs12=pkcs12, password=PASSWORD,
                          subscription=Subscription(families=("connection",),
                                                    generation=GENERATION),
                          batch_size=5000)
    started, cpu = time.perf_counter(), own_cpu()
    StreamClient(config, counting, MemoryBookmarkStore(), cache).run(stop)
    return counting.seen, time.perf_counter() - started, own_cpu() - cpu


class _Counting:
    """Stops the client once ``records`` events went through (metadata not counted); passes
    event records' bytes on where the sink takes them."""

    def __init__(self, sink, records, stop):
        self.sink, self.records, self.stop, self.seen = sink, records, stop, 0
        if getattr(sink, "write_body", None) is not None:
            self.write_body = self._write_body

    def _count(self):
        self.seen += 1
        if self.seen >= self.records:
            self.stop.set()

    def _write_body(self, body):
        if not self.sink.write_body(body):
            return False
        self._count()
        return True

    def write(self, record):
        self.sink.write(record)
        if record.get("archiveTimestamp") is not None:
            self._count()

    def flush(self):
        self.sink.flush()


class _Lines:
    """Lines written to a file so far, counted over the new bytes only."""

    def __init__(self, path: Path):
        self.path, self.offset, self.lines = path, 0, 0

    def __call__(self) -> int:
        if not self.path.exists():
            return 0
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        self.lines += data.count(b"\n")
        return self.lines


def cli(port, pki_client, records, work: Path, *options):
    """``python -m estreamer stream ... --output FILE`` until ``records`` lines → (lines,
    seconds, cpu seconds), steady state."""
    out = work / f"stream-{time.monotonic_ns()}.jsonl"
    env = dict(os.environ, ESTREAMER_PKCS12_PASSWORD=PASSWORD,
               PYTHONPATH=str(REPO / "package" / "bin"))
    command = [sys.executable, "-m", "estreamer", "stream", "--host", "127.0.0.1", "--port",
               str(port), "--pkcs12", str(pki_client), "--families", "connection",
               "--monitor", "0", "--output", str(out), *options]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=str(REPO))
    try:  # the last, partial batch waits out the flush interval: steady state ends before it
        return Steady(proc.pid, _Lines(out)).measure(records - 1000, timeout=600)
    finally:
        proc.terminate()
        proc.wait(30)
        out.unlink(missing_ok=True)


def run(report):
    use_test_helpers()
    from estreamer.events import EventMapper
    from estreamer.sinks import NullSink
    from estreamer_splunk.xml_stream import SplunkEventSink
    from fmcsim import pki as fmc_pki
    from simulator import Simulator

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
                                                    lambda cache: NullSink())),
                ("client_events", lambda port: client(
                    port, pkcs12, RECORDS, lambda cache: SplunkEventSink(
                        EventMapper(cache, "fmc"), devnull, index="main", source="bench"))),
                ("cli_raw", lambda port: cli(port, pki.client, RECORDS, tmp)),
                ("cli_events", lambda port: cli(port, pki.client, RECORDS, tmp, "--events"))):
            sim = Simulator(pki, tmp, "--records", RECORDS + 10, "--families", "connection",
                            "--window", 64, manifest=False)
            try:
                figures[name] = measure(sim.port)
            finally:
                sim.stop()
        seen, elapsed, cpu = figures["tls_read"]
        ceiling = seen / elapsed
        report.add("stream_tls_read_records_per_s", ceiling, "records/s")
        report.add("stream_tls_read_cpu_s_per_100k", cpu / seen * 100_000, "cpu-s")
        for name, unit in (("client_null", "records/s"), ("client_events", "events/s"),
                           ("cli_raw", "records/s"), ("cli_events", "events/s")):
            seen, elapsed, cpu = figures[name]
            rate = seen / elapsed
            report.add(f"stream_{name}_per_s", rate, unit)
            report.add(f"stream_{name}_cpu_s_per_100k", cpu / seen * 100_000, "cpu-s")
            report.add(f"stream_{name}_vs_tls_read", rate / ceiling, "ratio")
    finally:
        devnull.close()
        shutil.rmtree(tmp, ignore_errors=True)
