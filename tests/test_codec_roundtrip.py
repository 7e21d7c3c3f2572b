"""Encoder and decoder are inverses, for every record type and every block version we know; and
the compiled fast reader says exactly what the reference reader says.

Sample values are generated from each layout's rows: a distinctive value per field (the same
value for the same name, so a merged block repeating a header field stays consistent), valid
uuids/addresses/hex, short strings including non-ASCII ones, one or two items per list and
nested blocks of the version the table names. Derived lengths (block, list and text lengths)
are computed here from the wire sizes, not taken from the encoder.
"""
from __future__ import annotations

import hashlib
import socket
import struct
import uuid

import pytest

from conftest import VECTORS
from estreamer.catalog import CATALOG, RECORDS
from estreamer.decoder import RecordDecoder, encode_record, record_header
from estreamer.fields import BlockRef, Int, ListOf, Raw, Skip, Text, Var, When
from estreamer.record import Record
from estreamer.wire import FrameParser, split_bundle

ARCHIVE_TIMESTAMP = 1606927646
TEXTS = ("naïve café ☕", "plain ascii", "日本語テキスト", "x", "")

# Blocks 53 and 55 are referenced by records 18, 53, 46–48 but defined nowhere (eNcore neither).
UNDEFINED_BLOCK_RECORDS = {18: 53, 46: 55, 47: 55, 48: 55, 53: 53}

# The block versions a record's own block may arrive in (docs/protocol.md, "Event versions").
BLOCK_VERSIONS = {
    71: (160, 161, 163, 168, 169, 170, 171, 173, 174),
    400: (41, 60, 81, 85),
    500: (56, 79),
    502: (56, 79),
    125: (62, 80),
}


# --- sample values ----------------------------------------------------------------------------

def _digest(name: str, salt: str, size: int) -> bytes:
    return hashlib.blake2b(f"{salt}/{name}".encode(), digest_size=size).digest()


def _raw_value(name, kind, salt):
    raw = _digest(name, salt, kind.size)
    if kind.name == "UUID":
        return str(uuid.UUID(bytes=raw))
    if kind.name == "IPV4":
        return socket.inet_ntoa(raw)
    if kind.name == "IPV6":
        form = raw[0] % 3
        if form == 0:  # a full v6 address outside the mapped range
            return socket.inet_ntop(socket.AF_INET6, b"\x20\x01\x0d\xb8" + raw[4:])
        if form == 1:  # IPv4-mapped: the decoder shows it as a dotted quad
            return socket.inet_ntoa(raw[:4])
        return "::"
    if kind.name == "MAC":
        return raw.hex(":")
    return raw.hex()  # HEX16/20/32


def _layout_of(ref: BlockRef, wire_type=None):
    layout = CATALOG.block(ref.series, ref.expected if wire_type is None else wire_type)
    assert layout is not None
    return layout


def sample(layout, salt="s", depth=0, flag=1, version=None):
    """Decoded-form values for one instance of ``layout``. ``version`` picks the wire type of
    the layout's own unnamed (merged) block, for records that take several block versions."""
    out, rows = {}, layout.rows
    flags = {kind.flag_field for _, kind in rows if isinstance(kind, When)}
    if layout.has_header:
        wire_type = layout.wire_type
        if wire_type is None:  # a record with an inline block header (530, 700)
            wire_type = int.from_bytes(_digest("blockType", salt, 2), "big")
        out["blockType"], rows = wire_type, rows[2:]
    for name, kind in rows:
        if isinstance(kind, When):
            if not out.get(kind.flag_field):
                continue
            kind = kind.kind
        if name in out and name != "blockType":
            raise AssertionError(f"{layout.name}: {name} twice")
        if isinstance(kind, Skip) or (name == "blockType" and layout.has_header):
            continue
        if isinstance(kind, Int):
            value = flag if name in flags else int.from_bytes(_digest(name, salt, kind.size), "big")
            out[name] = value or 1
        elif isinstance(kind, Raw):
            out[name] = _raw_value(name, kind, salt)
        elif isinstance(kind, (Text, Var)) and kind.binary:  # blobs and packets: hex
            out[name] = _digest(name, salt, 8).hex()
        elif isinstance(kind, Text):
            out[name] = TEXTS[_digest(name, salt, 1)[0] % len(TEXTS)]
        elif isinstance(kind, Var):  # never empty here: see the trailing-empty-text test
            out[name] = TEXTS[_digest(name, salt, 1)[0] % (len(TEXTS) - 1)]
        elif isinstance(kind, BlockRef):
            wire_type = version if name is None else None
            block = sample(_layout_of(kind, wire_type), salt if name is None else f"{salt}.{name}",
                           depth + 1)
            if name is None:
                clashes = {k for k in block if k in out and out[k] != block[k]}
                assert not clashes, f"{layout.name}: merged fields {clashes} differ"
                out.update(block)
            else:
                out[name] = block
        elif isinstance(kind, ListOf):
            count = 2 if depth < 2 else 1
            out[name] = [sample(_layout_of(kind.item), f"{salt}.{name}[{i}]", depth + 1)
                         for i in range(count)]
        else:
            raise AssertionError(f"no sampler for {kind!r}")
    for name, kind in layout.rows:  # text lengths, as the decoder reports them
        if isinstance(kind, Var) and name in out:
            out[kind.length_field] = len(_wire_bytes(kind, out[name])) - kind.adjust
    if layout.has_header:
        out["blockLength"] = wire_size(layout, out)
    return out


def _wire_bytes(kind, value) -> bytes:
    return bytes.fromhex(value) if kind.binary else value.encode("utf-8")


def wire_size(layout, values) -> int:
    """Bytes an instance occupies, from the field sizes (independent of the encoder)."""
    size = 0
    for name, kind in layout.rows:
        if isinstance(kind, When):
            if not values.get(kind.flag_field):
                continue
            kind = kind.kind
        value = values if name is None else values.get(name)
        if isinstance(kind, (Int, Raw, Skip)):
            size += kind.size
        elif isinstance(kind, Text):
            size += 8 + len(_wire_bytes(kind, value))
        elif isinstance(kind, Var):
            size += len(_wire_bytes(kind, value))
        elif isinstance(kind, BlockRef):
            size += wire_size(_block_layout(kind, value), value)
        elif isinstance(kind, ListOf):
            size += 8 + sum(wire_size(_block_layout(kind.item, item), item) for item in value)
    return size


def _block_layout(ref, value):
    layout = _layout_of(ref)
    return _layout_of(ref, value["blockType"]) if layout.has_header else layout


def _references_undefined_block(layout) -> bool:
    return any(isinstance(kind, BlockRef) and CATALOG.block(kind.series, kind.expected) is None
               for _, kind in layout.rows)


def _has_flag(layout) -> bool:
    return any(isinstance(kind, When) for _, kind in layout.rows)


# --- both readers -----------------------------------------------------------------------------

def assert_readers_agree(layout, buf, off, end):
    """The compiled reader (built once per layout, private to the layout) and the reference
    reader give the same fields and stop at the same offset."""
    shape, values, after = CATALOG.reader(layout)(buf, off, end)
    reference, reference_after = CATALOG.read_reference(layout, buf, off, end)
    fast = Record(shape, values).as_dict()
    assert fast == Record.from_dict(reference).as_dict()
    assert list(fast) == list(reference)
    assert after == reference_after
    return fast


DEFINED_RECORDS = sorted(t for t in RECORDS if not _references_undefined_block(RECORDS[t].layout))


def test_the_catalog_covers_every_record_and_only_the_spec_undefined_blocks_are_missing():
    assert len(RECORDS) >= 140
    undefined = {t for t in RECORDS if _references_undefined_block(RECORDS[t].layout)}
    assert undefined == set(UNDEFINED_BLOCK_RECORDS)


@pytest.mark.parametrize("record_type", DEFINED_RECORDS)
def test_every_record_type_round_trips_through_encoder_and_decoder(record_type):
    layout = RECORDS[record_type].layout
    for flag in ((1, 0) if _has_flag(layout) else (1,)):
        values = sample(layout, salt=f"r{record_type}", flag=flag)
        for archive in (None, ARCHIVE_TIMESTAMP):
            body = encode_record(record_type, values, archive_timestamp=archive)
            head = {"recordType": record_type}
            if archive is not None:
                head["archiveTimestamp"] = archive

            decoder = RecordDecoder()
            rec = decoder.decode(body)

            assert len(body) == (8 if archive is None else 16) + wire_size(layout, values)
            assert rec.as_dict() == dict(head, **values)
            assert decoder.stats.as_dict() == {"records": 1, "unknown_types": 0,
                                               "unknown_blocks": 0, "malformed": 0,
                                               "trailing_bytes": 0}
            assert_readers_agree(layout, body, len(body) - wire_size(layout, values), len(body))


@pytest.mark.parametrize("record_type, block_type", [
    (record_type, block_type) for record_type, versions in BLOCK_VERSIONS.items()
    for block_type in versions])
def test_records_round_trip_in_every_version_of_their_block(record_type, block_type):
    layout = RECORDS[record_type].layout
    values = sample(layout, salt=f"v{record_type}.{block_type}", version=block_type)
    body = encode_record(record_type, values, archive_timestamp=ARCHIVE_TIMESTAMP)

    rec = RecordDecoder().decode(body)

    assert rec["blockType"] == block_type
    assert rec.as_dict() == dict({"recordType": record_type,
                                  "archiveTimestamp": ARCHIVE_TIMESTAMP}, **values)
    assert_readers_agree(layout, body, 16, len(body))


@pytest.mark.parametrize("series, wire_type", [
    (series, wire_type) for series, wire_type, _ in CATALOG.blocks()])
def test_every_block_version_round_trips(series, wire_type):
    layout = CATALOG.block(series, wire_type)
    values = sample(layout, salt=f"b{series}.{wire_type}")
    data = CATALOG.encode(layout, values)

    rec, after = CATALOG.decode(layout, data, 0, len(data))

    assert len(data) == wire_size(layout, values)
    assert after == len(data)
    assert rec.as_dict() == values
    assert assert_readers_agree(layout, data, 0, len(data)) == values


@pytest.mark.parametrize("record_type", sorted(UNDEFINED_BLOCK_RECORDS))
def test_a_record_whose_table_names_an_undefined_block_surfaces_as_an_unknown_block(record_type):
    block_type = UNDEFINED_BLOCK_RECORDS[record_type]
    header = struct.pack(">I4s6sBBIIIIII", 1, bytes(4), bytes(6), 0, 0, 1606927000, 0, 1001, 2,
                         0, 0)
    data = header + struct.pack(">II", block_type, 12) + b"\x01\x02\x03\x04"
    decoder = RecordDecoder()

    rec = decoder.decode(struct.pack(">II", record_type, len(data)) + data)

    assert rec == {"recordType": record_type, "blockType": block_type, "unknown": True,
                   "raw": data.hex()}
    assert decoder.stats.unknown_blocks == 1


def _ends_with_text(record_type):
    rows = RECORDS[record_type].layout.rows
    return isinstance(rows[-1][1], Var)


@pytest.mark.parametrize("record_type", [t for t in sorted(RECORDS) if _ends_with_text(t)])
def test_an_empty_text_at_the_end_of_a_record_is_an_empty_string_for_both_readers(record_type):
    # docs/protocol.md, "Field types": a record that ends where a variable field starts → ''.
    layout = RECORDS[record_type].layout
    values = sample(layout, salt=f"e{record_type}")
    last, kind = layout.rows[-1]
    values[last], values[kind.length_field] = "", 0
    body = encode_record(record_type, values)

    rec = RecordDecoder().decode(body)

    assert rec[last] == ""
    assert assert_readers_agree(layout, body, 8, len(body))[last] == ""


def _real_record_bodies():
    bodies = []
    for path in sorted((VECTORS / "fmc-capture-2020").glob("bundle-*.bin")):
        (message,) = FrameParser().feed(path.read_bytes())
        bodies += split_bundle(message.body).bodies
    return bodies


REAL_BODIES = _real_record_bodies()


def test_the_capture_holds_the_54_records_its_index_lists():
    assert len(REAL_BODIES) == 54


@pytest.mark.parametrize("index", range(len(REAL_BODIES)))
def test_both_readers_agree_on_every_real_record(index):
    body = REAL_BODIES[index]
    record_type, _, start = record_header(body)

    fields = assert_readers_agree(RECORDS[record_type].layout, body, start, len(body))

    decoded = RecordDecoder().decode(body).as_dict()
    del decoded["recordType"]
    decoded.pop("archiveTimestamp", None)
    assert decoded == fields


@pytest.mark.parametrize("index", range(len(REAL_BODIES)))
def test_every_real_record_survives_re_encoding(index):
    # Not byte-exact: FMC strings carry trailing NULs, which decoding drops (docs/protocol.md), so
    # the lengths derived from them shrink; one pass reaches a fixed point.
    body = REAL_BODIES[index]
    record_type, archive, _ = record_header(body)
    layout = RECORDS[record_type].layout
    derived = {"blockLength"} | {kind.length_field for _, kind in layout.rows
                                 if isinstance(kind, Var)}
    rec = RecordDecoder().decode(body)

    once = encode_record(record_type, rec, archive_timestamp=archive)
    again = RecordDecoder().decode(once)

    assert encode_record(record_type, again, archive_timestamp=archive) == once
    assert {k: v for k, v in again.items() if k not in derived} == {
        k: v for k, v in rec.items() if k not in derived}
