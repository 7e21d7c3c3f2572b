"""Raw records (``stream`` without ``--events``) through the event compiler with the identity
profile: the compiled line of a record's bytes is byte for byte the JSON of the record the
reference decoder gives, for every record type and block version of the catalog, the real
capture, the simulator's stream of every generation, and mutated and shortened records. Where
the compiled function cannot vouch for a record it says so (None) and the record takes the
decoded path."""
from __future__ import annotations

import json
import random
import struct

import pytest

from estreamer.catalog import CATALOG, RECORDS
from estreamer.decoder import RecordDecoder, encode_record
from estreamer.events.programs import record_programs
from estreamer.layout import ParseError
from estreamer.wire import ALL_FAMILIES, EVENT_VERSIONS, Subscription
from test_codec_roundtrip import ARCHIVE_TIMESTAMP, BLOCK_VERSIONS, DEFINED_RECORDS, REAL_BODIES, sample

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def reference_line(body):
    """The line the decoded path writes, or None for a record it cannot decode as a record
    (malformed, unknown type or block)."""
    try:
        record = RecordDecoder().decode(body)
    except ParseError:
        return None
    return None if record.get("unknown") else _dumps(record.as_dict())


def compiled_line(programs, body):
    rendered = programs.render(body)
    return None if rendered is None else rendered[3]


@pytest.mark.parametrize("record_type", DEFINED_RECORDS)
def test_every_record_type_compiles_to_the_decoders_json(record_type):
    programs = record_programs(CATALOG)
    values = sample(RECORDS[record_type].layout, salt=f"c{record_type}")
    for archive in (None, ARCHIVE_TIMESTAMP):
        body = encode_record(record_type, values, archive_timestamp=archive)

        assert compiled_line(programs, body) == reference_line(body) is not None


@pytest.mark.parametrize("record_type, block_type", [
    (record_type, block_type) for record_type, versions in BLOCK_VERSIONS.items()
    for block_type in versions])
def test_every_block_version_compiles_to_the_decoders_json(record_type, block_type):
    values = sample(RECORDS[record_type].layout, salt=f"cv{block_type}", version=block_type)
    body = encode_record(record_type, values, archive_timestamp=ARCHIVE_TIMESTAMP)

    assert compiled_line(record_programs(CATALOG), body) == reference_line(body) is not None


def test_records_of_several_versions_in_one_stream_each_get_their_own_function():
    programs = record_programs(CATALOG)
    bodies = [encode_record(71, sample(RECORDS[71].layout, salt=f"s{t}", version=t),
                            archive_timestamp=ARCHIVE_TIMESTAMP) for t in (160, 174, 160, 173)]

    assert [compiled_line(programs, body) for body in bodies] == [reference_line(body)
                                                                   for body in bodies]
    assert len({key for key in programs._shapes if key[0] == 71}) == 3


@pytest.mark.parametrize("index", range(len(REAL_BODIES)))
def test_every_record_of_the_real_capture_compiles_to_the_decoders_json(index):
    body = REAL_BODIES[index]

    assert compiled_line(record_programs(CATALOG), body) == reference_line(body) is not None


@pytest.mark.parametrize("generation", sorted(EVENT_VERSIONS))
def test_the_simulators_stream_of_every_family_compiles_to_the_decoders_json(generation):
    from fmcsim.traffic import record_bodies
    programs = record_programs(CATALOG)
    for body in record_bodies(Subscription(families=ALL_FAMILIES, generation=generation), 300):
        assert compiled_line(programs, body) == reference_line(body) is not None


def test_mutated_records_compile_to_the_decoders_json_or_take_the_decoded_path():
    from fmcsim.traffic import record_bodies
    programs, rng, compiled, declined = record_programs(CATALOG), random.Random(15), 0, 0
    for body in record_bodies(Subscription(families=ALL_FAMILIES, generation="7.0"), 120):
        for _ in range(25):
            mutated = bytearray(body)
            for _ in range(rng.randint(1, 6)):
                mutated[rng.randrange(8, len(body))] = rng.randrange(256)
            line = compiled_line(programs, bytes(mutated))
            if line is None:
                declined += 1
                continue
            assert line == reference_line(bytes(mutated))
            compiled += 1
    assert compiled > 1000 and declined > 100


def _shortened(body, cut):
    """``body`` without its last ``cut`` bytes, its record length field made to match."""
    record_type, length = struct.unpack_from(">II", body)
    header = len(body) - length
    out = bytearray(body[:-cut])
    struct.pack_into(">I", out, 4, len(out) - header)
    return bytes(out)


def test_records_of_an_older_shorter_block_version_take_the_decoded_path():
    # a connection record whose block 174 ends after threatIntelligenceCategory: the fields of
    # 173's tail and 174's additions are absent, as in an older block the table extends
    values = sample(RECORDS[71].layout, salt="short", version=174)
    body = encode_record(71, values, archive_timestamp=ARCHIVE_TIMESTAMP)
    decoded = RecordDecoder().decode(body)
    tail = sum(8 + len(decoded[name].encode()) for name in (
        "eveProcess", "ingressVRFName", "egressVRFName", "sourceIpDynamicAttributes",
        "destIpDynamicAttributes")) + 4 + 2 + 2 + 32
    shorter = bytearray(_shortened(body, tail))
    block_at = 16 + 40 + (16 if decoded["hasIpv6"] else 0)
    struct.pack_into(">I", shorter, block_at + 4, len(shorter) - block_at)

    reference = reference_line(bytes(shorter))
    assert reference is not None and '"eveProcess"' not in reference
    assert '"threatIntelligenceCategory"' in reference
    assert compiled_line(record_programs(CATALOG), bytes(shorter)) is None


def test_a_record_with_bytes_after_its_last_field_takes_the_decoded_path():
    body = encode_record(94, sample(RECORDS[94].layout, salt="t"),
                         archive_timestamp=ARCHIVE_TIMESTAMP)
    longer = bytearray(body + b"\x00\x01")
    struct.pack_into(">I", longer, 4, len(longer) - 16)

    assert compiled_line(record_programs(CATALOG), bytes(longer)) is None
    assert reference_line(bytes(longer)) is not None
