"""Timing, process measurements and reporting shared by the benchmark modules."""
from __future__ import annotations

import json
import os
import resource
import struct
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VECTORS = REPO.parent / "shared" / "vectors" / "fmc-capture-2020"
BUNDLES = ("bundle-1.bin", "bundle-2.bin", "bundle-4.bin")
PASSWORD = "bench"
# The FMC 7 generation: connection records arrive in block 174, the realistic stream once the
# client asks for the newest event versions.
GENERATION = "7.0"


def best_rate(work, count: int, rounds: int = 5) -> float:
    """Items per second of ``work()`` (which handles ``count`` items), best of ``rounds``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return count / best


def capture_records() -> list:
    """The record bodies of the real FMC capture, in wire order."""
    from estreamer import wire
    bodies = []
    for name in BUNDLES:
        (message,) = wire.FrameParser().feed((VECTORS / name).read_bytes())
        bodies += wire.split_bundle(message.body).bodies
    return bodies


def record_type(body: bytes) -> int:
    return struct.unpack_from(">I", body)[0]


def use_test_helpers():
    """The simulator and the splunkd double live with the tests; the library in package/bin."""
    for path in (str(REPO / "tests"), str(REPO / "package" / "bin"), str(REPO)):
        if path not in sys.path:
            sys.path.insert(0, path)


# --- one process, from outside (Linux /proc) -----------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """The resident set size of a running process now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise ValueError(f"no VmRSS for process {pid}")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Steady:
    """Steady state of a process writing items: from the first item seen (start-up, imports
    and the TLS handshake excluded) to the last, in wall time and in the process's CPU time."""

    def __init__(self, pid: int, count):
        self.pid, self.count = pid, count

    def measure(self, want: int, timeout: float, poll: float = 0.05):
        """Wait for the first item, then for ``want`` items → (items, seconds, cpu seconds)."""
        deadline = time.monotonic() + timeout
        while self.count() < 1:
            self._check(deadline, "the first item")
            time.sleep(poll)
        first, started, cpu = self.count(), time.perf_counter(), cpu_seconds(self.pid)
        while self.count() < want:
            self._check(deadline, f"{want} items")
            time.sleep(poll)
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(self.pid) - cpu
        return self.count() - first, elapsed, cpu

    def _check(self, deadline, what):
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out waiting for {what}")
        if not Path(f"/proc/{self.pid}").exists():
            raise SystemExit(f"bench: the process exited before {what}")


# --- the transport ceiling --------------------------------------------------------------------

def tls_read(port, pkcs12: bytes, records: int, families=("connection",)):
    """Read until ``records`` records went by: TLS, framing, bundle splitting and acks only
    (the protocol's minimum), no decoding → (records, seconds, cpu seconds)."""
    from estreamer import wire
    from estreamer.connection import connect, load_identity
    context = load_identity(pkcs12, PASSWORD).client_context()
    sock = connect("127.0.0.1", port, context)
    session = wire.ClientSession(wire.Subscription(families=families, generation=GENERATION),
                                 wire.GENESIS)
    session.start()
    sock.sendall(session.data_to_send())
    seen, records_event = 0, wire.Records
    started, cpu = time.perf_counter(), own_cpu()
    while seen < records:
        for event in session.receive_data(sock.recv(1 << 18)):
            if type(event) is records_event:
                seen += len(event.bodies)
        sock.sendall(session.data_to_send())
    elapsed, cpu = time.perf_counter() - started, own_cpu() - cpu
    sock.close()
    return seen, elapsed, cpu


class Report:
    def __init__(self, path: Path = REPO / "bench.json"):
        self.path, self.figures = path, {}

    def add(self, name: str, value: float, unit: str):
        value = round(value, 3 if abs(value) < 100 else 0)
        self.figures[name] = {"value": value, "unit": unit}
        print(f"bench: {name} {value:g} {unit}", flush=True)

    def value(self, name: str):
        figure = self.figures.get(name)
        return None if figure is None else figure["value"]

    def save(self):
        self.path.write_text(json.dumps(self.figures, indent=1, sort_keys=True) + "\n")
        print(f"bench: wrote {os.path.relpath(self.path)}", flush=True)
