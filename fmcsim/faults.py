"""Faults to inject, from ``--fault`` specs. Each fires once over the simulator's life.

Event faults fire once at least N event records have been sent (counted across connections):
``drop@N`` (half a bundle, then close), ``stall@N:SECONDS`` (send nothing, keep-alives
included), ``garbage@N`` (64 bytes that are no message header; then wait for the client to
close), ``error@N:CODE:TEXT`` (an eStreamer Error message, then close), ``restart@N`` (close every
connection and reset connection ids and bundle sequences). Connection faults hit the next
connection: ``refuse-cert`` (close right after the handshake), ``silent`` (keep-alives only),
``close-after-request`` (close after reading the Event Stream Request),
``close-after-streaming-request`` (close after reading the Streaming Request: the way an FMC
refuses event versions, whichever were asked for).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

EVENT_FAULTS = ("drop", "stall", "garbage", "error", "restart")
CONNECTION_FAULTS = ("refuse-cert", "silent", "close-after-request",
                     "close-after-streaming-request")


@dataclass
class Fault:
    kind: str
    at: int = 0           # events sent before it fires (event faults)
    seconds: float = 0.0  # stall
    code: int = 0         # error
    text: str = ""        # error
    spec: str = ""

    def __str__(self):
        return self.spec


def parse(spec: str) -> Fault:
    kind, _, rest = spec.partition("@")
    if kind in CONNECTION_FAULTS and not rest:
        return Fault(kind, spec=spec)
    if kind not in EVENT_FAULTS or not rest:
        raise ValueError(f"bad fault {spec!r}: use drop@N, stall@N:SECONDS, garbage@N, "
                         f"error@N:CODE:TEXT, restart@N, refuse-cert, silent, "
                         f"close-after-request or close-after-streaming-request")
    at, _, arg = rest.partition(":")
    fault = Fault(kind, int(at), spec=spec)
    if kind == "stall":
        fault.seconds = float(arg or 5)
    elif kind == "error":
        code, _, text = arg.partition(":")
        fault.code, fault.text = int(code or -1), text or "simulated FMC error"
    return fault


class FaultBook:
    """The pending faults; shared by all connections."""

    def __init__(self, specs=()):
        self._lock = threading.Lock()
        self._pending = [parse(s) if isinstance(s, str) else s for s in specs]

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
