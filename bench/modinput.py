"""Through Splunk's door: the packaged modular input (``output/``, from ``make build``) run as
splunkd runs it, against the simulator in rate mode and the splunkd double. The harness reads
the input's XML stream from a pipe, as splunkd does, and only counts the events in it.

* FMC 7 connection events (block 174), steady state: events/s, CPU seconds per 100,000 events
  (the input process's own), and the rate as a ratio to the bare TLS read of the same stream
  (``stream_tls_read_records_per_s``, measured by the stream suite in the same run);
* every family on its own, the same figures, so a slow family cannot hide behind connections;
* memory: the input's resident set while it streams, then while splunkd stops reading for
  30 seconds (the pipe fills, the input blocks, TCP slows the FMC down);
* the mean event size per family, from a run over every family, and the real capture's
  connection events against the lines eNcore wrote to Splunk.
"""
from __future__ import annotations

import collections
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .common import REPO, Steady, rss_bytes, use_test_helpers

EVENTS = int(os.environ.get("BENCH_MODINPUT_EVENTS", "100000"))
FAMILY_EVENTS = int(os.environ.get("BENCH_FAMILY_EVENTS", "20000"))
STALL_SECONDS = float(os.environ.get("BENCH_STALL_SECONDS", "30"))
FAMILIES = ("connection", "intrusion", "file", "malware", "correlation", "identity", "vpn",
            "discovery")
APP = REPO / "output" / "TA_firepower_estreamer"
BATCH = 2000  # the input flushes every BATCH events; the last, partial batch waits out the
              # flush interval, so steady state ends with the last full batch
_END = b"</event>"


class PipedInput:
    """The built input with its XML stream on a pipe, read by a thread that counts events and
    can stop reading (a stalled splunkd) and start again."""

    def __init__(self, xml: str, workdir: Path, keep: bool = False):
        env = dict(os.environ, TA_LOG_DIR=str(workdir / "log"))
        env.pop("PYTHONPATH", None)
        self.err_path = workdir / f"input-{time.monotonic_ns()}.err"
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([sys.executable, str(APP / "bin" / "firepower_estreamer.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, cwd=str(APP / "bin"), env=env)
        self.proc.stdin.write(xml.encode("utf-8"))
        self.proc.stdin.close()
        self.events, self.keep, self.kept = 0, keep, []
        self.reading = threading.Event()
        self.reading.set()
        self._tail = b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            self.reading.wait()
            data = os.read(fd, 1 << 20)
            if not data:
                return
            if self.keep:
                self.kept.append(data)
            data = self._tail + data
            self.events += data.count(_END)
            self._tail = data[1 - len(_END):]

    def count(self) -> int:
        return self.events

    def terminate(self):
        if self._err.closed:
            return
        self.reading.set()
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._thread.join(10)
        self._err.close()

    def parsed(self):
        from modinput import parse_events
        return parse_events(b"".join(self.kept))


@contextlib.contextmanager
def packaged_input(pki, work, families, records, keep=False):
    """The simulator (``families``, ``records`` events), the splunkd double and the input
    streaming them, set up by the tests' :class:`modinput.Rig` → (input, events it should
    write)."""
    from modinput import Rig

    settings = {"advanced": {"flush_interval": "1", "batch_size": str(BATCH),
                             "health_interval": "60"}}
    with Rig(APP, sys.executable, pki, work / f"run-{time.monotonic_ns()}") as rig:
        sim = rig.simulator("--records", records, "--families",
                            families if isinstance(families, str) else ",".join(families),
                            "--window", "64", "--per-second", 50)
        rig.start_splunkd({"fmc1": rig.fmc_server(sim.port)}, settings)
        wanted = FAMILIES if families == "all" else tuple(families.split(","))
        run = PipedInput(rig.input_xml("bench", {
            "fmc_server": "fmc1", "index": "main", "start_position": "genesis",
            "record_families": "|".join(wanted)}), rig.workdir, keep)
        try:
            # packets (2) and extra data (110) are not requested
            want = len([k for k in sim.manifest_keys() if not k.startswith(("2:", "110:"))])
            yield run, want
        finally:
            run.terminate()


def records_for(family: str, events: int) -> int:
    """Archive records holding about ``events`` events of ``family`` the input asks for."""
    from fmcsim.traffic import pattern_for
    pattern = pattern_for((family,))
    wanted = [slot for slot in pattern if slot[0] not in (2, 110)]
    return events * len(pattern) // len(wanted)


def measure(pki, work, family, events):
    """Steady state of the input streaming about ``events`` events of ``family`` → (events,
    seconds, cpu seconds)."""
    with packaged_input(pki, work, family, records_for(family, events)) as (run, want):
        return Steady(run.proc.pid, run.count).measure(want - BATCH, timeout=900)


def stalled(pki, work, report):
    """Resident memory while streaming, then under a stalled sink."""
    with packaged_input(pki, work, "connection", 5_000_000) as (run, _):
        pid = run.proc.pid
        Steady(pid, run.count).measure(20_000, timeout=300)
        steady, until = 0, time.monotonic() + 5
        while time.monotonic() < until:  # flowing: the largest resident set seen
            steady = max(steady, rss_bytes(pid))
            time.sleep(0.1)
        run.reading.clear()
        time.sleep(0.5)  # the read in progress ends, the pipe fills
        before, peak, until = run.count(), 0, time.monotonic() + STALL_SECONDS
        while time.monotonic() < until:
            peak = max(peak, rss_bytes(pid))
            time.sleep(0.1)
        written = run.count() - before
        run.reading.set()
        resumed = run.count()
        deadline = time.monotonic() + 30
        while run.count() < resumed + 10_000 and time.monotonic() < deadline:
            time.sleep(0.1)
        report.add("modinput_rss_steady_mb", steady / 2**20, "MB")
        report.add("modinput_rss_stalled_peak_mb", peak / 2**20, "MB")
        report.add("modinput_rss_stall_growth_mb", (peak - steady) / 2**20, "MB")
        report.add("modinput_events_during_stall", written, "events")
        report.add("modinput_events_after_stall", run.count() - resumed, "events")


def run(report):
    if not (APP / "bin" / "firepower_estreamer.py").exists():
        raise SystemExit("bench modinput: run `make build` first")
    use_test_helpers()
    from fmcsim import pki as fmc_pki
    from simulator import PASSWORD

    work = Path(tempfile.mkdtemp(prefix="bench-modinput-"))
    try:
        pki = fmc_pki.mint(str(work / "pki"), password=PASSWORD)
        ceiling = report.value("stream_tls_read_records_per_s")
        for family in FAMILIES:
            events, seconds, cpu = measure(pki, work, family,
                                           EVENTS if family == "connection" else FAMILY_EVENTS)
            rate = events / seconds
            report.add(f"modinput_{family}_events_per_s", rate, "events/s")
            report.add(f"modinput_{family}_cpu_s_per_100k", cpu / events * 100_000, "cpu-s")
            if family == "connection" and ceiling:
                report.add("modinput_connection_vs_tls_read", rate / ceiling, "ratio")
        stalled(pki, work, report)
        sizes(pki, work, report)
        capture_sizes(report)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sizes(pki, work, report):
    """Mean event size per family over a run of every family."""
    with packaged_input(pki, work, "all", 20000, keep=True) as (run, want):
        Steady(run.proc.pid, run.count).measure(want, timeout=600)
        run.terminate()
        events = run.parsed()
    size, count = collections.Counter(), collections.Counter()
    for e in events:
        family = e["sourcetype"].rsplit(":", 1)[1]
        size[family] += len(json.dumps(e["event"], separators=(",", ":"),
                                       ensure_ascii=False).encode("utf-8"))
        count[family] += 1
    for family in sorted(count):
        report.add(f"event_bytes_mean_{family}", size[family] / count[family], "bytes")


def capture_sizes(report):
    """The real capture's connection events: our JSON against the lines eNcore wrote to Splunk."""
    from estreamer import wire
    from estreamer.decoder import RecordDecoder
    from estreamer.events import EventMapper, event_json
    from estreamer.metadata import MetadataCache

    from .common import BUNDLES, VECTORS
    decoder, cache = RecordDecoder(), MetadataCache()
    mapper, ours = EventMapper(cache, "fmc"), []
    for name in BUNDLES:
        (message,) = wire.FrameParser().feed((VECTORS / name).read_bytes())
        for body in wire.split_bundle(message.body).bodies:
            record = decoder.decode(body)
            if record.get("archiveTimestamp") is None:
                cache.learn(record)
            elif record["recordType"] == 71:
                ours.append(len(event_json(mapper.map(record).event).encode("utf-8")))
    theirs = [len(line.encode("utf-8")) for line in
              (VECTORS / "expected-encore-splunk.log").read_text().splitlines()
              if "rec_type=71 " in line or line.startswith("rec_type=71")]
    report.add("capture_connection_event_bytes_mean", sum(ours) / len(ours), "bytes")
    report.add("capture_connection_encore_line_bytes_mean", sum(theirs) / len(theirs), "bytes")
