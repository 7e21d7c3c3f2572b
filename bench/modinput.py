"""Through Splunk's door: the packaged modular input (``output/``, from ``make build``) run as
splunkd runs it, against the simulator in rate mode and the splunkd double. The harness only
counts what the input writes to its XML stream. Also the mean event size per family, from a
run over every family."""
from __future__ import annotations

import collections
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .common import REPO

EVENTS = int(os.environ.get("BENCH_MODINPUT_EVENTS", "100000"))
APP = REPO / "output" / "TA_firepower_estreamer"


def _measure(pki, work, families, records, params):
    from modinput import Rig

    settings = {"advanced": {"flush_interval": "1", "batch_size": "2000",
                             "health_interval": "60"}}
    with Rig(APP, sys.executable, pki, work / f"run-{time.monotonic_ns()}") as rig:
        sim = rig.simulator("--records", records, "--families", families, "--window", "64",
                            "--per-second", 50)
        rig.start_splunkd({"fmc1": rig.fmc_server(sim.port)}, settings)
        run = rig.run("bench", dict({"fmc_server": "fmc1", "index": "main",
                                     "start_position": "genesis"}, **params))
        want = len(sim.manifest_keys(None if families == "all" else {71}))
        if families == "all":  # packets and extra data are not requested
            want = len([k for k in sim.manifest_keys() if not k.startswith(("2:", "110:"))])
        # Steady state, as a long-running input lives: from its first event (start-up,
        # imports and the TLS handshake excluded) to the last.
        run.wait_for(lambda: run.event_count() >= 1, 120, "the first event")
        first, started, cpu = run.event_count(), time.perf_counter(), _cpu_seconds(run.proc.pid)
        run.wait_for(lambda: run.event_count() >= want, 600, f"{want} events")
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds(run.proc.pid) - cpu
        streamed = run.event_count() - first
        run.terminate()
        return run.events(), streamed / elapsed, cpu / streamed


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(report):
    if not (APP / "bin" / "firepower_estreamer.py").exists():
        raise SystemExit("bench modinput: run `make build` first")
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "package" / "bin"), str(REPO)]
    from fmcsim import pki as fmc_pki
    from simulator import PASSWORD

    work = Path(tempfile.mkdtemp(prefix="bench-modinput-"))
    try:
        pki = fmc_pki.mint(str(work / "pki"), password=PASSWORD)
        events, rate, cpu = _measure(pki, work, "connection", EVENTS,
                                     {"record_families": "connection"})
        report.add("modinput_connection_events_per_s", rate, "events/s")
        report.add("modinput_connection_cpu_s_per_100k", cpu * 100_000, "cpu-s")
        events, _, _ = _measure(pki, work, "all", 20000, {
            "record_families": "connection|intrusion|file|malware|correlation|identity|vpn|"
                               "discovery"})
        size, count = collections.Counter(), collections.Counter()
        for e in events:
            family = e["sourcetype"].rsplit(":", 1)[1]
            size[family] += len(json.dumps(e["event"], separators=(",", ":"),
                                           ensure_ascii=False).encode("utf-8"))
            count[family] += 1
        for family in sorted(count):
            report.add(f"event_bytes_mean_{family}", size[family] / count[family], "bytes")
        capture_sizes(report)
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
