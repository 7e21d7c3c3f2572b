"""Event identities: the same event has the same identity on both FMCs of an HA pair (whose
archive timestamps differ), and distinct events have distinct ones."""
import struct

from estreamer.decoder import RecordDecoder, encode_record
from estreamer.identity import FIELDS, Identities, archive_of, body_digest
from estreamer.wire import ALL_FAMILIES, Subscription
from fmcsim.traffic import Archive, Stream, record_bodies


def _restamp(body: bytes, archive: int) -> bytes:
    """The same record as another FMC archives it: only the header's archive timestamp moves."""
    return body[:8] + struct.pack(">I", archive) + body[12:]


def _events(records=400):
    decoder = RecordDecoder()
    sub = Subscription(families=ALL_FAMILIES, packets=True, extra_data=True)
    out = []
    for body in record_bodies(sub, records):
        record = decoder.decode(body)
        if record.get("archiveTimestamp") is not None:
            out.append((record, body))
    return out


def test_every_event_of_the_simulator_has_its_own_identity():
    identity = Identities()
    events = _events()
    keys = [identity(record, body) for record, body in events]
    assert len(set(keys)) == len(keys) == len(events)


def test_the_identity_ignores_the_archive_timestamp():
    identity, decoder = Identities(), RecordDecoder()
    for record, body in _events(200):
        moved = _restamp(body, record["archiveTimestamp"] + 7)
        assert identity(decoder.decode(moved), moved) == identity(record, body)


def test_a_connection_is_named_by_device_first_packet_instance_and_counter():
    identity = Identities()
    record, body = next((r, b) for r, b in _events(50) if r["recordType"] == 71)
    assert identity(record, body) == b"f" + struct.pack(
        ">I7Q", 71, *[record[name] for name in FIELDS[71]])
    assert FIELDS[71][0] == "deviceId"


def test_an_intrusion_event_is_named_by_device_second_microsecond_and_event_id():
    identity = Identities()
    record, body = next((r, b) for r, b in _events(50) if r["recordType"] == 400)
    assert identity(record, body) == b"f" + struct.pack(
        ">I4Q", 400, record["deviceId"], record["eventSecond"], record["eventMicrosecond"],
        record["eventId"])


def test_the_journal_entry_is_the_archive_second_then_the_identity():
    identity = Identities()
    record, body = _events(10)[0]
    entry = identity.entry(record, body, record["archiveTimestamp"])
    assert archive_of(entry) == record["archiveTimestamp"]
    assert entry[4:] == identity(record, body)


def test_beginning_and_end_of_one_connection_are_two_events():
    identity, decoder = Identities(), RecordDecoder()
    record, _ = next((r, b) for r, b in _events(50) if r["recordType"] == 71)
    fields = dict(record.as_dict())
    fields.pop("recordType"), fields.pop("archiveTimestamp")
    begin = encode_record(71, dict(fields, lastPacketTimestamp=fields["firstPacketTimestamp"],
                                   initiatorTransmittedPackets=1), 1_700_000_000)
    end = encode_record(71, fields, 1_700_000_000)
    assert identity(decoder.decode(begin), begin) != identity(decoder.decode(end), end)


def test_records_without_an_event_id_are_named_by_a_digest_of_their_body():
    identity = Identities()
    for record, body in _events(400):
        if record["recordType"] not in FIELDS:
            key = identity(record, body)
            assert key == body_digest(record["recordType"], body)
            assert key[:5] == b"d" + struct.pack(">I", record["recordType"]) and len(key) == 21


def test_the_digest_covers_the_body_after_the_header_only():
    body = encode_record(13, {"deviceId": 1, "legacyIpAddress": "0.0.0.0",
                              "macAddress": "00:00:00:00:00:00", "hasIpv6": 0,
                              "eventSecond": 5, "eventMicrosecond": 6, "eventType": 1000,
                              "eventSubtype": 3, "fileNumber": 0, "filePosition": 9,
                              "networkProtocol": 2048}, 1_700_000_000)
    assert body_digest(13, body) == body_digest(13, _restamp(body, 1_700_000_123))
    changed = body[:-1] + bytes([body[-1] ^ 1])
    assert body_digest(13, changed) != body_digest(13, body)


def test_a_field_value_beyond_64_bits_falls_back_to_the_digest():
    identity = Identities()
    record, body = next((r, b) for r, b in _events(50) if r["recordType"] == 400)
    from estreamer.record import Record
    huge = Record(record.shape, tuple(1 << 70 if name == "eventId" else record[name]
                                      for name in record.shape.names))
    assert identity(huge, body) == body_digest(400, body)


def test_an_unknown_record_type_is_named_by_its_digest():
    identity, decoder = Identities(), RecordDecoder()
    body = struct.pack(">IIII", 9999, 4, 1_700_000_000, 0) + b"\x01\x02\x03\x04"
    record = decoder.decode(body)
    assert record["unknown"]
    assert identity(record, body) == body_digest(9999, body)


def test_two_simulators_with_different_skews_give_the_same_identities():
    identity, decoder = Identities(), RecordDecoder()
    sub = Subscription(families=ALL_FAMILIES)
    keys = []
    for skew in (0, -7):
        stream = Stream(Archive(records=300, skew=skew), 0, int(sub.flags), sub.events)
        buf = bytearray()
        while stream.pending():
            stream.fill(buf, 1 << 30, 1 << 30)
        got, off = [], 0
        while off < len(buf):
            length = struct.unpack_from(">I", buf, off + 4)[0]
            body = bytes(buf[off + 8:off + 8 + length])
            record = decoder.decode(body)
            if record.get("archiveTimestamp") is not None:
                got.append(identity(record, body))
            off += 8 + length
        keys.append(got)
    assert keys[0] == keys[1] and len(keys[0]) == 300


def test_an_events_entry_read_from_its_bytes_is_the_decoded_records_entry():
    """Records a sink writes from their bytes are journaled from their bytes: the entry is the
    same as the decoded record's, in every generation, for every family and the capture."""
    from estreamer.wire import EVENT_VERSIONS
    from test_codec_roundtrip import REAL_BODIES
    decoder, from_bytes, read = RecordDecoder(), Identities(), 0
    for generation in sorted(EVENT_VERSIONS):
        sub = Subscription(families=ALL_FAMILIES, packets=True, extra_data=True,
                           generation=generation)
        for body in record_bodies(sub, 300) + REAL_BODIES:
            record = decoder.decode(body)
            archive = record.get("archiveTimestamp")
            if archive is None:
                continue
            entry = from_bytes.of_body(body, record["recordType"], archive)
            assert entry == Identities().entry(record, body, archive)
            read += record["recordType"] in FIELDS
    assert read > 500


def test_a_record_whose_identity_fields_cannot_be_read_in_place_is_left_to_its_decoding():
    body = bytearray(record_bodies(Subscription(families=("connection",)), 5)[-1])
    struct.pack_into(">I", body, 4, 0)  # a record length that does not match the message

    assert Identities().of_body(bytes(body), 71, 1700000000) is None
