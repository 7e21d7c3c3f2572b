"""Timing and reporting shared by the benchmark modules."""
from __future__ import annotations

import json
import os
import struct
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VECTORS = REPO.parent / "shared" / "vectors" / "fmc-capture-2020"
BUNDLES = ("bundle-1.bin", "bundle-2.bin", "bundle-4.bin")


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


class Report:
    def __init__(self, path: Path = REPO / "bench.json"):
        self.path, self.figures = path, {}

    def add(self, name: str, value: float, unit: str):
        value = round(value, 3 if abs(value) < 100 else 0)
        self.figures[name] = {"value": value, "unit": unit}
        print(f"bench: {name} {value:g} {unit}", flush=True)

    def save(self):
        self.path.write_text(json.dumps(self.figures, indent=1, sort_keys=True) + "\n")
        print(f"bench: wrote {os.path.relpath(self.path)}", flush=True)
