"""Records built to hurt the decoder: blocks nested inside themselves, blocks where their tables put
none, and anything else that goes wrong inside one record. Each costs that record alone (counted
as malformed, reported with its offset, kept raw), never the stream; both readers of the codec
(the compiled one and the reference one) say the same. The records are packed here with
``struct``, never with the library's encoder."""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from estreamer.catalog import CATALOG, RECORDS, Catalog
from estreamer.decoder import RecordDecoder
from estreamer.fields import U32, BlockRef, ListOf, list_of
from estreamer.layout import MAX_DEPTH, Layout, ParseError, Short
from handmade import block, discovery_header, list_block, record, u8, u16, u32
from simulator import event_records, records

USER_PROTOCOL_LIST, USER_PROTOCOL, IP_RANGE = 83, 57, 141


def user_protocol(ip_ranges=None, protocol=6):
    """Block 57 (user protocol): ipRanges list, macRanges list, protocolType u8, protocol u16."""
    return block(USER_PROTOCOL, ip_ranges or list_block(), list_block(), u8(protocol), u16(0))


def nested_user_protocols(depth):
    """Block 57 whose ``ipRanges`` list (meant for block 141) holds another 57, ``depth`` deep."""
    inner = user_protocol()
    for _ in range(depth - 1):
        inner = user_protocol(list_block(inner))
    return inner


def user_add_protocol(*items, archive=1700000000):
    """Record 88 (User Add Protocol): discovery header + block 83 (sourceType, sourceId, list
    of 57)."""
    return record(88, discovery_header(), block(USER_PROTOCOL_LIST, u32(1), u32(0),
                                                 list_block(*items)), archive=archive)


def ip_range(start=bytes(16), finish=bytes(16)):
    return block(IP_RANGE, start, finish)


POISON = user_add_protocol(nested_user_protocols(400))


def both_readers(body):
    """(compiled reader's outcome, reference reader's outcome) for record 88's layout."""
    layout = RECORDS[88].layout
    outcomes = []
    for read in (lambda: CATALOG.read(layout, body, 16, len(body))[:2],
                 lambda: CATALOG.read_reference(layout, body, 16, len(body))[0]):
        try:
            outcomes.append(read())
        except ParseError as exc:
            outcomes.append(("ParseError", exc.message, exc.offset))
    return outcomes


# --- nesting ----------------------------------------------------------------------------------

def test_a_block_nested_400_deep_inside_itself_is_one_malformed_record_not_a_crash():
    assert 10_000 < len(POISON) < 12_000  # the ~11 KB record of the report
    decoder = RecordDecoder()

    with pytest.raises(ParseError) as caught:
        decoder.decode(POISON)

    assert caught.value.record_type == 88
    assert "ipRanges" in caught.value.message and "USER_PROTOCOL" in caught.value.message
    assert decoder.stats.malformed == 1 and decoder.stats.records == 0


def test_the_record_after_the_nested_one_decodes():
    decoder = RecordDecoder()
    with pytest.raises(ParseError):
        decoder.decode(POISON)

    after = decoder.decode(user_add_protocol(user_protocol(list_block(ip_range()))))

    assert after["recordType"] == 88 and after["list"][0]["ipRanges"][0]["blockType"] == 141


def test_a_known_block_where_the_table_names_another_is_malformed_at_its_offset():
    body = user_add_protocol(user_protocol(list_block(ip_range(), user_protocol())))

    with pytest.raises(ParseError) as caught:
        RecordDecoder().decode(body)

    # record header 16 + discovery 40 + block 83 header and two ids 16 + list header 8
    # + block 57 header 8 + ipRanges list header 8 + one IP range 40
    assert caught.value.offset == 16 + 40 + 16 + 8 + 8 + 8 + 40
    assert "IP_ADDRESS_RANGE_DATA_52" in caught.value.message


def test_a_block_type_the_catalog_does_not_know_is_still_an_unknown_block_kept_raw():
    body = user_add_protocol(user_protocol(list_block(block(9999, b"newer"))))
    decoder = RecordDecoder()

    rec = decoder.decode(body)

    assert rec["unknown"] is True and rec["blockType"] == 9999 and rec["raw"] == body[16:].hex()
    assert decoder.stats.unknown_blocks == 1 and decoder.stats.malformed == 0


def test_a_newer_version_of_the_block_a_position_names_is_accepted_there():
    body = record(400, block(85, u32(7)), archive=5)  # intrusion v11 where 60 is named

    rec = RecordDecoder().decode(body)

    assert rec["blockType"] == 85 and rec["deviceId"] == 7


def test_a_file_event_block_in_the_intrusion_position_is_malformed():
    body = record(400, block(56, bytes(8)), archive=5)

    with pytest.raises(ParseError, match="FILE_EVENT_60"):
        RecordDecoder().decode(body)


@pytest.mark.parametrize("body", [POISON, user_add_protocol(user_protocol(list_block(
    ip_range(), user_protocol())))], ids=["nested", "misplaced"])
def test_both_readers_report_the_same_error(body):
    compiled, reference = both_readers(body)

    assert compiled == reference and compiled[0] == "ParseError"


def test_the_catalog_nests_at_most_four_blocks_deep_and_never_in_a_cycle():
    def depth(layout, path):
        deepest = 0
        for _, kind in layout.rows:
            ref = kind.item if isinstance(kind, ListOf) else kind
            if not isinstance(ref, BlockRef):
                continue
            for wire_type in CATALOG.accepts(ref):
                inner = CATALOG.block(ref.series, wire_type)
                if inner is not None:
                    assert inner not in path, f"{inner} nests inside itself"
                    deepest = max(deepest, 1 + depth(inner, path + (inner,)))
        return deepest

    assert max(depth(kind.layout, ()) for kind in RECORDS.values()) == 4 < MAX_DEPTH


@pytest.fixture
def nesting_series():
    """A catalog of a made-up series 99 whose block 1 lists itself: the one way to nest a
    well-placed block past MAX_DEPTH (the real catalog cannot). → (catalog, record layout)"""
    nest_block = Layout("NEST", (("blockType", U32), ("blockLength", U32),
                                 ("inner", list_of(99, 1)), ("value", U32)), 99, 1)
    return Catalog([nest_block]), Layout("record NEST", (("nest", BlockRef(99, 1)),))


def nest(depth):
    inner = block(1, list_block(), u32(depth))
    for level in range(depth - 1, 0, -1):
        inner = block(1, list_block(inner), u32(level))
    return inner


def test_blocks_nested_exactly_max_depth_deep_decode_alike_in_both_readers(nesting_series):
    catalog, layout = nesting_series
    data = nest(MAX_DEPTH)

    shape, values, after = catalog.read(layout, data, 0, len(data))
    fast = catalog.reader(layout)(data, 0, len(data))  # the compiled reader alone, no fallback
    slow, slow_after = catalog.read_reference(layout, data, 0, len(data))

    assert after == slow_after == len(data)
    assert fast[:2] == (shape, values)
    deepest, levels = slow["nest"], 1
    while deepest["inner"]:
        deepest, levels = deepest["inner"][0], levels + 1
    assert levels == MAX_DEPTH and deepest["value"] == MAX_DEPTH


def test_one_block_deeper_than_max_depth_is_malformed_in_both_readers(nesting_series):
    catalog, layout = nesting_series
    data = nest(MAX_DEPTH + 1)

    with pytest.raises(Short):
        catalog.reader(layout)(data, 0, len(data))  # the compiled reader gives way
    with pytest.raises(ParseError, match=f"nest deeper than {MAX_DEPTH}"):
        catalog.read(layout, data, 0, len(data))
    with pytest.raises(ParseError, match=f"nest deeper than {MAX_DEPTH}"):
        catalog.read_reference(layout, data, 0, len(data))


# --- any other failure --------------------------------------------------------------------------

def test_any_exception_inside_one_records_decoding_is_that_records_parse_error():
    class Broken(Catalog):
        def read(self, layout, buf, off, end):
            raise ZeroDivisionError("a bug in a reader")
    decoder = RecordDecoder(Broken(record_types=RECORDS.values()))

    with pytest.raises(ParseError) as caught:
        decoder.decode(record(400, block(60, bytes(8)), archive=5))

    assert caught.value.record_type == 400
    assert "ZeroDivisionError: a bug in a reader" in caught.value.message
    assert decoder.stats.malformed == 1


# --- the command line ---------------------------------------------------------------------------

def bundle(*bodies, sequence=1):
    inner = b"".join(struct.pack(">HHI", 1, 4, len(b)) + b for b in bodies)
    return struct.pack(">HHIII", 1, 4002, 8 + len(inner), 1, sequence) + inner


def test_decode_reports_the_nested_record_and_prints_the_ones_around_it(tmp_path):
    before = user_add_protocol(user_protocol(list_block(ip_range())), archive=10)
    after = user_add_protocol(user_protocol(), archive=11)
    path = tmp_path / "poison.bin"
    path.write_bytes(bundle(before, POISON, after))
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "package" / "bin"))

    proc = subprocess.run([sys.executable, "-m", "estreamer", "decode", str(path)],
                          capture_output=True, text=True, env=env, timeout=60)

    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}: offset ")
    assert "record type 88" in lines[0] and "Traceback" not in proc.stderr
    printed = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["archiveTimestamp"] for r in printed] == [10, 11]


# --- against the simulator ----------------------------------------------------------------------

def test_the_simulators_hostile_record_nests_its_blocks_as_the_report_does():
    from fmcsim.faults import poison_record
    sent = poison_record(1700000000)

    assert sent[:4] == POISON[:4] and sent[56:] == POISON[56:]  # all but the discovery header
    with pytest.raises(ParseError, match="ipRanges"):
        RecordDecoder().decode(sent)


def test_the_stream_reports_the_nested_record_and_delivers_every_record_after_it(
        simulator, pki, tmp_path):
    from simulator import Stream
    sim = simulator("--records", 300, "--families", "connection", "--fault", "poison@100")
    out = tmp_path / "out.jsonl"
    s = Stream(sim.port, pki.client, out, "--families", "connection", "--monitor", "0")
    expected = sim.manifest_keys({71})
    try:
        s.wait_for(lambda: len([r for r in records(out) if not r.get("unknown")
                                and "archiveTimestamp" in r]) >= len(expected), 60,
                   "every record after the nested one")
        assert s.proc.poll() is None  # still streaming
    finally:
        assert s.terminate() == 0
    malformed = [r for r in event_records(out) if r.get("malformed")]
    assert len(malformed) == 1 and malformed[0]["recordType"] == 88
    assert bytes.fromhex(malformed[0]["raw"])[56:] == POISON[56:]  # kept whole
    errors = [line for line in s.stderr().splitlines() if "malformed record" in line]
    assert len(errors) == 1 and "record type 88" in errors[0]
    assert "parse errors 1" in s.stderr()
