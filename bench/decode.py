"""Record decoding on one core: the real capture's mix, and connection events alone.

The ceiling is one precompiled ``struct.unpack_from`` per record over the same bytes (the
record header and the connection block's fixed part): the least any Python decoder must do.
"""
from __future__ import annotations

import struct

from estreamer.decoder import RecordDecoder

from .common import best_rate, capture_records, record_type

REPEAT_TO = 60_000  # records per round


def _repeat(bodies):
    return bodies * max(1, REPEAT_TO // len(bodies))


def run(report):
    bodies = capture_records()
    connections = [b for b in bodies if record_type(b) == 71]
    decoder = RecordDecoder()

    for name, sample in (("decode_capture_mix", _repeat(bodies)),
                         ("decode_connection", _repeat(connections))):
        decode = decoder.decode
        rate = best_rate(lambda decode=decode, sample=sample: [decode(body) for body in sample],
                         len(sample))
        report.add(f"{name}_records_per_s", rate, "records/s")

    # Ceiling: one C-level unpack per connection record: header, discovery header, IPv6 and
    # the block's fixed 217 bytes.
    ceiling_struct = struct.Struct(">IIII" + "40x16s" + "II209s")
    unpack = ceiling_struct.unpack_from
    sample = _repeat(connections)
    ceiling = best_rate(lambda: [unpack(body) for body in sample], len(sample))
    report.add("unpack_ceiling_connection_records_per_s", ceiling, "records/s")
    report.add("decode_connection_vs_unpack_ceiling",
               report.figures["decode_connection_records_per_s"]["value"] / ceiling, "ratio")
