"""``python -m bench [NAME ...]``: run the benchmarks (all by default)."""
from __future__ import annotations

import importlib
import sys

from .common import Report

SUITES = ("decode", "stages", "stream", "modinput")


def main(argv) -> int:
    report = Report()
    for name in argv or SUITES:
        importlib.import_module(f"bench.{name}").run(report)
    report.save()
    return 0


sys.exit(main(sys.argv[1:]))
