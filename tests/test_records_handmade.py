"""The record decoder against bytes assembled here, straight from the protocol reference.

Every record below is packed with ``struct`` from the record and block layouts as the eStreamer
Integration Guide and eNcore define them (transcribed in ``handmade.py``; the facts the code relies
on are in docs/protocol.md), never with the library's encoder or its catalog, so these tests
anchor the codec outside its own tables: a row transcribed at the wrong offset, with the wrong
type or under the wrong name fails here even though a round trip through the codec would not.
"""
from __future__ import annotations

import pytest

from estreamer.decoder import RecordDecoder
from estreamer.layout import ParseError
from handmade import (
    CONNECTION_160,
    CONNECTION_173,
    CONNECTION_174,
    CORRELATION_156,
    FILE_56,
    INTRUSION_60,
    INTRUSION_85,
    MALWARE_62,
    USER_167,
    VPN_SESSION_166,
    assert_fields,
    blob_block,
    block,
    connection_record,
    decode,
    discovery_fields,
    discovery_header,
    ip4,
    ip6,
    list_block,
    mac_bytes,
    record,
    string_block,
    table_sample,
    u8,
    u16,
    u32,
    u64,
    uuid_bytes,
)

# --- record header ---------------------------------------------------------------------------

def test_a_body_of_8_plus_length_has_no_archive_timestamp():
    rec = decode(record(123, u32(7) + u32(4) + b"fmc1"))

    assert rec == {"recordType": 123, "id": 7, "length": 4, "name": "fmc1"}
    assert "archiveTimestamp" not in rec


def test_a_body_of_16_plus_length_carries_the_archive_timestamp():
    rec = decode(record(123, u32(7) + u32(4) + b"fmc1", archive=0xFFFFFFFE))

    assert rec == {"recordType": 123, "archiveTimestamp": 0xFFFFFFFE, "id": 7, "length": 4,
                   "name": "fmc1"}


@pytest.mark.parametrize("extra", [1, 4, 7, 9, 12, 100])
def test_a_record_length_matching_neither_header_is_a_parse_error_naming_the_lengths(extra):
    data = u32(7) + u32(4) + b"fmc1"
    body = u32(123) + u32(len(data)) + bytes(extra) + data

    with pytest.raises(ParseError) as caught:
        decode(body)

    message = str(caught.value)
    assert f"record length {len(data)}" in message
    assert f"{len(body)}-byte message" in message


def test_a_body_shorter_than_the_record_header_is_a_parse_error():
    with pytest.raises(ParseError, match="record header needs 8 bytes"):
        decode(b"\x00\x00\x00\x7b\x00")


# --- field types -----------------------------------------------------------------------------

@pytest.mark.parametrize("ints", ["zero", "max"])
def test_unsigned_integers_of_every_width_decode_at_their_boundaries(ints):
    body, expected = connection_record(160, CONNECTION_160, ints=ints)
    limits = {"zero": (0, 0, 0, 0), "max": (0xFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF)}[ints]

    rec = decode(body)

    assert_fields(rec, expected)
    u8_, u16_, u32_, u64_ = limits
    assert (rec["protocol"], rec["ruleAction"], rec["ruleId"], rec["sslFlowFlags"]) == (
        u8_, u16_, u32_, u64_)


def test_fixed_size_byte_strings_are_lowercase_hex_of_the_raw_bytes():
    sha256 = bytes(range(0xE0, 0x100))
    fingerprint, serial = bytes(range(0xEC, 0x100)), b"\xAB" * 20
    revision = bytes.fromhex("00FF10EF20DF30CF40BF50AF609F708F")

    sha = decode(record(511, block(40, sha256, string_block("a.exe"), u8(1), u8(0))))
    cert = decode(record(614, block(50, fingerprint, bytes(20), serial, u32(9), *(
        string_block("") for _ in range(8)), u32(1), u32(2))))
    rule = decode(record(601, revision, u32(5), string_block("decrypt")))

    assert sha["shaHash"] == "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
    assert cert["fingerprintShaHash"] == "ecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
    assert cert["serialNumber"] == "ab" * 20
    assert rule["revision"] == "00ff10ef20df30cf40bf50af609f708f"


def test_a_uuid_is_the_canonical_8_4_4_4_12_lowercase_form_of_the_raw_bytes():
    raw = bytes.fromhex("173E48688FFA11E69C288816DEB0AACF")
    rec = decode(record(115, block(14, raw, string_block("inside"))))

    assert rec["uuid"] == "173e4868-8ffa-11e6-9c28-8816deb0aacf"


@pytest.mark.parametrize("address, text", [
    ("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7334"),
    ("fe80:1:2:3:4:5:6:7", "fe80:1:2:3:4:5:6:7"),
    ("::ffff:192.168.50.50", "192.168.50.50"),
    ("::", "::"),
])
def test_an_ipv6_address_is_text_with_ipv4_mapped_as_a_dotted_quad_and_zero_as_double_colon(
        address, text):
    rec = decode(record(29, discovery_header(host_ip="2001:db8::1", event_type=1001), ip6(address),
                        archive=1))

    assert rec["ipAddress"] == text
    assert rec["hostIpAddr"] == "2001:db8::1"


def test_an_ipv4_address_is_a_dotted_quad():
    rec = decode(record(73, discovery_header(), block(
        136, ip4("10.1.2.3"), ip4("203.0.113.250"), u32(1), u32(2), u16(443), u8(6), u8(1),
        ip4("255.255.255.255"), u64(1), u64(2), u64(3), u64(4), u32(5))))

    assert_fields(rec, {"initiatorIpAddress": "10.1.2.3", "responderIpAddress": "203.0.113.250",
                        "netflowDetectorIpAddress": "255.255.255.255", "responderPort": 443,
                        "connections": 5})


def test_a_mac_address_is_colon_separated_lowercase_hex():
    rec = decode(record(28, discovery_header(mac="00:1B:21:AA:0F:9E"), block(
        95, u8(64), mac_bytes("F0:DE:F1:01:02:A3"), u8(1), u32(1606927646))))

    assert rec["macAddress"] == "00:1b:21:aa:0f:9e"
    assert rec["mac"] == {"blockType": 95, "blockLength": 20, "ttl": 64,
                          "address": "f0:de:f1:01:02:a3", "primary": 1, "lastSeen": 1606927646}


def test_a_string_block_loses_its_trailing_nuls():
    # A real record 98 (User Metadata) as eNcore's tests hold it, byte for byte.
    body = bytes.fromhex("00000062 00000033 00000039 00000033 0098967d 00000000 00000000 00000023")
    body += b"No Authentication Required\x00"

    assert decode(body) == {"recordType": 98, "blockType": 57, "blockLength": 51, "id": 9999997,
                            "protocol": 0, "name": "No Authentication Required"}


def test_an_empty_string_block_has_length_8_and_decodes_to_an_empty_string():
    rec = decode(record(115, block(14, bytes(16), u32(0) + u32(8))))

    assert rec["name"] == ""
    assert rec["blockLength"] == 8 + 16 + 8


def test_a_string_block_that_is_not_utf8_is_lowercase_hex():
    rec = decode(record(115, block(14, bytes(16), string_block(b"\xff\xfeZ\x00\xc3"))))

    assert rec["name"] == "fffe5a00c3"


def test_a_variable_field_takes_its_length_from_an_earlier_uint16_length():
    rec = decode(record(4, u32(3), u16(6), b"Medium"))

    assert rec == {"recordType": 4, "id": 3, "length": 6, "name": "Medium"}


def test_variable_fields_chain_each_after_its_own_length():
    rec = decode(record(54, uuid_bytes("5c0e1b8e-1b2b-4c3d-8e9f-0a1b2c3d4e5f"),
                        u32(7), b"Windows", u32(9), b"Microsoft", u32(0), b""))

    assert rec == {"recordType": 54, "uuid": "5c0e1b8e-1b2b-4c3d-8e9f-0a1b2c3d4e5f",
                   "nameLength": 7, "name": "Windows", "vendorLength": 9, "vendor": "Microsoft",
                   "versionLength": 0, "version": ""}


def test_a_variable_field_loses_its_nuls_and_falls_back_to_hex_when_not_utf8():
    text = decode(record(123, u32(1), u32(8), b"fmc\x00one\x00"))
    binary = decode(record(123, u32(2), u32(3), b"\x80\x81\xaa"))

    assert text["name"] == "fmcone"
    assert binary["name"] == "8081aa"


def test_discovery_header_with_has_ipv6_1_carries_the_host_address():
    rec = decode(record(22, discovery_header(device_id=7, mac="02:00:5e:00:53:01",
                                             host_ip="2001:db8::dead:beef", second=1606927000,
                                             usec=999999, event_type=1001, subtype=5), u8(3)))

    assert_fields(rec, discovery_fields(device_id=7, mac="02:00:5e:00:53:01",
                                        host_ip="2001:db8::dead:beef", second=1606927000,
                                        usec=999999, event_type=1001, subtype=5))
    assert rec["hops"] == 3


def test_discovery_header_with_has_ipv6_0_has_no_host_address():
    rec = decode(record(22, discovery_header(device_id=7, event_type=1001, subtype=5), u8(3)))

    assert "hostIpAddr" not in rec
    assert_fields(rec, discovery_fields(device_id=7, event_type=1001, subtype=5))
    assert rec["hops"] == 3  # read right after the 40-byte header


# --- connection (record 71) ------------------------------------------------------------------

def test_connection_71_with_block_160_decodes_every_field_of_the_table():
    body, expected = connection_record(160, CONNECTION_160)

    rec = decode(body)

    assert_fields(rec, expected)
    assert_fields(rec, {"recordType": 71, "archiveTimestamp": 1606927646, "hasIpv6": 1,
                        "hostIpAddr": "::", "eventType": 1003, "eventSubtype": 1})


@pytest.mark.parametrize("block_type, rows", [(173, CONNECTION_173), (174, CONNECTION_174)],
                         ids=["173", "174"])
def test_connection_71_picks_the_newer_block_layout_by_the_block_type_on_the_wire(
        block_type, rows):
    body, expected = connection_record(block_type, rows, seed=5)

    rec = decode(body)

    assert_fields(rec, expected)
    assert rec["recordType"] == 71


def test_connection_71_without_archive_timestamp_still_decodes():
    body, expected = connection_record(160, CONNECTION_160, archive=None)

    rec = decode(body)

    assert "archiveTimestamp" not in rec
    assert_fields(rec, expected)


# --- intrusion family (400, 110, 2) ----------------------------------------------------------

@pytest.mark.parametrize("block_type, rows", [(60, INTRUSION_60), (85, INTRUSION_85)],
                         ids=["60", "85"])
def test_intrusion_400_decodes_the_series_2_block_named_on_the_wire(block_type, rows):
    body, expected = table_sample(rows, seed=2)
    data = block(block_type, body)

    rec = decode(record(400, data, archive=1606927700))

    assert_fields(rec, dict(expected, blockType=block_type, blockLength=len(data)))
    assert rec["recordType"] == 400


@pytest.mark.parametrize("payload, shown", [
    (b"GET /index.html?q=\xc3\xa9", "474554202f696e6465782e68746d6c3f713dc3a9"),
    (bytes(10) + b"\xff\xff\xc0\xa8\x01\x01", "00000000000000000000ffffc0a80101"),
])
def test_extra_data_110_shows_its_blob_as_hex_whatever_it_holds(payload, shown):
    data = block(4, u32(1), u32(77), u32(1606927700), u32(9), blob_block(payload))

    rec = decode(record(110, data, archive=1606927701))

    assert rec == {"recordType": 110, "archiveTimestamp": 1606927701, "blockType": 4,
                   "blockLength": len(data), "deviceId": 1, "eventId": 77,
                   "eventSecond": 1606927700, "type": 9, "blob": shown}


@pytest.mark.parametrize("frame, shown", [
    (bytes.fromhex("ffffffffffff0050568a0b0c08004500"), "ffffffffffff0050568a0b0c08004500"),
    (b"HTTP/1.1 200 OK\r\n", "485454502f312e3120323030204f4b0d0a"),
])
def test_packet_2_frame_is_hex_even_when_it_happens_to_be_utf8(frame, shown):
    body = record(2, u32(1), u32(77), u32(1606927700), u32(1606927699), u32(123456), u32(1),
                  u32(len(frame)), frame, archive=1606927702)

    assert decode(body) == {"recordType": 2, "archiveTimestamp": 1606927702, "deviceId": 1,
                            "eventId": 77, "eventSecond": 1606927700,
                            "packetSecond": 1606927699, "packetMicrosecond": 123456,
                            "linkType": 1, "packetLength": len(frame), "packetData": shown}


def test_impact_alert_9_decodes_block_153():
    data = block(153, u32(77), u32(1), u32(1606927700), u32(0b11011000), ip6("::ffff:10.0.0.5"),
                 ip6("2001:db8::80"), string_block("Impact 1: vulnerable host"))

    rec = decode(record(9, data, archive=1606927703))

    assert rec == {"recordType": 9, "archiveTimestamp": 1606927703, "blockType": 153,
                   "blockLength": len(data), "eventId": 77, "deviceId": 1,
                   "eventSecond": 1606927700, "impact": 0b11011000,
                   "sourceIpAddress": "10.0.0.5", "destinationIpAddress": "2001:db8::80",
                   "description": "Impact 1: vulnerable host"}


# --- file and malware (500, 502, 125) --------------------------------------------------------

@pytest.mark.parametrize("record_type", [500, 502])
def test_file_events_decode_block_56_with_a_cjk_file_name(record_type):
    cjk = "年度報告書_最終版.pdf"
    body, expected = table_sample(FILE_56, seed=4, texts={"fileName": cjk})
    data = block(56, body)

    rec = decode(record(record_type, data, archive=1606927704))

    assert rec["fileName"] == cjk
    assert_fields(rec, dict(expected, blockType=56, blockLength=len(data)))


def test_malware_125_decodes_block_62():
    body, expected = table_sample(MALWARE_62, seed=6)
    data = block(62, body)

    rec = decode(record(125, data, archive=1606927705))

    assert_fields(rec, dict(expected, blockType=62, blockLength=len(data)))


def test_correlation_112_decodes_block_156():
    body, expected = table_sample(CORRELATION_156, seed=7)
    data = block(156, body)

    rec = decode(record(112, data))

    assert_fields(rec, dict(expected, blockType=156, blockLength=len(data)))
    assert "archiveTimestamp" not in rec


# --- users and VPN (92-98, 170/171) ----------------------------------------------------------

def _user_block(seed, client_ip=b"\x00" * 10 + b"\xff\xff\xc6\x33\x64\x07"):
    fixed, expected = table_sample(USER_167, seed=seed)
    # The session item around its clientIP (row 4), which the callers choose.
    head, session_fields = table_sample(VPN_SESSION_166[:4], seed=seed, base=0)
    tail, tail_fields = table_sample(VPN_SESSION_166[5:], seed=seed + 1)
    session = head + client_ip + tail
    session_fields.update(tail_fields)
    data = block(167, fixed, list_block(session))
    return data, dict(expected, blockType=167, blockLength=len(data)), session_fields


def test_user_login_95_nests_block_167_under_user_with_its_vpn_session_items():
    data, user, session = _user_block(seed=8)

    rec = decode(record(95, discovery_header(host_ip="2001:db8::95", event_type=1004,
                                             subtype=2), data, archive=1606927706))

    assert_fields(rec, discovery_fields(host_ip="2001:db8::95", event_type=1004, subtype=2))
    assert_fields(rec["user"], user)
    assert len(rec["user"]["vpnSession"]) == 1
    assert_fields(rec["user"]["vpnSession"][0], session)


def test_vpn_session_client_ip_is_the_hex_of_its_16_bytes_as_the_table_says():
    # eNcore types block 166's clientIP as uint8[16] (hex) in every version, unlike the
    # ipv6-typed addresses of block 167; the CIM mapper turns it into an address.
    data, _, _ = _user_block(seed=8, client_ip=bytes(12) + b"\xc6\x33\x64\x07")

    rec = decode(record(95, discovery_header(), data))

    assert rec["user"]["vpnSession"][0]["clientIP"] == "000000000000000000000000c6336407"


@pytest.mark.parametrize("record_type, key", [(170, "userLogin"), (171, "userLogoff")])
def test_vpn_records_nest_block_167_under_their_own_key(record_type, key):
    data, user, session = _user_block(seed=9)

    rec = decode(record(record_type, discovery_header(), data, archive=1606927707))

    assert_fields(rec[key], user)
    assert_fields(rec[key]["vpnSession"][0], session)


# --- RNA host discovery ----------------------------------------------------------------------

def _os_fingerprint(seed):
    mobile = block(131, string_block(f"iPhone{seed}"), u32(1606927000 + seed), u32(1), u32(0))
    data = block(130, uuid_bytes(f"00000000-0000-4000-8000-00000000013{seed}"), u32(seed),
                 u32(2), u32(3), u32(1606927100), u8(64), list_block(mobile))
    fields = {"blockType": 130, "blockLength": len(data),
              "uuid": f"00000000-0000-4000-8000-00000000013{seed}", "type": seed,
              "sourceType": 2, "sourceId": 3, "lastSeen": 1606927100, "ttlDifference": 64,
              "mobileDevice": [{"blockType": 131, "blockLength": len(mobile),
                                "string": f"iPhone{seed}", "lastSeen": 1606927000 + seed,
                                "mobile": 1, "jailbroken": 0}]}
    return data, fields


def _host_server(port):
    subserver = block(1, string_block("Apache"), string_block("ASF"), string_block("2.4"))
    info = block(117, u32(676), string_block("Apache"), string_block("2.4.41"), u32(1606927200),
                 u32(1), u32(2), list_block(subserver))
    web = block(123, u32(929))
    data = block(103, u16(port), u32(12), u32(1606927300), list_block(info), u32(100),
                 list_block(web))
    fields = {"blockType": 103, "blockLength": len(data), "port": port, "hits": 12,
              "lastUsed": 1606927300, "confidence": 100,
              "serverInformation": [{
                  "blockType": 117, "blockLength": len(info), "applicationId": 676,
                  "vendor": "Apache", "version": "2.4.41", "lastUsed": 1606927200,
                  "sourceType": 1, "sourceId": 2,
                  "subServers": [{"blockType": 1, "blockLength": len(subserver),
                                  "subServerName": "Apache", "vendor": "ASF", "version": "2.4"}]}],
              "webApplication": [{"blockType": 123, "blockLength": 12, "applicationId": 929}]}
    return data, fields


def test_new_tcp_server_11_decodes_block_103_with_its_nested_lists():
    data, fields = _host_server(443)

    rec = decode(record(11, discovery_header(host_ip="::ffff:192.168.50.50", event_type=1000,
                                             subtype=2), data, archive=1606927708))

    assert rec["hostIpAddr"] == "192.168.50.50"
    assert rec["hostServer"] == fields


def test_new_host_10_decodes_block_139_with_its_nested_lists():
    # Block 139 (Host Profile): blockType at 0, its length ("blockString") at 4, ipAddress at 8.
    fingerprint, fingerprint_fields = _os_fingerprint(1)
    server, server_fields = _host_server(22)
    mac = block(95, u8(64), mac_bytes("00:50:56:8a:0b:0c"), u8(1), u32(1606927400))
    client = block(112, u32(5), u32(1606927500), u32(1296), string_block("87.0"),
                   list_block(block(123, u32(178))),
                   list_block(block(85, u32(9001), u8(0), u32(2))))
    lists = (list_block(fingerprint),) + (list_block(),) * 8
    data = block(139, ip6("2001:db8::10"), u8(2), u8(0), *lists, list_block(server), list_block(),
                 list_block(block(4, u16(2048))), list_block(block(4, u16(6))), list_block(mac),
                 u32(1606927600), u32(0), u8(0), u8(0), u8(1), u16(100), u8(0), u8(5),
                 list_block(client), string_block("HOST10"))

    rec = decode(record(10, discovery_header(host_ip="2001:db8::10", event_type=1000, subtype=1),
                        data))

    profile = rec["hostProfile"]
    assert_fields(profile, {
        "ipAddress": "2001:db8::10", "hops": 2, "primarySecondary": 0,
        "serverFingerprints": [fingerprint_fields], "clientFingerprints": [],
        "userAgentFingerprints": [], "tcpServer": [server_fields], "udpServer": [],
        "networkProtocol": [{"blockType": 4, "blockLength": 10, "protocol": 2048}],
        "transportProtocol": [{"blockType": 4, "blockLength": 10, "protocol": 6}],
        "hostMacAddress": [{"blockType": 95, "blockLength": 20, "ttl": 64,
                            "address": "00:50:56:8a:0b:0c", "primary": 1,
                            "lastSeen": 1606927400}],
        "hostLastSeen": 1606927600, "hostType": 0, "mobile": 0, "jailbroken": 0,
        "vlanPresence": 1, "vlanId": 100, "vlanType": 0, "vlanPriority": 5,
        "netbios": "HOST10"})
    assert profile["clientApplications"] == [{
        "blockType": 112, "blockLength": len(client), "hits": 5, "lastUsed": 1606927500,
        "applicationId": 1296, "version": "87.0",
        "webApplication": [{"blockType": 123, "blockLength": 12, "applicationId": 178}],
        "vulnerability": [{"blockType": 85, "blockLength": 17, "vulnerabilityId": 9001,
                           "invalidFlags": 0, "type": 2}]}]


def test_new_transport_protocol_14_reads_one_byte_after_the_header():
    rec = decode(record(14, discovery_header(host_ip="::ffff:10.0.0.1", event_type=1000,
                                             subtype=4), u8(17)))

    assert rec["transportProtocol"] == 17
    assert rec["hostIpAddr"] == "10.0.0.1"


def test_hops_change_22_reads_one_byte_after_the_header():
    rec = decode(record(22, discovery_header(host_ip="::ffff:10.0.0.2", event_type=1001,
                                             subtype=5), u8(255)))

    assert rec["hops"] == 255


def test_host_ip_changed_29_reads_the_new_address():
    rec = decode(record(29, discovery_header(host_ip="2001:db8::29", event_type=1001, subtype=1),
                        ip6("2001:db8::2a")))

    assert rec["ipAddress"] == "2001:db8::2a"
    assert rec["hostIpAddr"] == "2001:db8::29"


# --- metadata records ------------------------------------------------------------------------

def test_priority_4_has_a_uint16_length():
    assert decode(record(4, u32(1), u16(4), b"high")) == {
        "recordType": 4, "id": 1, "length": 4, "name": "high"}


def test_fingerprint_54_has_three_length_prefixed_texts():
    body = record(54, uuid_bytes("00010203-0405-0607-0809-0a0b0c0d0e0f"), u32(5), b"Linux",
                  u32(10), b"Linux Org.", u32(3), b"5.4")

    assert decode(body) == {
        "recordType": 54, "uuid": "00010203-0405-0607-0809-0a0b0c0d0e0f", "nameLength": 5,
        "name": "Linux", "vendorLength": 10, "vendor": "Linux Org.", "versionLength": 3,
        "version": "5.4"}


def test_rule_message_66_has_a_uint16_message_length_before_two_uuids():
    message = "PROTOCOL-ICMP Echo Reply"
    body = record(66, u32(1), u32(408), u32(8), u32(408), u16(len(message)),
                  uuid_bytes("11111111-2222-3333-4444-555555555555"),
                  uuid_bytes("66666666-7777-8888-9999-aaaaaaaaaaaa"), message.encode())

    assert decode(body) == {
        "recordType": 66, "generatorId": 1, "ruleId": 408, "ruleRevision": 8,
        "signatureId": 408, "messageLength": len(message),
        "ruleUuid": "11111111-2222-3333-4444-555555555555",
        "ruleRevisionUuid": "66666666-7777-8888-9999-aaaaaaaaaaaa", "message": message}


@pytest.mark.parametrize("record_type", [115, 116, 117, 118, 127, 322])
def test_uuid_name_metadata_decodes_series_2_block_14(record_type):
    data = block(14, uuid_bytes("ed81dc4e-3444-11eb-a581-703a42c735fb"), string_block("inside\0"))

    assert decode(record(record_type, data)) == {
        "recordType": record_type, "blockType": 14, "blockLength": len(data),
        "uuid": "ed81dc4e-3444-11eb-a581-703a42c735fb", "name": "inside"}


def test_access_control_rule_119_decodes_series_2_block_15():
    data = block(15, uuid_bytes("00000000-0000-0000-0000-00005fc6fa72"), u32(268434433),
                 string_block("Allow web"))

    assert decode(record(119, data)) == {
        "recordType": 119, "blockType": 15, "blockLength": len(data),
        "uuid": "00000000-0000-0000-0000-00005fc6fa72", "id": 268434433, "name": "Allow web"}


def test_managed_device_123_is_id_length_name():
    assert decode(record(123, u32(1), u32(9), b"ftdv-6.7\x00")) == {
        "recordType": 123, "id": 1, "length": 9, "name": "ftdv-6.7"}


def test_access_control_policy_145_decodes_series_2_block_64():
    data = block(64, uuid_bytes("59b12e88-3436-11eb-9e8e-59cf41c735fb"), u32(1),
                 string_block("Default ACP"))

    assert decode(record(145, data)) == {
        "recordType": 145, "blockType": 64, "blockLength": len(data),
        "uuid": "59b12e88-3436-11eb-9e8e-59cf41c735fb", "sensorId": 1, "name": "Default ACP"}


def test_geolocation_520_decodes_series_2_block_28():
    data = block(28, u16(840), string_block("united states"))

    assert decode(record(520, data)) == {"recordType": 520, "blockType": 28, "blockLength": 31,
                                         "countryCode": 840, "country": "united states"}


@pytest.mark.parametrize("record_type, block_type", [(530, 0x214), (700, 14)])
def test_file_policy_530_and_network_analysis_policy_700_carry_an_inline_block_header(
        record_type, block_type):
    data = block(block_type, uuid_bytes("59b12e88-3436-11eb-9e8e-59cf41c735fb"),
                 string_block("Balanced Security and Connectivity"))

    assert decode(record(record_type, data)) == {
        "recordType": record_type, "blockType": block_type, "blockLength": len(data),
        "uuid": "59b12e88-3436-11eb-9e8e-59cf41c735fb",
        "name": "Balanced Security and Connectivity"}


# --- versions and malformed input ------------------------------------------------------------

def test_a_block_shorter_than_its_table_ending_on_a_field_boundary_lacks_the_remaining_fields():
    # An older intrusion block: block 60's table up to iocNumber (the legacy block-41 extent).
    body, expected = table_sample(INTRUSION_60, seed=2)
    cut = 222 - 8
    data = block(60, body[:cut])

    rec = decode(record(400, data, archive=1))

    assert rec["blockLength"] == 222
    assert rec["iocNumber"] == expected["iocNumber"]
    for absent in ("securityContext", "sslCertificateFingerprint", "sslActualAction",
                   "sslFlowStatus", "networkAnalysisPolicyUuid", "httpResponse"):
        assert absent not in rec


def test_a_connection_block_cut_before_its_first_string_lacks_the_rest():
    body, expected = table_sample(CONNECTION_160, seed=3)
    data = block(160, body[:225 - 8])

    rec = decode(record(71, discovery_header(host_ip="::"), data, archive=1))

    assert rec["webApplicationId"] == expected["webApplicationId"]
    assert "clientUrl" not in rec and "securityIntelligenceList2" not in rec


def test_a_list_item_longer_than_its_table_is_skipped_to_its_end_and_the_parent_reads_on():
    # A newer server-information item with 6 bytes the table does not know, then the parent's
    # confidence and web-application list must still be read from the right place.
    info = block(117, u32(676), string_block("Apache"), string_block("2.4"), u32(1606927200),
                 u32(1), u32(2), list_block(), b"\x00NEW\xff\xff")
    second = block(117, u32(677), string_block("nginx"), string_block("1.18"), u32(1606927201),
                   u32(3), u32(4), list_block())
    data = block(103, u16(80), u32(12), u32(1606927300), list_block(info, second), u32(99),
                 list_block(block(123, u32(929)), block(123, u32(930))))

    rec = decode(record(11, discovery_header(), data))

    server = rec["hostServer"]
    assert [item["applicationId"] for item in server["serverInformation"]] == [676, 677]
    assert server["serverInformation"][0]["blockLength"] == len(info)
    assert server["serverInformation"][1]["vendor"] == "nginx"
    assert server["confidence"] == 99
    assert [web["applicationId"] for web in server["webApplication"]] == [929, 930]


def test_a_connection_block_longer_than_its_table_keeps_the_known_fields():
    body, expected = table_sample(CONNECTION_160, seed=3)
    data = block(160, body + b"\x01\x02\x03\x04newer fields")

    rec = decode(record(71, discovery_header(host_ip="::"), data, archive=1))

    assert_fields(rec, dict(expected, blockLength=len(data)))


def test_an_inline_field_cut_in_half_is_a_parse_error_naming_field_and_offset():
    body = record(31, discovery_header(event_type=1001, subtype=16), b"\x00\x02")

    with pytest.raises(ParseError) as caught:
        decode(body)

    error = caught.value
    assert "hostType" in error.message
    assert error.offset == 8 + 40
    assert error.record_type == 31
    assert "record type 31" in str(error) and "offset 48" in str(error)


def test_a_field_cut_in_half_inside_a_block_names_the_field_and_its_offset():
    body, _ = table_sample(INTRUSION_60, seed=2)
    data = block(60, body[:86 - 8])  # two of mplsLabel's four bytes (block offset 84)

    with pytest.raises(ParseError) as caught:
        decode(record(400, data))

    assert "mplsLabel" in caught.value.message
    assert caught.value.offset == 8 + 84


def test_a_block_length_past_the_record_end_is_a_parse_error():
    data = block(14, bytes(16), string_block("x"), length=200)

    with pytest.raises(ParseError, match="block length 200"):
        decode(record(115, data))


def test_an_unknown_record_type_comes_back_raw_with_its_exact_bytes():
    decoder = RecordDecoder()

    plain = decoder.decode(record(9999, b"\x01\x02\xab\xcd"))
    archived = decoder.decode(record(4242, b"\xff", archive=77))

    assert plain == {"recordType": 9999, "unknown": True, "raw": "0102abcd"}
    assert archived == {"recordType": 4242, "archiveTimestamp": 77, "unknown": True, "raw": "ff"}
    assert decoder.stats.unknown_types == 2
    assert decoder.stats.records == 0


def test_an_unknown_connection_block_version_surfaces_the_record_raw_and_counts_it():
    data = discovery_header(host_ip="::") + block(999, b"\x00\x01future")
    decoder = RecordDecoder()

    rec = decoder.decode(record(71, data, archive=5))

    assert rec == {"recordType": 71, "archiveTimestamp": 5, "blockType": 999, "unknown": True,
                   "raw": data.hex()}
    assert decoder.stats.unknown_blocks == 1
    assert decoder.stats.unknown_types == 0
