"""Faults to inject, from ``--fault`` specs. Each fires once over the simulator's life.

Event faults fire once at least N event records have been sent (counted across connections):
``drop@N`` (half a bundle, then close), ``stall@N:SECONDS`` (send nothing, keep-alives
included), ``garbage@N`` (64 bytes that are no message header; then wait for the client to
close), ``error@N:CODE:TEXT`` (an eStreamer Error message, then close), ``bad-error@N:CODE:TEXT``
(the same Error message with a text length one byte longer than its text, as in eNcore's
malformed test vector, then close), ``restart@N`` (close every connection and reset connection ids
and bundle sequences), ``flood@N:COUNT`` (one bundle of COUNT empty Event Data records, at most
2,097,151: a 16 MiB message; then streaming goes on), ``corrupt-bundle@N`` (the next bundle with
the length of its middle inner message set to 0xFFFFFFF0; streaming goes on after it, and the
records from the damaged one on are not sent again). Connection faults hit the next
connection: ``refuse-cert`` (close right after the handshake), ``silent`` (keep-alives only),
``close-after-request`` (close after reading the Event Stream Request),
``close-after-streaming-request`` (close after reading the Streaming Request: the way an FMC
refuses event versions, whichever were asked for).

Record faults are part of the archive, so every session that streams past them sends them again
(as an FMC re-sends its archive after a reconnect): ``poison@N`` puts a hostile record right
before the event record of serial N, with that record's archive timestamp — a User Add Protocol
record (88) whose USER_PROTOCOL blocks (57) nest inside each other's ``ipRanges`` list 400 deep
(:func:`poison_record`), sent whatever the client asked for; ``future@N:SECONDS`` stamps the event
record of serial N (its archive timestamp and its event times) SECONDS after the simulator
started, as an FMC whose clock ran ahead would (default one year).
"""
from __future__ import annotations

import struct
import threading
from dataclasses import dataclass

EVENT_FAULTS = ("drop", "stall", "garbage", "error", "bad-error", "restart", "flood",
                "corrupt-bundle")
MAX_FLOOD = ((16 << 20) - 8) // 8  # empty inner messages in the largest message a client takes
CONNECTION_FAULTS = ("refuse-cert", "silent", "close-after-request",
                     "close-after-streaming-request")
RECORD_FAULTS = ("poison", "future")
POISON_DEPTH = 400
A_YEAR = 365 * 86400


@dataclass
class Fault:
    kind: str
    at: int = 0           # events sent before it fires (event faults)
    seconds: float = 0.0  # stall
    code: int = 0         # error, bad-error
    text: str = ""        # error, bad-error
    count: int = 0        # flood
    spec: str = ""

    def __str__(self):
        return self.spec


def parse(spec: str) -> Fault:
    kind, _, rest = spec.partition("@")
    if kind in CONNECTION_FAULTS and not rest:
        return Fault(kind, spec=spec)
    if kind not in EVENT_FAULTS + RECORD_FAULTS or not rest:
        raise ValueError(f"bad fault {spec!r}: use drop@N, stall@N:SECONDS, garbage@N, "
                         f"error@N:CODE:TEXT, bad-error@N:CODE:TEXT, restart@N, flood@N:COUNT, "
                         f"corrupt-bundle@N, poison@N, future@N:SECONDS, refuse-cert, silent, "
                         f"close-after-request or close-after-streaming-request")
    at, _, arg = rest.partition(":")
    fault = Fault(kind, int(at), spec=spec)
    if kind in RECORD_FAULTS and fault.at < 1:
        raise ValueError(f"bad fault {spec!r}: N is the serial of an event record, from 1")
    if kind == "future":
        fault.seconds = float(arg or A_YEAR)
    elif kind == "stall":
        fault.seconds = float(arg or 5)
    elif kind in ("error", "bad-error"):
        code, _, text = arg.partition(":")
        fault.code, fault.text = int(code or -1), text or "simulated FMC error"
    elif kind == "flood":
        fault.count = int(arg or 100000)
        if not 1 <= fault.count <= MAX_FLOOD:
            raise ValueError(f"bad fault {spec!r}: a flood has 1 to {MAX_FLOOD} records")
    return fault


class FaultBook:
    """The pending faults; shared by all connections."""

    def __init__(self, specs=()):
        self._lock = threading.Lock()
        self._pending = [parse(s) if isinstance(s, str) else s for s in specs]

    def records(self) -> list:
        """The record faults (they stay: they belong to the archive)."""
        return [f for f in self._pending if f.kind in RECORD_FAULTS]

    def take(self, kind: str):
        """The pending connection fault of ``kind``, consumed; or None."""
        with self._lock:
            for fault in self._pending:
                if fault.kind == kind:
                    self._pending.remove(fault)
                    return fault
        return None

    def due(self, sent: int):
        """An event fault whose threshold ``sent`` has reached, consumed; or None."""
        with self._lock:
            ready = [f for f in self._pending if f.kind in EVENT_FAULTS and f.at <= sent]
            if not ready:
                return None
            fault = min(ready, key=lambda f: f.at)
            self._pending.remove(fault)
            return fault

    def room(self, sent: int) -> int:
        """How many more events may be sent before the next event fault is due."""
        with self._lock:
            ahead = [f.at - sent for f in self._pending if f.kind in EVENT_FAULTS]
        return max(0, min(ahead)) if ahead else 1 << 62


def poison_record(archive_timestamp=None, depth: int = POISON_DEPTH) -> bytes:
    """A User Add Protocol record (88): discovery header, USER_PROTOCOL_LIST (83) whose list holds
    a USER_PROTOCOL (57) whose ``ipRanges`` list holds another 57, ``depth`` deep (the list
    should hold IP address ranges, block 141). Packed by hand: the library's encoder would not
    write a block where its tables put none."""
    inner = b""
    for _ in range(depth):
        ip_ranges = struct.pack(">II", 11, 8 + len(inner)) + inner
        body = ip_ranges + struct.pack(">II", 11, 8) + struct.pack(">BH", 6, 0)
        inner = struct.pack(">II", 57, 8 + len(body)) + body
    protocols = struct.pack(">II", 11, 8 + len(inner)) + inner
    user_list = struct.pack(">IIII", 83, 16 + len(protocols), 1, 0) + protocols
    header = struct.pack(">I4s6sBBIIIIII", 1, bytes(4), bytes(6), 0, 0, archive_timestamp or 0,
                         0, 1000, 1, 0, 0)
    data = header + user_list
    if archive_timestamp is None:
        return struct.pack(">II", 88, len(data)) + data
    return struct.pack(">IIII", 88, len(data), archive_timestamp, 0) + data
