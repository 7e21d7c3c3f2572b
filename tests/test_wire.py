"""The sans-I/O protocol core (estreamer.wire): message framing, the request builders, the
server-message parsers, bundle splitting, the stream framer and the client's session state
machine. Expected bytes are assembled by hand with struct, field by field as the protocol
tables list them."""
import re
import struct

import pytest

from estreamer import wire
from estreamer.wire import (
    ClientSession,
    FrameParser,
    KeepAlive,
    MessageType,
    ProtocolError,
    Records,
    RequestFlags,
    ServerError,
    Service,
    SessionState,
    StreamStarted,
    Subscription,
    Unexpected,
)


def header(message_type, length, version=1):
    return struct.pack(">HHI", version, message_type, length)


def message(message_type, body=b"", version=1):
    return header(message_type, len(body), version) + body


def inner(record, version=0):
    """An Event Data message inside a bundle (real FMCs write header version 0)."""
    return struct.pack(">HHI", version, 4, len(record)) + record


def bundle_body(*inner_messages, connection_id=0x5FC831ED, sequence=1):
    return struct.pack(">II", connection_id, sequence) + b"".join(inner_messages)


def streaming_info(*service_ids):
    return message(2051, b"".join(struct.pack(">IIII", sid, 8, 0, 0) for sid in service_ids))


RECORD_A = struct.pack(">II", 123, 6) + struct.pack(">I", 1) + b"ab"
RECORD_B = struct.pack(">IIII", 71, 0, 1606923302, 0)


# --- message header -----------------------------------------------------------------------------

def test_a_message_is_version_1_type_length_then_the_body():
    assert wire.pack(2051, b"abc") == b"\x00\x01\x08\x03\x00\x00\x00\x03abc"


def test_the_header_version_can_be_set_for_bundle_inner_messages():
    assert wire.pack(4, b"x", version=0) == b"\x00\x00\x00\x04\x00\x00\x00\x01x"


def test_a_message_length_counts_only_the_body():
    body = bytes(70000)
    assert struct.unpack_from(">I", wire.pack(4002, body), 4)[0] == 70000


def test_null_is_a_bare_header_of_type_0():
    assert wire.NULL == bytes.fromhex("0001000000000000")
    assert wire.pack(MessageType.NULL) == wire.NULL


# --- Error message ------------------------------------------------------------------------------

def test_an_error_message_gives_its_code_and_text():
    body = struct.pack(">iH", 19, 9) + b"No space\x00"
    assert wire.parse_error(body) == wire.ServerError(19, "No space")


def test_the_encore_error_vector_parses_to_code_19_no_space():
    assert wire.parse_error(bytes.fromhex("0000001300094e6f20737061636500")) == \
        wire.ServerError(19, "No space")


def test_an_error_code_is_signed():
    body = struct.pack(">iH", -1, 4) + b"oops"
    assert wire.parse_error(body).code == -1


def test_trailing_nuls_are_dropped_from_the_error_text():
    body = struct.pack(">iH", 5, 6) + b"late\x00\x00"
    assert wire.parse_error(body).text == "late"


def test_an_error_with_empty_text_is_valid():
    assert wire.parse_error(struct.pack(">iH", 7, 0)) == wire.ServerError(7, "")


def test_error_text_is_utf8():
    text = "Plus d'éspace".encode("utf-8")
    body = struct.pack(">iH", 19, len(text)) + text
    assert wire.parse_error(body).text == "Plus d'éspace"


def test_an_error_text_length_beyond_the_body_still_gives_the_code_and_the_text_it_has():
    """eNcore's malformed Error vector: length 10, 9 bytes of text. eNcore drops it; the
    FMC's reason for refusing us is worth more than the length field."""
    error = wire.parse_error(bytes.fromhex("00000013000a4e6f20737061636500"))
    assert (error.code, error.text) == (19, "No space")
    assert error.malformed == "Error message text length 10 does not match its 9-byte body"


def test_an_error_text_length_short_of_the_body_still_gives_the_whole_text():
    error = wire.parse_error(struct.pack(">iH", 19, 3) + b"No space\x00")
    assert (error.code, error.text) == (19, "No space") and "length 3" in error.malformed


@pytest.mark.parametrize("size", [4, 5])
def test_an_error_body_cut_after_its_code_still_gives_the_code(size):
    error = wire.parse_error(struct.pack(">i", -7) + bytes(size - 4))
    assert (error.code, error.text) == (-7, "") and "no text length" in error.malformed


@pytest.mark.parametrize("size", [0, 3])
def test_an_error_body_shorter_than_its_code_is_a_protocol_error(size):
    with pytest.raises(ProtocolError, match="too short"):
        wire.parse_error(bytes(size))


def test_a_session_reports_a_malformed_error_message_with_its_code_and_text():
    session = wire.ClientSession()
    session.start()
    malformed = wire.pack(MessageType.ERROR, bytes.fromhex("00000013000a4e6f20737061636500"))
    (event,) = session.receive_data(malformed)
    assert event == wire.ServerError(19, "No space", "Error message text length 10 does not "
                                                     "match its 9-byte body")


def test_the_error_builder_writes_code_length_and_nul_terminated_text():
    assert wire.error_message(19, "No space") == \
        header(1, 15) + struct.pack(">iH", 19, 9) + b"No space\x00"


# --- Event Stream Request (type 2) ----------------------------------------------------------------

def test_an_event_stream_request_from_genesis():
    assert wire.event_stream_request(wire.GENESIS, 0x48900061) == \
        header(2, 8) + struct.pack(">II", 0, 0x48900061)


def test_an_event_stream_request_for_now_sends_0xffffffff():
    assert wire.event_stream_request(wire.NOW, 0x48900061) == \
        header(2, 8) + struct.pack(">II", 0xFFFFFFFF, 0x48900061)


def test_an_event_stream_request_from_a_bookmark_sends_that_timestamp():
    assert wire.event_stream_request(1606927953, 0x40900000) == \
        header(2, 8) + struct.pack(">II", 1606927953, 0x40900000)


def test_an_event_stream_request_body_parses_back_to_since_and_flags():
    body = struct.pack(">II", 1606927953, 0x48900061)
    assert wire.parse_event_stream_request(body) == (1606927953, 0x48900061)


def test_an_event_stream_request_body_must_be_8_bytes():
    with pytest.raises(ProtocolError, match="8 bytes"):
        wire.parse_event_stream_request(bytes(12))


# --- request flags and event versions from a Subscription -----------------------------------------

BASE_FLAGS = 0x40000000 | 0x00800000 | 0x00100000  # extended, archive timestamps, metadata


def test_the_default_subscription_makes_encores_classic_flags_0x48900061():
    assert Subscription().flags == 0x48900061


@pytest.mark.parametrize("family", ["connection", "file", "malware", "correlation", "identity",
                                    "vpn", "discovery"])
def test_a_family_other_than_intrusion_asks_only_for_extended_metadata_and_timestamps(family):
    assert Subscription(families=(family,)).flags == BASE_FLAGS


def test_intrusion_adds_intrusion_packets_extra_data_and_impact_bits():
    assert Subscription(families=("intrusion",)).flags == \
        BASE_FLAGS | 0x40 | 0x01 | 0x08000000 | 0x20


def test_no_packets_clears_bit_0():
    assert Subscription(packets=False).flags == 0x48900061 & ~0x1


def test_no_extra_data_clears_bit_27():
    assert Subscription(extra_data=False).flags == 0x48900061 & ~0x08000000


def test_no_impact_clears_bit_5_and_drops_the_impact_event_code():
    subscription = Subscription(impact=False)
    assert subscription.flags == 0x48900061 & ~0x20
    assert 131 not in [code for _, code in subscription.events]


def test_packets_and_extra_data_need_the_intrusion_family():
    flags = Subscription(families=("connection",), packets=True, extra_data=True).flags
    assert not flags & (RequestFlags.PACKET_DATA | RequestFlags.EVENT_EXTRA_DATA)


def test_the_policy_bit_is_never_requested():
    assert not Subscription().flags & (1 << 29)


def test_events_are_version_code_pairs_in_code_order_with_metadata_always_included():
    assert Subscription(families=("file", "connection")).events == [(4, 21), (14, 71), (6, 111)]


def test_the_intrusion_family_asks_for_intrusion_and_impact_events():
    assert [code for _, code in Subscription(families=("intrusion",)).events] == [12, 21, 131]


def test_identity_and_vpn_share_the_user_event_code_once():
    assert [code for _, code in Subscription(families=("identity", "vpn")).events] == [21, 91]


@pytest.mark.parametrize("generation, expected", [
    ("6.0", [(9, 12), (4, 21), (9, 31), (11, 61), (14, 71), (4, 91), (7, 101), (6, 111),
             (2, 131)]),
    ("6.2", [(9, 12), (4, 21), (9, 31), (11, 61), (14, 71), (7, 91), (7, 101), (6, 111),
             (2, 131)]),
    ("7.0", [(11, 12), (4, 21), (9, 31), (11, 61), (17, 71), (7, 91), (8, 101), (7, 111),
             (2, 131)]),
])
def test_each_generation_requests_the_event_versions_an_encore_release_sent(generation, expected):
    assert Subscription(generation=generation).events == expected


def test_the_generation_does_not_change_the_flags():
    assert {Subscription(generation=g).flags for g in ("6.0", "6.2", "7.0")} == {0x48900061}


def test_an_unknown_family_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown record families.*connection"):
        Subscription(families=("connection", "netflow"))


def test_an_unknown_generation_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown FMC generation '5.4'.*6.0"):
        Subscription(generation="5.4")


# --- Streaming Request (2049) ---------------------------------------------------------------------

def test_a_streaming_request_is_service_length_flags_since_then_pairs_and_a_terminator():
    request = wire.streaming_request(0, 0x48900061, [(14, 71), (4, 21)])
    body = struct.pack(">IIII", 6667, 28, 0x48900061, 0) + struct.pack(">HHHHHH", 14, 71, 4, 21,
                                                                        0, 0)
    assert request == header(2049, 28) + body


def test_the_streaming_request_puts_flags_before_the_timestamp():
    request = wire.streaming_request(0xFFFFFFFF, 0x40900000, [])
    assert struct.unpack_from(">II", request, 16) == (0x40900000, 0xFFFFFFFF)


def test_the_service_length_defaults_to_the_whole_body_length():
    request = wire.streaming_request(0, 0x48900061, Subscription().events)
    assert struct.unpack_from(">I", request, 12)[0] == len(request) - 8 == 56


def test_the_service_length_can_use_the_excluding_convention():
    request = wire.streaming_request(0, 0x48900061, Subscription().events, service_length=48)
    assert struct.unpack_from(">I", request, 12)[0] == 48
    assert len(request) - 8 == 56


@pytest.mark.parametrize("service_length", [48, 56])
def test_a_streaming_request_parses_whatever_its_service_length_convention(service_length):
    events = Subscription().events
    body = struct.pack(">IIII", 6667, service_length, 0x48900061, 1606927953) + \
        b"".join(struct.pack(">HH", v, c) for v, c in events) + struct.pack(">HH", 0, 0)
    assert wire.parse_streaming_request(body) == (6667, 1606927953, 0x48900061, events)


def test_a_streaming_request_without_a_terminator_is_a_protocol_error():
    body = struct.pack(">IIII", 6667, 24, 0, 0) + struct.pack(">HHHH", 14, 71, 4, 21)
    with pytest.raises(ProtocolError, match="terminator"):
        wire.parse_streaming_request(body)


def test_a_streaming_request_too_short_for_its_fixed_part_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="too short"):
        wire.parse_streaming_request(struct.pack(">IIII", 6667, 16, 0, 0))


# --- Streaming Information (2051) ---------------------------------------------------------------

def test_streaming_information_lists_each_service_with_flags_since_and_events():
    body = struct.pack(">IIII", 5001, 8, 0, 0) + struct.pack(">IIII", 6667, 16, 1, 2) + \
        struct.pack(">HHHH", 14, 71, 4, 21)
    assert wire.parse_streaming_information(body) == \
        [Service(5001, 0, 0, ()), Service(6667, 1, 2, ((14, 71), (4, 21)))]


def test_the_streaming_information_builder_counts_length_after_the_length_field():
    built = wire.streaming_information([Service(6667, events=((14, 71),))])
    assert built == message(2051, struct.pack(">IIIIHH", 6667, 12, 0, 0, 14, 71))


def test_a_streaming_information_entry_longer_than_the_body_is_a_protocol_error():
    body = struct.pack(">IIII", 6667, 24, 0, 0)
    with pytest.raises(ProtocolError, match="service 6667 has length 24"):
        wire.parse_streaming_information(body)


def test_a_streaming_information_entry_cut_inside_its_header_is_a_protocol_error():
    body = struct.pack(">IIII", 5001, 8, 0, 0) + struct.pack(">I", 6667)
    with pytest.raises(ProtocolError, match="offset 16"):
        wire.parse_streaming_information(body)


# --- bundle splitting -----------------------------------------------------------------------------

def test_a_bundle_gives_its_connection_id_sequence_and_record_bodies():
    split = wire.split_bundle(bundle_body(inner(RECORD_A), inner(RECORD_B), sequence=7))
    assert (split.connection_id, split.sequence, split.bodies, split.error) == \
        (0x5FC831ED, 7, [RECORD_A, RECORD_B], None)


def test_inner_messages_with_header_version_1_are_accepted_too():
    split = wire.split_bundle(bundle_body(inner(RECORD_A, version=1), inner(RECORD_B)))
    assert (split.bodies, split.error) == ([RECORD_A, RECORD_B], None)


def test_an_empty_bundle_has_no_records_and_no_error():
    split = wire.split_bundle(bundle_body())
    assert (split.bodies, split.error) == ([], None)


@pytest.mark.parametrize("version", [2, 0x100])
def test_an_inner_message_of_another_header_version_stops_the_split_with_a_clear_error(version):
    split = wire.split_bundle(bundle_body(inner(RECORD_A), inner(RECORD_B, version=version),
                                          sequence=3))
    assert split.bodies == [RECORD_A]
    offset = 8 + 8 + len(RECORD_A)
    assert split.error == (f"bundle 3: inner message at offset {offset} has version {version}, "
                           "type 4 (expected version 0 or 1, type 4)")


def test_an_inner_message_of_another_type_stops_the_split():
    split = wire.split_bundle(bundle_body(inner(RECORD_A), message(2, bytes(8), version=0)))
    assert split.bodies == [RECORD_A]
    assert "type 2" in split.error


def test_an_inner_message_longer_than_the_bundle_stops_the_split_keeping_earlier_records():
    body = bundle_body(inner(RECORD_A), inner(RECORD_B)[:-3], sequence=2)
    split = wire.split_bundle(body)
    assert split.bodies == [RECORD_A]
    assert split.error == (f"bundle 2: inner message at offset {8 + 8 + len(RECORD_A)} declares "
                           f"{len(RECORD_B)} bytes, {len(RECORD_B) - 3} left")


def test_stray_bytes_after_the_last_inner_message_are_reported():
    split = wire.split_bundle(bundle_body(inner(RECORD_A), b"\x00\x00\x00", sequence=5))
    assert split.bodies == [RECORD_A]
    assert split.error == f"bundle 5: 3 stray bytes at offset {8 + 8 + len(RECORD_A)}"


def test_a_bundle_body_shorter_than_its_prefix_is_reported_not_raised():
    split = wire.split_bundle(b"\x00\x00\x00\x01")
    assert (split.bodies, split.error) == ([], "bundle body too short (4 bytes)")


def test_the_bundle_builder_writes_version_0_inner_headers_like_a_real_fmc():
    assert wire.bundle(0x5FC831ED, 1, [RECORD_A]) == \
        message(4002, bundle_body(inner(RECORD_A, version=0)))


# --- FrameParser ----------------------------------------------------------------------------------

STREAM = message(2051, bytes(48)) + message(0) + message(4002, bundle_body(inner(RECORD_A))) + \
    message(1, struct.pack(">iH", 19, 2) + b"x\x00")


def expected_messages():
    return [wire.Message(2051, bytes(48)), wire.Message(0, b""),
            wire.Message(4002, bundle_body(inner(RECORD_A))),
            wire.Message(1, struct.pack(">iH", 19, 2) + b"x\x00")]


def test_a_stream_fed_whole_yields_every_message_with_type_and_body():
    assert FrameParser().feed(STREAM) == expected_messages()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 9, 13, 64])
def test_a_stream_fed_in_chunks_of_any_size_yields_the_same_messages(size):
    parser = FrameParser()
    out = [m for at in range(0, len(STREAM), size) for m in parser.feed(STREAM[at:at + size])]
    assert out == expected_messages()


def test_a_message_split_at_every_possible_point_comes_out_once_whole():
    raw = message(4002, bundle_body(inner(RECORD_A)))
    for cut in range(1, len(raw)):
        parser = FrameParser()
        assert parser.feed(raw[:cut]) == []
        assert parser.feed(raw[cut:]) == [wire.Message(4002, bundle_body(inner(RECORD_A)))]


def test_pending_counts_the_bytes_of_an_incomplete_message():
    parser = FrameParser()
    parser.feed(message(0) + message(4002, bytes(20))[:13])
    assert parser.pending == 13


def test_pending_is_zero_once_every_message_is_complete():
    parser = FrameParser()
    parser.feed(STREAM[:10])
    parser.feed(STREAM[10:])
    assert parser.pending == 0


def test_a_header_declaring_more_than_the_limit_is_a_protocol_error_before_the_body_arrives():
    parser = FrameParser(max_length=1000)
    with pytest.raises(ProtocolError, match="declares 1001 bytes.*limit 1000"):
        parser.feed(header(4002, 1001))


def test_a_message_at_the_limit_is_accepted():
    parser = FrameParser(max_length=16)
    assert parser.feed(message(4, bytes(16))) == [wire.Message(4, bytes(16))]


def test_the_default_limit_is_max_message():
    parser = FrameParser()
    assert parser.feed(header(4002, wire.MAX_MESSAGE)) == []
    with pytest.raises(ProtocolError, match="limit"):
        FrameParser().feed(header(4002, wire.MAX_MESSAGE + 1))


def test_the_limit_error_names_the_stream_offset_of_the_bad_header():
    parser = FrameParser(max_length=100)
    parser.feed(message(0))
    with pytest.raises(ProtocolError, match="stream offset 8"):
        parser.feed(header(4002, 101))


def test_a_header_version_other_than_1_means_the_stream_is_out_of_step():
    with pytest.raises(ProtocolError, match="version 0 at stream offset 0"):
        FrameParser().feed(message(4, b"x", version=0))


def test_messages_before_a_broken_header_are_returned_and_the_break_raised_next():
    parser = FrameParser()
    assert parser.feed(message(0) + message(4, b"x", version=0) + message(0)) == [
        wire.Message(0, b"")]
    assert "version 0 at stream offset 8" in str(parser.error)
    with pytest.raises(ProtocolError, match="version 0 at stream offset 8"):
        parser.feed(message(0))


# --- ClientSession --------------------------------------------------------------------------------

def requested(subscription=Subscription(), since=wire.GENESIS):
    """A session that sent its Event Stream Request: Streaming Information comes next."""
    session = ClientSession(subscription, since)
    session.start()
    session.data_to_send()
    return session


def started(subscription=Subscription(), since=wire.GENESIS):
    """A session that sent its Streaming Request: records may come."""
    session = requested(subscription, since)
    session.receive_data(streaming_info(6667))
    session.data_to_send()
    return session


def test_a_stream_breaking_after_whole_messages_yields_their_events_then_stream_broken():
    session = started()
    garbage = b"\x47\x45\x54\x20/ HTTP/1.1\r\n\r\n"
    events = session.receive_data(message(0) + message(4002, bundle_body(message(4, b"r1")))
                                  + garbage)
    assert events[:2] == [KeepAlive(), wire.Records([b"r1"], 1, connection_id=0x5FC831ED)]
    assert events[2] == wire.StreamBroken("message header version 18245 at stream offset 58 "
                                          "(expected 1): the stream is out of step")
    assert session.data_to_send() == wire.NULL * 2  # the whole messages are acknowledged
    assert session.state is SessionState.BROKEN
    with pytest.raises(ProtocolError, match="version 18245"):
        session.receive_data(b"")


def test_a_stream_broken_from_its_first_byte_is_a_stream_broken_event_not_an_exception():
    session = started()
    assert session.receive_data(b"GET / HTTP/1.1\r\n\r\n") == [wire.StreamBroken(
        "message header version 18245 at stream offset 24 (expected 1): the stream is out of "
        "step")]
    assert session.state is SessionState.BROKEN and session.data_to_send() == b""


def test_start_sends_the_event_stream_request_for_the_subscription_and_since():
    session = ClientSession(Subscription(families=("connection",)), since=1606927953)
    assert session.data_to_send() == b""
    session.start()
    assert session.data_to_send() == header(2, 8) + struct.pack(">II", 1606927953, 0x40900000)


def test_data_to_send_hands_out_each_byte_once():
    session = ClientSession()
    session.start()
    session.data_to_send()
    assert session.data_to_send() == b""


def test_starting_twice_is_a_protocol_error():
    session = requested()
    with pytest.raises(ProtocolError, match="already started"):
        session.start()


def test_streaming_information_queues_the_streaming_request_then_the_ack():
    subscription = Subscription(generation="6.0")
    session = requested(subscription, since=1606927953)
    events = session.receive_data(streaming_info(5001, 5000, 6667))
    assert events == [StreamStarted([Service(5001), Service(5000), Service(6667)])]
    assert session.data_to_send() == \
        wire.streaming_request(1606927953, 0x48900061, subscription.events) + wire.NULL


def test_the_client_asks_for_service_6667_wherever_the_server_lists_it():
    session = requested()
    session.receive_data(streaming_info(6667, 5001))
    request = FrameParser().feed(session.data_to_send())[0]
    assert wire.parse_streaming_request(request.body)[0] == 6667


def test_streaming_information_without_the_event_service_breaks_the_stream():
    session = requested()
    (broken,) = session.receive_data(streaming_info(5001, 5000))
    assert isinstance(broken, wire.StreamBroken) and re.search("5001, 5000.*6667", broken.reason)
    assert session.state is SessionState.BROKEN and session.data_to_send() == b""


def test_a_second_streaming_information_breaks_the_stream_and_asks_nothing_twice():
    session = started()
    assert session.receive_data(streaming_info(6667)) == [wire.StreamBroken(
        "the FMC sent a STREAMING INFORMATION message (type 2051) while the session is "
        "subscribed")]
    assert session.data_to_send() == b""  # no second Streaming Request


@pytest.mark.parametrize("raw", [message(4002, bundle_body(inner(RECORD_A))), message(4, RECORD_A)],
                         ids=["bundle", "event data"])
def test_records_before_the_streaming_information_break_the_stream(raw):
    session = requested()
    (broken,) = session.receive_data(raw)
    assert isinstance(broken, wire.StreamBroken) and "while the session is requested" in \
        broken.reason


def test_a_message_before_the_session_started_breaks_it():
    session = ClientSession()
    (broken,) = session.receive_data(message(0))
    assert broken.reason == "the FMC sent a NULL message (type 0) while the session is idle"


@pytest.mark.parametrize("kind", [2, 2049])
def test_a_request_sent_to_the_client_breaks_the_stream(kind):
    session = started()
    (broken,) = session.receive_data(message(kind, bytes(8)))
    assert isinstance(broken, wire.StreamBroken) and f"(type {kind})" in broken.reason


def test_a_server_null_is_a_keep_alive_answered_by_one_null():
    session = started()
    assert session.receive_data(message(0)) == [KeepAlive()]
    assert session.data_to_send() == wire.NULL


def test_a_null_before_the_streaming_information_is_a_keep_alive_and_changes_nothing():
    session = requested()
    assert session.receive_data(message(0)) == [KeepAlive()]
    assert session.state is SessionState.REQUESTED and session.data_to_send() == wire.NULL


def test_a_bundle_yields_its_records_and_one_ack():
    session = started()
    raw = message(4002, bundle_body(inner(RECORD_A), inner(RECORD_B), sequence=4))
    assert session.receive_data(raw) == [
        Records([RECORD_A, RECORD_B], 4, None, connection_id=0x5FC831ED)]
    assert session.data_to_send() == wire.NULL


def test_a_bundle_with_a_corrupt_inner_length_hands_over_its_bytes_from_the_damage_on():
    session = started()
    damaged = inner(RECORD_B)[:4] + struct.pack(">I", 0xFFFF) + RECORD_B + inner(RECORD_A)
    raw = message(4002, bundle_body(inner(RECORD_A), damaged, sequence=6))
    [records] = session.receive_data(raw)
    assert records.bodies == [RECORD_A] and "declares 65535 bytes" in records.error
    assert records.rest == damaged


def test_a_damaged_bundle_yields_the_records_before_the_damage_with_the_error_and_is_acked():
    session = started()
    raw = message(4002, bundle_body(inner(RECORD_A), inner(RECORD_B, version=2), sequence=4))
    [records] = session.receive_data(raw)
    assert (records.bodies, records.sequence) == ([RECORD_A], 4)
    assert "version 2" in records.error
    assert session.data_to_send() == wire.NULL


def test_a_standalone_event_data_message_yields_one_record_without_a_sequence():
    session = started()
    assert session.receive_data(message(4, RECORD_A)) == [Records([RECORD_A])]
    assert session.data_to_send() == wire.NULL


def test_an_error_message_yields_server_error_with_its_code_and_text_and_is_acked():
    session = started()
    body = bytes.fromhex("0000001300094e6f20737061636500")
    assert session.receive_data(message(1, body)) == [ServerError(19, "No space")]
    assert session.data_to_send() == wire.NULL


@pytest.mark.parametrize("make", [requested, started])
def test_an_error_message_leaves_the_state_as_it_was(make):
    session = make()
    state = session.state
    session.receive_data(message(1, bytes.fromhex("0000001300094e6f20737061636500")))
    assert session.state is state


def test_an_unexpected_message_type_yields_unexpected_with_its_type_and_size_and_is_acked():
    session = started()
    assert session.receive_data(message(7, bytes(12))) == [Unexpected(7, 12)]
    assert session.data_to_send() == wire.NULL


def test_every_server_message_in_one_chunk_gets_exactly_one_null():
    session = requested()
    raw = streaming_info(6667) + message(0) + message(4002, bundle_body(inner(RECORD_A))) + \
        message(0)
    events = session.receive_data(raw)
    assert [type(e) for e in events] == [StreamStarted, KeepAlive, Records, KeepAlive]
    sent = FrameParser().feed(session.data_to_send())
    assert [m.type for m in sent] == [2049, 0, 0, 0, 0]


def test_a_message_split_across_reads_is_acked_once_when_complete():
    session = started()
    raw = message(4002, bundle_body(inner(RECORD_A)))
    assert session.receive_data(raw[:11]) == []
    assert session.data_to_send() == b""
    assert len(session.receive_data(raw[11:])) == 1
    assert session.data_to_send() == wire.NULL


def test_the_session_moves_from_idle_to_requested_to_subscribed_to_streaming():
    session = ClientSession()
    states = [session.state]
    session.start()
    states.append(session.state)
    session.receive_data(streaming_info(6667))
    states.append(session.state)
    session.receive_data(message(4002, bundle_body(inner(RECORD_A))))
    states.append(session.state)
    assert states == [SessionState.IDLE, SessionState.REQUESTED, SessionState.SUBSCRIBED,
                      SessionState.STREAMING]


def test_a_keep_alive_after_the_streaming_request_says_the_fmc_accepted_it():
    session = started()
    session.receive_data(message(0))
    assert session.state is SessionState.STREAMING


def test_every_message_type_the_protocol_defines_has_a_rule_in_every_state():
    """A (state, type) pair out of the table is a protocol error: the table is the whole of
    what the client accepts."""
    accepted = {(state.value, MessageType(kind).name) for state, kind in ClientSession.HANDLERS}
    assert accepted == {
        ("requested", "STREAMING_INFORMATION"),
        ("requested", "NULL"), ("subscribed", "NULL"), ("streaming", "NULL"),
        ("requested", "ERROR"), ("subscribed", "ERROR"), ("streaming", "ERROR"),
        ("subscribed", "MESSAGE_BUNDLE"), ("streaming", "MESSAGE_BUNDLE"),
        ("subscribed", "EVENT_DATA"), ("streaming", "EVENT_DATA")}


# --- iter_frames ------------------------------------------------------------------------------------

def test_iter_frames_walks_each_header_and_its_declared_length():
    data = message(0) + message(4, b"abc") + message(2051, bytes(5))
    assert list(wire.iter_frames(data)) == [(0, 1, 0, 0), (8, 1, 4, 3), (19, 1, 2051, 5)]


def test_iter_frames_starts_at_an_offset_and_stops_with_fewer_than_8_bytes_left():
    data = bytes(8) + message(4, b"abc") + b"\x00" * 7
    assert list(wire.iter_frames(data, 8)) == [(8, 1, 4, 3)]


def test_iter_frames_yields_a_header_whose_body_runs_past_the_end():
    assert list(wire.iter_frames(header(4002, 100) + bytes(10))) == [(0, 1, 4002, 100)]
