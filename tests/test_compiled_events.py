"""The compiled event functions against the reference path, byte for byte: every family, every
block version the catalog has, the real capture, every generation of the simulator, randomly
mutated records and records of an older, shorter block version. A record the compiled function
cannot vouch for is given back (None) and takes the reference path, so what a sink writes is
the reference's event in every case."""
from __future__ import annotations

import random
import struct

import pytest

from estreamer.catalog import CATALOG, RECORDS
from estreamer.decoder import RecordDecoder, encode_record
from estreamer.events import PROFILES, EventMapper, MapperOptions, event_json
from estreamer.layout import ParseError
from estreamer.metadata import MetadataCache
from estreamer.wire import ALL_FAMILIES, EVENT_VERSIONS, Subscription
from test_codec_roundtrip import ARCHIVE_TIMESTAMP, BLOCK_VERSIONS, DEFINED_RECORDS, REAL_BODIES, sample

HOST = "fmc1"
OPTIONS = {"default": MapperOptions(clock=lambda: 1.0),
           "site": MapperOptions(si_split=False, endpoint_address="destination",
                                 rule_actions={"Allow": "blocked"}, clock=lambda: 1.0)}


def line_of(rendered):
    sourcetype, time, _, text = rendered
    return event_json({"time": time, "sourcetype": sourcetype, "host": HOST,
                       "event": None})[:-5] + text + "}"


def reference(mapper, body):
    """The reference path's line, or None (no event, or a record it cannot decode)."""
    try:
        record = RecordDecoder().decode(body)
    except ParseError:
        return None
    event = mapper.map(record)
    return None if event is None else event_json(event.as_line())


class Check:
    """Feeds records to one mapper in order (metadata teaches it names) and compares the
    compiled line of each event record with the reference's."""

    def __init__(self, options="default"):
        self.cache = MetadataCache()
        self.mapper = EventMapper(self.cache, HOST, OPTIONS[options])
        self.compiled = self.declined = self.unmappable = 0

    def __call__(self, body):
        try:
            record = RecordDecoder().decode(body)
        except ParseError:
            record = None
        if record is not None and record.get("archiveTimestamp") is None:
            self.cache.learn(record)
            return
        rendered = self.mapper.render(body)
        if rendered is None:
            self.declined += 1
            line = reference(self.mapper, body)
            self.unmappable += line is not None and '"mapping_error"' in line
            return
        assert line_of(rendered) == reference(self.mapper, body)
        self.compiled += 1


@pytest.mark.parametrize("options", sorted(OPTIONS))
@pytest.mark.parametrize("record_type", sorted(set(PROFILES) & set(DEFINED_RECORDS)))
def test_every_record_type_of_a_family_compiles_to_the_reference_event(record_type, options):
    check = Check(options)
    for flag in (1, 0):
        values = sample(RECORDS[record_type].layout, salt=f"ce{record_type}", flag=flag)
        check(encode_record(record_type, values, archive_timestamp=ARCHIVE_TIMESTAMP))

    assert check.compiled == 2


@pytest.mark.parametrize("record_type, block_type", [
    (record_type, block_type) for record_type, versions in BLOCK_VERSIONS.items()
    for block_type in versions])
def test_every_block_version_compiles_to_the_reference_event(record_type, block_type):
    check = Check()
    values = sample(RECORDS[record_type].layout, salt=f"cev{block_type}", version=block_type)
    check(encode_record(record_type, values, archive_timestamp=ARCHIVE_TIMESTAMP))

    # intrusion block 41 lacks fields the intrusion table reads (as the mapper before it did):
    # its records are sent with their fields and the mapping error, by the reference path
    assert (check.compiled, check.unmappable) == ((0, 1) if block_type == 41 else (1, 0))


def test_every_user_block_version_compiles_to_the_reference_event():
    check = Check()
    for block_type in (120, 121, 127, 155, 159, 165, 167):  # all a user position accepts
        values = sample(RECORDS[95].layout, salt=f"u{block_type}")
        values["user"] = sample(CATALOG.block(1, block_type), salt=f"u{block_type}")
        check(encode_record(95, values, archive_timestamp=ARCHIVE_TIMESTAMP))

    assert check.compiled == 7


@pytest.mark.parametrize("options", sorted(OPTIONS))
def test_the_real_capture_compiles_to_the_reference_events(options):
    check = Check(options)
    for body in REAL_BODIES:
        check(body)

    assert check.compiled == 24 and check.declined == 0


@pytest.mark.parametrize("generation", sorted(EVENT_VERSIONS))
def test_the_simulators_stream_of_every_family_compiles_to_the_reference_events(generation):
    from fmcsim.traffic import record_bodies
    check = Check()
    for body in record_bodies(Subscription(families=ALL_FAMILIES, generation=generation), 500):
        check(body)

    assert check.compiled > 450 and check.declined == 0


def test_mutated_records_compile_to_the_reference_event_or_take_its_path():
    from fmcsim.traffic import record_bodies
    check, rng = Check(), random.Random(1515)
    bodies = record_bodies(Subscription(families=ALL_FAMILIES, generation="7.0"), 150)
    for body in bodies:
        check(body)
    for body in bodies:
        if len(body) < 24 or struct.unpack_from(">I", body, 4)[0] + 16 != len(body):
            continue  # metadata: mutated, it would only teach odd names
        for _ in range(30):
            mutated = bytearray(body)
            for _ in range(rng.randint(1, 8)):
                mutated[rng.randrange(16, len(body))] = rng.randrange(256)
            check(bytes(mutated))

    assert check.compiled > 2000 and check.declined > 100


def _shortened(body, cut, block_at):
    """``body`` without its last ``cut`` bytes; the record and block lengths made to match."""
    out = bytearray(body[:-cut])
    struct.pack_into(">I", out, 4, len(out) - 16)
    struct.pack_into(">I", out, block_at + 4, len(out) - block_at)
    return bytes(out)


@pytest.mark.parametrize("record_type, block_type", [(71, 174), (400, 85), (500, 79),
                                                     (125, 80)])
def test_records_of_an_older_shorter_block_version_take_the_reference_path(record_type,
                                                                          block_type):
    # the block ends on a field boundary before its table does: an older version of it, whose
    # fields the event simply lacks
    values = sample(RECORDS[record_type].layout, salt="old", version=block_type)
    body = encode_record(record_type, values, archive_timestamp=ARCHIVE_TIMESTAMP)
    block_at = 16 + (56 if record_type == 71 and values.get("hasIpv6") else
                     40 if record_type == 71 else 0)
    decoded = RecordDecoder().decode(body)
    # the block's last field, a text, cut off whole
    text = next(name for name in reversed(list(decoded)) if isinstance(decoded[name], str))
    shorter = _shortened(body, 8 + len(decoded[text].encode()), block_at)
    check = Check()

    check(shorter)

    assert check.declined == 1 and check.compiled == 0
    assert text not in RecordDecoder().decode(shorter)
    assert reference(check.mapper, shorter) is not None


def test_the_mappers_names_follow_metadata_learned_between_records():
    from fmcsim.traffic import record_bodies
    bodies = record_bodies(Subscription(families=("connection",), generation="7.0"), 40)
    metadata = [b for b in bodies if struct.unpack_from(">I", b, 4)[0] + 8 == len(b)]
    events = [b for b in bodies if b not in metadata]
    check = Check()
    for body in events[:5]:  # before any name is known: <thing>-<id>
        check(body)
    for body in metadata:
        check(body)
    for body in events[:5]:  # the same records, now named
        check(body)

    assert check.compiled == 10


@pytest.mark.parametrize("names", ["standard", "encore"])
def test_cef_lines_from_the_compiled_events_are_the_reference_events_lines(names):
    from estreamer.cef import CefFormatter
    from estreamer.sinks import compiled_event
    from fmcsim.traffic import record_bodies
    formatter, check = CefFormatter(names), Check()
    bodies = record_bodies(Subscription(families=ALL_FAMILIES, generation="7.0"), 400)
    lines = 0
    for body in bodies + REAL_BODIES:
        record = RecordDecoder().decode(body)
        if record.get("archiveTimestamp") is None:
            check.cache.learn(record)
            continue
        event = compiled_event(check.mapper, body)
        assert event is not None
        assert formatter.line(event) == formatter.line(check.mapper.map(record))
        assert formatter.encode(event, 1024) == formatter.encode(check.mapper.map(record), 1024)
        lines += 1
    assert lines > 400
