"""Hostile bytes: thousands of mutations of the real FMC bundles through the whole read path.

Each case takes real records from the capture, mutates them (truncation, bit flips, random
extension, length fields overwritten with 0, 7, 0xFFFFFFFF and friends, record types swapped,
records spliced together) and frames them as a Message Bundle, which may itself be mutated.
The stream is fed to :class:`FrameParser` in random chunks, split with :func:`split_bundle` and
every record decoded. The only exceptions allowed are :class:`ProtocolError` (framing) and
:class:`ParseError` (a record); a single step taking over a second counts as a hang (a bound,
not a speed target), and tracemalloc bounds the memory of the whole run.
"""
from __future__ import annotations

import random
import struct
import time
import tracemalloc

from conftest import VECTORS
from estreamer.catalog import RECORDS
from estreamer.decoder import RecordDecoder
from estreamer.layout import ParseError
from estreamer.wire import FrameParser, ProtocolError, split_bundle

SEED = 20201203
CASES = 10000
HANG_SECONDS = 1.0
PEAK_BYTES = 64 << 20
LENGTHS = (0, 1, 7, 8, 9, 15, 16, 17, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFF8, 0xFFFFFFFF)
RECORD_TYPES = sorted(RECORDS) + [0, 1, 3, 9999]

_MESSAGE = struct.Struct(">HHI")
_U32 = struct.Struct(">I")


def _capture():
    bundles, records = [], []
    for path in sorted((VECTORS / "fmc-capture-2020").glob("bundle-*.bin")):
        raw = path.read_bytes()
        (message,) = FrameParser().feed(raw)
        bundles.append(raw)
        records += split_bundle(message.body).bodies
    return bundles, records


BUNDLES, RECORD_BODIES = _capture()


def _length_like_offsets(body):
    """Offsets of uint32s that look like lengths (8 ≤ value ≤ record size): the block, list and
    string lengths a mutation most wants to hit."""
    return [at for at in range(len(body) - 3) if 8 <= _U32.unpack_from(body, at)[0] <= len(body)]


LENGTH_OFFSETS = {body: _length_like_offsets(body) for body in RECORD_BODIES}


# --- mutations ------------------------------------------------------------------------------

def _put_u32(data, at, value):
    if 0 <= at <= len(data) - 4:
        data[at:at + 4] = _U32.pack(value)


def _length_value(rng):
    return rng.choice(LENGTHS) if rng.random() < 0.7 else rng.randrange(1 << 32)


def mutate_record(rng, body):
    data = bytearray(body)
    op = rng.randrange(7)
    if op == 0:
        del data[rng.randrange(len(data)):]
    elif op == 1:
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif op == 2:
        data += rng.randbytes(rng.randint(1, 64))
    elif op == 3:
        offsets = LENGTH_OFFSETS.get(body)
        for _ in range(rng.randint(1, 3)):
            at = rng.choice(offsets) if offsets and rng.random() < 0.8 else rng.randrange(len(data))
            _put_u32(data, at, _length_value(rng))
    elif op == 4:
        _put_u32(data, 0, rng.choice(RECORD_TYPES))
    elif op == 5:
        other = rng.choice(RECORD_BODIES)
        data = data[:rng.randrange(len(data) + 1)] + other[rng.randrange(len(other)):]
    else:
        start = rng.randrange(len(data))
        data[start:start + rng.randint(1, 32)] = rng.randbytes(rng.randint(0, 32))
    if len(data) >= 8 and rng.random() < 0.75:
        # Keep the record header consistent so the body itself gets decoded.
        header = 16 if rng.random() < 0.5 and len(data) >= 16 else 8
        _put_u32(data, 4, len(data) - header)
    return bytes(data)


def frame_bundle(sequence, bodies):
    inner = b"".join(_MESSAGE.pack(0, 4, len(body)) + body for body in bodies)
    body = struct.pack(">II", 0x5FC831ED, sequence) + inner
    return _MESSAGE.pack(1, 4002, len(body)) + body


def mutate_stream(rng, stream):
    data = bytearray(stream)
    op = rng.randrange(5)
    if op == 0:
        del data[rng.randrange(len(data)):]
    elif op == 1:
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif op == 2:
        data += rng.randbytes(rng.randint(1, 64))
    elif op == 3:  # the outer length, or an inner message length
        at = 4 if rng.random() < 0.3 else rng.randrange(len(data))
        _put_u32(data, at, _length_value(rng))
    else:
        other = rng.choice(BUNDLES)
        data = data[:rng.randrange(len(data) + 1)] + other[rng.randrange(len(other)):]
    return bytes(data)


def make_case(rng, sequence):
    if rng.random() < 0.1:  # a whole real bundle, mutated as a byte stream
        return mutate_stream(rng, rng.choice(BUNDLES))
    bodies = [rng.choice(RECORD_BODIES) for _ in range(rng.randint(1, 8))]
    bodies = [mutate_record(rng, body) if rng.random() < 0.6 else body for body in bodies]
    stream = frame_bundle(sequence, bodies)
    return mutate_stream(rng, stream) if rng.random() < 0.2 else stream


# --- the read path --------------------------------------------------------------------------

class Hang(AssertionError):
    pass


def _timed(step, *args):
    start = time.monotonic()
    try:
        return step(*args)
    finally:
        if time.monotonic() - start > HANG_SECONDS:
            raise Hang(f"{step.__qualname__} took over {HANG_SECONDS} s")


def read_stream(rng, decoder, stream):
    """Feed, split and decode like a client would. Returns how many records were decoded."""
    parser, off, decoded = FrameParser(), 0, 0
    while off < len(stream):
        chunk = stream[off:off + rng.randint(1, 4096)]
        off += len(chunk)
        try:
            messages = _timed(parser.feed, chunk)
        except ProtocolError:
            return decoded
        for message in messages:
            if message.type != 4002:
                continue
            for body in _timed(split_bundle, message.body).bodies:
                try:
                    _timed(decoder.decode, body)
                except ParseError:
                    continue
                decoded += 1
    return decoded


def test_mutated_bundles_raise_only_protocol_or_parse_errors_without_hangs_or_bloat():
    rng = random.Random(SEED)
    decoder = RecordDecoder()
    failures, decoded = [], 0
    tracemalloc.start()
    try:
        for case in range(CASES):
            stream = make_case(rng, case + 1)
            try:
                decoded += read_stream(rng, decoder, stream)
            except Exception as exc:  # anything else is a bug; keep the bytes to reproduce it
                failures.append(f"case {case}: {type(exc).__name__}: {exc}; "
                                f"stream {stream[:512].hex()}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert not failures, f"{len(failures)} of {CASES} cases failed:\n" + "\n".join(failures[:5])
    assert peak < PEAK_BYTES
    # The mutations must leave enough intact to reach the decoder's every outcome.
    stats = decoder.stats
    assert decoded > CASES
    assert stats.malformed > CASES // 10
    assert stats.unknown_types > 0 and stats.unknown_blocks > 0 and stats.trailing_bytes > 0


def test_the_unmutated_capture_reads_cleanly():
    decoder = RecordDecoder()

    decoded = sum(read_stream(random.Random(case), decoder, bundle)
                  for case, bundle in enumerate(BUNDLES))

    assert decoded == len(RECORD_BODIES) == 54
    assert decoder.stats.malformed == decoder.stats.unknown_types == 0
